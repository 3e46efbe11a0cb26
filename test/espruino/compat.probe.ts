// What breaks on Espruino when plain TypeScript output is used (docs/espruino.md, "The
// build pipeline"), compiled through the shipping pipeline and run on the interpreter.
import { check, probe, done } from "./probe-kit";

console.log("VERSION " + process.version);

// Classes, inheritance, super calls, statics.
class Shape {
  static count = 0;
  static describe(): string {
    return "shape";
  }
  constructor(public name: string) {
    Shape.count++;
  }
  area(): number {
    return 0;
  }
  label(): string {
    return this.name + ":" + this.area();
  }
}
class Square extends Shape {
  constructor(private side: number) {
    super("square");
  }
  area(): number {
    return this.side * this.side;
  }
  label(): string {
    return "[" + super.label() + "]";
  }
}
class Cube extends Square {
  constructor(side: number) {
    super(side);
    this.name = "cube";
  }
}
probe("class inheritance and super calls", () => new Cube(3).label() === "[cube:9]");
probe("instanceof across levels", () => new Cube(1) instanceof Shape && new Cube(1) instanceof Square);
probe("static members and static inheritance", () => Shape.count >= 2 && (Square as unknown as typeof Shape).describe() === "shape");

// A custom error class classified by instanceof, message and a numeric code.
class DeviceError extends Error {
  code: number;
  constructor(message: string, code: number) {
    super(message);
    Object.setPrototypeOf(this, DeviceError.prototype);
    this.code = code;
  }
}
probe("custom error: instanceof, message, code", () => {
  try {
    throw new DeviceError("bad thing", -7);
  } catch (e) {
    return e instanceof DeviceError && (e as DeviceError).message === "bad thing" && (e as DeviceError).code === -7;
  }
});

// Closures created in loops must each see their own value (copied into a body-level let).
probe("closures created in a loop", () => {
  const fns: Array<() => number> = [];
  for (let i = 0; i < 3; i++) {
    const copy = i;
    fns.push(function () {
      return copy;
    });
  }
  return fns[0]() === 0 && fns[1]() === 1 && fns[2]() === 2;
});

// Rest, spread, default parameters, destructuring, optional chaining, nullish coalescing.
function sum(first: number, ...rest: number[]): number {
  let total = first;
  for (let i = 0; i < rest.length; i++) total += rest[i];
  return total;
}
function greet(name: string, greeting = "hello"): string {
  return greeting + " " + name;
}
probe("rest parameters", () => sum(1) === 1 && sum(1, 2, 3) === 6);
probe("spread in calls and arrays", () => {
  const xs = [2, 3];
  const all = [1, ...xs, 4];
  return sum(...(all as [number, ...number[]])) === 10 && all.length === 4;
});
probe("default parameters", () => greet("a") === "hello a" && greet("b", "hi") === "hi b");
probe("object spread and rest", () => {
  const base = { a: 1, b: 2 };
  const more = { ...base, c: 3 };
  const { a, ...others } = more;
  return a === 1 && others.b === 2 && others.c === 3 && (others as { a?: number }).a === undefined;
});
probe("array and parameter destructuring", () => {
  const [x, y] = [5, 6];
  const pick = ({ p, q }: { p: number; q: number }) => p * q;
  return x === 5 && y === 6 && pick({ p: 2, q: 4 }) === 8;
});
probe("optional chaining and nullish coalescing", () => {
  const cfg: { net?: { port?: number } } = { net: {} };
  const none: { net?: { port?: number } } = {};
  return (cfg.net?.port ?? 8883) === 8883 && none.net?.port === undefined;
});

// Enums, numeric and string.
enum Status { Idle, Busy = 5, Done }
enum Mode { Fast = "fast" }
probe("enums", () => Status.Done === 6 && Status[5] === "Busy" && Mode.Fast === "fast");

// Typed arrays.
probe("typed arrays: views, subarray, set", () => {
  const buf = new Uint8Array(8);
  buf.set([1, 2, 3], 2);
  const view = buf.subarray(2, 5);
  view[0] = 9;
  const words = new Uint32Array(1);
  words[0] = 0xffffffff;
  return buf[2] === 9 && view.length === 3 && words[0] === 4294967295 && new DataView(buf.buffer).getUint8(3) === 2;
});

// Getters and setters.
class Counter {
  private n = 0;
  get value(): number {
    return this.n;
  }
  set value(v: number) {
    this.n = v < 0 ? 0 : v;
  }
}
probe("accessors", () => {
  const c = new Counter();
  c.value = -4;
  const first = c.value;
  c.value = 7;
  return first === 0 && c.value === 7;
});

// Promise chains, last: DONE is printed when they settle.
let steps = 0;
Promise.resolve(1)
  .then(function (v) {
    steps++;
    return v + 1;
  })
  .then(function (v) {
    steps++;
    if (v !== 2) throw new DeviceError("wrong value " + v, -1);
    return Promise.reject(new DeviceError("expected", -2));
  })
  .catch(function (e: DeviceError) {
    check("promise chain: then, reject, catch", steps === 2 && e.code === -2, "steps " + steps + " code " + e.code);
    return Promise.all([Promise.resolve("a"), "b"]);
  })
  .then(function (values) {
    check("Promise.all", values.join("") === "ab");
    done();
  });
