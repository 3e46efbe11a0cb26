// String search that gives the same answer on Espruino 2v29 as on Node. The interpreter's
// String indexOf (and includes) also reports a needle whose first characters end the text:
// "hello world".indexOf("worlds") is 6 and ",a,b,".indexOf(",c,") is 4 (measured on both
// 2v29 Linux builds, test/espruino/text.probe.ts). A false hit can only lie past the last
// place a whole needle fits, so every true hit comes first and the fix is one comparison.
// startsWith, endsWith, lastIndexOf and array indexOf are right; use startsWith for prefixes.

/** Index of needle in text at or after from, or -1: String indexOf without the false hits. */
export function findText(text: string, needle: string, from?: number): number {
  // "".indexOf("") is -1 on 2v29 too.
  if (needle.length === 0) return from === undefined || from < 0 ? 0 : from < text.length ? from : text.length;
  const at = from === undefined ? text.indexOf(needle) : text.indexOf(needle, from);
  return at >= 0 && at + needle.length <= text.length ? at : -1;
}
