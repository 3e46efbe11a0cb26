// The compatibility gate must pass the real bundle and fail each bad fixture with a
// message naming the construct and where it is.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { checkBundle } from "../../tools/build/espruino-gate.mjs";

const check = checkBundle;

const real = suite("gate: the built bundle");
for (const file of ["dist/firmware.js", "dist/firmware.debug.js"]) {
  real(`${file} passes`, () => {
    assert.ok(existsSync(file), `${file} missing: run npm run build first`);
    assert.equal(check(readFileSync(file, "utf8"), file), []);
  });
}
real.run();

// [fixture, construct expected, line:column of the finding]
const fixtures: Array<[string, string, string]> = [
  ["var a = 1;\nlet b = 2;", "let/const declaration", "2:1"],
  ["var f = (x) => x;", "arrow function", "1:9"],
  ["var s = `t`;", "template literal", "1:9"],
  ["f(...a);", "spread or rest", "1:3"],
  ["var v = a?.b;", "optional chaining", "1:10"],
  ["var v = 2 ** 3;", "exponent operator", "1:11"],
  ["class A {}", "class syntax", "1:1"],
  ["var a = [1, , 3];", "array hole", "1:9"],
  ["outer: for (;;) { break outer; }", "labelled statement", "1:1"],
  ["var m = new Map();", "missing global", "1:13"],
  ["var s = Symbol('x');", "missing global", "1:9"],
  ["throw new RangeError('x');", "missing global", "1:11"],
  ["var a = Array.from(x);", "missing built-in", "1:9"],
  ["var i = Number.isInteger(1);", "missing built-in", "1:9"],
  ["var p = Math.imul(2, 3);", "missing built-in", "1:9"],
  ["Object.freeze(o);", "missing built-in", "1:1"],
  ["Promise.race([a]);", "missing built-in", "1:1"],
  ["var s = Array.prototype.slice.call(arguments);", "built-in prototype access", "1:9"],
  ["var c = String.prototype.charAt;", "built-in prototype access", "1:9"],
  ["var r = xs.reduceRight(f);", "missing built-in method", "1:12"],
  ["p.finally(f);", "missing built-in method", "1:3"],
  ["xs.length = 0;", "length assignment", "1:1"],
  ["clearTimeout();", "clearTimeout without id", "1:1"],
  ["var r = /a(?=b)/;", "regular expression lookaround", "1:9"],
  ["var r = /a+?/;", "lazy regular expression quantifier", "1:9"],
  ["var r = /(a)\\1/;", "regular expression backreference", "1:9"],
  ["var r = /^a/m;", "regular expression flag 'm'", "1:9"],
  ["var r = /\\bword/;", "regular expression word boundary \\b", "1:9"],
  ["var p = __awaiter(this, void 0, void 0, f);", "unsupported TypeScript helper", "1:9"],
  ["function f(a) {\n  if (a) { var x = 1; }\n  return x;\n}", "var inside a block", "2:12"],
  ["function f(a) {\n  if (a) for (var i = 0; i < 3; i++) {}\n  return i;\n}", "var inside a block", "2:15"],
];

const bad = suite("gate: bad fixtures");
for (const [code, construct, where] of fixtures) {
  bad(`${construct} (${JSON.stringify(code)}) -> named at ${where}`, () => {
    const findings = check(code, "fixture.js");
    assert.ok(findings.length > 0, "no finding");
    const f = findings[0];
    assert.is(f.construct, construct);
    assert.is(`${f.line}:${f.column}`, where);
    assert.ok(f.message.startsWith(`fixture.js:${where}: ${construct}`), f.message);
  });
}
bad.run();

const fine = suite("gate: what Espruino does have is allowed");
fine("ES5 with the built-ins Espruino provides", () => {
  const code = [
    "var o = Object.assign({}, {a: 1}); var k = Object.keys(o);",
    "var s = 'abc'.padStart(5).startsWith(' '); var x = [1, 2].includes(2);",
    "var m = { Map: 1, Set: 2 }; var n = o.Map;",
    "var r = /a(b)[^c]{1,2}/gi; var u = new Uint8Array(4).subarray(1);",
    "[].slice.call(arguments); Object.prototype.hasOwnProperty.call(o, 'a');",
    "var id = setTimeout(f, 1); clearTimeout(id);",
    "function g() { var a, b = 2; for (a = 0; a < b; a++) {} return function () { var c = a; return c; }; }",
    "function h(o) { for (var i = 0; i < 2; i++) {} for (var k in o) {} try { var r = 1; } catch (e) {} return i + r; }",
  ].join("\n");
  assert.equal(check(code), []);
});
fine.run();
