// String search that gives the same answer on Espruino 2v29 as on Node. The interpreter's
// String indexOf (and includes) also reports a needle whose first characters end the text:
// "hello world".indexOf("worlds") is 6 and ",a,b,".indexOf(",c,") is 4 (measured on both
// 2v29 Linux builds, test/espruino/text.probe.ts). A false hit can only lie past the last
// place a whole needle fits, so every true hit comes first and the fix is one comparison.
// startsWith, endsWith, lastIndexOf and array indexOf are right; use startsWith for prefixes.
import { BYTE_STRINGS } from "./azure/bytes";

/** Index of needle in text at or after from, or -1: String indexOf without the false hits. */
export function findText(text: string, needle: string, from?: number): number {
  // "".indexOf("") is -1 on 2v29 too.
  if (needle.length === 0) return from === undefined || from < 0 ? 0 : from < text.length ? from : text.length;
  const at = from === undefined ? text.indexOf(needle) : text.indexOf(needle, from);
  return at >= 0 && at + needle.length <= text.length ? at : -1;
}

// One model of text from and to the service. Everything arrives as UTF-8 bytes (payloads,
// topics, percent-escapes) and JSON may also carry \uXXXX escapes (surrogate pairs for
// characters beyond U+FFFF). The application gets the same characters on every build:
// - on a Unicode build (Node; the stock Linux interpreter) text is decoded: "é" is one char;
// - on an 8-bit build (ESP32; espruino-esp32) text holds its UTF-8 bytes: "é" is C3 A9.
// The 8-bit JSON.parse turns "\u00e9" into the one byte E9 (and loses surrogate pairs), and
// its JSON.stringify writes bytes >= 0x80 as "\u00C3" escapes; both are rewritten here.
// No Node or Espruino API: String.fromCharCode keeps only the low byte on Espruino, so a
// Unicode build decodes through JSON's own \u escapes.

const HEX = "0123456789abcdef";

function hex4(c: number): string {
  return "\\u" + HEX.charAt((c >> 12) & 15) + HEX.charAt((c >> 8) & 15) + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15);
}

/** The value of the 4 hex digits at s[i..i+3], or -1. */
function hexAt(s: string, i: number): number {
  if (i + 4 > s.length) return -1;
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = s.charCodeAt(k);
    const l = c | 32; // A-F onto a-f
    const d = c >= 48 && c <= 57 ? c - 48 : l >= 97 && l <= 102 ? l - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** The UTF-8 bytes of one code point as a byte string. */
function utf8Of(c: number): string {
  const f = String.fromCharCode;
  if (c < 0x80) return f(c);
  if (c < 0x800) return f(0xc0 | (c >> 6), 0x80 | (c & 63));
  if (c < 0x10000) return f(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  return f(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
}

/** Byte string -> the same text with each UTF-8 sequence as \u escapes (a malformed byte as
 *  U+FFFD). With `literal`, also " \ and control characters, so the result is a JSON string
 *  body. Exported for the tests of the Unicode path on any build. */
export function escapeUtf8(s: string, literal: boolean): string {
  let out = "";
  let from = 0; // start of the run of plain characters not yet copied
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b < 0x80 && !(literal && (b < 0x20 || b === 0x22 || b === 0x5c))) continue;
    out += s.substring(from, i);
    let c = 0xfffd;
    let n = 0;
    if (b < 0x80) c = b;
    else if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) n = 2;
    else if (b >= 0xf0 && b <= 0xf4) n = 3;
    if (n > 0) {
      let v = b & (0x3f >> n);
      let k = 1;
      for (; k <= n && i + k < s.length; k++) {
        const t = s.charCodeAt(i + k);
        if ((t & 0xc0) !== 0x80) break;
        v = (v << 6) | (t & 63);
      }
      // Complete, shortest form, not a surrogate, at most U+10FFFF.
      if (k > n && v >= (n === 1 ? 0x80 : n === 2 ? 0x800 : 0x10000) && v <= 0x10ffff && (v < 0xd800 || v > 0xdfff)) {
        c = v;
        i += n;
      }
    }
    out += c >= 0x10000 ? hex4(0xd800 + ((c - 0x10000) >> 10)) + hex4(0xdc00 + ((c - 0x10000) & 0x3ff)) : hex4(c);
    from = i + 1;
  }
  return from === 0 ? s : out + s.substring(from);
}

/** 8-bit builds: JSON text with each \u escape of a character >= 0x80 replaced by its UTF-8
 *  bytes (`bytes`: by the one byte it names, for JSON.stringify's output). Escaped
 *  backslashes are skipped, so "\\u00e9" stays text. Exported for the tests of the 8-bit path. */
export function unescapeJson(s: string, bytes: boolean): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 0x5c) continue;
    if (s.charAt(i + 1) !== "u") {
      i++; // an escaped character: never the start of an escape
      continue;
    }
    let c = hexAt(s, i + 2);
    if (c < 0x80 || (bytes && c > 0xff)) continue;
    let end = i + 6;
    if (!bytes && c >= 0xd800 && c <= 0xdfff) {
      const low = s.charAt(end) === "\\" && s.charAt(end + 1) === "u" ? hexAt(s, end + 2) : -1;
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        end += 6;
      } else c = 0xfffd;
    }
    out += s.substring(from, i) + (bytes ? String.fromCharCode(c) : utf8Of(c));
    from = end;
    i = end - 1;
  }
  return from === 0 ? s : out + s.substring(from);
}

/** Text from the service (UTF-8 bytes in a byte string: a C2D body, a property name or
 *  value) as the application's text on this build. */
export function utf8Text(bytes: string): string {
  if (BYTE_STRINGS) return bytes;
  const escaped = escapeUtf8(bytes, true);
  return escaped === bytes ? bytes : (JSON.parse("\"" + escaped + "\"") as string);
}

/** JSON from the service (a byte string) as JSON text that JSON.parse turns into the
 *  application's text on this build: desired properties, twin documents, method payloads. */
export function serviceJson(bytes: string): string {
  if (BYTE_STRINGS) return unescapeJson(bytes, false);
  return escapeUtf8(bytes, false);
}

/** JSON for the service: JSON.stringify, with an 8-bit build's "\u00C3"-style escapes of
 *  bytes put back as the bytes (text the application holds is UTF-8 already). */
export function jsonForService(value: unknown): string {
  const text = JSON.stringify(value);
  return BYTE_STRINGS && text !== undefined ? unescapeJson(text, true) : text;
}
