// Strict URL encoding for SAS `sr`, `sig` and `skn`: only the RFC 3986
// unreserved characters A-Z a-z 0-9 - _ . ~ pass; every other UTF-8 byte becomes %XX in
// upper-case hex, including ! ' ( ) * that encodeURIComponent leaves alone (Embedded C
// az_span_url_encode does the same). Text enters as UTF-8 (firmware/azure/bytes.ts).
import { utf8Bytes } from "./bytes";

const HEX = "0123456789ABCDEF";

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46 || c === 126;
}

/** `text` with every byte outside the unreserved set written %XX (upper-case). */
export function urlEncode(text: string): string {
  let i = 0;
  while (i < text.length && isUnreserved(text.charCodeAt(i))) i++;
  if (i === text.length) return text; // the common case: nothing to encode, no allocation
  let out = text.substring(0, i);
  const bytes = utf8Bytes(text.substring(i));
  for (let j = 0; j < bytes.length; j++) {
    const b = bytes[j];
    if (isUnreserved(b)) out += String.fromCharCode(b);
    else out += "%" + HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  }
  return out;
}
