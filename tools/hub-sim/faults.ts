// Fault state shared by the hub and DPS services, and the byte strings of the malformed
// packets the simulator can send to a device (each breaks one MQTT 3.1.1 rule).
import type { DpsOutageMode, MalformedKind, OutageMode, PubackFault } from "./types";

export interface Outage<M> {
  untilMs: number;
  mode: M;
}

export class FaultState {
  /** PUBACK faults per device id (hub connections only). */
  readonly pubacks = new Map<string, PubackFault>();
  /** Twin requests answered with an error status, per device id. */
  readonly twin = new Map<string, { status: number; remaining: number }>();
  readonly hubOutages = new Map<string, Outage<OutageMode>>();
  dpsOutage: Outage<DpsOutageMode> | undefined;
  dpsThrottle: { untilMs: number; retryAfterSeconds: number } | undefined;

  /** Applies the PUBACK fault of deviceId to one PUBACK: "pass", "drop" or a hold delay in ms. */
  takePuback(deviceId: string): "pass" | "drop" | number {
    const fault = this.pubacks.get(deviceId);
    if (!fault) return "pass";
    fault.remaining--;
    if (fault.remaining <= 0) this.pubacks.delete(deviceId);
    return fault.mode === "drop" ? "drop" : fault.delayMs;
  }

  /** The error status for the next twin request of deviceId, if a fault is set. */
  takeTwin(deviceId: string): number | undefined {
    const fault = this.twin.get(deviceId);
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.twin.delete(deviceId);
    return fault.status;
  }
}

/** A fixed 32-byte noise block (seeded LCG, so every run sends the same bytes). */
function garbage(): number[] {
  const out: number[] = [];
  let x = 0x2545f491;
  for (let i = 0; i < 32; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(x >>> 24);
  }
  return out;
}

export const MALFORMED: Record<MalformedKind, { bytes: number[]; what: string }> = {
  "bad-remaining-length": {
    bytes: [0x30, 0xff, 0xff, 0xff, 0xff, 0x01],
    what: "PUBLISH whose remaining length runs to a fifth byte",
  },
  "truncated-topic": {
    bytes: [0x30, 0x04, 0x00, 0x10, 0x61, 0x62],
    what: "PUBLISH whose topic length (16) exceeds the packet (4)",
  },
  "reserved-type": { bytes: [0x00, 0x00], what: "packet type 0 (reserved)" },
  oversize: {
    bytes: [0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x61],
    what: "PUBLISH announcing 268435455 bytes",
  },
  "bad-flags": { bytes: [0x41, 0x02, 0x00, 0x01], what: "PUBACK with a reserved flag bit set" },
  qos3: { bytes: [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], what: "PUBLISH with QoS bits 11" },
  garbage: { bytes: garbage(), what: "32 bytes of noise" },
};

export function isMalformedKind(text: string): text is MalformedKind {
  return Object.prototype.hasOwnProperty.call(MALFORMED, text);
}
