// npm run bench [-- --json] [filter]: runs every tools/bench/*.bench.ts and prints one table,
// then every target it checked (met or missed) and every figure it skipped, with the reason;
// with --json the last line is one JSON object { "<bench>.<figure>": value, ... } of the
// figures measured. Each bench file's default export returns rows of figures; targets are
// checked here, in benchmarks, never in timed tests.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchRow } from "./row";

export type { BenchRow } from "./row";

const HELP = `npm run bench [-- --json] [filter]

Runs every tools/bench/*.bench.ts whose name contains filter and prints one table of figures
with their targets. --json adds a last line with one JSON object of all figures. With
ESPRUINO set to an interpreter, the jsvars bench also runs the bundle on it.
`;

const args = process.argv.slice(2);
const positionals = args.filter((a) => !a.startsWith("-"));
const unknown = args.filter((a) => a.startsWith("-") && a !== "--json" && a !== "--help" && a !== "-h");
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (unknown.length > 0 || positionals.length > 1) {
  // A wrong option never runs every bench: the message, then the usage.
  process.stderr.write(`npm run bench: ${unknown.length > 0 ? `unknown option ${unknown[0]}` : "at most one filter"}\n\n${HELP}`);
  process.exit(2);
}
const json = args.includes("--json");
const filter = positionals[0];
const dir = import.meta.dirname;
const files = readdirSync(dir).filter((f) => f.endsWith(".bench.ts") && (!filter || f.includes(filter))).sort();

function meets(value: number, target: string): boolean {
  const m = /^(<=|>=|<|>)\s*([\d.e+-]+)/.exec(target);
  if (!m) return true;
  const limit = Number(m[2]);
  return m[1] === "<=" ? value <= limit : m[1] === ">=" ? value >= limit : m[1] === "<" ? value < limit : value > limit;
}

const all: Record<string, number> = {};
const lines: string[] = [];
const checked: string[] = [];
const skipped: Array<{ key: string; reason: string }> = [];
let missed = 0;
for (const file of files) {
  const bench = file.replace(/\.bench\.ts$/, "");
  const mod = await import(pathToFileURL(join(dir, file)).href);
  const rows: BenchRow[] = await mod.default();
  for (const row of rows) {
    const key = `${bench}.${row.name}`;
    if (row.skipped !== undefined) {
      skipped.push({ key, reason: row.skipped });
      lines.push(`${key.padEnd(44)} ${"-".padStart(12)} ${row.unit.padEnd(10)} skipped: ${row.skipped}${row.target ? ` (target ${row.target} not checked)` : ""}`);
      continue;
    }
    all[key] = row.value;
    let mark = "";
    if (row.target) {
      const ok = meets(row.value, row.target);
      if (!ok) missed++;
      mark = `${ok ? "ok" : "MISS"} (${row.target})`;
      checked.push(`  ${(ok ? "ok" : "MISS").padEnd(5)}${key}: ${row.value} ${row.unit}, target ${row.target}`);
    }
    lines.push(`${key.padEnd(44)} ${String(row.value).padStart(12)} ${row.unit.padEnd(10)} ${mark}${row.note ? "  " + row.note : ""}`);
  }
}
console.log(`${"figure".padEnd(44)} ${"value".padStart(12)} ${"unit".padEnd(10)} target`);
for (const line of lines) console.log(line);
console.log("");
if (checked.length === 0) console.log("targets: none checked");
else {
  console.log(`targets: ${checked.length} checked, ${checked.length - missed} met, ${missed} missed`);
  for (const line of checked) console.log(line);
}
if (skipped.length === 0) console.log("skipped: none");
else {
  // One line per reason: the figures it kept from being measured.
  const reasons: string[] = [];
  for (const s of skipped) if (!reasons.includes(s.reason)) reasons.push(s.reason);
  console.log(`skipped: ${skipped.length} figures not measured`);
  for (const reason of reasons) console.log(`  ${skipped.filter((s) => s.reason === reason).map((s) => s.key).join(", ")}: ${reason}`);
}
if (json) console.log(JSON.stringify(all));
