// The update agent on the interpreter, over Storage: a signed announcement, the file
// streamed into slot b in chunks (progress records on the way), its
// SHA-256 over the flash-backed record, the selector switched; then the boot-stub procedure
// boots slot b and a fresh agent confirms it on Connected. (Split from ota.probe.ts so each
// debug bundle fits the device-sized interpreter when loaded into RAM.)
import { check, probe, done } from "./probe-kit";
import { signManifest } from "../../firmware/ota/manifest";
import {
  bootSelect, loadSelector, storeSelector, parseProgress, encodeProgress,
  SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD, type RecordStore, type Selector,
} from "../../firmware/ota/slots";
import { OtaAgent, defaultOtaConfig, OTA_APPLYING, type OtaActions, type OtaReport } from "../../firmware/ota/agent";
import { OK } from "../../firmware/status";

console.log("VERSION " + process.version);

const storage = require("Storage");
const sha256 = function (d: Uint8Array): Uint8Array {
  return new Uint8Array(require("crypto").SHA256(d));
};
function hexOf(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const names = [SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD];
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

const KEY = new Uint8Array(32);
for (let i = 0; i < 32; i++) KEY[i] = 0x40 + i;

storage.write(SLOT_A_RECORD, "global.OTA_RAN='1.0.0';");
storeSelector(store, { seq: 1, active: "a", pending: false, tries: 0, previous: "", version: "1.0.0", previousVersion: "", rejected: "" });

let app = "global.OTA_RAN='1.2.0';/*";
while (app.length < 6000) app += "padding of the new application bundle ";
app += "*/";
const APP = app;
const manifest = signManifest(
  { version: "1.2.0", url: "https://files.example.net/ota/1.2.0.js", size: APP.length, sha256: hexOf(require("crypto").SHA256(APP)) }, KEY, sha256);

const BODY = ascii(APP);

const reports: OtaReport[] = [];
const calls: string[] = [];
let committed: Selector | undefined;
let agent: OtaAgent;

/** The driver's part, as firmware/ota/agent.ts describes it, over Storage. */
function actions(): OtaActions {
  return {
    startDownload: function (_url: string, offset: number) {
      // The HTTP parser is exercised in ota.probe.ts; here the response arrives as its
      // parser would hand it on: headers, then body views of 512-byte socket reads.
      calls.push("get " + offset);
      agent.downloadStarted(0, BODY.length, 0);
      // Clamp the end: Espruino's subarray does not (a view past the end reads other memory).
      for (let i = 0; i < BODY.length; i += 512) agent.bodyChunk(BODY.subarray(i, i + 512 < BODY.length ? i + 512 : BODY.length), 0);
      agent.downloadEnded(true, OK, 0);
    },
    stopDownload: function () {
      calls.push("stop");
    },
    writeChunk: function (name: string, bytes: Uint8Array, offset: number, total: number) {
      try {
        return storage.write(name, E.toString(bytes), offset, total) !== false;
      } catch (e) {
        return false;
      }
    },
    saveProgress: function (record) {
      calls.push("progress " + (record ? record.offset : "erase"));
      if (record) storage.write(PROGRESS_RECORD, encodeProgress(record));
      else storage.erase(PROGRESS_RECORD);
    },
    hashSlot: function (name: string) {
      // Over the flash-backed string: no copy of the file in RAM.
      agent.verified(hexOf(require("crypto").SHA256(storage.read(name) as string)));
    },
    commitSwitch: function (s: Selector) {
      committed = s;
      return storeSelector(store, s);
    },
    confirm: function (s: Selector) {
      calls.push("confirm");
      return storeSelector(store, s);
    },
    reboot: function () {
      calls.push("reboot");
    },
    report: function (patch) {
      reports.push(patch.ota);
    },
    log: function () {},
  };
}

const config = defaultOtaConfig(KEY, sha256);
config.progressEveryBytes = 2048;
agent = new OtaAgent(config, actions());

probe("agent: download into slot b in chunks, verify over flash, switch", function () {
  agent.start(0, loadSelector(store), undefined, "1.0.0");
  agent.desired(JSON.parse(JSON.stringify(manifest)), 0, true);
  const states: string[] = [];
  for (let i = 0; i < reports.length; i++) if (states.indexOf(reports[i].state) < 0) states.push(reports[i].state);
  let saves = 0;
  for (let i = 0; i < calls.length; i++) if (calls[i].indexOf("progress ") === 0) saves++;
  return (agent.state === OTA_APPLYING && committed !== undefined && committed.active === "b" && committed.pending &&
    storage.read(SLOT_B_RECORD) === APP && states.join(",") === "idle,downloading,verifying,applying" && saves >= 3) ||
    agent.state + " " + states.join(",") + " " + calls.join(",");
});
probe("progress record on flash parses back as complete", function () {
  const p = parseProgress(storage.read(PROGRESS_RECORD));
  return typeof p !== "number" && p.offset === APP.length && p.sha256 === manifest.sha256;
});
probe("boot-stub procedure boots slot b; a fresh agent confirms on Connected", function () {
  const name = bootSelect(store, 1);
  eval(storage.read(name) as string);
  calls.splice(0, calls.length);
  agent = new OtaAgent(config, actions());
  const p = parseProgress(storage.read(PROGRESS_RECORD));
  agent.start(0, loadSelector(store), typeof p === "number" ? undefined : p, "0.0.0");
  const pending = agent.internal.pendingConfirm;
  agent.connected(1000);
  const s = loadSelector(store) as Selector;
  return (name === SLOT_B_RECORD && (global as { OTA_RAN?: string }).OTA_RAN === "1.2.0" && pending && agent.current === "1.2.0" &&
    !s.pending && s.version === "1.2.0" && storage.read(PROGRESS_RECORD) === undefined && calls.indexOf("confirm") >= 0 &&
    reports[reports.length - 1].last !== undefined) || name + " " + JSON.stringify(s) + " " + calls.join(",");
});

check("cleanup", true);
for (let i = 0; i < names.length; i++) storage.erase(names[i]);
done();
