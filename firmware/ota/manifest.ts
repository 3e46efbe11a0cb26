// The update manifest: what the desired twin property `ota` announces, and how the device
// decides to trust it. Stock Espruino does not verify TLS server certificates,
// so the twin and the file host are both open to a man in
// the middle; a manifest is trusted only if its authenticator verifies under the device's own
// OTA key, and the file only if its SHA-256 equals the authenticated one.
//
//   { "version": "1.2.0", "url": "https://host[:port]/path", "size": 12345,
//     "sha256": "<64 hex>", "auth": "<base64 of 32 bytes>", "allowDowngrade": true }
//
// auth = base64(HMAC-SHA256(key = the device's OTA key bytes, message =
//   version "\n" size "\n" sha256 (lower-case hex) "\n" ("1" if allowDowngrade else "0")))
// The URL is deliberately not covered: a blob URL carries a SAS token that expires and is
// renewed without re-signing; what is fetched is pinned by size and hash. allowDowngrade is
// covered, so nobody can turn an old signed release into an accepted downgrade.
// Unknown fields are ignored (forward compatible): only the authenticated fields act.
import { hmacSha256, Sha256 } from "../azure/hmac-sha256";
import { base64Encode, base64Decode } from "../azure/base64";
import { parseUrl, Url } from "./http-request";
import {
  ERR_OTA_MANIFEST, ERR_OTA_VERSION, ERR_OTA_URL, ERR_OTA_SIZE, ERR_OTA_HASH_FORMAT, ERR_OTA_AUTH_FORMAT,
} from "../status";

export interface Manifest {
  version: string;
  url: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** base64 of the 32-byte HMAC. */
  auth: string;
  allowDowngrade: boolean;
}

/** The fields a manifest is signed over, plus its URL. */
export interface ManifestFields {
  version: string;
  url: string;
  size: number;
  sha256: string;
  allowDowngrade?: boolean;
}

export interface ManifestOptions {
  /** Largest accepted file in bytes (default DEFAULT_MAX_SIZE). */
  maxSize?: number;
  /** Accept http:// URLs too (tests and local runs only). */
  allowHttp?: boolean;
}

export const DEFAULT_MAX_SIZE = 512 * 1024;
const MAX_URL_LENGTH = 2048;
const MAX_VERSION_PARTS = 4;
const MAX_PART_DIGITS = 5;
const MAC_BYTES = 32;

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** True for 1-4 dot-separated decimal numbers of at most 5 digits, without leading zeros
 *  ("1", "1.2.0", "10.0.3.65535"). */
export function isVersion(text: unknown): boolean {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_VERSION_PARTS * (MAX_PART_DIGITS + 1)) return false;
  let parts = 1;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      // "."
      if (digits === 0) return false;
      if (++parts > MAX_VERSION_PARTS) return false;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return false;
    if (digits === 1 && leadingZero) return false;
    if (digits === 0) leadingZero = c === 48;
    if (++digits > MAX_PART_DIGITS) return false;
  }
  return digits > 0;
}

/** The value of part `index` of a valid version (0 when it has fewer parts). */
function versionPart(text: string, index: number): number {
  let part = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (part === index) return value;
      part++;
      value = 0;
    } else if (part === index) value = value * 10 + (c - 48);
  }
  return part === index ? value : 0;
}

/** -1, 0 or 1 as version a is older than, equal to or newer than b; missing parts count as
 *  0 ("1.2" equals "1.2.0"). A string that is not a version sorts below every version. */
export function compareVersions(a: string, b: string): number {
  const va = isVersion(a);
  const vb = isVersion(b);
  if (!va || !vb) return va === vb ? 0 : va ? 1 : -1;
  for (let i = 0; i < MAX_VERSION_PARTS; i++) {
    const x = versionPart(a, i);
    const y = versionPart(b, i);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** True when installing m over `current` is wanted: newer, or older with allowDowngrade.
 *  The same version is never an upgrade. */
export function isUpgrade(current: string, m: Manifest): boolean {
  const order = compareVersions(m.version, current);
  return order > 0 || (order < 0 && m.allowDowngrade);
}

function isHex64(text: string): boolean {
  if (text.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/**
 * Checks a desired `ota` value field by field. Returns the manifest (sha256 in lower case)
 * or ERR_OTA_MANIFEST (not an object, a field missing or of the wrong type), ERR_OTA_VERSION,
 * ERR_OTA_URL, ERR_OTA_SIZE, ERR_OTA_HASH_FORMAT, ERR_OTA_AUTH_FORMAT. Does not check the
 * authenticator (verifyManifest) nor whether it is an upgrade (isUpgrade).
 */
export function parseManifest(value: unknown, options?: ManifestOptions): Manifest | number {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return ERR_OTA_MANIFEST;
  const o = value as { [k: string]: unknown };
  if (!has(o, "version") || !has(o, "url") || !has(o, "size") || !has(o, "sha256") || !has(o, "auth")) return ERR_OTA_MANIFEST;
  const version = o.version;
  const url = o.url;
  const size = o.size;
  const hash = o.sha256;
  const auth = o.auth;
  const downgrade = has(o, "allowDowngrade") ? o.allowDowngrade : undefined;
  if (typeof version !== "string" || typeof url !== "string" || typeof size !== "number" || typeof hash !== "string" || typeof auth !== "string") {
    return ERR_OTA_MANIFEST;
  }
  if (downgrade !== undefined && downgrade !== null && typeof downgrade !== "boolean") return ERR_OTA_MANIFEST;
  if (!isVersion(version)) return ERR_OTA_VERSION;
  const maxSize = options && options.maxSize !== undefined ? options.maxSize : DEFAULT_MAX_SIZE;
  if (url.length > MAX_URL_LENGTH) return ERR_OTA_URL;
  const parsed = parseUrl(url);
  if (typeof parsed === "number" || (!(parsed as Url).tls && !(options && options.allowHttp))) return ERR_OTA_URL;
  if (size !== Math.floor(size) || size < 1 || size > maxSize) return ERR_OTA_SIZE;
  if (!isHex64(hash)) return ERR_OTA_HASH_FORMAT;
  const mac = base64Decode(auth);
  if (typeof mac === "number" || mac.length !== MAC_BYTES) return ERR_OTA_AUTH_FORMAT;
  return {
    version: version,
    url: url,
    size: size,
    sha256: hash.toLowerCase(),
    auth: auth,
    allowDowngrade: downgrade === true,
  };
}

/** The text the authenticator is an HMAC of (see the header). */
export function manifestAuthMessage(m: { version: string; size: number; sha256: string; allowDowngrade?: boolean }): string {
  return m.version + "\n" + m.size + "\n" + m.sha256.toLowerCase() + "\n" + (m.allowDowngrade ? "1" : "0");
}

/** True when m.auth is the HMAC of its fields under keyBytes. Compares all 32 bytes whatever
 *  differs first (no early exit), so timing tells nothing about the expected MAC. */
export function verifyManifest(m: Manifest, keyBytes: Uint8Array, sha256: Sha256): boolean {
  const given = base64Decode(m.auth);
  if (typeof given === "number" || given.length !== MAC_BYTES || keyBytes.length === 0) return false;
  const mac = hmacSha256(keyBytes, manifestAuthMessage(m), sha256);
  let diff = 0;
  for (let i = 0; i < MAC_BYTES; i++) diff |= mac[i] ^ given[i];
  return diff === 0;
}

/** A manifest signed with keyBytes (the simulator, tools and tests make manifests with it). */
export function signManifest(fields: ManifestFields, keyBytes: Uint8Array, sha256: Sha256): Manifest {
  const m: Manifest = {
    version: fields.version,
    url: fields.url,
    size: fields.size,
    sha256: fields.sha256.toLowerCase(),
    auth: "",
    allowDowngrade: fields.allowDowngrade === true,
  };
  m.auth = base64Encode(hmacSha256(keyBytes, manifestAuthMessage(m), sha256));
  return m;
}

/**
 * Applies a desired-properties patch to the last known `ota` value, as the twin does (JSON
 * merge patch, RFC 7386, one level deep: the manifest is flat): a patch that is not an object
 * replaces the value, a null field removes that field. Returns a new value; neither input
 * is changed.
 */
export function mergeManifestPatch(previous: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: { [k: string]: unknown } = {};
  if (previous !== null && typeof previous === "object" && !Array.isArray(previous)) {
    const keys = Object.keys(previous as object);
    for (let i = 0; i < keys.length; i++) out[keys[i]] = (previous as { [k: string]: unknown })[keys[i]];
  }
  const p = patch as { [k: string]: unknown };
  const keys = Object.keys(p);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (p[k] === null) delete out[k];
    else out[k] = p[k];
  }
  return out;
}
