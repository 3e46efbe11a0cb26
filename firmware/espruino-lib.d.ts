// The built-ins Espruino 2v29 has beyond ES5 (measured: ../shared/reference/espruino.md §3).
// tsconfig.json limits lib to ES5 + Promise; this file adds back only what the interpreter
// really provides, so anything else (Map, Set, Array.from, Math.imul...) fails to compile.

interface String {
  padStart(maxLength: number, fillString?: string): string;
  padEnd(maxLength: number, fillString?: string): string;
  startsWith(searchString: string, position?: number): boolean;
  endsWith(searchString: string, endPosition?: number): boolean;
  includes(searchString: string, position?: number): boolean;
  repeat(count: number): string;
  replaceAll(searchValue: string | RegExp, replaceValue: string): string;
}

interface Array<T> {
  includes(searchElement: T, fromIndex?: number): boolean;
  find(predicate: (value: T, index: number, obj: T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, obj: T[]) => unknown): number;
  fill(value: T, start?: number, end?: number): this;
}

interface ReadonlyArray<T> {
  includes(searchElement: T, fromIndex?: number): boolean;
  find(predicate: (value: T, index: number, obj: readonly T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, obj: readonly T[]) => unknown): number;
}

interface ObjectConstructor {
  assign<T extends {}, U>(target: T, source: U): T & U;
  assign<T extends {}, U, V>(target: T, source1: U, source2: V): T & U & V;
  entries<T>(o: { [s: string]: T }): [string, T][];
  values<T>(o: { [s: string]: T }): T[];
  fromEntries<T>(entries: [string, T][]): { [k: string]: T };
  setPrototypeOf(o: any, proto: object | null): any;
}

// Timers exist on every Espruino build. Only hal/ may call them; firmware core code gets
// time through the HAL. Note: clearTimeout() with no id clears EVERY timer on Espruino.
declare function setTimeout(callback: (...args: any[]) => void, ms?: number): number;
declare function setInterval(callback: (...args: any[]) => void, ms?: number): number;
declare function clearInterval(id: number): void;
declare var console: { log(...args: any[]): void };
