// What the flash tools print about a configuration, and where they print it. Nothing here
// shows a secret: keys, tokens, private keys and passwords appear only as hidden().
import type { DeviceConfig, ResolvedConfig } from "../../firmware/config";
import { AUTH_SAS_KEY, AUTH_SAS_TOKEN } from "../../firmware/azure/connection-string";
import { sasExpiry } from "../../firmware/azure/sas";
import { hidden, parseCertificate } from "./config-checks";

/** Where a tool writes, and what it treats as "now" and "here". */
export interface ToolIo {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
  /** UTC seconds. */
  nowSeconds(): number;
  /** Environment variables secrets may come from (none when absent). */
  env?: Record<string, string | undefined>;
}

export const processIo: ToolIo = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  cwd: process.cwd(),
  nowSeconds: () => Math.floor(Date.now() / 1000),
  env: process.env,
};

function describeCert(text: string): string {
  const cert = parseCertificate(text);
  if (!cert) return "unreadable certificate";
  const cn = /CN=([^\n,]+)/.exec(cert.subject);
  return (cn ? "CN=" + cn[1] : cert.subject.replace(/\n/g, ", ")) + ", valid to " + cert.validTo;
}

/** One line per topic: identity, credential, Wi-Fi, CA, timing. No secret values. */
export function describeConfig(config: DeviceConfig, r: ResolvedConfig, derived: boolean): string[] {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push("  " + (label + "            ").slice(0, 12) + text);
  if (r.useDps) {
    row("identity", "DPS registration id \"" + r.registrationId + "\", id scope " + r.idScope + ", endpoint " + r.dpsEndpoint);
    if (r.key) row("credential", derived ? "device key " + hidden(r.key) + ", derived from the group key (the group key is not in the file)" : "symmetric key (individual enrollment) " + hidden(r.key));
    else row("credential", "X.509: " + describeCert(r.certificate) + ", private key " + hidden(r.privateKey));
  } else {
    row("identity", "IoT Hub " + r.hubHost + ", device \"" + r.deviceId + "\"" + (r.moduleId ? ", module \"" + r.moduleId + "\"" : ""));
    if (r.auth === AUTH_SAS_KEY) row("credential", "shared access key " + hidden(r.key) + " (the device signs its own tokens)");
    else if (r.auth === AUTH_SAS_TOKEN) row("credential", "ready-made SAS token " + hidden(r.token) + ", expires " + new Date(sasExpiry(r.token) * 1000).toISOString());
    else row("credential", "X.509: " + describeCert(r.certificate) + ", private key " + hidden(r.privateKey));
  }
  if (r.modelId) row("model id", r.modelId);
  row("wifi", config.wifi ? "\"" + config.wifi.ssid + "\"" + (config.wifi.password ? ", password " + hidden(config.wifi.password) : ", open network") : "not set (the device uses Wi-Fi settings saved on it)");
  row("ca", r.ca.length === 0 ? "none (stock Espruino does not verify the server anyway; see README)" : r.ca.map(describeCert).join("; "));
  row("timing", "keep-alive " + r.keepAliveSeconds + " s, token lifetime " + r.tokenLifetimeSeconds + " s");
  if (r.fleet) row("fleet", r.fleet.devices + " devices, hub " + r.fleet.hubConnectionsPerSecond + "/s, DPS " + r.fleet.dpsRegistrationsPerMinute + "/min, load " + r.fleet.load);
  return lines;
}

