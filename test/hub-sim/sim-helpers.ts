// Test fixtures: a simulator on a virtual clock, and clients that speak DPS and hub MQTT.
import type { IPublishPacket } from "mqtt-packet";
import { startSimulator, type Simulator, type SimulatorOptions } from "../../tools/hub-sim/index";
import {
  TestClient,
  VirtualClock,
  dpsPassword,
  dpsUsername,
  hubPassword,
  hubUsername,
  json,
  testCa,
} from "./mqtt-client";

export const HUB_A = "hub-a.azure-devices.net";
export const HUB_B = "hub-b.azure-devices.net";
export const KEY = Buffer.alloc(32, 7).toString("base64");
export const OTHER_KEY = Buffer.alloc(32, 9).toString("base64");

export interface Fixture {
  sim: Simulator;
  clock: VirtualClock;
  clients: TestClient[];
  /** se one hour ahead of the virtual clock. */
  se(): number;
}

/** Starts a simulator on a virtual clock (no real sweep interval). */
export async function fixture(options: SimulatorOptions = {}): Promise<Fixture> {
  const clock = new VirtualClock();
  const sim = await startSimulator({ clock, ca: testCa(), sweepIntervalMs: 0, ...options });
  return { sim, clock, clients: [], se: () => clock.seconds + 3600 };
}

export async function teardown(f: Fixture | undefined): Promise<void> {
  if (!f) return;
  for (const c of f.clients) c.close();
  await f.sim.stop();
}

/** A TLS connection to a host of the simulator (not yet MQTT-connected). */
export async function open(f: Fixture, host: string): Promise<TestClient> {
  const c = await TestClient.open({ host, address: f.sim.hosts[host], caPem: f.sim.caPem });
  f.clients.push(c);
  return c;
}

/** Connected and subscribed to DPS responses with a good token. */
export async function dpsClient(f: Fixture, registrationId: string, key: string, password?: string): Promise<TestClient> {
  const c = await open(f, f.sim.dpsHost);
  const ack = await c.connect(registrationId, dpsUsername(f.sim.idScope, registrationId), password ?? dpsPassword(f.sim.idScope, registrationId, key, f.se()));
  if (ack.returnCode !== 0) throw new Error("DPS CONNACK " + ack.returnCode);
  await c.subscribe(["$dps/registrations/res/#"]);
  return c;
}

export interface DpsAnswer {
  status: number;
  topic: string;
  body: Record<string, unknown>;
  retryAfter: number | undefined;
}

export function dpsAnswer(p: IPublishPacket): DpsAnswer {
  const m = /^\$dps\/registrations\/res\/(\d+)\/\?(.*)$/.exec(p.topic);
  if (!m) throw new Error("not a DPS response: " + p.topic);
  const ra = /(?:^|&)retry-after=(\d+)/.exec(m[2]);
  return { status: Number(m[1]), topic: p.topic, body: json(p), retryAfter: ra ? Number(ra[1]) : undefined };
}

let rid = 100;

export async function register(c: TestClient, registrationId: string, body?: unknown): Promise<DpsAnswer> {
  const r = ++rid;
  c.publish("$dps/registrations/PUT/iotdps-register/?$rid=" + r, JSON.stringify(body ?? { registrationId }), 1);
  return dpsAnswer(await c.message("$dps/registrations/res/"));
}

export async function poll(c: TestClient, operationId: string): Promise<DpsAnswer> {
  const r = ++rid;
  c.publish("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=" + r + "&operationId=" + operationId, "", 1);
  return dpsAnswer(await c.message("$dps/registrations/res/"));
}

/** register then poll once; returns the poll answer. */
export async function provision(f: Fixture, registrationId: string, key: string): Promise<DpsAnswer> {
  const c = await dpsClient(f, registrationId, key);
  const first = await register(c, registrationId);
  if (first.status !== 202) throw new Error("register answered " + first.status);
  const answer = await poll(c, String(first.body.operationId));
  c.close();
  return answer;
}

/** Hub connection (not asserting the CONNACK code). */
export async function hubConnect(
  f: Fixture,
  host: string,
  deviceId: string,
  key: string,
  options: { se?: number; clean?: boolean; password?: string; username?: string } = {},
): Promise<{ client: TestClient; code: number; sessionPresent: boolean }> {
  const c = await open(f, host);
  const ack = await c.connect(
    deviceId,
    options.username ?? hubUsername(host, deviceId),
    options.password ?? hubPassword(host, deviceId, key, options.se ?? f.se()),
    { clean: options.clean ?? true },
  );
  return { client: c, code: ack.returnCode ?? 0, sessionPresent: ack.sessionPresent === true };
}

/** Hub connection that must be accepted. */
export async function hubClient(f: Fixture, host: string, deviceId: string, key: string, options: { clean?: boolean; se?: number } = {}): Promise<TestClient> {
  const r = await hubConnect(f, host, deviceId, key, options);
  if (r.code !== 0) throw new Error("hub CONNACK " + r.code);
  return r.client;
}
