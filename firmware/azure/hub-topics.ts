// IoT Hub over MQTT: client id, username, and the topics of telemetry, cloud-to-device
// messages, direct methods and the device twin (../shared/reference/azure-iot.md §4).
// Incoming topics go through parse functions that each answer NO_MATCH for topics that
// belong to another feature (STYLE 7). Strings are byte strings, as on the device.
//
// Property bags: names and values are percent-encoded strictly when sent, and decoded when
// received, so an application always sees the same text it (or the service) sent. A bare
// `key` (no '=') is reported with a null value; `key=` with an empty string. Any name is held
// as an own property, even `__proto__` (see parsePropertyBag).
import { NO_MATCH, ERR_MALFORMED } from "../status";
import { urlEncode } from "./url-encode";
import { findText, utf8Text } from "../text";

export const HUB_API_VERSION = "2021-04-12";
export const DEFAULT_CLIENT_TYPE = "espruino-azure-iot/0.1";

export const METHODS_SUBSCRIBE = "$iothub/methods/POST/#";
export const TWIN_RESPONSE_SUBSCRIBE = "$iothub/twin/res/#";
export const TWIN_DESIRED_SUBSCRIBE = "$iothub/twin/PATCH/properties/desired/#";

const METHOD_PREFIX = "$iothub/methods/POST/";
const TWIN_RESPONSE_PREFIX = "$iothub/twin/res/";
const TWIN_DESIRED_PREFIX = "$iothub/twin/PATCH/properties/desired/";
const C2D_MARKER = "/messages/devicebound/";

export type PropertyBag = { [name: string]: string | null };

export function hubClientId(deviceId: string, moduleId?: string): string {
  return moduleId ? deviceId + "/" + moduleId : deviceId;
}

/** `{host}/{device}[/{module}]/?api-version=...&DeviceClientType=...[&model-id=...]` */
export function hubUsername(host: string, deviceId: string, moduleId?: string, modelId?: string, clientType?: string): string {
  let u = host + "/" + deviceId + (moduleId ? "/" + moduleId : "") + "/?api-version=" + HUB_API_VERSION;
  u += "&DeviceClientType=" + urlEncode(clientType === undefined ? DEFAULT_CLIENT_TYPE : clientType);
  if (modelId) u += "&model-id=" + urlEncode(modelId);
  return u;
}

/** `name=value&...`, every name and value strictly percent-encoded; null values are bare names. */
export function encodePropertyBag(properties: PropertyBag | undefined): string {
  if (!properties) return "";
  const names = Object.keys(properties);
  let bag = "";
  for (let i = 0; i < names.length; i++) {
    const value = properties[names[i]];
    if (value === undefined) continue;
    if (bag !== "") bag += "&";
    bag += urlEncode(names[i]);
    if (value !== null) bag += "=" + urlEncode(String(value));
  }
  return bag;
}

export function telemetryTopic(deviceId: string, properties?: PropertyBag, moduleId?: string): string {
  const base = moduleId ? "devices/" + deviceId + "/modules/" + moduleId + "/messages/events/" : "devices/" + deviceId + "/messages/events/";
  return base + encodePropertyBag(properties);
}

export function c2dSubscribeTopic(deviceId: string): string {
  return "devices/" + deviceId + "/messages/devicebound/#";
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decodes UTF-8 into the application's text (firmware/text.ts utf8Text);
 *  ERR_MALFORMED for a broken escape. ('+' stays '+'.) */
export function percentDecode(text: string): string | number {
  if (text.indexOf("%") < 0) return utf8Text(text);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 37) {
      out += text.charAt(i);
      continue;
    }
    const hi = i + 2 < text.length ? hexValue(text.charCodeAt(i + 1)) : -1;
    const lo = hi >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1;
    if (lo < 0) return ERR_MALFORMED;
    out += String.fromCharCode(hi * 16 + lo);
    i += 2;
  }
  return utf8Text(out);
}

/**
 * Decodes `a=1&b&c=` into { a: "1", b: null, c: "" }; ERR_MALFORMED on a broken escape.
 * Names are defined, not assigned: `out[name] = v` with the name `__proto__` would drop a
 * string value, and a bare `__proto__` (null) would leave the bag without a prototype. On
 * Node every name becomes an own enumerable property of an ordinary object. On Espruino 2v29
 * the prototype link is itself a property named `__proto__`: that one name reads back and
 * passes hasOwnProperty but is not listed by Object.keys or JSON.stringify, and for-in lists
 * its value's character indices instead (test/espruino/property-bag.probe.ts). No plain
 * object does better there.
 */
export function parsePropertyBag(bag: string): PropertyBag | number {
  const out: PropertyBag = {};
  // One descriptor per call, its value replaced for each property.
  const d: PropertyDescriptor = { value: null, enumerable: true, writable: true, configurable: true };
  let start = 0;
  while (start < bag.length) {
    let end = bag.indexOf("&", start);
    if (end < 0) end = bag.length;
    const pair = bag.substring(start, end);
    start = end + 1;
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = percentDecode(eq < 0 ? pair : pair.substring(0, eq));
    const value = eq < 0 ? null : percentDecode(pair.substring(eq + 1));
    if (typeof name === "number" || typeof value === "number") return ERR_MALFORMED;
    d.value = value;
    Object.defineProperty(out, name, d);
  }
  return out;
}

/** A cloud-to-device topic's property bag, decoded; NO_MATCH for other topics. */
export function parseC2dTopic(topic: string): PropertyBag | number {
  if (!topic.startsWith("devices/")) return NO_MATCH;
  const at = findText(topic, C2D_MARKER);
  if (at < 0) return NO_MATCH;
  return parsePropertyBag(topic.substring(at + C2D_MARKER.length));
}

export interface MethodRequest {
  name: string;
  rid: string;
}

function queryParam(query: string, name: string): string | undefined {
  let start = 0;
  while (start < query.length) {
    let end = query.indexOf("&", start);
    if (end < 0) end = query.length;
    if (query.substr(start, name.length + 1) === name + "=") return query.substring(start + name.length + 1, end);
    start = end + 1;
  }
  return undefined;
}

/** `$iothub/methods/POST/{name}/?$rid={rid}` -> { name, rid }; NO_MATCH for other topics. */
export function parseMethodTopic(topic: string): MethodRequest | number {
  if (!topic.startsWith(METHOD_PREFIX)) return NO_MATCH;
  const rest = topic.substring(METHOD_PREFIX.length);
  const slash = findText(rest, "/?");
  if (slash <= 0) return ERR_MALFORMED;
  const rid = queryParam(rest.substring(slash + 2), "$rid");
  if (rid === undefined || rid === "") return ERR_MALFORMED;
  return { name: rest.substring(0, slash), rid: rid };
}

export function methodResponseTopic(status: number, rid: string): string {
  return "$iothub/methods/res/" + status + "/?$rid=" + rid;
}

export function twinGetTopic(rid: string): string {
  return "$iothub/twin/GET/?$rid=" + rid;
}

export function twinReportedTopic(rid: string): string {
  return "$iothub/twin/PATCH/properties/reported/?$rid=" + rid;
}

export const TWIN_RESPONSE = 1;
export const TWIN_DESIRED = 2;

export interface TwinMessage {
  /** TWIN_RESPONSE (to a GET or reported PATCH) or TWIN_DESIRED (a pushed desired patch). */
  kind: number;
  /** The response status (200 for a desired patch). */
  status: number;
  rid: string;
  /** `$version`, or -1 when absent. */
  version: number;
}

function parseVersion(text: string | undefined): number {
  if (text === undefined) return -1;
  if (text.length === 0 || text.length > 15) return -2;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -2;
    n = n * 10 + c;
  }
  return n;
}

/** Twin responses and desired-property notifications; NO_MATCH for other topics. */
export function parseTwinTopic(topic: string): TwinMessage | number {
  if (topic.startsWith(TWIN_RESPONSE_PREFIX)) {
    const rest = topic.substring(TWIN_RESPONSE_PREFIX.length);
    const slash = rest.indexOf("/");
    const statusText = slash < 0 ? rest : rest.substring(0, slash);
    const status = parseVersion(statusText);
    if (status < 100 || status > 999) return ERR_MALFORMED;
    const q = rest.indexOf("?");
    const query = q < 0 ? "" : rest.substring(q + 1);
    const rid = queryParam(query, "$rid");
    const version = parseVersion(queryParam(query, "$version"));
    if (version < -1) return ERR_MALFORMED;
    return { kind: TWIN_RESPONSE, status: status, rid: rid === undefined ? "" : rid, version: version };
  }
  if (topic.startsWith(TWIN_DESIRED_PREFIX)) {
    const rest = topic.substring(TWIN_DESIRED_PREFIX.length);
    const q = rest.indexOf("?");
    const version = parseVersion(queryParam(q < 0 ? "" : rest.substring(q + 1), "$version"));
    if (version < 0) return ERR_MALFORMED;
    return { kind: TWIN_DESIRED, status: 200, rid: "", version: version };
  }
  return NO_MATCH;
}
