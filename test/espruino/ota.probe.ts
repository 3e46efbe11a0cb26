// Application update on the interpreter (without the agent: ota-agent.probe.ts): manifest
// authentication (the fixed vector of test/ota/manifest.test.ts), a chunked HTTP response
// parsed one byte at a time, and an update written into Storage: a chunked response streamed
// from the parser into slot b, its SHA-256 taken over the flash-backed record, the selector
// switched, the boot-stub procedure (bootSelect) choosing the new slot and evaluating it,
// then rolling back when it never confirms. Also what Storage does to a resumed write.
import { check, probe, done } from "./probe-kit";
import { signManifest, verifyManifest, parseManifest, compareVersions, isUpgrade, type Manifest } from "../../firmware/ota/manifest";
import { parseUrl, buildRequest, hostHeader, type Url } from "../../firmware/ota/http-request";
import { createResponseParser } from "../../firmware/ota/http-response";
import {
  bootSelect, bootDecision, loadSelector, storeSelector, parseSelector, encodeSelector, resumeSplit, stageUpdate, confirm,
  SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD, type RecordStore, type Selector,
} from "../../firmware/ota/slots";
import { OK, NEED_MORE, ERR_OTA_SELECTOR_CORRUPT } from "../../firmware/status";

console.log("VERSION " + process.version);

const storage = require("Storage");
const sha256 = function (d: Uint8Array): Uint8Array {
  return new Uint8Array(require("crypto").SHA256(d));
};

function hexOf(buffer: ArrayBuffer | Uint8Array): string {
  const bytes = new Uint8Array(buffer as ArrayBuffer);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// Clean Storage for the records this probe uses.
const names = [SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD, "otaprobe.bin"];
for (let i = 0; i < names.length; i++) storage.erase(names[i]);

const store: RecordStore = {
  read: function (name: string) {
    return storage.read(name);
  },
  write: function (name: string, data: string) {
    try {
      return storage.write(name, data) !== false;
    } catch (e) {
      return false;
    }
  },
};

// ---- manifests ----

const KEY = new Uint8Array(32);
for (let i = 0; i < 32; i++) KEY[i] = i + 1;
const HASH = "1e5ed3ed53d63e2d66138664980a2b69fb6945be323ce3a88a27ff72d744b986";

probe("fixed manifest vector verifies; tampered size and downgrade flag do not", function () {
  const m = parseManifest({ version: "1.2.0", url: "https://files.example.net/a.js", size: 4096, sha256: HASH, auth: "tqk6FdboWf63HQbE19Y5JiyTD9lrFtdIuuyzoSW5dRY=" });
  if (typeof m === "number") return "parse " + m;
  const mm = m as Manifest;
  const sizeChanged: Manifest = { version: mm.version, url: mm.url, size: 4097, sha256: mm.sha256, auth: mm.auth, allowDowngrade: false };
  const flagged: Manifest = { version: mm.version, url: mm.url, size: mm.size, sha256: mm.sha256, auth: mm.auth, allowDowngrade: true };
  return verifyManifest(mm, KEY, sha256) && !verifyManifest(sizeChanged, KEY, sha256) && !verifyManifest(flagged, KEY, sha256);
});
probe("signManifest reproduces the vector", function () {
  return signManifest({ version: "1.2.0", url: "https://x/y", size: 4096, sha256: HASH }, KEY, sha256).auth === "tqk6FdboWf63HQbE19Y5JiyTD9lrFtdIuuyzoSW5dRY=";
});
probe("version order and the upgrade rule", function () {
  const m = { version: "1.10", url: "https://h/", size: 1, sha256: HASH, auth: "", allowDowngrade: false };
  return compareVersions("1.10", "1.9") === 1 && compareVersions("1.2", "1.2.0.0") === 0 && isUpgrade("1.9", m) && !isUpgrade("1.10", m);
});

// ---- HTTP ----

probe("chunked response one byte at a time -> headers, body, end", function () {
  const wire = ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0B\r\n, espruino!\r\n0\r\nT: 1\r\n\r\n");
  let head = "";
  let body = "";
  let ends = 0;
  const p = createResponseParser(256, {
    headers: function (s, l, r, t) {
      head = s + " " + l + " " + r + " " + t;
    },
    body: function (b) {
      body += E.toString(b);
    },
    end: function () {
      ends++;
    },
  });
  let r = NEED_MORE;
  for (let i = 0; i < wire.length && r === NEED_MORE; i++) r = p.push(wire.subarray(i, i + 1));
  return (r === OK && head === "200 -1 0 -1" && body === "hello, espruino!" && ends === 1) || r + " " + head + " " + body;
});
probe("URL and request text", function () {
  const u = parseUrl("https://Files.Example.net:8443/ota/1.2.0.js?sig=a%2Bb") as Url;
  return buildRequest(hostHeader(u), u.path, 4096) ===
    "GET /ota/1.2.0.js?sig=a%2Bb HTTP/1.1\r\nHost: files.example.net:8443\r\nUser-Agent: espruino-azure-iot-ota/1\r\nAccept-Encoding: identity\r\nRange: bytes=4096-\r\nConnection: close\r\n\r\n";
});

// Espruino's subarray does not clamp its end to the array (Node does): drivers that cut a
// buffer into pieces must clamp themselves. Reported as a NOTE, not a check.
console.log("NOTE subarray(8, 12) of a Uint8Array(10) has length " + new Uint8Array(10).subarray(8, 12).length + " (Node: 2)");

// ---- Storage behaviour a resume depends on ----

probe("Storage refuses a write over flash already written; resumeSplit finds the erased part", function () {
  storage.write("otaprobe.bin", "abcd", 0, 8);
  let refused = false;
  try {
    refused = storage.write("otaprobe.bin", "cdef", 2, 8) === false;
  } catch (e) {
    refused = true;
  }
  const stored = storage.read("otaprobe.bin", 2, 4) as string;
  const split = resumeSplit(stored, ascii("cdef"));
  storage.write("otaprobe.bin", "ef", 2 + split, 8);
  // Read before erasing: a Storage string is flash-backed and goes with its record.
  const after = storage.read("otaprobe.bin", 0, 6) === "abcdef";
  storage.erase("otaprobe.bin");
  return (refused && split === 2 && after) || "refused " + refused + " split " + split + " after " + after;
});
probe("torn selector (erased tail) -> corrupt; the other copy wins", function () {
  const good = encodeSelector({ seq: 3, active: "a", pending: false, tries: 0, previous: "", version: "1.0.0", previousVersion: "", rejected: "" });
  let torn = good.substr(0, 20);
  while (torn.length < good.length) torn += String.fromCharCode(255);
  storage.write(SELECTOR_RECORD, good);
  storage.write(SELECTOR_RECORD_2, torn);
  const s = loadSelector(store);
  storage.erase(SELECTOR_RECORD);
  storage.erase(SELECTOR_RECORD_2);
  return parseSelector(torn) === ERR_OTA_SELECTOR_CORRUPT && s !== undefined && s.seq === 3;
});

// ---- an update written into Storage, verified, switched by the boot-stub procedure ----

// Slot a: the running application 1.0.0; slot b receives 1.2.0.
storage.write(SLOT_A_RECORD, "global.OTA_RAN='1.0.0';");
storeSelector(store, { seq: 1, active: "a", pending: false, tries: 0, previous: "", version: "1.0.0", previousVersion: "", rejected: "" });

let app = "global.OTA_RAN='1.2.0';/*";
while (app.length < 6000) app += "padding of the new application bundle ";
app += "*/";
const APP = app;
const APP_HASH = hexOf(require("crypto").SHA256(APP));

probe("chunked download streamed into slot b, SHA-256 over the flash-backed record, switch", function () {
  let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (let i = 0; i < APP.length; i += 1000) {
    const piece = APP.substr(i, 1000);
    response += piece.length.toString(16) + "\r\n" + piece + "\r\n";
  }
  response += "0\r\n\r\n";
  const wire = ascii(response);
  let offset = 0;
  let writes = 0;
  const p = createResponseParser(512, {
    headers: function () {},
    body: function (b) {
      storage.write(SLOT_B_RECORD, E.toString(b), offset, APP.length);
      offset += b.length;
      writes++;
    },
    end: function () {},
  });
  let r = NEED_MORE;
  for (let i = 0; i < wire.length && r === NEED_MORE; i += 512) r = p.push(wire.subarray(i, i + 512 < wire.length ? i + 512 : wire.length));
  const digest = hexOf(require("crypto").SHA256(storage.read(SLOT_B_RECORD) as string));
  if (r !== OK || offset !== APP.length || digest !== APP_HASH || writes < 12) return r + " " + offset + " " + writes;
  return storeSelector(store, stageUpdate(loadSelector(store), "1.2.0", "1.0.0"));
});
probe("boot stub procedure: slot b chosen, try counted, bundle runs from flash", function () {
  const name = bootSelect(store, 1);
  const s = loadSelector(store) as Selector;
  eval(storage.read(name) as string);
  return (name === SLOT_B_RECORD && s.pending && s.tries === 1 && (global as { OTA_RAN?: string }).OTA_RAN === "1.2.0") || name + " " + JSON.stringify(s);
});
probe("new application never confirms -> next boot returns to slot a, 1.2.0 rejected", function () {
  const name = bootSelect(store, 1);
  const s = loadSelector(store) as Selector;
  eval(storage.read(name) as string);
  return (name === SLOT_A_RECORD && !s.pending && s.rejected === "1.2.0" && s.version === "1.0.0" &&
    (global as { OTA_RAN?: string }).OTA_RAN === "1.0.0") || name + " " + JSON.stringify(s);
});
probe("confirmed update -> stays on slot b across boots", function () {
  storeSelector(store, stageUpdate(loadSelector(store), "1.3.0"));
  const first = bootSelect(store, 1);
  storeSelector(store, confirm(loadSelector(store) as Selector));
  const second = bootSelect(store, 1);
  const s = loadSelector(store) as Selector;
  return (first === SLOT_B_RECORD && second === SLOT_B_RECORD && !s.pending && s.version === "1.3.0" && bootDecision(s, 1).slot === "b") || JSON.stringify(s);
});

check("cleanup", true);
for (let i = 0; i < names.length; i++) storage.erase(names[i]);
done();
