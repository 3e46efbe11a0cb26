// Text to bytes for the credential code (HMAC messages, URL encoding). A string is text and
// goes in as its UTF-8 bytes, so Node and the device agree: on Espruino 2v29, text decoded
// from JSON is a Unicode string whose charCodeAt gives code points (an emoji is one char,
// code 0x1F600), on Node the same text is UTF-16 (an emoji is a surrogate pair); both encode
// to the same UTF-8 bytes here, the bytes Espruino's own crypto.SHA256(string) would hash.
// ASCII is unchanged. On a build with 8-bit strings (ESP32) a string already is those bytes
// and is copied as it is. Raw binary belongs in a Uint8Array, never in a string: on a
// Unicode build a "byte string" holding 0x80..0xFF would be encoded a second time.
// A lone UTF-16 surrogate becomes U+FFFD (EF BF BD), as in Node's Buffer.from(text).

/** True on builds without Unicode strings (ESP32: the escape \u20ac becomes the one byte
 *  0xAC). There a string already holds the bytes of its text (UTF-8 source literals, socket
 *  data), so it passes through unchanged instead of being encoded twice. (fromCharCode is no
 *  test: it keeps only the low byte even on the Unicode-aware Linux build.) */
export const BYTE_STRINGS = "\u20ac".charCodeAt(0) !== 0x20ac;

/** Number of UTF-8 bytes `text` encodes to. */
export function utf8Length(text: string): number {
  if (BYTE_STRINGS) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0x10000) n += 4; // Espruino: one char per code point
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3; // BMP character, or a lone surrogate written as U+FFFD
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Writes the UTF-8 bytes of `text` into `out` at `offset`; returns the offset after them.
 *  `out` must have utf8Length(text) bytes free (callers size it with utf8Length). */
export function writeUtf8(text: string, out: Uint8Array, offset: number): number {
  let o = offset;
  if (BYTE_STRINGS) {
    for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
    return o;
  }
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff && c < 0x10000) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && isLowSurrogate(next)) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c >= 0x10000) {
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 0x3f);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/** The UTF-8 bytes of `text` in a new array. */
export function utf8Bytes(text: string): Uint8Array {
  const out = new Uint8Array(utf8Length(text));
  writeUtf8(text, out, 0);
  return out;
}
