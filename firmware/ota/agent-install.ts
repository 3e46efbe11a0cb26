// Installing an authenticated manifest (the rules are in agent.ts): the download into the
// inactive slot, resumed from the progress record or the last byte written, then the hash
// check and the switch; failures, retried with backoff or final. These are OtaAgent's
// methods (declared in agent-state.ts), put on its prototype here so that the class fits in
// two files: the same functions as in the class body, and outside the class's wrapper
// function each carries one scope less (about 3 JsVars fewer on Espruino).
import { OtaAgent, identity } from "./agent-state";
import { OTA_DOWNLOADING, OTA_VERIFYING, OTA_APPLYING, OTA_FAILED, RESULT_FAILED, otaReasonText } from "./agent-report";
import { Manifest } from "./manifest";
import { Progress, slotRecord, stageUpdate } from "./slots";
import {
  ERR_OTA_HASH, ERR_OTA_SIZE_MISMATCH, ERR_OTA_WRITE, ERR_OTA_DOWNLOAD, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_HTTP_RANGE,
  ERR_HTTP_UNSUPPORTED, ERR_HTTP_TRUNCATED,
} from "../status";

OtaAgent.prototype.install = function (m: Manifest, nowMs: number): void {
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
};

OtaAgent.prototype.beginTransfer = function (nowMs: number): void {
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
};

OtaAgent.prototype.abortTransfer = function (): void {
  this.stallAt = -1;
  if (!this.internal.transferActive) return;
  this.internal.transferActive = false;
  this.actions.stopDownload();
};

OtaAgent.prototype.downloadStarted = function (rangeStart: number, totalSize: number, nowMs: number): void {
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
};

OtaAgent.prototype.bodyChunk = function (bytes: Uint8Array, nowMs: number): void {
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
};

OtaAgent.prototype.downloadEnded = function (ok: boolean, code: number, nowMs: number, httpStatus?: number): void {
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
};

OtaAgent.prototype.verified = function (digestHex: string): void {
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
};

OtaAgent.prototype.verify = function (): void {
  const m = this.manifest as Manifest;
  if (!this.progress || this.progress.offset !== m.size) this.saveProgress(this.record());
  this.state = OTA_VERIFYING;
  this.report();
  this.actions.hashSlot(slotRecord(this.slot));
};

OtaAgent.prototype.transientFailure = function (code: number, httpStatus: number, nowMs: number): void {
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
};

OtaAgent.prototype.failPermanent = function (code: number, detail: string): void {
  const m = this.manifest as Manifest;
  this.failedTransient = false;
  if (this.progress) this.saveProgress(undefined);
  this.failWith(code, otaReasonText(code) + (detail ? " (" + detail + ")" : ""), m);
};

OtaAgent.prototype.failWith = function (code: number, reason: string, m: Manifest): void {
  this.state = OTA_FAILED;
  this.failedKey = identity(m);
  this.retryAt = -1;
  this.internal.waitingNetwork = false;
  this.last = { result: RESULT_FAILED, reason: reason, version: m.version, code: code };
  this.note("update to " + m.version + " failed: " + reason);
  this.report();
};

OtaAgent.prototype.record = function (): Progress {
  const m = this.manifest as Manifest;
  return { slot: this.slot, version: m.version, sha256: m.sha256, size: m.size, offset: this.offset };
};
