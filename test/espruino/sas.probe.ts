// Credentials on the interpreter: HMAC-SHA256 over the native crypto.SHA256 (RFC 4231), the
// SAS and group-key vectors (the published ones), UTF-8 agreement with Node for decoded
// text, the error codes, and FIGURE sas_ms (average ms to mint one hub token).
import { check, probe, figure, done } from "./probe-kit";
import { utf8Bytes } from "../../firmware/azure/bytes";
import { serviceJson } from "../../firmware/text";
import { base64DecodeLenient } from "../../firmware/azure/base64";
import { urlEncode } from "../../firmware/azure/url-encode";
import { parseConnectionString, hubPassword, AUTH_SAS_KEY, type ConnectionString } from "../../firmware/azure/connection-string";
import {
  hmacSha256, sasToken, hubResource, dpsResource, deriveDeviceKey, tokenTimes, sasExpiry, DPS_KEY_NAME, type TokenTimes,
} from "../../firmware/azure/sas";
import { ERR_BAD_KEY, ERR_CLOCK_NOT_SYNCED, ERR_CS_MISSING_HOST, ERR_EMPTY_KEY } from "../../firmware/status";

console.log("VERSION " + process.version);

const sha256 = function (d: Uint8Array): Uint8Array {
  return new Uint8Array(require("crypto").SHA256(d));
};

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}
function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}
function filled(n: number, byte: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = byte;
  return out;
}
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// RFC 4231 section 4 (case 5 is published truncated to 128 bits).
const rfc: Array<[string, Uint8Array, Uint8Array, string]> = [
  ["1", filled(20, 0x0b), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
  ["2", ascii("Jefe"), ascii("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
  ["3", filled(20, 0xaa), filled(50, 0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
  ["4", fromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), filled(50, 0xcd), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
  ["5", filled(20, 0x0c), ascii("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"],
  ["6", filled(131, 0xaa), ascii("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
  ["7", filled(131, 0xaa), ascii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"],
];
for (let i = 0; i < rfc.length; i++) {
  const v = rfc[i];
  probe("RFC 4231 case " + v[0], function () {
    const mac = hex(hmacSha256(v[1], v[2], sha256));
    return mac.substring(0, v[3].length) === v[3] || mac;
  });
}

probe("SAS vector #1 (key cGFzc3dvcmQ=, sr uri)", function () {
  const p = sasToken("uri", "cGFzc3dvcmQ=", 12345, sha256);
  return p === "SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345" || String(p);
});
probe("SAS vector #1 with key name encode('Me')", function () {
  const p = sasToken("uri", "cGFzc3dvcmQ=", 12345, sha256, "encode('Me')");
  return p === "SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345&skn=encode%28%27Me%27%29" || String(p);
});
probe("SAS vector #2 (unpadded key 'key' = 0x91 0xEC, hub resource)", function () {
  const key = base64DecodeLenient("key") as Uint8Array;
  const p = sasToken(hubResource("host", "device"), "key", 12345, sha256);
  return (key.length === 2 && key[0] === 0x91 && key[1] === 0xec &&
    p === "SharedAccessSignature sr=host%2Fdevices%2Fdevice&sig=wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT%2BkKHc%3D&se=12345") || String(p);
});
probe("DPS token: upper-case %2F resource and skn=registration", function () {
  const p = sasToken(dpsResource("0neFEEDC0DE", "myRegistrationId"), "cGFzc3dvcmQ=", 1578941692, sha256, DPS_KEY_NAME) as string;
  return (p.indexOf("SharedAccessSignature sr=0neFEEDC0DE%2Fregistrations%2FmyRegistrationId&sig=") === 0 &&
    p.substring(p.length - 31) === "&se=1578941692&skn=registration" && sasExpiry(p) === 1578941692) || p;
});
probe("group-key derivation vector (MS docs)", function () {
  const k = deriveDeviceKey("8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==", "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", sha256);
  return k === "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=" || String(k);
});
probe("decoded text -> same UTF-8 bytes, HMAC and encoding as Node", function () {
  // Text from the service through firmware/text.ts: a Unicode build holds e-acute as one char
  // 0xE9 and the emoji as one char 0x1F600; an 8-bit build holds their UTF-8 bytes. (A bare
  // JSON.parse on an 8-bit build truncates each escape to one byte: 636166e9203d00.)
  const text = JSON.parse(serviceJson('"caf\\u00e9 \\ud83d\\ude00"')) as string;
  const bytes = utf8Bytes(text);
  const native = hex(new Uint8Array(require("crypto").SHA256(text)));
  return (hex(bytes) === "636166c3a920f09f9880" &&
    hex(sha256(bytes)) === native &&
    hex(hmacSha256("k", text, sha256)) === "48a36468cea423c50be30b8211b460dc9051d5e7ecbd1ad23372d0259d0c5e7f" &&
    urlEncode(text) === "caf%C3%A9%20%F0%9F%98%80") || hex(bytes) + " " + urlEncode(text);
});
probe("device id needing encoding -> escaped resource", function () {
  return hubResource("h", "dev!ce (1)*") === "h%2Fdevices%2Fdev%21ce%20%281%29%2A";
});
probe("bad and empty keys -> ERR_BAD_KEY, ERR_EMPTY_KEY", function () {
  return sasToken("uri", "not base64!", 12345, sha256) === ERR_BAD_KEY && sasToken("uri", "", 12345, sha256) === ERR_EMPTY_KEY;
});
probe("unsynced clock -> ERR_CLOCK_NOT_SYNCED; synced -> expiry and 80 % renewal", function () {
  const t = tokenTimes(true, 1767225600.5) as TokenTimes;
  return tokenTimes(false, 1767225600) === ERR_CLOCK_NOT_SYNCED && tokenTimes(true, 5) === ERR_CLOCK_NOT_SYNCED &&
    t.expirySeconds === 1767229200 && t.renewAfterMs === 2880000;
});
probe("connection string -> hub password; missing HostName -> its code", function () {
  const cs = parseConnectionString("HostName=host;DeviceId=device;SharedAccessKey=key") as ConnectionString;
  return cs.auth === AUTH_SAS_KEY && parseConnectionString("DeviceId=d;SharedAccessKey=key") === ERR_CS_MISSING_HOST &&
    hubPassword(cs, 12345, sha256) === "SharedAccessSignature sr=host%2Fdevices%2Fdevice&sig=wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT%2BkKHc%3D&se=12345";
});

// Timing: mint tokens for a realistic hub device with a 64-byte key.
const KEY = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
const ROUNDS = 20;
let last: string | number = "";
const start = Date.now();
for (let i = 0; i < ROUNDS; i++) last = sasToken(hubResource("my-hub.azure-devices.net", "device-0001"), KEY, 1767229200 + i, sha256);
const elapsed = Date.now() - start;
check("timed tokens are valid", typeof last === "string" && sasExpiry(last) === 1767229200 + ROUNDS - 1);
figure("sas_ms", Math.round((elapsed / ROUNDS) * 1000) / 1000);
done();
