// The agent over the Node HAL against the simulator's HTTPS file host, with a minimal driver
// written exactly as firmware/ota/agent.ts's wiring notes say (HAL socket with the CA, one
// response parser per request, Storage through hal.store, the selector through slots.ts).
// The announcement comes from sim.announceUpdate (signed with node:crypto).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createNodeHal, type NodeHal } from "../../hal/node";
import { LOG_ERROR } from "../../hal/types";
import { OtaAgent, defaultOtaConfig, OTA_APPLYING, OTA_FAILED, type OtaReport } from "../../firmware/ota/agent";
import { parseUrl, buildRequest, hostHeader, type Url } from "../../firmware/ota/http-request";
import { createResponseParser } from "../../firmware/ota/http-response";
import {
  loadSelector, storeSelector, parseProgress, encodeProgress, bootSelect, SLOT_A_RECORD, SLOT_B_RECORD, PROGRESS_RECORD,
} from "../../firmware/ota/slots";
import { OK, ERR_HTTP_STATUS } from "../../firmware/status";
import { fixture, teardown, KEY, type Fixture } from "../hub-sim/sim-helpers";
import { bundle, toByteString, hex, sha256, OTA_KEY } from "./rig";
import type { Socket } from "../../hal/types";

interface Device {
  hal: NodeHal;
  agent: OtaAgent;
  reports: OtaReport[];
  requests: string[];
  rebooted: boolean;
  dir: string;
  done: Promise<void>;
}

/** Boots a device (HAL store in a temp folder) running `version` from slot a. */
function device(f: Fixture, dir: string, version?: string): Device {
  const hal = createNodeHal({ hosts: f.sim.hosts, storeDir: dir, logLevel: LOG_ERROR, log: () => undefined });
  if (version) {
    hal.store.write(SLOT_A_RECORD, toByteString(bundle(version, 2000)));
    storeSelector(hal.store, { seq: 1, active: "a", pending: false, tries: 0, previous: "", version, previousVersion: "", rejected: "" });
  }
  let finish: () => void = () => undefined;
  const d: Device = {
    hal, agent: undefined as unknown as OtaAgent, reports: [], requests: [], rebooted: false, dir,
    done: new Promise<void>((resolve) => (finish = resolve)),
  };
  let socket: Socket | undefined;
  let timer = 0;
  const now = (): number => hal.clock.nowMs();
  const schedule = (): void => {
    if (timer) hal.timers.clearTimer(timer);
    timer = 0;
    const at = d.agent.nextDeadline();
    if (at >= 0) {
      timer = hal.timers.setTimer(Math.max(0, at - now()), () => {
        timer = 0;
        d.agent.tick(now());
        schedule();
      });
    }
  };
  const config = { ...defaultOtaConfig(OTA_KEY, sha256), retryMinMs: 20, retryMaxMs: 100, progressEveryBytes: 4096 };
  d.agent = new OtaAgent(config, {
    startDownload(url, offset) {
      const u = parseUrl(url) as Url;
      d.requests.push(u.path + " " + offset);
      const parser = createResponseParser(2048, {
        headers: (_s, _l, rangeStart, total) => d.agent.downloadStarted(rangeStart, total, now()),
        body: (b) => d.agent.bodyChunk(b, now()),
        end: () => undefined,
      });
      let over = false;
      const s = hal.net.connect({ host: u.host, port: u.port, tls: u.tls, ca: [f.sim.caPem] }, {
        onOpen: () => s.write(new Uint8Array(Buffer.from(buildRequest(hostHeader(u), u.path, offset), "latin1"))),
        onData: (bytes) => {
          if (over) return;
          const r = parser.push(bytes);
          if (r === OK || r < 0) {
            over = true;
            s.close();
            d.agent.downloadEnded(r === OK, r, now(), parser.statusCode());
          }
          schedule();
        },
        onClose: (error) => {
          if (socket === s) socket = undefined;
          if (over) return;
          over = true;
          const r = error === 0 ? parser.finish() : error;
          d.agent.downloadEnded(r === OK, r, now(), parser.statusCode());
          schedule();
        },
      });
      socket = s;
    },
    stopDownload() {
      if (socket) socket.close();
      socket = undefined;
    },
    writeChunk: (name, bytes, offset, size) => hal.store.writeChunk(name, bytes, offset, size),
    saveProgress(p) {
      if (p) hal.store.write(PROGRESS_RECORD, encodeProgress(p));
      else hal.store.erase(PROGRESS_RECORD);
    },
    hashSlot: (name) => d.agent.verified(hex(hal.store.read(name) ?? "")),
    commitSwitch(s) {
      const ok = storeSelector(hal.store, s);
      if (ok) {
        d.rebooted = true;
        finish();
      }
      return ok;
    },
    confirm: (s) => storeSelector(hal.store, s),
    reboot() {
      d.rebooted = true;
      finish();
    },
    report(patch) {
      d.reports.push(patch.ota);
      if (patch.ota.state === "failed") finish();
    },
    log: () => undefined,
  });
  const progress = parseProgress(hal.store.read(PROGRESS_RECORD));
  d.agent.start(now(), loadSelector(hal.store), typeof progress === "number" ? undefined : progress, "0.0.0");
  return d;
}

let f: Fixture | undefined;
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "ota-sim-"));
  dirs.push(d);
  return d;
}

const sim = suite("agent over the Node HAL against the simulator");
sim.before(async () => {
  f = await fixture({ sweepIntervalMs: 20 });
  f.sim.addDevice("ota-dev", { key: KEY });
});
sim.after(async () => {
  await teardown(f);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

sim("announceUpdate -> downloaded over HTTPS into slot b, verified, switched; the stub boots it", async () => {
  const dir = tempDir();
  const d = device(f!, dir, "1.0.0");
  const data = bundle("1.2.0", 30_000);
  f!.sim.announceUpdate("ota-dev", { version: "1.2.0", bytes: data, key: OTA_KEY });
  d.agent.desired(f!.sim.twin("ota-dev").desired.ota, d.hal.clock.nowMs(), true);
  await d.done;
  assert.is(d.agent.state, OTA_APPLYING);
  assert.is(d.hal.store.read(SLOT_B_RECORD), toByteString(data));
  assert.equal(d.requests, ["/ota/ota-dev/1.2.0.js 0"]);
  assert.is(bootSelect(d.hal.store, 1), SLOT_B_RECORD);
  assert.is(loadSelector(d.hal.store)?.version, "1.2.0");
});

sim("connection cut at 10000 bytes (fileFault truncateAt) -> resumed with Range, file intact", async () => {
  const d = device(f!, tempDir(), "1.0.0");
  const data = bundle("1.3.0", 25_000);
  const { manifest } = f!.sim.announceUpdate("ota-dev", { version: "1.3.0", bytes: data, key: OTA_KEY });
  f!.sim.fileFault(new URL(manifest.url).pathname, { truncateAt: 10_000, count: 1 });
  const before = f!.sim.fileCounters();
  d.agent.desired(f!.sim.twin("ota-dev").desired.ota, d.hal.clock.nowMs(), true);
  await d.done;
  assert.is(d.agent.state, OTA_APPLYING);
  assert.is(d.hal.store.read(SLOT_B_RECORD), toByteString(data));
  assert.equal(d.requests, ["/ota/ota-dev/1.3.0.js 0", "/ota/ota-dev/1.3.0.js 10000"]);
  const after = f!.sim.fileCounters();
  assert.is(after.truncated - before.truncated, 1);
  assert.is(after.rangeRequests - before.rangeRequests, 1);
  assert.is(after.bytesSent - before.bytesSent, 25_000);
});

sim("file missing on the host (404) -> failed with the HTTP status, nothing switched", async () => {
  const d = device(f!, tempDir(), "1.0.0");
  const { manifest } = f!.sim.announceUpdate("ota-dev", { version: "1.4.0", bytes: bundle("1.4.0", 5000), key: OTA_KEY });
  f!.sim.unserveFile(new URL(manifest.url).pathname);
  d.agent.desired(f!.sim.twin("ota-dev").desired.ota, d.hal.clock.nowMs(), true);
  await d.done;
  assert.is(d.agent.state, OTA_FAILED);
  assert.equal(d.reports[d.reports.length - 1].last, { result: "failed", reason: "http error status (HTTP 404)", version: "1.4.0", code: ERR_HTTP_STATUS });
  assert.is(loadSelector(d.hal.store)?.active, "a");
});

sim.run();
