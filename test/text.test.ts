// findText: String indexOf without Espruino 2v29's false hits (a needle cut off by the end
// of the text). On Node indexOf is right, so findText must agree with it everywhere.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { findText, utf8Text, serviceJson, jsonForService, escapeUtf8, unescapeJson } from "../firmware/text";
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

// The text model (firmware/text.ts): service bytes -> application text. On Node (a Unicode
// build) the functions decode; the 8-bit build's rewriting (escapes <-> UTF-8 bytes) is
// checked here through unescapeJson, and on the interpreter by test/espruino/text.probe.ts.
const model = suite("text: one model from the service to the application");
const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1"); // UTF-8 bytes as a byte string
const SAMPLES = ["caf\u00e9 \u20ac", "\u{1F600}", "a\"b\\c\n\u0001", "plain", "", "\u00ff\u0100\u07ff\u0800\uffff\u{10000}\u{10ffff}"];

model("utf8Text: UTF-8 bytes -> the same text as Node's decoder, ASCII returned as it is", () => {
  for (const s of SAMPLES) assert.is(utf8Text(bytes(s)), s, JSON.stringify(s));
  const ascii = "no change";
  assert.is(utf8Text(ascii), ascii);
});
model("utf8Text: malformed UTF-8 (truncated, overlong, surrogate, beyond U+10FFFF, stray) -> U+FFFD, never an exception", () => {
  for (const raw of [[0xc3], [0xe2, 0x82], [0xff, 0x41], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]]) {
    const got = utf8Text(Buffer.from(raw).toString("latin1"));
    assert.ok(/^[\ufffdA]+$/.test(got) && got.includes("\ufffd"), JSON.stringify(raw) + " -> " + JSON.stringify(got));
  }
});
model("serviceJson: raw UTF-8 and \\u escapes (a surrogate pair) parse to the same text", () => {
  const raw = JSON.parse(serviceJson(bytes('{"g":"caf\u00e9 \u{1F600}"}'))) as { g: string };
  const escaped = JSON.parse(serviceJson('{"g":"caf\\u00e9 \\ud83d\\ude00"}')) as { g: string };
  assert.is(raw.g, "caf\u00e9 \u{1F600}");
  assert.is(escaped.g, raw.g);
});
model("jsonForService on a Unicode build = JSON.stringify", () => {
  assert.is(jsonForService({ a: "caf\u00e9" }), JSON.stringify({ a: "caf\u00e9" }));
});
model("8-bit path: \\u escapes >= 0x80 -> UTF-8 bytes, surrogate pairs joined, lone ones U+FFFD, escaped backslashes kept", () => {
  assert.is(unescapeJson('"caf\\u00e9 \\ud83d\\ude00"', false), '"' + bytes("caf\u00e9 \u{1F600}") + '"');
  assert.is(unescapeJson('"\\u20AC\\u0041\\n\\"\\\\u00e9"', false), '"' + bytes("\u20ac") + '\\u0041\\n\\"\\\\u00e9"');
  assert.is(unescapeJson('"\\ud83d!\\ude00"', false), '"' + bytes("\ufffd!\ufffd") + '"');
  assert.is(unescapeJson('"\\u00e', false), '"\\u00e');
  const plain = '{"a":1}';
  assert.is(unescapeJson(plain, false), plain);
});
model("8-bit path: JSON.stringify's \\u00XX escapes of bytes -> the bytes; other escapes kept", () => {
  assert.is(unescapeJson('{"a":"c\\u00C3\\u00A9","b":"\\u0001\\u20ac"}', true), '{"a":"c\u00c3\u00a9","b":"\\u0001\\u20ac"}');
});
model("Unicode path: escapeUtf8 gives JSON that Node parses to the decoded text", () => {
  for (const s of SAMPLES) assert.is(JSON.parse('"' + escapeUtf8(bytes(s), true) + '"'), s);
  assert.is(escapeUtf8("ascii only", false), "ascii only");
});
model.run();
