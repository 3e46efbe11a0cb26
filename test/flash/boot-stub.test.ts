import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { APP_RECORD, CONFIG_RECORD } from "../../firmware/storage-names";
import { bootStub } from "../../tools/flash/boot-stub";
import { interpreter, startInterpreter, tempDir } from "./kit";

const text = suite("bootStub");
text("default -> one ASCII line that evaluates the app record straight from Storage", () => {
  const stub = bootStub();
  assert.ok(stub.endsWith("\n") && stub.indexOf("\n") === stub.length - 1, "one line");
  assert.ok(/^[\x20-\x7e]*\n$/.test(stub), "ASCII only");
  assert.ok(stub.includes("eval(require(\"Storage\").read(\"" + APP_RECORD + "\"))"), "eval of the flash-backed string, no copy");
  assert.not.ok(/\bvar\b|\blet\b|\bconst\b|function/.test(stub), "no globals, no functions left in RAM");
  assert.ok(stub.length < 256, "tiny: " + stub.length + " bytes");
});
text("missing app -> prints what is missing and how to fix it", () => {
  assert.match(bootStub(), /no app in Storage \(azapp\.js is missing\)\. Flash it .*npm run flash/);
});
text("another record name -> used in both the check and the eval (OTA slots later)", () => {
  const stub = bootStub("azapp-b.js");
  assert.is(stub.split("\"azapp-b.js\"").length - 1, 2);
  assert.not.ok(stub.includes("\"" + APP_RECORD + "\""));
});
text.run();

/** Writes the stub (and optionally an app) into a fresh Storage, then load()s into it. */
async function bootOnInterpreter(path: string, app: string | undefined): Promise<string[]> {
  const t = tempDir("boot-stub-");
  const setup = [
    "var S=require(\"Storage\");",
    "S.write(\".bootcde\"," + JSON.stringify(bootStub()) + ");",
    "S.write(" + JSON.stringify(CONFIG_RECORD) + "," + JSON.stringify("{\"wifi\":{\"ssid\":\"x\"}}") + ");",
    app === undefined ? "" : "S.write(" + JSON.stringify(APP_RECORD) + "," + JSON.stringify(app) + ");",
    "print(\"SETUP DONE\");",
    "setTimeout(function(){load();},10);",
  ].join("\n");
  writeFileSync(join(t.dir, "setup.js"), setup);
  const run = startInterpreter(path, ["setup.js"], t.dir);
  try {
    await run.waitFor(app === undefined ? /no app in Storage/ : /^APP /, 10000);
    return run.lines.slice();
  } finally {
    await run.stop();
    t.remove();
  }
}

const onDevice = suite("bootStub on the interpreter ($ESPRUINO)");
const espruino = interpreter();
// Without ESPRUINO the suite is empty (the runner counts no skips); npm run test:espruino
// and the CI job that sets ESPRUINO run it.
if (espruino) {
  onDevice("no app record -> the message, no crash", async () => {
    const lines = await bootOnInterpreter(espruino, undefined);
    assert.ok(lines.some((l) => l.startsWith("azure-iot: no app in Storage (azapp.js is missing)")), lines.join("\n"));
    assert.not.ok(lines.some((l) => /Uncaught|Error/.test(l)), lines.join("\n"));
  });
  onDevice("app record present -> runs at boot and reads its config record", async () => {
    const app = "(function(){var c=require(\"Storage\").readJSON(" + JSON.stringify(CONFIG_RECORD) + ");print(\"APP \"+c.wifi.ssid);})();\n";
    const lines = await bootOnInterpreter(espruino, app);
    assert.ok(lines.includes("APP x"), lines.join("\n"));
  });
}
onDevice.run();
