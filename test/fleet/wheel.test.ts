import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Wheel } from "../../tools/fleet/wheel";
import { createPrng } from "../helpers/prng";

const order = suite("wheel: order");

order("entries pushed at random times over several 65.5 s blocks -> popped in time order, each once", () => {
  const prng = createPrng(0x3ee1);
  const n = 5000;
  const w = new Wheel(n);
  const due = new Map<number, number>();
  for (let id = 0; id < n; id++) {
    const t = prng.int(4) === 0 ? prng.int(100) : prng.int(400000);
    w.push(id, t);
    due.set(id, t);
  }
  assert.is(w.size, n);
  let last = -1;
  let seen = 0;
  for (;;) {
    const id = w.pop(1e9);
    if (id < 0) break;
    assert.is(w.now, due.get(id), `entry ${id}`);
    assert.ok(w.now >= last);
    last = w.now;
    due.delete(id);
    seen++;
  }
  assert.is(seen, n);
  assert.is(w.size, 0);
});

order("push while popping (now, later, next block) -> still in order; due now comes out before the clock moves", () => {
  const w = new Wheel(10);
  w.push(0, 10);
  assert.is(w.pop(1e9), 0);
  w.push(1, 10); // due at the current time
  w.push(2, 70000); // a later block
  w.push(3, 11);
  assert.is(w.pop(1e9), 1);
  assert.is(w.now, 10);
  assert.is(w.pop(1e9), 3);
  assert.is(w.pop(1e9), 2);
  assert.is(w.now, 70000);
});

order.run();

const edits = suite("wheel: re-push, remove, until");

edits("re-push moves an entry; remove drops it; dueAt follows", () => {
  const w = new Wheel(4);
  w.push(0, 500);
  w.push(1, 200000);
  w.push(0, 300000); // moved to a later block
  assert.is(w.dueAt(0), 300000);
  w.remove(1);
  assert.is(w.dueAt(1), -1);
  w.remove(1); // no-op
  assert.is(w.size, 1);
  assert.is(w.pop(1e9), 0);
  assert.is(w.now, 300000);
  assert.is(w.pop(1e9), -1);
});

edits("pop(until) -> -1 with the clock at until + 1 when nothing is due by then; the entry stays", () => {
  const w = new Wheel(2);
  w.push(0, 1000000);
  assert.is(w.pop(999), -1);
  assert.is(w.now, 1000);
  assert.is(w.pop(654321), -1);
  assert.is(w.now, 654322);
  assert.is(w.pop(1e9), 0);
  assert.is(w.now, 1000000);
});

edits("a time before the clock -> clamped to now", () => {
  const w = new Wheel(2);
  w.push(0, 5000);
  w.pop(1e9);
  w.push(1, 10);
  assert.is(w.dueAt(1), 5000);
});

edits.run();
