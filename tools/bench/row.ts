// One figure of a bench (tools/bench/main.ts prints them). Apart from main.ts so a bench can
// import skippedRow without importing the runner itself.
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** A target this figure should meet, e.g. "<= 4096"; printed with a pass/miss mark. */
  target?: string;
  note?: string;
  /** Not measured this run, and why (e.g. no interpreter named): printed as skipped. */
  skipped?: string;
}

/** A row for a figure this run cannot measure. */
export function skippedRow(name: string, unit: string, reason: string, target?: string): BenchRow {
  return { name, value: NaN, unit, skipped: reason, target };
}
