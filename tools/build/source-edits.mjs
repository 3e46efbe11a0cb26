// Text edits on source by acorn positions, shared by the build's passes.

/** Replaces [from, to) ranges with text; ranges must not overlap (an insertion may sit at
 *  the start of a removal: the later end goes first). */
export function applyEdits(code, edits) {
  edits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  for (const [from, to, text] of edits) code = code.slice(0, from) + text + code.slice(to);
  return code;
}
