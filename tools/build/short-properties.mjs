// Short property names for the minified device bundles. Espruino keeps a property's name in
// the variable that holds the property: a name of up to 8 characters fits in it, a longer one
// takes a second JsVar (a third from 23). Terser shortens local names but not property names,
// so every long name of a live object cost one more variable: about 80 after boot. The names
// below are the client's own, on objects that never leave it. Only the client's modules
// (CLIENT_DIRS: its firmware, its HAL, its interpreter tests) are touched: as rollup reads
// each, markProperties gives the listed names a suffix (MARK); the minified output then
// shortens them to `$` and a number (SHORT_PREFIX), the debug output drops the suffix. An
// application's own code is never renamed, so its `x.telemetry` on its own JSON still works.
//
// A name may be on the list only when:
// - every object that carries it is made by the client and stays in it: not JSON from the
//   service or a file, not an Espruino built-in or its options, not the application's API,
//   the HAL (an application calls it and may implement one) or the resolved configuration
//   (an application reads it);
// - it is never read or written through a computed key or a string in the client (the build
//   fails when the name appears as a string in a client module);
// - no object with it is kept in flash as JSON.
// Every bundle of one build gets the same short names (the list's order); an update replaces
// the warm code and its on-demand modules together.
import * as acorn from "acorn";
import { full } from "acorn-walk";
import { relative, sep } from "node:path";
import { applyEdits } from "./source-edits.mjs";

export const SHORT_PROPERTIES = [
  // The connection policy: its state, its methods, its configuration, the fleet's plan.
  "hubFailures", "streakStart", "sameHubRounds", "suspectCount", "fallingBack", "fallbackAt", "spreadNext",
  "dpsDeadline", "pollTimes", "pollIndex", "connectedAt", "expiredReported", "networkUp", "clockSynced",
  "lastStatus", "lastReason", "nextReason", "backoffProfileInUse",
  "dpsResponse", "dpsFailed", "nextDeadline", "setClockSynced", "networkChanged", "requestReprovision",
  "hubConnected", "hubFailed",
  "fleetSettings", "connectTimeoutMs", "renewAfterMs", "hubFailuresBeforeDps", "hubMinMsBeforeDps", "needsClock",
  "dpsTimeoutMs", "retryMode",
  "staggerMinMs", "staggerMaxMs", "fallbackMinMs", "fallbackSpreadMs", "renewalSpreadMs",
  // The policy's actions.
  "connectDps", "connectHub", "saveAssignment", "forgetAssignment",
  // The device's parts and what they share.
  "disconnectedSince", "telemetry", "hubSession", "createSession", "utf8Bytes", "bytesToString", "tokenTimes",
  "base64DecodeLenient", "isAllowedHub", "closeLater", "closeCode", "connackCode", "setDeviceId",
  "reportedOta", "reportedRid", "otaReport", "subscribing", "sessionClosed", "fingerprint",
  // The outbox.
  "sizeBytes", "upcomingSeq", "flashBytes", "nextUnsent", "acknowledge", "forEachInFlight", "acknowledged", "messageId",
  // The MQTT session and its options.
  "maxInflight", "oversized", "maxPacket", "subscribe", "keepAliveS", "cleanSession",
  "connackTimeoutMs", "pingTimeoutMs", "pubackTimeoutMs",
];

/** The folders of the client's modules (relative to the repository). */
export const CLIENT_DIRS = ["firmware", "hal", "test/espruino"];

/** What markProperties appends to a listed name. */
export const MARK = "$$sp";

/** What a short name starts with; the rest is the name's place in the list, base 36. */
export const SHORT_PREFIX = "$";

/** Whether the module at path (absolute) is one of the client's. */
export function isClientModule(root, path) {
  const rel = relative(root, path).split(sep).join("/");
  return CLIENT_DIRS.some((dir) => rel.startsWith(dir + "/"));
}

/** The short name of each listed name. */
export function shortPropertyNames(names) {
  return new Map(names.map((name, i) => [name, SHORT_PREFIX + i.toString(36)]));
}

/** The identifiers that name properties in code (`a.name`, `{name: ...}`); each string
 *  literal, a quoted key included, goes to visit.string. */
function identifiers(code, sourceType, visit) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: sourceType });
  const found = [];
  const take = (id) => {
    if (id.type === "Identifier") found.push(id);
  };
  full(ast, (n) => {
    if (n.type === "MemberExpression" && !n.computed) take(n.property);
    else if (n.type === "Property" && !n.computed) {
      if (n.key.type === "Identifier") take(n.key);
      // acorn-walk does not visit a key that is not computed: a quoted one is checked here.
      else visit.string(n.key);
    } else if (n.type === "Literal") visit.string(n);
  });
  return found;
}

/**
 * A client module as rollup reads it: each listed property (`a.name`, `{name: ...}`) gets the
 * suffix MARK. A build error when a listed name appears as a string (it may be read by name)
 * or a property already ends in MARK.
 */
export function markProperties(code, names) {
  const listed = new Set(names);
  const edits = [];
  const ids = identifiers(code, "module", {
    string(literal) {
      if (typeof literal.value === "string" && listed.has(literal.value)) {
        throw new Error("short properties: the string \"" + literal.value + "\" names a listed property");
      }
    },
  });
  for (const id of ids) {
    if (id.name.endsWith(MARK)) throw new Error("short properties: the code already has a property " + id.name);
    if (listed.has(id.name)) edits.push([id.end, id.end, MARK]);
  }
  return applyEdits(code, edits);
}

/**
 * A bundle's output: each marked property becomes its short name (minified) or its own name
 * again (debug). A build error when a short name is already a property or string of the code.
 */
export function shortenProperties(code, names, minified) {
  const short = shortPropertyNames(names);
  const taken = new Set(short.values());
  const edits = [];
  const ids = identifiers(code, "script", {
    string(literal) {
      if (minified && typeof literal.value === "string" && taken.has(literal.value)) {
        throw new Error("short properties: the string \"" + literal.value + "\" is a short name");
      }
    },
  });
  for (const id of ids) {
    if (id.name.endsWith(MARK)) {
      const name = id.name.slice(0, -MARK.length);
      edits.push([id.start, id.end, minified ? short.get(name) : name]);
    } else if (minified && taken.has(id.name)) throw new Error("short properties: the code already has a property " + id.name);
  }
  return applyEdits(code, edits);
}
