// The flash outbox across real process kills on the interpreter (npm run test:espruino, filter
// "outbox-restart"): test/espruino/outbox-restart-app.ts runs again and again on one Storage
// file; each run accepts messages until it is SIGKILLed after a chosen number of "ACCEPTED"
// lines (a kill can land anywhere, a Storage write included). Every next start must list
// every message accepted before, not yet sent, in order, with its id; the last start sends
// and acknowledges them all, which erases the segments.
import { startInterpreter } from "./interpreter";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const RUN_TIMEOUT_MS = 60_000;
/** Accepted messages after which each run is killed. */
const KILLS = [37, 1, 120, 64];

export async function runOutboxRestart(interpreter: string, app: string): Promise<{ ok: boolean; report: string[] }> {
  const cwd = mkdtempSync(join(tmpdir(), "outbox-restart-"));
  const report: string[] = [];
  let ok = true;
  const fail = (line: string) => {
    ok = false;
    report.push("FAIL " + line);
  };
  const accepted: string[] = [];
  try {
    for (let k = 0; k <= KILLS.length; k++) {
      const last = k === KILLS.length;
      // The last run drains: the app looks for this record (Storage lives in cwd/espruino.flash,
      // written by a first interpreter call).
      if (last) {
        const marker = join(cwd, "drain.js");
        writeFileSync(marker, 'require("Storage").write("obxdrain","1");console.log("MARKED");');
        await startInterpreter(interpreter, [marker], cwd, { timeoutMs: RUN_TIMEOUT_MS, until: /^MARKED/ }).done;
      }
      let count = 0;
      const run = startInterpreter(interpreter, [app], cwd, {
        timeoutMs: RUN_TIMEOUT_MS,
        until: last ? /^DRAINED/ : /^IDLE/,
        onLine: (line) => {
          if (!line.startsWith("ACCEPTED ")) return;
          accepted.push(line.slice(9));
          if (++count === KILLS[k]) run.stop();
        },
      });
      const result = await run.done;
      const queued = result.lines.filter((l) => l.startsWith("QUEUED ")).map((l) => l.slice(7));
      const loaded = result.lines.find((l) => l.startsWith("LOADED "));
      const errors = result.lines.filter((l) => /^Uncaught|Error|OUT OF MEMORY/.test(l));
      if (errors.length) fail(`run ${k + 1}: ${errors[0]}`);
      // Everything accepted before this start is queued, in order. A message whose add the kill
      // interrupted after its write but before "ACCEPTED" was printed may be there too.
      const before = accepted.slice(0, accepted.length - count);
      const known = new Set(before);
      const kept = queued.filter((m) => known.has(m));
      if (kept.join() !== before.join()) fail(`run ${k + 1}: ${before.length} accepted before, ${kept.length} of them found; first difference at ${kept.findIndex((m, i) => m !== before[i])}`);
      const order = queued.map((m) => m.slice(1).split("-").map(Number)).map(([boot, n]) => boot * 1e6 + n);
      if (order.some((v, i) => i > 0 && v <= order[i - 1])) fail(`run ${k + 1}: not in order`);
      report.push(`run ${k + 1}: found ${queued.length} queued (${loaded}), ${last ? "drained" : `killed after ${count} accepted`}`);
      if (last) {
        const drained = result.lines.find((l) => l.startsWith("DRAINED "));
        const [acked, left, segments] = (drained || "DRAINED -1 -1 -1").slice(8).split(" ").map(Number);
        if (acked < before.length || left !== 0 || segments !== 1) fail(`drain: ${drained}`);
        else report.push(`all ${acked} delivered and acknowledged; one segment left for appends`);
      }
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return { ok, report };
}
