// Provisioning through DPS, loaded on demand: evaluated from Storage when the policy opens
// DPS and dropped when DPS is closed, so a device with a cached hub never holds it. It has
// its own MQTT session (for the length of the DPS round) on the device's one link.
import { LOG_ERROR, LOG_INFO, LOG_WARN } from "../../hal/types";
import { AUTH_CERT } from "../config";
import { dpsResource, DPS_KEY_NAME } from "../azure/sas";
import {
  dpsClientId, dpsUsername, dpsRegisterTopic, dpsPollTopic, dpsRegisterPayload, parseDpsResponse, DPS_SUBSCRIBE_FILTER, DPS_OP_ASSIGNED,
} from "../azure/dps";
import { KIND_DPS_TIMEOUT, KIND_DPS_CONNACK, KIND_DPS_RESPONSE, KIND_DPS_SOCKET, AWAIT_CONNACK, AWAIT_PINGRESP } from "../policy/classify";
import { SOCKET_ERROR, ERR_REFUSED, ERR_CONNACK_TIMEOUT, ERR_LINK_DEAD, ERR_TOO_LARGE } from "../status";
import { Core, Inbound, Provisioning, LINK_DPS } from "./core";

const OPERATION_NAMES = ["", "unassigned", "assigning", "assigned", "failed", "disabled"];

export default function createProvisioning(core: Core): Provisioning {
  const config = core.config;
  const lib = core.lib;

  function password(): string | undefined {
    if (config.auth === AUTH_CERT) return undefined;
    const times = lib.tokenTimes(core.hal.clock.isSynced(), core.hal.clock.utcSeconds(), config.tokenLifetimeSeconds);
    if (typeof times === "number") return undefined;
    const token = lib.sasToken(dpsResource(config.idScope, config.registrationId), config.key, times.expirySeconds, core.hal.sha256, DPS_KEY_NAME);
    return typeof token === "number" ? undefined : token;
  }

  function connacked(): void {
    session.subscribe([DPS_SUBSCRIBE_FILTER], [1], core.now());
  }

  function register(): void {
    core.stats.dpsRegistrations++;
    core.log(LOG_INFO, "DPS: registering " + config.registrationId);
    // QoS 0: a lost request shows up as the DPS round's timeout, and a QoS 1 one would be
    // sent again, stale, on the next DPS connection.
    session.publish(dpsRegisterTopic(core.nextRid()), lib.utf8Bytes(dpsRegisterPayload(config.registrationId, config.dpsPayload)), 0, false, core.now());
  }

  const session = lib.createSession(core.link.events(LINK_DPS, connacked, register, function () {
    // DPS requests are QoS 0
  }), { maxInflight: 2, maxPacket: config.maxInboundBytes, txSize: 1024 });

  return {
    connect: function (): void {
      const secret = password();
      if (config.auth !== AUTH_CERT && secret === undefined) core.log(LOG_ERROR, "DPS: cannot sign a token (clock or key)");
      lib.openMqtt(core, LINK_DPS, config.dpsEndpoint, session, {
        clientId: dpsClientId(config.registrationId),
        keepAliveS: config.keepAliveSeconds,
        cleanSession: true,
        username: dpsUsername(config.idScope, config.registrationId),
        password: secret,
      });
    },

    poll: function (operationId: string): void {
      core.stats.dpsPolls++;
      session.publish(dpsPollTopic(core.nextRid(), operationId), new Uint8Array(0), 0, false, core.now());
    },

    handle: function (m: Inbound): void {
      const r = m.tooLarge ? ERR_TOO_LARGE : parseDpsResponse(m.topic, lib.bytesToString(m.payload));
      // One too large was skipped and acknowledged by the session already.
      if (m.qos === 1 && !m.tooLarge) session.ack(m.packetId, core.now());
      if (typeof r === "number") {
        core.log(LOG_WARN, "DPS: unreadable response on " + m.topic + " (" + r + ")");
        core.policy.dpsFailed(core.now(), KIND_DPS_RESPONSE, 500, 0);
        return;
      }
      core.log(LOG_INFO, "DPS: " + r.status + " " + OPERATION_NAMES[r.operationStatus] +
        (r.retryAfterSeconds ? " retry-after " + r.retryAfterSeconds + " s" : "") + (r.errorCode ? " error " + r.errorCode : ""));
      const allowed = r.operationStatus !== DPS_OP_ASSIGNED || lib.isAllowedHub(r.assignedHub, config.hubSuffixes);
      core.policy.dpsResponse(core.now(), r.status, r.operationStatus, r.retryAfterSeconds, r.operationId, r.assignedHub, r.deviceId, allowed);
    },

    sessionClosed: function (reason: number): void {
      const t = core.now();
      const policy = core.policy;
      if (reason === ERR_REFUSED) policy.dpsFailed(t, KIND_DPS_CONNACK, core.link.connackCode, 0);
      else if (reason === ERR_CONNACK_TIMEOUT) policy.dpsFailed(t, KIND_DPS_TIMEOUT, AWAIT_CONNACK, 0);
      else if (reason === ERR_LINK_DEAD) policy.dpsFailed(t, KIND_DPS_TIMEOUT, AWAIT_PINGRESP, 0);
      else policy.dpsFailed(t, KIND_DPS_SOCKET, SOCKET_ERROR, 0);
    },
  };
}
