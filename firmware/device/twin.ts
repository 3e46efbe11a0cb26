// The device twin: the full document read after every connect (desired changes are pushed
// only to a connected device), desired patches applied in version order, reported patches
// queued and retried on 429 / 5xx. The update agent's report is kept apart: a newer one
// replaces the one not yet sent.
import { LOG_ERROR, LOG_WARN, LOG_INFO } from "../../hal/types";
import { twinGetTopic, twinReportedTopic } from "../azure/hub-topics";
import { utf8Bytes } from "../azure/bytes";
import { jsonForService } from "../text";
import { classify, KIND_TWIN_RESPONSE, ACTION_NONE, ACTION_GIVE_UP, ACTION_REPROVISION } from "../policy/classify";
import { ERR_FULL, ERR_BAD_ARGUMENT } from "../status";
import { DesiredCallback } from "./api";
import { Core, earliest } from "./core";

/** Reported patches waiting to be sent. */
const MAX_REPORTED = 8;
/** Twin.response's status for a message skipped unread (a real one is 100 to 999): one
 *  function for both, each function a part keeps costs about 5 JsVars. */
export const TWIN_TOO_LARGE = 0;
/** A twin request without an answer by then is sent again. */
export const TWIN_TIMEOUT_MS = 30000;
const FIRST_RETRY_MS = 5000;

type Json = { [k: string]: unknown };

export interface Twin {
  onDesired: DesiredCallback | undefined;
  /** The request id of the GET waiting for its answer ("" for none). */
  getRid: string;
  /** Full reads wait while memory is low (a document may be kilobytes). */
  paused: boolean;
  /** The reported `ota` member of the last full document read (undefined for none). */
  reportedOta: unknown;
  /** Reported patches waiting (JSON), the oldest first. */
  reported: string[];
  /** The request id of the reported patch in flight ("" for none). */
  reportedRid: string;
  /** The update agent's report (JSON) not yet acknowledged, "" for none: the agent sets it,
   *  a newer one replacing one not yet sent. A field, not a setter: a function fewer. */
  otaReport: string;
  /** subscribed false: a connection was accepted, requests of an earlier one are void.
   *  subscribed true: subscribed, read the whole document. */
  connected(subscribed: boolean): void;
  desired(text: string, version: number, full: boolean): void;
  /** The answer to request `rid`. Status TWIN_TOO_LARGE: a twin message above
   *  maxInboundBytes was skipped, the answer to request `rid` or a desired patch (rid ""). */
  response(rid: string, status: number, payload: string, topic: string): void;
  report(patch: Json): number;
  /** Sends the next reported patch when none is in flight. */
  pump(t: number): void;
  /** With `fire`, runs due retries and timeouts (GETs only while connected). Returns the next
   *  deadline, -1 for none (none while not connected). One function for both: each function
   *  a part keeps costs about 5 JsVars. */
  timers(t: number, connected: boolean, fire: boolean): number;
}

/** Nothing reported is waiting or in flight, the update agent's report included. */
export function twinDrained(twin: Twin): boolean {
  return twin.reported.length === 0 && twin.otaReport === "" && twin.reportedRid === "";
}

export function parseJsonObject(text: string): Json | undefined {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  } catch (e) {
    return undefined;
  }
}

function retryAfterOf(topic: string): number {
  const at = topic.indexOf("retry-after=");
  if (at < 0) return 0;
  const n = parseInt(topic.substring(at + 12), 10);
  return n > 0 ? n : 0;
}

export function createTwin(core: Core): Twin {
  const log = core.log;
  let desiredVersion = -1;
  let getDisabled = false;
  let getAt = -1;
  let retryAt = -1;
  /** The update report in flight, and whether the patch in flight is it. */
  let otaReportSent = "";
  let reportedIsOta = false;
  let reportedSentAt = -1;
  let reportedRetryAt = -1;
  let backoffMs = FIRST_RETRY_MS;

  function request(): void {
    twin.getRid = "";
    retryAt = -1;
    if (getDisabled) return;
    if (twin.paused) {
      retryAt = core.now() + TWIN_TIMEOUT_MS;
      return;
    }
    twin.getRid = core.nextRid();
    getAt = core.now();
    core.hubSession!.publish(twinGetTopic(twin.getRid), new Uint8Array(0), 0, false, getAt);
  }

  /** 429 honours retry-after; 5xx waits at least 5 s, doubling up to the fleet cap. */
  function retryWait(): number {
    if (core.verdict.waitMs > 0) return core.verdict.waitMs;
    const wait = backoffMs + ((core.hal.random32() >>> 0) % backoffMs);
    backoffMs = backoffMs * 2 > core.fleet.capMs ? core.fleet.capMs : backoffMs * 2;
    return wait;
  }

  function tooLarge(rid: string): void {
    if (rid === "") {
      // A desired patch that could not be read: the full document catches up, if it fits.
      log(LOG_WARN, "twin: desired patch larger than maxInboundBytes; reading the whole document");
      request();
      return;
    }
    if (rid !== twin.getRid) return;
    // The twin document does not fit maxInboundBytes: asking again after every connect
    // would loop, so full GETs stop until the configuration grows.
    twin.getRid = "";
    getDisabled = true;
    log(LOG_ERROR, "twin document larger than maxInboundBytes (" + core.config.maxInboundBytes + "): full twin GET disabled");
  }

  const twin: Twin = {
    onDesired: undefined,
    getRid: "",
    paused: false,
    reportedOta: undefined,
    reported: [],
    reportedRid: "",
    otaReport: "",

    connected: function (subscribed: boolean): void {
      if (subscribed) {
        request();
        return;
      }
      // Cleared at CONNACK, before the status callbacks run: a patch the application reports
      // from its Connected handler is then sent once, not again at SUBACK.
      twin.reportedRid = "";
      reportedRetryAt = -1;
      twin.getRid = "";
      retryAt = -1;
    },

    desired: function (text: string, version: number, full: boolean): void {
      const desired = parseJsonObject(text);
      if (!desired) {
        log(LOG_WARN, "twin: unreadable desired properties");
        return;
      }
      if (version <= desiredVersion) {
        log(LOG_INFO, "twin: desired version " + version + " ignored (have " + desiredVersion + ")");
        return;
      }
      // A patch that skips a version means one was missed: the full document catches up.
      const gap = !full && desiredVersion >= 0 && version > desiredVersion + 1;
      desiredVersion = version;
      if (twin.onDesired) {
        try {
          twin.onDesired(desired, version);
        } catch (e) {
          log(LOG_ERROR, "desired handler threw: " + (e as { message?: string }).message);
        }
      }
      // The update announcement: the whole value from a full document, a patch's member.
      if (core.config.otaKey !== "" && (full || desired.ota !== undefined)) core.announce(desired.ota, full);
      if (gap) request();
    },

    response: function (rid: string, status: number, payload: string, topic: string): void {
      if (status === TWIN_TOO_LARGE) {
        tooLarge(rid);
        return;
      }
      const action = classify(KIND_TWIN_RESPONSE, status, retryAfterOf(topic), core.verdict);
      if (rid === twin.getRid) {
        twin.getRid = "";
        if (action === ACTION_NONE) {
          backoffMs = FIRST_RETRY_MS;
          const doc = parseJsonObject(payload);
          const desired = doc && doc.desired !== null && typeof doc.desired === "object" ? (doc.desired as Json) : undefined;
          const version = desired && typeof desired.$version === "number" ? (desired.$version as number) : -1;
          const rep = doc && doc.reported !== null && typeof doc.reported === "object" ? (doc.reported as Json) : undefined;
          twin.reportedOta = rep ? rep.ota : undefined;
          if (desired && version >= 0) twin.desired(JSON.stringify(desired), version, true);
        } else if (action === ACTION_REPROVISION) {
          core.policy.requestReprovision(core.now());
        } else if (action !== ACTION_GIVE_UP) {
          retryAt = core.now() + retryWait();
        }
        return;
      }
      if (rid !== "" && rid === twin.reportedRid) {
        twin.reportedRid = "";
        if (action === ACTION_NONE || action === ACTION_GIVE_UP) {
          if (action === ACTION_GIVE_UP) log(LOG_WARN, "twin: reported patch refused (" + status + "), dropped");
          if (!reportedIsOta) twin.reported.shift();
          else if (twin.otaReport === otaReportSent) twin.otaReport = "";
          backoffMs = FIRST_RETRY_MS;
        } else if (action === ACTION_REPROVISION) {
          // As for a GET: the identity is gone here; the patch stays queued for the next hub.
          core.policy.requestReprovision(core.now());
        } else {
          reportedRetryAt = core.now() + retryWait();
        }
      }
    },

    report: function (patch: Json): number {
      if (patch === null || typeof patch !== "object") return ERR_BAD_ARGUMENT;
      const reported = twin.reported;
      if (reported.length >= MAX_REPORTED) return ERR_FULL;
      reported.push(jsonForService(patch));
      return 0;
    },

    pump: function (t: number): void {
      const reported = twin.reported;
      if ((reported.length > 0 || twin.otaReport !== "") && twin.reportedRid === "" && (reportedRetryAt < 0 || t - reportedRetryAt >= 0)) {
        twin.reportedRid = core.nextRid();
        reportedSentAt = t;
        reportedRetryAt = -1;
        reportedIsOta = reported.length === 0;
        if (reportedIsOta) otaReportSent = twin.otaReport;
        core.hubSession!.publish(twinReportedTopic(twin.reportedRid), utf8Bytes(reportedIsOta ? twin.otaReport : reported[0]), 0, false, t);
      }
    },

    timers: function (t: number, connected: boolean, fire: boolean): number {
      if (fire) {
        if (connected && retryAt >= 0 && t - retryAt >= 0) request();
        if (connected && twin.getRid !== "" && t - getAt >= TWIN_TIMEOUT_MS) request();
        if (twin.reportedRid !== "" && t - reportedSentAt >= TWIN_TIMEOUT_MS) twin.reportedRid = "";
      }
      if (!connected) return -1;
      let at = retryAt;
      if (twin.getRid !== "") at = earliest(at, getAt + TWIN_TIMEOUT_MS);
      if (reportedRetryAt >= 0) at = earliest(at, reportedRetryAt);
      if (twin.reportedRid !== "") at = earliest(at, reportedSentAt + TWIN_TIMEOUT_MS);
      return at;
    },
  };
  return twin;
}
