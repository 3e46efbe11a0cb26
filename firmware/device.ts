// The device driver: the one firmware module that talks to the HAL. It wires the MQTT
// sessions (DPS and hub), the Azure formats, the outbox and the reconnection policy
// together and carries out the policy's actions (DESIGN §2, §8). One socket at a time:
// DPS is closed before the hub is opened (the ESP32's TLS memory allows no more).
//
// Re-entrancy: session callbacks only record what happened; the driver acts on it after the
// session call returned (closeLater, inbound queue), so user handlers and the policy never
// run inside the MQTT session.
import { Hal, Socket, SocketOptions, LOG_ERROR, LOG_WARN, LOG_INFO } from "../hal/types";
import { createSession, Session, SESSION_UP } from "./mqtt/session";
import { ConnectOptions } from "./mqtt/encode";
import {
  ConnectionPolicy, PolicyActions, defaultPolicyConfig, statusName,
  RETRY_NONE, RETRY_EXPONENTIAL, STATUS_CONNECTED, STATE_HUB_CONNECTED, STATE_DPS_ACTIVE,
} from "./policy/connection";
import {
  classify, createVerdict, KIND_HUB_SOCKET, KIND_HUB_TIMEOUT, KIND_HUB_CONNACK, KIND_DPS_SOCKET, KIND_DPS_TIMEOUT,
  KIND_DPS_CONNACK, KIND_DPS_RESPONSE, KIND_TWIN_RESPONSE, AWAIT_CONNACK, AWAIT_PINGRESP,
  ACTION_NONE, ACTION_GIVE_UP, ACTION_REPROVISION,
} from "./policy/classify";
import { planFleet } from "./policy/fleet";
import { reasonName, SOCKET_ERROR, ERR_REFUSED, ERR_CONNACK_TIMEOUT, ERR_LINK_DEAD, ERR_FULL, ERR_BAD_ARGUMENT, ERR_TOO_LARGE } from "./status";
import { ResolvedConfig, AUTH_KEY, AUTH_TOKEN, AUTH_CERT } from "./config";
import { sasToken, hubResource, dpsResource, tokenTimes, DPS_KEY_NAME } from "./azure/sas";
import { utf8Bytes } from "./azure/bytes";
import { utf8Text, serviceJson, jsonForService } from "./text";
import { base64DecodeLenient } from "./azure/base64";
import {
  dpsClientId, dpsUsername, dpsRegisterTopic, dpsPollTopic, dpsRegisterPayload, parseDpsResponse, DPS_SUBSCRIBE_FILTER, DPS_OP_ASSIGNED,
} from "./azure/dps";
import {
  hubClientId, hubUsername, telemetryTopic, encodePropertyBag, c2dSubscribeTopic, parseC2dTopic, parseMethodTopic,
  methodResponseTopic, parseTwinTopic, twinGetTopic, twinReportedTopic, PropertyBag, TWIN_DESIRED,
  METHODS_SUBSCRIBE, TWIN_RESPONSE_SUBSCRIBE, TWIN_DESIRED_SUBSCRIBE,
} from "./azure/hub-topics";
import {
  HUB_CACHE_NAME, encodeHubCache, decodeHubCache, credentialFingerprint, isAllowedHub, HubCacheBinding,
  CACHE_ABSENT, CACHE_FOREIGN,
} from "./azure/hub-cache";
import { Outbox, OutboxMessage } from "./outbox";
import { OtaAgent, OtaActions, defaultOtaConfig } from "./ota/agent";
import { createDownload, Download } from "./ota/download";
import { loadSelector, storeSelector, parseProgress, encodeProgress, resumeSplit, PROGRESS_RECORD } from "./ota/slots";
import { APP_VERSION } from "./version";

const LINK_DPS = 1;
const LINK_HUB = 2;
/** Hub QoS 1 window: unacknowledged telemetry on the wire at once. */
const HUB_WINDOW = 8;
/** Reported patches waiting to be sent, and direct-method calls answered at once. */
const MAX_REPORTED = 8;
const MAX_PENDING_METHODS = 4;
/** Inbound messages held until the session call returns (bounded: the rest are redelivered). */
const MAX_INBOUND = 8;
/** A twin request without an answer by then is sent again. */
const TWIN_TIMEOUT_MS = 30000;
/** Before an update download closes the hub link, its "downloading" report may take this long. */
const OTA_REPORT_FLUSH_MS = 10000;
/** After an update is switched in: the time telemetry and reports get to drain before the reboot. */
const OTA_DRAIN_MS = 30000;
/** The method the DPS fallback guidance names (reference §8). */
export const REPROVISION_METHOD = "Reprovision";

export interface DeviceOptions {
  /** The running application's version when no boot selector names it (APP_VERSION). */
  appVersion?: string;
}

export type StatusCallback = (status: string, reason: string) => void;
export type MethodHandler = (payload: string, respond: (status: number, body?: unknown) => void) => void;
export type DesiredCallback = (desired: { [k: string]: unknown }, version: number) => void;
export type C2dCallback = (body: string, properties: PropertyBag) => void;

export interface DeviceStats {
  telemetryAccepted: number;
  telemetryAcknowledged: number;
  telemetryDropped: number;
  outboxSize: number;
  dpsRegistrations: number;
  dpsPolls: number;
  hubConnections: number;
  connectAttempts: number;
  cacheWrites: number;
  /** Milliseconds spent not connected to the hub since start. */
  disconnectedMs: number;
  status: string;
  reason: string;
}

export interface Device {
  start(): void;
  stop(): void;
  onStatus(callback: StatusCallback): void;
  onMethod(name: string, handler: MethodHandler): void;
  onDesired(callback: DesiredCallback): void;
  onC2D(callback: C2dCallback): void;
  /** Queues telemetry (QoS 1, kept until PUBACK). Returns its sequence number (> 0) or a
   *  negative status (ERR_TOO_LARGE above the hub's 256 KB or the outbox bound). */
  sendTelemetry(body: string | Uint8Array, properties?: PropertyBag): number;
  /** Queues a reported-properties patch; retried on 429 / 5xx. Returns 0 or ERR_FULL. */
  reportProperties(patch: { [k: string]: unknown }): number;
  stats(): DeviceStats;
  /** The hub and device id in use, or undefined before provisioning. */
  assignment(): { hub: string; deviceId: string } | undefined;
  /** Not API: what tests on a virtual clock need to see. */
  internal: {
    /** True while the device waits on the network for an answer (connect, CONNACK, SUBACK,
     *  a DPS reply, a twin GET): virtual time should not move until it arrives. */
    awaitingReply(): boolean;
    /** PUBLISH packets received from the hub or DPS since start. */
    messagesReceived(): number;
  };
}

interface Link {
  kind: number;
  socket: Socket;
  session: Session;
  open: boolean;
}

interface Inbound {
  topic: string;
  payload: Uint8Array;
  qos: number;
  packetId: number;
}

interface PendingMethod {
  rid: string;
  deadline: number;
  done: boolean;
}

const HEX = "0123456789abcdef";

function hexOf(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  return s;
}

function bytesToString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function toBody(body: unknown): Uint8Array {
  if (body === undefined || body === null) return utf8Bytes("null");
  return utf8Bytes(typeof body === "string" ? body : jsonForService(body));
}

/** Certificates in the config are PEM text or base64 DER; TLS takes PEM text or DER bytes. */
function certificate(text: string): string | Uint8Array {
  if (text.indexOf("-----BEGIN") >= 0) return text;
  const der = base64DecodeLenient(text);
  return typeof der === "number" ? text : der;
}

export function createDevice(config: ResolvedConfig, hal: Hal, options?: DeviceOptions): Device {
  const log = hal.system.log;
  const appVersion = options && options.appVersion ? options.appVersion : APP_VERSION;
  const fleet = planFleet(config.fleet);
  const policyConfig = defaultPolicyConfig(fleet);
  policyConfig.useDps = config.useDps;
  policyConfig.needsClock = config.auth === AUTH_KEY;
  policyConfig.renewAfterMs = config.auth === AUTH_KEY ? config.tokenLifetimeSeconds * 800 : 0;
  policyConfig.retryMode = config.retryNone ? RETRY_NONE : RETRY_EXPONENTIAL;
  policyConfig.maxAttempts = config.maxAttempts;
  policyConfig.operationTimeoutMs = config.operationTimeoutMs;
  policyConfig.stopOnRetryExpired = config.stopOnRetryExpired;

  const binding: HubCacheBinding = {
    idScope: config.idScope,
    registrationId: config.registrationId,
    fingerprint: credentialFingerprint(config.auth === AUTH_CERT ? config.certificate : config.key, hal.sha256),
  };
  const ca: Array<string | Uint8Array> = [];
  for (let i = 0; i < config.ca.length; i++) ca.push(certificate(config.ca[i]));

  const outbox = new Outbox({ maxMessages: config.outboxMaxMessages, maxBytes: config.outboxMaxBytes });
  const bootId = (hal.random32() >>> 0).toString(16);
  const verdict = createVerdict();

  let link: Link | undefined;
  /** A socket closed by us whose close report has not come yet, and the connect waiting for it. */
  let closing: Socket | undefined;
  let pendingOpen: (() => void) | undefined;
  let timer = 0;
  let timerAt = -1;
  let started = false;
  let statusText = "Disconnected";
  let reasonText = "None";
  let statusCallbacks: StatusCallback[] = [];
  const methods: { [name: string]: MethodHandler } = {};
  let desiredCallback: DesiredCallback | undefined;
  let c2dCallback: C2dCallback | undefined;
  let closeLater = 0;
  let closeCode = 0;
  let connackCode = -1;
  let inbound: Inbound[] = [];
  let hubDeviceId = "";
  let hubPrefix = "";
  let ridCounter = 0;
  let hubSubscribing = false;
  let received = 0;

  // Twin state: desired version applied, the GET in flight, reported patches queued.
  let desiredVersion = -1;
  let twinGetDisabled = false;
  let twinGetRid = "";
  let twinGetAt = -1;
  let twinRetryAt = -1;
  const reported: string[] = [];
  /** The latest OTA report not yet acknowledged (a newer one replaces it), and whether the
   *  patch in flight is that report. */
  let otaReport = "";
  let otaReportSent = "";
  let reportedIsOta = false;
  let reportedRid = "";
  let reportedSentAt = -1;
  let reportedRetryAt = -1;
  let twinBackoffMs = 5000;
  const pendingMethods: PendingMethod[] = [];

  // Updates: the agent (undefined without an OTA key), the download asked for and the one
  // running, the report flush before it, and the reboot after a switch.
  let ota: OtaAgent | undefined;
  let downloadWanted: { url: string; offset: number } | undefined;
  let download: { transfer: Download; socket: Socket } | undefined;
  let otaHolding = false;
  let otaFlushUntil = -1;
  let rebootAt = -1;

  const stats = {
    dpsRegistrations: 0,
    dpsPolls: 0,
    hubConnections: 0,
    connectAttempts: 0,
    cacheWrites: 0,
    disconnectedMs: 0,
    disconnectedSince: -1,
    accepted: 0,
  };

  function now(): number {
    return hal.clock.nowMs();
  }

  function nextRid(): string {
    ridCounter = (ridCounter + 1) % 1000000;
    return String(ridCounter);
  }

  // Sessions ----------------------------------------------------------------------------

  function sessionFor(kind: number): Session {
    return createSession({
      send: function (bytes: Uint8Array) {
        if (link && link.kind === kind && link.open) link.socket.write(bytes);
      },
      connack: function (code: number) {
        connackCode = code;
        if (code === 0) {
          if (kind === LINK_DPS) onDpsConnack();
          else onHubConnack();
        }
      },
      message: function (topic: string, payload: Uint8Array, qos: number, dup: boolean, packetId: number) {
        received++;
        if (inbound.length >= MAX_INBOUND) return false; // not acknowledged: redelivered later
        inbound.push({ topic: topic, payload: payload.slice(0), qos: qos, packetId: packetId });
        return qos === 0;
      },
      puback: function (packetId: number) {
        if (kind === LINK_HUB) outbox.acknowledge(packetId);
      },
      suback: function () {
        if (kind === LINK_DPS) register();
        else onHubSubscribed();
      },
      unsuback: function () {
        // never unsubscribes
      },
      closed: function (reason: number) {
        closeLater = kind;
        closeCode = reason;
      },
    }, { maxInflight: kind === LINK_HUB ? HUB_WINDOW : 2, maxPacket: config.maxInboundBytes, txSize: 1024 });
  }

  const hubSession = sessionFor(LINK_HUB);
  const dpsSession = sessionFor(LINK_DPS);

  /** After every call into a session: act on what it recorded, then re-arm the timer. */
  function afterSession(): void {
    let guard = 0;
    while (inbound.length > 0 && guard++ < MAX_INBOUND * 2) {
      const m = inbound.shift() as Inbound;
      if (link && link.kind === LINK_DPS) handleDpsMessage(m);
      else if (link && link.kind === LINK_HUB) handleHubMessage(m);
    }
    if (closeLater !== 0) {
      const kind = closeLater;
      const reason = closeCode;
      closeLater = 0;
      sessionClosed(kind, reason);
    }
    otaStep();
    pump();
    schedule();
  }

  function sessionClosed(kind: number, reason: number): void {
    const t = now();
    if (kind === LINK_DPS) {
      if (reason === ERR_REFUSED) policy.dpsFailed(t, KIND_DPS_CONNACK, connackCode, 0);
      else if (reason === ERR_CONNACK_TIMEOUT) policy.dpsFailed(t, KIND_DPS_TIMEOUT, AWAIT_CONNACK, 0);
      else if (reason === ERR_LINK_DEAD) policy.dpsFailed(t, KIND_DPS_TIMEOUT, AWAIT_PINGRESP, 0);
      else policy.dpsFailed(t, KIND_DPS_SOCKET, SOCKET_ERROR, 0);
    } else {
      if (reason === ERR_REFUSED) policy.hubFailed(t, KIND_HUB_CONNACK, connackCode);
      else if (reason === ERR_CONNACK_TIMEOUT) policy.hubFailed(t, KIND_HUB_TIMEOUT, AWAIT_CONNACK);
      else if (reason === ERR_LINK_DEAD) policy.hubFailed(t, KIND_HUB_TIMEOUT, AWAIT_PINGRESP);
      else {
        if (reason === ERR_TOO_LARGE && twinGetRid !== "") {
          // The twin document does not fit maxInboundBytes: asking again after every
          // reconnect would loop, so full GETs stop until the configuration grows.
          twinGetDisabled = true;
          log(LOG_ERROR, "twin document larger than maxInboundBytes (" + config.maxInboundBytes + "): full twin GET disabled");
        }
        log(LOG_WARN, "hub connection ended by the session (code " + reason + ")");
        policy.hubFailed(t, KIND_HUB_SOCKET, SOCKET_ERROR);
      }
    }
  }

  // Transport ----------------------------------------------------------------------------

  function openLink(kind: number, host: string, connect: ConnectOptions): void {
    closeLink(false);
    if (closing) {
      // One TLS socket at a time: the ESP32's TLS memory is freed only when the previous
      // socket has really closed, so the next one waits for that report.
      pendingOpen = function () {
        openLink(kind, host, connect);
      };
      return;
    }
    const session = kind === LINK_HUB ? hubSession : dpsSession;
    const options: SocketOptions = { host: host, port: config.port, tls: config.tls };
    if (config.tls) {
      if (ca.length > 0) options.ca = ca;
      if (config.auth === AUTH_CERT) {
        options.cert = certificate(config.certificate);
        options.key = certificate(config.privateKey);
      }
    }
    stats.connectAttempts++;
    connackCode = -1;
    log(LOG_INFO, "connecting to " + host + (config.tls ? " (TLS)" : " (plain TCP)"));
    const mine: Link = { kind: kind, socket: undefined as unknown as Socket, session: session, open: false };
    link = mine;
    mine.socket = hal.net.connect(options, {
      onOpen: function () {
        if (link !== mine) return;
        mine.open = true;
        session.connect(connect, now());
        afterSession();
      },
      onData: function (bytes: Uint8Array) {
        if (link !== mine) return;
        session.receive(bytes, now());
        afterSession();
      },
      onClose: function (error: number, detail: string) {
        closingDone(mine.socket);
        if (link !== mine) return;
        link = undefined;
        session.lost();
        inbound = [];
        log(LOG_INFO, (kind === LINK_HUB ? "hub" : "DPS") + " connection closed (" + error + (detail ? " " + detail : "") + ")");
        const t = now();
        if (kind === LINK_HUB) policy.hubFailed(t, KIND_HUB_SOCKET, error);
        else policy.dpsFailed(t, KIND_DPS_SOCKET, error, 0);
        afterSession();
      },
    });
  }

  /** A socket we closed reported its end: the connection waiting for it may open now. */
  function closingDone(socket: Socket): void {
    if (closing !== socket) return;
    closing = undefined;
    const next = pendingOpen;
    pendingOpen = undefined;
    if (next) {
      next();
      afterSession();
    }
  }

  function closeLink(clean: boolean): void {
    pendingOpen = undefined;
    const old = link;
    if (!old) return;
    // DISCONNECT goes out while the link is still current (the session writes through it).
    if (clean && old.open) old.session.disconnect(now());
    link = undefined;
    old.session.lost();
    closing = old.socket;
    old.socket.close();
    inbound = [];
  }

  // DPS ----------------------------------------------------------------------------------

  function dpsPassword(): string | undefined {
    if (config.auth === AUTH_CERT) return undefined;
    const times = tokenTimes(hal.clock.isSynced(), hal.clock.utcSeconds(), config.tokenLifetimeSeconds);
    if (typeof times === "number") return undefined;
    const token = sasToken(dpsResource(config.idScope, config.registrationId), config.key, times.expirySeconds, hal.sha256, DPS_KEY_NAME);
    return typeof token === "number" ? undefined : token;
  }

  function onDpsConnack(): void {
    dpsSession.subscribe([DPS_SUBSCRIBE_FILTER], [1], now());
  }

  function register(): void {
    stats.dpsRegistrations++;
    log(LOG_INFO, "DPS: registering " + config.registrationId);
    // QoS 0: a lost request shows up as the DPS round's timeout, and a QoS 1 one would be
    // sent again, stale, on the next DPS connection.
    dpsSession.publish(dpsRegisterTopic(nextRid()), utf8Bytes(dpsRegisterPayload(config.registrationId, config.dpsPayload)), 0, false, now());
  }

  function handleDpsMessage(m: Inbound): void {
    const r = parseDpsResponse(m.topic, bytesToString(m.payload));
    if (m.qos === 1) dpsSession.ack(m.packetId, now());
    if (typeof r === "number") {
      log(LOG_WARN, "DPS: unreadable response on " + m.topic + " (" + r + ")");
      policy.dpsFailed(now(), KIND_DPS_RESPONSE, 500, 0);
      return;
    }
    log(LOG_INFO, "DPS: " + r.status + " " + ["", "unassigned", "assigning", "assigned", "failed", "disabled"][r.operationStatus] +
      (r.retryAfterSeconds ? " retry-after " + r.retryAfterSeconds + " s" : "") + (r.errorCode ? " error " + r.errorCode : ""));
    const allowed = r.operationStatus !== DPS_OP_ASSIGNED || isAllowedHub(r.assignedHub, config.hubSuffixes);
    policy.dpsResponse(now(), r.status, r.operationStatus, r.retryAfterSeconds, r.operationId, r.assignedHub, r.deviceId, allowed);
  }

  // Hub ----------------------------------------------------------------------------------

  function hubPassword(host: string, deviceId: string): string | undefined {
    if (config.auth === AUTH_CERT) return undefined;
    if (config.auth === AUTH_TOKEN) return config.token;
    const times = tokenTimes(hal.clock.isSynced(), hal.clock.utcSeconds(), config.tokenLifetimeSeconds);
    if (typeof times === "number") return undefined;
    const token = sasToken(hubResource(host, deviceId, config.moduleId || undefined), config.key, times.expirySeconds, hal.sha256);
    return typeof token === "number" ? undefined : token;
  }

  function onHubConnack(): void {
    stats.hubConnections++;
    const topics = [METHODS_SUBSCRIBE, TWIN_RESPONSE_SUBSCRIBE, TWIN_DESIRED_SUBSCRIBE];
    const qos = [0, 0, 0];
    if (!config.moduleId) {
      topics.push(c2dSubscribeTopic(hubDeviceId));
      qos.push(1);
    }
    hubSubscribing = true;
    hubSession.subscribe(topics, qos, now());
    policy.hubConnected(now());
  }

  function onHubSubscribed(): void {
    hubSubscribing = false;
    // Requests of an earlier connection are void: they are made again on this one.
    // Desired changes are pushed only while connected: read the whole twin after every connect.
    requestTwin();
    reportedRid = "";
    reportedRetryAt = -1;
    // Subscribed as well as connected: the application works, an update on trial confirms.
    if (ota) ota.connected(now());
  }

  function requestTwin(): void {
    twinGetRid = "";
    twinRetryAt = -1;
    if (twinGetDisabled) return;
    twinGetRid = nextRid();
    twinGetAt = now();
    twinRetryAt = -1;
    hubSession.publish(twinGetTopic(twinGetRid), new Uint8Array(0), 0, false, now());
  }

  function handleHubMessage(m: Inbound): void {
    const method = parseMethodTopic(m.topic);
    if (typeof method !== "number") {
      handleMethod(method.name, method.rid, serviceJson(bytesToString(m.payload)));
      return;
    }
    const twin = parseTwinTopic(m.topic);
    if (typeof twin !== "number") {
      if (twin.kind === TWIN_DESIRED) handleDesired(serviceJson(bytesToString(m.payload)), twin.version, false);
      else handleTwinResponse(twin.rid, twin.status, serviceJson(bytesToString(m.payload)), m.topic);
      return;
    }
    const properties = parseC2dTopic(m.topic);
    if (typeof properties !== "number") {
      if (c2dCallback) {
        try {
          c2dCallback(utf8Text(bytesToString(m.payload)), properties);
        } catch (e) {
          log(LOG_ERROR, "C2D handler threw: " + (e as { message?: string }).message);
        }
      }
      // Acknowledged once the handler has run (QoS 1).
      if (m.qos === 1) hubSession.ack(m.packetId, now());
      return;
    }
    log(LOG_WARN, "hub: ignored a message on " + m.topic);
    if (m.qos === 1) hubSession.ack(m.packetId, now());
  }

  function parseJsonObject(text: string): { [k: string]: unknown } | undefined {
    try {
      const v = JSON.parse(text);
      return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
    } catch (e) {
      return undefined;
    }
  }

  function handleDesired(text: string, version: number, full: boolean): void {
    const desired = parseJsonObject(text);
    if (!desired) {
      log(LOG_WARN, "twin: unreadable desired properties");
      return;
    }
    if (version <= desiredVersion) {
      log(LOG_INFO, "twin: desired version " + version + " ignored (have " + desiredVersion + ")");
      return;
    }
    // A patch that skips a version means one was missed: the full document catches up.
    const gap = !full && desiredVersion >= 0 && version > desiredVersion + 1;
    desiredVersion = version;
    if (desiredCallback) {
      try {
        desiredCallback(desired, version);
      } catch (e) {
        log(LOG_ERROR, "desired handler threw: " + (e as { message?: string }).message);
      }
    }
    // The update announcement: the whole value from a full document, a patch's member merged.
    if (ota && (full || desired.ota !== undefined)) ota.desired(desired.ota, now(), full);
    if (gap) requestTwin();
  }

  function handleTwinResponse(rid: string, status: number, payload: string, topic: string): void {
    const action = classify(KIND_TWIN_RESPONSE, status, retryAfterOf(topic), verdict);
    if (rid === twinGetRid) {
      twinGetRid = "";
      if (action === ACTION_NONE) {
        twinBackoffMs = 5000;
        const doc = parseJsonObject(payload);
        const desired = doc && doc.desired !== null && typeof doc.desired === "object" ? (doc.desired as { [k: string]: unknown }) : undefined;
        const version = desired && typeof desired.$version === "number" ? (desired.$version as number) : -1;
        if (desired && version >= 0) handleDesired(JSON.stringify(desired), version, true);
      } else if (action === ACTION_REPROVISION) {
        policy.requestReprovision(now());
      } else if (action !== ACTION_GIVE_UP) {
        twinRetryAt = now() + retryWait();
      }
      return;
    }
    if (rid !== "" && rid === reportedRid) {
      reportedRid = "";
      if (action === ACTION_NONE || action === ACTION_GIVE_UP) {
        if (action === ACTION_GIVE_UP) log(LOG_WARN, "twin: reported patch refused (" + status + "), dropped");
        if (!reportedIsOta) reported.shift();
        else if (otaReport === otaReportSent) otaReport = "";
        twinBackoffMs = 5000;
      } else {
        reportedRetryAt = now() + retryWait();
      }
    }
  }

  /** 429 honours retry-after; 5xx waits at least 5 s, doubling up to the fleet cap. */
  function retryWait(): number {
    if (verdict.waitMs > 0) return verdict.waitMs;
    const wait = twinBackoffMs + ((hal.random32() >>> 0) % twinBackoffMs);
    twinBackoffMs = twinBackoffMs * 2 > fleet.capMs ? fleet.capMs : twinBackoffMs * 2;
    return wait;
  }

  function retryAfterOf(topic: string): number {
    const at = topic.indexOf("retry-after=");
    if (at < 0) return 0;
    const n = parseInt(topic.substring(at + 12), 10);
    return n > 0 ? n : 0;
  }

  function handleMethod(name: string, rid: string, payload: string): void {
    const handler = methods[name];
    if (!handler) {
      if (name === REPROVISION_METHOD && config.useDps) {
        respondMethod(rid, 200, {});
        log(LOG_INFO, "Reprovision requested: forgetting the hub, running DPS");
        policy.requestReprovision(now());
        return;
      }
      respondMethod(rid, 404, { message: "no handler for method " + name });
      return;
    }
    if (pendingMethods.length >= MAX_PENDING_METHODS) {
      respondMethod(rid, 503, { message: "busy" });
      return;
    }
    const pending: PendingMethod = { rid: rid, deadline: now() + config.methodTimeoutMs, done: false };
    pendingMethods.push(pending);
    const respond = function (status: number, body?: unknown): void {
      if (pending.done) return;
      pending.done = true;
      const i = pendingMethods.indexOf(pending);
      if (i >= 0) pendingMethods.splice(i, 1);
      respondMethod(rid, status, body);
      schedule();
    };
    try {
      handler(payload, respond);
    } catch (e) {
      log(LOG_ERROR, "method " + name + " threw: " + (e as { message?: string }).message);
      respond(500, { message: "handler failed" });
    }
  }

  function respondMethod(rid: string, status: number, body: unknown): void {
    hubSession.publish(methodResponseTopic(status, rid), toBody(body), 0, false, now());
  }

  /** Moves queued telemetry and reported patches into the hub session while it has room. */
  function pump(): void {
    if (!link || link.kind !== LINK_HUB || policy.state !== STATE_HUB_CONNECTED) return;
    const t = now();
    for (;;) {
      if (hubSession.inflight() >= HUB_WINDOW - 1) break;
      const m = outbox.nextUnsent();
      if (!m) break;
      const id = hubSession.publish(hubPrefix + m.bag, m.payload, 1, false, t);
      if (id <= 0) break;
      outbox.markSent(m, id);
    }
    if ((reported.length > 0 || otaReport !== "") && reportedRid === "" && (reportedRetryAt < 0 || t - reportedRetryAt >= 0)) {
      reportedRid = nextRid();
      reportedSentAt = t;
      reportedRetryAt = -1;
      reportedIsOta = reported.length === 0;
      if (reportedIsOta) otaReportSent = otaReport;
      hubSession.publish(twinReportedTopic(reportedRid), utf8Bytes(reportedIsOta ? otaReport : reported[0]), 0, false, t);
    }
  }

  // Timers -------------------------------------------------------------------------------

  function deviceTimers(t: number): void {
    if (twinRetryAt >= 0 && t - twinRetryAt >= 0 && policy.state === STATE_HUB_CONNECTED) requestTwin();
    if (twinGetRid !== "" && t - twinGetAt >= TWIN_TIMEOUT_MS && policy.state === STATE_HUB_CONNECTED) requestTwin();
    if (reportedRid !== "" && t - reportedSentAt >= TWIN_TIMEOUT_MS) reportedRid = "";
    for (let i = pendingMethods.length - 1; i >= 0; i--) {
      const p = pendingMethods[i];
      if (t - p.deadline >= 0) {
        p.done = true;
        pendingMethods.splice(i, 1);
        respondMethod(p.rid, 504, { message: "handler timed out" });
      }
    }
  }

  function earliest(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    return b - a < 0 ? b : a;
  }

  function schedule(): void {
    if (!started) return;
    const t = now();
    let at = policy.nextDeadline();
    if (link) {
      const delay = link.session.tick(t);
      if (delay >= 0) at = earliest(at, t + delay);
    }
    if (policy.state === STATE_HUB_CONNECTED) {
      if (twinRetryAt >= 0) at = earliest(at, twinRetryAt);
      if (twinGetRid !== "") at = earliest(at, twinGetAt + TWIN_TIMEOUT_MS);
      if (reportedRetryAt >= 0) at = earliest(at, reportedRetryAt);
      if (reportedRid !== "") at = earliest(at, reportedSentAt + TWIN_TIMEOUT_MS);
    }
    for (let i = 0; i < pendingMethods.length; i++) at = earliest(at, pendingMethods[i].deadline);
    if (ota) {
      at = earliest(at, ota.nextDeadline());
      if (otaFlushUntil >= 0) at = earliest(at, otaFlushUntil);
      if (rebootAt >= 0) at = earliest(at, rebootAt);
    }
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
    if (!started) return;
    const t = now();
    policy.setClockSynced(hal.clock.isSynced());
    if (link) link.session.tick(t);
    deviceTimers(t);
    policy.tick(t);
    if (ota) ota.tick(t);
    afterSession();
  }

  // Policy actions ------------------------------------------------------------------------

  const actions: PolicyActions = {
    connectDps: function () {
      const password = dpsPassword();
      if (config.auth !== AUTH_CERT && password === undefined) {
        log(LOG_ERROR, "DPS: cannot sign a token (clock or key)");
      }
      openLink(LINK_DPS, config.dpsEndpoint, {
        clientId: dpsClientId(config.registrationId),
        keepAliveS: config.keepAliveSeconds,
        cleanSession: true,
        username: dpsUsername(config.idScope, config.registrationId),
        password: password,
      });
    },
    pollDps: function (operationId: string) {
      stats.dpsPolls++;
      dpsSession.publish(dpsPollTopic(nextRid(), operationId), new Uint8Array(0), 0, false, now());
    },
    closeDps: function () {
      if (link && link.kind === LINK_DPS) closeLink(true);
    },
    connectHub: function (hub: string, deviceId: string) {
      if (deviceId !== hubDeviceId) {
        // Another identity (first assignment or a move): in-flight telemetry carries the old
        // topic, so it goes out again, fresh, to the new one.
        if (hubDeviceId !== "") outbox.forEachInFlight(function (packetId: number) {
          hubSession.discard(packetId);
        });
        hubDeviceId = deviceId;
      }
      hubPrefix = telemetryTopic(deviceId, undefined, config.moduleId || undefined);
      openLink(LINK_HUB, hub, {
        clientId: hubClientId(deviceId, config.moduleId || undefined),
        keepAliveS: config.keepAliveSeconds,
        cleanSession: false,
        username: hubUsername(hub, deviceId, config.moduleId || undefined, config.modelId || undefined),
        password: hubPassword(hub, deviceId),
      });
    },
    closeHub: function (clean: boolean) {
      if (link && link.kind === LINK_HUB) closeLink(clean);
    },
    saveAssignment: function (hub: string, deviceId: string) {
      const record = encodeHubCache(binding, { assignedHub: hub, deviceId: deviceId }, hal.sha256);
      if (typeof record === "number") {
        log(LOG_WARN, "hub cache: cannot encode the assignment (" + record + ")");
        return;
      }
      if (hal.store.read(HUB_CACHE_NAME) === record) return;
      if (hal.store.write(HUB_CACHE_NAME, record)) stats.cacheWrites++;
      else log(LOG_WARN, "hub cache: write failed");
    },
    forgetAssignment: function () {
      hal.store.erase(HUB_CACHE_NAME);
    },
    status: function (status: number, reason: number) {
      const t = now();
      if (status === STATUS_CONNECTED && stats.disconnectedSince >= 0) {
        stats.disconnectedMs += t - stats.disconnectedSince;
        stats.disconnectedSince = -1;
      } else if (status !== STATUS_CONNECTED && stats.disconnectedSince < 0) {
        stats.disconnectedSince = t;
      }
      if (status !== STATUS_CONNECTED && ota) ota.disconnected(t);
      statusText = statusName(status);
      reasonText = reasonName(reason);
      log(LOG_INFO, "status " + statusText + (reason ? " (" + reasonText + ")" : ""));
      for (let i = 0; i < statusCallbacks.length; i++) {
        try {
          statusCallbacks[i](statusText, reasonText);
        } catch (e) {
          log(LOG_ERROR, "status handler threw: " + (e as { message?: string }).message);
        }
      }
    },
    note: function (message: string) {
      log(LOG_INFO, message);
    },
  };

  const policy = new ConnectionPolicy(policyConfig, actions, hal.random32);

  // Updates --------------------------------------------------------------------------------

  /** The agent's requests, carried out after the call that made them (otaStep), so sockets
   *  and the policy are never driven from inside the agent. */
  const otaActions: OtaActions = {
    startDownload: function (url: string, offset: number) {
      downloadWanted = { url: url, offset: offset };
    },
    stopDownload: function () {
      downloadWanted = undefined;
      closeDownload();
    },
    writeChunk: function (name: string, bytes: Uint8Array, offset: number, totalSize: number) {
      if (hal.store.writeChunk(name, bytes, offset, totalSize)) return true;
      if (offset === 0) return false;
      // Resuming after a power loss: bytes past the last progress record may be on flash
      // already, and flash is not written twice. Skip what is there, write the rest.
      const stored = hal.store.read(name);
      if (stored === undefined || stored.length !== totalSize) return false;
      const k = resumeSplit(stored.substr(offset, bytes.length), bytes);
      if (k < 0) return false;
      return k === bytes.length || hal.store.writeChunk(name, bytes.subarray(k, bytes.length), offset + k, totalSize);
    },
    saveProgress: function (record) {
      if (record) hal.store.write(PROGRESS_RECORD, encodeProgress(record));
      else hal.store.erase(PROGRESS_RECORD);
    },
    hashSlot: function (name: string) {
      const digest = hal.store.digest(name);
      (ota as OtaAgent).verified(digest ? hexOf(digest) : "");
    },
    commitSwitch: function (selector) {
      if (!storeSelector(hal.store, selector)) return false;
      // The new application boots at the reboot; until then queued telemetry and reports
      // get a short while to reach the hub, so the switch loses nothing that was sent.
      rebootAt = now() + OTA_DRAIN_MS;
      return true;
    },
    confirm: function (selector) {
      return storeSelector(hal.store, selector);
    },
    reboot: function () {
      rebootAt = now();
    },
    report: function (patch) {
      otaReport = JSON.stringify(patch);
    },
    log: function (message: string) {
      log(LOG_INFO, message);
    },
  };

  if (config.otaKey !== "") {
    const otaConfig = defaultOtaConfig(base64DecodeLenient(config.otaKey) as Uint8Array, hal.sha256);
    otaConfig.confirmWindowMs = config.otaConfirmWindowMs;
    otaConfig.maxSize = config.otaMaxBytes;
    ota = new OtaAgent(otaConfig, otaActions);
  }

  function drained(): boolean {
    return outbox.size() === 0 && reported.length === 0 && otaReport === "" && reportedRid === "";
  }

  /** After every event: start or end the download's hold on the connection, and reboot
   *  when a switch or a failed trial asks for it. */
  function otaStep(): void {
    if (!ota) return;
    const t = now();
    if (rebootAt >= 0) {
      if (t - rebootAt >= 0 || drained()) {
        rebootAt = -1;
        log(LOG_INFO, "ota: rebooting");
        policy.stop();
        closeLink(true);
        closeDownload();
        started = false;
        if (timer !== 0) hal.timers.clearTimer(timer);
        timer = 0;
        hal.system.reboot();
        return;
      }
    }
    if (downloadWanted && !download) {
      // One TLS socket: the hub link closes for the download. Its "downloading" report goes
      // out first when the hub is there (bounded wait), so the cloud sees the update start.
      if (!otaHolding && policy.state === STATE_HUB_CONNECTED && (otaReport !== "" || reportedRid !== "")) {
        if (otaFlushUntil < 0) otaFlushUntil = t + OTA_REPORT_FLUSH_MS;
        if (t - otaFlushUntil < 0) return;
      }
      otaFlushUntil = -1;
      if (!otaHolding) {
        otaHolding = true;
        policy.hold(t, true);
      }
      openDownload();
      return;
    }
    if (otaHolding && !downloadWanted && !download) {
      otaHolding = false;
      policy.hold(t, false);
    }
  }

  function openDownload(): void {
    const wanted = downloadWanted;
    if (!wanted || download || !ota) return;
    if (closing) {
      pendingOpen = openDownload;
      return;
    }
    downloadWanted = undefined;
    const agent = ota;
    const transfer = createDownload(agent, wanted.url, wanted.offset, now);
    if (typeof transfer === "number") {
      agent.downloadEnded(false, transfer, now());
      return;
    }
    const u = transfer.url;
    const options: SocketOptions = { host: u.host, port: u.port, tls: u.tls };
    if (u.tls && ca.length > 0) options.ca = ca;
    log(LOG_INFO, "ota: downloading from " + u.host + " at byte " + wanted.offset);
    const mine = { transfer: transfer, socket: undefined as unknown as Socket };
    download = mine;
    mine.socket = hal.net.connect(options, {
      onOpen: function () {
        if (download === mine) mine.socket.write(transfer.request());
      },
      onData: function (bytes: Uint8Array) {
        if (download !== mine) return;
        if (transfer.data(bytes, now())) closeDownload();
        afterSession();
      },
      onClose: function (error: number, detail: string) {
        closingDone(mine.socket);
        if (download !== mine) return;
        download = undefined;
        log(LOG_INFO, "ota: download connection closed (" + error + (detail ? " " + detail : "") + ")");
        transfer.closed(error, now());
        afterSession();
      },
    });
  }

  function closeDownload(): void {
    const d = download;
    if (!d) return;
    download = undefined;
    d.transfer.cancel();
    closing = d.socket;
    d.socket.close();
  }

  hal.network.onChange(function (up: boolean) {
    if (!started) return;
    policy.networkChanged(now(), up);
    if (ota) ota.networkChanged(up, now());
    afterSession();
  });

  function cachedAssignment(): { hub: string; deviceId: string } | undefined {
    if (!config.useDps) return { hub: config.hubHost, deviceId: config.deviceId };
    const cached = decodeHubCache(hal.store.read(HUB_CACHE_NAME), binding, hal.sha256);
    if (typeof cached === "number") {
      if (cached !== CACHE_ABSENT) {
        log(LOG_WARN, "hub cache ignored: " + (cached === CACHE_FOREIGN ? "made for other credentials" : "corrupt") + "; DPS will replace it");
      }
      return undefined;
    }
    if (!isAllowedHub(cached.assignedHub, config.hubSuffixes)) {
      log(LOG_WARN, "hub cache ignored: " + cached.assignedHub + " is not on the allow-list");
      return undefined;
    }
    log(LOG_INFO, "hub cache: " + cached.deviceId + " on " + cached.assignedHub);
    return { hub: cached.assignedHub, deviceId: cached.deviceId };
  }

  return {
    start: function () {
      if (started) return;
      started = true;
      stats.disconnectedSince = now();
      policy.setClockSynced(hal.clock.isSynced());
      policy.start(now(), cachedAssignment(), hal.network.isUp(), hal.clock.isSynced());
      if (ota) {
        const progress = parseProgress(hal.store.read(PROGRESS_RECORD));
        ota.start(now(), loadSelector(hal.store), typeof progress === "number" ? undefined : progress, appVersion);
        ota.networkChanged(hal.network.isUp(), now());
      }
      afterSession();
    },
    stop: function () {
      if (!started) return;
      policy.stop();
      closeLink(true);
      downloadWanted = undefined;
      closeDownload();
      started = false;
      if (timer !== 0) hal.timers.clearTimer(timer);
      timer = 0;
      timerAt = -1;
    },
    onStatus: function (callback: StatusCallback) {
      statusCallbacks = statusCallbacks.concat([callback]);
    },
    onMethod: function (name: string, handler: MethodHandler) {
      methods[name] = handler;
    },
    onDesired: function (callback: DesiredCallback) {
      desiredCallback = callback;
    },
    onC2D: function (callback: C2dCallback) {
      c2dCallback = callback;
    },
    sendTelemetry: function (body: string | Uint8Array, properties?: PropertyBag) {
      const payload = typeof body === "string" ? utf8Bytes(body) : body;
      const messageId = bootId + "-" + (stats.accepted + 1);
      const bag: PropertyBag = { "$.mid": messageId };
      if (properties) {
        const names = Object.keys(properties);
        for (let i = 0; i < names.length; i++) bag[names[i]] = properties[names[i]];
      }
      const encoded = encodePropertyBag(bag);
      const seq = outbox.add(encoded, payload, messageId, function (dropped: OutboxMessage) {
        if (dropped.packetId !== 0) hubSession.discard(dropped.packetId);
        log(LOG_WARN, "outbox full: dropped message " + dropped.messageId);
      });
      if (seq > 0) stats.accepted++;
      if (started) {
        pump();
        schedule();
      }
      return seq;
    },
    reportProperties: function (patch: { [k: string]: unknown }) {
      if (patch === null || typeof patch !== "object") return ERR_BAD_ARGUMENT;
      if (reported.length >= MAX_REPORTED) return ERR_FULL;
      reported.push(jsonForService(patch));
      if (started) {
        pump();
        schedule();
      }
      return 0;
    },
    stats: function (): DeviceStats {
      const t = now();
      return {
        telemetryAccepted: stats.accepted,
        telemetryAcknowledged: outbox.acknowledged,
        telemetryDropped: outbox.dropped,
        outboxSize: outbox.size(),
        dpsRegistrations: stats.dpsRegistrations,
        dpsPolls: stats.dpsPolls,
        hubConnections: stats.hubConnections,
        connectAttempts: stats.connectAttempts,
        cacheWrites: stats.cacheWrites,
        disconnectedMs: stats.disconnectedMs + (stats.disconnectedSince >= 0 ? t - stats.disconnectedSince : 0),
        status: statusText,
        reason: reasonText,
      };
    },
    assignment: function () {
      return policy.assignment ? { hub: policy.assignment.hub, deviceId: policy.assignment.deviceId } : undefined;
    },
    internal: {
      awaitingReply: function () {
        if (pendingOpen) return true;
        if (!link) return false;
        if (!link.open || link.session.state() !== SESSION_UP) return true;
        if (link.kind === LINK_DPS) return policy.state === STATE_DPS_ACTIVE;
        return policy.state === STATE_HUB_CONNECTED && (twinGetRid !== "" || hubSubscribing);
      },
      messagesReceived: function () {
        return received;
      },
    },
  };
}
