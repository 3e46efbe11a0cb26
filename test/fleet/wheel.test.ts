import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Wheel } from "../../tools/fleet/wheel";
import { createPrng } from "../helpers/prng";

const order = suite("wheel: order");

order("entries pushed at random times over several 65.5 s blocks -> popped in time order, each once", () => {
  const prng = createPrng(0x3ee1);
  const n = 5000;
  const w = new Wheel(n, 16);
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
  const w = new Wheel(10, 16);
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
  const w = new Wheel(4, 16);
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
  const w = new Wheel(2, 16);
  w.push(0, 1000000);
  assert.is(w.pop(999), -1);
  assert.is(w.now, 1000);
  assert.is(w.pop(654321), -1);
  assert.is(w.now, 654322);
  assert.is(w.pop(1e9), 0);
  assert.is(w.now, 1000000);
});

edits("a time before the clock -> clamped to now", () => {
  const w = new Wheel(2, 16);
  w.push(0, 5000);
  w.pop(1e9);
  w.push(1, 10);
  assert.is(w.dueAt(1), 5000);
});

for (const bits of [16, 22]) edits(`random pushes, moves, removals and pops, level 1 of 2^${bits} ms -> each pending entry pops once, at its last time, in order`, () => {
  // Moves and removals leave dead nodes behind in the slots; none of them may come out.
  const prng = createPrng(0x0dead + bits);
  const n = 300;
  const w = new Wheel(n, bits);
  const far = 5 << bits;
  const due = new Map<number, number>();
  for (let step = 0; step < 20000; step++) {
    const id = prng.int(n);
    const r = prng.int(10);
    if (r < 6) {
      // Within this block, the next, or far: and sometimes exactly the time it has.
      const t = r === 0 && due.has(id) ? (due.get(id) as number) : w.now + (prng.int(3) === 0 ? prng.int(far) : prng.int(50));
      w.push(id, t);
      due.set(id, Math.max(t, w.now));
    } else if (r < 8) {
      w.remove(id);
      due.delete(id);
    } else {
      const got = w.pop(w.now + prng.int(prng.int(50) === 0 ? far : 2000));
      if (got >= 0) {
        assert.is(due.get(got), w.now, `entry ${got}`);
        for (const t of due.values()) assert.ok(t >= w.now);
        due.delete(got);
      } else {
        for (const t of due.values()) assert.ok(t >= w.now);
      }
    }
    assert.is(w.size, due.size);
    for (const [k, t] of due) if (w.dueAt(k) !== t) assert.unreachable(`dueAt(${k}) ${w.dueAt(k)} != ${t}`);
  }
  for (;;) {
    const got = w.pop(1e9);
    if (got < 0) break;
    assert.is(due.get(got), w.now);
    due.delete(got);
  }
  assert.is(due.size, 0);
  assert.is(w.size, 0);
});

edits.run();

const scout = suite("wheel: scout");

scout("nothing moved -> the scout finds the entries of the block in pop order, ahead of the clock; pops never change", () => {
  const prng = createPrng(0x5c07);
  const n = 3000;
  const w = new Wheel(n, 16);
  for (let id = 0; id < n; id++) w.push(id, prng.int(4) === 0 ? prng.int(50) : prng.int(60000));
  // Within the first block nothing is pushed while popping: the scout's sequence is pop's.
  const scouted: number[] = [];
  for (;;) {
    const id = w.scout();
    if (id < 0) {
      if (w.scoutLead > 0 && scouted.length < n) continue; // a run of empty slots: it goes on
      break;
    }
    scouted.push(id);
  }
  assert.is(scouted.length, n);
  for (let i = 0; i < n; i++) assert.is(w.pop(1e9), scouted[i], `entry ${i}`);
  assert.is(w.pop(1e9), -1);
});

scout("pops of entries it did not return -> the lead stays at 0, so the scout stays a few entries ahead of the clock", () => {
  const w = new Wheel(100, 16);
  for (let id = 0; id < 100; id++) w.push(id, 10 * id);
  for (let i = 0; i < 5; i++) w.pop(1e9);
  assert.is(w.scoutLead, 0);
  // Two entries scouted and one popped: one ahead, and the scout is where pop goes next.
  const first = w.scout();
  w.scout();
  assert.is(w.scoutLead, 2);
  assert.is(w.pop(1e9), first);
  assert.is(w.scoutLead, 1);
});

scout("moves, removals and pops while it walks -> the scout restarts at the clock, never walks the free nodes, and pop order is unchanged", () => {
  const prng = createPrng(0x5c08);
  const n = 400;
  const a = new Wheel(n, 16);
  const b = new Wheel(n, 16);
  for (let step = 0; step < 20000; step++) {
    const r = prng.int(10);
    const id = prng.int(n);
    if (r < 5) {
      const t = Math.max(a.now, a.now + prng.int(3000) - 10);
      a.push(id, t);
      b.push(id, t);
    } else if (r === 5) {
      a.remove(id);
      b.remove(id);
    } else if (r < 8) {
      for (let k = 0; k < 3; k++) {
        const s = a.scout();
        assert.ok(s >= -1 && s < n);
      }
    } else {
      const until = a.now + prng.int(50);
      assert.is(a.pop(until), b.pop(until));
      assert.is(a.now, b.now);
    }
  }
  for (;;) {
    const x = a.pop(1e9);
    assert.is(x, b.pop(1e9));
    if (x < 0) break;
  }
});

scout.run();
