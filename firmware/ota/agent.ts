// The update agent: a sans-I/O state machine for application updates, in the style of
// policy/connection.ts. Events in, actions out, time as arguments, one deadline at a time
// (nextDeadline / tick). States: idle -> downloading -> verifying -> applying (selector
// switched, reboot); failed. Reported: { ota: { current, state, target, progress,
// last: { result, reason, version, code } } }.
//
// Rules:
// - A manifest acts only when it parsed and its authenticator verified (manifest.ts); an
//   unauthenticated one is reported as rejected and changes nothing. An authenticated one
//   replaces any update in progress (reported cancelled) and is installed when newer than
//   the running version, or older with allowDowngrade, and not a version rolled back before.
// - The file goes into the inactive slot chunk by chunk, never whole in RAM. A progress
//   record is saved every progressEveryBytes; a broken download resumes from the last byte
//   written (Range request), after a power loss from the saved record; it restarts from 0
//   when the manifest changed, the server ignored the Range, or Storage refuses the first
//   write of a resume (bytes after the record already on flash, see slots.ts resumeSplit).
//   Failures back off (retryMinMs doubling to retryMaxMs); maxAttempts without a byte of
//   progress fail the update (a later identical announcement, e.g. the twin GET after a
//   reconnect, tries again). Wrong hash, size, 4xx, redirects, write errors fail at once and
//   the same manifest is not tried again.
// - After the switch the new application boots pending: connected() within confirmWindowMs
//   confirms it; past the window the agent asks for a reboot, and the stub gives it another
//   trial boot or rolls back (slots.ts DEFAULT_MAX_TRIES).
//   Announcements that arrive while unconfirmed wait for the confirmation.
//
// Wiring (what the driver does):
//   boot         selector = slots.loadSelector(store) (after the stub's write), progress =
//                slots.parseProgress(store.read(PROGRESS_RECORD)) (a number -> undefined),
//                agent.start(now, selector, progress, BUILD_VERSION)
//   twin         full document: agent.desired(desired.ota, now, true) (undefined when absent);
//                desired patch with an `ota` member: agent.desired(patch.ota, now)
//   hub          CONNACK accepted: agent.connected(now); link lost: agent.disconnected(now)
//   network      agent.networkChanged(up, now); timers: agent.tick(now) at nextDeadline()
//   startDownload(url, offset)  http.parseUrl(url); open a socket (tls, host, port); write
//                buildRequest(hostHeader(u), u.path, offset); push each chunk into one
//                createResponseParser: headers -> agent.downloadStarted(rangeStart, total, now),
//                body -> agent.bodyChunk(view, now); push() OK -> downloadEnded(true, OK, now),
//                negative -> close, downloadEnded(false, code, now, parser.statusCode());
//                socket closed first -> r = parser.finish(), downloadEnded(r === OK, r, now, ...);
//                socket error -> downloadEnded(false, SOCKET_*, now). Classic ESP32 holds one
//                TLS socket: close the hub link for the download, reopen it after.
//   stopDownload()   close that socket; report nothing more for it.
//   writeChunk(name, bytes, offset, size)  Storage.write(name, E.toString(bytes), offset,
//                size); on refusal at offset > 0, read the region and write from resumeSplit().
//   saveProgress(p)  store.write(PROGRESS_RECORD, encodeProgress(p)), or erase when undefined.
//   hashSlot(name)   SHA-256 over the flash-backed record (crypto.SHA256(Storage.read(name))
//                or readArrayBuffer), then agent.verified(hex); no writes in between.
//   commitSwitch(s)  slots.storeSelector(store, s); when true, reboot; return the result.
//   confirm(s)       slots.storeSelector(store, s); return the result.
//   reboot()         reboot now (the stub counts the trial).  report(patch)  queue reported
//                properties (coalesce ota patches).  log(line)  the HAL log.
import { Sha256 } from "../azure/hmac-sha256";
import {
  Manifest, parseManifest, verifyManifest, compareVersions, isUpgrade, mergeManifestPatch, DEFAULT_MAX_SIZE,
} from "./manifest";
import { Selector, Progress, inactiveSlot, slotRecord, stageUpdate, confirm } from "./slots";
import {
  ERR_OTA_AUTH, ERR_OTA_DOWNGRADE, ERR_OTA_REJECTED_VERSION, ERR_OTA_HASH, ERR_OTA_SIZE_MISMATCH, ERR_OTA_WRITE, ERR_OTA_DOWNLOAD,
  ERR_OTA_STALLED, ERR_OTA_CANCELLED, ERR_OTA_ROLLED_BACK, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_HTTP_RANGE, ERR_HTTP_UNSUPPORTED,
  ERR_HTTP_TRUNCATED, OK,
} from "../status";

export const OTA_IDLE = 0;
export const OTA_DOWNLOADING = 1;
export const OTA_VERIFYING = 2;
export const OTA_APPLYING = 3;
export const OTA_FAILED = 4;
const STATE_NAMES = ["idle", "downloading", "verifying", "applying", "failed"];

/** The reported name of an OTA_* state. */
export function otaStateName(state: number): string {
  return STATE_NAMES[state] || "unknown";
}

// last.result values.
export const RESULT_SUCCESS = "success";
export const RESULT_FAILED = "failed";
export const RESULT_REJECTED = "rejected";
export const RESULT_CANCELLED = "cancelled";
export const RESULT_ROLLED_BACK = "rolledBack";

/** Reason texts for codes -700 - i (status.ts OTA section); "" for unused codes. */
const REASONS = [
  "malformed manifest", "bad version", "bad url", "size out of range", "bad sha256", "bad authenticator",
  "authenticator mismatch", "downgrade refused", "version was rolled back before", "", "sha256 mismatch", "size mismatch",
  "storage write failed", "download failed", "download stalled", "superseded", "not connected in time; rolled back",
  "corrupt selector", "corrupt progress record", "", "malformed http response", "http headers too large", "http error status",
  "redirect not followed", "range not satisfiable", "unsupported http encoding", "connection closed early", "stopped",
];

/** Short reason text of an OK / ERR_OTA_* / ERR_HTTP_* code, for `last.reason` and logs. */
export function otaReasonText(code: number): string {
  if (code === OK) return "ok";
  const i = -700 - code;
  return i >= 0 && i < REASONS.length && REASONS[i] !== "" ? REASONS[i] : "error " + code;
}

export interface OtaLast {
  result: string;
  reason: string;
  version: string;
  code: number;
}

export interface OtaReport {
  /** The running application's version. */
  current: string;
  state: string;
  /** The version being installed ("" when none). */
  target: string;
  /** Percent of the file written (0..100). */
  progress: number;
  last?: OtaLast;
}

export interface OtaActions {
  /** Open url (http.ts parseUrl / buildRequest) asking for bytes from offset, feed the
   *  response to a parser, and report downloadStarted / bodyChunk / downloadEnded. */
  startDownload(url: string, offset: number): void;
  /** Close the download connection; no further download events for it. */
  stopDownload(): void;
  /** Store a chunk of the slot record (Storage.write(name, data, offset, totalSize)).
   *  false when Storage refused it. */
  writeChunk(slotName: string, bytes: Uint8Array, offset: number, totalSize: number): boolean;
  /** Write the progress record (slots.ts encodeProgress), or erase it when undefined. */
  saveProgress(record: Progress | undefined): void;
  /** SHA-256 of the whole slot record, then verified(hex); may call back at once. */
  hashSlot(slotName: string): void;
  /** Store the selector (slots.ts storeSelector) and reboot. false when the write failed. */
  commitSwitch(selector: Selector): boolean;
  /** Store the confirmed selector (storeSelector). false when the write failed. */
  confirm(selector: Selector): boolean;
  reboot(): void;
  /** A reported-properties patch. */
  report(patch: { ota: OtaReport }): void;
  log(message: string): void;
}

export interface OtaConfig {
  /** The device's OTA key (raw bytes). */
  key: Uint8Array;
  sha256: Sha256;
  /** Largest accepted file. */
  maxSize: number;
  /** Accept http:// URLs (tests and local runs only). */
  allowHttp: boolean;
  /** A new application must reach Connected within this after its first boot. */
  confirmWindowMs: number;
  /** A download with no bytes for this long is abandoned and retried. */
  stallTimeoutMs: number;
  /** Waits between failed attempts: retryMinMs doubling up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Failed attempts in a row without a byte of progress before the update fails. */
  maxAttempts: number;
  /** Save the progress record after this many new bytes. */
  progressEveryBytes: number;
  /** Report progress in steps of this many percent. */
  reportEveryPercent: number;
}

export function defaultOtaConfig(key: Uint8Array, sha256: Sha256): OtaConfig {
  return {
    key: key,
    sha256: sha256,
    maxSize: DEFAULT_MAX_SIZE,
    allowHttp: false,
    confirmWindowMs: 5 * 60 * 1000,
    stallTimeoutMs: 60 * 1000,
    retryMinMs: 10 * 1000,
    retryMaxMs: 10 * 60 * 1000,
    maxAttempts: 6,
    progressEveryBytes: 16 * 1024,
    reportEveryPercent: 25,
  };
}

/** The earlier of two deadlines (-1 = none), compared wrap-safe. */
function earliest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return b - a < 0 ? b : a;
}

/** Content identity: the same file whatever URL it is fetched from. */
function identity(m: Manifest): string {
  return m.version + "/" + m.size + "/" + m.sha256;
}

export class OtaAgent {
  state = OTA_IDLE;
  /** The running application's version. */
  current = "";
  /** The selector as stored (after the boot stub's write). */
  selector: Selector | undefined;
  /** The manifest being installed, or the one that failed. */
  manifest: Manifest | undefined;
  /** Bytes of the file written so far. */
  offset = 0;
  last: OtaLast | undefined;
  /** Not API: what tests look at. */
  internal = {
    /** A download connection is open. */
    transferActive: false,
    /** Failed attempts in a row without progress. */
    attempts: 0,
    /** Waiting for the network before (re)starting the download. */
    waitingNetwork: false,
    pendingConfirm: false,
    hubConnected: false,
  };

  private slot = "b";
  /** The desired `ota` value as merged so far (a device that loads the agent on demand
   *  hands back what an earlier instance had, so a patch merges into the right value). */
  desiredValue: unknown = undefined;
  private deferred = false;
  /** The progress record on flash (mirrors every saveProgress). */
  private progress: Progress | undefined;
  private headersSeen = false;
  private transferStart = 0;
  private retryAt = -1;
  private stallAt = -1;
  private confirmBy = -1;
  private networkUp = true;
  private percentReported = 0;
  private failedKey = "";
  private failedTransient = false;
  private lastRefusal = "";

  constructor(
    private readonly config: OtaConfig,
    private readonly actions: OtaActions,
  ) {}

  /**
   * Boot: the selector as stored (undefined when none), the progress record (undefined when
   * none or corrupt) and the version built into the bundle (used when there is no
   * selector). A pending selector starts the confirmation window (bootedPending).
   */
  start(nowMs: number, selector: Selector | undefined, progress: Progress | undefined, builtInVersion: string): void {
    this.selector = selector;
    this.current = selector && selector.version !== "" ? selector.version : builtInVersion;
    this.slot = inactiveSlot(selector);
    if (selector && !selector.pending && selector.rejected !== "") {
      this.last = { result: RESULT_ROLLED_BACK, reason: otaReasonText(ERR_OTA_ROLLED_BACK), version: selector.rejected, code: ERR_OTA_ROLLED_BACK };
    }
    this.progress = progress;
    if (progress && (progress.slot !== this.slot || compareVersions(progress.version, this.current) === 0 ||
      (selector !== undefined && selector.rejected !== "" && compareVersions(progress.version, selector.rejected) === 0))) {
      // Installed already, rolled back, or written to what is now the active slot: useless.
      this.saveProgress(undefined);
    }
    this.state = OTA_IDLE;
    this.report();
    if (selector && selector.pending) this.bootedPending(selector, nowMs);
  }

  /** The application runs from a pending slot: confirm on Connected within the window. */
  bootedPending(selector: Selector, nowMs: number): void {
    if (!selector.pending || this.internal.pendingConfirm) return;
    this.selector = selector;
    this.internal.pendingConfirm = true;
    this.confirmBy = nowMs + this.config.confirmWindowMs;
    this.note("running " + this.current + " unconfirmed (boot " + selector.tries + "): confirming once connected");
  }

  /** The time tick() wants to be called, or -1 for none. */
  nextDeadline(): number {
    return earliest(earliest(this.confirmBy, this.internal.transferActive ? this.stallAt : -1), this.retryAt);
  }

  tick(nowMs: number): void {
    if (this.confirmBy >= 0 && nowMs - this.confirmBy >= 0) {
      this.confirmBy = -1;
      this.note("not connected within " + this.config.confirmWindowMs + " ms of the update; rebooting, and the boot stub gives it another trial or returns to the previous application");
      this.actions.reboot();
      return;
    }
    if (this.internal.transferActive && this.stallAt >= 0 && nowMs - this.stallAt >= 0) {
      this.abortTransfer();
      this.transientFailure(ERR_OTA_STALLED, 0, nowMs);
      return;
    }
    if (this.state === OTA_DOWNLOADING && !this.internal.transferActive && this.retryAt >= 0 && nowMs - this.retryAt >= 0) {
      this.beginTransfer(nowMs);
    }
  }

  /** The hub connection reached Connected. */
  connected(nowMs: number): void {
    this.internal.hubConnected = true;
    if (!this.internal.pendingConfirm || !this.selector) return;
    if (this.confirmBy < 0 || nowMs - this.confirmBy >= 0) return; // too late: the reboot is due
    const confirmed = confirm(this.selector);
    if (!this.actions.confirm(confirmed)) {
      this.note("could not store the confirmation; trying again at the next connection");
      return;
    }
    this.selector = confirmed;
    this.internal.pendingConfirm = false;
    this.confirmBy = -1;
    this.last = { result: RESULT_SUCCESS, reason: otaReasonText(OK), version: this.current, code: OK };
    this.note("update to " + this.current + " confirmed");
    this.report();
    if (this.deferred) {
      this.deferred = false;
      this.evaluate(nowMs);
    }
  }

  /** The hub connection was lost (the download has its own connection and goes on). */
  disconnected(_nowMs: number): void {
    this.internal.hubConnected = false;
  }

  /** The IP link went down or came back: no download attempts while it is down. */
  networkChanged(up: boolean, nowMs: number): void {
    this.networkUp = up;
    if (up && this.internal.waitingNetwork && this.state === OTA_DOWNLOADING) this.beginTransfer(nowMs);
  }

  /**
   * The desired `ota` value: `full` for the value in a full twin document (GET), otherwise a
   * desired patch's `ota` member, merged into the last value as the twin does. Call only
   * when the patch has an `ota` member (a full document without one: undefined, full).
   */
  desired(value: unknown, nowMs: number, full?: boolean): void {
    if (value === undefined && !full) return;
    this.desiredValue = full ? value : mergeManifestPatch(this.desiredValue, value);
    if (this.internal.pendingConfirm) {
      // Writing the inactive slot now would destroy the way back: wait for the confirmation.
      this.deferred = true;
      this.note("announcement held until this version is confirmed");
      return;
    }
    this.evaluate(nowMs);
  }

  private evaluate(nowMs: number): void {
    const v = this.desiredValue;
    if (v === undefined || v === null) {
      this.note("no update announced");
      return;
    }
    const parsed = parseManifest(v, { maxSize: this.config.maxSize, allowHttp: this.config.allowHttp });
    if (typeof parsed === "number") {
      const version = typeof (v as { version?: unknown }).version === "string" ? ((v as { version: string }).version) : "";
      this.refuse(parsed, version.length <= 32 ? version : "");
      return;
    }
    const m = parsed as Manifest;
    if (!verifyManifest(m, this.config.key, this.config.sha256)) {
      this.refuse(ERR_OTA_AUTH, m.version);
      return;
    }
    const id = identity(m);
    const busy = this.state === OTA_DOWNLOADING || this.state === OTA_VERIFYING;
    if (busy && this.manifest && identity(this.manifest) === id) {
      // The same file again (a twin GET after a reconnect, or a renewed URL): carry on.
      this.manifest.url = m.url;
      this.manifest.allowDowngrade = m.allowDowngrade;
      return;
    }
    if (this.state === OTA_APPLYING) {
      this.note("announcement of " + m.version + " ignored: switching to " + (this.manifest ? this.manifest.version : "?"));
      return;
    }
    if (this.state === OTA_FAILED && this.failedKey === id && !this.failedTransient) return;
    if (busy && this.manifest) this.cancel(m.version);
    this.lastRefusal = "";
    if (compareVersions(m.version, this.current) === 0) {
      this.note("announced version " + m.version + " is running");
      this.setIdle();
      return;
    }
    if (this.selector && this.selector.rejected !== "" && compareVersions(m.version, this.selector.rejected) === 0) {
      this.refuse(ERR_OTA_REJECTED_VERSION, m.version);
      return;
    }
    if (!isUpgrade(this.current, m)) {
      this.refuse(ERR_OTA_DOWNGRADE, m.version);
      return;
    }
    this.install(m, nowMs);
  }

  /** A manifest not acted on: reported once per distinct refusal; an update in progress
   *  is left alone unless the refused manifest was authenticated (handled by the caller). */
  private refuse(code: number, version: string): void {
    const key = code + "/" + version;
    if (key === this.lastRefusal) return;
    this.lastRefusal = key;
    this.note("announcement " + (version || "?") + " refused: " + otaReasonText(code));
    // Still announced after its rollback: the reported rollback already says why.
    if (code === ERR_OTA_REJECTED_VERSION && this.last && this.last.result === RESULT_ROLLED_BACK && this.last.version === version) return;
    this.last = { result: RESULT_REJECTED, reason: otaReasonText(code), version: version, code: code };
    this.report();
  }

  private setIdle(): void {
    this.state = OTA_IDLE;
    this.manifest = undefined;
    this.offset = 0;
    this.report();
  }

  private cancel(by: string): void {
    const old = this.manifest as Manifest;
    this.abortTransfer();
    this.retryAt = -1;
    this.internal.waitingNetwork = false;
    this.note("update to " + old.version + " cancelled by the announcement of " + by + " (at " + this.offset + " of " + old.size + " bytes)");
    this.last = { result: RESULT_CANCELLED, reason: otaReasonText(ERR_OTA_CANCELLED) + " by " + by, version: old.version, code: ERR_OTA_CANCELLED };
    this.state = OTA_IDLE;
    this.manifest = undefined;
    this.offset = 0;
  }

  private install(m: Manifest, nowMs: number): void {
    this.manifest = { version: m.version, url: m.url, size: m.size, sha256: m.sha256, auth: m.auth, allowDowngrade: m.allowDowngrade };
    this.failedKey = "";
    this.failedTransient = false;
    this.internal.attempts = 0;
    this.retryAt = -1;
    const p = this.progress;
    if (p && p.slot === this.slot && p.version === m.version && p.sha256 === m.sha256 && p.size === m.size) {
      this.offset = p.offset;
      this.note("resuming " + m.version + " at " + p.offset + " of " + m.size + " bytes");
    } else {
      this.offset = 0;
      if (p) this.saveProgress(undefined);
      this.note("installing " + m.version + " (" + m.size + " bytes) into slot " + this.slot);
    }
    this.state = OTA_DOWNLOADING;
    this.percentReported = this.percent();
    this.report();
    if (this.offset >= m.size) this.verify();
    else this.beginTransfer(nowMs);
  }

  private beginTransfer(nowMs: number): void {
    const m = this.manifest as Manifest;
    this.retryAt = -1;
    if (!this.networkUp) {
      this.internal.waitingNetwork = true;
      return;
    }
    this.internal.waitingNetwork = false;
    this.internal.transferActive = true;
    this.headersSeen = false;
    this.transferStart = this.offset;
    this.stallAt = nowMs + this.config.stallTimeoutMs;
    this.actions.startDownload(m.url, this.offset);
  }

  private abortTransfer(): void {
    this.stallAt = -1;
    if (!this.internal.transferActive) return;
    this.internal.transferActive = false;
    this.actions.stopDownload();
  }

  /** The response headers of a 200 / 206 (http.ts ResponseEvents.headers): where the body
   *  starts in the file and the file's size (-1 when the server did not say). */
  downloadStarted(rangeStart: number, totalSize: number, nowMs: number): void {
    if (!this.internal.transferActive || this.headersSeen) return;
    const m = this.manifest as Manifest;
    if (totalSize >= 0 && totalSize !== m.size) {
      this.abortTransfer();
      this.failPermanent(ERR_OTA_SIZE_MISMATCH, "the server's file has " + totalSize + " bytes, the manifest says " + m.size);
      return;
    }
    if (rangeStart !== this.offset) {
      if (rangeStart !== 0) {
        this.abortTransfer();
        this.transientFailure(ERR_HTTP_RANGE, 0, nowMs);
        return;
      }
      this.note("the server sent the whole file: starting again from 0");
      this.offset = 0;
      this.transferStart = 0;
    }
    this.headersSeen = true;
    this.stallAt = nowMs + this.config.stallTimeoutMs;
  }

  /** Body bytes, in order (http.ts ResponseEvents.body). */
  bodyChunk(bytes: Uint8Array, nowMs: number): void {
    if (!this.internal.transferActive || !this.headersSeen || bytes.length === 0) return;
    const m = this.manifest as Manifest;
    if (this.offset + bytes.length > m.size) {
      this.abortTransfer();
      this.failPermanent(ERR_OTA_SIZE_MISMATCH, "the server sent more than " + m.size + " bytes");
      return;
    }
    // Writing at 0 creates the record afresh: a progress record for older bytes must go first.
    if (this.offset === 0 && this.progress) this.saveProgress(undefined);
    if (!this.actions.writeChunk(slotRecord(this.slot), bytes, this.offset, m.size)) {
      if (this.offset > 0 && this.offset === this.transferStart) {
        // Storage will not write over flash written before the last progress record.
        this.note("Storage refused to resume at " + this.offset + ": starting again from 0");
        this.abortTransfer();
        this.offset = 0;
        this.beginTransfer(nowMs);
        return;
      }
      this.abortTransfer();
      this.failPermanent(ERR_OTA_WRITE, "at " + this.offset);
      return;
    }
    this.offset += bytes.length;
    this.internal.attempts = 0;
    this.stallAt = nowMs + this.config.stallTimeoutMs;
    const saved = this.progress ? this.progress.offset : 0;
    if (this.offset < m.size && this.offset - saved >= this.config.progressEveryBytes) this.saveProgress(this.record());
    const pct = this.percent();
    if (pct < 100 && pct - this.percentReported >= this.config.reportEveryPercent) {
      this.percentReported = pct;
      this.report();
    }
  }

  /** The download connection ended: ok when the response was complete (parser OK), else
   *  the code (ERR_HTTP_* or SOCKET_*) and, for ERR_HTTP_STATUS, the HTTP status. */
  downloadEnded(ok: boolean, code: number, nowMs: number, httpStatus?: number): void {
    if (!this.internal.transferActive) return;
    this.internal.transferActive = false;
    this.stallAt = -1;
    const m = this.manifest as Manifest;
    if (this.offset === m.size) {
      this.verify();
      return;
    }
    if (ok) code = ERR_HTTP_TRUNCATED;
    const status = httpStatus === undefined ? 0 : httpStatus;
    if (code === ERR_HTTP_REDIRECT || code === ERR_HTTP_UNSUPPORTED ||
      (code === ERR_HTTP_STATUS && status >= 400 && status < 500 && status !== 408 && status !== 429)) {
      this.failPermanent(code, code === ERR_HTTP_STATUS ? "HTTP " + status : "");
      return;
    }
    if (code === ERR_HTTP_RANGE) this.offset = 0; // the server cannot serve our range: from the start
    this.transientFailure(code, code === ERR_HTTP_STATUS ? status : 0, nowMs);
  }

  /** The slot's SHA-256 (lower- or upper-case hex), after hashSlot. */
  verified(digestHex: string): void {
    if (this.state !== OTA_VERIFYING) return;
    const m = this.manifest as Manifest;
    if (digestHex.toLowerCase() !== m.sha256) {
      this.failPermanent(ERR_OTA_HASH, "");
      return;
    }
    this.state = OTA_APPLYING;
    const next = stageUpdate(this.selector, m.version, this.current);
    this.note("slot " + this.slot + " holds " + m.version + ", verified: switching and rebooting");
    this.report();
    if (!this.actions.commitSwitch(next)) {
      this.failPermanent(ERR_OTA_WRITE, "the boot selector");
      return;
    }
    this.selector = next;
  }

  private verify(): void {
    const m = this.manifest as Manifest;
    if (!this.progress || this.progress.offset !== m.size) this.saveProgress(this.record());
    this.state = OTA_VERIFYING;
    this.report();
    this.actions.hashSlot(slotRecord(this.slot));
  }

  private transientFailure(code: number, httpStatus: number, nowMs: number): void {
    const m = this.manifest as Manifest;
    if (this.offset > 0 && (!this.progress || this.progress.offset !== this.offset)) this.saveProgress(this.record());
    this.internal.attempts++;
    const cause = httpStatus > 0 ? "HTTP " + httpStatus : otaReasonText(code);
    if (this.internal.attempts >= this.config.maxAttempts) {
      this.failedTransient = true;
      this.failWith(ERR_OTA_DOWNLOAD, otaReasonText(ERR_OTA_DOWNLOAD) + ": " + cause, m);
      return;
    }
    let wait = this.config.retryMinMs;
    for (let i = 1; i < this.internal.attempts && wait < this.config.retryMaxMs; i++) wait = wait * 2;
    if (wait > this.config.retryMaxMs) wait = this.config.retryMaxMs;
    this.retryAt = nowMs + wait;
    this.note("download of " + m.version + " interrupted at " + this.offset + " (" + cause + "): retry " + this.internal.attempts + " in " + wait + " ms");
  }

  private failPermanent(code: number, detail: string): void {
    const m = this.manifest as Manifest;
    this.failedTransient = false;
    if (this.progress) this.saveProgress(undefined);
    this.failWith(code, otaReasonText(code) + (detail ? " (" + detail + ")" : ""), m);
  }

  private failWith(code: number, reason: string, m: Manifest): void {
    this.state = OTA_FAILED;
    this.failedKey = identity(m);
    this.retryAt = -1;
    this.internal.waitingNetwork = false;
    this.last = { result: RESULT_FAILED, reason: reason, version: m.version, code: code };
    this.note("update to " + m.version + " failed: " + reason);
    this.report();
  }

  private record(): Progress {
    const m = this.manifest as Manifest;
    return { slot: this.slot, version: m.version, sha256: m.sha256, size: m.size, offset: this.offset };
  }

  private saveProgress(p: Progress | undefined): void {
    this.progress = p;
    this.actions.saveProgress(p);
  }

  private percent(): number {
    const m = this.manifest;
    return m ? Math.floor((this.offset * 100) / m.size) : 0;
  }

  /** The reported `ota` value now. */
  reportValue(): OtaReport {
    const r: OtaReport = {
      current: this.current,
      state: otaStateName(this.state),
      target: this.manifest && this.state !== OTA_IDLE ? this.manifest.version : "",
      progress: this.state === OTA_IDLE ? 0 : this.percent(),
    };
    if (this.last) r.last = { result: this.last.result, reason: this.last.reason, version: this.last.version, code: this.last.code };
    return r;
  }

  private report(): void {
    this.actions.report({ ota: this.reportValue() });
  }

  private note(message: string): void {
    this.actions.log("ota: " + message);
  }
}
