// The Device Provisioning Service global endpoint: an aedes broker behind
// a TLS 1.2-only host. CONNECT checks client id and username strictly (CONNACK 5 otherwise);
// the SAS token is judged on each operation (401 when it does not hold). register -> 202
// assigning + retry-after -> poll -> 200 assigned | failed | disabled. 429 + retry-after for the
// registrations-per-minute limit, the 5-polls-per-10-s limit and the throttling fault.
import { randomBytes, randomUUID } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { Aedes } from "aedes";
import type { AuthenticateError, Client, PublishPacket, Subscription } from "aedes";
import type { Packet } from "mqtt-packet";
import type { ServerCredentials } from "../tls/certs";
import type { SimCore } from "./core";
import { SlidingWindow, retryAfterSeconds } from "./limits";
import { Link, recordCloseReasons, type OutboundVerdict } from "./link";
import type { AssignmentResult, Enrollment, X509Identity } from "./registry";
import { HostServer } from "./tls-hosts";
import { DPS_POLL_PREFIX, DPS_REGISTER_PREFIX, DPS_RESPONSE_FILTER, parseQuery } from "./topics";
import { parseJsonObject } from "./twin";
import type { DpsDeviceCounters, DpsOutageMode } from "./types";

interface DpsConn {
  registrationId: string;
  client: Client;
  link: Link;
  /** The SAS token; "" for a device that authenticates with its client certificate. */
  password: string;
  subscribed: boolean;
}

type Authorization = { ok: true; enrollment: Enrollment; keys: string[]; x509?: X509Identity } | { ok: false; reason: string };

interface Operation {
  operationId: string;
  registrationId: string;
  readyAtMs: number;
  result: AssignmentResult;
  /** Registered by certificate: the answer carries an `x509` member, as Azure's does. */
  x509: boolean;
}

interface RegistrationRecord {
  createdMs: number;
  updatedMs: number;
  etag: string;
}

function refusal(code: number, reason: string): AuthenticateError {
  return Object.assign(new Error(reason), { returnCode: code }) as AuthenticateError;
}

function noop(): void {
  /* nothing */
}

/** Azure's timestamp style: seven fractional digits. */
export function azureTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

export function newDpsDeviceCounters(): DpsDeviceCounters {
  return { registrations: 0, polls: 0, throttled: 0, unauthorized: 0, assigned: 0, connections: 0 };
}

export class Dps {
  broker!: Aedes;
  server!: HostServer;
  readonly counters = {
    connections: 0,
    connacks: {} as Record<number, number>,
    registrations: 0,
    polls: 0,
    throttled: 0,
    unauthorized: 0,
    byRegistration: {} as Record<string, DpsDeviceCounters>,
  };
  private readonly conns = new Map<string, DpsConn>();
  private readonly byClient = new WeakMap<Client, DpsConn>();
  private readonly links = new Set<Link>();
  private readonly operations = new Map<string, Operation>();
  private readonly registrations = new Map<string, RegistrationRecord>();
  private readonly registerWindow: SlidingWindow;
  private readonly pollWindows = new Map<string, SlidingWindow>();

  constructor(
    private readonly core: SimCore,
    readonly host: string,
  ) {
    this.registerWindow = new SlidingWindow(core.options.dpsRegistrationsPerMinute, 60_000);
  }

  private perDevice(registrationId: string): DpsDeviceCounters {
    let c = this.counters.byRegistration[registrationId];
    if (!c) {
      c = newDpsDeviceCounters();
      this.counters.byRegistration[registrationId] = c;
    }
    return c;
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
      authorizeForward: (client, packet) => ((packet as { clientId?: string }).clientId || !this.byClient.has(client) ? null : packet),
    });
    recordCloseReasons(this.broker);
    this.server = new HostServer(
      this.host,
      creds,
      this.core.options.bindAddress,
      true,
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
    const link = new Link(socket, { outbound: (packet, l) => this.outbound(packet, l) });
    this.links.add(link);
    link.on("close", () => {
      this.links.delete(link);
      const id = link.clientId;
      const conn = id !== undefined ? this.conns.get(id) : undefined;
      if (conn && conn.link === link) {
        this.conns.delete(conn.registrationId);
        this.core.emit("disconnect", { host: this.host, id, text: link.closeReason ?? "closed by device" });
      }
    });
    this.broker.handle(link);
  }

  private outbound(packet: Packet, link: Link): OutboundVerdict {
    if (packet.cmd === "connack") {
      const code = packet.returnCode ?? 0;
      this.counters.connacks[code] = (this.counters.connacks[code] ?? 0) + 1;
      this.core.emit("connack", { host: this.host, id: link.clientId, code, text: "CONNACK " + code });
    } else if (packet.cmd === "suback") {
      packet.granted = packet.granted.map((g) => (g === 2 ? 1 : g)) as typeof packet.granted;
    }
    return "pass";
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const registrationId = client.id;
    const outage = this.core.faults.dpsOutage;
    if (outage && outage.mode === "connack3" && this.core.now() < outage.untilMs) {
      done(refusal(3, "DPS outage"), false);
      return;
    }
    const refuse = (reason: string): void => {
      this.core.emit("connect", { host: this.host, id: registrationId, code: 5, text: "refused: " + reason });
      done(refusal(5, reason), false);
    };
    const prefix = this.core.options.idScope + "/registrations/" + registrationId + "/api-version=";
    if (username === undefined || !username.startsWith(prefix) || !/^[^&]+(&.*)?$/.test(username.slice(prefix.length))) {
      return refuse("username must be '" + prefix + "2019-03-31', got '" + username + "'");
    }
    const link = client.conn as Link;
    const hasPassword = password !== undefined && password.length > 0;
    if (!hasPassword && !link.peer) return refuse("no SAS token and no client certificate");
    const conn: DpsConn = { registrationId, client, link, password: hasPassword ? (password as Buffer).toString("utf8") : "", subscribed: false };
    this.conns.set(registrationId, conn);
    this.byClient.set(client, conn);
    this.counters.connections++;
    this.perDevice(registrationId).connections++;
    const how = hasPassword ? "token" : "certificate '" + (link.peer ? link.peer.leaf.subject.replace(/\n/g, ", ") : "") + "'";
    this.core.emit("connect", { host: this.host, id: registrationId, code: 0, text: "accepted (" + how + " checked per operation)" });
    done(null, true);
  }

  private violation(client: Client, reason: string): Error {
    (client.conn as Link).closeReason = "violation: " + reason;
    this.core.emit("violation", { host: this.host, id: client.id, text: reason + ": connection closed" });
    return new Error(reason);
  }

  private authorizeSubscribe(client: Client, sub: Subscription, callback: (error: Error | null, sub?: Subscription | null) => void): void {
    const conn = this.byClient.get(client);
    if (!conn) return callback(this.violation(client, "SUBSCRIBE before CONNECT accepted"));
    if (sub.topic !== DPS_RESPONSE_FILTER) return callback(this.violation(client, "subscription to '" + sub.topic + "' is not allowed"));
    if (sub.qos > 1) sub.qos = 1;
    conn.subscribed = true;
    this.core.emit("subscribe", { host: this.host, id: conn.registrationId, text: sub.topic + " (QoS " + sub.qos + ")" });
    callback(null, sub);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (!client) return callback(null);
    const conn = this.byClient.get(client);
    if (!conn) return callback(this.violation(client, "PUBLISH before CONNECT accepted"));
    if (packet.qos === 2) return callback(this.violation(client, "QoS 2 PUBLISH"));
    const payload = Buffer.from(packet.payload);
    const query = parseQuery(packet.topic) ?? {};
    const rid = query["$rid"] ?? "";
    if (packet.topic.startsWith(DPS_REGISTER_PREFIX)) {
      callback(null);
      setImmediate(() => this.register(conn, rid, payload));
      return;
    }
    if (packet.topic.startsWith(DPS_POLL_PREFIX)) {
      callback(null);
      setImmediate(() => this.poll(conn, rid, query["operationId"] ?? ""));
      return;
    }
    callback(this.violation(client, "topic '" + packet.topic + "' is not a DPS request topic"));
  }

  private respond(conn: DpsConn, status: number, rid: string, body: unknown, retryAfter?: number, note?: string): void {
    let topic = "$dps/registrations/res/" + status + "/?$rid=" + rid;
    if (retryAfter !== undefined) topic += "&retry-after=" + retryAfter;
    const sent = conn.subscribed && !conn.client.closed;
    if (sent) {
      conn.client.publish({ cmd: "publish", topic, payload: JSON.stringify(body), qos: 0, retain: false, dup: false }, noop);
    }
    this.core.emit("dps-response", {
      host: this.host,
      id: conn.registrationId,
      code: status,
      text:
        topic +
        (body && typeof body === "object" && "status" in body ? " " + String((body as { status: unknown }).status) : "") +
        (note ? " (" + note + ")" : "") +
        (sent ? "" : " (not subscribed: dropped)"),
    });
  }

  private errorBody(errorCode: number, message: string): unknown {
    return { errorCode, trackingId: randomUUID(), message, timestampUtc: azureTime(this.core.now()) };
  }

  /** Answers the request here and returns true when an outage, throttling or bad token stops it. */
  private gate(conn: DpsConn, rid: string): boolean {
    const now = this.core.now();
    const outage = this.core.faults.dpsOutage;
    if (outage && outage.mode === "503" && now < outage.untilMs) {
      this.respond(conn, 503, rid, this.errorBody(503000, "Service unavailable."));
      return true;
    }
    const throttle = this.core.faults.dpsThrottle;
    if (throttle && now < throttle.untilMs) {
      this.throttled(conn, rid, throttle.retryAfterSeconds);
      return true;
    }
    return false;
  }

  private throttled(conn: DpsConn, rid: string, retryAfter: number): void {
    this.counters.throttled++;
    this.perDevice(conn.registrationId).throttled++;
    this.respond(conn, 429, rid, this.errorBody(429001, "Operations are being throttled for this tenant."), retryAfter);
  }

  private authorized(conn: DpsConn, rid: string): Authorization {
    const registry = this.core.registry;
    const now = this.core.now();
    // A token when the device sent one, else the certificate of its TLS handshake.
    const auth: Authorization =
      conn.password !== ""
        ? registry.authenticateRegistration(this.core.options.idScope, conn.registrationId, conn.password, now)
        : registry.authenticateX509(conn.registrationId, conn.link.peer, now);
    if (!auth.ok) {
      this.counters.unauthorized++;
      this.perDevice(conn.registrationId).unauthorized++;
      // The service's answer to a certificate it does not accept (unknown, expired, wrongly
      // signed): 401 with 401002, as in the Embedded C provisioning test vector.
      const message = conn.password !== "" ? "Unauthorized" : "Invalid certificate.";
      this.respond(conn, 401, rid, this.errorBody(401002, message), undefined, auth.reason);
    }
    return auth;
  }

  private register(conn: DpsConn, rid: string, payload: Buffer): void {
    const now = this.core.now();
    this.counters.registrations++;
    this.perDevice(conn.registrationId).registrations++;
    this.core.emit("dps-register", { host: this.host, id: conn.registrationId, text: "register rid " + rid });
    if (this.gate(conn, rid)) return;
    const wait = this.registerWindow.tryAdd(now);
    if (wait > 0) return this.throttled(conn, rid, retryAfterSeconds(wait));
    const auth = this.authorized(conn, rid);
    if (!auth.ok) return;
    const body = parseJsonObject(payload);
    if (!body || body.registrationId !== conn.registrationId) {
      this.respond(conn, 400, rid, this.errorBody(400004, "Request body must be {\"registrationId\":\"" + conn.registrationId + "\"}."));
      return;
    }
    const result = this.core.registry.assign(auth.enrollment, conn.registrationId, auth.keys, auth.x509);
    const operationId = "4." + randomBytes(8).toString("hex") + "." + randomUUID();
    this.operations.set(operationId, { operationId, registrationId: conn.registrationId, readyAtMs: now + this.core.options.dpsAssignDelayMs, result, x509: auth.x509 !== undefined });
    const record = this.registrations.get(conn.registrationId);
    const etag = Buffer.from('"' + randomUUID() + '"').toString("base64");
    if (record) {
      record.updatedMs = now;
      record.etag = etag;
    } else this.registrations.set(conn.registrationId, { createdMs: now, updatedMs: now, etag });
    if (result.status === "assigned") {
      this.core.emit("device", { host: result.hub, id: result.deviceId, text: "registered in " + result.hub + " by DPS (" + result.substatus + ")" });
    }
    this.respond(conn, 202, rid, { operationId, status: "assigning" }, this.core.options.dpsRetryAfterSeconds);
  }

  private poll(conn: DpsConn, rid: string, operationId: string): void {
    const now = this.core.now();
    this.counters.polls++;
    this.perDevice(conn.registrationId).polls++;
    this.core.emit("dps-poll", { host: this.host, id: conn.registrationId, text: "poll rid " + rid + " operation " + operationId });
    if (this.gate(conn, rid)) return;
    let window = this.pollWindows.get(conn.registrationId);
    if (!window) {
      window = new SlidingWindow(this.core.options.dpsPollsPer10s, 10_000);
      this.pollWindows.set(conn.registrationId, window);
    }
    const wait = window.tryAdd(now);
    if (wait > 0) return this.throttled(conn, rid, retryAfterSeconds(wait));
    if (!this.authorized(conn, rid).ok) return;
    const op = this.operations.get(operationId);
    if (!op || op.registrationId !== conn.registrationId) {
      this.respond(conn, 404, rid, this.errorBody(404006, "Operation not found."));
      return;
    }
    if (now < op.readyAtMs) {
      this.respond(
        conn,
        202,
        rid,
        { operationId, status: "assigning", registrationState: { registrationId: op.registrationId, status: "assigning" } },
        this.core.options.dpsRetryAfterSeconds,
      );
      return;
    }
    this.respond(conn, 200, rid, this.resultDocument(op));
  }

  private resultDocument(op: Operation): unknown {
    const record = this.registrations.get(op.registrationId) ?? { createdMs: this.core.now(), updatedMs: this.core.now(), etag: "" };
    const r = op.result;
    const common: Record<string, unknown> = op.x509
      ? { x509: {}, registrationId: op.registrationId, createdDateTimeUtc: azureTime(record.createdMs) }
      : { registrationId: op.registrationId, createdDateTimeUtc: azureTime(record.createdMs) };
    const tail = { lastUpdatedDateTimeUtc: azureTime(record.updatedMs), etag: record.etag };
    if (r.status === "assigned") {
      this.perDevice(op.registrationId).assigned++;
      return {
        operationId: op.operationId,
        status: "assigned",
        registrationState: { ...common, assignedHub: r.hub, deviceId: r.deviceId, status: "assigned", substatus: r.substatus, ...tail },
      };
    }
    if (r.status === "failed") {
      return {
        operationId: op.operationId,
        status: "failed",
        registrationState: { ...common, status: "failed", errorCode: r.errorCode, errorMessage: r.errorMessage, ...tail },
      };
    }
    return { operationId: op.operationId, status: "disabled", registrationState: { ...common, status: "disabled", ...tail } };
  }

  // ---- clock-driven work and faults ----

  sweep(nowMs: number): void {
    const outage = this.core.faults.dpsOutage;
    if (outage && nowMs >= outage.untilMs) {
      this.endOutage().catch((error: Error) => this.core.emit("fault", { host: this.host, text: "could not listen again: " + error.message }));
    }
    const throttle = this.core.faults.dpsThrottle;
    if (throttle && nowMs >= throttle.untilMs) {
      this.core.faults.dpsThrottle = undefined;
      this.core.emit("fault", { host: this.host, text: "throttling over" });
    }
  }

  dropAll(reason: string): void {
    for (const link of [...this.links]) link.abort(reason);
    this.server.dropAll();
  }

  async outage(seconds: number, mode: DpsOutageMode): Promise<void> {
    this.core.faults.dpsOutage = { untilMs: this.core.now() + seconds * 1000, mode };
    const what = mode === "refuse" ? "TCP refused" : mode === "connack3" ? "CONNACK 3" : "503 answers";
    this.core.emit("fault", { host: this.host, text: "outage for " + seconds + " s (" + what + ")" });
    if (mode !== "503") this.dropAll("DPS outage");
    if (mode === "refuse") await this.server.refuse(true);
  }

  async endOutage(): Promise<void> {
    if (!this.core.faults.dpsOutage) return;
    this.core.faults.dpsOutage = undefined;
    this.core.emit("fault", { host: this.host, text: "outage over" });
    await this.server.refuse(false);
  }

  sendRaw(registrationId: string, bytes: Uint8Array): boolean {
    const conn = this.conns.get(registrationId);
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
