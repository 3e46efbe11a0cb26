// The hub cache: the DPS assignment kept in flash so a warm boot goes straight to the hub.
// A small versioned record bound to the id scope, registration
// id and a fingerprint of the credential, with a checksum. Anything that does not verify
// is ignored, never trusted and never thrown on.
import { ERR_TOO_LARGE, ERR_BAD_ARGUMENT } from "../status";

/** Storage name of the record (Storage names are at most 28 characters). */
export const HUB_CACHE_NAME = "azhub.cache";
export const HUB_CACHE_MAX_BYTES = 256;

// Why a cached record was not used.
export const CACHE_ABSENT = -501;
export const CACHE_CORRUPT = -502;
export const CACHE_FOREIGN = -503;
export const ERR_HUB_NOT_ALLOWED = -504;

const MAGIC = "AZHC";
const VERSION = 1;
const CHECKSUM_BYTES = 8;
export const FINGERPRINT_BYTES = 8;

/** Host suffixes of the public, China and US Government IoT Hub clouds. */
export const DEFAULT_HUB_SUFFIXES = [".azure-devices.net", ".azure-devices.cn", ".azure-devices.us"];

export interface HubAssignment {
  assignedHub: string;
  deviceId: string;
}

/** What the record is bound to: a different scope, registration or key makes it foreign. */
export interface HubCacheBinding {
  idScope: string;
  registrationId: string;
  /** FINGERPRINT_BYTES bytes as a byte string, from credentialFingerprint(). */
  fingerprint: string;
}

type Sha256 = (data: Uint8Array) => Uint8Array;

/** The bytes of a byte string (each character 0..255). */
export function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function stringOf(bytes: Uint8Array, count: number): string {
  let s = "";
  for (let i = 0; i < count; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** A short one-way fingerprint of the credential (key or certificate), never the secret. */
export function credentialFingerprint(credential: string, sha256: Sha256): string {
  return stringOf(sha256(bytesOf("azhub-cache-binding\n" + credential)), FINGERPRINT_BYTES);
}

/**
 * A host name the device may connect to: letters, digits, '-' and '.', at most 253
 * characters, ending in one of the allowed suffixes (case-insensitive).
 */
export function isAllowedHub(host: string, suffixes: string[]): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const lower = host.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46;
    if (!ok) return false;
  }
  for (let i = 0; i < suffixes.length; i++) {
    const suffix = suffixes[i].toLowerCase();
    if (lower.length > suffix.length && lower.endsWith(suffix)) return true;
  }
  return false;
}

function field(value: string): string | undefined {
  return value.length > 255 ? undefined : String.fromCharCode(value.length) + value;
}

/**
 * Encodes the record: "AZHC", version, then length-prefixed scope, registration id,
 * fingerprint, hub and device id, then 8 bytes of SHA-256 over all of that.
 * Returns the byte string, or ERR_TOO_LARGE / ERR_BAD_ARGUMENT.
 */
export function encodeHubCache(binding: HubCacheBinding, assignment: HubAssignment, sha256: Sha256): string | number {
  if (binding.fingerprint.length !== FINGERPRINT_BYTES || assignment.assignedHub === "" || assignment.deviceId === "") return ERR_BAD_ARGUMENT;
  const parts = [field(binding.idScope), field(binding.registrationId), field(binding.fingerprint), field(assignment.assignedHub), field(assignment.deviceId)];
  let body = MAGIC + String.fromCharCode(VERSION);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) return ERR_TOO_LARGE;
    body += p;
  }
  if (body.length + CHECKSUM_BYTES > HUB_CACHE_MAX_BYTES) return ERR_TOO_LARGE;
  for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) > 255) return ERR_BAD_ARGUMENT;
  return body + stringOf(sha256(bytesOf(body)), CHECKSUM_BYTES);
}

/**
 * Reads a record back. Returns the assignment, or CACHE_ABSENT (nothing stored),
 * CACHE_CORRUPT (wrong magic, version, length or checksum) or CACHE_FOREIGN (a valid
 * record for another scope, registration or credential).
 */
export function decodeHubCache(record: string | undefined, binding: HubCacheBinding, sha256: Sha256): HubAssignment | number {
  if (record === undefined || record.length === 0) return CACHE_ABSENT;
  if (record.length > HUB_CACHE_MAX_BYTES || record.length < MAGIC.length + 1 + 5 + CHECKSUM_BYTES) return CACHE_CORRUPT;
  if (record.substr(0, MAGIC.length) !== MAGIC || record.charCodeAt(MAGIC.length) !== VERSION) return CACHE_CORRUPT;
  const body = record.substring(0, record.length - CHECKSUM_BYTES);
  const checksum = record.substring(record.length - CHECKSUM_BYTES);
  if (stringOf(sha256(bytesOf(body)), CHECKSUM_BYTES) !== checksum) return CACHE_CORRUPT;

  const fields: string[] = [];
  let at = MAGIC.length + 1;
  for (let i = 0; i < 5; i++) {
    if (at >= body.length) return CACHE_CORRUPT;
    const length = body.charCodeAt(at);
    if (at + 1 + length > body.length) return CACHE_CORRUPT;
    fields.push(body.substr(at + 1, length));
    at += 1 + length;
  }
  if (at !== body.length || fields[3] === "" || fields[4] === "") return CACHE_CORRUPT;
  if (fields[0] !== binding.idScope || fields[1] !== binding.registrationId || fields[2] !== binding.fingerprint) return CACHE_FOREIGN;
  return { assignedHub: fields[3], deviceId: fields[4] };
}
