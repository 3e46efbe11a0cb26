// The hub-cache record: round trip, binding, and every way flash can hand back garbage.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import {
  encodeHubCache, decodeHubCache, credentialFingerprint, isAllowedHub, DEFAULT_HUB_SUFFIXES,
  HubAssignment, CACHE_ABSENT, CACHE_CORRUPT, CACHE_FOREIGN, HUB_CACHE_MAX_BYTES, HUB_CACHE_NAME,
} from "../../firmware/azure/hub-cache";
import { ERR_TOO_LARGE, ERR_BAD_ARGUMENT } from "../../firmware/status";
import { createPrng } from "../helpers/prng";

const sha256 = (d: Uint8Array) => new Uint8Array(createHash("sha256").update(d).digest());
const binding = { idScope: "0ne00000001", registrationId: "dev-01", fingerprint: credentialFingerprint("a2V5", sha256) };
const assignment = { assignedHub: "hub-a.azure-devices.net", deviceId: "dev-01" };

function encoded(): string {
  const r = encodeHubCache(binding, assignment, sha256);
  assert.type(r, "string");
  return r as string;
}

const record = suite("hub cache: record");

record("round trip -> the same assignment; record fits 256 bytes; name fits Storage", () => {
  const r = encoded();
  assert.ok(r.length <= HUB_CACHE_MAX_BYTES);
  assert.ok(HUB_CACHE_NAME.length <= 28);
  assert.equal(decodeHubCache(r, binding, sha256) as HubAssignment, assignment);
});

record("the same inputs encode to the same bytes (so unchanged means no flash write)", () => {
  assert.is(encoded(), encoded());
});

record("the fingerprint does not contain the key", () => {
  const fp = credentialFingerprint("c2VjcmV0LWtleS1ieXRlcw==", sha256);
  assert.is(fp.length, 8);
  assert.not.ok(encoded().includes("a2V5"));
});

record("another scope, registration or credential -> FOREIGN", () => {
  const r = encoded();
  assert.is(decodeHubCache(r, { ...binding, idScope: "0ne00000002" }, sha256), CACHE_FOREIGN);
  assert.is(decodeHubCache(r, { ...binding, registrationId: "dev-02" }, sha256), CACHE_FOREIGN);
  assert.is(decodeHubCache(r, { ...binding, fingerprint: credentialFingerprint("bmV3", sha256) }, sha256), CACHE_FOREIGN);
});

record("nothing stored -> ABSENT", () => {
  assert.is(decodeHubCache(undefined, binding, sha256), CACHE_ABSENT);
  assert.is(decodeHubCache("", binding, sha256), CACHE_ABSENT);
});

record("truncated at every length, or one bit flipped anywhere -> CORRUPT", () => {
  const r = encoded();
  for (let n = 1; n < r.length; n++) assert.is(decodeHubCache(r.slice(0, n), binding, sha256), CACHE_CORRUPT, `truncated to ${n}`);
  for (let i = 0; i < r.length; i++) {
    const flipped = r.slice(0, i) + String.fromCharCode(r.charCodeAt(i) ^ 0x10) + r.slice(i + 1);
    assert.is(decodeHubCache(flipped, binding, sha256), CACHE_CORRUPT, `bit flipped at ${i}`);
  }
});

record("random bytes (10,000 seeded records) -> CORRUPT, never an exception", () => {
  const prng = createPrng(7);
  for (let i = 0; i < 10000; i++) {
    const bytes = prng.bytes(prng.int(300));
    const s = String.fromCharCode(...bytes);
    const withMagic = i % 2 ? "AZHC\x01" + s : s;
    const r = decodeHubCache(withMagic, binding, sha256);
    assert.ok(r === CACHE_CORRUPT || r === CACHE_ABSENT, `got ${JSON.stringify(r)}`);
  }
});

record("a future version -> CORRUPT (ignored, replaced after the next DPS round)", () => {
  const r = encoded();
  assert.is(decodeHubCache(r.slice(0, 4) + "\x02" + r.slice(5), binding, sha256), CACHE_CORRUPT);
});

record("oversized or empty fields are refused at encode time", () => {
  assert.is(encodeHubCache(binding, { assignedHub: "h".repeat(250) + ".azure-devices.net", deviceId: "d" }, sha256), ERR_TOO_LARGE);
  assert.is(encodeHubCache(binding, { assignedHub: "", deviceId: "d" }, sha256), ERR_BAD_ARGUMENT);
  assert.is(encodeHubCache({ ...binding, fingerprint: "short" }, assignment, sha256), ERR_BAD_ARGUMENT);
});

record.run();

const allow = suite("hub cache: hub allow-list");

allow("public, China and US Government hubs are allowed by default", () => {
  for (const host of ["contoso.azure-devices.net", "HUB-A.Azure-Devices.Net", "x.azure-devices.cn", "y.azure-devices.us"]) {
    assert.ok(isAllowedHub(host, DEFAULT_HUB_SUFFIXES), host);
  }
});

allow("look-alikes, bare suffixes and odd characters are rejected", () => {
  for (const host of ["evil.com", "azure-devices.net", ".azure-devices.net", "hub.azure-devices.net.evil.com", "hub.azure-devices.net/x",
    "hub azure-devices.net", "hubazure-devices.net", "", "a".repeat(250) + ".azure-devices.net"]) {
    assert.not.ok(isAllowedHub(host, DEFAULT_HUB_SUFFIXES), host);
  }
});

allow("a configured list replaces the default", () => {
  assert.ok(isAllowedHub("hub.example.test", [".example.test"]));
  assert.not.ok(isAllowedHub("contoso.azure-devices.net", [".example.test"]));
});

allow.run();
