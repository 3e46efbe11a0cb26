import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Server } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { APP_RECORD, BOOT_RECORD, CONFIG_RECORD } from "../../firmware/storage-names";
import { SELECTOR_RECORD, SELECTOR_RECORD_2, SLOT_A_RECORD, SLOT_B_RECORD, PROGRESS_RECORD } from "../../firmware/ota/slots";
import { bootStub, initialSelector, projectVersion } from "../../tools/flash/boot-stub";
import { crc32, espruinoArgs, planFlash, verifyScript } from "../../tools/flash/plan";
import { estimateSeconds, portProblem } from "../../tools/flash/main";
import { flash, NOW, randomKey, runTool, tempDir } from "./kit";

const KEY = randomKey(32);
const PASSWORD = "lab-secret-42";
const CONFIG = {
  dps: { idScope: "0ne00AB12CD", registrationId: "dev-01", symmetricKey: KEY },
  wifi: { ssid: "Lab", password: PASSWORD },
  keepAliveSeconds: 60,
  hosts: { "global.azure-devices-provisioning.net": "127.0.0.1:8883" },
};
const BUNDLE = "(function(){print(\"app\");})();\n";

/** A temp directory with device.json and app.js; `config` and `bundle` override them. */
function workspace(config: unknown = CONFIG, bundle: string = BUNDLE): { dir: string; remove(): void } {
  const t = tempDir();
  writeFileSync(join(t.dir, "device.json"), typeof config === "string" ? config : JSON.stringify(config, null, 2));
  writeFileSync(join(t.dir, "app.js"), bundle);
  return t;
}

async function dryRun(argv: string[], config?: unknown, bundle?: string) {
  const t = workspace(config, bundle);
  try {
    return await flash(["--dry-run", "--config", "device.json", "--bundle", "app.js", ...argv], t.dir);
  } finally {
    t.remove();
  }
}

const dry = suite("flash --dry-run");
const hex8 = (bytes: string) => crc32(Buffer.from(bytes, "latin1")).toString(16).padStart(8, "0");
dry("valid config -> app in slot a, config, selector, boot stub, in write order with exact sizes and CRC-32, exit 0", async () => {
  const r = await dryRun(["--port", "/dev/ttyUSB9"]);
  assert.is(r.code, 0, r.all);
  const compact = JSON.stringify(CONFIG);
  const stub = bootStub() as string;
  const selector = initialSelector(projectVersion());
  const rows = r.out.split("\n").filter((l) => /^ {2}\S+ +\d+ bytes {2}crc32 0x[0-9a-f]{8}/.test(l));
  assert.is(rows.length, 4, r.out);
  assert.match(rows[0], new RegExp("^  " + SLOT_A_RECORD + " +" + BUNDLE.length + " bytes  crc32 0x" + hex8(BUNDLE) + "  app\\.js"));
  assert.match(rows[1], new RegExp("^  " + CONFIG_RECORD + " +" + compact.length + " bytes  crc32 0x" + hex8(compact) + "  device\\.json"));
  assert.match(rows[2], new RegExp("^  " + SELECTOR_RECORD + " +" + selector.length + " bytes  crc32 0x" + hex8(selector) + "  package\\.json version"));
  assert.match(rows[3], new RegExp("^  \\" + BOOT_RECORD + " +" + stub.length + " bytes  crc32 0x" + hex8(stub) + "  \\S*dist/boot\\.js"));
  assert.match(r.out, /nothing is sent and no port is opened/);
});
dry("erases the second selector copy, slot b, the progress record and the old app record, so the board boots what was flashed", async () => {
  const r = await dryRun([]);
  assert.ok(r.out.includes("erased after the writes: " + [SELECTOR_RECORD_2, SLOT_B_RECORD, PROGRESS_RECORD, APP_RECORD].join(", ")), r.out);
  assert.match(r.out, /it erases azboot2\.json, azapp\.b\.js, azota\.json, azapp\.js, prints each record/);
});
dry("valid config -> secrets hidden: no key, no Wi-Fi password anywhere in the output", async () => {
  const r = await dryRun(["--port", "/dev/ttyUSB9"]);
  assert.not.ok(r.all.includes(KEY));
  assert.not.ok(r.all.includes(PASSWORD));
  assert.match(r.out, /"symmetricKey": "<hidden, 44 characters>"/);
  assert.match(r.out, /"password": "<hidden, 13 characters>"/);
  assert.match(r.out, /warning: hosts redirects host names/);
});
dry("command line -> 115200 baud, --no-ble, the local board file, every record as --storage, never -m", async () => {
  const r = await dryRun(["--port", "tcp://192.168.1.50:23"]);
  const line = r.out.split("\n").find((l) => l.includes("espruino-cli.js"));
  assert.ok(line, r.out);
  const argv = line!.trim().split(/\s+/);
  assert.is(argv[argv.indexOf("-b") + 1], "115200");
  assert.ok(argv.includes("--no-ble"));
  assert.match(argv[argv.indexOf("--board") + 1], /tools\/flash\/ESP32\.board\.json$/);
  assert.is(argv[argv.indexOf("-p") + 1], "tcp://192.168.1.50:23");
  assert.not.ok(argv.includes("-m") || argv.includes("--minify"), "never the CLI minifier");
  for (const storage of [".bootcde:bootcde.js", "azboot.json:azboot.json", "azdevice.json:azdevice.json", "azapp.a.js:azapp.a.js"]) {
    assert.is(argv[argv.indexOf(storage) - 1], "--storage", storage);
  }
  assert.is(argv[argv.length - 1], "verify.js");
});
dry("selector, boot stub size and the device-side step -> printed", async () => {
  const r = await dryRun([]);
  assert.ok(r.out.includes(SELECTOR_RECORD + ":\n  " + initialSelector(projectVersion())), "the selector text");
  assert.ok(r.out.includes(BOOT_RECORD + ": " + (bootStub() as string).length + " bytes, minified (readable: "), "the stub's size and where to read it");
  assert.match(r.out, /AZFLASH DONE/);
  assert.match(r.out, /'<port>'/, "no --port in a dry run -> a placeholder");
});
dry("as npm runs it (child process in a temp directory) -> the same plan, exit 0", async () => {
  const t = workspace();
  try {
    const r = await runTool("main", ["--dry-run", "--config", "device.json", "--bundle", "app.js", "--port", "/dev/ttyUSB0"], t.dir);
    assert.is(r.code, 0, r.all);
    assert.match(r.out, /azapp\.a\.js +\d+ bytes/);
    assert.not.ok(r.all.includes(KEY));
  } finally {
    t.remove();
  }
});
dry.run();

const errors = suite("flash: errors");
const CASES: Array<[string, unknown, string, string[], RegExp]> = [
  ["invalid config (keep-alive 5 s)", { ...CONFIG, keepAliveSeconds: 5 }, BUNDLE, [], /device\.json: keepAliveSeconds must be a whole number from 10 to 1177/],
  ["config with a bad connection string", { connectionString: "HostName=h.azure-devices.net;DeviceId=d" }, BUNDLE, [], /device\.json: connection string: no credential/],
  ["config that is not JSON", "{ dps: ", BUNDLE, [], /device\.json is not valid JSON/],
  ["config with a group key", { dps: { ...CONFIG.dps, groupKey: KEY } }, BUNDLE, [], /groupKey must not be on a device/],
  ["bundle missing", CONFIG, BUNDLE, ["--bundle", "missing.js"], /missing\.js not found: run npm run build first/],
  ["config missing", CONFIG, BUNDLE, ["--config", "other.json"], /other\.json not found: create it with npm run make-config/],
  ["bundle failing the Espruino gate", CONFIG, "var m = new Map();\n", [], /fails the Espruino gate/],
  ["bundle holding the device key", CONFIG, "var k = \"" + KEY + "\";\n", [], /contains a secret from the configuration/],
  ["bad tcp port", CONFIG, BUNDLE, ["--port", "tcp://host:99999"], /expected tcp:\/\/host or tcp:\/\/host:port/],
  // Wrong types and unbounded numbers (issue: null objects crashed the check; strings and 1e300 passed).
  ["retry null", { ...CONFIG, retry: null }, BUNDLE, [], /device\.json: retry must be a JSON object/],
  ["outbox null", { ...CONFIG, outbox: null }, BUNDLE, [], /device\.json: outbox must be a JSON object/],
  ["fleet of strings, true and a list", { ...CONFIG, fleet: { devices: "1", hubConnectionsPerSecond: "100", dpsRegistrationsPerMinute: true, load: [1] } }, BUNDLE, [],
    /fleet\.devices must be a whole number from 1 to 10000000[\s\S]*fleet\.hubConnectionsPerSecond must be a number[\s\S]*fleet\.dpsRegistrationsPerMinute must be a number[\s\S]*fleet\.load must be a number/],
  ["fleet rates of 1e300 and 1e-300", { ...CONFIG, fleet: { devices: 1e300, hubConnectionsPerSecond: 1e-300, dpsRegistrationsPerMinute: 1e300, load: 1e-300 } }, BUNDLE, [],
    /fleet\.devices must be a whole number from 1 to 10000000/],
];
for (const [name, config, bundle, argv, message] of CASES) {
  errors(name + " -> exit 1, says what to fix, writes nothing", async () => {
    const r = await dryRun(argv, config, bundle);
    assert.is(r.code, 1, r.all);
    assert.match(r.err, message);
    assert.match(r.err, /nothing was written/);
    assert.not.ok(r.all.includes(KEY), "no secret in the message");
  });
}
errors("no --port without --dry-run -> exit 1", async () => {
  const t = workspace();
  try {
    const r = await flash(["--config", "device.json", "--bundle", "app.js"], t.dir);
    assert.is(r.code, 1);
    assert.match(r.err, /--port is missing/);
  } finally {
    t.remove();
  }
});
errors("serial port that does not exist -> exit 1 before anything runs", async () => {
  const t = workspace();
  try {
    const r = await flash(["--config", "device.json", "--bundle", "app.js", "--port", "/dev/ttyNOPE0"], t.dir);
    assert.is(r.code, 1);
    assert.match(r.err, /no such serial port/);
  } finally {
    t.remove();
  }
});
errors("unknown option -> exit 2 with the usage", async () => {
  const r = await dryRun(["--baud", "9600"]);
  assert.is(r.code, 2);
  assert.match(r.err, /Unknown option '--baud'/);
  assert.match(r.err, /npm run flash -- --port <port>/);
});
errors.run();

const upload = suite("flash: talking to a port (no device needed)");
function listen(onConnection: (socket: import("node:net").Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolvePromise) => {
    const server = createServer(onConnection);
    server.listen(0, "127.0.0.1", () => resolvePromise({ server, port: (server.address() as { port: number }).port }));
  });
}
upload("nothing listening -> cannot open the port, exit 1", async () => {
  const { server, port } = await listen(() => undefined);
  server.close();
  const t = workspace();
  try {
    const r = await flash(["--config", "device.json", "--bundle", "app.js", "--port", "tcp://127.0.0.1:" + port], t.dir);
    assert.is(r.code, 1, r.all);
    assert.match(r.err, /cannot open tcp:\/\/127\.0\.0\.1/);
  } finally {
    t.remove();
  }
});
upload("a port that swallows everything (wrong baud rate, no Espruino) -> no confirmation, exit 1, no secret shown", async () => {
  const { server, port } = await listen((socket) => socket.on("data", () => undefined));
  const t = workspace();
  try {
    const r = await flash(["--config", "device.json", "--bundle", "app.js", "--port", "tcp://127.0.0.1:" + port], t.dir);
    assert.is(r.code, 1, r.all);
    assert.match(r.err, /never confirmed the upload/);
    assert.match(r.out, /sending 100%/);
    assert.not.ok(r.all.includes(KEY) || r.all.includes(Buffer.from(JSON.stringify(CONFIG.dps)).toString("base64").slice(0, 40)));
  } finally {
    server.close();
    t.remove();
  }
});
upload.run();

const plan = suite("flash: plan helpers");
plan("verifyScript -> one ES5 line: erases first, then checks length and CRC-32 of each record, restart only on success", () => {
  const p = planFlash({ configPath: "x", nowSeconds: NOW, cwd: "/nonexistent" });
  assert.ok(p.errors.length > 0);
  const script = verifyScript([{ name: "a.js", what: "", source: "", bytes: Buffer.from("abc"), crc32: 891568578 }], ["old.js"]);
  assert.is(script.split("\n").length, 2);
  assert.ok(script.includes("[[\"a.js\",3,891568578]]"));
  assert.ok(script.indexOf("[\"old.js\"].forEach(function(n){S.erase(n)") < script.indexOf("[[\"a.js\""), "erase before the checks");
  assert.ok(script.indexOf("load()") > script.indexOf("if(ok)"));
});
plan("planFlash without the boot stub, or with a file that is not the stub -> an error naming npm run build", () => {
  const t = workspace();
  try {
    const missing = planFlash({ configPath: "device.json", bundlePath: "app.js", stubPath: "nope.js", nowSeconds: NOW, cwd: t.dir });
    assert.ok(missing.errors.some((e) => /nope\.js \(the boot stub\) not found: run npm run build first/.test(e)), missing.errors.join("\n"));
    const wrong = planFlash({ configPath: "device.json", bundlePath: "app.js", stubPath: "app.js", nowSeconds: NOW, cwd: t.dir });
    assert.ok(wrong.errors.some((e) => /app\.js is not the boot stub npm run build makes/.test(e)), wrong.errors.join("\n"));
    const bad = planFlash({ configPath: "device.json", bundlePath: "app.js", version: "v1", nowSeconds: NOW, cwd: t.dir });
    assert.ok(bad.errors.some((e) => /version "v1" for the boot selector is not/.test(e)), bad.errors.join("\n"));
  } finally {
    t.remove();
  }
});
plan("planFlash -> the selector names slot a with the given version; Storage must hold room for slot b", () => {
  const t = workspace();
  try {
    const p = planFlash({ configPath: "device.json", bundlePath: "app.js", version: "2.3.4", nowSeconds: NOW, cwd: t.dir });
    const sel = p.plan!.records.find((r) => r.name === SELECTOR_RECORD)!;
    assert.is(sel.bytes.toString("latin1"), initialSelector("2.3.4"));
    assert.equal(p.plan!.records.map((r) => r.name), [SLOT_A_RECORD, CONFIG_RECORD, SELECTOR_RECORD, BOOT_RECORD]);
    writeFileSync(join(t.dir, "big.js"), "var x=\"" + "x".repeat(420 * 1024) + "\";\n");
    const big = planFlash({ configPath: "device.json", bundlePath: "big.js", nowSeconds: NOW, cwd: t.dir });
    assert.ok(big.errors.some((e) => /an update needs \d+ more in slot b/.test(e)), big.errors.join("\n"));
  } finally {
    t.remove();
  }
});
plan("crc32 -> the IEEE value Espruino's E.CRC32 gives (unsigned)", () => {
  assert.is(crc32(Buffer.from("abc")), 891568578);
  assert.is(crc32(Buffer.from("a")), 3904355907);
  assert.is(crc32(new Uint8Array(0)), 0);
});
plan("espruinoArgs -> flags before -p never swallowed as ports; records last-first", () => {
  const rec = (name: string) => ({ name, what: "", source: "", bytes: Buffer.from("x"), crc32: 0 });
  const argv = espruinoArgs("/dev/ttyUSB0", [rec("azapp.a.js"), rec("azdevice.json"), rec("azboot.json"), rec(".bootcde")]);
  assert.is(argv[argv.indexOf("-p") + 2], "--storage");
  assert.equal(argv.filter((a) => a.includes(":") && !a.startsWith("/")), [".bootcde:bootcde.js", "azboot.json:azboot.json", "azdevice.json:azdevice.json", "azapp.a.js:azapp.a.js"]);
});
plan("portProblem -> serial names, tcp hosts with or without port; .js names refused", () => {
  assert.is(portProblem("tcp://127.0.0.1:2323"), "");
  assert.is(portProblem("tcp://esp32.local"), "");
  assert.is(portProblem("COM3"), "");
  assert.match(portProblem("tcp://"), /expected tcp/);
  assert.match(portProblem("my.js"), /\.js/);
});
plan("estimateSeconds -> grows with the bundle (250 ms per 384-byte write)", () => {
  const p = (n: number) => ({ records: [{ name: "a", what: "", source: "", bytes: Buffer.alloc(n), crc32: 0 }], erase: [], config: {}, masked: {}, warnings: [], verify: "" });
  assert.ok(estimateSeconds(p(40000)) > estimateSeconds(p(4000)));
  assert.ok(estimateSeconds(p(38400)) >= 25);
});
plan.run();
