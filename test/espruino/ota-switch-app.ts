// The application the interpreter's OTA switch test (tools/espruino/ota-switch.ts) puts into
// the slots; not a probe. One source, two builds: A (1.0.0) as bundled, B (1.1.0) made by
// the driver from A's minified bundle by changing the BUILD literal. It runs the real update
// agent (firmware/ota/agent.ts) over the Espruino HAL's Store (hal/espruino.ts): the signed
// announcement, the file downloaded over HTTP with the streaming parser
// (firmware/ota/http-response.ts) and written chunk by chunk into the inactive slot
// (Store.writeChunk), its SHA-256 taken over the flash-backed record (Store.digest), the
// selector switched (storeSelector), then E.reboot(): the boot stub does the rest. What the
// driver wants is in ota-control.json in the interpreter's working directory (Linux fs):
//   { manifest, windowMs, b: "confirm" | "silent" | "throw" }
// b is what the new application does while unconfirmed: confirm at once (it stands in for
// reaching Connected), stay silent (the agent reboots when its window ends), or throw while
// it starts (the stub catches it). Every line starts with "APP <version> "; "APP <v> READY
// <report>" says this boot is settled.
import { OtaAgent, defaultOtaConfig, OTA_IDLE, OTA_FAILED, type OtaActions, type OtaReport } from "../../firmware/ota/agent";
import { parseUrl, hostHeader, buildRequest, type Url } from "../../firmware/ota/http-request";
import { createResponseParser } from "../../firmware/ota/http-response";
import {
  pickSelector, storeSelector, encodeSelector, encodeProgress, parseProgress, SELECTOR_RECORD, SELECTOR_RECORD_2, PROGRESS_RECORD,
  type Selector,
} from "../../firmware/ota/slots";
import { createEspruinoStore } from "../../hal/espruino";
import { OK, NEED_MORE, SOCKET_REFUSED } from "../../firmware/status";

// The driver derives B by replacing this literal (it must occur once in the bundle).
const BUILD = "ota-switch-app@1.0.0";
const VERSION = BUILD.split("@")[1];

interface Control {
  manifest: unknown;
  windowMs: number;
  b: string;
}

const readFile = (require as unknown as (name: string) => { readFileSync(path: string): string })("fs").readFileSync;
const control = JSON.parse(readFile("ota-control.json")) as Control;

/** The key the driver signs the manifest with: 0x40, 0x41, ... */
const KEY = new Uint8Array(32);
for (let i = 0; i < 32; i++) KEY[i] = 0x40 + i;

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(require("crypto").SHA256(data));
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

function say(line: string): void {
  console.log("APP " + VERSION + " " + line);
}

const store = createEspruinoStore();
// Held in a variable: Espruino throws reading an undefined-valued property off a temporary.
const pick = pickSelector(store.read(SELECTOR_RECORD), store.read(SELECTOR_RECORD_2));
const selector: Selector | undefined = pick.selector === undefined ? undefined : pick.selector;
say("started; selector " + (selector ? encodeSelector(selector) : "none"));
if (VERSION !== "1.0.0" && selector !== undefined && selector.pending && control.b === "throw") {
  throw new Error("application " + VERSION + " fails while it starts");
}

let chunks = 0;
let largest = 0;
let socket: EspSocket | undefined;
let agent: OtaAgent;

function ready(): void {
  say("READY " + JSON.stringify(agent.reportValue()));
}

function download(url: string, offset: number): void {
  const u = parseUrl(url) as Url;
  let over = false;
  const parser = createResponseParser(1024, {
    headers: function (_status: number, _length: number, rangeStart: number, totalSize: number) {
      agent.downloadStarted(rangeStart, totalSize, Date.now());
    },
    body: function (bytes: Uint8Array) {
      agent.bodyChunk(bytes, Date.now());
    },
    end: function () {},
  });
  const finish = function (code: number): void {
    if (over) return;
    over = true;
    agent.downloadEnded(code === OK, code, Date.now(), parser.statusCode());
  };
  try {
    const s = require("net").connect({ host: u.host, port: u.port }, function () {
      s.write(buildRequest(hostHeader(u), u.path, offset));
    });
    socket = s;
    s.on("data", function (data: string) {
      if (over) return;
      const r = parser.push(E.toUint8Array(data));
      if (r === NEED_MORE) return;
      finish(r);
      s.end();
    });
    s.on("close", function () {
      finish(parser.finish());
    });
  } catch (e) {
    finish(SOCKET_REFUSED);
  }
}

const actions: OtaActions = {
  startDownload: download,
  stopDownload: function () {
    if (socket) socket.end();
  },
  writeChunk: function (name: string, bytes: Uint8Array, offset: number, totalSize: number) {
    chunks++;
    if (bytes.length > largest) largest = bytes.length;
    return store.writeChunk(name, bytes, offset, totalSize);
  },
  saveProgress: function (p) {
    if (p) store.write(PROGRESS_RECORD, encodeProgress(p));
    else store.erase(PROGRESS_RECORD);
  },
  hashSlot: function (name: string) {
    const digest = store.digest(name);
    const text = digest ? hex(digest) : "";
    say("sha-256 of " + name + " over its flash-backed record: " + text);
    agent.verified(text);
  },
  commitSwitch: function (s: Selector) {
    const ok = storeSelector(store, s);
    if (ok) {
      say("wrote " + chunks + " chunks, largest " + largest + " bytes; switched: " + encodeSelector(s) + "; rebooting");
      setTimeout(function () {
        E.reboot();
      }, 10);
    }
    return ok;
  },
  confirm: function (s: Selector) {
    const ok = storeSelector(store, s);
    if (ok) say("confirmed: " + encodeSelector(s));
    return ok;
  },
  reboot: function () {
    say("not confirmed within the window: rebooting");
    E.reboot();
  },
  report: function (patch: { ota: OtaReport }) {
    if (patch.ota.state === "failed") ready();
  },
  log: function (message: string) {
    say(message);
  },
};

const config = defaultOtaConfig(KEY, sha256);
config.allowHttp = true;
config.confirmWindowMs = control.windowMs;
config.progressEveryBytes = 4096;
agent = new OtaAgent(config, actions);
const progress = parseProgress(store.read(PROGRESS_RECORD));
agent.start(Date.now(), selector, typeof progress === "number" ? undefined : progress, VERSION);
agent.desired(control.manifest, Date.now(), true);

function tick(): void {
  agent.tick(Date.now());
  const at = agent.nextDeadline();
  if (at >= 0) setTimeout(tick, at - Date.now() > 0 ? at - Date.now() : 0);
}

if (agent.internal.pendingConfirm) {
  if (control.b === "confirm") {
    setTimeout(function () {
      agent.connected(Date.now());
      ready();
    }, 50);
  } else tick();
} else if (agent.state === OTA_IDLE || agent.state === OTA_FAILED) ready();
