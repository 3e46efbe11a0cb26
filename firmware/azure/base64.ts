// Base64 (RFC 4648 section 4, standard alphabet) for SAS keys and signatures. Written here
// rather than over atob/btoa: Espruino's atob silently accepts whitespace, "-" and "_", and
// Node has no atob on the device side of the HAL. Decoders return a negative status instead
// of throwing.
import { ERR_BAD_BASE64 } from "../status";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 text of `bytes`, padded with "=". */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63) + ALPHABET.charAt((v >> 6) & 63) + ALPHABET.charAt(v & 63);
  }
  if (n - i === 1) {
    const v = bytes[i] << 16;
    out += ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63) + "==";
  } else if (n - i === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63) + ALPHABET.charAt((v >> 6) & 63) + "=";
  }
  return out;
}

/** The 6-bit value of one base64 character code, or -1. */
function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c === 43) return 62; // +
  if (c === 47) return 63; // /
  return -1;
}

/** Strict decode: length a multiple of 4, "=" only as the last one or two characters, and
 *  the unused bits of the last character zero (RFC 4648 sections 3.3 and 3.5), so each byte
 *  sequence has exactly one accepted text. Returns the bytes or ERR_BAD_BASE64. */
export function base64Decode(text: string): Uint8Array | number {
  return decode(text, false);
}

/** Lenient decode, what real keys need: padding optional (the Node SDK test key "key" is
 *  unpadded and means 0x91 0xEC) and unused trailing bits ignored, as Node's Buffer does.
 *  Still refuses characters outside the alphabet, whitespace included, and a length that
 *  leaves one lone character. Returns the bytes or ERR_BAD_BASE64. */
export function base64DecodeLenient(text: string): Uint8Array | number {
  return decode(text, true);
}

function decode(text: string, lenient: boolean): Uint8Array | number {
  let length = text.length;
  let padding = 0;
  while (length > 0 && padding < 2 && text.charCodeAt(length - 1) === 61) {
    length--;
    padding++;
  }
  // Data characters per final group: 2 -> 1 byte, 3 -> 2 bytes; 1 is never valid.
  const tail = length & 3;
  if (tail === 1) return ERR_BAD_BASE64;
  if (padding > 0 && padding !== (4 - tail) % 4) return ERR_BAD_BASE64;
  if (!lenient && (length + padding) % 4 !== 0) return ERR_BAD_BASE64;

  const out = new Uint8Array(((length >> 2) * 3) + (tail === 0 ? 0 : tail - 1));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < length; i++) {
    const v = sextet(text.charCodeAt(i));
    if (v < 0) return ERR_BAD_BASE64; // includes "=" inside the text
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (!lenient && (acc & ((1 << bits) - 1)) !== 0) return ERR_BAD_BASE64;
  return out;
}
