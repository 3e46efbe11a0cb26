import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash, createHmac } from "node:crypto";
import {
  DEFAULT_TOKEN_LIFETIME_S, DPS_KEY_NAME, MAX_TOKEN_LIFETIME_S, deriveDeviceKey, dpsResource, hmacSha256, hubResource,
  sasExpiry, sasPassword, sasSignature, sasToken, stringToSign, tokenTimes, type TokenTimes,
} from "../../firmware/azure/sas";
import {
  ERR_BAD_ARGUMENT, ERR_BAD_EXPIRY, ERR_BAD_KEY, ERR_BAD_TOKEN, ERR_CLOCK_NOT_SYNCED, ERR_EMPTY_KEY,
} from "../../firmware/status";

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());

/** The password's fields by name (field order is free in a SAS token). */
function fields(password: string): Record<string, string> {
  assert.ok(password.startsWith("SharedAccessSignature "), password);
  const out: Record<string, string> = {};
  for (const part of password.slice("SharedAccessSignature ".length).split("&")) {
    const eq = part.indexOf("=");
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Checks the password's sig is the HMAC, under keyBase64, of exactly the sr it sends. */
function assertSignsWhatItSends(password: string, keyBase64: string): void {
  const f = fields(password);
  const expected = createHmac("sha256", Buffer.from(keyBase64, "base64")).update(f.sr + "\n" + f.se).digest("base64");
  assert.is(decodeURIComponent(f.sig), expected);
}

// Embedded C test_az_iot_hub_client_sas.c / test_az_iot_provisioning_client_sas.c: a
// placeholder signature, checking formatting only.
const EC_SIG = "cS1eHM/lDjsRsrZV9508wOFrgmZk4g8FNg8NwHVSiSQ";
const EC_EXPIRY = 1578941692;

const resources = suite("hubResource and dpsResource");
resources("hub device (Embedded C vector) -> host%2Fdevices%2Fdevice", () => {
  assert.is(hubResource("myiothub.azure-devices.net", "my_device"), "myiothub.azure-devices.net%2Fdevices%2Fmy_device");
});
resources("hub module (Embedded C vector) -> ...%2Fmodules%2Fmodule", () => {
  assert.is(hubResource("myiothub.azure-devices.net", "my_device", "my_module"), "myiothub.azure-devices.net%2Fdevices%2Fmy_device%2Fmodules%2Fmy_module");
});
resources("empty module id -> device resource", () => {
  assert.is(hubResource("h", "d", ""), "h%2Fdevices%2Fd");
});
resources("device id with characters that need encoding -> each escaped, upper-case", () => {
  assert.is(hubResource("h.azure-devices.net", "dev!ce (1)*:=@$'"), "h.azure-devices.net%2Fdevices%2Fdev%21ce%20%281%29%2A%3A%3D%40%24%27");
  assert.is(hubResource("h", "a/b", "m#1"), "h%2Fdevices%2Fa%2Fb%2Fmodules%2Fm%231");
});
resources("DPS -> scope%2Fregistrations%2Fid (upper-case, same encoder as the hub)", () => {
  assert.is(dpsResource("0neFEEDC0DE", "myRegistrationId"), "0neFEEDC0DE%2Fregistrations%2FmyRegistrationId");
  assert.is(dpsResource("0ne00000001", "sn:7/a"), "0ne00000001%2Fregistrations%2Fsn%3A7%2Fa");
});
resources.run();

const steps = suite("stringToSign and sasPassword (Embedded C formatting vectors)");
steps("device -> resource, newline, expiry", () => {
  assert.is(stringToSign(hubResource("myiothub.azure-devices.net", "my_device"), EC_EXPIRY), "myiothub.azure-devices.net%2Fdevices%2Fmy_device\n1578941692");
});
steps("module -> resource, newline, expiry", () => {
  assert.is(
    stringToSign(hubResource("myiothub.azure-devices.net", "my_device", "my_module"), EC_EXPIRY),
    "myiothub.azure-devices.net%2Fdevices%2Fmy_device%2Fmodules%2Fmy_module\n1578941692",
  );
});
steps("hub password without and with key name -> published text", () => {
  const expected = "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device&sig=cS1eHM%2FlDjsRsrZV9508wOFrgmZk4g8FNg8NwHVSiSQ&se=1578941692";
  const resource = hubResource("myiothub.azure-devices.net", "my_device");
  assert.is(sasPassword(resource, EC_SIG, EC_EXPIRY), expected);
  assert.is(sasPassword(resource, EC_SIG, EC_EXPIRY, ""), expected);
  assert.is(sasPassword(resource, EC_SIG, EC_EXPIRY, "iothubowner"), expected + "&skn=iothubowner");
});
steps("DPS password with Embedded C's lower-case resource given as is -> published text, sr untouched", () => {
  const resource = "0neFEEDC0DE%2fregistrations%2fmyRegistrationId";
  assert.is(stringToSign(resource, EC_EXPIRY), "0neFEEDC0DE%2fregistrations%2fmyRegistrationId\n1578941692");
  const expected = "SharedAccessSignature sr=0neFEEDC0DE%2fregistrations%2fmyRegistrationId&sig=cS1eHM%2FlDjsRsrZV9508wOFrgmZk4g8FNg8NwHVSiSQ&se=1578941692";
  assert.is(sasPassword(resource, EC_SIG, EC_EXPIRY), expected);
  assert.is(sasPassword(resource, EC_SIG, EC_EXPIRY, "iothubowner"), expected + "&skn=iothubowner");
});
steps("sasSignature -> base64 HMAC of the string to sign", () => {
  assert.is(sasSignature("uri", new Uint8Array(Buffer.from("password")), 12345, sha256), "kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk=");
});
steps.run();

const token = suite("sasToken");
token("vector #1: key cGFzc3dvcmQ=, sr uri, se 12345 -> Node SDK password", () => {
  assert.is(sasToken("uri", "cGFzc3dvcmQ=", 12345, sha256), "SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345");
});
token("vector #1 with key name encode('Me') -> same fields as the Node SDK (skn last here)", () => {
  const password = sasToken("uri", "cGFzc3dvcmQ=", 12345, sha256, "encode('Me')") as string;
  assert.is(password, "SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345&skn=encode%28%27Me%27%29");
  assert.equal(fields(password), fields("SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&skn=encode%28%27Me%27%29&se=12345"));
});
token("vector #2: hub host/device, unpadded key 'key' (bytes 0x91 0xEC) -> Node SDK password", () => {
  const expected = "SharedAccessSignature sr=host%2Fdevices%2Fdevice&sig=wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT%2BkKHc%3D&se=12345";
  assert.is(sasToken(hubResource("host", "device"), "key", 12345, sha256), expected);
  // The same two raw bytes, strictly encoded, and the HMAC over them directly.
  assert.is(sasToken(hubResource("host", "device"), "kew=", 12345, sha256), expected);
  const mac = hmacSha256(new Uint8Array([0x91, 0xec]), "host%2Fdevices%2Fdevice\n12345", sha256);
  assert.is(Buffer.from(mac).toString("base64"), "wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT+kKHc=");
});
token("DPS token -> skn=registration and a signature over exactly the sr sent", () => {
  const key = Buffer.from("dps-individual-key-0123456789abcdef").toString("base64");
  const password = sasToken(dpsResource("0ne00AB12CD", "reg-01"), key, 1700000000, sha256, DPS_KEY_NAME) as string;
  assert.ok(password.startsWith("SharedAccessSignature sr=0ne00AB12CD%2Fregistrations%2Freg-01&sig="), password);
  assert.ok(password.endsWith("&se=1700000000&skn=registration"), password);
  assertSignsWhatItSends(password, key);
});
token("a resource in another spelling (raw /) -> signed and sent exactly as given", () => {
  const key = Buffer.from("k").toString("base64");
  const password = sasToken("0ne00AB12CD/registrations/reg-01", key, 1700000000, sha256, DPS_KEY_NAME) as string;
  assert.is(fields(password).sr, "0ne00AB12CD/registrations/reg-01");
  assertSignsWhatItSends(password, key);
});
token("device id that needs encoding -> encoded sr, signed as sent", () => {
  const key = "cGFzc3dvcmQ=";
  const password = sasToken(hubResource("h.azure-devices.net", "dev!ce (1)"), key, 1700000000, sha256) as string;
  assert.is(fields(password).sr, "h.azure-devices.net%2Fdevices%2Fdev%21ce%20%281%29");
  assertSignsWhatItSends(password, key);
});
token("one token -> exactly two SHA-256 calls", () => {
  let calls = 0;
  sasToken("uri", "cGFzc3dvcmQ=", 12345, (d) => {
    calls++;
    return sha256(d);
  });
  assert.is(calls, 2);
});
token("non-base64 key -> ERR_BAD_KEY", () => {
  for (const key of ["not base64!", "abc$", "Zg===", "A", "a b"]) assert.is(sasToken("uri", key, 12345, sha256), ERR_BAD_KEY, key);
});
token("empty key -> ERR_EMPTY_KEY", () => {
  assert.is(sasToken("uri", "", 12345, sha256), ERR_EMPTY_KEY);
});
token("expiry not a whole number of seconds in 1..2^32-1 -> ERR_BAD_EXPIRY", () => {
  for (const se of [0, -1, 1.5, NaN, Infinity, 4294967296]) assert.is(sasToken("uri", "cGFzc3dvcmQ=", se, sha256), ERR_BAD_EXPIRY, String(se));
});
token("empty resource -> ERR_BAD_ARGUMENT", () => {
  assert.is(sasToken("", "cGFzc3dvcmQ=", 12345, sha256), ERR_BAD_ARGUMENT);
});
token.run();

const derive = suite("deriveDeviceKey");
const GROUP_KEY = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
derive("MS docs vector (sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6) -> published device key", () => {
  assert.is(deriveDeviceKey(GROUP_KEY, "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", sha256), "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=");
});
derive("registration id -> taken as plain text, not URL-encoded or case-folded", () => {
  const expected = createHmac("sha256", Buffer.from(GROUP_KEY, "base64")).update("Dev/One:2").digest("base64");
  assert.is(deriveDeviceKey(GROUP_KEY, "Dev/One:2", sha256), expected);
});
derive("derived key -> usable as a SAS key", () => {
  const deviceKey = deriveDeviceKey(GROUP_KEY, "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", sha256) as string;
  const password = sasToken(dpsResource("0ne00AB12CD", "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"), deviceKey, 1700000000, sha256, DPS_KEY_NAME) as string;
  assertSignsWhatItSends(password, deviceKey);
});
derive("bad group key, empty group key, empty registration id -> ERR_BAD_KEY, ERR_EMPTY_KEY, ERR_BAD_ARGUMENT", () => {
  assert.is(deriveDeviceKey("%%%", "reg", sha256), ERR_BAD_KEY);
  assert.is(deriveDeviceKey("", "reg", sha256), ERR_EMPTY_KEY);
  assert.is(deriveDeviceKey(GROUP_KEY, "", sha256), ERR_BAD_ARGUMENT);
});
derive.run();

const times = suite("tokenTimes");
const NOW = 1767225600; // 2026-01-01T00:00:00Z
times("synced clock, default lifetime -> now + 3600 s, renew after 2 880 000 ms (80 %)", () => {
  assert.equal(tokenTimes(true, NOW), { expirySeconds: NOW + 3600, renewAfterMs: 2880000 });
  assert.is(DEFAULT_TOKEN_LIFETIME_S, 3600);
});
times("fractional now (Espruino getTime) -> whole-second expiry", () => {
  assert.equal(tokenTimes(true, NOW + 0.75, 600), { expirySeconds: NOW + 600, renewAfterMs: 480000 });
});
times("longest lifetime -> renewal delay still below 2^31 ms", () => {
  const t = tokenTimes(true, NOW, MAX_TOKEN_LIFETIME_S) as TokenTimes;
  assert.is(t.expirySeconds, NOW + MAX_TOKEN_LIFETIME_S);
  assert.ok(t.renewAfterMs < 2147483648 && t.renewAfterMs === MAX_TOKEN_LIFETIME_S * 800);
});
times("clock not synced -> ERR_CLOCK_NOT_SYNCED", () => {
  assert.is(tokenTimes(false, NOW), ERR_CLOCK_NOT_SYNCED);
});
times("synced flag but a 1970 or NaN reading -> ERR_CLOCK_NOT_SYNCED", () => {
  assert.is(tokenTimes(true, 12), ERR_CLOCK_NOT_SYNCED);
  assert.is(tokenTimes(true, 1577836799), ERR_CLOCK_NOT_SYNCED);
  assert.is(tokenTimes(true, NaN), ERR_CLOCK_NOT_SYNCED);
});
times("lifetime 0, negative, fractional or above the maximum -> ERR_BAD_EXPIRY", () => {
  for (const lifetime of [0, -5, 1.5, NaN, MAX_TOKEN_LIFETIME_S + 1]) assert.is(tokenTimes(true, NOW, lifetime), ERR_BAD_EXPIRY, String(lifetime));
});
times.run();

const expiry = suite("sasExpiry");
expiry("minted token, published tokens -> their se", () => {
  assert.is(sasExpiry(sasToken("uri", "cGFzc3dvcmQ=", 1700000000, sha256) as string), 1700000000);
  assert.is(sasExpiry("SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&skn=encode%28%27Me%27%29&se=12345"), 12345);
  assert.is(sasExpiry("SharedAccessSignature sig=abc&se=1578941692&sr=h%2Fdevices%2Fd"), 1578941692);
});
expiry("malformed tokens -> ERR_BAD_TOKEN (each with what is wrong)", () => {
  const bad: Array<[string, string]> = [
    ["sr=uri&sig=abc&se=12345", "no prefix"],
    ["SharedAccessSignature sr=uri&sig=abc", "no se"],
    ["SharedAccessSignature sig=abc&se=12345", "no sr"],
    ["SharedAccessSignature sr=uri&se=12345", "no sig"],
    ["SharedAccessSignature sr=uri&sig=abc&se=12a45", "se not decimal"],
    ["SharedAccessSignature sr=uri&sig=abc&se=", "se empty"],
    ["SharedAccessSignature sr=uri&sig=abc&se=0", "se zero"],
    ["SharedAccessSignature sr=uri&sig=abc&se=99999999999", "se too large"],
    ["SharedAccessSignature sr=uri&sig=abc&se=1&se=2", "se twice"],
    ["SharedAccessSignature sr=uri&sig=abc&&se=1", "empty field"],
    ["SharedAccessSignature sr=uri&sig&se=1", "field without ="],
  ];
  for (const [text, why] of bad) assert.is(sasExpiry(text), ERR_BAD_TOKEN, why);
});
expiry.run();
