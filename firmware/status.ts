// Numeric result codes shared by the sans-I/O core: 0 is success, negative
// values are failures, small positive values are ordinary "not a failure" answers. Errors
// are classified by these codes, never by class or e.name (Espruino has no e.name).

// Ranges, one per area, so codes never collide: general -1..-99, sockets -100..-199,
// MQTT -200..-299, credentials -300..-399, policy -400..-499, DPS and hub -500..-599,
// outbox -600..-699, OTA -700..-799, device and config -800..-899.

export const OK = 0;
/** Not a failure: more input is needed before a result exists. */
export const NEED_MORE = 1;
/** Not a failure: the input belongs to some other parser. */
export const NO_MATCH = 2;
/** Not a failure: input stopped after a packet because the receiver's queue is full; the
 *  rest waits for Session.resume() once the queue is drained. */
export const PAUSED = 3;

// Bad input and limits
export const ERR_MALFORMED = -1;
export const ERR_TOO_LARGE = -2;
export const ERR_NO_SPACE = -3;
export const ERR_BAD_ARGUMENT = -4;
export const ERR_PROTOCOL = -5;
export const ERR_FULL = -6;

// Why a transport ended (reported by the HAL's socket onClose; 0 = clean close)
export const SOCKET_CLOSED = 0;
export const SOCKET_DNS_FAILED = -100;
export const SOCKET_REFUSED = -101;
export const SOCKET_RESET = -102;
export const SOCKET_TLS_FAILED = -103;
export const SOCKET_TIMEOUT = -104;
export const SOCKET_ERROR = -105;
/** The server's certificate did not verify against the configured ca (another CA, expired,
 *  another name): reported by Node and by an Espruino built with interpreter/'s patch. */
export const SOCKET_TLS_UNVERIFIED = -106;

// Credentials (firmware/azure: base64, SAS tokens, connection strings): -300..-399
/** Text is not base64 (bad character, impossible length, misplaced padding). */
export const ERR_BAD_BASE64 = -300;
/** A shared access key is not base64. */
export const ERR_BAD_KEY = -301;
/** A shared access key is empty (decodes to zero bytes). */
export const ERR_EMPTY_KEY = -302;
/** The wall clock is not synced (or reads before 2020): no token may be signed. */
export const ERR_CLOCK_NOT_SYNCED = -303;
/** An expiry or token lifetime is not a whole number of seconds in range. */
export const ERR_BAD_EXPIRY = -304;
/** A ready-made SAS token lacks "SharedAccessSignature ", sr, sig or a numeric se. */
export const ERR_BAD_TOKEN = -305;
/** Connection string: a segment without "=" or with an empty name. */
export const ERR_CS_MALFORMED = -310;
/** Connection string: a field this client does not know (names are case-sensitive). */
export const ERR_CS_UNKNOWN_FIELD = -311;
/** Connection string: the same field twice. */
export const ERR_CS_DUPLICATE_FIELD = -312;
/** Connection string: a field with an empty value. */
export const ERR_CS_EMPTY_VALUE = -313;
/** Connection string: no HostName. */
export const ERR_CS_MISSING_HOST = -314;
/** Connection string: no DeviceId. */
export const ERR_CS_MISSING_DEVICE_ID = -315;
/** Connection string: none of SharedAccessKey, SharedAccessSignature, x509=true. */
export const ERR_CS_MISSING_CREDENTIAL = -316;
/** Connection string: more than one of SharedAccessKey, SharedAccessSignature, x509=true. */
export const ERR_CS_CONFLICTING_CREDENTIALS = -317;
/** Connection string: x509 is neither "true" nor "false". */
export const ERR_CS_BAD_VALUE = -318;

// MQTT session (firmware/mqtt): -200..-299. Each is a different recovery for the driver.
/** The call needs a connected session (QoS 0 publish, subscribe, ack while down). */
export const ERR_NOT_CONNECTED = -200;
/** No CONNACK within the CONNACK timeout: the server may be shaping traffic; back off. */
export const ERR_CONNACK_TIMEOUT = -201;
/** Keep-alive: nothing arrived within the ping timeout after a PINGREQ; the link is dead. */
export const ERR_LINK_DEAD = -202;
/** CONNACK refused the connection; its return code was reported as data first. */
export const ERR_REFUSED = -203;

// Policy (firmware/policy: backoff, failure classifier): -400..-499
/** The backoff context handed out all the waits its retry policy allows. */
export const ERR_RETRY_EXHAUSTED = -400;

// OTA (firmware/ota: manifest, HTTP download, slots, update agent): -700..-799
/** Manifest: not an object, a field missing or of the wrong type. */
export const ERR_OTA_MANIFEST = -700;
/** Manifest: version is not 1-4 dot-separated decimal numbers. */
export const ERR_OTA_VERSION = -701;
/** Manifest or download: the URL is not https://host[:port]/path (http only where allowed). */
export const ERR_OTA_URL = -702;
/** Manifest: size is not a whole number in 1..the configured maximum. */
export const ERR_OTA_SIZE = -703;
/** Manifest: sha256 is not 64 hex digits. */
export const ERR_OTA_HASH_FORMAT = -704;
/** Manifest: auth is not base64 of 32 bytes. */
export const ERR_OTA_AUTH_FORMAT = -705;
/** Manifest: the authenticator does not match (wrong key or a tampered field). */
export const ERR_OTA_AUTH = -706;
/** Manifest: an older version than the running one, and allowDowngrade is not set. */
export const ERR_OTA_DOWNGRADE = -707;
/** Manifest: this version was installed before and rolled back. */
export const ERR_OTA_REJECTED_VERSION = -708;
/** The downloaded file's SHA-256 differs from the manifest's. */
export const ERR_OTA_HASH = -710;
/** The server's file size differs from the manifest's (Content-Length / Content-Range). */
export const ERR_OTA_SIZE_MISMATCH = -711;
/** Storage refused a chunk (flash full, or a region already written). */
export const ERR_OTA_WRITE = -712;
/** The download kept failing (network, server) until the attempts ran out. */
export const ERR_OTA_DOWNLOAD = -713;
/** No bytes arrived within the stall timeout. */
export const ERR_OTA_STALLED = -714;
/** A newer announcement replaced the update in progress. */
export const ERR_OTA_CANCELLED = -715;
/** The new application did not reach Connected in time; the boot stub restored the previous one. */
export const ERR_OTA_ROLLED_BACK = -716;
/** The boot selector record is unreadable (torn write, not JSON, a bad field). */
export const ERR_OTA_SELECTOR_CORRUPT = -717;
/** The download progress record is unreadable. */
export const ERR_OTA_PROGRESS_CORRUPT = -718;
/** HTTP: a response that breaks HTTP/1.1 framing (status line, header, chunk size). */
export const ERR_HTTP_MALFORMED = -720;
/** HTTP: the status line and headers exceed the parser's bound. */
export const ERR_HTTP_HEADER_TOO_LARGE = -721;
/** HTTP: a status other than 200 / 206 (the parser keeps the number in statusCode). */
export const ERR_HTTP_STATUS = -722;
/** HTTP: a redirect (3xx); redirects are not followed. */
export const ERR_HTTP_REDIRECT = -723;
/** HTTP: 416, or a 206 without a usable Content-Range. */
export const ERR_HTTP_RANGE = -724;
/** HTTP: a transfer or content encoding other than chunked / identity. */
export const ERR_HTTP_UNSUPPORTED = -725;
/** HTTP: the connection closed before the body was complete. */
export const ERR_HTTP_TRUNCATED = -726;
/** HTTP: the parser was stopped by its owner. */
export const ERR_HTTP_STOPPED = -727;

// Status reasons, reported with the device status: why it is in that
// status. Small positive numbers, 0 = no particular reason; reasonName() is for logs only.
export const REASON_NONE = 0;
export const REASON_NO_NETWORK = 1;
export const REASON_CLOCK_NOT_SET = 2;
export const REASON_EXPIRED_SAS_TOKEN = 3;
export const REASON_BAD_CREDENTIAL = 4;
export const REASON_DEVICE_DISABLED = 5;
export const REASON_THROTTLED = 6;
export const REASON_COMMUNICATION_ERROR = 7;
export const REASON_RETRY_EXPIRED = 8;
export const REASON_REPROVISIONING = 9;
/** The driver holds the connection: an update download uses the one TLS socket. */
export const REASON_UPDATING = 10;
/** The server failed TLS verification (SOCKET_TLS_UNVERIFIED): nothing was sent to it. */
export const REASON_SERVER_NOT_VERIFIED = 11;
/** Few variables are left: the device shed what it could (reported with the status it has). */
export const REASON_LOW_MEMORY = 12;

/** The log name of a REASON_* value ("Unknown" for anything else). The names are one literal
 *  split on each call (status changes are rare): an array of them kept for the whole run
 *  would hold about 30 variables. */
export function reasonName(reason: number): string {
  const names = "None,NoNetwork,ClockNotSet,ExpiredSasToken,BadCredential,DeviceDisabled,Throttled,CommunicationError,RetryExpired,Reprovisioning,Updating,ServerNotVerified,LowMemory".split(",");
  return reason >= 0 && reason < names.length && reason === (reason | 0) ? names[reason] : "Unknown";
}
