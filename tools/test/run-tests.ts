// Runs every test/**/*.test.ts with uvu in one process and closes with the plain
// "N passed, N failed" line that CI reads. Usage: run-tests.ts [substring filter]
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "../..");
const filter = process.argv[2];

function collect(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith(".test.ts")) out.push(full);
  }
  return out;
}

const files = collect(join(root, "test"), []).filter((f) => !filter || relative(root, f).includes(filter));

// uvu prints "Total: N" / "Passed: N" / "Skipped: N"; keep them to write our closing line.
let printed = "";
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  printed += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
  if (printed.length > 4096) printed = printed.slice(-4096);
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;

(globalThis as Record<string, unknown>).UVU_DEFER = 1;
const uvu = await import("uvu");
const queue = (globalThis as unknown as { UVU_QUEUE: unknown[][] }).UVU_QUEUE;
let index = 0;
for (const file of files) {
  (globalThis as Record<string, unknown>).UVU_INDEX = index++;
  queue.push([relative(root, file)]);
  await import(pathToFileURL(file).href);
}
await uvu.exec(false);

// eslint-disable-next-line no-control-regex
const plain = printed.replace(/\x1b\[[0-9;]*m/g, "");
const total = Number((/Total:\s+(\d+)/.exec(plain) || [])[1] || 0);
const passed = Number((/Passed:\s+(\d+)/.exec(plain) || [])[1] || 0);
const skipped = Number((/Skipped:\s+(\d+)/.exec(plain) || [])[1] || 0);
process.stdout.write = write;
// uvu's Total counts the tests that ran; skipped ones are reported apart.
const failed = total - passed;
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (total === 0) {
  console.log("no test ran");
  process.exitCode = 1;
}
if (failed > 0) process.exitCode = 1;
// Sockets or servers a failed test left open must not keep CI waiting.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
