// Every command-line tool refuses an option it does not know with the message and its usage
// (exit 2), instead of running with defaults: npm start, sim, fleet, bench, flash, make-config.
// Run as npm runs them (node --import tsx <script>), with no npm on PATH, so nothing builds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const TOOLS: Array<[string, string, RegExp]> = [
  ["npm start", "tools/start/main.ts", /npm start \[-- options\]/],
  ["npm run sim", "tools/hub-sim/cli.ts", /npm run sim -- \[options\]/],
  ["npm run fleet", "tools/fleet/main.ts", /npm run fleet -- \[options\]/],
  ["npm run bench", "tools/bench/main.ts", /npm run bench \[-- --json\] \[filter\]/],
  ["npm run flash", "tools/flash/main.ts", /npm run flash -- --port <port>/],
  ["npm run make-config", "tools/flash/make-config.ts", /npm run make-config -- \[options\]/],
];

for (const [name, script, usage] of TOOLS) {
  test(`${name} --scenaro x -> exit 2, names the option, prints the usage`, () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", script, "--scenaro", "x"], {
      cwd: root, encoding: "utf8", env: { ...process.env, PATH: "/nonexistent" }, timeout: 60_000,
    });
    assert.is(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--scenaro/);
    assert.match(r.stderr, usage);
  });
}

test.run();
