// HMAC-SHA256 (RFC 2104, vectors in RFC 4231) over an injected SHA-256: Espruino has
// crypto.SHA256 but no HMAC, and SHA-256 itself must stay native, so this file only builds
// the two padded blocks. Exactly two sha256 calls per HMAC, plus one first when the key is
// longer than the 64-byte block (RFC 2104 section 2). Never throws, never fails.
import { utf8Bytes, utf8Length, writeUtf8 } from "./bytes";

/** SHA-256 of bytes, 32 bytes out: the HAL's (crypto.SHA256 on the device). */
export type Sha256 = (data: Uint8Array) => Uint8Array;

const BLOCK = 64;
const DIGEST = 32;

/** HMAC-SHA256 of `message` under `key`. Strings are text and enter as their UTF-8 bytes
 *  (firmware/azure/bytes.ts); pass binary as a Uint8Array. Returns the 32-byte MAC. */
export function hmacSha256(key: Uint8Array | string, message: Uint8Array | string, sha256: Sha256): Uint8Array {
  let k = typeof key === "string" ? utf8Bytes(key) : key;
  if (k.length > BLOCK) k = sha256(k);
  const messageLength = typeof message === "string" ? utf8Length(message) : message.length;

  // Inner: H((K ^ ipad) || message). Bytes of K past its length are zero, so they XOR to the pad.
  const inner = new Uint8Array(BLOCK + messageLength);
  for (let i = 0; i < BLOCK; i++) inner[i] = (i < k.length ? k[i] : 0) ^ 0x36;
  if (typeof message === "string") writeUtf8(message, inner, BLOCK);
  else inner.set(message, BLOCK);
  const innerHash = sha256(inner);

  // Outer: H((K ^ opad) || inner hash).
  const outer = new Uint8Array(BLOCK + DIGEST);
  for (let i = 0; i < BLOCK; i++) outer[i] = (i < k.length ? k[i] : 0) ^ 0x5c;
  outer.set(innerHash, BLOCK);
  return sha256(outer);
}

