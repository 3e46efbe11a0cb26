// Short property names for the minified device bundles. Espruino keeps a property's name in
// the variable that holds the property: a name of up to 8 characters fits in it, a longer one
// takes a second JsVar (a third from 23). Terser shortens local names but not property names,
// so every long name of a live object cost one more variable: about 165 after boot. The names
// below are the client's own, on objects that never leave it; before terser each becomes
// `$` and a number (SHORT_PREFIX). The debug bundles keep them.
//
// A name may be on the list only when:
// - every object that carries it is made by the client (not JSON from the service, the
//   configuration file, an Espruino built-in or its options, the application's API);
// - it is never read or written through a computed key or a string (the build fails when the
//   name appears as a string anywhere in the bundle);
// - no object with it is kept in flash as JSON across builds. The one such record, the
//   configuration's resolved copy (firmware/main.ts), is stamped with the application version
//   that wrote it, and every flash erases it (a debug and a minified bundle of one version
//   would read each other's names wrongly): its fields that are not in the configuration
//   file are here.
// Every bundle of one build gets the same short names (the list's order); an update replaces
// the warm code and its on-demand modules together.
import * as acorn from "acorn";
import { full } from "acorn-walk";

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
  // The resolved configuration's own fields (the configuration file's names stay).
  "dpsEndpoint", "dpsPayload", "tlsRequireVerified", "retryNone", "operationTimeoutMs", "hubMinGapMs",
  "outboxMaxMessages", "outboxMaxBytes", "outboxPersist", "outboxMaxFlashBytes", "outboxRefuseNew",
  "methodTimeoutMs", "otaConfirmWindowMs", "otaMaxBytes", "wifiPassword",
  // The policy's actions.
  "connectDps", "connectHub", "saveAssignment", "forgetAssignment",
  // The HAL (E.enableWatchdog and E.kickWatchdog are Espruino's: those names stay).
  "utcSeconds", "clearTimer", "collectMemory", "tlsVerifies", "writeChunk", "testHooks",
  // The device's parts and what they share.
  "disconnectedSince", "telemetry", "hubSession", "createSession", "utf8Bytes", "bytesToString", "tokenTimes",
  "base64DecodeLenient", "isAllowedHub", "closeLater", "closeCode", "connackCode", "setDeviceId", "identityChanged",
  "reportedOta", "connacked", "reportOta", "subscribing", "sessionClosed", "fingerprint",
  // The outbox.
  "sizeBytes", "upcomingSeq", "flashBytes", "nextUnsent", "acknowledge", "forEachInFlight", "acknowledged", "messageId",
  // The MQTT session and its options.
  "maxInflight", "oversized", "maxPacket", "subscribe", "unsubscribe", "keepAliveS", "cleanSession",
  "connackTimeoutMs", "pingTimeoutMs", "pubackTimeoutMs",
];

/** What a short name starts with; the rest is the name's place in the list, base 36. */
export const SHORT_PREFIX = "$";

/** The short name of each listed name. */
export function shortPropertyNames(names) {
  return new Map(names.map((name, i) => [name, SHORT_PREFIX + i.toString(36)]));
}

/**
 * Renames the listed properties in code (`a.name` and `{name: ...}`). A build error when a
 * listed name appears as a string (it may be read by name) or a short name is already a
 * property or string of the code.
 */
export function shortenProperties(code, names) {
  const short = shortPropertyNames(names);
  const taken = new Set(short.values());
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const edits = [];
  const rename = (id) => {
    if (id.type === "Identifier" && short.has(id.name)) edits.push([id.start, id.end, short.get(id.name)]);
    else if (id.type === "Identifier" && taken.has(id.name)) throw new Error("short properties: the code already has a property " + id.name);
  };
  const checkString = (literal) => {
    if (typeof literal.value === "string" && (short.has(literal.value) || taken.has(literal.value))) {
      throw new Error("short properties: the string \"" + literal.value + "\" names a listed property (or a short name)");
    }
  };
  full(ast, (n) => {
    if (n.type === "MemberExpression" && !n.computed) rename(n.property);
    else if (n.type === "Property" && !n.computed && n.key.type === "Identifier") rename(n.key);
    // acorn-walk does not visit a key that is not computed: a quoted one is checked here.
    else if (n.type === "Property" && !n.computed) checkString(n.key);
    else if (n.type === "Literal") checkString(n);
  });
  edits.sort((a, b) => b[0] - a[0]);
  for (const [from, to, text] of edits) code = code.slice(0, from) + text + code.slice(to);
  return code;
}
