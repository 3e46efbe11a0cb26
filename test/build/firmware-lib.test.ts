// tsconfig.json (the device build) must reject built-ins Espruino 2v29 lacks at compile time
// and accept the ones it has.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import ts from "typescript";

const root = resolve(import.meta.dirname, "../..");
const libFile = join(root, "firmware/espruino-lib.d.ts");

function readConfig(name: string): ts.ParsedCommandLine {
  const config = ts.readConfigFile(join(root, name), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config.config, ts.sys, root);
}

/** Compiles each source as its own module under the device options, in one program.
 *  Returns the diagnostics of each source, plus those with no file (missing global types). */
function compileAsFirmware(sources: string[]): { perSource: string[][]; global: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "fwlib-"));
  const files = sources.map((source, i) => {
    const file = join(dir, `probe${i}.ts`);
    writeFileSync(file, source + "\nexport {};\n");
    return file;
  });
  try {
    const program = ts.createProgram([...files, libFile], {
      ...readConfig("tsconfig.json").options,
      typeRoots: [join(root, "node_modules/@types")],
    });
    const perSource = files.map(() => [] as string[]);
    const global: string[] = [];
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      const index = d.file ? files.indexOf(d.file.fileName) : -1;
      if (index >= 0) perSource[index].push(text);
      else global.push(d.file ? `${d.file.fileName}: ${text}` : text);
    }
    return { perSource, global };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const config = suite("firmware lib: configuration");
config("tsconfig.json -> no TypeScript lib, our lib in scope for firmware/", () => {
  const parsed = readConfig("tsconfig.json");
  assert.is(parsed.options.noLib, true);
  assert.is(parsed.options.lib, undefined);
  assert.ok(parsed.fileNames.includes(libFile), "firmware/espruino-lib.d.ts is not included");
  assert.ok(parsed.fileNames.includes(join(root, "firmware/status.ts")), "firmware/*.ts is not included");
});
config("tsconfig.node.json -> Node's own lib, our lib excluded", () => {
  const parsed = readConfig("tsconfig.node.json");
  assert.not.ok(parsed.options.noLib);
  assert.not.ok(parsed.fileNames.includes(libFile));
});
config.run();

// [source, pattern the error must match]: everything here is missing or broken on Espruino.
const rejected: Array<[string, RegExp]> = [
  // Collections
  ["const m = new Map<string, number>();", /Cannot find name 'Map'/],
  ["const s = new Set<number>();", /Cannot find name 'Set'/],
  ["const w = new WeakMap<object, number>();", /Cannot find name 'WeakMap'/],
  ["const w = new WeakSet<object>();", /Cannot find name 'WeakSet'/],
  ["const y = Symbol('x');", /Cannot find name 'Symbol'/],
  ["const p = new Proxy({}, {});", /Cannot find name 'Proxy'/],
  ["const r = Reflect.ownKeys({});", /Cannot find name 'Reflect'/],
  // Object
  ["const f = Object.freeze({});", /'freeze' does not exist/],
  ["const f = Object.isFrozen({});", /'isFrozen' does not exist/],
  ["const f = Object.seal({});", /'seal' does not exist/],
  ["const f = Object.preventExtensions({});", /'preventExtensions' does not exist/],
  ["const f = Object.is(1, 1);", /'is' does not exist/],
  ["const o = Object.create({}, { a: { value: 1 } });", /Expected 1 arguments, but got 2/],
  // Array (length is read-only, prototypes have no methods)
  ["const a = Array.from([1]);", /'from' does not exist/],
  ["const a = Array.of(1);", /'of' does not exist/],
  ["const r = [1].reduceRight((a, b) => a + b);", /'reduceRight' does not exist/],
  ["const i = [1].lastIndexOf(1);", /'lastIndexOf' does not exist/],
  ["const f = [[1]].flat();", /'flat' does not exist/],
  ["const f = [1].flatMap((x) => [x]);", /'flatMap' does not exist/],
  ["const a = [1].at(0);", /'at' does not exist/],
  ["const f = [1].findLast((x) => x > 0);", /'findLast' does not exist/],
  ["const k = [1].keys();", /'keys' does not exist/],
  ["const xs = [1, 2]; xs.length = 0;", /Cannot assign to 'length' because it is a read-only property/],
  ["const s = Array.prototype.slice;", /'slice' does not exist on type 'EspruinoPrototype'/],
  ["const c = String.prototype.charAt;", /'charAt' does not exist on type 'EspruinoPrototype'/],
  // String
  ["const t = ' a'.trimStart();", /'trimStart' does not exist/],
  ["const t = 'a '.trimEnd();", /'trimEnd' does not exist/],
  ["const i = 'abc'.search(/b/);", /'search' does not exist/],
  ["const c = 'a'.localeCompare('b');", /'localeCompare' does not exist/],
  ["const c = 'a'.codePointAt(0);", /'codePointAt' does not exist/],
  ["const m = 'a1'.matchAll(/\\d/g);", /'matchAll' does not exist/],
  ["const r = String.raw`a${1}`;", /'raw' does not exist/],
  ["const c = String.fromCodePoint(65);", /'fromCodePoint' does not exist/],
  ["const p = 'a,b,c'.split(',', 2);", /Expected 1 arguments, but got 2/],
  ["const r = 'aa'.replaceAll('a', () => 'b');", /not assignable to parameter of type 'string'/],
  // Number / Math
  ["const i = Number.isInteger(1);", /'isInteger' does not exist/],
  ["const i = Number.isFinite(1);", /'isFinite' does not exist/],
  ["const i = Number.isNaN(1);", /'isNaN' does not exist/],
  ["const i = Number.isSafeInteger(1);", /'isSafeInteger' does not exist/],
  ["const m = Number.MAX_SAFE_INTEGER;", /'MAX_SAFE_INTEGER' does not exist/],
  ["const e = Number.EPSILON;", /'EPSILON' does not exist/],
  ["const s = (1.5).toPrecision(2);", /'toPrecision' does not exist/],
  ["const s = (1.5).toExponential(2);", /'toExponential' does not exist/],
  ["const p = Math.imul(2, 3);", /'imul' does not exist/],
  ["const t = Math.trunc(1.5);", /'trunc' does not exist/],
  ["const c = Math.clz32(1);", /'clz32' does not exist/],
  ["const l = Math.log2(8);", /'log2' does not exist/],
  ["const l = Math.log10(8);", /'log10' does not exist/],
  ["const h = Math.hypot(3, 4);", /'hypot' does not exist/],
  ["const c = Math.cbrt(8);", /'cbrt' does not exist/],
  // Promise
  ["const r = Promise.race([Promise.resolve(1)]);", /'race' does not exist/],
  ["const r = Promise.allSettled([Promise.resolve(1)]);", /'allSettled' does not exist/],
  ["const r = Promise.any([Promise.resolve(1)]);", /'any' does not exist/],
  ["const f = Promise.resolve(1).finally(() => undefined);", /'finally' does not exist/],
  // Errors (no e.name)
  ["const e = new RangeError('x');", /Cannot find name 'RangeError'/],
  ["const e = new EvalError('x');", /Cannot find name 'EvalError'/],
  ["const e = new URIError('x');", /Cannot find name 'URIError'/],
  ["const n = new Error('x').name;", /'name' does not exist on type 'Error'/],
  // URI / base64
  ["const u = encodeURI('a b');", /Cannot find name 'encodeURI'/],
  ["const u = decodeURI('a%20b');", /Cannot find name 'decodeURI'/],
  ["const u = escape('a b');", /Cannot find name 'escape'/],
  ["const u = unescape('a%20b');", /Cannot find name 'unescape'/],
  // Typed arrays
  ["const u = Uint8Array.from([1]);", /'from' does not exist/],
  ["const u = Uint8Array.of(1);", /'of' does not exist/],
  ["const n = Uint8Array.BYTES_PER_ELEMENT;", /'BYTES_PER_ELEMENT' does not exist/],
  ["const b = new ArrayBuffer(4).slice(0, 2);", /'slice' does not exist/],
  ["const v = ArrayBuffer.isView(new Uint8Array(1));", /'isView' does not exist/],
  ["const u = new Uint8Array('abc');", /No overload matches this call/],
  ["const f = new Uint8Array(2).filter((x) => x > 0);", /'filter' does not exist/],
  // A typed array's slice is a plain Array on Espruino (a variable per element).
  ["const c: Uint8Array = new Uint8Array(2).slice(1);", /'number\[\]' is missing the following properties/],
  ["const b = new BigInt64Array(1);", /Cannot find name 'BigInt64Array'/],
  // Date / time
  ["const t = Date.UTC(2024, 0, 1);", /'UTC' does not exist/],
  ["const h = new Date().getUTCHours();", /'getUTCHours' does not exist/],
  ["const d = new Date(new Date());", /not assignable to parameter of type 'string \| number'/],
  ["const d = new Date(2024, 1);", /No overload expects 2 arguments|Expected/],
  // Functions, JSON
  ["const n = (function f() {}).name;", /'name' does not exist/],
  ["const j = JSON.stringify({}, (k: string, v: unknown) => v);", /not assignable to parameter of type 'null \| undefined'/],
  ["const j = JSON.parse('{}', (k: string, v: unknown) => v);", /Expected 1 arguments, but got 2/],
  // Timers: clearTimeout() with no id clears every timer
  ["clearTimeout();", /Expected 1 arguments, but got 0/],
  // Web and Node globals that are not there
  ["queueMicrotask(() => undefined);", /Cannot find name 'queueMicrotask'/],
  ["const t = new TextEncoder();", /Cannot find name 'TextEncoder'/],
  ["const b = Buffer.from('a');", /Cannot find name 'Buffer'/],
];

const rejects = suite("firmware lib: rejects what Espruino lacks");
const rejectResult = compileAsFirmware(rejected.map(([source]) => source));
rejects("no errors outside the probes", () => {
  assert.equal(rejectResult.global, []);
});
rejected.forEach(([source, pattern], i) => {
  rejects(`${source} -> error matching ${pattern}`, () => {
    const errors = rejectResult.perSource[i];
    assert.ok(errors.some((e) => pattern.test(e)), `expected an error matching ${pattern}; got: ${errors.join("; ") || "none"}`);
  });
});
rejects("a generator -> compile error (no iterator types)", () => {
  const result = compileAsFirmware(["export function* g() { yield 1; }"]);
  assert.ok(result.global.some((e) => /IterableIterator/.test(e)), result.global.join("; "));
});
rejects.run();

// A broad sample of what Espruino 2v29 has, all of which must compile.
const present = `
// Strings
const s = "abc".padStart(5, " ").padEnd(6).trim().toUpperCase().toLowerCase();
const s2 = s.replace(/b/g, "B").replace(/(c)/, (m: string, g: string) => g + m).replaceAll("a", "A");
const parts: string[] = "a,b".split(",").concat(["c"], "d".split(/,/));
const flags: boolean[] = [s.startsWith("a", 0), s.endsWith("c"), s.includes("b", 1)];
const n = s.charCodeAt(0) + s.indexOf("a") + s.lastIndexOf("a", 2) + s.length + s.slice(-1).length +
  s.substring(1).length + s.substr(0, 1).length + "ab".repeat(2).length + String.fromCharCode(65, 66).length;
const c: string = s.charAt(0) + s[1] + "x".concat("y", "z") + String(5) + s2;
const m = "a1".match(/\\d/);
const e = /(\\d)/g.exec("a1");
const idx: number = (m ? m[0].length : 0) + (e ? e.index + e[1].length : 0) + new RegExp("a", "i").lastIndex;
const t: boolean = /a/i.test("A") && /a/g.source === "a" && /a/g.flags === "g";
// Arrays
const arr = [3, 1, 2];
arr.push(4, 5);
arr.unshift(0);
const popped: number | undefined = arr.pop();
arr.shift();
arr.splice(1, 1, 7);
arr.sort((a, b) => a - b).reverse();
arr.fill(0, 1, 2);
const found: number | undefined = arr.find((v) => v > 0);
const total: number = arr.map((v, i) => v + i).filter((v) => v > 1).reduce((a, b) => a + b, 0) +
  arr.reduce((a, b) => a + b) + arr.findIndex((v) => v > 0) + arr.indexOf(1, 1) + arr.slice(1).length;
const yes: boolean = arr.includes(1) && arr.some((v) => v > 0) && arr.every((v) => v >= 0) && Array.isArray(arr);
arr.forEach(function (v, i, all) { all[i] = v; });
const joined: string = arr.join("-") + arr.toString() + [1].concat([2], 3).length + new Array<number>(3).length;
const ro: readonly number[] = arr;
const twice: number[] = ro.map((v) => v * 2);
const strs: string[] = ["a", undefined].filter((x): x is string => x !== undefined);
for (const v of arr) twice.push(v);
for (const ch of "ab") parts.push(ch);
// Objects
const o = Object.assign({}, { a: 1 }, { b: 2 });
const keys: string[] = Object.keys(o).concat(Object.getOwnPropertyNames(o));
const vals: number[] = Object.values({ x: 1 });
const ents: [string, number][] = Object.entries({ x: 1 });
const back: { [k: string]: number } = Object.fromEntries(ents);
const proto = Object.getPrototypeOf(Object.setPrototypeOf({}, Object.create(null)));
Object.defineProperty(o, "c", { value: 3, enumerable: false, get: undefined });
Object.defineProperties(o, { d: { value: 4, writable: true } });
const desc = Object.getOwnPropertyDescriptor(o, "a");
const descs = Object.getOwnPropertyDescriptors(o);
const own: boolean = Object.prototype.hasOwnProperty.call(o, "a") && o.hasOwnProperty("b");
// Numbers and Math
const num: number = parseInt("12", 10) + parseInt("7") + parseFloat("1.5") + Number("5") + Number.MAX_VALUE +
  Number.MIN_VALUE + Number.POSITIVE_INFINITY + Number.NEGATIVE_INFINITY + Number.NaN + NaN + Infinity;
const fmt: string = (1.5).toFixed(2) + (255).toString(16);
const ok: boolean = isNaN(num) || isFinite(num);
const mth: number = Math.abs(-1) + Math.acos(1) + Math.asin(0) + Math.atan(0) + Math.atan2(1, 1) + Math.ceil(1.2) +
  Math.cos(0) + Math.exp(0) + Math.floor(1.5) + Math.log(1) + Math.max(1, 2, 3) + Math.min(1, 2) + Math.pow(2, 3) +
  Math.random() + Math.round(1.5) + Math.sign(-2) + Math.sin(0) + Math.sqrt(4) + Math.tan(0) + Math.PI + Math.E +
  Math.LN2 + Math.LN10 + Math.LOG2E + Math.LOG10E + Math.SQRT2 + Math.SQRT1_2 +
  Math.clip(5, 0, 3) + Math.wrap(5, 3) + Math.randInt(10);
// Promises
const p1 = new Promise<number>(function (resolve, reject) { if (num > 0) resolve(1); else reject(new Error("x")); });
const p2: Promise<number> = Promise.resolve(1).then((v) => v + 1, () => 0).catch(() => 0);
const p3: Promise<string> = Promise.all([Promise.resolve("a"), "b", p1]).then((v) => v[0] + v[1] + v[2]);
const p4: Promise<never> = Promise.reject(new TypeError("t"));
const p5: Promise<void> = Promise.resolve();
const thenable: PromiseLike<number> = p1;
// Errors and classes
class DeviceError extends Error {
  code: number;
  constructor(message: string, code: number) {
    super(message);
    Object.setPrototypeOf(this, DeviceError.prototype);
    this.code = code;
  }
}
const errs: Error[] = [new Error("a"), Error("b"), new TypeError("c"), new SyntaxError("d"), new ReferenceError("e"),
  new InternalError("f"), new DeviceError("g", -1)];
const msg: string = errs[0].message + (errs[0].stack || "") + String(errs[1]);
function classify(x: unknown): number {
  if (x instanceof DeviceError) return x.code;
  if (x instanceof TypeError) return x.message.length;
  return 0;
}
// JSON, Date
const json: string = JSON.stringify(JSON.parse("{}"), null, 2) + JSON.stringify([1]);
const now: number = Date.now() + Date.parse("2024-01-02T03:04:05Z") + new Date(0).getTime() + new Date("2024").valueOf();
const d = new Date(2024, 0, 2, 3, 4, 5, 6);
const dn: number = d.getFullYear() + d.getMonth() + d.getDate() + d.getDay() + d.getHours() + d.getMinutes() +
  d.getSeconds() + d.getMilliseconds() + d.getTimezoneOffset() + d.setTime(0) + d.setHours(1, 2, 3, 4) +
  d.setFullYear(2020, 1, 2) + d.setMonth(1) + d.setDate(1) + d.setMinutes(1) + d.setSeconds(1) + d.setMilliseconds(1);
const ds: string = d.toISOString() + d.toUTCString() + d.toString() + d.toJSON();
// Binary data
const u8 = new Uint8Array(8);
u8.set([1, 2, 3], 2);
const view: Uint8Array = u8.subarray(2, 5);
const copy: Uint8Array = new Uint8Array(u8.subarray(1)).fill(0, 1).map((v) => v + 1);
const plain: number[] = u8.slice(1);
const bin: number = u8.indexOf(2) + u8.reduce((a, b) => a + b, 0) + u8.length + u8.byteLength + u8.byteOffset +
  (u8.includes(3) ? 1 : 0) + (u8.find((v) => v > 1) || 0) + u8.findIndex((v) => v > 1);
u8.forEach((v) => v);
const sorted: Uint8Array = u8.sort().reverse();
const words = [new Int8Array(2), new Uint8ClampedArray([300]), new Int16Array(u8.buffer, 0, 2), new Uint16Array(2),
  new Uint24Array(1), new Int32Array(1), new Uint32Array([1]), new Float32Array(u8), new Float64Array(1)];
const buf: ArrayBuffer = new ArrayBuffer(8);
const dv = new DataView(buf, 0, 8);
dv.setUint32(0, 0xffffffff, true);
dv.setInt8(4, -1);
dv.setFloat32(4, 1.5);
const dvn: number = dv.getUint16(0, true) + dv.getInt32(0) + dv.getUint8(1) + dv.getFloat64(0) + dv.byteLength;
const isBytes = (x: string | Uint8Array): number => (x instanceof Uint8Array ? x.byteLength : x.length);
// Globals, console, timers, Espruino's own (from @types/espruino)
const uri: string = encodeURIComponent("a b") + decodeURIComponent("a%20b") + btoa("hi") + btoa(u8) + atob("aGk=");
console.log("x", 1);
console.error("e");
const timer: number = setTimeout(function (a: number) { return a; }, 10, 1);
const tick: number = setInterval(() => undefined, 1000);
clearTimeout(timer);
clearInterval(tick);
const bytes: Uint8Array = E.toUint8Array("abc");
const secs: number = getTime();
print("hello");
// Functions and arguments
function sum(this: { base: number }, a: number, b: number): number { return this.base + a + b + arguments.length; }
const bound: (b: number) => number = sum.bind({ base: 1 }, 2);
const called: number = sum.call({ base: 1 }, 2, 3) + sum.apply({ base: 1 }, [2, 3]) + sum.length;
// Language features the pipeline downlevels (types only here)
enum Mode { A, B = 5 }
const { a, ...rest } = { a: 1, b: 2 };
const spread = [...arr, ...[1]];
const opt = (o as { z?: { y?: number } }).z?.y ?? 8;
const tpl = \`\${a} \${rest.b}\`;
// Utility types
interface Cfg { host: string; port?: number }
type All = [Partial<Cfg>, Required<Cfg>, Readonly<Cfg>, Pick<Cfg, "host">, Record<"k", number>, Omit<Cfg, "port">,
  Exclude<"a" | "b", "a">, Extract<"a" | "b", "a">, NonNullable<string | null>, Parameters<typeof parseInt>,
  ReturnType<typeof parseInt>, ConstructorParameters<typeof Error>, InstanceType<typeof DeviceError>,
  Awaited<Promise<Promise<number>>>, Uppercase<"a">, Lowercase<"A">, Capitalize<"a">, Uncapitalize<"A">,
  ThisParameterType<typeof sum>, OmitThisParameter<typeof sum>, PropertyKey, ArrayLike<number>,
  ConcatArray<number>, TemplateStringsArray, IArguments, PropertyDescriptorMap, ArrayBufferLike, ArrayBufferView];
const awaited: Awaited<Promise<Promise<number>>> = 1;
const mapped: Record<"k", Partial<Cfg>> = { k: { host: "h" } };
const withThis: { n: number; m(): number } & ThisType<{ n: number }> = { n: 1, m() { return this.n; } };
export { s, c, n, flags, idx, t, popped, found, total, yes, joined, strs, keys, vals, back, proto, desc, descs, own,
  fmt, ok, mth, p2, p3, p4, p5, thenable, msg, classify, json, now, dn, ds, view, copy, plain, bin, sorted, words, dvn, isBytes,
  uri, bytes, secs, bound, called, Mode, spread, opt, tpl, awaited, mapped, withThis };
export type { All };
`;

const accepts = suite("firmware lib: accepts what Espruino has");
accepts("a broad sample of present built-ins -> no errors", () => {
  const result = compileAsFirmware([present]);
  assert.equal(result.global, []);
  assert.equal(result.perSource[0], []);
});
accepts.run();
