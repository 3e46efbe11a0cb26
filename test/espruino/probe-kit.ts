// The tiny protocol between a probe bundle running on the interpreter and
// tools/espruino/smoke.ts: one line per check, "PASS name" or "FAIL name: detail",
// "FIGURE name value" for measurements, and "DONE" last. An "OUT OF MEMORY" from the
// interpreter fails a probe unless it said first that running out is what it tests.

let failures = 0;

export function check(name: string, ok: boolean, detail?: string): void {
  if (ok) console.log("PASS " + name);
  else {
    failures++;
    console.log("FAIL " + name + ": " + (detail === undefined ? "" : detail));
  }
}

/** Runs fn and checks it returned true; a thrown error fails the check with its message. */
export function probe(name: string, fn: () => boolean | string): void {
  try {
    const result = fn();
    if (result === true) check(name, true);
    else check(name, false, result === false ? "returned false" : String(result));
  } catch (e) {
    check(name, false, "threw " + String((e as { message?: string }).message || e));
  }
}

/** Running out of memory is what this probe tests (and its checks say whether it was
 *  survived): the interpreter's "OUT OF MEMORY" lines are then reported, not failures. */
export function expectOutOfMemory(): void {
  console.log("EXPECT OUT OF MEMORY");
}

export function figure(name: string, value: number): void {
  console.log("FIGURE " + name + " " + value);
}

export function done(): void {
  console.log("DONE " + failures);
}
