// tsconfig.json (the device build) must reject built-ins Espruino lacks at compile time.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import ts from "typescript";

const root = resolve(import.meta.dirname, "../..");

function compileAsFirmware(source: string): string[] {
  const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const dir = mkdtempSync(join(tmpdir(), "fwlib-"));
  const file = join(dir, "probe.ts");
  writeFileSync(file, source);
  try {
    const program = ts.createProgram([file, join(root, "firmware/espruino-lib.d.ts")], {
      ...parsed.options,
      typeRoots: [join(root, "node_modules/@types")],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lib = suite("firmware lib");
const rejected: Array<[string, RegExp]> = [
  ["export const m = new Map<string, number>();", /Map/],
  ["export const s = new Set<number>();", /Set/],
  ["export const y = Symbol('x');", /Symbol/],
  ["export const a = Array.from([1]);", /from/],
  ["export const i = Number.isInteger(1);", /isInteger/],
  ["export const p = Math.imul(2, 3);", /imul/],
  ["export const f = Object.freeze({});", /freeze/],
  ["export const r = Promise.race([]);", /race/],
];
for (const [source, name] of rejected) {
  lib(`rejects ${source}`, () => {
    const errors = compileAsFirmware(source);
    assert.ok(errors.some((e) => name.test(e)), `expected an error naming ${name}: ${errors.join("; ")}`);
  });
}
lib("accepts what Espruino has", () => {
  const errors = compileAsFirmware(
    "export const x = 'a'.padStart(3) + [1].includes(1) + Object.assign({}, {a: 1}).a + [1].find((v) => v > 0);\n" +
      "export const u = new Uint8Array(4).subarray(1); export const p = Promise.resolve(1).then((v) => v + 1);",
  );
  assert.equal(errors, []);
});
lib.run();
