// The policy's hub side: a CONNACK, a failed or ended connection (the streak, suspect
// credentials, when to go back to DPS), and the token renewal. hubConnected and hubFailed are
// the policy's methods (connection.ts installs them on its prototype: one function object
// each); the rest are functions of its state.
import { classify, ACTION_RETRY, ACTION_REPROVISION, ACTION_CONFIG_ERROR, FLAG_SUSPECT_CREDENTIALS } from "./classify";
import { backoffReset } from "./backoff";
import { renewalDelay } from "./fleet";
import { STATUS_CONNECTED, STATE_HUB_CONNECTING, STATE_HUB_CONNECTED, NOTE_LEVEL } from "./connection-api";
import { verdict, TARGET_HUB, retryLater, attemptOrWait, report } from "./attempts";
import { deferFallback, retryHubUntilFallback, fallBackToDps } from "./provisioning";
import type { ConnectionPolicy } from "./connection";
import { REASON_NONE, REASON_EXPIRED_SAS_TOKEN, REASON_BAD_CREDENTIAL, REASON_REPROVISIONING } from "../status";

/** CONNACK 0. */
export function hubConnected(this: ConnectionPolicy, now: number): void {
  if (this.state !== STATE_HUB_CONNECTING) return;
  this.state = STATE_HUB_CONNECTED;
  this.connectedAt = now;
  this.disconnectedSince = -1;
  this.expiredReported = false;
  this.suspectCount = 0;
  this.sameHubRounds = 0;
  // The hub answered before a deferred DPS round came due: that round is cancelled.
  this.fallingBack = false;
  this.fallbackAt = -1;
  this.spreadNext = false;
  // A random renewal point: a fleet that connected together does not renew together.
  this.deadline = this.config.renewAfterMs > 0 ? now + renewalDelay(this.config.fleet, this.config.renewAfterMs, this.random32()) : -1;
  report(this, STATUS_CONNECTED, REASON_NONE);
}

/**
 * The hub connection failed or ended: kind is KIND_HUB_SOCKET (code SOCKET_*),
 * KIND_HUB_TIMEOUT (code AWAIT_*) or KIND_HUB_CONNACK (the return code).
 */
export function hubFailed(this: ConnectionPolicy, now: number, kind: number, code: number): void {
  if (this.state !== STATE_HUB_CONNECTING && this.state !== STATE_HUB_CONNECTED) return;
  const config = this.config;
  const wasConnected = this.state === STATE_HUB_CONNECTED;
  this.actions.close(TARGET_HUB, false);
  // A connection that held long enough ends the streak: this failure starts a new one.
  if (wasConnected && now - this.connectedAt >= config.stableMs) endStreak(this);
  // Whoever was connected may have lost the hub with the whole fleet: the spread draw.
  if (wasConnected) this.spreadNext = true;
  if (this.disconnectedSince < 0) this.disconnectedSince = now;
  const action = classify(kind, code, 0, verdict);
  if (action === ACTION_RETRY && (verdict.flags & FLAG_SUSPECT_CREDENTIALS) !== 0) {
    // Every attempt signs a fresh token after the clock was synced, so a second CONNACK 5
    // in a row means the hub no longer knows this identity.
    this.suspectCount++;
    if (this.suspectCount >= 2) {
      this.suspectCount = 0;
      if (config.useDps) {
        fallBackToDps(this, now, "the hub refused a fresh token twice (CONNACK 5)", REASON_REPROVISIONING);
      } else {
        // Hub-only: nothing to re-register with; the key or the device is wrong.
        verdict.action = ACTION_CONFIG_ERROR;
        verdict.reason = REASON_BAD_CREDENTIAL;
        retryLater(this, now, TARGET_HUB);
      }
      return;
    }
  } else {
    this.suspectCount = 0;
  }
  if (action === ACTION_REPROVISION && config.useDps) {
    fallBackToDps(this, now, "the hub no longer accepts this device", REASON_REPROVISIONING);
    return;
  }
  this.hubFailures++;
  if (this.streakStart < 0) this.streakStart = now;
  if (this.fallbackAt >= 0) {
    retryHubUntilFallback(this, now);
    return;
  }
  if (config.useDps && this.hubFailures >= config.hubFailuresBeforeDps && now - this.streakStart >= config.hubMinMsBeforeDps) {
    deferFallback(this, now, now - this.streakStart);
    return;
  }
  retryLater(this, now, TARGET_HUB);
}

/** The token is due: MQTT 3.1.1 cannot re-authenticate a live session, so clean DISCONNECT,
 *  new token, CONNECT. */
export function renewToken(p: ConnectionPolicy, now: number): void {
  if (!p.config.quiet) p.actions.note(NOTE_LEVEL, "token at 80 % of its lifetime or later (fleet spread): reconnecting with a new one");
  // The connection held: an old failure streak must not count against the renewal.
  if (now - p.connectedAt >= p.config.stableMs) endStreak(p);
  p.actions.close(TARGET_HUB, true);
  p.target = TARGET_HUB;
  p.nextReason = REASON_EXPIRED_SAS_TOKEN;
  attemptOrWait(p, now);
}

function endStreak(p: ConnectionPolicy): void {
  p.hubFailures = 0;
  p.streakStart = -1;
  p.spreadNext = true;
  backoffReset(p);
}
