// The device: the one firmware part that talks to the HAL. This file is the dispatcher: the
// public API, the one timer, the policy's actions and the order in which the parts act after
// every event. The parts:
//   link.ts        the one socket; hub, DPS and an update download take turns
//   hub.ts         the hub connection and where its messages go
//   twin.ts        desired and reported properties
//   methods.ts     direct methods
//   telemetry.ts   the outbox, telemetry and C2D
//   assignment.ts  the assigned hub in flash
//   update-gate.ts whether the update agent is needed at all
//   provisioning.ts and updates.ts are loaded on demand (hal.load) and dropped after use.
import { Hal, LOG_ERROR, LOG_INFO } from "../../hal/types";
import { ConnectionPolicy, PolicyActions, defaultPolicyConfig, statusName, RETRY_NONE, RETRY_EXPONENTIAL, STATUS_CONNECTED, STATE_HUB_CONNECTED, STATE_HUB_CONNECTING, STATE_DPS_ACTIVE, TARGET_DPS } from "../policy/connection";
import { createVerdict, KIND_DPS_SOCKET } from "../policy/classify";
import { planFleet } from "../policy/fleet";
import { reasonName, SOCKET_ERROR, REASON_LOW_MEMORY } from "../status";
import { ResolvedConfig, AUTH_KEY } from "../config";
import { PropertyBag } from "../azure/hub-topics";
import { SESSION_UP } from "../mqtt/session";
import { RamOutbox } from "../outbox";
import { APP_VERSION } from "../version";
import { Device, DeviceOptions, DeviceStats, StatusCallback, MethodHandler, DesiredCallback, C2dCallback } from "./api";
import { Core, Inbound, Provisioning, Updates, LINK_DPS, LINK_HUB, earliest } from "./core";
import { createLink, MAX_INBOUND } from "./link";
import { createHub } from "./hub";
import { createTwin } from "./twin";
import { createMethods } from "./methods";
import { createTelemetry } from "./telemetry";
import { createAssignmentStore } from "./assignment";
import { updateNeeded, updateUnderWay } from "./update-gate";
import { createLib } from "./lib";

export { REPROVISION_METHOD } from "./api";
export type { Device, DeviceOptions, DeviceStats, StatusCallback, MethodHandler, DesiredCallback, C2dCallback } from "./api";

/** Names of the on-demand parts, as hal.load knows them. */
export const MODULE_PROVISIONING = "provisioning";
export const MODULE_UPDATES = "updates";
export type ProvisioningFactory = (core: Core) => Provisioning;
export type UpdatesFactory = (core: Core, seed: unknown) => Updates;

/** Memory is low below 1/16 of the pool free, and recovered above 1/8. */
const LOW_MEMORY_SHIFT = 4;
/** How often the pool is looked at (after events). */
const MEMORY_CHECK_MS = 1000;
/** When a timer run is cut short (out of memory), the next one this much later. */
const INTERRUPTED_RETRY_MS = 1000;

export function createDevice(config: ResolvedConfig, hal: Hal, options?: DeviceOptions): Device {
  const log = hal.system.log;
  const fleet = planFleet(config.fleet);
  const policyConfig = defaultPolicyConfig(fleet);
  policyConfig.fleetSettings = config.fleet;
  policyConfig.useDps = config.useDps;
  policyConfig.needsClock = config.auth === AUTH_KEY;
  policyConfig.renewAfterMs = config.auth === AUTH_KEY ? config.tokenLifetimeSeconds * 800 : 0;
  policyConfig.retryMode = config.retryNone ? RETRY_NONE : RETRY_EXPONENTIAL;
  policyConfig.maxAttempts = config.maxAttempts;
  policyConfig.operationTimeoutMs = config.operationTimeoutMs;
  policyConfig.stopOnRetryExpired = config.stopOnRetryExpired;
  policyConfig.hubMinGapMs = config.hubMinGapMs || 0;

  let timer = 0;
  let timerAt = -1;
  let ridCounter = 0;
  let statusText = "Disconnected";
  let reasonText = "None";
  let statusCallbacks: StatusCallback[] = [];
  let lowMemory = false;
  let memoryCheckedAt = -1;
  /** The desired `ota` value last seen, for the next update agent loaded. */
  let otaSeed: unknown = undefined;

  const core = {
    hal: hal,
    config: config,
    log: log,
    verdict: createVerdict(),
    fleet: fleet,
    stats: {
      dpsRegistrations: 0, dpsPolls: 0, hubConnections: 0, connectAttempts: 0, cacheWrites: 0,
      disconnectedMs: 0, disconnectedSince: -1, accepted: 0, received: 0, tooLarge: 0,
    },
    started: false,
    appVersion: options && options.appVersion ? options.appVersion : APP_VERSION,
    provisioning: undefined,
    updates: undefined,
    lib: createLib(),
    // The clock's own function (it uses no `this`): a wrapper would cost a function.
    now: hal.clock.nowMs,
    nextRid: function (): string {
      ridCounter = (ridCounter + 1) % 1000000;
      return String(ridCounter);
    },
  } as unknown as Core;

  core.link = createLink(core);
  core.telemetry = createTelemetry(core);
  core.twin = createTwin(core);
  core.methods = createMethods(core);
  core.hub = createHub(core);
  const assignments = createAssignmentStore(core);

  /** An on-demand part from Storage (the device) or the module table (Node). */
  function load(name: string): unknown {
    const factory = hal.load ? hal.load(name) : undefined;
    if (!factory) log(LOG_ERROR, "cannot load " + name);
    return factory;
  }

  function loadUpdates(): Updates | undefined {
    if (!core.updates) {
      const factory = load(MODULE_UPDATES) as UpdatesFactory | undefined;
      if (factory) core.updates = factory(core, otaSeed);
    }
    return core.updates;
  }

  function announce(value: unknown, full: boolean): void {
    if (!core.updates && full && !updateNeeded(core.appVersion, value, core.twin.reportedOta)) {
      otaSeed = value;
      return;
    }
    const updates = loadUpdates();
    if (!updates) return;
    updates.desired(value, full);
    otaSeed = updates.value();
  }

  /** After every event: act on what the sessions recorded, then re-arm the timer. */
  function settle(): void {
    const link = core.link;
    let guard = 0;
    while (link.inbound.length > 0 && guard++ < MAX_INBOUND * 2) {
      const m = link.inbound.shift() as Inbound;
      if (link.kind === LINK_DPS) {
        if (core.provisioning) core.provisioning.handle(m);
      } else if (link.kind === LINK_HUB) core.hub.handle(m);
    }
    if (link.closeLater !== 0) {
      const kind = link.closeLater;
      link.closeLater = 0;
      if (kind === LINK_HUB) core.hub.sessionClosed(link.closeCode);
      else if (core.provisioning) core.provisioning.sessionClosed(link.closeCode);
      else core.policy.dpsFailed(core.now(), KIND_DPS_SOCKET, SOCKET_ERROR, 0);
    }
    if (core.updates) {
      core.updates.step();
      if (core.updates && core.updates.idle()) core.updates = undefined;
    }
    watchMemory();
    pump();
    schedule();
  }

  /** Running out of variables is said, and survived: below 1/16 of the pool free the device
   *  logs it, tells the status callbacks (reason LowMemory), drops the older half of a RAM
   *  outbox and holds full twin reads until memory is back above 1/8. */
  function watchMemory(): void {
    const t = core.now();
    if (memoryCheckedAt >= 0 && t - memoryCheckedAt < MEMORY_CHECK_MS) return;
    memoryCheckedAt = t;
    const m = hal.system.memory();
    if (m.unit !== "jsvars") return;
    const free = m.total - m.used;
    const low = lowMemory ? free < m.total >> (LOW_MEMORY_SHIFT - 1) : free < m.total >> LOW_MEMORY_SHIFT;
    if (low === lowMemory) return;
    lowMemory = low;
    core.twin.paused = low;
    if (low) {
      log(LOG_ERROR, "low memory: " + free + " of " + m.total + " JsVars free; dropping older queued telemetry held in RAM, holding twin reads");
      // A RAM outbox gives up its older half (a flash outbox holds little RAM).
      const telemetry = core.telemetry;
      if (!config.outboxPersist) (telemetry.outbox as RamOutbox).shed(telemetry.outbox.size >> 1, telemetry.dropped);
    } else {
      log(LOG_INFO, "memory recovered: " + free + " of " + m.total + " JsVars free");
    }
    tell(low ? reasonName(REASON_LOW_MEMORY) : reasonText);
  }

  function tell(reason: string): void {
    for (let i = 0; i < statusCallbacks.length; i++) {
      try {
        statusCallbacks[i](statusText, reason);
      } catch (e) {
        log(LOG_ERROR, "status handler threw: " + (e as { message?: string }).message);
      }
    }
  }

  /** Moves queued telemetry and reported patches into the hub session while it has room. */
  function pump(): void {
    if (core.link.kind !== LINK_HUB || core.policy.state !== STATE_HUB_CONNECTED) return;
    const t = core.now();
    core.telemetry.pump(t);
    core.twin.pump(t);
  }

  function schedule(): void {
    if (!core.started) return;
    const t = core.now();
    let at = core.policy.nextDeadline();
    const session = core.link.session;
    if (session) {
      const delay = session.tick(t);
      if (delay >= 0) at = earliest(at, t + delay);
    }
    at = earliest(at, core.twin.timers(t, core.policy.state === STATE_HUB_CONNECTED, false));
    at = earliest(at, core.methods.timers(t, false));
    if (core.updates) at = earliest(at, core.updates.nextDeadline());
    if (at === timerAt && timer !== 0) return;
    if (timer !== 0) hal.timers.clearTimer(timer);
    timer = 0;
    timerAt = at;
    if (at < 0) return;
    timer = hal.timers.setTimer(at - t > 0 ? at - t : 0, onTimer);
  }

  function onTimer(): void {
    timer = 0;
    timerAt = -1;
    if (!core.started) return;
    // A fallback first: Espruino cuts a callback short when it runs out of memory, and this
    // one would then never re-arm itself (the device would hang). schedule() replaces it
    // (timerAt -2 matches no deadline).
    timer = hal.timers.setTimer(INTERRUPTED_RETRY_MS, onTimer);
    timerAt = -2;
    // Before the work a deadline may start (a connection takes a few hundred JsVars): a low
    // pool sheds the RAM outbox first instead of running out halfway.
    watchMemory();
    const t = core.now();
    const policy = core.policy;
    policy.setClockSynced(hal.clock.isSynced());
    if (core.link.session) core.link.session.tick(t);
    core.twin.timers(t, policy.state === STATE_HUB_CONNECTED, true);
    core.methods.timers(t, true);
    policy.tick(t);
    if (core.updates) core.updates.tick();
    settle();
  }

  function stopAll(): void {
    core.policy.stop();
    core.link.close(true);
    if (core.updates) core.updates.stop();
    core.started = false;
    if (timer !== 0) hal.timers.clearTimer(timer);
    timer = 0;
    timerAt = -1;
  }

  core.settle = settle;
  core.schedule = schedule;
  core.announce = announce;
  core.stopAll = stopAll;

  const actions: PolicyActions = {
    connectDps: function () {
      if (!core.provisioning) {
        const factory = load(MODULE_PROVISIONING) as ProvisioningFactory | undefined;
        if (!factory) {
          core.policy.dpsFailed(core.now(), KIND_DPS_SOCKET, SOCKET_ERROR, 0);
          return;
        }
        core.provisioning = factory(core);
      }
      core.provisioning.connect();
    },
    pollDps: function (operationId: string) {
      if (core.provisioning) core.provisioning.poll(operationId);
    },
    connectHub: function (hub: string, deviceId: string) {
      if (core.provisioning) {
        // Provisioning is over: its code and session are dropped. They are still referenced
        // here (this runs inside its handler) and by the DPS socket until its close report, so
        // the hub connects on a later tick: a small pool cannot hold both sessions at once.
        core.provisioning = undefined;
        hal.timers.setTimer(1, function () {
          if (core.policy.state === STATE_HUB_CONNECTING && core.link.kind === 0) core.hub.connect(hub, deviceId);
        });
        return;
      }
      core.hub.connect(hub, deviceId);
    },
    close: function (target: number, clean: boolean) {
      if (core.link.kind === (target === TARGET_DPS ? LINK_DPS : LINK_HUB)) core.link.close(clean);
    },
    // The store's own functions (they use no `this`): a wrapper each would cost a function.
    saveAssignment: assignments.save,
    forgetAssignment: assignments.forget,
    status: function (status: number, reason: number) {
      const t = core.now();
      const stats = core.stats;
      if (status === STATUS_CONNECTED && stats.disconnectedSince >= 0) {
        stats.disconnectedMs += t - stats.disconnectedSince;
        stats.disconnectedSince = -1;
      } else if (status !== STATUS_CONNECTED && stats.disconnectedSince < 0) {
        stats.disconnectedSince = t;
      }
      if (status !== STATUS_CONNECTED && core.updates) core.updates.disconnected();
      statusText = statusName(status);
      reasonText = reasonName(reason);
      log(LOG_INFO, "status " + statusText + (reason ? " (" + reasonText + ")" : ""));
      tell(reasonText);
    },
    // The HAL's log itself (the policy passes NOTE_LEVEL): a wrapper would cost a function.
    note: log,
  };

  core.policy = new ConnectionPolicy(policyConfig, actions, hal.random32);

  hal.network.onChange(function (up: boolean) {
    if (!core.started) return;
    core.policy.networkChanged(core.now(), up);
    if (core.updates) core.updates.networkChanged(up);
    settle();
  });

  return {
    start: function () {
      if (core.started) return;
      core.started = true;
      core.stats.disconnectedSince = core.now();
      core.policy.setClockSynced(hal.clock.isSynced());
      core.policy.start(core.now(), assignments.load(), hal.network.isUp(), hal.clock.isSynced());
      if (config.otaKey !== "" && updateUnderWay(hal.store)) loadUpdates();
      settle();
    },
    stop: function () {
      if (!core.started) return;
      stopAll();
    },
    onStatus: function (callback: StatusCallback) {
      statusCallbacks = statusCallbacks.concat([callback]);
    },
    onMethod: function (name: string, handler: MethodHandler) {
      core.methods.handlers[name] = handler;
    },
    onDesired: function (callback: DesiredCallback) {
      core.twin.onDesired = callback;
    },
    onC2D: function (callback: C2dCallback) {
      core.telemetry.onC2D = callback;
    },
    sendTelemetry: function (body: string | Uint8Array, properties?: PropertyBag) {
      const seq = core.telemetry.send(body, properties);
      if (core.started) {
        pump();
        schedule();
      }
      return seq;
    },
    reportProperties: function (patch: { [k: string]: unknown }) {
      const r = core.twin.report(patch);
      if (r === 0 && core.started) {
        pump();
        schedule();
      }
      return r;
    },
    stats: function (): DeviceStats {
      const t = core.now();
      const stats = core.stats;
      const outbox = core.telemetry.outbox;
      return {
        telemetryAccepted: stats.accepted,
        telemetryAcknowledged: outbox.acknowledged,
        telemetryDropped: outbox.dropped,
        telemetryRefused: outbox.refused,
        outboxSize: outbox.size,
        outboxDamaged: outbox.damaged,
        dpsRegistrations: stats.dpsRegistrations,
        dpsPolls: stats.dpsPolls,
        hubConnections: stats.hubConnections,
        connectAttempts: stats.connectAttempts,
        cacheWrites: stats.cacheWrites,
        messagesTooLarge: stats.tooLarge,
        disconnectedMs: stats.disconnectedMs + (stats.disconnectedSince >= 0 ? t - stats.disconnectedSince : 0),
        status: statusText,
        reason: reasonText,
      };
    },
    assignment: function () {
      const a = core.policy.assignment;
      return a ? { hub: a.hub, deviceId: a.deviceId } : undefined;
    },
    internal: hal.testHooks ? {
      awaitingReply: function () {
        const link = core.link;
        if (link.waiting) return true;
        if (link.kind === 0 || !link.session) return false;
        if (!link.open || link.session.state !== SESSION_UP || link.session.pinging) return true;
        if (link.kind === LINK_DPS) return core.policy.state === STATE_DPS_ACTIVE;
        return core.policy.state === STATE_HUB_CONNECTED && (core.twin.getRid !== "" || core.hub.subscribing);
      },
      messagesReceived: function () {
        return core.stats.received;
      },
    } : undefined,
  };
}
