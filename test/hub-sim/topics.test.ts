// Property bags, query strings, filter matching and the hub's topic rules.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  classifyHubPublish,
  decodePropertyBag,
  encodePropertyBag,
  hubSubscriptionAllowed,
  matchesFilter,
  parseQuery,
} from "../../tools/hub-sim/topics";

const bags = suite("topics: property bags");

bags("decode: names and values percent-decoded, bare key null, key= empty", () => {
  assert.equal(decodePropertyBag("%24.ct=application%2Fjson&a&b=&c=1"), { "$.ct": "application/json", a: null, b: "", c: "1" });
  assert.equal(decodePropertyBag(""), {});
});

bags("decode: a bad escape is kept as sent", () => {
  assert.equal(decodePropertyBag("a=%ZZ"), { a: "%ZZ" });
});

bags("encode: strict RFC 3986, upper-case hex, null as bare key", () => {
  assert.is(encodePropertyBag({ "$.to": "/devices/d", k: "it's", n: null }), "%24.to=%2Fdevices%2Fd&k=it%27s&n");
});

bags.run();

const match = suite("topics: filters and queries");

match("matchesFilter: + and # and $ topics", () => {
  assert.ok(matchesFilter("devices/+/messages/devicebound/#", "devices/d/messages/devicebound/a=1"));
  assert.ok(matchesFilter("$iothub/twin/res/#", "$iothub/twin/res/200/?$rid=1"));
  assert.ok(matchesFilter("a/#", "a"));
  assert.not.ok(matchesFilter("#", "$iothub/x"));
  assert.not.ok(matchesFilter("+/x", "$iothub/x"));
  assert.not.ok(matchesFilter("$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/?$version=2"));
});

match("parseQuery: values up to & or end", () => {
  assert.equal(parseQuery("$iothub/twin/res/204/?$rid=1&$version=6"), { $rid: "1", $version: "6" });
  assert.is(parseQuery("no/query"), undefined);
});

match("subscription filters: own and documented ones only", () => {
  for (const f of ["devices/d/messages/devicebound/#", "devices/+/messages/devicebound/#", "$iothub/methods/POST/#", "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#"]) {
    assert.ok(hubSubscriptionAllowed("d", f), f);
  }
  for (const f of ["#", "devices/other/messages/devicebound/#", "$iothub/#", "devices/d/messages/events/#"]) {
    assert.not.ok(hubSubscriptionAllowed("d", f), f);
  }
});

match("classifyHubPublish: own topics classified, others denied", () => {
  assert.equal(classifyHubPublish("d", "devices/d/messages/events/a=1"), { kind: "telemetry", bag: "a=1" });
  assert.equal(classifyHubPublish("d", "devices/d/messages/events"), { kind: "telemetry", bag: "" });
  assert.equal(classifyHubPublish("d", "$iothub/twin/GET/?$rid=5"), { kind: "twin-get", rid: "5" });
  assert.equal(classifyHubPublish("d", "$iothub/twin/PATCH/properties/reported/?$rid=6"), { kind: "twin-reported", rid: "6" });
  assert.equal(classifyHubPublish("d", "$iothub/methods/res/200/?$rid=7"), { kind: "method-response", status: 200, rid: "7" });
  assert.is(classifyHubPublish("d", "devices/e/messages/events/").kind, "denied");
  assert.is(classifyHubPublish("d", "$iothub/twin/GET/").kind, "denied");
  assert.is(classifyHubPublish("d", "hello").kind, "denied");
});

match.run();
