// What the update agent reports: its states, the results and reason texts of `last`, and the
// reported value { ota: { current, state, target, progress, last } }.
import { OK } from "../status";

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
