// The update agent's settings and their defaults.
import { Sha256 } from "../azure/hmac-sha256";
import { DEFAULT_MAX_SIZE } from "./manifest";

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
