// Rate limiters on a caller-supplied clock.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SlidingWindow, TokenBucket, retryAfterSeconds } from "../../tools/hub-sim/limits";

const bucket = suite("limits: token bucket");

bucket("burst of rate, then one token per 1/rate s", () => {
  const b = new TokenBucket(2);
  assert.ok(b.take(0));
  assert.ok(b.take(0));
  assert.not.ok(b.take(0));
  assert.not.ok(b.take(499));
  assert.ok(b.take(500));
  assert.not.ok(b.take(500));
});

bucket("a clock going backwards never adds tokens", () => {
  const b = new TokenBucket(1);
  assert.ok(b.take(10_000));
  assert.not.ok(b.take(5_000));
  assert.not.ok(b.take(10_500));
  assert.ok(b.take(11_000));
});

bucket.run();

const window = suite("limits: sliding window");

window("limit per window; the wait names when the oldest leaves", () => {
  const w = new SlidingWindow(5, 10_000);
  for (let i = 0; i < 5; i++) assert.is(w.tryAdd(i * 1000), 0);
  assert.is(w.tryAdd(5_000), 5_000);
  assert.is(w.tryAdd(10_000), 0);
  assert.is(retryAfterSeconds(5_000), 5);
  assert.is(retryAfterSeconds(1), 1);
  assert.is(retryAfterSeconds(1_001), 2);
});

window.run();
