// Topic strings of the Azure MQTT surface (as IoT Hub and DPS document them): property bags, query strings,
// MQTT filter matching, and the exact topic filters a device may subscribe to.
import { strictEncode } from "./sas-check";

/** A property bag, decoded: a bare `key` has value null, `key=` has "". */
export type Properties = Record<string, string | null>;

function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `a=1&b&c=%24x` -> { a: "1", b: null, c: "$x" }. Names and values are percent-decoded. */
export function decodePropertyBag(bag: string): Properties {
  const out: Properties = {};
  if (bag === "") return out;
  for (const part of bag.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) out[decodeLenient(part)] = null;
    else out[decodeLenient(part.slice(0, eq))] = decodeLenient(part.slice(eq + 1));
  }
  return out;
}

/** { "$.mid": "1", k: null } -> `%24.mid=1&k` (strict RFC 3986 encoding of names and values). */
export function encodePropertyBag(properties: Properties): string {
  const parts: string[] = [];
  for (const name of Object.keys(properties)) {
    const value = properties[name];
    parts.push(value === null ? strictEncode(name) : strictEncode(name) + "=" + strictEncode(value));
  }
  return parts.join("&");
}

/** The query of `prefix?$rid=1&x=2` -> { $rid: "1", x: "2" }; undefined without a `?`. */
export function parseQuery(topic: string): Record<string, string> | undefined {
  const q = topic.indexOf("?");
  if (q < 0) return undefined;
  const out: Record<string, string> = {};
  for (const part of topic.slice(q + 1).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) out[part] = "";
    else out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** MQTT 3.1.1 topic filter matching (`+` one level, `#` the rest, including the parent). */
export function matchesFilter(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return i > 0 || !topic.startsWith("$");
    if (i >= t.length) return false;
    if (f[i] === "+") {
      if (i === 0 && topic.startsWith("$")) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** `devices/{d}/messages/events` for a device, `devices/{d}/modules/{m}/messages/events` for
 *  a module identity `d/m` (device ids cannot contain "/"). */
export function eventsTopic(identity: string): string {
  const slash = identity.indexOf("/");
  return slash < 0 ? "devices/" + identity + "/messages/events" : "devices/" + identity.slice(0, slash) + "/modules/" + identity.slice(slash + 1) + "/messages/events";
}

/** The filters IoT Hub lets device `deviceId` (or module `d/m`) subscribe to. Anything else
 *  closes the connection. A module has twin and methods but no cloud-to-device messages. */
export function hubSubscriptionAllowed(deviceId: string, filter: string): boolean {
  if (deviceId.indexOf("/") >= 0) {
    return filter === "$iothub/methods/POST/#" || filter === "$iothub/twin/res/#" || filter === "$iothub/twin/PATCH/properties/desired/#";
  }
  return (
    filter === "devices/" + deviceId + "/messages/devicebound/#" ||
    filter === "devices/+/messages/devicebound/#" ||
    filter === "$iothub/methods/POST/#" ||
    filter === "$iothub/twin/res/#" ||
    filter === "$iothub/twin/PATCH/properties/desired/#"
  );
}

export const DPS_RESPONSE_FILTER = "$dps/registrations/res/#";
export const DPS_REGISTER_PREFIX = "$dps/registrations/PUT/iotdps-register/?";
export const DPS_POLL_PREFIX = "$dps/registrations/GET/iotdps-get-operationstatus/?";

/** What a device publishes to the hub, classified. */
export type HubPublish =
  | { kind: "telemetry"; bag: string }
  | { kind: "twin-get"; rid: string }
  | { kind: "twin-reported"; rid: string }
  | { kind: "method-response"; status: number; rid: string }
  | { kind: "denied"; reason: string };

/** Classifies a device (or module `d/m`) publish by topic; only its own topics are allowed. */
export function classifyHubPublish(deviceId: string, topic: string): HubPublish {
  const events = eventsTopic(deviceId);
  if (topic === events) return { kind: "telemetry", bag: "" };
  if (topic.startsWith(events + "/")) return { kind: "telemetry", bag: topic.slice(events.length + 1) };
  if (topic.startsWith("$iothub/twin/GET/?")) {
    const rid = parseQuery(topic)?.["$rid"];
    return rid ? { kind: "twin-get", rid } : { kind: "denied", reason: "twin GET without $rid" };
  }
  if (topic.startsWith("$iothub/twin/PATCH/properties/reported/?")) {
    const rid = parseQuery(topic)?.["$rid"];
    return rid ? { kind: "twin-reported", rid } : { kind: "denied", reason: "reported PATCH without $rid" };
  }
  const m = /^\$iothub\/methods\/res\/([0-9]{1,9})\/\?/.exec(topic);
  if (m) {
    const rid = parseQuery(topic)?.["$rid"];
    return rid ? { kind: "method-response", status: Number(m[1]), rid } : { kind: "denied", reason: "method response without $rid" };
  }
  return { kind: "denied", reason: "topic '" + topic + "' is not one of the device's own topics" };
}
