// Bundle bytes from the last `npm run build` (dist/size.json).
import { readFileSync } from "node:fs";
import type { BenchRow } from "./main";

export default async function (): Promise<BenchRow[]> {
  const size = JSON.parse(readFileSync("dist/size.json", "utf8")) as { total: number; modules: Record<string, number> };
  const rows: BenchRow[] = [{ name: "total", value: size.total, unit: "bytes" }];
  for (const [module, bytes] of Object.entries(size.modules)) rows.push({ name: module, value: bytes, unit: "bytes" });
  return rows;
}
