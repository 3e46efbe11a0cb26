// A fake Core for the unit tests of the device's parts (firmware/device/*.ts): a fake HAL
// (clock, timers, store, sockets by hand), a fake link that records connect/close/write and
// lets a test play the session's events, a policy that records what it is told, and
// recording stand-ins for the parts a test does not look at. A test builds the Core, puts
// the real part it checks in place, and drives it.
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import * as assert from "uvu/assert";
import { Hal, Socket, SocketEvents, SocketOptions, Store } from "../../../hal/types";
import { resolveConfig, DeviceConfig, ResolvedConfig } from "../../../firmware/config";
import { ConnectionPolicy } from "../../../firmware/policy/connection";
import { createVerdict } from "../../../firmware/policy/classify";
import { planFleet } from "../../../firmware/policy/fleet";
import { Session, SessionEvents } from "../../../firmware/mqtt/session-api";
import { Core, Inbound, LINK_DPS, LINK_HUB } from "../../../firmware/device/core";
import { Link, LinkUser, MAX_INBOUND } from "../../../firmware/device/link";
import { createLib } from "../../../firmware/device/lib";
import { mpParse, mpGenerate } from "../../mqtt/kit";

/** A base64 key of 32 bytes (a device key, made up). */
export const KEY = Buffer.alloc(32, 7).toString("base64");
export const HUB = "hub-a.azure-devices.net";

/** A DPS device (symmetric key), RAM outbox unless told otherwise. */
export function dpsConfig(extra: Partial<DeviceConfig> = {}): ResolvedConfig {
  return resolved({
    dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY },
    outbox: { persist: false },
    ...extra,
  });
}

/** A hub-only device from a connection string. */
export function hubConfig(connectionString: string, extra: Partial<DeviceConfig> = {}): ResolvedConfig {
  return resolved({ connectionString, outbox: { persist: false }, ...extra });
}

function resolved(raw: DeviceConfig): ResolvedConfig {
  const r = resolveConfig(raw);
  if (Array.isArray(r)) throw new Error("test config refused: " + r.join("; "));
  return r;
}

// ---------------------------------------------------------------- HAL

export interface FakeSocket extends Socket {
  options: SocketOptions;
  events: SocketEvents;
  writes: Uint8Array[];
  closeCalls: number;
}

export interface FakeHal extends Hal {
  /** The monotonic clock, set by the test. */
  t: number;
  utc: number;
  synced: boolean;
  sockets: FakeSocket[];
  timers: Hal["timers"] & { pending: { id: number; ms: number; callback: () => void }[]; cleared: number[] };
  records: Map<string, string>;
  lines: string[];
  reboots: number;
}

export function fakeHal(): FakeHal {
  let nextTimer = 1;
  let rnd = 0x12345678;
  const records = new Map<string, string>();
  const store: Store = {
    read: (name) => records.get(name),
    write: (name, data) => {
      if (name.length === 0 || name.length > 28 || data.length === 0) return false;
      records.set(name, data);
      return true;
    },
    erase: (name) => {
      records.delete(name);
    },
    writeChunk: () => false,
    list: (prefix) => [...records.keys()].filter((k) => k.startsWith(prefix)),
    digest: () => undefined,
  };
  const hal: FakeHal = {
    t: 1000,
    utc: 1_800_000_000,
    synced: true,
    sockets: [],
    records,
    lines: [],
    reboots: 0,
    clock: {
      nowMs: () => hal.t,
      utcSeconds: () => hal.utc,
      isSynced: () => hal.synced,
    },
    timers: {
      pending: [],
      cleared: [],
      setTimer(ms, callback) {
        const id = nextTimer++;
        hal.timers.pending.push({ id, ms, callback });
        return id;
      },
      clearTimer(id) {
        hal.timers.cleared.push(id);
        hal.timers.pending = hal.timers.pending.filter((p) => p.id !== id);
      },
    },
    random32: () => {
      // xorshift: deterministic, never 0
      rnd ^= rnd << 13;
      rnd ^= rnd >>> 17;
      rnd ^= rnd << 5;
      return rnd >>> 0;
    },
    net: {
      connect(options, events) {
        const s: FakeSocket = {
          options,
          events,
          writes: [],
          closeCalls: 0,
          write(bytes) {
            s.writes.push(bytes.slice(0));
            return true;
          },
          close() {
            s.closeCalls++;
          },
        };
        hal.sockets.push(s);
        return s;
      },
    },
    store,
    sha256: (data) => new Uint8Array(createHash("sha256").update(data).digest()),
    crc32: (data) => crc32(typeof data === "string" ? Buffer.from(data, "latin1") : data) >>> 0,
    network: { isUp: () => true, onChange: () => undefined },
    system: {
      reboot: () => {
        hal.reboots++;
      },
      memory: () => ({ used: 0, total: 1, unit: "bytes" }),
      log: (level, message) => {
        hal.lines.push(level + " " + message);
      },
    },
  };
  return hal;
}

// ---------------------------------------------------------------- link

/** What a part asked of the link, and the user it handed over, to play the socket's side. */
export interface FakeLink extends Link {
  connects: { kind: number; options: SocketOptions; session: Session | undefined; user: LinkUser }[];
  closes: boolean[];
  writes: Uint8Array[];
  /** The callbacks each events() call was given, by kind. */
  bound: { kind: number; connack: () => void; suback: () => void; puback: (id: number) => void }[];
  /** MQTT packets written since the last call, parsed (mqtt-packet). */
  sent(): Record<string, any>[];
  /** The last connect's user: the socket opened. */
  opened(): void;
  /** Server -> client bytes through the last connect's user. */
  serve(packet: Record<string, unknown>): void;
}

export function fakeLink(): FakeLink {
  let read = 0;
  const link: FakeLink = {
    kind: 0,
    open: false,
    session: undefined,
    waiting: false,
    inbound: [],
    closeLater: 0,
    closeCode: 0,
    connackCode: -1,
    connects: [],
    closes: [],
    writes: [],
    bound: [],
    connect(kind, options, session, user) {
      link.connects.push({ kind, options, session, user });
      link.kind = kind;
      link.session = session;
      link.open = false;
      link.connackCode = -1;
    },
    close(clean) {
      link.closes.push(clean);
      link.kind = 0;
      link.open = false;
      link.session = undefined;
      link.inbound = [];
    },
    write(bytes) {
      link.writes.push(bytes.slice(0));
    },
    // The same contract as the real link's: send only while this kind is current, inbound
    // queued (bounded), the session's close recorded for later.
    events(kind, connack, suback, puback): SessionEvents {
      link.bound.push({ kind, connack, suback, puback });
      return {
        send: (bytes) => {
          if (link.kind === kind) link.write(bytes);
        },
        connack: (code) => {
          link.connackCode = code;
          if (code === 0) connack();
        },
        message: (topic, payload, qos, _dup, packetId) => {
          if (link.inbound.length >= MAX_INBOUND) return false;
          link.inbound.push({ topic, payload: payload.slice(0), qos, packetId, tooLarge: 0 });
          return qos === 0;
        },
        oversized: (topic, qos, packetId, size) => {
          link.inbound.push({ topic, payload: new Uint8Array(0), qos, packetId, tooLarge: size });
        },
        puback,
        suback,
        unsuback: () => undefined,
        closed: (reason) => {
          link.closeLater = kind;
          link.closeCode = reason;
        },
      };
    },
    sent() {
      const fresh = link.writes.slice(read);
      read = link.writes.length;
      const { packets, error } = mpParse(Buffer.concat(fresh));
      assert.is(error, undefined, "valid MQTT written");
      return packets as unknown as Record<string, any>[];
    },
    opened() {
      link.open = true;
      link.connects[link.connects.length - 1].user.opened();
    },
    serve(packet) {
      link.connects[link.connects.length - 1].user.data(mpGenerate(packet));
    },
  };
  return link;
}

// ---------------------------------------------------------------- policy

/** A policy that records every call as "name arg,arg". */
export function recordingPolicy(calls: string[]): ConnectionPolicy {
  const record = (name: string) => (...args: unknown[]) => {
    calls.push(name + " " + args.slice(1).map((a) => String(a)).join(","));
  };
  return {
    state: 0,
    assignment: undefined,
    hubFailed: record("hubFailed"),
    dpsFailed: record("dpsFailed"),
    hubConnected: record("hubConnected"),
    dpsResponse: record("dpsResponse"),
    requestReprovision: record("requestReprovision"),
    hold: record("hold"),
    nextDeadline: () => -1,
  } as unknown as ConnectionPolicy;
}

// ---------------------------------------------------------------- session stand-in

export interface Published {
  topic: string;
  payload: string;
  qos: number;
  id: number;
}

/** A hub session stand-in for parts that only publish: records, numbers QoS 1 packets. */
export interface RecordingSession extends Session {
  published: Published[];
  discarded: number[];
  acked: number[];
  /** QoS 1 packets not yet acknowledged or discarded. */
  open: Set<number>;
  /** publish answers this when set (a full window, a link down). */
  refuse: number;
}

export function recordingSession(): RecordingSession {
  let nextId = 1;
  const s = {
    published: [] as Published[],
    discarded: [] as number[],
    acked: [] as number[],
    open: new Set<number>(),
    refuse: 0,
    publish(topic: string, payload: Uint8Array, qos: number) {
      if (s.refuse) return s.refuse;
      const id = qos > 0 ? nextId++ : 0;
      if (id) s.open.add(id);
      s.published.push({ topic, payload: Buffer.from(payload).toString("utf8"), qos, id });
      return qos > 0 ? id : 0;
    },
    get inflight() {
      return s.open.size;
    },
    discard(id: number) {
      s.discarded.push(id);
      s.open.delete(id);
      return 0;
    },
    ack(id: number) {
      s.acked.push(id);
      return 0;
    },
  };
  return s as unknown as RecordingSession;
}

// ---------------------------------------------------------------- core

export interface TestCore extends Core {
  hal: FakeHal;
  link: FakeLink;
  /** Policy calls, part calls (stand-ins), settle/schedule counts. */
  calls: string[];
  settles: number;
  schedules: number;
  announced: { value: unknown; full: boolean }[];
}

/** A recording stand-in for a part: every method call is logged as "part.method args". */
export function standIn<T>(name: string, calls: string[], fields: object = {}): T {
  return new Proxy(fields as Record<string, unknown>, {
    get(target, key) {
      if (key in target) return target[key as string];
      return (...args: unknown[]) => {
        calls.push(name + "." + String(key) + " " + args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(","));
      };
    },
  }) as unknown as T;
}

/** A Core around `config`: fake HAL and link, recording policy and parts. A test replaces
 *  the part it checks (core.twin = createTwin(core), ...). */
export function testCore(config: ResolvedConfig): TestCore {
  const hal = fakeHal();
  const calls: string[] = [];
  let rid = 0;
  const core = {
    hal,
    config,
    log: hal.system.log,
    policy: recordingPolicy(calls),
    verdict: createVerdict(),
    fleet: planFleet(undefined),
    stats: {
      dpsRegistrations: 0, dpsPolls: 0, hubConnections: 0, connectAttempts: 0, cacheWrites: 0,
      disconnectedMs: 0, disconnectedSince: -1, accepted: 0, received: 0, tooLarge: 0,
    },
    started: true,
    appVersion: "1.0.0",
    hubSession: undefined,
    link: fakeLink(),
    provisioning: undefined,
    updates: undefined,
    lib: createLib(),
    calls,
    settles: 0,
    schedules: 0,
    announced: [],
    now: () => hal.t,
    nextRid: () => String(++rid),
    settle() {
      core.settles++;
      // What the dispatcher does first after every event: the inbound queue to the part
      // owning the link, then a close the session recorded.
      const link = core.link;
      while (link.inbound.length > 0) {
        const m = link.inbound.shift() as Inbound;
        if (link.kind === LINK_HUB) core.hub.handle(m);
        else if (link.kind === LINK_DPS && core.provisioning) core.provisioning.handle(m);
      }
      if (link.closeLater !== 0) {
        const kind = link.closeLater;
        link.closeLater = 0;
        if (kind === LINK_HUB) core.hub.sessionClosed(link.closeCode);
        else if (core.provisioning) core.provisioning.sessionClosed(link.closeCode);
      }
    },
    schedule() {
      core.schedules++;
    },
    announce(value: unknown, full: boolean) {
      core.announced.push({ value, full });
    },
    stopAll: () => {
      calls.push("stopAll");
    },
  } as unknown as TestCore;
  core.hub = standIn("hub", calls, { deviceId: "", subscribing: false });
  core.twin = standIn("twin", calls, { getRid: "", paused: false, reportedOta: undefined, onDesired: undefined });
  core.methods = standIn("methods", calls, { handlers: {} });
  core.telemetry = standIn("telemetry", calls, { window: 8, onC2D: undefined, outbox: standIn("outbox", calls) });
  return core;
}

/** Policy calls only (the parts' stand-ins log with a dot). */
export function policyCalls(core: TestCore): string[] {
  return core.calls.filter((c) => /^[a-zA-Z]+ /.test(c) && !c.split(" ")[0].includes("."));
}

/** Bytes as text. */
export function text(bytes: Uint8Array | Buffer): string {
  return Buffer.from(bytes).toString("utf8");
}
