// `npm run sim`: starts the simulator, prints the hosts table, the CA path and the demo
// credentials, then one line per event; fault commands are read from stdin.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { DEMO, HELP, parseCli, type CliConfig } from "./cli-options";
import { commandHelp, runCommand } from "./commands";
import { startSimulator } from "./index";
import type { Simulator } from "./simulator";

/** Where `npm run make-config -- --test-certificate` keeps its test CA by default. */
const MAKE_CONFIG_TEST_CA = ".sim-data/test-ca/ca.pem";

function setUp(sim: Simulator, config: CliConfig): string[] {
  const notes: string[] = [];
  if (config.demo) {
    sim.enrollIndividual(DEMO.registrationId, { key: DEMO.key });
    sim.enrollGroup(DEMO.group, { key: DEMO.groupKey });
    if (existsSync(MAKE_CONFIG_TEST_CA)) {
      sim.enrollGroup("make-config-test-ca", { ca: readFileSync(MAKE_CONFIG_TEST_CA, "utf8") });
      notes.push("X.509 group make-config-test-ca: devices with a certificate from " + MAKE_CONFIG_TEST_CA);
    }
  }
  config.x509Cas.forEach((pem, i) => {
    sim.enrollGroup("x509-ca-" + (i + 1), { ca: pem });
    notes.push("X.509 group x509-ca-" + (i + 1) + " (--x509-ca)");
  });
  for (const e of config.enrollments) {
    if (e.group !== undefined) {
      if (e.ca !== undefined) sim.enrollGroup(e.group, { ca: readFileSync(e.ca, "utf8"), hub: e.hub, disabled: e.disabled });
      else if (!e.key) throw new Error("group enrollment '" + e.group + "' needs a key or a ca");
      else sim.enrollGroup(e.group, { key: e.key, secondaryKey: e.secondaryKey, hub: e.hub, disabled: e.disabled });
    } else if (e.registrationId !== undefined) {
      const certificate = e.certificate !== undefined ? readFileSync(e.certificate, "utf8") : undefined;
      sim.enrollIndividual(e.registrationId, { key: e.key, secondaryKey: e.secondaryKey, deviceId: e.deviceId, hub: e.hub, disabled: e.disabled, certificate });
    } else throw new Error("an enrollment needs registrationId or group");
  }
  for (const d of config.devices) sim.addDevice(d.deviceId, { hub: d.hub, key: d.key, x509Thumbprint: d.x509Thumbprint });
  for (const s of config.serve) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(s.file);
    } catch (error) {
      throw new Error("--serve " + s.path + "=" + s.file + ": cannot read the file (" + ((error as NodeJS.ErrnoException).code ?? String(error)) + ")");
    }
    sim.serveFile(s.path, bytes);
  }
  return notes;
}

async function main(): Promise<void> {
  let config: CliConfig;
  try {
    config = parseCli(process.argv.slice(2));
  } catch (error) {
    // A wrong option never starts the simulator with defaults: the message, then the usage.
    console.error("npm run sim: " + (error as Error).message + "\n");
    process.stderr.write(HELP);
    process.exitCode = 2;
    return;
  }
  if (config.help) {
    process.stdout.write(HELP);
    return;
  }
  const sim = await startSimulator({ ...config.options, log: config.quiet ? undefined : (line) => console.log(line) });
  let notes: string[];
  try {
    notes = setUp(sim, config);
  } catch (error) {
    console.error((error as Error).message);
    await sim.stop();
    process.exitCode = 2;
    return;
  }

  const outDir = resolve(config.outDir);
  mkdirSync(outDir, { recursive: true });
  const caPemPath = resolve(outDir, "ca.pem");
  const caDerPath = resolve(outDir, "ca.der");
  writeFileSync(caPemPath, sim.caPem);
  writeFileSync(caDerPath, sim.caDer);
  const summary = {
    hosts: sim.hosts,
    dpsHost: sim.dpsHost,
    idScope: sim.idScope,
    hubs: sim.hubNames,
    caPem: caPemPath,
    caDer: caDerPath,
    demo: config.demo
      ? {
          registrationId: DEMO.registrationId,
          key: DEMO.key,
          group: DEMO.group,
          groupKey: DEMO.groupKey,
          groupDevice: DEMO.groupDevice,
          groupDeviceKey: sim.deviceKey(DEMO.group, DEMO.groupDevice),
        }
      : undefined,
  };
  writeFileSync(resolve(outDir, "sim.json"), JSON.stringify(summary, null, 2) + "\n");
  if (config.demo) {
    // A device.json for the demo enrollment, pointed at this simulator (hosts table, CA), for
    // npm start -- --config; a one-device fleet, so its first boot waits about a second.
    const demoDevice = {
      dps: { idScope: sim.idScope, registrationId: DEMO.registrationId, symmetricKey: DEMO.key, endpoint: sim.dpsHost },
      ca: [sim.caPem],
      hosts: sim.hosts,
      fleet: { devices: 1, hubConnectionsPerSecond: 100, dpsRegistrationsPerMinute: 1000, load: 1 },
      ota: { key: DEMO.otaKey },
    };
    writeFileSync(resolve(outDir, "demo-device.json"), JSON.stringify(demoDevice, null, 2) + "\n", { mode: 0o600 });
    writeFileSync(resolve(outDir, "demo-ota.key"), DEMO.otaKey + "\n", { mode: 0o600 });
  }

  const lines = ["", "hub-sim ready", "hosts:"];
  for (const h of Object.keys(sim.hosts)) lines.push("  " + h.padEnd(40) + " " + sim.hosts[h]);
  lines.push("CA: " + caPemPath + " (DER: " + caDerPath + ")");
  lines.push("ID scope: " + sim.idScope + "   settings: " + resolve(outDir, "sim.json"));
  lines.push("update files: https://" + sim.fileHost + "/<path> (serve <path> <file>; announce <device> <manifest.json> [bundle])");
  if (summary.demo) {
    lines.push("demo individual enrollment: " + DEMO.registrationId + " key " + DEMO.key);
    lines.push("demo group: " + DEMO.group + " key " + DEMO.groupKey);
    lines.push("  e.g. device " + DEMO.groupDevice + " key " + summary.demo.groupDeviceKey);
    lines.push("demo device config: " + resolve(outDir, "demo-device.json") + " (npm start -- --config it; OTA key " + resolve(outDir, "demo-ota.key") + ")");
  }
  for (const note of notes) lines.push(note);
  lines.push('type "help" for fault commands, "quit" to stop', "");
  console.log(lines.join("\n"));

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await sim.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());

  // Commands run one after the other so their output stays in order; a method call runs on
  // its own (it may wait for the device for up to its timeout).
  let queue: Promise<void> = Promise.resolve();
  const print = (out: string): void => {
    if (out) console.log(out);
  };
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on("line", (line) => {
    const text = line.trim();
    if (text === "") return;
    if (text === "quit" || text === "exit") {
      void stop();
      return;
    }
    if (text === "help") {
      console.log(commandHelp());
      return;
    }
    if (text.startsWith("method ")) void runCommand(sim, text).then(print);
    else queue = queue.then(() => runCommand(sim, text)).then(print);
  });
  // stdin closing (e.g. started with </dev/null) leaves the simulator running.
}

void main();
