// SAS token generation time: on Node with node:crypto's SHA-256 injected, and, when ESPRUINO
// names an interpreter, on it through test/espruino/sas.probe.ts (FIGURE sas_ms). The
// interpreter figure comes from the Linux build on this machine; an ESP32 is slower.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { hubResource, sasToken } from "../../firmware/azure/sas";
import { buildProbe, runOnInterpreter } from "../espruino/smoke";
import { skippedRow, type BenchRow } from "./row";

const KEY = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
const sha256 = (data: Uint8Array): Uint8Array => createHash("sha256").update(data).digest();

function nodeRows(): BenchRow[] {
  let sink = 0;
  const mint = (i: number): void => {
    const p = sasToken(hubResource("my-hub.azure-devices.net", "device-0001"), KEY, 1767229200 + i, sha256);
    sink += typeof p === "string" ? p.length : p;
  };
  for (let i = 0; i < 2000; i++) mint(i); // warm-up
  const rounds = 20000;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) mint(i);
  const ms = performance.now() - start;
  if (sink === 0) throw new Error("no tokens");
  const us = (ms * 1000) / rounds;
  return [
    { name: "node_token_us", value: Math.round(us * 100) / 100, unit: "us", note: "hub token, 64-byte key, node:crypto SHA-256" },
    { name: "node_tokens_per_s", value: Math.round(1e6 / us), unit: "ops/s" },
  ];
}

async function interpreterRows(interpreter: string): Promise<BenchRow[]> {
  const outDir = mkdtempSync(join(tmpdir(), "sas-bench-"));
  try {
    const [minified] = await buildProbe(resolve(import.meta.dirname, "../../test/espruino/sas.probe.ts"), outDir);
    const run = await runOnInterpreter(interpreter, minified, outDir);
    const line = run.lines.find((l) => l.startsWith("FIGURE sas_ms "));
    const failed = run.lines.filter((l) => l.startsWith("FAIL ")).length;
    if (!line) return [{ name: "espruino_token_ms", value: -1, unit: "ms", note: "probe printed no figure" }];
    return [{
      name: "espruino_token_ms", value: Number(line.split(" ")[2]), unit: "ms",
      note: `minified probe on ${interpreter.replace(/^.*\//, "")} (host build)${failed ? `, ${failed} checks FAILED` : ""}`,
    }];
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export default async function (): Promise<BenchRow[]> {
  const rows = nodeRows();
  const interpreter = process.env.ESPRUINO;
  if (interpreter && existsSync(interpreter)) rows.push(...(await interpreterRows(interpreter)));
  else rows.push(skippedRow("espruino_token_ms", "ms", interpreter ? "ESPRUINO names no file: " + interpreter : "ESPRUINO is not set (the path of an Espruino interpreter to run on)"));
  return rows;
}
