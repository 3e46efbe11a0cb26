// The numbers in HTTP framing: Content-Length and Content-Range decimals, chunk-size hex
// digits (http-response.ts).

/** Content-Length and Content-Range numbers: at most 9 digits. */
const MAX_NUMBER_DIGITS = 9;

/** A non-negative decimal of at most 9 digits, or -1. */
export function decimal(text: string): number {
  if (text.length === 0 || text.length > MAX_NUMBER_DIGITS) return -1;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** The value of a hex digit (a character code), or -1. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
