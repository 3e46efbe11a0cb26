// npm start's options: read before anything else, so --help and a wrong option answer at
// once, without building; an unknown option is an error with the usage, never the default tour.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { parseStartOptions } from "../../tools/start/main";

const root = resolve(import.meta.dirname, "../..");

/** Runs tools/start/main.ts as `npm start` does, with no npm on PATH: a build would fail. */
function start(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "tools/start/main.ts", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, PATH: "/nonexistent" }, timeout: 60_000 });
}

test("--scenaro ota (a typo) -> exit 2, the message and the usage; nothing runs", () => {
  const r = start(["--scenaro", "ota"]);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /Unknown option '--scenaro'/);
  assert.match(r.stderr, /npm start \[-- options\]/);
  assert.not.match(r.stdout, /scenario tour/);
});

test("--help -> the usage, exit 0, without building (no npm reachable here)", () => {
  const r = start(["--help"]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /--scenario NAME/);
});

test("parseStartOptions: values checked, positionals and mixed modes refused", () => {
  assert.equal(parseStartOptions([]), { help: false, scenario: "tour", speed: 100, config: undefined, minutes: undefined, store: undefined });
  assert.equal(parseStartOptions(["--scenario", "ota", "--speed", "300"]), { help: false, scenario: "ota", speed: 300, config: undefined, minutes: undefined, store: undefined });
  assert.match(parseStartOptions(["--scenario", "nope"]) as string, /unknown scenario "nope"/);
  assert.match(parseStartOptions(["--speed", "0"]) as string, /--speed must be a number from 1 to 10000/);
  assert.match(parseStartOptions(["ota"]) as string, /Unexpected argument 'ota'/);
  assert.match(parseStartOptions(["--minutes", "5"]) as string, /--minutes goes with --config/);
  assert.match(parseStartOptions(["--store", "s"]) as string, /--store goes with --config/);
  assert.is((parseStartOptions(["--config", "d.json", "--store", "s"]) as { store?: string }).store, "s");
  assert.match(parseStartOptions(["--config", "d.json", "--scenario", "ota"]) as string, /--config runs against a real DPS/);
  assert.equal(parseStartOptions(["-h"]), { help: true, scenario: "tour", speed: 100 });
});

test.run();
