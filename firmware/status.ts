// Numeric result codes shared by the sans-I/O core (STYLE 17-19): 0 is success, negative
// values are failures, small positive values are ordinary "not a failure" answers. Errors
// are classified by these codes, never by class or e.name (Espruino has no e.name).

export const OK = 0;
/** Not a failure: more input is needed before a result exists. */
export const NEED_MORE = 1;
/** Not a failure: the input belongs to some other parser. */
export const NO_MATCH = 2;

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
