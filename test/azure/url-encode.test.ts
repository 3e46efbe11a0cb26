import { suite } from "uvu";
import * as assert from "uvu/assert";
import { urlEncode } from "../../firmware/azure/url-encode";
import { createPrng } from "../helpers/prng";

/** The Node SDK's encodeUriComponentStrict: encodeURIComponent plus ! ' ( ) *. */
const nodeSdkStrict = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

const vectors = suite("urlEncode: published vectors");
vectors("abc/=%012 (Embedded C test_az_iot_common.c) -> abc%2F%3D%25012", () => {
  assert.is(urlEncode("abc/=%012"), "abc%2F%3D%25012");
});
vectors("encode('Me') (Node SDK key-name test) -> encode%28%27Me%27%29", () => {
  assert.is(urlEncode("encode('Me')"), "encode%28%27Me%27%29");
});
vectors("a base64 signature -> + / = escaped", () => {
  assert.is(urlEncode("wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT+kKHc="), "wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT%2BkKHc%3D");
});
vectors.run();

const rules = suite("urlEncode: rules");
rules("unreserved A-Z a-z 0-9 - _ . ~ -> unchanged", () => {
  const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
  assert.is(urlEncode(unreserved), unreserved);
});
rules("! ' ( ) * (left alone by encodeURIComponent) -> %21 %27 %28 %29 %2A", () => {
  assert.is(urlEncode("!'()*"), "%21%27%28%29%2A");
});
rules("every other ASCII byte -> %XX upper-case hex", () => {
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) continue;
    assert.is(urlEncode(ch), "%" + c.toString(16).toUpperCase().padStart(2, "0"), `code ${c}`);
  }
});
rules("non-ASCII text -> each UTF-8 byte percent-encoded", () => {
  assert.is(urlEncode("caf\u00e9"), "caf%C3%A9");
  assert.is(urlEncode("\u20ac"), "%E2%82%AC");
  assert.is(urlEncode("\ud83d\ude00"), "%F0%9F%98%80");
});
rules("empty string -> empty string", () => {
  assert.is(urlEncode(""), "");
});
rules("1000 seeded random strings -> same as the Node SDK's strict encoder", () => {
  const rng = createPrng(3986);
  for (let i = 0; i < 1000; i++) {
    let text = "";
    const n = rng.int(10);
    for (let j = 0; j < n; j++) text += String.fromCharCode(rng.int(2) ? rng.int(128) : 0x80 + rng.int(0xd000));
    assert.is(urlEncode(text), nodeSdkStrict(text), JSON.stringify(text));
  }
});
rules.run();
