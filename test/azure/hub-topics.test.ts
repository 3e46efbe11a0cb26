// Hub topics and usernames against the test vectors of Azure's SDK for Embedded C, with our own
// client type in place of the SDK's, and broken topics.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  hubClientId, hubUsername, telemetryTopic, encodePropertyBag, parsePropertyBag, parseC2dTopic, c2dSubscribeTopic,
  parseMethodTopic, methodResponseTopic, twinGetTopic, twinReportedTopic, parseTwinTopic, percentDecode,
  TWIN_RESPONSE, TWIN_DESIRED, METHODS_SUBSCRIBE, TWIN_RESPONSE_SUBSCRIBE, TWIN_DESIRED_SUBSCRIBE, DEFAULT_CLIENT_TYPE,
} from "../../firmware/azure/hub-topics";
import { NO_MATCH, ERR_MALFORMED } from "../../firmware/status";

const HOST = "myiothub.azure-devices.net";
const MODEL = "dtmi:YOUR_COMPANY_NAME_HERE:sample_device;1";

const ids = suite("hub: client id and username");

ids("client id, device and module", () => {
  assert.is(hubClientId("my_device"), "my_device");
  assert.is(hubClientId("my_device", "my_module_id"), "my_device/my_module_id");
});

ids("username: api-version 2021-04-12, client type, model id encoded", () => {
  assert.is(hubUsername(HOST, "my_device"), `${HOST}/my_device/?api-version=2021-04-12&DeviceClientType=${encodeURIComponent(DEFAULT_CLIENT_TYPE)}`);
  assert.is(hubUsername(HOST, "my_device", undefined, MODEL, "azrtos"),
    `${HOST}/my_device/?api-version=2021-04-12&DeviceClientType=azrtos&model-id=dtmi%3AYOUR_COMPANY_NAME_HERE%3Asample_device%3B1`);
  assert.is(hubUsername(HOST, "my_device", "my_module_id", MODEL, "azrtos"),
    `${HOST}/my_device/my_module_id/?api-version=2021-04-12&DeviceClientType=azrtos&model-id=dtmi%3AYOUR_COMPANY_NAME_HERE%3Asample_device%3B1`);
  assert.is(hubUsername(HOST, "my_device", "my_module_id", undefined, "c/1.2"), `${HOST}/my_device/my_module_id/?api-version=2021-04-12&DeviceClientType=c%2F1.2`);
});

ids.run();

const telemetry = suite("hub: telemetry topics");

telemetry("reference vectors, device and module, with and without a bag", () => {
  assert.is(telemetryTopic("my_device"), "devices/my_device/messages/events/");
  assert.is(telemetryTopic("my_device", undefined, "my_module_id"), "devices/my_device/modules/my_module_id/messages/events/");
  assert.is(telemetryTopic("my_device", { key: "value", key_two: "value2" }), "devices/my_device/messages/events/key=value&key_two=value2");
  assert.is(telemetryTopic("my_device", { key: "value", key_two: "value2" }, "my_module_id"), "devices/my_device/modules/my_module_id/messages/events/key=value&key_two=value2");
});

telemetry("system properties and values are strictly encoded", () => {
  assert.is(encodePropertyBag({ "$.mid": "m-1", "$.ct": "application/json", "$.ce": "utf-8", "$.cid": "c 1" }),
    "%24.mid=m-1&%24.ct=application%2Fjson&%24.ce=utf-8&%24.cid=c%201");
  assert.is(encodePropertyBag({ "a&b": "x=y", quote: "it's (ok)*!" }), "a%26b=x%3Dy&quote=it%27s%20%28ok%29%2A%21");
  assert.is(encodePropertyBag({ flag: null, empty: "" }), "flag&empty=");
});

telemetry("a bag decodes back to what was sent", () => {
  const props = { "$.mid": "m-1", "a&b": "x=y/z", flag: null, empty: "", pct: "100%" };
  assert.equal(parsePropertyBag(encodePropertyBag(props)), props);
});

telemetry.run();

const c2d = suite("hub: cloud-to-device");

c2d("subscription is the device's own topic", () => {
  assert.is(c2dSubscribeTopic("dev1"), "devices/dev1/messages/devicebound/#");
});

c2d("reference vectors: no properties; system and custom properties (decoded)", () => {
  assert.equal(parseC2dTopic("devices/useragent_c/messages/devicebound/"), {});
  assert.equal(parseC2dTopic("devices/useragent_c/messages/devicebound/$.mid=79eadb01-bd0d-472d-bd35-ccb76e70eab8&$.to=/devices/useragent_c/messages/deviceBound&abc=123"), {
    "$.mid": "79eadb01-bd0d-472d-bd35-ccb76e70eab8", "$.to": "/devices/useragent_c/messages/deviceBound", abc: "123",
  });
  assert.equal(parseC2dTopic("devices/d/messages/devicebound/%24.to=%2Fdevices%2Fd&k%20x=v%26w&bare"), { "$.to": "/devices/d", "k x": "v&w", bare: null });
});

c2d("other topics -> NO_MATCH; a broken escape -> ERR_MALFORMED", () => {
  assert.is(parseC2dTopic("$iothub/methods/POST/foo/?$rid=one"), NO_MATCH);
  assert.is(parseC2dTopic("devices/useragent_c/message#$vicebound/a=1"), NO_MATCH);
  assert.is(parseC2dTopic("devices/d/messages/devicebound/a=%G1"), ERR_MALFORMED);
  assert.is(parseC2dTopic("devices/d/messages/devicebound/a=%4"), ERR_MALFORMED);
  assert.is(percentDecode("%41%62c"), "Abc");
});

c2d("names like __proto__, constructor, toString -> own enumerable properties of an ordinary object", () => {
  const bag = parseC2dTopic("devices/d/messages/devicebound/__proto__=x&constructor=c&toString&a=1") as Record<string, string | null>;
  assert.is(Object.getPrototypeOf(bag), Object.prototype, "the prototype is kept");
  assert.equal(Object.keys(bag), ["__proto__", "constructor", "toString", "a"]);
  assert.is(bag["__proto__"], "x");
  assert.equal(Object.getOwnPropertyDescriptor(bag, "__proto__"), { value: "x", writable: true, enumerable: true, configurable: true });
  assert.is(bag.constructor as unknown, "c");
  assert.is(bag.toString as unknown, null);
  assert.ok(bag.hasOwnProperty("a") && bag.hasOwnProperty("__proto__") && !bag.hasOwnProperty("b"), "hasOwnProperty still callable");
  assert.is(JSON.stringify(bag), '{"__proto__":"x","constructor":"c","toString":null,"a":"1"}');
  assert.is(encodePropertyBag(bag), "__proto__=x&constructor=c&toString&a=1", "and it encodes back");
});
c2d("__proto__ percent-encoded, bare, or twice -> held like any name", () => {
  const enc = parseC2dTopic("devices/d/messages/devicebound/%5F%5Fproto%5F%5F=%7B%7D") as Record<string, string | null>;
  assert.is(enc["__proto__"], "{}");
  assert.is(Object.getPrototypeOf(enc), Object.prototype);
  const bare = parseC2dTopic("devices/d/messages/devicebound/__proto__") as Record<string, string | null>;
  assert.is(bare["__proto__"], null);
  assert.is(Object.getPrototypeOf(bare), Object.prototype, "null is a value, not a prototype");
  assert.ok(bare.hasOwnProperty("__proto__"));
  const twice = parseC2dTopic("devices/d/messages/devicebound/__proto__=1&__proto__=2") as Record<string, string | null>;
  assert.equal(Object.keys(twice), ["__proto__"]);
  assert.is(twice["__proto__"], "2", "the last one wins, as for any name");
});
c2d("a property named hasOwnProperty -> held; Object.prototype.hasOwnProperty.call still answers", () => {
  const bag = parseC2dTopic("devices/d/messages/devicebound/hasOwnProperty=h&valueOf=v") as Record<string, string | null>;
  assert.is(bag.hasOwnProperty as unknown, "h");
  assert.is(bag.valueOf as unknown, "v");
  assert.ok(Object.prototype.hasOwnProperty.call(bag, "hasOwnProperty"));
  assert.equal(Object.keys(bag), ["hasOwnProperty", "valueOf"]);
});
c2d("a parsed bag never changes Object.prototype", () => {
  parsePropertyBag("__proto__=x&constructor=y&prototype=z");
  assert.is(({} as Record<string, unknown>).x, undefined);
  assert.is(Object.getPrototypeOf({}), Object.prototype);
  assert.is(({}).constructor, Object);
});

c2d.run();

const methods = suite("hub: direct methods");

methods("reference vectors: parse and respond", () => {
  assert.is(METHODS_SUBSCRIBE, "$iothub/methods/POST/#");
  assert.equal(parseMethodTopic("$iothub/methods/POST/TestMethod/?$rid=1"), { name: "TestMethod", rid: "1" });
  assert.is(methodResponseTopic(200, "2"), "$iothub/methods/res/200/?$rid=2");
  assert.is(methodResponseTopic(65535, "2"), "$iothub/methods/res/65535/?$rid=2");
});

methods("not a method request -> NO_MATCH; no rid or no name -> ERR_MALFORMED", () => {
  for (const t of ["$iothub/twin/res/200/?$rid=2", "$iothub/twin/res/204/?$rid=4&$version=3", "$iothub/methods/res/200/?$rid=2"]) {
    assert.is(parseMethodTopic(t), NO_MATCH, t);
  }
  assert.is(parseMethodTopic("$iothub/methods/POST/#"), ERR_MALFORMED);
  assert.is(parseMethodTopic("$iothub/methods/POST/name/?x=1"), ERR_MALFORMED);
  assert.is(parseMethodTopic("$iothub/methods/POST//?$rid=1"), ERR_MALFORMED);
});

methods.run();

const twin = suite("hub: twin");

twin("building GET and reported PATCH", () => {
  assert.is(TWIN_RESPONSE_SUBSCRIBE, "$iothub/twin/res/#");
  assert.is(TWIN_DESIRED_SUBSCRIBE, "$iothub/twin/PATCH/properties/desired/#");
  assert.is(twinGetTopic("id_one"), "$iothub/twin/GET/?$rid=id_one");
  assert.is(twinReportedTopic("id_one"), "$iothub/twin/PATCH/properties/reported/?$rid=id_one");
});

twin("responses and desired notifications, with and without versions", () => {
  assert.equal(parseTwinTopic("$iothub/twin/res/200/?$rid=id_one"), { kind: TWIN_RESPONSE, status: 200, rid: "id_one", version: -1 });
  assert.equal(parseTwinTopic("$iothub/twin/res/204/?$rid=id_one&$version=16"), { kind: TWIN_RESPONSE, status: 204, rid: "id_one", version: 16 });
  assert.equal(parseTwinTopic("$iothub/twin/res/204/?$rid=id_one"), { kind: TWIN_RESPONSE, status: 204, rid: "id_one", version: -1 });
  assert.equal(parseTwinTopic("$iothub/twin/res/400/?$rid=id_one"), { kind: TWIN_RESPONSE, status: 400, rid: "id_one", version: -1 });
  assert.equal(parseTwinTopic("$iothub/twin/res/504/?$rid=id_one"), { kind: TWIN_RESPONSE, status: 504, rid: "id_one", version: -1 });
  assert.equal(parseTwinTopic("$iothub/twin/PATCH/properties/desired/?$version=7"), { kind: TWIN_DESIRED, status: 200, rid: "", version: 7 });
});

twin("other topics -> NO_MATCH; broken status or version -> ERR_MALFORMED", () => {
  assert.is(parseTwinTopic("$iothub/twin/rez/200"), NO_MATCH);
  assert.is(parseTwinTopic("$iothub/contoso/res/200"), NO_MATCH);
  assert.is(parseTwinTopic("$iothub/twin/res/abc/?$rid=1"), ERR_MALFORMED);
  assert.is(parseTwinTopic("$iothub/twin/res/204/?$rid=1&$version=x"), ERR_MALFORMED);
  assert.is(parseTwinTopic("$iothub/twin/PATCH/properties/desired/?$version=id_one"), ERR_MALFORMED, "Azure versions are numbers");
  assert.is(parseTwinTopic("$iothub/twin/PATCH/properties/desired/"), ERR_MALFORMED, "a desired patch needs its version");
});

twin.run();
