// One IoT Hub: an aedes broker behind a TLS host, with the hub's rules:
// CONNECT checked by SAS token (device or module key, or a DeviceConnect policy) or by the
// client certificate of mutual TLS (thumbprint or CA); every refusal is CONNACK 5. One
// connection per identity (device, or module "d/m"), at most 5 subscriptions to its own
// filters, own topics only, no QoS 2, retain forwarded as a
// property, telemetry recorded, C2D, direct methods, twin, token-expiry disconnects, and a
// new-connections-per-second limit with traffic shaping.
import { randomUUID } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { Aedes } from "aedes";
import type { AedesPublishPacket, AuthenticateError, Client, PublishPacket, Subscription } from "aedes";
import type { Packet } from "mqtt-packet";
import type { ServerCredentials } from "../tls/certs";
import type { SimCore } from "./core";
import { TokenBucket } from "./limits";
import { Link, recordCloseReasons, type OutboundVerdict } from "./link";
import type { DeviceEntry } from "./registry";
import { checkSas } from "./sas-check";
import { checkChain, checkThumbprint, commonName } from "./x509-check";
import { HostServer } from "./tls-hosts";
import { classifyHubPublish, decodePropertyBag, encodePropertyBag, hubSubscriptionAllowed, matchesFilter } from "./topics";
import type { Properties } from "./topics";
import { parseJsonObject } from "./twin";
import type { HubCounters, OutageMode, TelemetryRecord } from "./types";

/** Telemetry messages above this size close the connection. */
const MAX_D2C_BYTES = 256 * 1024;
/** Reported patches above this size are answered 400. */
const MAX_REPORTED_BYTES = 32 * 1024;
const MAX_SUBSCRIPTIONS = 5;

interface HubConn {
  deviceId: string;
  client: Client;
  link: Link;
  expiresAtMs: number;
  subs: Set<string>;
  replaced: boolean;
}

interface Waiting {
  client: Client;
  go(): void;
}

function refusal(code: number, reason: string): AuthenticateError {
  return Object.assign(new Error(reason), { returnCode: code }) as AuthenticateError;
}

function noop(): void {
  /* nothing */
}

export function newHubCounters(): HubCounters {
  return { connections: 0, connacks: {}, shaped: 0, shapingDropped: 0, tokenExpiries: 0, telemetry: 0 };
}

export class Hub {
  broker!: Aedes;
  server!: HostServer;
  readonly counters = newHubCounters();
  /** The live connection of each device id. */
  readonly conns = new Map<string, HubConn>();
  private readonly byClient = new WeakMap<Client, HubConn>();
  private readonly byLink = new WeakMap<Link, HubConn>();
  private readonly links = new Set<Link>();
  private readonly bucket: TokenBucket;
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly core: SimCore,
    readonly host: string,
  ) {
    this.bucket = new TokenBucket(core.options.hubConnectionsPerSecond);
  }

  async start(creds: ServerCredentials, port: number): Promise<void> {
    this.broker = await Aedes.createBroker({
      id: this.host,
      maxClientsIdLength: 256,
      preConnect: (client, packet, callback) => {
        (client.conn as Link).clientId = packet.clientId;
        callback(null, true);
      },
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizeSubscribe: (client, sub, callback) => this.authorizeSubscribe(client, sub, callback),
      authorizePublish: (client, packet, callback) => this.authorizePublish(client, packet, callback),
      authorizeForward: (client, packet) => this.authorizeForward(client, packet),
    });
    this.broker.on("unsubscribe", (filters, client) => {
      const conn = this.byClient.get(client);
      if (conn && !client.closed) for (const f of filters) conn.subs.delete(f);
    });
    recordCloseReasons(this.broker);
    this.server = new HostServer(
      this.host,
      creds,
      this.core.options.bindAddress,
      false,
      {
        secure: (socket) => this.accept(socket),
        tlsError: (message) => this.core.emit("tls-error", { host: this.host, text: message }),
      },
      true,
      this.core.options.plainTcp,
    );
    await this.server.listen(port);
  }

  private accept(socket: TLSSocket): void {
    const link = new Link(socket, {
      outbound: (packet, l) => this.outbound(packet, l),
      inbound: (packet, l) => this.inbound(packet, l),
    });
    this.links.add(link);
    link.on("close", () => this.linkClosed(link));
    this.broker.handle(link);
  }

  private linkClosed(link: Link): void {
    this.links.delete(link);
    const conn = this.byLink.get(link);
    if (!conn) return;
    const current = this.conns.get(conn.deviceId) === conn;
    if (current) this.conns.delete(conn.deviceId);
    const client = conn.client as Client & { _disconnected?: boolean };
    const reason =
      link.closeReason ??
      (conn.replaced ? "replaced by a new connection of the same device" : client._disconnected ? "device sent DISCONNECT" : "closed by device");
    if (link.closeReason !== undefined || conn.replaced) {
      const device = this.core.registry.devices.get(conn.deviceId);
      if (device) device.counters.disconnects++;
    }
    this.core.emit("disconnect", { host: this.host, id: conn.deviceId, text: reason });
  }

  // ---- packets seen on the wire ----

  private inbound(packet: Packet, link: Link): void {
    if (packet.cmd !== "puback" || packet.messageId === undefined || !link.c2dInFlight.delete(packet.messageId)) return;
    const id = link.clientId ?? "";
    const device = this.core.registry.devices.get(id);
    if (device) device.counters.c2dAcked++;
    this.core.emit("c2d-ack", { host: this.host, id, text: "C2D message " + packet.messageId + " acknowledged" });
  }

  private outbound(packet: Packet, link: Link): OutboundVerdict {
    if (packet.cmd === "connack") {
      const code = packet.returnCode ?? 0;
      this.counters.connacks[code] = (this.counters.connacks[code] ?? 0) + 1;
      const device = link.clientId !== undefined ? this.core.registry.devices.get(link.clientId) : undefined;
      if (device) device.counters.connacks[code] = (device.counters.connacks[code] ?? 0) + 1;
      this.core.emit("connack", { host: this.host, id: link.clientId, code, text: "CONNACK " + code });
    } else if (packet.cmd === "publish" && packet.qos === 1 && packet.messageId !== undefined && packet.topic.includes("/messages/devicebound/")) {
      link.c2dInFlight.add(packet.messageId);
    } else if (packet.cmd === "suback") {
      // IoT Hub grants a QoS 2 subscription as QoS 1.
      packet.granted = packet.granted.map((g) => (g === 2 ? 1 : g)) as typeof packet.granted;
    } else if (packet.cmd === "puback" && link.clientId !== undefined) {
      const fault = this.core.faults.takePuback(link.clientId);
      if (fault === "drop") {
        this.core.emit("puback-dropped", { host: this.host, id: link.clientId, text: "PUBACK " + packet.messageId + " dropped" });
        return "drop";
      }
      if (typeof fault === "number") {
        this.core.emit("puback-delayed", { host: this.host, id: link.clientId, text: "PUBACK " + packet.messageId + " held " + fault + " ms" });
        return { holdUntilMs: this.core.now() + fault };
      }
    }
    return "pass";
  }

  // ---- CONNECT ----

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const now = this.core.now();
    const outage = this.core.faults.hubOutages.get(this.host);
    if (outage && outage.mode === "connack3" && now < outage.untilMs) {
      done(refusal(3, "hub outage"), false);
      return;
    }
    const go = (): void => this.authorize(client, username, password, done);
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i].client.closed) this.waiting.splice(i, 1);
    if (this.waiting.length === 0 && this.bucket.take(now)) {
      go();
      return;
    }
    const link = client.conn as Link;
    if (this.waiting.length >= this.core.options.hubConnectionQueue) {
      this.counters.shapingDropped++;
      this.core.emit("shaping", { host: this.host, id: client.id, text: "connection rate exceeded and queue full: connection dropped" });
      link.abort("throttled: shaping queue full");
      return;
    }
    this.counters.shaped++;
    this.waiting.push({ client, go });
    this.core.emit("shaping", { host: this.host, id: client.id, text: "connection rate exceeded: CONNACK delayed (queue " + this.waiting.length + ")" });
  }

  private authorize(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const deviceId = client.id;
    const refuse = (reason: string): void => {
      this.core.emit("connect", { host: this.host, id: deviceId, code: 5, text: "refused: " + reason });
      done(refusal(5, reason), false);
    };
    const device = this.core.registry.devices.get(deviceId);
    if (!device || device.hub !== this.host) return refuse("device '" + deviceId + "' is not registered in this hub");
    if (!device.enabled) return refuse("device is disabled");
    if (device.rejected) return refuse("fault: CONNACK 5 for this device");
    const prefix = this.host + "/" + deviceId + "/?";
    if (username === undefined || !username.startsWith(prefix) || !/(^|&)api-version=[^&]+/.test(username.slice(prefix.length))) {
      return refuse("username must be '" + prefix + "api-version=...', got '" + username + "'");
    }
    const link = client.conn as Link;
    const verdict = this.credentialVerdict(device, link, password);
    if (!verdict.ok) return refuse(verdict.reason);
    const conn: HubConn = { deviceId, client, link, expiresAtMs: verdict.expiresAtMs, subs: new Set(), replaced: false };
    const previous = this.conns.get(deviceId);
    if (previous) previous.replaced = true;
    this.conns.set(deviceId, conn);
    this.byClient.set(client, conn);
    this.byLink.set(link, conn);
    device.counters.connections++;
    this.counters.connections++;
    const expiresIn = Math.round((verdict.expiresAtMs - this.core.now()) / 1000);
    this.core.emit("connect", {
      host: this.host,
      id: deviceId,
      code: 0,
      text: "accepted (clean session " + client.clean + ", " + verdict.how + (verdict.expiresAtMs < Infinity ? ", token expires in " + expiresIn + " s" : "") + ")",
    });
    done(null, true);
  }

  /**
   * Judges the CONNECT's credential: with a password, a SAS token
   * signed with one of the identity's keys over `host/devices/{d}[/modules/{m}]`, or one with
   * `skn` naming a shared access policy of this hub that has DeviceConnect, scoped to that
   * resource or a prefix of it; without one, the client certificate of the TLS handshake
   * against the identity's X.509 authentication (thumbprint, or CA with the identity as
   * common name). Validity on the sim clock.
   */
  private credentialVerdict(
    device: DeviceEntry,
    link: Link,
    password: Buffer | undefined,
  ): { ok: true; expiresAtMs: number; how: string } | { ok: false; reason: string } {
    const now = this.core.now();
    const resource = this.host + "/devices/" + (device.parentId ?? device.deviceId) + (device.moduleId !== undefined ? "/modules/" + device.moduleId : "");
    if (password !== undefined && password.length > 0) {
      const token = password.toString("utf8");
      const policy = this.core.registry.policyOf(this.host, token);
      if (policy) {
        if (policy.permissions.indexOf("DeviceConnect") < 0) return { ok: false, reason: "policy '" + policy.name + "' lacks DeviceConnect" };
        const segments = resource.split("/");
        const prefixes: string[] = [];
        for (let i = 1; i <= segments.length; i++) prefixes.push(segments.slice(0, i).join("/"));
        const verdict = checkSas(token, { resource: prefixes, keys: policy.keys, nowMs: now, keyName: policy.name });
        return verdict.ok ? { ok: true, expiresAtMs: verdict.expiresAtMs, how: "policy '" + policy.name + "' token" } : verdict;
      }
      if (device.keys.length === 0) return { ok: false, reason: "identity has no symmetric key (X.509 only)" };
      const verdict = checkSas(token, { resource, keys: device.keys, nowMs: now, keyName: undefined });
      return verdict.ok ? { ok: true, expiresAtMs: verdict.expiresAtMs, how: "device key token" } : verdict;
    }
    const peer = link.peer;
    if (!peer) return { ok: false, reason: "no SAS token and no client certificate" };
    const x509 = device.x509;
    if (!x509) return { ok: false, reason: "identity has no X.509 authentication" };
    let reason = "";
    if (x509.thumbprints.length > 0) {
      const verdict = checkThumbprint(peer, x509.thumbprints, now);
      if (verdict.ok) return { ok: true, expiresAtMs: Infinity, how: "X.509 thumbprint" };
      reason = verdict.reason;
    }
    if (x509.cas.length > 0) {
      if (commonName(peer.leaf) !== device.deviceId) {
        reason = "certificate common name '" + commonName(peer.leaf) + "' is not '" + device.deviceId + "'";
      } else {
        const verdict = checkChain(peer, x509.cas, now);
        if (verdict.ok) return { ok: true, expiresAtMs: Infinity, how: "X.509 CA-signed" };
        reason = verdict.reason;
      }
    }
    return { ok: false, reason };
  }

  // ---- SUBSCRIBE ----

  private violation(conn: HubConn | undefined, client: Client, reason: string): Error {
    (client.conn as Link).closeReason = "violation: " + reason;
    this.core.emit("violation", { host: this.host, id: conn ? conn.deviceId : client.id, text: reason + ": connection closed" });
    return new Error(reason);
  }

  private authorizeSubscribe(client: Client, sub: Subscription, callback: (error: Error | null, sub?: Subscription | null) => void): void {
    const conn = this.byClient.get(client);
    if (!conn) return callback(this.violation(conn, client, "SUBSCRIBE before CONNECT accepted"));
    if (!hubSubscriptionAllowed(conn.deviceId, sub.topic)) {
      return callback(this.violation(conn, client, "subscription to '" + sub.topic + "' is not allowed"));
    }
    if (!conn.subs.has(sub.topic) && conn.subs.size >= MAX_SUBSCRIPTIONS) {
      return callback(this.violation(conn, client, "more than " + MAX_SUBSCRIPTIONS + " subscriptions"));
    }
    conn.subs.add(sub.topic);
    if (sub.qos > 1) sub.qos = 1;
    this.core.emit("subscribe", { host: this.host, id: conn.deviceId, text: sub.topic + " (QoS " + sub.qos + ")" });
    callback(null, sub);
  }

  // ---- PUBLISH from the device ----

  private authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (!client) return callback(null);
    const conn = this.byClient.get(client);
    if (!conn) return callback(this.violation(conn, client, "PUBLISH before CONNECT accepted"));
    const isWill = packet === (client as Client & { will?: unknown }).will;
    if (packet.qos === 2 && !isWill) return callback(this.violation(conn, client, "QoS 2 PUBLISH"));
    const what = classifyHubPublish(conn.deviceId, packet.topic);
    if (what.kind === "denied") return callback(isWill ? new Error(what.reason) : this.violation(conn, client, what.reason));
    const payload = Buffer.from(packet.payload);
    const retained = packet.retain === true;
    packet.retain = false; // never stored; forwarded as the mqtt-retain property
    const device = this.core.registry.devices.get(conn.deviceId);
    if (!device) return callback(this.violation(conn, client, "device vanished"));
    switch (what.kind) {
      case "telemetry": {
        if (payload.length > MAX_D2C_BYTES) return callback(this.violation(conn, client, "telemetry larger than 256 KB"));
        this.recordTelemetry(device, packet, what.bag, payload, retained, isWill);
        return callback(null);
      }
      case "twin-get":
        callback(null);
        setImmediate(() => this.twinGet(conn, device, what.rid));
        return;
      case "twin-reported":
        callback(null);
        setImmediate(() => this.twinReported(conn, device, what.rid, payload));
        return;
      case "method-response":
        callback(null);
        setImmediate(() => this.methodResponse(conn, what.rid, what.status, payload));
        return;
    }
  }

  private recordTelemetry(device: DeviceEntry, packet: PublishPacket, bag: string, payload: Buffer, retained: boolean, isWill: boolean): void {
    const properties: Properties = decodePropertyBag(bag);
    if (retained) properties["mqtt-retain"] = "true";
    if (isWill) properties["iothub-MessageType"] = "Will";
    const record: TelemetryRecord = {
      seq: this.core.nextTelemetrySeq(),
      deviceId: device.parentId ?? device.deviceId,
      hub: this.host,
      topic: packet.topic,
      propertyBag: bag,
      properties,
      payload,
      qos: packet.qos,
      dup: packet.dup === true,
      retain: retained,
      messageId: packet.messageId,
      will: isWill,
      atMs: this.core.now(),
    };
    if (device.moduleId !== undefined) record.moduleId = device.moduleId;
    device.telemetry.push(record);
    this.core.telemetry.push(record);
    device.counters.telemetry++;
    this.counters.telemetry++;
    const flags = (record.dup ? " dup" : "") + (retained ? " retain" : "") + (isWill ? " will" : "");
    this.core.emit("telemetry", {
      host: this.host,
      id: device.deviceId,
      text: "#" + record.seq + " QoS " + record.qos + flags + " " + payload.length + " B" + (bag ? " [" + bag + "]" : ""),
    });
  }

  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if ((packet as { clientId?: string }).clientId) return null; // what devices publish goes to the service, never to other devices
    const conn = this.byClient.get(client);
    if (!conn) return null;
    if (packet.topic.startsWith("$iothub/")) return packet; // only ever published to the target client
    return packet.topic.startsWith("devices/" + conn.deviceId + "/messages/devicebound/") ? packet : null;
  }

  /** Sends to a connected device if one of its filters matches; false when it cannot. */
  private sendTo(conn: HubConn, topic: string, payload: Buffer | string, qos: 0 | 1 = 0): boolean {
    let subscribed = false;
    for (const f of conn.subs) if (matchesFilter(f, topic)) subscribed = true;
    if (!subscribed || conn.client.closed) return false;
    conn.client.publish({ cmd: "publish", topic, payload, qos, retain: false, dup: false }, noop);
    return true;
  }

  // ---- twin ----

  private twinGet(conn: HubConn, device: DeviceEntry, rid: string): void {
    device.counters.twinGets++;
    const failure = this.core.faults.takeTwin(device.deviceId);
    const status = failure ?? 200;
    const body = failure === undefined ? JSON.stringify(device.twin.document()) : JSON.stringify({ message: "fault " + failure });
    const sent = this.sendTo(conn, "$iothub/twin/res/" + status + "/?$rid=" + rid, body);
    this.core.emit("twin-get", { host: this.host, id: device.deviceId, code: status, text: "rid " + rid + (sent ? "" : " (not subscribed to $iothub/twin/res/#: dropped)") });
  }

  private twinReported(conn: HubConn, device: DeviceEntry, rid: string, payload: Buffer): void {
    device.counters.twinPatches++;
    let status = this.core.faults.takeTwin(device.deviceId) ?? 204;
    let topic = "$iothub/twin/res/" + status + "/?$rid=" + rid;
    if (status === 204) {
      const patch = payload.length <= MAX_REPORTED_BYTES ? parseJsonObject(payload) : undefined;
      if (!patch) {
        status = 400;
        topic = "$iothub/twin/res/400/?$rid=" + rid;
      } else {
        const version = device.twin.patchReported(patch);
        topic += "&$version=" + version;
      }
    }
    const sent = this.sendTo(conn, topic, "");
    this.core.emit("twin-reported", { host: this.host, id: device.deviceId, code: status, text: topic + (sent ? "" : " (not subscribed: dropped)") });
  }

  /** Pushes a desired patch to the device if connected and subscribed; true when sent. */
  pushDesired(device: DeviceEntry, patch: Record<string, unknown>, version: number): boolean {
    const conn = this.conns.get(device.deviceId);
    if (!conn) return false;
    return this.sendTo(conn, "$iothub/twin/PATCH/properties/desired/?$version=" + version, JSON.stringify({ ...patch, $version: version }));
  }

  // ---- direct methods ----

  /** Sends a method request; false when the device is not connected or not subscribed. */
  sendMethod(deviceId: string, methodName: string, rid: string, payload: Buffer): boolean {
    const conn = this.conns.get(deviceId);
    if (!conn) return false;
    return this.sendTo(conn, "$iothub/methods/POST/" + methodName + "/?$rid=" + rid, payload);
  }

  private methodResponse(conn: HubConn, rid: string, status: number, payload: Buffer): void {
    const pending = this.core.methods.get(rid);
    if (!pending || pending.deviceId !== conn.deviceId) {
      this.core.emit("method-response", { host: this.host, id: conn.deviceId, code: status, text: "rid " + rid + " matches no pending call: ignored" });
      return;
    }
    this.core.methods.delete(rid);
    let parsed: unknown = null;
    if (payload.length > 0) {
      try {
        parsed = JSON.parse(payload.toString("utf8"));
      } catch {
        parsed = payload.toString("utf8");
      }
    }
    this.core.emit("method-response", { host: this.host, id: conn.deviceId, code: status, text: pending.methodName + " rid " + rid + " answered " + status });
    pending.resolve({ status, payload: parsed, raw: payload, timedOut: false });
  }

  // ---- C2D ----

  /** Publishes a C2D message at QoS 1; aedes queues it for an offline clean-session-false device. */
  sendC2D(device: DeviceEntry, payload: Buffer, properties: Properties): string {
    if (device.moduleId !== undefined) throw new Error("'" + device.deviceId + "' is a module: IoT Hub has no cloud-to-device messages for modules");
    const bag: Properties = {};
    const messageId = properties["$.mid"] ?? randomUUID();
    bag["$.mid"] = messageId;
    bag["$.to"] = "/devices/" + device.deviceId + "/messages/deviceBound";
    for (const k of Object.keys(properties)) if (k !== "$.mid" && k !== "$.to") bag[k] = properties[k];
    const topic = "devices/" + device.deviceId + "/messages/devicebound/" + encodePropertyBag(bag);
    device.counters.c2dSent++;
    this.broker.publish({ cmd: "publish", topic, payload, qos: 1, retain: false, dup: false }, noop);
    const online = this.conns.has(device.deviceId);
    this.core.emit("c2d", { host: this.host, id: device.deviceId, text: messageId + " " + payload.length + " B" + (online ? "" : " (device offline: queued if it has a persistent session)") });
    return messageId;
  }

  // ---- clock-driven work and faults ----

  sweep(nowMs: number): void {
    for (const conn of [...this.conns.values()]) {
      if (nowMs >= conn.expiresAtMs) {
        this.counters.tokenExpiries++;
        const device = this.core.registry.devices.get(conn.deviceId);
        if (device) device.counters.tokenExpiries++;
        this.core.emit("token-expired", { host: this.host, id: conn.deviceId, text: "SAS token expired: connection dropped" });
        conn.link.abort("SAS token expired");
      }
    }
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      if (next.client.closed) {
        this.waiting.shift();
        continue;
      }
      if (!this.bucket.take(nowMs)) break;
      this.waiting.shift();
      next.go();
    }
    for (const link of this.links) link.releaseDue(nowMs);
    const outage = this.core.faults.hubOutages.get(this.host);
    if (outage && nowMs >= outage.untilMs) {
      this.endOutage().catch((error: Error) => this.core.emit("fault", { host: this.host, text: "could not listen again: " + error.message }));
    }
  }

  /** Drops every connection of this hub; returns how many device connections were live. */
  dropAll(reason: string): number {
    const count = this.conns.size;
    for (const link of this.links) link.closeReason = reason;
    for (const link of [...this.links]) link.abort(reason);
    this.server.dropAll();
    return count;
  }

  /** Drops one device's connection; false when it had none. */
  dropDevice(deviceId: string, reason: string): boolean {
    const conn = this.conns.get(deviceId);
    if (!conn) return false;
    conn.link.abort(reason);
    return true;
  }

  async outage(seconds: number, mode: OutageMode): Promise<void> {
    this.core.faults.hubOutages.set(this.host, { untilMs: this.core.now() + seconds * 1000, mode });
    this.core.emit("fault", { host: this.host, text: "outage for " + seconds + " s (" + (mode === "refuse" ? "TCP refused" : "CONNACK 3") + ")" });
    this.dropAll("hub outage");
    if (mode === "refuse") await this.server.refuse(true);
  }

  async endOutage(): Promise<void> {
    if (!this.core.faults.hubOutages.delete(this.host)) return;
    this.core.emit("fault", { host: this.host, text: "outage over" });
    await this.server.refuse(false);
  }

  /** Connected device ids and their token expiries (for state queries). */
  connection(deviceId: string): { expiresAtMs: number; subscriptions: string[] } | undefined {
    const conn = this.conns.get(deviceId);
    return conn ? { expiresAtMs: conn.expiresAtMs, subscriptions: [...conn.subs] } : undefined;
  }

  /** Writes raw bytes to a device's connection; false when it has none. */
  sendRaw(deviceId: string, bytes: Uint8Array): boolean {
    const conn = this.conns.get(deviceId);
    if (!conn) return false;
    conn.link.writeRaw(bytes);
    return true;
  }

  async stop(): Promise<void> {
    for (const link of [...this.links]) link.abort("simulator stopped");
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    if (this.server) await this.server.close();
  }
}
