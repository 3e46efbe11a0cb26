// A device with application slots for update tests: the real firmware core on the Node HAL
// against the simulator, "flashed" with an application in slot a and its boot selector, and
// powered on the way the boot stub does it (bootSelect from firmware/ota/slots.ts over the
// same store). An application here is a bundle whose first line names its version; one
// marked "no-network" stands for a release whose network code is broken: its device
// cannot reach the hub. Reboots the device asks for power it on again; power can be cut
// before any chosen write to the store.
import { createHash } from "node:crypto";
import { createFolderStore } from "../../hal/node";
import type { Store } from "../../hal/types";
import type { Device } from "../../firmware/device/index";
import type { DeviceConfig } from "../../firmware/config";
import { loadSelector, storeSelector, SLOT_A_RECORD, type Selector } from "../../firmware/ota/slots";
import type { OtaReport } from "../../firmware/ota/agent";
import { appBundle, bootApp } from "../../tools/start/app-bundles";
import { dpsConfig, type World } from "./harness";

export const OTA_KEY = Buffer.alloc(32, 7).toString("base64");
export { appBundle };
export const OTHER_KEY = Buffer.alloc(32, 9).toString("base64");

export const sha256Hex = (data: Uint8Array | string): string =>
  createHash("sha256").update(typeof data === "string" ? Buffer.from(data, "latin1") : data).digest("hex");

export interface OtaDeviceOptions {
  registrationId?: string;
  confirmWindowSeconds?: number;
}

export class OtaDevice {
  device!: Device;
  /** The version of every boot, in order. */
  readonly boots: string[] = [];
  /** Power-ons that found no application to run. */
  readonly bootFailures: string[] = [];
  readonly config: DeviceConfig;
  readonly deviceId: string;
  /** Mutating store operations of the running device ("write name", "chunk name", "erase name"). */
  readonly storeOps: string[] = [];
  private cutAt = -1;
  private opsSeen = 0;
  private readonly folder: Store;

  constructor(readonly world: World, options: OtaDeviceOptions = {}) {
    const id = options.registrationId ?? "dev1";
    this.deviceId = id;
    const enrollment = world.sim.enrollIndividual(id);
    this.config = dpsConfig(world.sim, id, enrollment.key, {
      ota: { key: OTA_KEY, confirmWindowSeconds: options.confirmWindowSeconds ?? 300 },
      telemetryIntervalSeconds: 0,
    });
    this.folder = createFolderStore(world.storeDir);
  }

  /** What `npm run flash` leaves: the application in slot a and a selector naming it. */
  flash(version: string): void {
    this.folder.write(SLOT_A_RECORD, Buffer.from(appBundle(version)).toString("latin1"));
    storeSelector(this.folder, { seq: 1, active: "a", pending: false, tries: 0, previous: "", version, previousVersion: "", rejected: "" });
  }

  /** Power on: the boot stub picks the slot (and counts a trial boot), the application runs. */
  powerOn(): void {
    const app = bootApp(this.folder);
    if (!app) {
      // A bricked device: the test sees it in bootFailures (throwing here would end the run).
      this.bootFailures.push("the boot stub found no application to run");
      return;
    }
    this.boots.push(app.version);
    const { device } = this.world.boot(this.config, {
      appVersion: app.version,
      hosts: app.hosts,
      seed: 42 + this.boots.length,
      onReboot: () => setImmediate(() => this.powerOn()),
      store: (folder) => this.counting(folder),
    });
    this.device = device;
  }

  /** Cuts the power just before the n-th (1-based) mutating store operation from now on; it
   *  does not happen, and the device powers on again. */
  cutPowerBefore(n: number): void {
    this.cutAt = this.opsSeen + n;
  }

  selector(): Selector | undefined {
    return loadSelector(this.folder);
  }

  read(name: string): string | undefined {
    return this.folder.read(name);
  }

  reported(): OtaReport | undefined {
    if (!this.world.sim.device(this.deviceId)) return undefined; // not registered yet
    return this.world.sim.twin(this.deviceId).reported.ota as OtaReport | undefined;
  }

  /** The application running now has confirmed itself at `version` (the cloud sees it). */
  runs(version: string): boolean {
    const r = this.reported();
    return this.device.stats().status === "Connected" && r !== undefined && r.current === version && r.state === "idle" &&
      this.selector()?.pending === false && this.boots[this.boots.length - 1] === version;
  }

  private counting(folder: Store): Store {
    const gate = (op: string): boolean => {
      this.opsSeen++;
      if (this.opsSeen === this.cutAt) {
        this.cutAt = -1;
        this.storeOps.push("CUT before " + op);
        this.world.hal?.powerOff();
        setImmediate(() => this.powerOn());
        return false;
      }
      this.storeOps.push(op);
      return true;
    };
    return {
      read: (name) => folder.read(name),
      write: (name, data) => gate("write " + name) && folder.write(name, data),
      erase: (name) => {
        if (gate("erase " + name)) folder.erase(name);
      },
      writeChunk: (name, data, offset, size) => gate("chunk " + name) && folder.writeChunk(name, data, offset, size),
      list: (prefix) => folder.list(prefix),
      digest: (name) => folder.digest(name),
    };
  }
}
