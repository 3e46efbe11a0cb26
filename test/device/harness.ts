// The device under test: the real firmware core on the Node HAL, over real TLS on loopback,
// against the simulator, with one virtual clock shared by the device and the simulator so
// 15-minute rules take milliseconds. Real I/O settles before each virtual timer fires.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDevice, Device } from "../../firmware/device/index";
import { resolveConfig, DeviceConfig, ResolvedConfig } from "../../firmware/config";
import { createNodeHal, createFolderStore, NodeHal } from "../../hal/node";
import { VirtualTime } from "../../hal/node-time";
import { LOG_INFO, Store } from "../../hal/types";
import { startSimulator, Simulator, SimulatorOptions } from "../../tools/hub-sim/index";
import { createTestCa, TestCa } from "../../tools/tls/certs";
import { createPrng } from "../helpers/prng";

let sharedCa: TestCa | undefined;
/** One CA for the whole run: RSA key generation is the slow part of starting a simulator. */
export function testCa(): TestCa {
  if (!sharedCa) sharedCa = createTestCa();
  return sharedCa;
}

export interface World {
  time: VirtualTime;
  sim: Simulator;
  storeDir: string;
  /** Every status the devices reported, "Status/Reason". */
  statuses: string[];
  logs: string[];
  /** Device log lines with the virtual time they were written at. */
  timeline: Array<[number, string]>;
  /** Virtual times at which the device started a connection to host (from its log). */
  connectTimes(host?: string): number[];
  /** A device on the Node HAL (same store across calls = a reboot keeps its flash). */
  boot(config: DeviceConfig, options?: BootOptions): { device: Device; hal: NodeHal };
  /** Moves virtual time, letting real I/O settle before each timer. */
  advance(ms: number): Promise<void>;
  /** Advances virtual time, timer by timer (at most stepMs at once), until cond holds;
   *  throws after maxMs of virtual time. Returns the virtual time it took. */
  advanceUntil(cond: () => boolean, maxMs: number, stepMs?: number): Promise<number>;
  /** Runs a service-side action and waits (real time) until the device received what it
   *  sent, so virtual time never runs ahead of a message still on the wire. */
  delivered<T>(device: Device, action: () => T, messages?: number): Promise<{ result: T }>;
  /** Waits in real time (virtual time frozen) for cond. */
  until(cond: () => boolean, realMs?: number): Promise<void>;
  stop(): Promise<void>;
  hal: NodeHal | undefined;
}

export interface BootOptions {
  seed?: number;
  start?: boolean;
  hosts?: Record<string, string>;
  networkUp?: boolean;
  /** The running application's version (createDevice options). */
  appVersion?: string;
  /** The device asked for a reboot (hal.system.reboot). */
  onReboot?: () => void;
  /** Wraps the folder store (tests that cut the power at a chosen write). */
  store?: (folder: Store) => Store;
}

export interface WorldOptions {
  sim?: SimulatorOptions;
  /** Print device and simulator lines (debugging). */
  verbose?: boolean;
  /** Real time to wait for an awaited answer before virtual time moves on (default 3 s). */
  replyWaitMs?: number;
}

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const time = new VirtualTime(Date.now());
  const logs: string[] = [];
  const sim = await startSimulator({
    ca: testCa(),
    clock: { nowMs: () => time.epochMs() },
    log: (line) => {
      logs.push("sim " + line);
      if (options.verbose) console.log(`[${time.nowMs()}] sim ${line}`);
    },
    ...options.sim,
  });
  const storeDir = mkdtempSync(join(tmpdir(), "device-store-"));
  const devices: Array<{ device: Device; hal: NodeHal }> = [];
  /** Before a virtual timer fires: let sockets go quiet and any awaited answer arrive. */
  const settleIo = async (): Promise<void> => {
    // The simulator's clock-driven work (held PUBACKs, shaping, outages, expiry) first.
    sim.sweep();
    const live = devices[devices.length - 1];
    if (!live) return;
    const start = Date.now();
    for (;;) {
      await live.hal.quiet(4);
      if (!live.device.internal!.awaitingReply() || Date.now() - start > (options.replyWaitMs ?? 3000)) {
        if (process.env.HARNESS_DEBUG && Date.now() - start > 200) console.log(`settle took ${Date.now() - start} ms at ${time.nowMs()} awaiting=${live.device.internal!.awaitingReply()}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const world: World = {
    time,
    sim,
    storeDir,
    statuses: [],
    logs,
    timeline: [],
    connectTimes(host) {
      return world.timeline
        .filter(([, line]) => line.startsWith("connecting to ") && (!host || line.startsWith("connecting to " + host)))
        .map(([t]) => t);
    },
    hal: undefined,
    boot(config, bootOptions = {}) {
      for (const d of devices) d.device.stop();
      const prng = createPrng(bootOptions.seed ?? 42);
      const hal = createNodeHal({
        storeDir,
        time,
        hosts: { ...sim.hosts, ...bootOptions.hosts },
        random32: () => Math.floor(prng.next() * 4294967296) >>> 0,
        logLevel: LOG_INFO,
        store: bootOptions.store ? bootOptions.store(createFolderStore(storeDir)) : undefined,
        onReboot: bootOptions.onReboot ?? (() => {
          throw new Error("the device asked for a reboot and the test has no onReboot");
        }),
        log: (_level, message) => {
          logs.push(message);
          world.timeline.push([time.nowMs(), message]);
          if (options.verbose) console.log(`[${time.nowMs()}] dev ${message}`);
        },
      });
      const resolved = resolveConfig({ ca: [sim.caPem], ...config });
      if (Array.isArray(resolved)) throw new Error("bad test config: " + resolved.join("; "));
      const device = createDevice(resolved as ResolvedConfig, hal, { appVersion: bootOptions.appVersion });
      device.onStatus((s, r) => world.statuses.push(`${s}/${r}`));
      devices.push({ device, hal });
      world.hal = hal;
      if (bootOptions.networkUp === false) hal.setNetworkUp(false);
      if (bootOptions.start !== false) device.start();
      return { device, hal };
    },
    async advance(ms) {
      await time.advance(ms, settleIo);
    },
    async advanceUntil(cond, maxMs, stepMs = 60_000) {
      // Jump from timer to timer: nothing changes between them but real I/O, which settles
      // inside advance().
      const start = time.nowMs();
      while (!cond()) {
        const spent = time.nowMs() - start;
        if (spent >= maxMs) throw new Error(`condition not met within ${maxMs} ms of virtual time`);
        const next = time.nextDue();
        let step = next === undefined ? stepMs : Math.max(next, 0);
        if (step > stepMs) step = stepMs;
        if (step > maxMs - spent) step = maxMs - spent;
        await world.advance(step);
      }
      return time.nowMs() - start;
    },
    async delivered(device, action, messages = 1) {
      const before = device.internal!.messagesReceived();
      const result = action();
      await world.until(() => device.internal!.messagesReceived() >= before + messages);
      await world.advance(0);
      return { result }; // wrapped: a promise result must not be awaited here
    },
    async until(cond, realMs = 10000) {
      const start = Date.now();
      while (!cond()) {
        if (Date.now() - start > realMs) throw new Error("condition not met in real time");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      for (const d of devices) d.device.stop();
      await sim.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return world;
}

/** A DPS config for an individual enrollment in the simulator. */
export function dpsConfig(sim: Simulator, registrationId: string, key: string, extra: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    dps: { idScope: sim.idScope, registrationId, symmetricKey: key, endpoint: "global.azure-devices-provisioning.net" },
    ...extra,
  };
}
