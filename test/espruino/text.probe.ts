// String search on the interpreter (firmware/text.ts): 2v29's String indexOf and includes
// also report a needle whose first characters end the text; findText must not, and the
// topic parsers that search for more than one character must classify such topics right.
import { check, probe, done } from "./probe-kit";
import { findText } from "../../firmware/text";
import { parseC2dTopic, parseMethodTopic, parseTwinTopic } from "../../firmware/azure/hub-topics";
import { parseDpsResponse } from "../../firmware/azure/dps";
import { NO_MATCH, ERR_MALFORMED } from "../../firmware/status";

console.log("VERSION " + process.version);

// What the interpreter does (a NOTE, not a check: a fixed interpreter is welcome).
const raw = "hello world".indexOf("worlds");
console.log("NOTE String indexOf(\"worlds\") in \"hello world\" = " + raw + (raw === -1 ? " (fixed in this interpreter)" : " (the 2v29 false hit)"));

probe("findText: a needle cut off by the end of the text -> -1", () => {
  const got = [findText("hello world", "worlds"), findText(",a,b,", ",c,"), findText("abc", "cd"), findText("a/", "/?")];
  return got.join(",") === "-1,-1,-1,-1" || got.join(",");
});

probe("findText: real hits, first one, and from", () => {
  const got = [findText("hello world", "world"), findText("abab", "ab"), findText("abab", "ab", 1), findText("abab", "ab", 3), findText("", "a"), findText("abc", "")];
  return got.join(",") === "6,0,2,-1,-1,0" || got.join(",");
});

probe("findText: 2000 random texts agree with a plain character scan", () => {
  let seed = 7;
  function next(n: number): number {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  }
  function text(max: number): string {
    let s = "";
    const n = next(max + 1);
    for (let i = 0; i < n; i++) s += "ab/".charAt(next(3));
    return s;
  }
  function scan(h: string, n: string): number {
    for (let i = 0; i + n.length <= h.length; i++) if (h.substr(i, n.length) === n) return i;
    return -1;
  }
  for (let i = 0; i < 2000; i++) {
    const h = text(6);
    const n = text(4);
    if (findText(h, n) !== scan(h, n)) return JSON.stringify([h, n]) + " -> " + findText(h, n);
  }
  return true;
});

probe("parseC2dTopic: a topic cut inside the C2D marker -> NO_MATCH", () => {
  return parseC2dTopic("devices/d1/messages/devi") === NO_MATCH;
});

probe("parseTwinTopic / parseDpsResponse: a topic that is a prefix of theirs -> NO_MATCH", () => {
  return (parseTwinTopic("$iothub/twin/") === NO_MATCH && parseDpsResponse("$dps/reg", "") === NO_MATCH) || "not NO_MATCH";
});

probe("parseMethodTopic: name ending in / without ?$rid -> ERR_MALFORMED", () => {
  return parseMethodTopic("$iothub/methods/POST/reboot/") === ERR_MALFORMED;
});

check("done", true);
done();
