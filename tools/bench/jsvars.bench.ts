// JsVars of the real bundle on the interpreter named by ESPRUINO (skipped without it): after
// boot and while connected, from the end-to-end smoke run (tools/espruino/e2e.ts), which boots
// dist/firmware.js from Storage against the simulator over TLS.
import { resolve } from "node:path";
import { skippedRow, type BenchRow } from "./row";
import { runEndToEnd } from "../espruino/e2e";

export default async function (): Promise<BenchRow[]> {
  const interpreter = process.env.ESPRUINO;
  if (!interpreter) {
    const why = "ESPRUINO is not set (the path of an Espruino interpreter to run on)";
    return ["after_boot", "connected", "peak", "connected_client", "reconnect_peak_client", "cold_boot_peak_client"].map((name) => skippedRow(name, "jsvars", why));
  }
  const result = await runEndToEnd(interpreter, resolve("dist/firmware.js"));
  const text = result.report.join("\n");
  const memory = /after boot (\d+)\/(\d+); while connected (\d+)\/\d+ \(after GC\); peak (\d+)/.exec(text);
  if (!result.ok || !memory) return [{ name: "e2e_failed", value: 1, unit: "bool", note: result.report.slice(-3).join(" | ") }];
  const client = /client itself while connected: about (\d+)/.exec(text);
  const note = `of ${memory[2]} on ${interpreter.replace(/^.*\//, "")}`;
  const tls = /(\d+) JsVars are one open TLS socket/.exec(text);
  const rows: BenchRow[] = [
    { name: "after_boot", value: Number(memory[1]), unit: "jsvars", target: "<= 1500", note },
    { name: "connected", value: Number(memory[3]), unit: "jsvars", note: note + "; includes one TLS socket on Linux" },
    { name: "peak", value: Number(memory[4]), unit: "jsvars", note },
  ];
  if (client) rows.push({ name: "connected_client", value: Number(client[1]), unit: "jsvars", target: "<= 2000", note: "connected minus the TLS socket (native heap on an ESP32)" });
  const reconnect = /reconnect: .*the client itself about (\d+)/.exec(text);
  if (reconnect) rows.push({ name: "reconnect_peak_client", value: Number(reconnect[1]), unit: "jsvars", target: "<= 2500", note: "the highest of a warm boot whose hub connection is dropped and made again, minus the TLS socket" });
  if (tls) rows.push({ name: "cold_boot_peak_client", value: Number(memory[4]) - Number(tls[1]), unit: "jsvars", note: "the peak of the cold boot (DPS and its module, then the hub) minus the TLS socket" });
  return rows;
}
