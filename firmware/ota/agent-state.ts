// The update agent's state and the events that change it: boot, the confirmation window,
// timers, the network, announcements judged and refused, and the reported value. The rules
// and the wiring are in agent.ts; installing a manifest is in agent-install.ts.
import { Manifest, parseManifest, verifyManifest, compareVersions, isUpgrade, mergeManifestPatch } from "./manifest";
import { Selector, Progress, inactiveSlot, confirm } from "./slots";
import {
  ERR_OTA_AUTH, ERR_OTA_DOWNGRADE, ERR_OTA_REJECTED_VERSION, ERR_OTA_STALLED, ERR_OTA_CANCELLED, ERR_OTA_ROLLED_BACK, OK,
} from "../status";
import {
  OTA_IDLE, OTA_DOWNLOADING, OTA_VERIFYING, OTA_APPLYING, OTA_FAILED, RESULT_SUCCESS, RESULT_REJECTED, RESULT_CANCELLED,
  RESULT_ROLLED_BACK, otaStateName, otaReasonText, OtaLast, OtaReport,
} from "./agent-report";
import { OtaActions } from "./agent-actions";
import { OtaConfig } from "./agent-config";

/** The earlier of two deadlines (-1 = none), compared wrap-safe. */
function earliest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return b - a < 0 ? b : a;
}

/** Content identity: the same file whatever URL it is fetched from. */
export function identity(m: Manifest): string {
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

  // Not API either; the installation steps (agent-install.ts) use them too.
  slot = "b";
  /** The desired `ota` value as merged so far (a device that loads the agent on demand
   *  hands back what an earlier instance had, so a patch merges into the right value). */
  desiredValue: unknown = undefined;
  private deferred = false;
  /** The progress record on flash (mirrors every saveProgress). */
  progress: Progress | undefined;
  headersSeen = false;
  transferStart = 0;
  retryAt = -1;
  stallAt = -1;
  private confirmBy = -1;
  networkUp = true;
  percentReported = 0;
  failedKey = "";
  failedTransient = false;
  private lastRefusal = "";

  constructor(
    readonly config: OtaConfig,
    readonly actions: OtaActions,
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

  saveProgress(p: Progress | undefined): void {
    this.progress = p;
    this.actions.saveProgress(p);
  }

  percent(): number {
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

  report(): void {
    this.actions.report({ ota: this.reportValue() });
  }

  note(message: string): void {
    this.actions.log("ota: " + message);
  }
}

// Installing (defined in agent-install.ts, on the prototype).
export interface OtaAgent {
  /** The response headers of a 200 / 206 (http-response.ts ResponseEvents.headers): where
   *  the body starts in the file and the file's size (-1 when the server did not say). */
  downloadStarted(rangeStart: number, totalSize: number, nowMs: number): void;
  /** Body bytes, in order (http-response.ts ResponseEvents.body). */
  bodyChunk(bytes: Uint8Array, nowMs: number): void;
  /** The download connection ended: ok when the response was complete (parser OK), else
   *  the code (ERR_HTTP_* or SOCKET_*) and, for ERR_HTTP_STATUS, the HTTP status. */
  downloadEnded(ok: boolean, code: number, nowMs: number, httpStatus?: number): void;
  /** The slot's SHA-256 (lower- or upper-case hex), after hashSlot. */
  verified(digestHex: string): void;
  /** @internal */
  install(m: Manifest, nowMs: number): void;
  /** @internal */
  beginTransfer(nowMs: number): void;
  /** @internal */
  abortTransfer(): void;
  /** @internal */
  verify(): void;
  /** @internal */
  transientFailure(code: number, httpStatus: number, nowMs: number): void;
  /** @internal */
  failPermanent(code: number, detail: string): void;
  /** @internal */
  failWith(code: number, reason: string, m: Manifest): void;
  /** @internal The progress record for the bytes written so far. */
  record(): Progress;
}
