// One log line per simulator event.
import type { SimEvent } from "./types";

/** "hub-a.azure-devices.net" -> "hub-a"; "global.azure-devices-provisioning.net" -> "dps". */
export function hostLabel(host: string | undefined, dpsHost?: string): string {
  if (host === undefined) return "sim";
  if (host === dpsHost) return "dps";
  const dot = host.indexOf(".");
  return dot > 0 ? host.slice(0, dot) : host;
}

/** `2024-01-01T00:00:00.000Z hub-a  connack         dev1 CONNACK 5` */
export function formatEvent(event: SimEvent, dpsHost?: string): string {
  const time = Number.isFinite(event.atMs) ? new Date(event.atMs).toISOString() : String(event.atMs);
  return time + " " + hostLabel(event.host, dpsHost).padEnd(6) + " " + event.type.padEnd(15) + " " + (event.id ?? "-") + " " + event.text;
}
