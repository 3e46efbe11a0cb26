// A sans-I/O "device" for the update agent: it carries out the agent's actions the way the
// driver is meant to (see firmware/ota/agent.ts), over the kit's Espruino-like flash store
// and tiny file server, with the real HTTP parser in between and a hand-driven clock.
// Socket deliveries are queued tasks, so tests can stop anywhere (cancel mid-download) and
// nothing calls back into the agent from inside an action except hashSlot (synchronous, as
// on the device).
import { createHash } from "node:crypto";
import { OtaAgent, defaultOtaConfig, type OtaActions, type OtaConfig, type OtaReport } from "../../firmware/ota/agent";
import { parseUrl, type Url } from "../../firmware/ota/http-request";
import { createResponseParser } from "../../firmware/ota/http-response";
import { signManifest, type Manifest } from "../../firmware/ota/manifest";
import {
  bootSelect, loadSelector, storeSelector, parseProgress, encodeProgress, resumeSplit, slotRecord,
  PROGRESS_RECORD, SLOT_A_RECORD, type Selector,
} from "../../firmware/ota/slots";
import { OK, NEED_MORE } from "../../firmware/status";
import { FlashStore, TinyFileServer, toByteString, fromByteString } from "./kit";
import { createPrng } from "../helpers/prng";

export const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());
export const hex = (d: Uint8Array | string): string =>
  createHash("sha256").update(typeof d === "string" ? Buffer.from(d, "latin1") : d).digest("hex");
export const OTA_KEY = new Uint8Array(32).map((_, i) => 0x40 + i);
export const HOST = "files.example.net";

/** An application bundle: "/*app <version>*\/" then seeded bytes (0x00..0xFF) up to size. */
export function bundle(version: string, size: number): Uint8Array {
  const head = Buffer.from("/*app " + version + "*/", "latin1");
  const out = new Uint8Array(size);
  out.set(head.subarray(0, size));
  const prng = createPrng(size * 31 + version.length);
  for (let i = head.length; i < size; i++) out[i] = prng.int(256);
  return out;
}

/** The version a stored bundle announces, or "" when it is not a complete bundle. */
export function bundleVersion(text: string | undefined): string {
  if (text === undefined) return "";
  const m = /^\/\*app ([0-9.]+)\*\//.exec(text);
  if (!m) return "";
  return toByteString(bundle(m[1], text.length)) === text ? m[1] : "";
}

export interface Announce {
  version: string;
  data: Uint8Array;
  allowDowngrade?: boolean;
  key?: Uint8Array;
  /** Sign this hash instead of the file's. */
  sha256?: string;
  /** Sign this size instead of the file's. */
  size?: number;
}

export interface RigOptions {
  config?: Partial<OtaConfig>;
  /** Socket chunk size. */
  chunk?: number;
  /** On a refused write at offset > 0, skip what is already on flash (resumeSplit), as the
   *  Espruino driver should; false leaves it to the agent (restart from 0). */
  smartResume?: boolean;
  maxTries?: number;
}

interface Conn {
  open: boolean;
}

export class Rig {
  readonly server = new TinyFileServer();
  readonly reports: OtaReport[] = [];
  readonly logs: string[] = [];
  readonly calls: string[] = [];
  readonly tasks: Array<() => void> = [];
  agent!: OtaAgent;
  now = 1_000_000;
  /** Reboot requested (commitSwitch or reboot). */
  rebooted = false;
  /** Slot record that runs, and its version. */
  running = "";
  runningVersion = "";
  /** Connections that never answer (stall), next ones first. */
  stallNext = 0;
  private conn: Conn | undefined;
  readonly config: OtaConfig;

  constructor(public flash: FlashStore, private readonly options: RigOptions = {}) {
    this.config = { ...defaultOtaConfig(OTA_KEY, sha256), progressEveryBytes: 1024, reportEveryPercent: 25, ...options.config };
  }

  /** A device flashed with `version` in slot a (and a selector unless `noSelector`). */
  static flashed(version: string, options: RigOptions & { noSelector?: boolean } = {}): Rig {
    const flash = new FlashStore();
    flash.files.set(SLOT_A_RECORD, toByteString(bundle(version, 3000)));
    if (!options.noSelector) {
      storeSelector(flash, { seq: 1, active: "a", pending: false, tries: 0, previous: "", version, previousVersion: "", rejected: "" });
    }
    const rig = new Rig(new FlashStore(flash.snapshot()), options);
    rig.boot();
    return rig;
  }

  /** Power on: the boot stub's choice, then a fresh agent started from what is in Storage. */
  boot(): void {
    this.rebooted = false;
    this.conn = undefined;
    this.tasks.length = 0;
    this.running = bootSelect(this.flash, this.options.maxTries ?? 1);
    this.runningVersion = bundleVersion(this.flash.read(this.running));
    const progress = parseProgress(this.flash.read(PROGRESS_RECORD));
    this.agent = new OtaAgent(this.config, this.actions());
    this.agent.start(this.now, loadSelector(this.flash), typeof progress === "number" ? undefined : progress, this.runningVersion);
  }

  selector(): Selector | undefined {
    return loadSelector(this.flash);
  }

  announce(a: Announce, path = "/ota/" + a.version + ".js"): Manifest {
    this.server.serve(path, a.data);
    return signManifest(
      { version: a.version, url: "https://" + HOST + path, size: a.size ?? a.data.length, sha256: a.sha256 ?? hex(a.data), allowDowngrade: a.allowDowngrade },
      a.key ?? OTA_KEY,
      sha256,
    );
  }

  /** Runs queued socket work (up to `limit` tasks) until nothing is left or a reboot is due. */
  run(limit = 1_000_000): number {
    let n = 0;
    while (this.tasks.length > 0 && !this.rebooted && n < limit) {
      (this.tasks.shift() as () => void)();
      n++;
    }
    return n;
  }

  /** Moves the clock to the agent's deadline (or by ms), ticks, and runs what follows. */
  advance(ms?: number): void {
    const d = this.agent.nextDeadline();
    this.now = ms !== undefined ? this.now + ms : Math.max(this.now, d);
    this.agent.tick(this.now);
    this.run();
  }

  /** Ticks through deadlines until the agent has none or a reboot is due (bounded). */
  settle(maxSteps = 100): void {
    this.run();
    for (let i = 0; i < maxSteps && !this.rebooted && this.agent.nextDeadline() >= 0; i++) this.advance();
  }

  lastReport(): OtaReport {
    return this.reports[this.reports.length - 1];
  }

  private actions(): OtaActions {
    return {
      startDownload: (url, offset) => {
        this.calls.push("startDownload " + offset);
        const conn: Conn = { open: true };
        this.conn = conn;
        if (this.stallNext > 0) {
          this.stallNext--;
          return;
        }
        this.tasks.push(() => this.deliver(conn, parseUrl(url) as Url, offset));
      },
      stopDownload: () => {
        this.calls.push("stopDownload");
        if (this.conn) this.conn.open = false;
        this.conn = undefined;
      },
      writeChunk: (name, bytes, offset, size) => {
        const data = toByteString(bytes);
        if (this.flash.writeChunk(name, data, offset, size)) return true;
        if (!this.options.smartResume || offset === 0) return false;
        const stored = this.flash.read(name);
        if (stored === undefined || stored.length !== size) return false;
        const k = resumeSplit(stored.substr(offset, bytes.length), bytes);
        if (k < 0) return false;
        return k === bytes.length || this.flash.writeChunk(name, data.slice(k), offset + k, size);
      },
      saveProgress: (record) => {
        this.calls.push("saveProgress " + (record ? record.offset : "erase"));
        if (record) this.flash.write(PROGRESS_RECORD, encodeProgress(record));
        else this.flash.erase(PROGRESS_RECORD);
      },
      hashSlot: (name) => {
        this.calls.push("hashSlot " + name);
        this.agent.verified(hex(this.flash.read(name) ?? ""));
      },
      commitSwitch: (s) => {
        this.calls.push("commitSwitch " + s.active + " " + s.version);
        const ok = storeSelector(this.flash, s);
        if (ok) this.rebooted = true;
        return ok;
      },
      confirm: (s) => {
        this.calls.push("confirm " + s.version);
        return storeSelector(this.flash, s);
      },
      reboot: () => {
        this.calls.push("reboot");
        this.rebooted = true;
      },
      report: (patch) => this.reports.push(JSON.parse(JSON.stringify(patch.ota))),
      log: (m) => this.logs.push(m),
    };
  }

  /** The server's answer to one request, pushed through the parser in socket-sized pieces,
   *  each piece its own task. */
  private deliver(conn: Conn, url: Url, offset: number): void {
    const { wire } = this.server.respond(url.path, offset);
    const agent = this.agent;
    const parser = createResponseParser(1024, {
      headers: (_s, _l, rangeStart, total) => agent.downloadStarted(rangeStart, total, this.now),
      body: (b) => agent.bodyChunk(b, this.now),
      end: () => undefined,
    });
    const size = this.options.chunk ?? 700;
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += size) pieces.push(wire.subarray(i, i + size));
    const step = (i: number): void => {
      if (!conn.open) return;
      let r = NEED_MORE;
      if (i < pieces.length) r = parser.push(pieces[i]);
      if (!conn.open) return;
      if (r === NEED_MORE && i + 1 < pieces.length) {
        this.tasks.push(() => step(i + 1));
        return;
      }
      if (r === NEED_MORE) r = parser.finish(); // the server closed the connection
      conn.open = false;
      if (this.conn === conn) this.conn = undefined;
      agent.downloadEnded(r === OK, r, this.now, parser.statusCode());
    };
    step(0);
  }
}

export { fromByteString, toByteString, slotRecord };
