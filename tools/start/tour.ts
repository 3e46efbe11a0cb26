// The scenarios `npm start` runs: one device (the real firmware core on the Node HAL) against
// the simulator in this process, on a scaled clock so the 15-minute rules take seconds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDevice, Device } from "../../firmware/device/index";
import { resolveConfig, ResolvedConfig, DeviceConfig } from "../../firmware/config";
import { createNodeHal, createFolderStore, NodeHal } from "../../hal/node";
import { storeSelector, loadSelector, SLOT_A_RECORD } from "../../firmware/ota/slots";
import type { OtaReport } from "../../firmware/ota/agent";
import { appBundle, bootApp, FLAG_NO_NETWORK } from "./app-bundles";
import { ScaledTime } from "../../hal/node-time";
import { LOG_INFO } from "../../hal/types";
import { startSimulator, Simulator } from "../hub-sim/index";

export interface TourOptions {
  speed: number;
  print: (line: string) => void;
}

export interface TourSummary {
  scenario: string;
  messagesSent: number;
  messagesAcknowledged: number;
  messagesLost: number;
  duplicatesAtHub: number;
  dpsRegistrations: number;
  hubConnections: number;
  cacheWrites: number;
  disconnectedSeconds: number;
  virtualMinutes: number;
  realSeconds: number;
  /** The application version of every boot, when the run flashed slots ("1.0.0>1.1.0"). */
  boots?: string;
}

export interface Scenario {
  name: string;
  about: string;
  run(t: Tour): Promise<void>;
}

const HUB_A = "hub-a.azure-devices.net";
const HUB_B = "hub-b.azure-devices.net";
const MIN = 60_000;
const DEVICE_ID = "dev-tour";
/** The demo fleet's OTA key (the scenario signs its manifests with it). */
const OTA_KEY = Buffer.alloc(32, 0x5a).toString("base64");

/** What a scenario script can do: boot and reboot the device, wait, inject faults. */
export class Tour {
  device!: Device;
  hal!: NodeHal;
  private sent = 0;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private readonly storeDir = mkdtempSync(join(tmpdir(), "azdevice-flash-"));
  private readonly realStart = Date.now();
  private totals = { dps: 0, connections: 0, cacheWrites: 0, disconnectedMs: 0, acked: 0 };
  /** Versions booted from slots (a run that flashed an application). */
  readonly boots: string[] = [];
  private slots = false;

  constructor(
    readonly sim: Simulator,
    readonly time: ScaledTime,
    readonly config: DeviceConfig,
    private readonly print: (line: string) => void,
  ) {}

  stamp(): string {
    const ms = this.time.nowMs();
    const m = Math.floor(ms / MIN);
    const s = ((ms % MIN) / 1000).toFixed(1).padStart(4, "0");
    return `[${String(m).padStart(3, " ")}:${s}]`;
  }

  say(line: string): void {
    this.print(`${this.stamp()} ${line}`);
  }

  /** What npm run flash leaves: the application `version` in slot a, a selector naming it. */
  flashApp(version: string): void {
    const store = createFolderStore(this.storeDir);
    store.write(SLOT_A_RECORD, Buffer.from(appBundle(version)).toString("latin1"));
    storeSelector(store, { seq: 1, active: "a", pending: false, tries: 0, previous: "", version, previousVersion: "", rejected: "" });
    this.slots = true;
  }

  /** Starts (or restarts, keeping its flash) the device. With flashed slots the boot stub's
   *  choice (bootSelect) says which application version runs. */
  boot(): void {
    if (this.device) this.keepTotals();
    if (this.device) this.device.stop();
    let appVersion: string | undefined;
    const hosts = { ...this.sim.hosts };
    if (this.slots) {
      const store = createFolderStore(this.storeDir);
      const app = bootApp(store);
      if (!app) throw new Error("tour: the boot stub found no application to run");
      appVersion = app.version;
      this.boots.push(appVersion);
      this.say(`boot    stub: slot ${loadSelector(store)?.active} runs ${appVersion}${app.flags ? " (" + app.flags + ")" : ""}`);
      Object.assign(hosts, app.hosts);
    }
    this.hal = createNodeHal({
      storeDir: this.storeDir,
      time: this.time,
      hosts,
      logLevel: LOG_INFO,
      log: (_level, message) => this.say(`device  ${message}`),
      onReboot: () => setImmediate(() => this.boot()),
    });
    const resolved = resolveConfig({ ca: [this.sim.caPem], ...this.config });
    if (Array.isArray(resolved)) throw new Error(resolved.join("; "));
    this.device = createDevice(resolved as ResolvedConfig, this.hal, { appVersion });
    this.device.onMethod("reboot", (_p, respond) => respond(200, { rebooting: true }));
    this.device.start();
  }

  private keepTotals(): void {
    const s = this.device.stats();
    this.totals.dps += s.dpsRegistrations;
    this.totals.connections += s.hubConnections;
    this.totals.cacheWrites += s.cacheWrites;
    this.totals.disconnectedMs += s.disconnectedMs;
    this.totals.acked += s.telemetryAcknowledged;
  }

  /** Sends a sequence-numbered message every periodMs of virtual time. */
  startTelemetry(periodMs: number): void {
    this.stopTelemetry();
    this.telemetryTimer = setInterval(() => {
      this.sent++;
      this.device.sendTelemetry(JSON.stringify({ seq: this.sent, t: 20 + (this.sent % 7) / 2 }), { "$.ct": "application/json", "$.ce": "utf-8" });
    }, periodMs / this.time.speed);
  }

  stopTelemetry(): void {
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    this.telemetryTimer = undefined;
  }

  /** Waits (scaled time) until cond holds; fails the tour after maxMs of virtual time. */
  async until(what: string, cond: () => boolean, maxMs: number): Promise<void> {
    const deadline = this.time.nowMs() + maxMs;
    while (!cond()) {
      if (this.time.nowMs() > deadline) throw new Error(`tour: "${what}" did not happen within ${maxMs / 1000} s of device time`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async wait(ms: number): Promise<void> {
    const end = this.time.nowMs() + ms;
    await this.until("time passes", () => this.time.nowMs() >= end, ms + MIN);
  }

  connected(): boolean {
    return this.device.stats().status === "Connected";
  }

  /** The `ota` reported property as the cloud sees it. */
  reportedOta(): OtaReport | undefined {
    return this.sim.twin(DEVICE_ID).reported.ota as OtaReport | undefined;
  }

  /** Waits for the outbox to drain, then adds up the run. */
  async finish(scenario: string): Promise<TourSummary> {
    this.stopTelemetry();
    await this.until("every message acknowledged", () => this.device.stats().outboxSize === 0, 30 * MIN);
    this.keepTotals();
    const stats = this.device.stats();
    const seqs = this.sim.telemetry().map((m) => {
      try {
        return JSON.parse(m.payload.toString()).seq as number;
      } catch {
        return -1;
      }
    });
    const unique = new Set(seqs);
    let lost = 0;
    for (let i = 1; i <= this.sent; i++) if (!unique.has(i)) lost++;
    this.device.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
    return {
      scenario,
      messagesSent: this.sent,
      messagesAcknowledged: this.totals.acked,
      messagesLost: lost,
      duplicatesAtHub: seqs.length - unique.size,
      dpsRegistrations: this.sim.counters().dps.registrations,
      hubConnections: this.totals.connections,
      cacheWrites: this.totals.cacheWrites,
      disconnectedSeconds: Math.round(this.totals.disconnectedMs / 1000),
      virtualMinutes: Math.round(this.time.nowMs() / 6000) / 10,
      realSeconds: Math.round((Date.now() - this.realStart) / 100) / 10,
      ...(this.boots.length > 0 ? { boots: this.boots.join(">") } : {}),
      ...(stats.telemetryDropped ? { dropped: stats.telemetryDropped } : {}),
    };
  }
}

/** The whole life of a device, as the issue lists it. */
const tour: Scenario = {
  name: "tour",
  about: "first boot -> stagger -> DPS -> hub -> telemetry -> hub outage -> backoff -> recovery -> token renewal -> moved to hub B -> DPS -> hub B -> reboot with telemetry queued (outbox in flash) -> warm boot (zero DPS calls), the queued messages delivered",
  async run(t) {
    t.say("== first boot: no cached hub, so a staggered wait, then DPS");
    t.boot();
    await t.until("connected", () => t.connected(), 10 * MIN);
    t.startTelemetry(20_000);
    await t.wait(2 * MIN);

    t.say("== hub-a goes down for 4 minutes (TCP refused): watch the backoff");
    await t.sim.hubOutage(HUB_A, 4 * 60, "refuse");
    t.sim.dropHub(HUB_A);
    await t.until("disconnected", () => !t.connected(), MIN);
    await t.until("recovered", () => t.connected(), 15 * MIN);
    t.say("== recovered: the outbox drains, nothing lost");
    await t.until("outbox drained", () => t.device.stats().outboxSize === 0, 5 * MIN);

    t.say("== token lifetime is 10 minutes: renewal at 80 % by a clean reconnect");
    const connections = t.device.stats().hubConnections;
    await t.until("token renewed", () => t.device.stats().hubConnections > connections, 12 * MIN);

    t.say("== the operator moves the device to hub-b: hub-a now refuses it (CONNACK 5)");
    t.sim.moveDevice("dev-tour", HUB_B);
    await t.until("on hub-b", () => t.device.assignment()?.hub === HUB_B && t.connected(), 20 * MIN);
    await t.wait(MIN);

    t.say("== hub-b refuses connections: telemetry queues in the outbox, which is in flash");
    await t.sim.hubOutage(HUB_B, 10 * 60, "refuse");
    t.sim.dropHub(HUB_B);
    await t.until("disconnected", () => !t.connected(), MIN);
    await t.until("three messages queued", () => t.device.stats().outboxSize >= 3, 5 * MIN);
    t.stopTelemetry();
    const queued = t.device.stats().outboxSize;
    const ackedBefore = t.sim.telemetry().length;
    t.say(`== reboot with ${queued} messages still queued; hub-b is back: the cached hub-b is used straight away`);
    await t.sim.endHubOutage(HUB_B);
    const dpsBefore = t.sim.counters().dps.registrations;
    t.boot();
    await t.until("connected after reboot", () => t.connected(), 5 * MIN);
    await t.until("the queued messages delivered", () => t.sim.telemetry().length >= ackedBefore + queued && t.device.stats().outboxSize === 0, 5 * MIN);
    const delivered = t.sim.telemetry().slice(ackedBefore).map((m) => `seq ${JSON.parse(m.payload.toString()).seq} ($.mid ${m.properties["$.mid"]})`);
    t.say(`== delivered after the boot, queued before it: ${delivered.join(", ")}`);
    t.startTelemetry(20_000);
    await t.wait(MIN);
    if (t.sim.counters().dps.registrations !== dpsBefore) throw new Error("tour: the warm boot called DPS");
    t.say("== warm boot: one TLS connection, zero DPS registrations");
  },
};

const outage: Scenario = {
  name: "outage",
  about: "a connected device through a 20-minute hub outage: backoff, the 10-failures-and-15-minutes rule, DPS returning the same hub, recovery",
  async run(t) {
    t.boot();
    await t.until("connected", () => t.connected(), 10 * MIN);
    t.startTelemetry(30_000);
    t.say("== hub-a down for 20 minutes");
    await t.sim.hubOutage(HUB_A, 20 * 60, "refuse");
    t.sim.dropHub(HUB_A);
    await t.until("disconnected", () => !t.connected(), MIN);
    await t.until("recovered", () => t.connected(), 40 * MIN);
    await t.wait(MIN);
  },
};

const renewal: Scenario = {
  name: "renewal",
  about: "three token renewals in a row on a 5-minute token, telemetry flowing throughout",
  async run(t) {
    t.boot();
    await t.until("connected", () => t.connected(), 10 * MIN);
    t.startTelemetry(10_000);
    const start = t.device.stats().hubConnections;
    await t.until("three renewals", () => t.device.stats().hubConnections >= start + 3, 20 * MIN);
  },
};

const update: Scenario = {
  name: "ota",
  about: "application update through the twin: 1.1.0 downloaded, verified, switched and confirmed; then 1.2.0, which cannot connect, rolled back to 1.1.0",
  async run(t) {
    t.flashApp("1.0.0");
    t.boot();
    await t.until("connected", () => t.connected(), 10 * MIN);
    t.startTelemetry(20_000);
    await t.wait(MIN);

    t.say("== the operator announces 1.1.0: a signed manifest in the desired twin, the file on the HTTPS file host");
    t.sim.announceUpdate(DEVICE_ID, { version: "1.1.0", bytes: appBundle("1.1.0"), key: OTA_KEY });
    const confirmed = (v: string) => t.connected() && t.reportedOta()?.current === v && t.reportedOta()?.last?.result === "success";
    await t.until("1.1.0 running and confirmed", () => confirmed("1.1.0"), 30 * MIN);
    t.say(`== reported: ${JSON.stringify(t.reportedOta())}`);
    await t.wait(MIN);

    t.say("== 1.2.0 is announced: a build whose network code is broken (telemetry paused: a broken build's outbox is lost with it)");
    t.stopTelemetry();
    await t.until("outbox drained", () => t.device.stats().outboxSize === 0, 5 * MIN);
    t.sim.announceUpdate(DEVICE_ID, { version: "1.2.0", bytes: appBundle("1.2.0", 40_000, FLAG_NO_NETWORK), key: OTA_KEY });
    await t.until("rolled back to 1.1.0", () => t.connected() && t.reportedOta()?.last?.result === "rolledBack", 60 * MIN);
    t.say(`== reported: ${JSON.stringify(t.reportedOta())}`);
    t.startTelemetry(20_000);
    await t.wait(MIN);
  },
};

export const SCENARIOS: Scenario[] = [tour, outage, renewal, update];

export async function runScenario(scenario: Scenario, options: TourOptions): Promise<TourSummary> {
  // The clock starts once the simulator is up (making its certificates takes real seconds).
  let time: ScaledTime | undefined;
  const sim = await startSimulator({
    clock: { nowMs: () => (time ? time.epochMs() : Date.now()) },
    log: (line) => {
      // Simulator lines without their wall-clock stamp: the tour prints device time.
      const text = line.replace(/^\S+Z\s+/, "");
      if (!time || /listening|subscribe|twin-get|telemetry|puback|method|enrollment/.test(text)) return;
      options.print(`${stampOf(time)} sim     ${text}`);
    },
  });
  time = new ScaledTime(options.speed);
  const enrollment = sim.enrollIndividual("dev-tour");
  const config: DeviceConfig = {
    dps: { idScope: sim.idScope, registrationId: "dev-tour", symmetricKey: enrollment.key },
    tokenLifetimeSeconds: scenario.name === "renewal" ? 300 : 600,
    ota: { key: OTA_KEY, confirmWindowSeconds: 120 },
  };
  const clock = time;
  const t = new Tour(sim, clock, config, options.print);
  try {
    await scenario.run(t);
    return await t.finish(scenario.name);
  } finally {
    t.stopTelemetry();
    clock.clearAll();
    await sim.stop();
  }
}

function stampOf(time: ScaledTime): string {
  const ms = time.nowMs();
  return `[${String(Math.floor(ms / MIN)).padStart(3, " ")}:${((ms % MIN) / 1000).toFixed(1).padStart(4, "0")}]`;
}

export { HUB_A, HUB_B };
