// findText: String indexOf without Espruino 2v29's false hits (a needle cut off by the end
// of the text). On Node indexOf is right, so findText must agree with it everywhere.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { findText } from "../firmware/text";
import { createPrng } from "./helpers/prng";

const cut = suite("findText: a needle cut off by the end");
cut("needle longer than what is left -> -1", () => {
  assert.is(findText("hello world", "worlds"), -1);
  assert.is(findText(",a,b,", ",c,"), -1);
  assert.is(findText("a/", "/?"), -1);
});
cut.run();

const hits = suite("findText: the same answers as String indexOf");
hits("fixed cases, with and without from -> indexOf's answer", () => {
  const cases: Array<[string, string, number | undefined]> = [
    ["hello world", "world", undefined], ["abab", "ab", undefined], ["abab", "ab", 1], ["abab", "ab", 3],
    ["", "a", undefined], ["abc", "", undefined], ["", "", undefined], ["abc", "", 2], ["abc", "", 9], ["abc", "", -4],
  ];
  for (const [text, needle, from] of cases) assert.is(findText(text, needle, from), text.indexOf(needle, from), JSON.stringify([text, needle, from]));
});
hits("5000 seeded random texts -> indexOf's answer", () => {
  const random = createPrng(42);
  const text = (max: number) => {
    let s = "";
    const n = random.int(max + 1);
    for (let i = 0; i < n; i++) s += "ab/".charAt(random.int(3));
    return s;
  };
  for (let i = 0; i < 5000; i++) {
    const h = text(7);
    const n = text(4);
    const from = random.int(9) - 1;
    assert.is(findText(h, n, from), h.indexOf(n, from), JSON.stringify([h, n, from]));
    assert.is(findText(h, n), h.indexOf(n), JSON.stringify([h, n]));
  }
});
hits.run();
