// Application updates, loaded on demand: evaluated from Storage when an update needs the
// agent (an announcement to judge, a download to resume, an update on trial to confirm) and
// dropped once it is idle again. The download takes the device's one link: the hub gives it
// up (policy hold, reason Updating) and returns afterwards.
import { LOG_INFO, SocketOptions } from "../../hal/types";
import { OtaAgent, OtaActions, defaultOtaConfig, OTA_IDLE, OTA_FAILED } from "../ota/agent";
import { createDownload, Download } from "../ota/download";
import { loadSelector, storeSelector, parseProgress, encodeProgress, resumeSplit, PROGRESS_RECORD } from "../ota/slots";
import { STATE_HUB_CONNECTED } from "../policy/connection";
import { Core, Updates, LINK_DOWNLOAD } from "./core";
import { twinDrained } from "./twin";
import { certificates } from "./link";

/** Before a download closes the hub link, its "downloading" report may take this long. */
const REPORT_FLUSH_MS = 10000;
/** After an update is switched in: the time telemetry and reports get to drain before the reboot. */
const DRAIN_MS = 30000;

const HEX = "0123456789abcdef";

function hexOf(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  return s;
}

/** seed: the desired `ota` value an earlier instance had merged (undefined for none). */
export default function createUpdates(core: Core, seed: unknown): Updates {
  const hal = core.hal;
  const config = core.config;
  const log = core.log;
  let wanted: { url: string; offset: number } | undefined;
  let download: Download | undefined;
  let holding = false;
  let flushUntil = -1;
  let rebootAt = -1;

  const actions: OtaActions = {
    startDownload: function (url: string, offset: number) {
      wanted = { url: url, offset: offset };
    },
    stopDownload: function () {
      wanted = undefined;
      closeDownload();
    },
    writeChunk: function (name: string, bytes: Uint8Array, offset: number, totalSize: number) {
      if (hal.store.writeChunk(name, bytes, offset, totalSize)) return true;
      if (offset === 0) return false;
      // Resuming after a power loss: bytes past the last progress record may be on flash
      // already, and flash is not written twice. Skip what is there, write the rest.
      const stored = hal.store.read(name);
      if (stored === undefined || stored.length !== totalSize) return false;
      const k = resumeSplit(stored.substr(offset, bytes.length), bytes);
      if (k < 0) return false;
      return k === bytes.length || hal.store.writeChunk(name, bytes.subarray(k, bytes.length), offset + k, totalSize);
    },
    saveProgress: function (record) {
      if (record) hal.store.write(PROGRESS_RECORD, encodeProgress(record));
      else hal.store.erase(PROGRESS_RECORD);
    },
    hashSlot: function (name: string) {
      const digest = hal.store.digest(name);
      agent.verified(digest ? hexOf(digest) : "");
    },
    commitSwitch: function (selector) {
      if (!storeSelector(hal.store, selector)) return false;
      // The new application boots at the reboot; until then queued telemetry and reports
      // get a short while to reach the hub, so the switch loses nothing that was sent.
      rebootAt = core.now() + DRAIN_MS;
      return true;
    },
    confirm: function (selector) {
      return storeSelector(hal.store, selector);
    },
    reboot: function () {
      rebootAt = core.now();
    },
    report: function (patch) {
      core.twin.otaReport = JSON.stringify(patch);
    },
    log: function (message: string) {
      log(LOG_INFO, message);
    },
  };

  const otaConfig = defaultOtaConfig(core.lib.base64DecodeLenient(config.otaKey) as Uint8Array, hal.sha256);
  otaConfig.confirmWindowMs = config.otaConfirmWindowMs;
  otaConfig.maxSize = config.otaMaxBytes;
  const agent = new OtaAgent(otaConfig, actions);

  function openDownload(): void {
    const w = wanted;
    if (!w || download) return;
    wanted = undefined;
    const transfer = createDownload(agent, w.url, w.offset, core.now);
    if (typeof transfer === "number") {
      agent.downloadEnded(false, transfer, core.now());
      return;
    }
    const u = transfer.url;
    const options: SocketOptions = { host: u.host, port: u.port, tls: u.tls };
    if (u.tls && core.config.ca.length > 0) options.ca = certificates(core.config.ca);
    log(LOG_INFO, "ota: downloading from " + u.host + " at byte " + w.offset);
    download = transfer;
    core.link.connect(LINK_DOWNLOAD, options, undefined, {
      opened: function () {
        core.link.write(transfer.request());
      },
      data: function (bytes: Uint8Array) {
        if (transfer.data(bytes, core.now())) closeDownload();
        core.settle();
      },
      closed: function (error: number, detail: string) {
        if (download !== transfer) return;
        download = undefined;
        log(LOG_INFO, "ota: download connection closed (" + error + (detail ? " " + detail : "") + ")");
        transfer.closed(error, core.now());
        core.settle();
      },
    });
  }

  function closeDownload(): void {
    const d = download;
    if (!d) return;
    download = undefined;
    d.cancel();
    if (core.link.kind === LINK_DOWNLOAD) core.link.close(false);
  }

  function drained(): boolean {
    return core.telemetry.outbox.size === 0 && twinDrained(core.twin);
  }

  const updates: Updates = {
    desired: function (value: unknown, full: boolean): void {
      agent.desired(value, core.now(), full);
    },
    value: function (): unknown {
      return agent.desiredValue;
    },
    connected: function (): void {
      agent.connected(core.now());
    },
    disconnected: function (): void {
      agent.disconnected(core.now());
    },
    networkChanged: function (up: boolean): void {
      agent.networkChanged(up, core.now());
    },
    tick: function (): void {
      agent.tick(core.now());
    },
    nextDeadline: function (): number {
      let at = agent.nextDeadline();
      if (flushUntil >= 0 && (at < 0 || flushUntil - at < 0)) at = flushUntil;
      if (rebootAt >= 0 && (at < 0 || rebootAt - at < 0)) at = rebootAt;
      return at;
    },

    /** After every event: start or end the download's hold on the link, and reboot when a
     *  switch or a failed trial asks for it. */
    step: function (): void {
      const t = core.now();
      const policy = core.policy;
      if (rebootAt >= 0 && (t - rebootAt >= 0 || drained())) {
        rebootAt = -1;
        log(LOG_INFO, "ota: rebooting");
        core.stopAll();
        hal.system.reboot();
        return;
      }
      if (wanted && !download) {
        // One TLS socket: the hub link closes for the download. Its "downloading" report goes
        // out first when the hub is there (bounded wait), so the cloud sees the update start.
        if (!holding && policy.state === STATE_HUB_CONNECTED && !twinDrained(core.twin)) {
          if (flushUntil < 0) flushUntil = t + REPORT_FLUSH_MS;
          if (t - flushUntil < 0) return;
        }
        flushUntil = -1;
        if (!holding) {
          holding = true;
          policy.hold(t, true);
        }
        openDownload();
        return;
      }
      if (holding && !wanted && !download) {
        holding = false;
        policy.hold(t, false);
      }
    },

    idle: function (): boolean {
      return (agent.state === OTA_IDLE || agent.state === OTA_FAILED) && !agent.internal.pendingConfirm && !wanted && !download &&
        !holding && rebootAt < 0 && flushUntil < 0 && agent.nextDeadline() < 0;
    },

    stop: function (): void {
      wanted = undefined;
      closeDownload();
    },
  };

  const progress = parseProgress(hal.store.read(PROGRESS_RECORD));
  agent.desiredValue = seed;
  agent.start(core.now(), loadSelector(hal.store), typeof progress === "number" ? undefined : progress, core.appVersion);
  agent.networkChanged(hal.network.isUp(), core.now());
  return updates;
}
