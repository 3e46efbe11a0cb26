// The policy's DPS side: register, poll within the budget, take the assignment, and go back
// to DPS after repeated hub failures (deferred, so a hub that answers first costs no DPS
// round) or when asked to. dpsResponse, dpsFailed and requestReprovision are the policy's
// methods (connection.ts installs them on its prototype: one function object each); the rest
// are functions of its state.
import { classify, dpsCode, KIND_DPS_RESPONSE, KIND_DPS_TIMEOUT, ACTION_NONE, ACTION_POLL, AWAIT_RESPONSE, DPS_FAILED } from "./classify";
import { backoffReset } from "./backoff";
import { fallbackDelay } from "./fleet";
import { STATUS_DISCONNECTED, STATE_IDLE, STATE_STOPPED, STATE_WAIT_RETRY, STATE_DPS_ACTIVE, STATE_DPS_WAIT_POLL, NOTE_LEVEL } from "./connection-api";
import { verdict, TARGET_HUB, TARGET_DPS, retryLater, attemptOrWait, waitUntil, closeAll, report } from "./attempts";
import type { ConnectionPolicy } from "./connection";
import { REASON_NONE, REASON_REPROVISIONING } from "../status";

/** The least time between two DPS polls, and the budget: 5 polls per 10 s. */
const POLL_WINDOW_MS = 10000;
export const POLL_BUDGET = 5;

/** A DPS reply to register or poll. `allowed` is false when the assigned hub failed the
 *  allow-list (a configuration error on the service side: slow retry). */
export function dpsResponse(this: ConnectionPolicy, now: number, status: number, operationStatus: number, retryAfterSeconds: number, operationId: string, hub: string, deviceId: string, allowed: boolean): void {
  if (this.state !== STATE_DPS_ACTIVE) return;
  const action = classify(KIND_DPS_RESPONSE, dpsCode(status, operationStatus), retryAfterSeconds, verdict);
  if (action === ACTION_NONE) {
    if (!allowed) {
      if (!this.config.quiet) this.actions.note(NOTE_LEVEL, "DPS assigned hub " + hub + ", which is not on the allow-list");
      this.dpsFailed(now, KIND_DPS_RESPONSE, DPS_FAILED, 0);
      return;
    }
    assigned(this, now, hub, deviceId);
    return;
  }
  if (action === ACTION_POLL) {
    // A poll reply may come without an operation id: keep the one we have.
    if (operationId !== "") this.operationId = operationId;
    if (this.operationId === "") {
      this.dpsFailed(now, KIND_DPS_TIMEOUT, AWAIT_RESPONSE, 0);
      return;
    }
    // Never more than 5 polls in 10 s, whatever retry-after says.
    let at = now + verdict.waitMs;
    const oldest = this.pollTimes[this.pollIndex];
    if (oldest >= 0 && at - (oldest + POLL_WINDOW_MS) < 0) at = oldest + POLL_WINDOW_MS;
    this.state = STATE_DPS_WAIT_POLL;
    this.deadline = at;
    return;
  }
  this.dpsFailed(now, KIND_DPS_RESPONSE, dpsCode(status, operationStatus), retryAfterSeconds);
}

/** The DPS connection failed (socket, CONNACK, timeout) or DPS refused. */
export function dpsFailed(this: ConnectionPolicy, now: number, kind: number, code: number, retryAfterSeconds: number): void {
  if (this.state !== STATE_DPS_ACTIVE && this.state !== STATE_DPS_WAIT_POLL) return;
  this.actions.close(TARGET_DPS, true);
  this.dpsDeadline = -1;
  classify(kind, code, retryAfterSeconds, verdict);
  retryLater(this, now, TARGET_DPS);
}

function assigned(p: ConnectionPolicy, now: number, hub: string, deviceId: string): void {
  const same = p.assignment !== undefined && p.assignment.hub === hub && p.assignment.deviceId === deviceId;
  if (p.fallingBack && same) p.sameHubRounds++;
  else if (!same) p.sameHubRounds = 0;
  p.fallingBack = false;
  p.fallbackAt = -1;
  p.actions.saveAssignment(hub, deviceId);
  p.actions.close(TARGET_DPS, true);
  p.dpsDeadline = -1;
  p.assignment = { hub: hub, deviceId: deviceId };
  if (!p.config.quiet) p.actions.note(NOTE_LEVEL, "DPS assigned " + deviceId + " to " + hub + (same ? " (unchanged)" : ""));
  // A new hub round: the streak and the backoff start over.
  p.hubFailures = 0;
  p.streakStart = -1;
  p.suspectCount = 0;
  p.spreadNext = false;
  p.target = TARGET_HUB;
  backoffReset(p);
  attemptOrWait(p, now);
}

/** A Reprovision direct method or desired flag: forget the hub and run DPS now. */
export function requestReprovision(this: ConnectionPolicy, now: number): void {
  if (!this.config.useDps || this.state === STATE_STOPPED || this.state === STATE_IDLE) return;
  closeAll(this, true);
  this.actions.forgetAssignment();
  this.assignment = undefined;
  this.fallingBack = false;
  this.fallbackAt = -1;
  this.sameHubRounds = 0;
  this.target = TARGET_DPS;
  this.nextReason = REASON_REPROVISIONING;
  attemptOrWait(this, now);
}

/**
 * 10 failures and 15 minutes on the hub: DPS is due at a random time within the fleet's
 * spread, and until then the hub is still retried, so a hub that comes back first costs no
 * DPS round (the fleet simulator: 0.01 instead of 1 registration per device after a long
 * outage, and the fleet back at the hub's rate instead of DPS's).
 */
export function deferFallback(p: ConnectionPolicy, now: number, streakMs: number): void {
  const wait = fallbackDelay(p.config.fleet, p.sameHubRounds, p.random32());
  if (!p.config.quiet) {
    p.actions.note(NOTE_LEVEL, "DPS due in " + wait + " ms unless the hub answers first: " + p.hubFailures + " failures in " + Math.floor(streakMs / 1000) + " s on " + (p.assignment ? p.assignment.hub : "?"));
  }
  p.fallingBack = true;
  p.hubFailures = 0;
  p.streakStart = -1;
  p.fallbackAt = now + wait;
  retryHubUntilFallback(p, now);
}

/** The next hub retry, or the DPS round if that comes due first. */
export function retryHubUntilFallback(p: ConnectionPolicy, now: number): void {
  retryLater(p, now, TARGET_HUB);
  if (p.state === STATE_WAIT_RETRY && p.deadline - p.fallbackAt >= 0) {
    p.target = TARGET_DPS;
    p.deadline = p.fallbackAt;
  }
}

/** Back to DPS after a spread wait: the hub no longer takes this identity. */
export function fallBackToDps(p: ConnectionPolicy, now: number, why: string, reason: number): void {
  // Spread the fleet's return to DPS like its first boot, doubled for each DPS round that
  // gave back the same hub.
  const wait = fallbackDelay(p.config.fleet, p.sameHubRounds, p.random32());
  if (!p.config.quiet) p.actions.note(NOTE_LEVEL, "back to DPS in " + wait + " ms: " + why);
  p.fallingBack = true;
  p.fallbackAt = -1;
  p.hubFailures = 0;
  p.streakStart = -1;
  p.target = TARGET_DPS;
  p.nextReason = reason === REASON_REPROVISIONING ? REASON_REPROVISIONING : REASON_NONE;
  report(p, STATUS_DISCONNECTED, reason);
  waitUntil(p, now + wait);
}
