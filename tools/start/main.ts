// npm start: a device's whole life against the local simulator, one time-stamped line per
// event, then a summary (last line: `summary {...}`). With --config it runs the same device
// against a real DPS and hub instead.
import { readFileSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SCENARIOS, runScenario } from "./tour";
import { createDevice } from "../../firmware/device/index";
import { resolveConfig, ResolvedConfig } from "../../firmware/config";
import { createFolderStore, createNodeHal } from "../../hal/node";
import { LOG_INFO } from "../../hal/types";
import { bootSelect, DEFAULT_MAX_TRIES } from "../../firmware/ota/slots";
import { explainStagger } from "./stagger-line";

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

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) {
    console.error(`${name} needs a value (see --help)`);
    process.exit(2);
  }
  return value;
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
      log: (level, message) => console.log(`${new Date().toISOString()} ${["ERROR", "WARN", "INFO", "DEBUG"][level] ?? level} ${explainStagger(message, resolved.fleet)}`),
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
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return;
  }
  const configFile = option(args, "--config");
  if (configFile) {
    const minutes = option(args, "--minutes");
    await realDevice(configFile, minutes === undefined ? undefined : Number(minutes), option(args, "--store"));
    return;
  }
  const name = option(args, "--scenario") ?? "tour";
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) {
    console.error(`unknown scenario "${name}"; one of: ${SCENARIOS.map((s) => s.name).join(", ")}`);
    process.exit(2);
  }
  const speed = Number(option(args, "--speed") ?? 100);
  if (!(speed > 0 && speed <= 10000)) {
    console.error("--speed must be a number from 1 to 10000");
    process.exit(2);
  }
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

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
