// Command-line options and the JSON config file of `npm run sim`, plus the demo enrollments.
import { readFileSync } from "node:fs";
import type { AllocationPolicy, RateOptions, SimulatorOptions } from "./types";

export const HELP = `npm run sim -- [options]

A local Azure DPS + IoT Hub simulator over TLS on loopback. Prints one line per event,
writes the CA and the hosts table to the output directory (plus demo-device.json, a
device configuration for npm start -- --config, and its OTA key demo-ota.key), and takes
fault commands on stdin (type "help").

Options:
  --help                       this text
  --config <file.json>         settings, enrollments and devices (see below)
  --hub <host>                 a hub host name; repeat for more
                               (default hub-a.azure-devices.net, hub-b.azure-devices.net)
  --dps-host <host>            DPS global endpoint (default global.azure-devices-provisioning.net)
  --id-scope <scope>           DPS ID scope (default 0ne00000001)
  --port <host>=<port>         fixed port for a host, e.g. --port hub-a=8884; repeat
  --port-base <n>              DPS on n, hubs on n+1, n+2, ...
  --allocation <policy>        static (default) or round-robin
  --rate-hub <n>               new hub connections per second (default 100)
  --rate-dps <n>               DPS registrations per minute (default 1000)
  --serve <path>=<file>        serve a file on the HTTPS file host from the start,
                               e.g. --serve /ota/app.js=dist/firmware.js; repeat
  --out <dir>                  where ca.pem, ca.der and sim.json go (default .sim-data)
  --x509-ca <ca.pem>           an X.509 group enrollment for devices whose certificates this
                               CA issued (repeat for more). Without --no-demo, the test CA of
                               \`npm run make-config -- --test-certificate\` (.sim-data/test-ca)
                               is enrolled too when it exists
  --no-demo                    no demo enrollments
  --quiet                      no event lines

Config file (every field optional):
  { "hubs": ["hub-a.azure-devices.net"], "dpsHost": "...", "idScope": "0ne00000001",
    "ports": { "hub-a": 8884 }, "allocation": "round-robin",
    "rates": { "hubConnectionsPerSecond": 100, "hubConnectionQueue": 1000,
               "dpsRegistrationsPerMinute": 1000, "dpsPollsPer10s": 5 },
    "enrollments": [
      { "registrationId": "dev1", "key": "<base64>", "deviceId": "dev1", "hub": "hub-b" },
      { "group": "line-3", "key": "<base64 group key>" },
      { "group": "factory", "ca": "<CA certificate PEM file>" },
      { "registrationId": "x1", "certificate": "<device certificate PEM file>" } ],
    "devices": [ { "deviceId": "plain1", "hub": "hub-a", "key": "<base64>" },
                 { "deviceId": "x2", "x509Thumbprint": "<SHA-1 or SHA-256 hex>" } ] }

Stdin commands: outage hub-a 30 refuse | move dev1 hub-b | puback drop dev1 3 |
  reject dev1 | dps-throttle 60 10 | c2d dev1 hello k=v | method dev1 reboot {} |
  announce dev1 manifest.json dist/firmware.js (an update from npm run sign-update) | help
`;

export interface EnrollmentConfig {
  registrationId?: string;
  group?: string;
  key?: string;
  secondaryKey?: string;
  deviceId?: string;
  hub?: string;
  disabled?: boolean;
  /** X.509 group: a CA certificate PEM file. */
  ca?: string;
  /** X.509 individual enrollment: the device certificate PEM file. */
  certificate?: string;
}

export interface DeviceConfig {
  deviceId: string;
  hub?: string;
  key?: string;
  x509Thumbprint?: string;
}

export interface CliConfig {
  help: boolean;
  options: SimulatorOptions;
  enrollments: EnrollmentConfig[];
  devices: DeviceConfig[];
  /** Files served on the file host from the start: URL path -> local file. */
  serve: Array<{ path: string; file: string }>;
  portBase: number | undefined;
  outDir: string;
  demo: boolean;
  quiet: boolean;
  /** PEM text of CAs to enroll as X.509 groups (--x509-ca). */
  x509Cas: string[];
}

/** Fixed demo credentials, so `npm run sim` alone is useful (never use them outside this simulator). */
export const DEMO = {
  registrationId: "demo-device",
  key: Buffer.from("espruino-azure-iot demo key 0001").toString("base64"),
  group: "demo-group",
  groupKey: Buffer.from("espruino-azure-iot demo group key, 64 bytes long, for the sim!!!").toString("base64"),
  groupDevice: "demo-sensor-1",
  /** The OTA key of the demo device's config (demo-ota.key; updates signed with it install). */
  otaKey: Buffer.from("espruino-azure-iot demo OTA key.").toString("base64"),
};

function number(text: string | undefined, flag: string): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) throw new Error(flag + " needs a number");
  return Number(text);
}

/** Parses argv (without node and script). Throws with a message on bad input. */
export function parseCli(argv: string[], readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): CliConfig {
  const out: CliConfig = { help: false, options: {}, enrollments: [], devices: [], serve: [], portBase: undefined, outDir: ".sim-data", demo: true, quiet: false, x509Cas: [] };
  const hubs: string[] = [];
  const ports: Record<string, number> = {};
  const rates: RateOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(flag + " needs a value");
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        out.help = true;
        break;
      case "--config": {
        const config = JSON.parse(readFile(value())) as Record<string, unknown>;
        applyConfig(out, config);
        break;
      }
      case "--hub":
        hubs.push(value());
        break;
      case "--dps-host":
        out.options.dpsHost = value();
        break;
      case "--id-scope":
        out.options.idScope = value();
        break;
      case "--port": {
        const v = value();
        const eq = v.indexOf("=");
        if (eq <= 0) throw new Error("--port wants <host>=<port>");
        ports[v.slice(0, eq)] = number(v.slice(eq + 1), "--port");
        break;
      }
      case "--serve": {
        const v = value();
        const eq = v.indexOf("=");
        if (eq <= 0 || eq === v.length - 1) throw new Error("--serve wants <path>=<file>, e.g. /ota/app.js=dist/firmware.js");
        out.serve.push({ path: v.slice(0, eq), file: v.slice(eq + 1) });
        break;
      }
      case "--port-base":
        out.portBase = number(value(), flag);
        break;
      case "--allocation": {
        const v = value();
        if (v !== "static" && v !== "round-robin") throw new Error("--allocation is static or round-robin");
        out.options.allocation = v as AllocationPolicy;
        break;
      }
      case "--rate-hub":
        rates.hubConnectionsPerSecond = number(value(), flag);
        break;
      case "--rate-dps":
        rates.dpsRegistrationsPerMinute = number(value(), flag);
        break;
      case "--out":
        out.outDir = value();
        break;
      case "--x509-ca":
        out.x509Cas.push(readFile(value()));
        break;
      case "--no-demo":
        out.demo = false;
        break;
      case "--quiet":
        out.quiet = true;
        break;
      default:
        throw new Error("unknown option '" + flag + "' (try --help)");
    }
  }
  if (hubs.length > 0) out.options.hubs = hubs;
  if (Object.keys(ports).length > 0) out.options.ports = { ...(out.options.ports ?? {}), ...ports };
  if (Object.keys(rates).length > 0) out.options.rates = { ...(out.options.rates ?? {}), ...rates };
  if (out.portBase !== undefined) {
    const base = out.portBase;
    const all = out.options.hubs ?? ["hub-a.azure-devices.net", "hub-b.azure-devices.net"];
    const p: Record<string, number> = { [out.options.dpsHost ?? "global.azure-devices-provisioning.net"]: base };
    all.forEach((h, i) => (p[h] = base + 1 + i));
    out.options.ports = { ...p, ...(out.options.ports ?? {}) };
  }
  return out;
}

function applyConfig(out: CliConfig, c: Record<string, unknown>): void {
  const o = out.options;
  if (Array.isArray(c.hubs)) o.hubs = c.hubs.map(String);
  if (typeof c.dpsHost === "string") o.dpsHost = c.dpsHost;
  if (typeof c.idScope === "string") o.idScope = c.idScope;
  if (c.allocation === "static" || c.allocation === "round-robin") o.allocation = c.allocation;
  if (c.ports && typeof c.ports === "object") o.ports = { ...(o.ports ?? {}), ...(c.ports as Record<string, number>) };
  if (c.rates && typeof c.rates === "object") o.rates = { ...(o.rates ?? {}), ...(c.rates as RateOptions) };
  if (typeof c.dpsRetryAfterSeconds === "number") o.dpsRetryAfterSeconds = c.dpsRetryAfterSeconds;
  if (Array.isArray(c.enrollments)) out.enrollments.push(...(c.enrollments as EnrollmentConfig[]));
  if (Array.isArray(c.devices)) out.devices.push(...(c.devices as DeviceConfig[]));
}
