// Text commands for a running simulator (typed on stdin by `npm run sim`), e.g.
// `outage hub-a 30 refuse`, `move dev1 hub-b`, `puback drop dev1 3`,
// `announce dev1 manifest.json dist/firmware.js` (an update signed by npm run sign-update).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isMalformedKind } from "./faults";
import type { Simulator } from "./simulator";
import type { Properties } from "./topics";
import type { DpsOutageMode, OutageMode } from "./types";

interface Command {
  usage: string;
  help: string;
  min: number;
  run(sim: Simulator, args: string[]): string | Promise<string>;
}

function int(text: string | undefined, what: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(what + " missing");
  }
  if (!/^[0-9]+$/.test(text)) throw new Error(what + " must be a whole number, got '" + text + "'");
  return Number(text);
}

function outageMode(text: string | undefined): OutageMode {
  if (text === undefined || text === "refuse" || text === "connack3") return text ?? "refuse";
  throw new Error("mode must be refuse or connack3");
}

function jsonArg(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("expected a JSON object");
  return value as Record<string, unknown>;
}

function readArg(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error("cannot read " + what + " " + path + " (" + ((e as NodeJS.ErrnoException).code || String(e)) + ")");
  }
}

/**
 * Announces a signed manifest (npm run sign-update) to a device: with the bundle, serves it
 * at the manifest URL's path first, after checking that the URL names this simulator's
 * file host and that size and SHA-256 match what was signed. The desired `ota` property
 * always carries allowDowngrade, so no older `true` is left behind in the twin.
 */
export function announceManifest(sim: Simulator, deviceId: string, manifestText: string, bundle?: Uint8Array): string {
  const m = JSON.parse(manifestText) as Record<string, unknown>;
  if (m === null || typeof m !== "object" || Array.isArray(m) || typeof m.url !== "string" || typeof m.version !== "string") {
    throw new Error("not a manifest: expected a JSON object with version, url, size, sha256 and auth (npm run sign-update writes one)");
  }
  let served = "";
  if (bundle !== undefined) {
    const url = new URL(m.url);
    if (url.hostname.toLowerCase() !== sim.fileHost) {
      throw new Error("the manifest's URL is on " + url.hostname + ", not on this simulator's file host: sign it with --url https://" + sim.fileHost + url.pathname);
    }
    const hash = createHash("sha256").update(bundle).digest("hex");
    if (m.size !== bundle.length || String(m.sha256).toLowerCase() !== hash) {
      throw new Error("the bundle is not the one the manifest was signed for (" + bundle.length + " B, sha256 " + hash.slice(0, 12) + "...; the manifest says " + String(m.size) + " B, " + String(m.sha256).slice(0, 12) + "...)");
    }
    sim.serveFile(url.pathname, bundle); // the file host ignores a query (a blob SAS)
    served = "; serving " + m.url + " (" + bundle.length + " B)";
  }
  const version = sim.updateDesired(deviceId, { ota: { ...m, allowDowngrade: m.allowDowngrade === true } });
  return "announced " + m.version + " to " + deviceId + " (desired $version " + version + ")" + served;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

const COMMANDS: Record<string, Command> = {
  help: { usage: "help", help: "this list", min: 0, run: () => commandHelp() },
  hosts: {
    usage: "hosts",
    help: "host name -> address table",
    min: 0,
    run: (sim) => Object.keys(sim.hosts).map((h) => h + " -> " + sim.hosts[h]).join("\n"),
  },
  devices: {
    usage: "devices",
    help: "registered devices",
    min: 0,
    run: (sim) => {
      const rows = [["device", "hub", "state", "conns", "telemetry", "connacks"]];
      for (const d of sim.devices()) {
        const state = !d.enabled ? "disabled" : d.rejected ? "rejected" : d.connected ? "connected" : "offline";
        rows.push([d.deviceId, d.hub ?? "(none)", state, String(d.counters.connections), String(d.counters.telemetry), JSON.stringify(d.counters.connacks)]);
      }
      return rows.length > 1 ? table(rows) : "no devices";
    },
  },
  counters: { usage: "counters", help: "all counters as JSON", min: 0, run: (sim) => JSON.stringify(sim.counters(), null, 2) },
  telemetry: {
    usage: "telemetry <device> [n]",
    help: "last n (10) telemetry messages of a device",
    min: 1,
    run: (sim, [id, n]) => {
      const all = sim.telemetry(id);
      const shown = all.slice(-int(n, "n", 10));
      if (shown.length === 0) return "no telemetry from " + id;
      return shown
        .map((r) => "#" + r.seq + (r.dup ? " dup" : "") + " " + JSON.stringify(r.properties) + " " + r.payload.toString("utf8"))
        .join("\n");
    },
  },
  twin: { usage: "twin <device>", help: "the device twin", min: 1, run: (sim, [id]) => JSON.stringify(sim.twin(id), null, 2) },
  enroll: {
    usage: "enroll <registrationId> [key] [hub]",
    help: "individual enrollment (random key if none)",
    min: 1,
    run: (sim, [id, key, hub]) => {
      const e = sim.enrollIndividual(id, { key, hub });
      return "enrolled " + id + " key " + e.key;
    },
  },
  "enroll-group": {
    usage: "enroll-group <name> <groupKey> [hub]",
    help: "group enrollment (device keys derived)",
    min: 2,
    run: (sim, [name, key, hub]) => {
      sim.enrollGroup(name, { key, hub });
      return "group " + name + " enrolled";
    },
  },
  "device-key": {
    usage: "device-key <group> <registrationId>",
    help: "derived key of a group device",
    min: 2,
    run: (sim, [group, id]) => sim.deviceKey(group, id),
  },
  "add-device": {
    usage: "add-device <deviceId> [hub] [key]",
    help: "register a device in a hub without DPS",
    min: 1,
    run: (sim, [id, hub, key]) => {
      const d = sim.addDevice(id, { hub, key });
      return id + " in " + d.hub + " key " + d.key;
    },
  },
  disable: { usage: "disable <device>", help: "disable a device (CONNACK 5)", min: 1, run: (sim, [id]) => (sim.setDeviceEnabled(id, false), id + " disabled") },
  enable: { usage: "enable <device>", help: "enable a device", min: 1, run: (sim, [id]) => (sim.setDeviceEnabled(id, true), id + " enabled") },
  "disable-enrollment": {
    usage: "disable-enrollment <name>",
    help: "DPS answers 'disabled'",
    min: 1,
    run: (sim, [name]) => (sim.setEnrollmentDisabled(name, true), name + " disabled"),
  },
  "enable-enrollment": {
    usage: "enable-enrollment <name>",
    help: "undo disable-enrollment",
    min: 1,
    run: (sim, [name]) => (sim.setEnrollmentDisabled(name, false), name + " enabled"),
  },
  drop: { usage: "drop <hub>", help: "drop every connection of a hub", min: 1, run: (sim, [hub]) => "dropped " + sim.dropHub(hub) + " device connections" },
  "drop-device": {
    usage: "drop-device <device>",
    help: "drop one device's connection",
    min: 1,
    run: (sim, [id]) => (sim.dropDevice(id) ? "dropped" : id + " was not connected"),
  },
  outage: {
    usage: "outage <hub> <seconds> [refuse|connack3]",
    help: "hub outage",
    min: 2,
    run: async (sim, [hub, s, mode]) => {
      await sim.hubOutage(hub, int(s, "seconds"), outageMode(mode));
      return sim.resolveHub(hub) + " down for " + s + " s";
    },
  },
  "end-outage": { usage: "end-outage <hub>", help: "end a hub outage now", min: 1, run: async (sim, [hub]) => (await sim.endHubOutage(hub), "outage ended") },
  reject: {
    usage: "reject <device> [off]",
    help: "CONNACK 5 for a device (off: stop)",
    min: 1,
    run: (sim, [id, off]) => {
      sim.rejectDevice(id, off !== "off");
      return off === "off" ? id + " accepted again" : id + " rejected with CONNACK 5";
    },
  },
  move: {
    usage: "move <device> <hub>",
    help: "move a device to another hub (DPS assigns it next time)",
    min: 2,
    run: (sim, [id, hub]) => (sim.moveDevice(id, hub), id + " moved to " + sim.resolveHub(hub)),
  },
  puback: {
    usage: "puback drop|delay|normal <device> [ms] [count]",
    help: "drop or delay the PUBACKs sent to a device",
    min: 2,
    run: (sim, [mode, id, a, b]) => {
      if (mode === "drop") {
        sim.dropPubacks(id, a === undefined ? Infinity : int(a, "count"));
        return "dropping PUBACKs to " + id;
      }
      if (mode === "delay") {
        sim.delayPubacks(id, int(a, "ms"), b === undefined ? Infinity : int(b, "count"));
        return "delaying PUBACKs to " + id;
      }
      if (mode === "normal") {
        sim.clearPubackFault(id);
        return "PUBACKs to " + id + " normal";
      }
      throw new Error("puback drop|delay|normal");
    },
  },
  "twin-fail": {
    usage: "twin-fail <device> <status> [count]",
    help: "answer the next twin requests with an error status",
    min: 2,
    run: (sim, [id, status, count]) => (sim.failTwin(id, int(status, "status"), int(count, "count", 1)), "ok"),
  },
  malformed: {
    usage: "malformed <device|registrationId> [kind]",
    help: "send a malformed packet (kinds: bad-remaining-length truncated-topic reserved-type oversize bad-flags qos3 garbage)",
    min: 1,
    run: (sim, [id, kind]) => {
      const k = kind ?? "bad-remaining-length";
      if (!isMalformedKind(k)) throw new Error("unknown kind '" + k + "'");
      return sim.sendMalformed(id, k) ? "sent" : id + " has no connection";
    },
  },
  "dps-outage": {
    usage: "dps-outage <seconds> [refuse|connack3|503]",
    help: "DPS outage",
    min: 1,
    run: async (sim, [s, mode]) => {
      const m = (mode ?? "refuse") as DpsOutageMode;
      if (m !== "refuse" && m !== "connack3" && m !== "503") throw new Error("mode must be refuse, connack3 or 503");
      await sim.dpsOutage(int(s, "seconds"), m);
      return "DPS down for " + s + " s";
    },
  },
  "end-dps-outage": { usage: "end-dps-outage", help: "end a DPS outage now", min: 0, run: async (sim) => (await sim.endDpsOutage(), "DPS outage ended") },
  "dps-throttle": {
    usage: "dps-throttle <seconds> [retryAfter]",
    help: "DPS answers 429 with retry-after",
    min: 1,
    run: (sim, [s, ra]) => (sim.dpsThrottle(int(s, "seconds"), int(ra, "retryAfter", 5)), "DPS throttling for " + s + " s"),
  },
  "end-dps-throttle": { usage: "end-dps-throttle", help: "stop DPS throttling", min: 0, run: (sim) => (sim.endDpsThrottle(), "DPS throttling over") },
  c2d: {
    usage: "c2d <device> <text> [name=value ...]",
    help: "send a cloud-to-device message",
    min: 2,
    run: (sim, [id, text, ...props]) => {
      const properties: Properties = {};
      for (const p of props) {
        const eq = p.indexOf("=");
        if (eq < 0) properties[p] = null;
        else properties[p.slice(0, eq)] = p.slice(eq + 1);
      }
      return "sent " + sim.sendC2D(id, text, { properties });
    },
  },
  method: {
    usage: "method <device> <name> [json] [timeoutSeconds]",
    help: "invoke a direct method",
    min: 2,
    run: async (sim, [id, name, payload, timeout]) => {
      const r = await sim.invokeMethod(id, name, payload === undefined ? null : JSON.parse(payload), { timeoutMs: int(timeout, "timeout", 30) * 1000 });
      return name + " -> " + r.status + " " + JSON.stringify(r.payload);
    },
  },
  serve: {
    usage: "serve <path> <file>",
    help: "serve a file on the HTTPS file host (update bundles)",
    min: 2,
    run: (sim, [path, file]) => {
      const bytes = readArg(file, "file");
      return "serving " + sim.serveFile(path, bytes) + " (" + bytes.length + " B)";
    },
  },
  announce: {
    usage: "announce <device> <manifest.json> [bundle]",
    help: "set desired ota to a signed manifest (and serve its bundle at the manifest's URL)",
    min: 2,
    run: (sim, [id, manifest, bundle]) =>
      announceManifest(sim, id, readArg(manifest, "manifest").toString("utf8"), bundle === undefined ? undefined : readArg(bundle, "bundle")),
  },
  desired: {
    usage: "desired <device> <json>",
    help: "desired-property patch",
    min: 2,
    run: (sim, [id, ...rest]) => "desired $version " + sim.updateDesired(id, jsonArg(rest.join(" "))),
  },
};

export function commandHelp(): string {
  const rows = Object.values(COMMANDS).map((c) => [c.usage, c.help]);
  rows.push(["quit", "stop the simulator"]);
  return table(rows);
}

/** Splits a command line on spaces; a JSON object or array argument may contain spaces. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  const text = line.trim();
  let i = 0;
  while (i < text.length) {
    if (text[i] === " ") {
      i++;
      continue;
    }
    if (text[i] === "{" || text[i] === "[") {
      let depth = 0;
      let j = i;
      let inString = false;
      for (; j < text.length; j++) {
        const ch = text[j];
        if (inString) {
          if (ch === "\\") j++;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") {
          depth--;
          if (depth === 0) break;
        }
      }
      words.push(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = text.indexOf(" ", i);
    if (j < 0) j = text.length;
    words.push(text.slice(i, j));
    i = j;
  }
  return words;
}

/** Runs one command line; resolves with the text to print (errors as "error: ..."). */
export async function runCommand(sim: Simulator, line: string): Promise<string> {
  const [name, ...args] = splitCommand(line);
  if (name === undefined) return "";
  const command = COMMANDS[name];
  if (!command) return "error: unknown command '" + name + "' (try help)";
  if (args.length < command.min) return "usage: " + command.usage;
  try {
    return await command.run(sim, args);
  } catch (error) {
    return "error: " + (error as Error).message;
  }
}
