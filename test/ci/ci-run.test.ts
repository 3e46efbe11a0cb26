// .ci/run: after npm test it runs the interpreter tests on ../shared/bin/espruino-esp32 when
// that file exists, and skips them (as a user's clone does) when it does not. Run against a
// stand-in npm that records its arguments and ESPRUINO.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";

const root = resolve(import.meta.dirname, "../..");
const ci = suite(".ci/run");

function runCi(withInterpreter: boolean): { log: string; out: string; code: number | null } {
  const top = mkdtempSync(join(tmpdir(), "ci-run-"));
  try {
    const repo = join(top, "repo");
    mkdirSync(join(repo, ".ci"), { recursive: true });
    copyFileSync(join(root, ".ci/run"), join(repo, ".ci/run"));
    chmodSync(join(repo, ".ci/run"), 0o755);
    if (withInterpreter) {
      mkdirSync(join(top, "shared/bin"), { recursive: true });
      writeFileSync(join(top, "shared/bin/espruino-esp32"), "#!/bin/sh\n");
      chmodSync(join(top, "shared/bin/espruino-esp32"), 0o755);
    }
    const bin = join(top, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "npm"), "#!/bin/sh\necho \"npm $* ESPRUINO=${ESPRUINO:-}\" >> \"" + join(top, "log") + "\"\n");
    chmodSync(join(bin, "npm"), 0o755);
    const r = spawnSync("bash", [join(repo, ".ci/run")], { env: { ...process.env, PATH: bin + ":" + process.env.PATH, ESPRUINO: "" }, encoding: "utf8" });
    const log = existsSync(join(top, "log")) ? readFileSync(join(top, "log"), "utf8") : "";
    return { log, out: r.stdout + r.stderr, code: r.status };
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

ci("with ../shared/bin/espruino-esp32 -> npm ci, npm test, then npm run test:espruino on it", () => {
  const r = runCi(true);
  assert.is(r.code, 0, r.out);
  const lines = r.log.trim().split("\n");
  assert.is(lines.length, 3, r.log);
  assert.match(lines[0], /^npm ci /);
  assert.match(lines[1], /^npm test ESPRUINO=$/);
  assert.match(lines[2], /^npm run test:espruino ESPRUINO=\/.*\/shared\/bin\/espruino-esp32$/);
});

ci("without it -> npm ci and npm test only, and says the interpreter tests were skipped", () => {
  const r = runCi(false);
  assert.is(r.code, 0, r.out);
  assert.equal(r.log.trim().split("\n").map((l) => l.split(" ").slice(0, 2).join(" ")), ["npm ci", "npm test"]);
  assert.match(r.out, /interpreter tests skipped/);
});

ci.run();
