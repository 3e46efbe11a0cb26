// npm start: a device's whole life against the local simulator, one time-stamped line per
// event, then a summary (last line: `summary {...}`). With --config it runs the same device
// against a real DPS and hub instead. The options are read first: --help and a wrong option
// answer at once, before the bundle is built (npm run build, for a scenario run).
import { readFileSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { SCENARIOS, runScenario } from "./tour";
import { createDevice } from "../../firmware/device/index";
import { resolveConfig, ResolvedConfig } from "../../firmware/config";
import { createFolderStore, createNodeHal } from "../../hal/node";
import { LOG_INFO } from "../../hal/types";
import { bootSelect, DEFAULT_MAX_TRIES } from "../../firmware/ota/slots";

const HELP = `npm start [-- options]

Runs one device (the firmware core on the Node HAL) against the local DPS + IoT Hub
simulator, over TLS on loopback, on a scaled clock, and prints what happens.

Options:
  --scenario NAME   which story to run (default: tour)
  --speed N         device time runs N times faster than real time (default: 100)
  --config FILE     run against a real DPS and hub with this device.json instead
                    (no simulator, real time, certificates verified by Node); --minutes N
                    stops it after N minutes (default: run until Ctrl-C); --store DIR
                    keeps the device's Storage there across runs (cached hub, update
                    slots; default: a new folder, so every run is a first boot and waits
                    out the first-boot stagger). To run it against npm run sim instead, see
                    docs/simulator.md
  --help            this text

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(10)} ${s.about}`).join("\n")}
`;

export interface StartOptions {
  help: boolean;
  scenario: string;
  speed: number;
  config?: string;
  minutes?: number;
  /** --store: the device's Storage folder for --config runs. */
  store?: string;
}

/** The options, or a message for a wrong one (the caller prints it with the usage). */
export function parseStartOptions(argv: string[]): StartOptions | string {
  let v: { help?: boolean; scenario?: string; speed?: string; config?: string; minutes?: string; store?: string };
  try {
    v = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { help: { type: "boolean", short: "h" }, scenario: { type: "string" }, speed: { type: "string" }, config: { type: "string" }, minutes: { type: "string" }, store: { type: "string" } },
    }).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (v.help) return { help: true, scenario: "tour", speed: 100 };
  const scenario = v.scenario ?? "tour";
  if (!SCENARIOS.some((s) => s.name === scenario)) return `unknown scenario "${scenario}"; one of: ${SCENARIOS.map((s) => s.name).join(", ")}`;
  const speed = Number(v.speed ?? 100);
  if (!(speed >= 1 && speed <= 10000)) return "--speed must be a number from 1 to 10000";
  const minutes = v.minutes === undefined ? undefined : Number(v.minutes);
  if (minutes !== undefined && !(minutes > 0 && minutes <= 525600)) return "--minutes must be a number of minutes above 0";
  if (v.minutes !== undefined && v.config === undefined) return "--minutes goes with --config";
  if (v.store !== undefined && v.config === undefined) return "--store goes with --config";
  if ((v.scenario !== undefined || v.speed !== undefined) && v.config !== undefined) return "--scenario and --speed are for the simulator; --config runs against a real DPS and hub";
  return { help: false, scenario, speed, config: v.config, minutes, store: v.store };
}

/** npm run build, as npm start always did before a scenario run. */
function build(): void {
  const root = resolve(import.meta.dirname, "../..");
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error("npm start: the build failed" + (r.error ? " (" + r.error.message + ")" : ""));
    process.exit(1);
  }
}

async function realDevice(file: string, minutes: number | undefined, storeDir: string | undefined): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    console.error(`cannot read ${file}: ${(e as Error).message}`);
    process.exit(2);
  }
  const config = resolveConfig(raw);
  if (Array.isArray(config)) {
    console.error(`${file} is not a valid device configuration:\n  - ${config.join("\n  - ")}`);
    process.exit(2);
  }
  const resolved = config as ResolvedConfig;
  const dir = storeDir !== undefined ? resolve(storeDir) : mkdtempSync(join(tmpdir(), "azdevice-real-"));
  mkdirSync(dir, { recursive: true });
  console.log(`storage: ${dir}${storeDir ? "" : " (new: a first boot; --store DIR keeps it)"}`);
  const store = createFolderStore(dir);
  let device: ReturnType<typeof createDevice>;
  let timer: NodeJS.Timeout | undefined;
  const boot = (): void => {
    // As the boot stub does on the board: count a trial boot of an update, or roll back.
    bootSelect(store, DEFAULT_MAX_TRIES);
    const hal = createNodeHal({
      storeDir: dir,
      store,
      hosts: (raw as { hosts?: Record<string, string> }).hosts,
      logLevel: LOG_INFO,
      log: (level, message) => console.log(`${new Date().toISOString()} ${["ERROR", "WARN", "INFO", "DEBUG"][level] ?? level} ${message}`),
      // A reboot (after an update, or asked for) starts the device again on the same Storage.
      onReboot: () =>
        setImmediate(() => {
          console.log("reboot");
          device.stop();
          if (timer) clearInterval(timer);
          boot();
        }),
    });
    device = createDevice(resolved, hal);
    device.onStatus((status, reason) => console.log(`status ${status} (${reason})`));
    device.onDesired((desired, version) => console.log(`desired v${version}: ${JSON.stringify(desired)}`));
    device.onC2D((body) => console.log(`c2d: ${body}`));
    device.start();
    timer = setInterval(() => device.sendTelemetry(JSON.stringify({ uptime: Math.round(process.uptime()) })), 60_000);
  };
  boot();
  const stop = () => {
    if (timer) clearInterval(timer);
    device.stop();
    console.log(`summary ${JSON.stringify(device.stats())}`);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  if (minutes !== undefined) setTimeout(stop, minutes * 60_000);
}

async function main(): Promise<void> {
  const o = parseStartOptions(process.argv.slice(2));
  if (typeof o === "string") {
    console.error(`npm start: ${o}\n`);
    console.error(HELP);
    process.exit(2);
  }
  if (o.help) {
    console.log(HELP);
    return;
  }
  if (o.config !== undefined) {
    await realDevice(o.config, o.minutes, o.store);
    return;
  }
  build();
  const scenario = SCENARIOS.find((s) => s.name === o.scenario)!;
  const speed = o.speed;
  console.log(`scenario ${scenario.name} at x${speed}: ${scenario.about}`);
  console.log("[device time] who    what");
  const summary = await runScenario(scenario, { speed, print: (line) => console.log(line) });
  console.log("");
  console.log(`messages: ${summary.messagesSent} sent, ${summary.messagesAcknowledged} acknowledged, ${summary.messagesLost} lost (${summary.duplicatesAtHub} duplicates at the hub)`);
  console.log(`DPS registrations: ${summary.dpsRegistrations}; hub connections: ${summary.hubConnections}; cache writes: ${summary.cacheWrites}`);
  console.log(`time disconnected: ${summary.disconnectedSeconds} s of ${summary.virtualMinutes} min device time (${summary.realSeconds} s real)`);
  console.log(`summary ${JSON.stringify(summary)}`);
  if (summary.messagesLost > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
