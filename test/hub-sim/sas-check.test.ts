// The simulator's own SAS checker, against the published vectors (HMAC, group-enrollment key derivation) and
// each way a token can be wrong.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { checkSas, deriveDeviceKey, hmacBase64, makeSas, parseSas } from "../../tools/hub-sim/sas-check";
import { hmac, sas } from "./mqtt-client";

const vectors = suite("sas-check: published vectors");

vectors("Node SDK vector 1 -> kcWxXAK2...", () => {
  assert.is(hmacBase64("cGFzc3dvcmQ=", "uri\n12345"), "kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk=");
});

vectors("Node SDK vector 2 (key bytes 0x91 0xEC) -> wM3XiP6g...", () => {
  const key = Buffer.from([0x91, 0xec]).toString("base64");
  assert.is(hmacBase64(key, "host%2Fdevices%2Fdevice\n12345"), "wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT+kKHc=");
});

vectors("Node SDK vector 2 password passes the checker at t < se", () => {
  const key = Buffer.from([0x91, 0xec]).toString("base64");
  const password = "SharedAccessSignature sr=host%2Fdevices%2Fdevice&sig=wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT%2BkKHc%3D&se=12345";
  const v = checkSas(password, { resource: "host/devices/device", keys: [key], nowMs: 12_000_000, keyName: undefined });
  assert.ok(v.ok);
  if (v.ok) assert.is(v.expiresAtMs, 12_345_000);
});

vectors("group key vector -> Jsm0lyGp...", () => {
  const groupKey = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
  assert.is(deriveDeviceKey(groupKey, "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"), "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=");
});

vectors.run();

const KEY = Buffer.alloc(32, 3).toString("base64");
const NOW = 1_000_000_000_000;
const SE = NOW / 1000 + 600;
const dps = (password: string) =>
  checkSas(password, { resource: "0ne1/registrations/dev", keys: [KEY], nowMs: NOW, keyName: "registration" });
const reason = (v: ReturnType<typeof checkSas>) => (v.ok ? "ok" : v.reason);

const rules = suite("sas-check: rules");

rules("sr spelled %2f, %2F or raw / -> accepted when signed as sent", () => {
  for (const sr of ["0ne1%2fregistrations%2fdev", "0ne1%2Fregistrations%2Fdev", "0ne1/registrations/dev"]) {
    assert.ok(dps(sas(sr, KEY, SE, "registration")).ok, sr);
  }
});

rules("signature over a different spelling of sr than sent -> mismatch", () => {
  const sig = encodeURIComponent(hmac(KEY, "0ne1%2Fregistrations%2Fdev\n" + SE));
  const password = "SharedAccessSignature sr=0ne1%2fregistrations%2fdev&sig=" + sig + "&se=" + SE + "&skn=registration";
  assert.is(reason(dps(password)), "signature mismatch");
});

rules("sr naming another resource -> refused", () => {
  assert.match(reason(dps(sas("0ne1%2Fregistrations%2Fother", KEY, SE, "registration"))), "sr names");
});

rules("se at or before now -> expired", () => {
  assert.match(reason(dps(sas("0ne1/registrations/dev", KEY, NOW / 1000, "registration"))), "expired");
  assert.ok(dps(sas("0ne1/registrations/dev", KEY, NOW / 1000 + 1, "registration")).ok);
});

rules("DPS without skn or with another skn -> refused", () => {
  assert.match(reason(dps(sas("0ne1/registrations/dev", KEY, SE))), "skn");
  assert.match(reason(dps(sas("0ne1/registrations/dev", KEY, SE, "iothubowner"))), "skn");
});

rules("hub token carrying skn -> refused", () => {
  const v = checkSas(sas("h%2Fdevices%2Fd", KEY, SE, "x"), { resource: "h/devices/d", keys: [KEY], nowMs: NOW, keyName: undefined });
  assert.match(reason(v), "unexpected skn");
});

rules("wrong key -> mismatch; secondary key -> accepted with its index", () => {
  const other = Buffer.alloc(32, 4).toString("base64");
  assert.is(reason(dps(sas("0ne1/registrations/dev", other, SE, "registration"))), "signature mismatch");
  const v = checkSas(sas("0ne1/registrations/dev", other, SE, "registration"), {
    resource: "0ne1/registrations/dev",
    keys: [KEY, other],
    nowMs: NOW,
    keyName: "registration",
  });
  assert.ok(v.ok && v.keyIndex === 1);
});

rules("fields in any order -> accepted", () => {
  const sig = encodeURIComponent(hmac(KEY, "0ne1/registrations/dev\n" + SE));
  assert.ok(dps("SharedAccessSignature skn=registration&se=" + SE + "&sig=" + sig + "&sr=0ne1/registrations/dev").ok);
});

rules("malformed passwords -> reasons, never throws", () => {
  assert.type(parseSas("Basic abc"), "string");
  assert.type(parseSas("SharedAccessSignature sr=a&sig=b"), "string");
  assert.type(parseSas("SharedAccessSignature sr=a&sr=a&sig=b&se=1"), "string");
  assert.type(parseSas("SharedAccessSignature sr=a&sig=b&se=1&x=2"), "string");
  assert.not.ok(dps("SharedAccessSignature sr=%E0%A4%A&sig=x&se=1").ok);
  assert.not.ok(dps("SharedAccessSignature sr=0ne1/registrations/dev&sig=%ZZ&se=" + SE + "&skn=registration").ok);
  assert.not.ok(dps("SharedAccessSignature sr=0ne1/registrations/dev&sig=abc&se=12x&skn=registration").ok);
});

rules("makeSas output -> accepted by checkSas", () => {
  const token = makeSas("0ne1/registrations/dev", KEY, SE, "registration");
  assert.ok(token.includes("sr=0ne1%2Fregistrations%2Fdev"));
  assert.ok(dps(token).ok);
});

rules.run();
