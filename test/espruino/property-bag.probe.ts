// Property bags on the interpreter (firmware/azure/hub-topics.ts parsePropertyBag): a C2D
// property of any name, `__proto__` included, is held and read back, and the bag keeps its
// methods. On Espruino 2v29 the prototype link is itself the property `__proto__`, so that one
// name cannot be an ordinary enumerable property: how Object.keys, JSON.stringify and for-in
// see it is reported as NOTE lines (checks cover what a handler can rely on). On 2v29 a plain
// assignment gives the same results as the define the parser uses (Node needs the define).
import { probe, done } from "./probe-kit";
import { parseC2dTopic, parsePropertyBag, encodePropertyBag, type PropertyBag } from "../../firmware/azure/hub-topics";

console.log("VERSION " + process.version);

const TOPIC = "devices/d/messages/devicebound/";
function bag(query: string): PropertyBag {
  return parseC2dTopic(TOPIC + query) as PropertyBag;
}
const has = Object.prototype.hasOwnProperty;

probe("__proto__=x -> reads back x, hasOwnProperty still callable and true", function () {
  const b = bag("a=1&__proto__=x&b=2");
  if (typeof b.hasOwnProperty !== "function") return "hasOwnProperty is " + typeof b.hasOwnProperty;
  return (b["__proto__"] === "x" && b.hasOwnProperty("__proto__") && b.hasOwnProperty("a") && !b.hasOwnProperty("c") && b.a === "1" && b.b === "2") || JSON.stringify(b);
});
probe("percent-encoded %5F%5Fproto%5F%5F=%7B%7D -> the same", function () {
  const b = bag("%5F%5Fproto%5F%5F=%7B%7D");
  return (b["__proto__"] === "{}" && has.call(b, "__proto__")) || String(b["__proto__"]);
});
probe("bare __proto__ -> null value, the bag keeps its methods", function () {
  const b = bag("__proto__&a");
  return (b["__proto__"] === null && b.a === null && typeof b.hasOwnProperty === "function" && b.hasOwnProperty("a")) || typeof b.hasOwnProperty;
});
probe("__proto__ twice -> the last value", function () {
  return bag("__proto__=1&__proto__=2")["__proto__"] === "2";
});
probe("constructor, toString, valueOf -> own properties, listed by Object.keys in order", function () {
  const b = bag("constructor=c&toString&valueOf=v&z=1");
  const keys = Object.keys(b).join(",");
  return (keys === "constructor,toString,valueOf,z" && (b.constructor as unknown) === "c" && (b.toString as unknown) === null && has.call(b, "valueOf")) || keys;
});
probe("hasOwnProperty as a name -> held; Object.prototype.hasOwnProperty.call still answers", function () {
  const b = bag("hasOwnProperty=h&x=1");
  return ((b.hasOwnProperty as unknown) === "h" && has.call(b, "x") && has.call(b, "hasOwnProperty") && !has.call(b, "y")) || String(b.hasOwnProperty);
});
probe("other names -> listed, values intact, encoded back the same", function () {
  const b = bag("%24.mid=m-1&k%20x=v%26w&flag&empty=");
  return (Object.keys(b).join(",") === "$.mid,k x,flag,empty" && encodePropertyBag(b) === "%24.mid=m-1&k%20x=v%26w&flag&empty=") || encodePropertyBag(b);
});
probe("parsing never touches Object.prototype", function () {
  parsePropertyBag("__proto__=x&constructor=y&prototype=z");
  const o: { [k: string]: unknown } = {};
  return o.x === undefined && o.constructor === Object && typeof o.hasOwnProperty === "function";
});

// What a handler iterating the bag sees of __proto__ (Node: listed like any name).
const b = bag("a=1&__proto__=xyz&constructor=c");
const seen: string[] = [];
for (const k in b) seen.push(k);
console.log("NOTE bag a=1&__proto__=xyz&constructor=c: Object.keys " + Object.keys(b).join(",") + "; JSON " + JSON.stringify(b) + "; for-in " + seen.join(","));
done();
