// The hub connection: CONNECT with a fresh token, the subscriptions, and where each message
// from the hub goes (methods, twin, C2D). What failed is told to the policy.
import { LOG_ERROR, LOG_WARN } from "../../hal/types";
import { AUTH_CERT, AUTH_TOKEN } from "../config";
import { sasToken, hubResource, tokenTimes } from "../azure/sas";
import {
  hubClientId, hubUsername, c2dSubscribeTopic, parseC2dTopic, parseMethodTopic, parseTwinTopic, TWIN_DESIRED,
  METHODS_SUBSCRIBE, TWIN_RESPONSE_SUBSCRIBE, TWIN_DESIRED_SUBSCRIBE,
} from "../azure/hub-topics";
import { KIND_HUB_SOCKET, KIND_HUB_TIMEOUT, KIND_HUB_CONNACK, AWAIT_CONNACK, AWAIT_PINGRESP } from "../policy/classify";
import { SOCKET_ERROR, ERR_REFUSED, ERR_CONNACK_TIMEOUT, ERR_LINK_DEAD } from "../status";
import { Core, Inbound, LINK_HUB } from "./core";
import { openMqtt } from "./link";
import { TWIN_TOO_LARGE } from "./twin";
import { bytesToString } from "./lib";
import { utf8Text, serviceJson } from "../text";

export interface Hub {
  /** The device id the hub session is for ("" before the first assignment). */
  deviceId: string;
  /** SUBSCRIBE sent, SUBACK not yet in. */
  subscribing: boolean;
  connect(hub: string, deviceId: string): void;
  handle(message: Inbound): void;
  /** The hub session gave the connection up with this code. */
  sessionClosed(reason: number): void;
}

export function createHub(core: Core): Hub {
  const config = core.config;
  const moduleId = config.moduleId || undefined;

  function password(host: string, deviceId: string): string | undefined {
    if (config.auth === AUTH_CERT) return undefined;
    if (config.auth === AUTH_TOKEN) return config.token;
    const times = tokenTimes(core.hal.clock.isSynced(), core.hal.clock.utcSeconds(), config.tokenLifetimeSeconds);
    if (typeof times === "number") return undefined;
    const token = sasToken(hubResource(host, deviceId, moduleId), config.key, times.expirySeconds, core.hal.sha256);
    return typeof token === "number" ? undefined : token;
  }

  const hub: Hub = {
    deviceId: "",
    subscribing: false,

    connect: function (host: string, deviceId: string): void {
      // Another identity than the last connection's (a move; the first assignment is none):
      // in-flight telemetry carries the old topic, so it goes out again, fresh, to the new one.
      core.telemetry.setDeviceId(deviceId, hub.deviceId !== "" && deviceId !== hub.deviceId);
      hub.deviceId = deviceId;
      if (!core.hubSession) {
        // PUBACKs go straight to the outbox's own function (it uses no `this`): a wrapper
        // would cost a function for the life of the session.
        core.hubSession = core.lib.createSession(core.link.events(LINK_HUB, connacked, subscribed, core.telemetry.outbox.acknowledge),
          { maxInflight: core.telemetry.window, maxPacket: config.maxInboundBytes, txSize: 1024 });
      }
      openMqtt(core, LINK_HUB, host, core.hubSession, {
        clientId: hubClientId(deviceId, moduleId),
        keepAliveS: config.keepAliveSeconds,
        cleanSession: false,
        username: hubUsername(host, deviceId, moduleId, config.modelId || undefined),
        password: password(host, deviceId),
      });
    },

    handle: function (m: Inbound): void {
      if (m.tooLarge) {
        tooLarge(m);
        return;
      }
      const method = parseMethodTopic(m.topic);
      if (typeof method !== "number") {
        core.methods.handle(method.name, method.rid, serviceJson(bytesToString(m.payload)));
        return;
      }
      const twin = parseTwinTopic(m.topic);
      if (typeof twin !== "number") {
        if (twin.kind === TWIN_DESIRED) core.twin.desired(serviceJson(bytesToString(m.payload)), twin.version, false);
        else core.twin.response(twin.rid, twin.status, serviceJson(bytesToString(m.payload)), m.topic);
        return;
      }
      const properties = parseC2dTopic(m.topic);
      if (typeof properties !== "number") {
        // The application's handler, called from here: a function of its own in telemetry
        // would live as long as the device.
        const onC2D = core.telemetry.onC2D;
        try {
          if (onC2D) onC2D(utf8Text(bytesToString(m.payload)), properties);
        } catch (e) {
          core.log(LOG_ERROR, "C2D handler threw: " + (e as { message?: string }).message);
        }
      } else {
        core.log(LOG_WARN, "hub: ignored a message on " + m.topic);
      }
      // Acknowledged once the handler has run (QoS 1).
      if (m.qos === 1) core.hubSession!.ack(m.packetId, core.now());
    },

    sessionClosed: function (reason: number): void {
      const t = core.now();
      const policy = core.policy;
      if (reason === ERR_REFUSED) policy.hubFailed(t, KIND_HUB_CONNACK, core.link.connackCode);
      else if (reason === ERR_CONNACK_TIMEOUT) policy.hubFailed(t, KIND_HUB_TIMEOUT, AWAIT_CONNACK);
      else if (reason === ERR_LINK_DEAD) policy.hubFailed(t, KIND_HUB_TIMEOUT, AWAIT_PINGRESP);
      else {
        core.log(LOG_WARN, "hub connection ended by the session (code " + reason + ")");
        policy.hubFailed(t, KIND_HUB_SOCKET, SOCKET_ERROR);
      }
    },
  };

  /** A message above maxInboundBytes, skipped unread (the session acknowledged it). */
  function tooLarge(m: Inbound): void {
    core.log(LOG_WARN, "hub: a " + m.tooLarge + "-byte message is above maxInboundBytes (" + config.maxInboundBytes + "), skipped: " +
      (m.topic !== "" ? m.topic : "(topic too long)"));
    const method = parseMethodTopic(m.topic);
    if (typeof method !== "number") {
      core.methods.handle(method.name, method.rid, undefined);
      return;
    }
    const twin = parseTwinTopic(m.topic);
    if (typeof twin !== "number") core.twin.response(twin.kind === TWIN_DESIRED ? "" : twin.rid, TWIN_TOO_LARGE, "", m.topic);
  }

  function connacked(): void {
    core.stats.hubConnections++;
    const topics = [METHODS_SUBSCRIBE, TWIN_RESPONSE_SUBSCRIBE, TWIN_DESIRED_SUBSCRIBE];
    const qos = [0, 0, 0];
    if (!moduleId) {
      topics.push(c2dSubscribeTopic(hub.deviceId));
      qos.push(1);
    }
    hub.subscribing = true;
    core.hubSession!.subscribe(topics, qos, core.now());
    core.twin.connected(false);
    core.policy.hubConnected(core.now());
  }

  function subscribed(): void {
    hub.subscribing = false;
    core.twin.connected(true);
    // Subscribed as well as connected: the application works, an update on trial confirms.
    if (core.updates) core.updates.connected();
  }

  return hub;
}
