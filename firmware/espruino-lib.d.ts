// The whole standard library of the device build: tsconfig.json sets "noLib", so this file is
// everything firmware/ may use, and anything Espruino 2v29 lacks (Map, Set, Symbol, Array.from,
// Number.isInteger, Math.imul, Object.freeze, Promise.race, RangeError...) fails to compile.
// Measured against the 2v29 Linux builds (docs/ARCHITECTURE.md lists what breaks on the
// interpreter). Where a method exists but ignores an argument, the argument is
// left out on purpose. Espruino-only globals (E, print, getTime, eval...) come from
// @types/espruino and hal/espruino-api.d.ts. Only hal/espruino.ts may use timers and console.

// ---- Types the compiler itself needs, and the utility types -------------------------------

type PropertyKey = string | number | symbol;
interface ThisType<T> {}
type Partial<T> = { [K in keyof T]?: T[K] };
type Required<T> = { [K in keyof T]-?: T[K] };
type Readonly<T> = { readonly [K in keyof T]: T[K] };
type Pick<T, K extends keyof T> = { [P in K]: T[P] };
type Record<K extends keyof any, V> = { [P in K]: V };
type Exclude<T, U> = T extends U ? never : T;
type Extract<T, U> = T extends U ? T : never;
type Omit<T, K extends keyof any> = Pick<T, Exclude<keyof T, K>>;
type NonNullable<T> = T & {};
type Parameters<F extends (...args: any) => any> = F extends (...args: infer A) => any ? A : never;
type ReturnType<F extends (...args: any) => any> = F extends (...args: any) => infer R ? R : any;
type ConstructorParameters<C extends abstract new (...args: any) => any> =
  C extends abstract new (...args: infer A) => any ? A : never;
type InstanceType<C extends abstract new (...args: any) => any> =
  C extends abstract new (...args: any) => infer R ? R : any;
type ThisParameterType<F> = F extends (this: infer This, ...args: never) => any ? This : unknown;
type OmitThisParameter<F> =
  unknown extends ThisParameterType<F> ? F : F extends (...args: infer A) => infer R ? (...args: A) => R : F;
/** What `await` would produce: unwraps nested thenables. */
type Awaited<T> = T extends null | undefined
  ? T
  : T extends object & { then(onfulfilled: infer F, ...rest: infer _): any }
    ? F extends (value: infer V, ...rest: infer _) => any ? Awaited<V> : never
    : T;
type Uppercase<S extends string> = intrinsic;
type Lowercase<S extends string> = intrinsic;
type Capitalize<S extends string> = intrinsic;
type Uncapitalize<S extends string> = intrinsic;
type NoInfer<T> = intrinsic;

interface PropertyDescriptor {
  value?: any;
  writable?: boolean; // writing a non-writable property throws on Espruino
  enumerable?: boolean; // Object.keys lists non-enumerable properties anyway
  configurable?: boolean;
  get?(): any;
  set?(value: any): void;
}
interface PropertyDescriptorMap {
  [key: PropertyKey]: PropertyDescriptor;
}

/** Array/String/Number/Boolean/Function.prototype: their methods read as undefined on Espruino,
 *  so none are declared; call them on an instance, [].slice.call(x) or "".charAt. The
 *  price: `x instanceof Array` does not narrow x, so use Array.isArray (and typeof for the rest).
 *  Other constructors keep prototype = instance type, which instanceof narrowing needs. */
interface EspruinoPrototype {}

// ---- Object (only hasOwnProperty is reachable through Object.prototype) ------

interface Object {
  constructor: Function;
  toString(): string;
  valueOf(): Object;
  hasOwnProperty(key: PropertyKey): boolean;
}
interface ObjectConstructor {
  new (value?: any): Object;
  (value?: any): any;
  readonly prototype: { hasOwnProperty(key: PropertyKey): boolean };
  keys(o: {}): string[];
  values<T>(o: { [key: string]: T } | ArrayLike<T>): T[];
  values(o: {}): any[];
  entries<T>(o: { [key: string]: T } | ArrayLike<T>): [string, T][];
  entries(o: {}): [string, any][];
  fromEntries<T = any>(entries: ReadonlyArray<readonly [PropertyKey, T]>): { [key: string]: T };
  assign<T extends {}, U>(target: T, source: U): T & U;
  assign<T extends {}, U, V>(target: T, source1: U, source2: V): T & U & V;
  assign<T extends {}, U, V, W>(target: T, source1: U, source2: V, source3: W): T & U & V & W;
  getOwnPropertyNames(o: any): string[];
  getPrototypeOf(o: any): any;
  setPrototypeOf<T>(o: T, proto: object | null): T;
  /** One argument only: create(proto, descriptors) throws "propertiesObject is not supported yet". */
  create(proto: object | null): any;
  defineProperty<T>(o: T, key: PropertyKey, descriptor: PropertyDescriptor & ThisType<any>): T;
  defineProperties<T>(o: T, descriptors: PropertyDescriptorMap & ThisType<any>): T;
  getOwnPropertyDescriptor(o: any, key: PropertyKey): PropertyDescriptor | undefined;
  getOwnPropertyDescriptors(o: any): PropertyDescriptorMap;
}
declare var Object: ObjectConstructor;

// ---- Functions (bind/call/apply; no fn.name; `new` on a bound function fails) --

interface Function {
  apply(this: Function, thisArg: any, args?: any): any;
  call(this: Function, thisArg: any, ...args: any[]): any;
  bind(this: Function, thisArg: any, ...args: any[]): any;
  toString(): string;
  prototype: any;
  readonly length: number;
}
interface FunctionConstructor {
  new (...args: string[]): Function;
  (...args: string[]): Function;
  readonly prototype: EspruinoPrototype;
}
declare var Function: FunctionConstructor;

/** The type of plain functions and methods under strictBindCallApply. apply: at most 256 args. */
interface CallableFunction extends Function {
  apply<T, R>(this: (this: T) => R, thisArg: T): R;
  apply<T, A extends any[], R>(this: (this: T, ...args: A) => R, thisArg: T, args: A): R;
  call<T, A extends any[], R>(this: (this: T, ...args: A) => R, thisArg: T, ...args: A): R;
  bind<T>(this: T, thisArg: ThisParameterType<T>): OmitThisParameter<T>;
  bind<T, A extends any[], B extends any[], R>(
    this: (this: T, ...args: [...A, ...B]) => R, thisArg: T, ...args: A): (...args: B) => R;
}
/** The type of classes and constructors. `new` on a bound function fails, so bind gives never. */
interface NewableFunction extends Function {
  apply<T>(this: new () => T, thisArg: T): void;
  apply<T, A extends any[]>(this: new (...args: A) => T, thisArg: T, args: A): void;
  call<T, A extends any[]>(this: new (...args: A) => T, thisArg: T, ...args: A): void;
  bind(this: Function, thisArg: any, ...args: any[]): never;
}

/** `arguments` is a real array on Espruino, but its length is max(declared, passed). */
interface IArguments {
  [index: number]: any;
  length: number;
}

// ---- Primitives' wrappers ----------------------------------------------------------------

interface Boolean {
  valueOf(): boolean;
}
interface BooleanConstructor {
  new (value?: any): Boolean;
  <T>(value?: T): boolean;
  readonly prototype: EspruinoPrototype;
}
declare var Boolean: BooleanConstructor;

// Number / Math: no Number.isInteger/isFinite/isNaN/isSafeInteger, MAX_SAFE_INTEGER, EPSILON,
// toPrecision or toExponential.
interface Number {
  toString(radix?: number): string;
  toFixed(digits?: number): string;
  valueOf(): number;
}
interface NumberConstructor {
  new (value?: any): Number;
  (value?: any): number;
  readonly prototype: EspruinoPrototype;
  readonly MAX_VALUE: number;
  readonly MIN_VALUE: number;
  readonly NaN: number;
  readonly NEGATIVE_INFINITY: number;
  readonly POSITIVE_INFINITY: number;
}
declare var Number: NumberConstructor;
declare var NaN: number;
declare var Infinity: number;

// String: no trimStart/End, search, localeCompare, codePointAt, matchAll, normalize, at.
interface String {
  readonly length: number;
  readonly [index: number]: string;
  toString(): string;
  valueOf(): string;
  charAt(pos: number): string;
  charCodeAt(index: number): number;
  concat(...strings: string[]): string;
  indexOf(searchString: string, position?: number): number;
  lastIndexOf(searchString: string, position?: number): number;
  includes(searchString: string, position?: number): boolean;
  startsWith(searchString: string, position?: number): boolean;
  endsWith(searchString: string, endPosition?: number): boolean;
  slice(start?: number, end?: number): string;
  substring(start: number, end?: number): string;
  substr(from: number, length?: number): string;
  /** No `limit`: Espruino ignores it. A capture group in a RegExp separator is dropped. */
  split(separator: string | RegExp): string[];
  toLowerCase(): string;
  toUpperCase(): string;
  trim(): string;
  padStart(maxLength: number, fillString?: string): string;
  padEnd(maxLength: number, fillString?: string): string;
  repeat(count: number): string;
  match(regexp: string | RegExp): RegExpMatchArray | null;
  /** `$1` works in the replacement; `$&` and `$$` do not. */
  replace(searchValue: string | RegExp, replaceValue: string): string;
  replace(searchValue: string | RegExp, replacer: (substring: string, ...args: any[]) => string): string;
  /** A string replacement only: a function is inserted as its source text. */
  replaceAll(searchValue: string | RegExp, replaceValue: string): string;
}
interface StringConstructor {
  new (value?: any): String;
  (value?: any): string;
  readonly prototype: EspruinoPrototype;
  /** Keeps only the low byte of codes above 255. No String.raw, no fromCodePoint. */
  fromCharCode(...codes: number[]): string;
}
declare var String: StringConstructor;

/** Tagged templates are downlevelled by TypeScript; String.raw does not exist. */
interface TemplateStringsArray extends ReadonlyArray<string> {
  readonly raw: readonly string[];
}

// RegExp: flags i and g (m is ignored); no .global/.ignoreCase/.multiline properties.
interface RegExp {
  exec(s: string): RegExpExecArray | null;
  test(s: string): boolean;
  readonly source: string;
  readonly flags: string;
  lastIndex: number;
}
interface RegExpConstructor {
  new (pattern: string | RegExp, flags?: string): RegExp;
  (pattern: string | RegExp, flags?: string): RegExp;
  readonly prototype: RegExp;
}
declare var RegExp: RegExpConstructor;
interface RegExpMatchArray extends Array<string> {
  0: string;
  index?: number;
  input?: string;
}
interface RegExpExecArray extends Array<string> {
  0: string;
  index: number;
  input: string;
}

// ---- Arrays (no from/of, reduceRight, lastIndexOf, flat, flatMap, at, findLast, keys;
// `arr.length = n` throws, so length is read-only; find/findIndex ignore a thisArg) ----------

interface ArrayLike<T> {
  readonly length: number;
  readonly [n: number]: T;
}
interface ConcatArray<T> {
  readonly length: number;
  readonly [n: number]: T;
  join(separator?: string): string;
  slice(start?: number, end?: number): T[];
}
interface ReadonlyArray<T> {
  readonly length: number;
  readonly [n: number]: T;
  toString(): string;
  concat(...items: (T | ConcatArray<T>)[]): T[];
  join(separator?: string): string;
  slice(start?: number, end?: number): T[];
  indexOf(searchElement: T, fromIndex?: number): number;
  includes(searchElement: T, fromIndex?: number): boolean;
  find<S extends T>(predicate: (value: T, index: number, array: readonly T[]) => value is S): S | undefined;
  find(predicate: (value: T, index: number, array: readonly T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, array: readonly T[]) => unknown): number;
  every(predicate: (value: T, index: number, array: readonly T[]) => unknown, thisArg?: any): boolean;
  some(predicate: (value: T, index: number, array: readonly T[]) => unknown, thisArg?: any): boolean;
  forEach(callback: (value: T, index: number, array: readonly T[]) => void, thisArg?: any): void;
  map<U>(callback: (value: T, index: number, array: readonly T[]) => U, thisArg?: any): U[];
  filter<S extends T>(predicate: (value: T, index: number, array: readonly T[]) => value is S, thisArg?: any): S[];
  filter(predicate: (value: T, index: number, array: readonly T[]) => unknown, thisArg?: any): T[];
  reduce(callback: (acc: T, value: T, index: number, array: readonly T[]) => T): T;
  reduce(callback: (acc: T, value: T, index: number, array: readonly T[]) => T, initial: T): T;
  reduce<U>(callback: (acc: U, value: T, index: number, array: readonly T[]) => U, initial: U): U;
}
interface Array<T> {
  readonly length: number;
  [n: number]: T;
  toString(): string;
  push(...items: T[]): number;
  pop(): T | undefined;
  shift(): T | undefined;
  unshift(...items: T[]): number;
  concat(...items: (T | ConcatArray<T>)[]): T[];
  join(separator?: string): string;
  reverse(): T[];
  slice(start?: number, end?: number): T[];
  splice(start: number, deleteCount?: number, ...items: T[]): T[];
  /** Unstable on Espruino. */
  sort(compare?: (a: T, b: T) => number): this;
  fill(value: T, start?: number, end?: number): this;
  indexOf(searchElement: T, fromIndex?: number): number;
  includes(searchElement: T, fromIndex?: number): boolean;
  find<S extends T>(predicate: (value: T, index: number, array: T[]) => value is S): S | undefined;
  find(predicate: (value: T, index: number, array: T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, array: T[]) => unknown): number;
  every(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: any): boolean;
  some(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: any): boolean;
  forEach(callback: (value: T, index: number, array: T[]) => void, thisArg?: any): void;
  map<U>(callback: (value: T, index: number, array: T[]) => U, thisArg?: any): U[];
  filter<S extends T>(predicate: (value: T, index: number, array: T[]) => value is S, thisArg?: any): S[];
  filter(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: any): T[];
  reduce(callback: (acc: T, value: T, index: number, array: T[]) => T): T;
  reduce(callback: (acc: T, value: T, index: number, array: T[]) => T, initial: T): T;
  reduce<U>(callback: (acc: U, value: T, index: number, array: T[]) => U, initial: U): U;
}
interface ArrayConstructor {
  readonly prototype: EspruinoPrototype;
  new (length?: number): any[];
  new <T>(length: number): T[];
  new <T>(...items: T[]): T[];
  (length?: number): any[];
  <T>(length: number): T[];
  <T>(...items: T[]): T[];
  isArray(value: any): value is any[];
}
declare var Array: ArrayConstructor;

// ---- Errors (no RangeError/EvalError/URIError; no e.name) -------------------

interface Error {
  message: string;
  stack?: string;
}
interface ErrorConstructor {
  new (message?: string): Error;
  (message?: string): Error;
  readonly prototype: Error;
}
declare var Error: ErrorConstructor;
interface ErrorConstructorOf<E extends Error> {
  new (message?: string): E;
  (message?: string): E;
  readonly prototype: E;
}
interface TypeError extends Error {}
declare var TypeError: ErrorConstructorOf<TypeError>;
interface SyntaxError extends Error {}
declare var SyntaxError: ErrorConstructorOf<SyntaxError>;
interface ReferenceError extends Error {}
declare var ReferenceError: ErrorConstructorOf<ReferenceError>;
/** Espruino's own: failed connects and similar. */
interface InternalError extends Error {}
declare var InternalError: ErrorConstructorOf<InternalError>;

// ---- Promise (then, catch, all, resolve, reject; no race/finally/allSettled/any) -

interface PromiseLike<T> {
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2>;
}
interface Promise<T> {
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R>;
}
interface PromiseConstructor {
  readonly prototype: Promise<any>;
  new <T>(executor: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: any) => void) => void): Promise<T>;
  all<T extends readonly unknown[] | []>(values: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }>;
  resolve(): Promise<void>;
  resolve<T>(value: T): Promise<Awaited<T>>;
  resolve<T>(value: T | PromiseLike<T>): Promise<Awaited<T>>;
  reject<T = never>(reason?: any): Promise<T>;
}
declare var Promise: PromiseConstructor;

// ---- JSON, Math, Date ----------------------------------------------------------------------

/** JSON: a reviver or replacer function is silently ignored, so neither is declared. */
interface JSON {
  parse(text: string): any;
  stringify(value: any, replacer?: null, space?: string | number): string;
}
declare var JSON: JSON;

/** Math: no imul, clz32, trunc, cbrt, log2, log10, hypot, hyperbolics. pow is inexact. */
interface Math {
  readonly E: number;
  readonly LN10: number;
  readonly LN2: number;
  readonly LOG2E: number;
  readonly LOG10E: number;
  readonly PI: number;
  readonly SQRT1_2: number;
  readonly SQRT2: number;
  abs(x: number): number;
  acos(x: number): number;
  asin(x: number): number;
  atan(x: number): number;
  atan2(y: number, x: number): number;
  ceil(x: number): number;
  cos(x: number): number;
  exp(x: number): number;
  floor(x: number): number;
  log(x: number): number;
  max(...values: number[]): number;
  min(...values: number[]): number;
  pow(x: number, y: number): number;
  random(): number;
  /** Rounds halves away from zero: round(-2.5) is -3. */
  round(x: number): number;
  sign(x: number): number;
  sin(x: number): number;
  sqrt(x: number): number;
  tan(x: number): number;
  /** Espruino: x limited to [min, max]. */
  clip(x: number, min: number, max: number): number;
  /** Espruino: x wrapped into [0, max). */
  wrap(x: number, max: number): number;
  /** Espruino: a random integer in [0, max). */
  randInt(max: number): number;
}
declare var Math: Math;

/** Date: no Date.UTC, no getUTC* / setUTC* methods (absent on 2v29), no locale strings. */
interface Date {
  toString(): string;
  toUTCString(): string;
  toISOString(): string;
  toJSON(): string;
  valueOf(): number;
  getTime(): number;
  getFullYear(): number;
  getMonth(): number;
  getDate(): number;
  getDay(): number;
  getHours(): number;
  getMinutes(): number;
  getSeconds(): number;
  getMilliseconds(): number;
  getTimezoneOffset(): number;
  setTime(time: number): number;
  setMilliseconds(ms: number): number;
  setSeconds(sec: number, ms?: number): number;
  setMinutes(min: number, sec?: number, ms?: number): number;
  setHours(hours: number, min?: number, sec?: number, ms?: number): number;
  setDate(date: number): number;
  setMonth(month: number, date?: number): number;
  setFullYear(year: number, month?: number, date?: number): number;
}
interface DateConstructor {
  readonly prototype: Date;
  new (): Date;
  /** Not a Date: new Date(date) throws; use new Date(date.getTime()). */
  new (value: number | string): Date;
  /** The day is required: new Date(2024, 1) gives Jan 31, not Feb 1. */
  new (year: number, monthIndex: number, date: number, hours?: number, minutes?: number, seconds?: number, ms?: number): Date;
  /** Fractional milliseconds. */
  now(): number;
  /** An unparsable string gives 0, not NaN. */
  parse(s: string): number;
}
declare var Date: DateConstructor;

// ---- Binary data (no from/of, BYTES_PER_ELEMENT, ArrayBuffer slice/isView) --

interface ArrayBuffer {
  readonly byteLength: number;
}
declare var ArrayBuffer: { new (byteLength: number): ArrayBuffer; readonly prototype: ArrayBuffer };
type ArrayBufferLike = ArrayBuffer;
interface ArrayBufferView {
  readonly buffer: ArrayBufferLike;
  readonly byteLength: number;
  readonly byteOffset: number;
}

/** What every typed array has (`This` is the concrete type). filter exists but returns a plain
 *  array, so it is left out; find/findIndex ignore a thisArg. */
interface EspruinoTypedArray<This> extends ArrayBufferView {
  readonly length: number;
  [index: number]: number;
  toString(): string;
  set(source: ArrayLike<number>, offset?: number): void;
  /** Shares memory with this array. */
  subarray(begin?: number, end?: number): This;
  /** On Espruino 2v29 a plain Array, one variable per element: copy a typed array with
   *  `new Uint8Array(view)` instead. */
  slice(start?: number, end?: number): number[];
  fill(value: number, start?: number, end?: number): this;
  join(separator?: string): string;
  indexOf(searchElement: number, fromIndex?: number): number;
  includes(searchElement: number, fromIndex?: number): boolean;
  find(predicate: (value: number, index: number, array: This) => unknown): number | undefined;
  findIndex(predicate: (value: number, index: number, array: This) => unknown): number;
  every(predicate: (value: number, index: number, array: This) => unknown, thisArg?: any): boolean;
  some(predicate: (value: number, index: number, array: This) => unknown, thisArg?: any): boolean;
  forEach(callback: (value: number, index: number, array: This) => void, thisArg?: any): void;
  map(callback: (value: number, index: number, array: This) => number, thisArg?: any): This;
  reduce(callback: (acc: number, value: number, index: number, array: This) => number): number;
  reduce(callback: (acc: number, value: number, index: number, array: This) => number, initial: number): number;
  reduce<U>(callback: (acc: U, value: number, index: number, array: This) => U, initial: U): U;
  reverse(): this;
  sort(compare?: (a: number, b: number) => number): this;
}
/** new X("str") throws: convert strings with E.toUint8Array. */
interface EspruinoTypedArrayConstructor<This> {
  readonly prototype: This;
  new (length: number): This;
  new (source: ArrayLike<number> | ArrayBufferLike): This;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): This;
}
interface Int8Array extends EspruinoTypedArray<Int8Array> {}
declare var Int8Array: EspruinoTypedArrayConstructor<Int8Array>;
interface Uint8Array extends EspruinoTypedArray<Uint8Array> {}
declare var Uint8Array: EspruinoTypedArrayConstructor<Uint8Array>;
interface Uint8ClampedArray extends EspruinoTypedArray<Uint8ClampedArray> {}
declare var Uint8ClampedArray: EspruinoTypedArrayConstructor<Uint8ClampedArray>;
interface Int16Array extends EspruinoTypedArray<Int16Array> {}
declare var Int16Array: EspruinoTypedArrayConstructor<Int16Array>;
interface Uint16Array extends EspruinoTypedArray<Uint16Array> {}
declare var Uint16Array: EspruinoTypedArrayConstructor<Uint16Array>;
/** Espruino only (not in Node): firmware shared with Node tests should not use it. */
interface Uint24Array extends EspruinoTypedArray<Uint24Array> {}
declare var Uint24Array: EspruinoTypedArrayConstructor<Uint24Array>;
interface Int32Array extends EspruinoTypedArray<Int32Array> {}
declare var Int32Array: EspruinoTypedArrayConstructor<Int32Array>;
interface Uint32Array extends EspruinoTypedArray<Uint32Array> {}
declare var Uint32Array: EspruinoTypedArrayConstructor<Uint32Array>;
interface Float32Array extends EspruinoTypedArray<Float32Array> {}
declare var Float32Array: EspruinoTypedArrayConstructor<Float32Array>;
interface Float64Array extends EspruinoTypedArray<Float64Array> {}
declare var Float64Array: EspruinoTypedArrayConstructor<Float64Array>;

/** Big-endian unless littleEndian is true. */
interface DataView extends ArrayBufferView {
  getInt8(byteOffset: number): number;
  getUint8(byteOffset: number): number;
  getInt16(byteOffset: number, littleEndian?: boolean): number;
  getUint16(byteOffset: number, littleEndian?: boolean): number;
  getInt32(byteOffset: number, littleEndian?: boolean): number;
  getUint32(byteOffset: number, littleEndian?: boolean): number;
  getFloat32(byteOffset: number, littleEndian?: boolean): number;
  getFloat64(byteOffset: number, littleEndian?: boolean): number;
  setInt8(byteOffset: number, value: number): void;
  setUint8(byteOffset: number, value: number): void;
  setInt16(byteOffset: number, value: number, littleEndian?: boolean): void;
  setUint16(byteOffset: number, value: number, littleEndian?: boolean): void;
  setInt32(byteOffset: number, value: number, littleEndian?: boolean): void;
  setUint32(byteOffset: number, value: number, littleEndian?: boolean): void;
  setFloat32(byteOffset: number, value: number, littleEndian?: boolean): void;
  setFloat64(byteOffset: number, value: number, littleEndian?: boolean): void;
}
declare var DataView: {
  new (buffer: ArrayBufferLike, byteOffset?: number, byteLength?: number): DataView;
  readonly prototype: DataView;
};

// ---- Global functions (no encodeURI/decodeURI, escape, unescape) ---

declare function parseInt(string: string, radix?: number): number;
declare function parseFloat(string: string): number;
declare function isNaN(number: number): boolean;
declare function isFinite(number: number): boolean;
/** Reliable for ASCII only. */
declare function encodeURIComponent(component: string | number | boolean): string;
declare function decodeURIComponent(component: string): string;
/** Binary-safe for bytes 0-255; also takes a byte array or ArrayBuffer. */
declare function btoa(data: string | ArrayLike<number> | ArrayBuffer): string;
/** Silently accepts whitespace and the URL-safe '-' and '_'. */
declare function atob(data: string): string;

// ---- Console and timers (hal/ only: firmware core code gets time through the HAL) ----------

interface Console {
  log(...data: any[]): void;
  error(...data: any[]): void;
  warn(...data: any[]): void;
  info(...data: any[]): void;
  debug(...data: any[]): void;
}
declare var console: Console;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
/** Never call with undefined (throws) or with no id: clearTimeout() clears EVERY timer. */
declare function clearTimeout(id: number): void;
declare function clearInterval(id: number): void;
