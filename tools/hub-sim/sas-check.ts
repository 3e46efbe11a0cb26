// Service-side SAS token checking, written independently of firmware/ (node:crypto only), so
// the simulator judges the device's tokens the way the service would (SAS tokens):
//   password = "SharedAccessSignature " + fields joined by "&" in any order: sr, sig, se[, skn]
//   sig      = base64(HMAC-SHA256(base64decode(key), sr + "\n" + se)), URL-encoded
// The HMAC is checked over the `sr` exactly as sent; the decoded `sr` must name the expected
// resource, so `%2F`, `%2f` and a raw `/` all pass when they were signed as sent.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface SasFields {
  /** `sr` as sent (still URL-encoded). */
  sr: string;
  /** `sig` as sent (URL-encoded base64). */
  sig: string;
  se: string;
  /** `skn` as sent, or undefined when absent. */
  skn: string | undefined;
}

export interface SasExpectation {
  /** The decoded resource the token must name, e.g. `host/devices/dev1`; or the resources
   *  any of which it may name (a policy token may be scoped to a prefix: `host`, ...). */
  resource: string | string[];
  /** Candidate keys (base64); the token passes if it was signed with any of them. */
  keys: string[];
  /** The simulator's clock, epoch ms. A token with se * 1000 <= nowMs is expired. */
  nowMs: number;
  /** Required `skn` value (DPS: "registration"); undefined means `skn` must be absent. */
  keyName: string | undefined;
}

export type SasVerdict =
  | { ok: true; expiresAtMs: number; keyIndex: number; fields: SasFields }
  | { ok: false; reason: string };

const PREFIX = "SharedAccessSignature ";

/** Splits a SAS password into its fields; returns a reason string when malformed. */
export function parseSas(password: string): SasFields | string {
  if (!password.startsWith(PREFIX)) return "not a SharedAccessSignature";
  const found: Record<string, string> = {};
  for (const part of password.slice(PREFIX.length).split("&")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return "malformed field '" + part + "'";
    const name = part.slice(0, eq);
    if (name !== "sr" && name !== "sig" && name !== "se" && name !== "skn") return "unknown field '" + name + "'";
    if (found[name] !== undefined) return "duplicate field '" + name + "'";
    found[name] = part.slice(eq + 1);
  }
  if (found.sr === undefined || found.sig === undefined || found.se === undefined) return "sr, sig and se are required";
  return { sr: found.sr, sig: found.sig, se: found.se, skn: found.skn };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** base64(HMAC-SHA256(base64decode(keyBase64), message)). */
export function hmacBase64(keyBase64: string, message: string): string {
  return createHmac("sha256", Buffer.from(keyBase64, "base64")).update(message, "utf8").digest("base64");
}

/** Group enrollment: deviceKey = base64(HMAC-SHA256(base64decode(groupKey), registrationId)). */
export function deriveDeviceKey(groupKeyBase64: string, registrationId: string): string {
  return hmacBase64(groupKeyBase64, registrationId);
}

/** Checks a SAS password against the expected resource, keys, clock and key name. */
export function checkSas(password: string, expect: SasExpectation): SasVerdict {
  const fields = parseSas(password);
  if (typeof fields === "string") return { ok: false, reason: fields };
  const resource = decode(fields.sr);
  const accepted = typeof expect.resource === "string" ? [expect.resource] : expect.resource;
  if (resource === undefined || accepted.indexOf(resource) < 0) return { ok: false, reason: "sr names '" + resource + "', expected '" + accepted.join("' or '") + "'" };
  if (expect.keyName === undefined) {
    if (fields.skn !== undefined) return { ok: false, reason: "unexpected skn '" + fields.skn + "'" };
  } else if (fields.skn === undefined || decode(fields.skn) !== expect.keyName) {
    return { ok: false, reason: "skn must be '" + expect.keyName + "'" };
  }
  if (!/^[0-9]{1,12}$/.test(fields.se)) return { ok: false, reason: "se is not a decimal number of seconds" };
  const expiresAtMs = Number(fields.se) * 1000;
  if (expiresAtMs <= expect.nowMs) return { ok: false, reason: "token expired (se " + fields.se + ")" };
  const sigText = decode(fields.sig);
  const sig = sigText === undefined ? undefined : Buffer.from(sigText, "base64");
  if (sig === undefined || sig.length !== 32 || sig.toString("base64") !== sigText) {
    return { ok: false, reason: "sig is not a base64 SHA-256 HMAC" };
  }
  const stringToSign = fields.sr + "\n" + fields.se;
  for (let i = 0; i < expect.keys.length; i++) {
    const expected = Buffer.from(hmacBase64(expect.keys[i], stringToSign), "base64");
    if (timingSafeEqual(expected, sig)) return { ok: true, expiresAtMs, keyIndex: i, fields };
  }
  return { ok: false, reason: "signature mismatch" };
}

/** Builds a token the way a careful device does (strict encoding, upper-case %2F). For tools and demos. */
export function makeSas(resource: string, keyBase64: string, expirySeconds: number, keyName?: string): string {
  const sr = strictEncode(resource);
  const sig = hmacBase64(keyBase64, sr + "\n" + expirySeconds);
  let token = PREFIX + "sr=" + sr + "&sig=" + strictEncode(sig) + "&se=" + expirySeconds;
  if (keyName !== undefined) token += "&skn=" + strictEncode(keyName);
  return token;
}

/** RFC 3986 encoding: only A-Z a-z 0-9 - _ . ~ pass through; hex in upper case. */
export function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}
