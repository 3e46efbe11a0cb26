// Configuration checks and Azure identifiers on the interpreter (firmware/config.ts,
// firmware/config-check.ts, firmware/azure/identifiers.ts, the DPS parser): wrong types come
// back as listed problems, never an exception; numbers are bounded; names that would break
// a topic are refused. The same answers as on Node (test/config.test.ts, test/azure/*).
import { probe, done } from "./probe-kit";
import { resolveConfig } from "../../firmware/config";
import { isDeviceId, isHostName, isOperationId, isRegistrationId } from "../../firmware/azure/identifiers";
import { parseDpsResponse } from "../../firmware/azure/dps";
import { ERR_MALFORMED } from "../../firmware/status";

console.log("VERSION " + process.version);

const KEY = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
function withBase(extra: { [k: string]: unknown }): { [k: string]: unknown } {
  const c: { [k: string]: unknown } = { dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY } };
  for (const k in extra) c[k] = extra[k];
  return c;
}
function problems(extra: { [k: string]: unknown }): string {
  const r = resolveConfig(withBase(extra));
  return Array.isArray(r) ? r.join("|") : "accepted";
}

probe("a valid configuration resolves", () => {
  const r = resolveConfig(withBase({ fleet: { devices: 1000, load: 0.5 }, retry: { mode: "none" } }));
  return (!Array.isArray(r) && r.fleet !== undefined && r.fleet.hubConnectionsPerSecond === 100 && r.retryNone) || JSON.stringify(r);
});

probe("retry null, outbox null -> listed problems, no exception", () => {
  const got = problems({ retry: null, outbox: null });
  return got === "retry must be a JSON object|outbox must be a JSON object" || got;
});

probe("the issue's fleet block -> four problems", () => {
  const got = problems({ fleet: { devices: "1", hubConnectionsPerSecond: "100", dpsRegistrationsPerMinute: true, load: [1] } });
  return got.split("|").length === 4 && got.indexOf("fleet.devices must be a whole number from 1 to 10000000") === 0 || got;
});

probe("1e300 and 1e-300 -> out of range", () => {
  const got = problems({ fleet: { devices: 1, hubConnectionsPerSecond: 1e300, load: 1e-300 }, keepAliveSeconds: 1e300, port: 1.5 });
  return got.split("|").length === 4 || got;
});

probe("every field null, a string, true or a list -> no exception", () => {
  const fields = ["dps", "connectionString", "certificate", "privateKey", "modelId", "ca", "tls", "port", "keepAliveSeconds", "tokenLifetimeSeconds",
    "hubSuffixes", "retry", "fleet", "outbox", "maxInboundBytes", "methodTimeoutSeconds", "ota", "wifi", "hosts", "led",
    "watchdogSeconds", "statusIntervalSeconds", "telemetryIntervalSeconds"];
  const values: unknown[] = [null, "1", true, [1], {}, 1e300];
  for (let i = 0; i < fields.length; i++) {
    for (let j = 0; j < values.length; j++) {
      const extra: { [k: string]: unknown } = {};
      extra[fields[i]] = values[j];
      const r = resolveConfig(withBase(extra));
      if (Array.isArray(r) && r.join("|").indexOf(fields[i]) < 0) return fields[i] + "=" + JSON.stringify(values[j]) + ": " + r.join("|");
    }
  }
  return true;
});

probe("device ids: Azure's characters and length", () => {
  const good = [isDeviceId("a-.%_*?!(),:=@$'Z9"), isDeviceId("my-device-id1")];
  const bad = [isDeviceId("a#b"), isDeviceId("a+b"), isDeviceId("a/b"), isDeviceId("a b"), isDeviceId(""), isDeviceId("caf\u00e9")];
  let long = "";
  for (let i = 0; i < 129; i++) long += "d";
  bad.push(isDeviceId(long));
  return (good.join() === "true,true" && bad.join() === "false,false,false,false,false,false,false") || good.join() + " / " + bad.join();
});

probe("registration ids, operation ids, host names", () => {
  const got = [isRegistrationId("dev-1.a_b:c"), isRegistrationId("dev 1"), isOperationId("4.d0a6.42d7-4c78"), isOperationId("x&$rid=99/#"),
    isHostName("contoso.azure-devices.net"), isHostName("h/x#.net"), isHostName("a..b")];
  return got.join() === "true,false,true,false,true,false,false" || got.join();
});

probe("DPS: operation id x&$rid=99/# and device id d/#+ -> ERR_MALFORMED", () => {
  const a = parseDpsResponse("$dps/registrations/res/202/?$rid=1", "{\"operationId\":\"x&$rid=99/#\",\"status\":\"assigning\"}");
  const b = parseDpsResponse("$dps/registrations/res/200/?$rid=1", "{\"operationId\":\"x\",\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"h.azure-devices.net\",\"deviceId\":\"d/#+\"}}");
  const c = parseDpsResponse("$dps/registrations/res/200/?$rid=1", "{\"operationId\":\"x\",\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"h.azure-devices.net\",\"deviceId\":\"d-1\"}}");
  return (a === ERR_MALFORMED && b === ERR_MALFORMED && typeof c === "object") || [a, b, JSON.stringify(c)].join(" ");
});

done();
