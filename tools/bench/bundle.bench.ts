// Bundle bytes from the last `npm run build`: the slot file (dist/firmware.js), its warm code
// (dist/warm.js: what a warm boot evaluates; size.json splits it by module) and each
// on-demand module (dist/mod-*.js).
import { readFileSync, statSync } from "node:fs";
import { ON_DEMAND_MODULES } from "../build/espruino-pipeline.mjs";
import type { BenchRow } from "./main";

export default async function (): Promise<BenchRow[]> {
  const size = JSON.parse(readFileSync("dist/size.json", "utf8")) as { total: number; modules: Record<string, number> };
  const rows: BenchRow[] = [
    { name: "slot_file_bytes", value: statSync("dist/firmware.js").size, unit: "bytes", note: "warm code and on-demand modules" },
    { name: "warm_bytes", value: size.total, unit: "bytes", target: "<= 24576", note: "code evaluated on a warm boot" },
  ];
  for (const m of ON_DEMAND_MODULES) rows.push({ name: "module_" + m.name, value: statSync("dist/mod-" + m.name + ".js").size, unit: "bytes", note: "evaluated on demand" });
  for (const [module, bytes] of Object.entries(size.modules)) rows.push({ name: module, value: bytes, unit: "bytes" });
  return rows;
}
