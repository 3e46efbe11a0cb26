// Device Provisioning Service over MQTT: client id, username, topics, register payload and
// the response parser (../shared/reference/azure-iot.md §5). Pure: strings in, strings or
// a parsed response out. Bad input from the network gives a status, never an exception.
import { NO_MATCH, ERR_MALFORMED } from "../status";
import { isDeviceId, isHostName, isOperationId } from "./identifiers";

export const DPS_API_VERSION = "2019-03-31";
export const DPS_GLOBAL_ENDPOINT = "global.azure-devices-provisioning.net";
export const DPS_SUBSCRIBE_FILTER = "$dps/registrations/res/#";
const RESPONSE_PREFIX = "$dps/registrations/res/";

// Operation status, from the payload's "status" (independent of the topic status).
export const DPS_OP_NONE = 0;
export const DPS_OP_UNASSIGNED = 1;
export const DPS_OP_ASSIGNING = 2;
export const DPS_OP_ASSIGNED = 3;
export const DPS_OP_FAILED = 4;
export const DPS_OP_DISABLED = 5;

/** Longest free text accepted from the service (names are checked by ./identifiers). */
const MAX_FIELD = 512;

export interface DpsResponse {
  /** The topic status: 200, 202, 401, 429, 500... */
  status: number;
  rid: string;
  /** Seconds from `retry-after` anywhere in the query; 0 when absent. */
  retryAfterSeconds: number;
  operationId: string;
  /** One of DPS_OP_*. An error reply without a status reads as DPS_OP_FAILED. */
  operationStatus: number;
  assignedHub: string;
  deviceId: string;
  /** The 6-digit extended code (401002) and its HTTP class (401); 0 when absent. */
  errorCode: number;
  errorClass: number;
  trackingId: string;
  message: string;
}

export function dpsClientId(registrationId: string): string {
  return registrationId;
}

export function dpsUsername(idScope: string, registrationId: string, clientVersion?: string): string {
  const base = idScope + "/registrations/" + registrationId + "/api-version=" + DPS_API_VERSION;
  return clientVersion === undefined || clientVersion === "" ? base : base + "&ClientVersion=" + clientVersion;
}

export function dpsRegisterTopic(rid: string): string {
  return "$dps/registrations/PUT/iotdps-register/?$rid=" + rid;
}

export function dpsPollTopic(rid: string, operationId: string): string {
  return "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=" + rid + "&operationId=" + operationId;
}

/** JSON string literal for a byte string (only the characters JSON requires are escaped). */
export function jsonString(value: string): string {
  let out = "\"";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += "\\\"";
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += value.charAt(i);
  }
  return out + "\"";
}

/** `{"registrationId":"..."}`, with a custom JSON payload (e.g. `{"modelId":"dtmi:..."}`)
 *  copied verbatim when given. */
export function dpsRegisterPayload(registrationId: string, customJson?: string): string {
  const head = "{\"registrationId\":" + jsonString(registrationId);
  return customJson === undefined || customJson === "" ? head + "}" : head + ",\"payload\":" + customJson + "}";
}

function parseOperationStatus(value: unknown): number {
  if (value === "unassigned") return DPS_OP_UNASSIGNED;
  if (value === "assigning") return DPS_OP_ASSIGNING;
  if (value === "assigned") return DPS_OP_ASSIGNED;
  if (value === "failed") return DPS_OP_FAILED;
  if (value === "disabled") return DPS_OP_DISABLED;
  return -1;
}

/** Value of `name=` in a query string, at any position; undefined when absent. */
export function queryValue(query: string, name: string): string | undefined {
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf("&", start);
    if (end < 0) end = query.length;
    if (query.substr(start, name.length + 1) === name + "=") return query.substring(start + name.length + 1, end);
    start = end + 1;
  }
  return undefined;
}

function decimal(text: string, max: number): number {
  if (text.length === 0 || text.length > 10) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n > max ? -1 : n;
}

function stringField(o: { [k: string]: unknown }, name: string, max: number): string | number {
  const v = o[name];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string" || v.length > max) return ERR_MALFORMED;
  return v;
}

/**
 * Parses a message received on the DPS response subscription.
 * Returns the response, NO_MATCH for a topic that is not a DPS response, or ERR_MALFORMED
 * for a DPS topic whose status, query or payload cannot be trusted.
 */
export function parseDpsResponse(topic: string, payload: string): DpsResponse | number {
  if (!topic.startsWith(RESPONSE_PREFIX)) return NO_MATCH;
  const rest = topic.substring(RESPONSE_PREFIX.length);
  const slash = rest.indexOf("/");
  const status = decimal(slash < 0 ? rest : rest.substring(0, slash), 999);
  if (status < 100) return ERR_MALFORMED;
  const q = rest.indexOf("?");
  const query = q < 0 ? "" : rest.substring(q + 1);
  const retryText = queryValue(query, "retry-after");
  const retryAfterSeconds = retryText === undefined ? 0 : decimal(retryText, 86400);
  if (retryAfterSeconds < 0) return ERR_MALFORMED;
  const rid = queryValue(query, "$rid");

  const response: DpsResponse = {
    status: status,
    rid: rid === undefined ? "" : rid,
    retryAfterSeconds: retryAfterSeconds,
    operationId: "",
    operationStatus: DPS_OP_NONE,
    assignedHub: "",
    deviceId: "",
    errorCode: 0,
    errorClass: 0,
    trackingId: "",
    message: "",
  };

  let body: unknown;
  try {
    body = payload.length === 0 ? undefined : JSON.parse(payload);
  } catch (e) {
    body = undefined;
  }
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    // An error status speaks for itself even without a readable body; a success must have one.
    if (status >= 300) {
      response.operationStatus = DPS_OP_FAILED;
      response.errorClass = status;
      return response;
    }
    return ERR_MALFORMED;
  }
  const o = body as { [k: string]: unknown };

  const operationId = stringField(o, "operationId", MAX_FIELD);
  const trackingId = stringField(o, "trackingId", MAX_FIELD);
  const message = stringField(o, "message", MAX_FIELD);
  if (typeof operationId === "number" || typeof trackingId === "number" || typeof message === "number") return ERR_MALFORMED;
  // The operation id goes into the poll topic: Azure's characters only, never `&`, `/` or `#`.
  if (operationId !== "" && !isOperationId(operationId)) return ERR_MALFORMED;
  response.operationId = operationId;
  response.trackingId = trackingId;
  response.message = message;

  if (o.errorCode !== undefined) {
    if (typeof o.errorCode !== "number" || o.errorCode < 0 || o.errorCode > 999999) return ERR_MALFORMED;
    response.errorCode = Math.floor(o.errorCode);
    response.errorClass = Math.floor(response.errorCode / 1000);
  }

  if (o.status === undefined) {
    // No operation status: an error reply (FAILED) if it says why or the topic says so.
    if (response.errorCode > 0 || status >= 300) {
      response.operationStatus = DPS_OP_FAILED;
      if (response.errorClass === 0) response.errorClass = status;
      return response;
    }
    return ERR_MALFORMED;
  }
  const operationStatus = parseOperationStatus(o.status);
  if (operationStatus < 0) return ERR_MALFORMED;
  response.operationStatus = operationStatus;

  const state = o.registrationState;
  if (state !== undefined && state !== null) {
    if (typeof state !== "object" || Array.isArray(state)) return ERR_MALFORMED;
    const s = state as { [k: string]: unknown };
    const hub = stringField(s, "assignedHub", MAX_FIELD);
    const deviceId = stringField(s, "deviceId", MAX_FIELD);
    if (typeof hub === "number" || typeof deviceId === "number") return ERR_MALFORMED;
    // Both go into the hub's client id, username and topics: Azure's rules or a protocol error.
    if ((hub !== "" && !isHostName(hub)) || (deviceId !== "" && !isDeviceId(deviceId))) return ERR_MALFORMED;
    // The hub and the device id come as a pair.
    if ((hub === "") !== (deviceId === "")) return ERR_MALFORMED;
    response.assignedHub = hub;
    response.deviceId = deviceId;
    if (response.errorCode === 0 && typeof s.errorCode === "number" && s.errorCode > 0 && s.errorCode <= 999999) {
      response.errorCode = Math.floor(s.errorCode);
      response.errorClass = Math.floor(response.errorCode / 1000);
    }
    if (response.message === "" && typeof s.errorMessage === "string" && s.errorMessage.length <= MAX_FIELD) {
      response.message = s.errorMessage;
    }
  }
  if (operationStatus === DPS_OP_ASSIGNED && response.assignedHub === "") return ERR_MALFORMED;
  return response;
}
