// Shared access signature tokens for IoT Hub and DPS, built in
// three pure steps as Embedded C does: the string to sign, its HMAC-SHA256 over the HAL's
// SHA-256, then the password. Expiry and the clock come in as arguments.
//
// Error convention (every credential file in firmware/azure): a function that can fail
// returns a negative code from firmware/status.ts instead of its value. A string, byte array
// or object result is never a number, so `typeof r === "number"` means failure; a function
// whose value is itself a number (sasExpiry) returns it >= 0, so `r < 0` means failure.
// Nothing here throws.
import { ERR_BAD_ARGUMENT, ERR_BAD_EXPIRY, ERR_BAD_KEY, ERR_BAD_TOKEN, ERR_CLOCK_NOT_SYNCED, ERR_EMPTY_KEY } from "../status";
import { base64DecodeLenient, base64Encode } from "./base64";
import { hmacSha256, type Sha256 } from "./hmac-sha256";
import { urlEncode } from "./url-encode";

export { hmacSha256 };
export type { Sha256 };

/** The key name DPS expects in device SAS tokens (`skn=registration`). */
export const DPS_KEY_NAME = "registration";
/** Token lifetime when the configuration names none (IoT C SDK and Node SDK default). */
export const DEFAULT_TOKEN_LIFETIME_S = 3600;
/** Longest lifetime accepted: its renewal delay (80 %) still fits a wrap-safe int32 ms delay. */
export const MAX_TOKEN_LIFETIME_S = 30 * 24 * 3600;
/** 2020-01-01T00:00:00Z. A wall clock reading earlier has not been set, whatever it claims. */
export const MIN_PLAUSIBLE_UTC_S = 1577836800;
/** Largest expiry accepted (2106-02-07), the unsigned 32-bit range the services document. */
const MAX_EXPIRY_S = 4294967295;

const PREFIX = "SharedAccessSignature ";

/** IoT Hub `sr`: host, "%2Fdevices%2F", device id, and "%2Fmodules%2F" + module id for a
 *  module (an empty or undefined module id means a device); each part URL-encoded, the
 *  separators upper-case as Embedded C writes them. */
export function hubResource(host: string, deviceId: string, moduleId?: string): string {
  const device = urlEncode(host) + "%2Fdevices%2F" + urlEncode(deviceId);
  return moduleId === undefined || moduleId === "" ? device : device + "%2Fmodules%2F" + urlEncode(moduleId);
}

/** DPS `sr`: `{idScope}/registrations/{registrationId}` URL-encoded as a whole, as MS docs
 *  say, so "/" is upper-case %2F: the same encoder and spelling as the hub resource. The SDKs
 *  also ship lower-case %2f (Embedded C) and a raw "/" (Node SDK); the service checks the HMAC
 *  over the `sr` it receives, and sasToken signs exactly the `sr` it sends, so any spelling
 *  holds as long as one string is used for both. Pair it with DPS_KEY_NAME. */
export function dpsResource(idScope: string, registrationId: string): string {
  return urlEncode(idScope) + "%2Fregistrations%2F" + urlEncode(registrationId);
}

/** Step 1: the text the HMAC covers, `{resource}\n{expiry}`. */
export function stringToSign(resource: string, expirySeconds: number): string {
  return resource + "\n" + expirySeconds;
}

/** Step 2: base64 HMAC-SHA256 of the string to sign under the decoded key bytes. */
export function sasSignature(resource: string, key: Uint8Array, expirySeconds: number, sha256: Sha256): string {
  return base64Encode(hmacSha256(key, stringToSign(resource, expirySeconds), sha256));
}

/** Step 3: the MQTT password, `SharedAccessSignature sr=..&sig=..&se=..[&skn=..]`. The
 *  resource goes in exactly as given (it is what was signed); sig and skn are URL-encoded;
 *  an empty or undefined key name is left out (Embedded C). */
export function sasPassword(resource: string, signatureBase64: string, expirySeconds: number, keyName?: string): string {
  const password = PREFIX + "sr=" + resource + "&sig=" + urlEncode(signatureBase64) + "&se=" + expirySeconds;
  return keyName === undefined || keyName === "" ? password : password + "&skn=" + urlEncode(keyName);
}

function validExpiry(seconds: number): boolean {
  return typeof seconds === "number" && seconds > 0 && seconds <= MAX_EXPIRY_S && Math.floor(seconds) === seconds;
}

/** Decodes a base64 key (padding optional); ERR_BAD_KEY or ERR_EMPTY_KEY on failure. */
function decodeKey(keyBase64: string): Uint8Array | number {
  if (typeof keyBase64 !== "string" || keyBase64 === "") return ERR_EMPTY_KEY;
  const key = base64DecodeLenient(keyBase64);
  if (typeof key === "number") return ERR_BAD_KEY;
  return key.length === 0 ? ERR_EMPTY_KEY : key;
}

/** A complete SAS password for `resource` (signed and sent exactly as given; build it with
 *  hubResource or dpsResource). Returns the password, or ERR_EMPTY_KEY, ERR_BAD_KEY (not
 *  base64), ERR_BAD_EXPIRY (not a whole number of seconds in 1..2^32-1) or ERR_BAD_ARGUMENT
 *  (empty resource). */
export function sasToken(resource: string, keyBase64: string, expirySeconds: number, sha256: Sha256, keyName?: string): string | number {
  if (typeof resource !== "string" || resource === "") return ERR_BAD_ARGUMENT;
  if (!validExpiry(expirySeconds)) return ERR_BAD_EXPIRY;
  const key = decodeKey(keyBase64);
  if (typeof key === "number") return key;
  return sasPassword(resource, sasSignature(resource, key, expirySeconds, sha256), expirySeconds, keyName);
}

/** Group enrollment: the device key is base64(HMAC-SHA256(base64decode(groupKey),
 *  registrationId)), the registration id taken as plain text, not URL-encoded or case-folded
 *  (the derivation DPS documents for group enrollments). Desktop tools run this so a device never holds the group key.
 *  Returns the device key, or ERR_EMPTY_KEY, ERR_BAD_KEY or ERR_BAD_ARGUMENT (empty id). */
export function deriveDeviceKey(groupKeyBase64: string, registrationId: string, sha256: Sha256): string | number {
  if (typeof registrationId !== "string" || registrationId === "") return ERR_BAD_ARGUMENT;
  const key = decodeKey(groupKeyBase64);
  if (typeof key === "number") return key;
  return base64Encode(hmacSha256(key, registrationId, sha256));
}

export interface TokenTimes {
  /** The `se` to sign: synced UTC now (whole seconds) plus the lifetime. */
  expirySeconds: number;
  /** When to renew, in ms after now: 80 % of the lifetime (IoT C SDK SAS_REFRESH_MULTIPLIER).
   *  MQTT 3.1.1 cannot re-authenticate, so renewal is disconnect, new token, reconnect. */
  renewAfterMs: number;
}

/** Expiry and renewal delay for a token minted now. Refuses while the wall clock is not
 *  synced, or reads before 2020 (an unset clock yields tokens the hub rejects as expired).
 *  Returns the times, or ERR_CLOCK_NOT_SYNCED, or ERR_BAD_EXPIRY for a lifetime that is not
 *  a whole number of seconds in 1..MAX_TOKEN_LIFETIME_S. */
export function tokenTimes(clockSynced: boolean, nowUtcSeconds: number, lifetimeSeconds?: number): TokenTimes | number {
  if (clockSynced !== true || !(nowUtcSeconds >= MIN_PLAUSIBLE_UTC_S)) return ERR_CLOCK_NOT_SYNCED;
  const lifetime = lifetimeSeconds === undefined ? DEFAULT_TOKEN_LIFETIME_S : lifetimeSeconds;
  if (!(lifetime >= 1 && lifetime <= MAX_TOKEN_LIFETIME_S) || Math.floor(lifetime) !== lifetime) return ERR_BAD_EXPIRY;
  const expirySeconds = Math.floor(nowUtcSeconds) + lifetime;
  if (!validExpiry(expirySeconds)) return ERR_BAD_EXPIRY;
  return { expirySeconds: expirySeconds, renewAfterMs: lifetime * 800 };
}

/** The `se` of a ready-made token (a connection string's SharedAccessSignature), so the
 *  caller knows when it stops working; such a token cannot be renewed here. Returns the
 *  expiry in seconds (> 0), or ERR_BAD_TOKEN when the text is not
 *  `SharedAccessSignature ` followed by &-separated fields including non-empty sr and sig and
 *  a decimal se. */
export function sasExpiry(token: string): number {
  if (typeof token !== "string" || token.substring(0, PREFIX.length) !== PREFIX) return ERR_BAD_TOKEN;
  const fields = token.substring(PREFIX.length).split("&");
  let sr = false;
  let sig = false;
  let se = -1;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const eq = field.indexOf("=");
    if (eq <= 0 || eq === field.length - 1) return ERR_BAD_TOKEN;
    const name = field.substring(0, eq);
    const value = field.substring(eq + 1);
    if (name === "sr") sr = true;
    else if (name === "sig") sig = true;
    else if (name === "se") {
      if (se >= 0 || value.length > 10) return ERR_BAD_TOKEN;
      se = 0;
      for (let j = 0; j < value.length; j++) {
        const c = value.charCodeAt(j);
        if (c < 48 || c > 57) return ERR_BAD_TOKEN;
        se = se * 10 + (c - 48);
      }
    }
  }
  return sr && sig && validExpiry(se) ? se : ERR_BAD_TOKEN;
}
