// The fleet simulator driving real ConnectionPolicy objects (firmware/policy/connection.ts),
// one per device. Too heavy for a million devices; it exists so a test can run it beside
// OursModel (the same rules over typed arrays) and require the two runs to be identical.
import { ConnectionPolicy, PolicyActions, defaultPolicyConfig } from "../../firmware/policy/connection";
import type { FleetPlan } from "../../firmware/policy/fleet";
import type { Core, DeviceModel } from "./sim";

const HUB_NAMES = ["", "hub-a.azure-devices.net", "hub-b.azure-devices.net"];

export class ReferenceModel implements DeviceModel {
  readonly name = "ours (ConnectionPolicy objects)";
  readonly connectTimeoutMs: number;
  private readonly policies: ConnectionPolicy[] = [];
  private readonly core: Core;

  constructor(core: Core, plan: FleetPlan) {
    this.core = core;
    const config = defaultPolicyConfig(plan);
    this.connectTimeoutMs = config.connectTimeoutMs;
    const random32 = (): number => core.rand();
    for (let d = 0; d < core.n; d++) {
      const device = d;
      // The policy calls its actions without a time: they happen at the time of the call
      // that triggered them, which `at` holds.
      const actions: PolicyActions = {
        connectDps: () => core.registerDps(device, this.at),
        pollDps: () => core.pollDps(device, this.at),
        closeDps: () => {},
        connectHub: (hub: string) => core.connectHub(device, HUB_NAMES.indexOf(hub), this.at),
        closeHub: () => {},
        saveAssignment: () => {},
        forgetAssignment: () => {},
        status: () => {},
        note: () => {},
      };
      this.policies.push(new ConnectionPolicy(config, actions, random32));
    }
  }

  private at = 0;

  /** Runs one policy call at `now`, then re-arms the device's timer from nextDeadline(). */
  private call(d: number, now: number, fn: (p: ConnectionPolicy) => void): void {
    this.at = now;
    const p = this.policies[d];
    fn(p);
    this.core.setTimer(d, p.nextDeadline());
  }

  boot(d: number, now: number, cachedHub: number): void {
    this.call(d, now, (p) => p.start(now, cachedHub !== 0 ? { hub: HUB_NAMES[cachedHub], deviceId: `dev-${d}` } : undefined, true, true));
  }

  timer(d: number, now: number): void {
    this.call(d, now, (p) => p.tick(now));
  }

  hubConnected(d: number, now: number): void {
    this.call(d, now, (p) => p.hubConnected(now));
  }

  hubFailed(d: number, now: number, kind: number, code: number): void {
    this.call(d, now, (p) => p.hubFailed(now, kind, code));
  }

  dpsReply(d: number, now: number, status: number, opStatus: number, retryAfterS: number, hub: number): void {
    this.call(d, now, (p) => p.dpsResponse(now, status, opStatus, retryAfterS, status === 202 ? "op" : "", HUB_NAMES[hub], `dev-${d}`, true));
  }

  dpsFailed(d: number, now: number, kind: number, code: number): void {
    this.call(d, now, (p) => p.dpsFailed(now, kind, code, 0));
  }
}
