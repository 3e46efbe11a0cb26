// A local Azure DPS + IoT Hub simulator over TLS, with fault injection.
//
// It serves the MQTT surface of IoT Hub and DPS (as Microsoft documents it) on loopback: the DPS global
// endpoint and each hub on its own port (no SNI needed), with certificates from a throwaway CA.
// Built on aedes; SAS checks use node:crypto only (nothing from firmware/).
//
//   const sim = await startSimulator({ clock });          // options: see SimulatorOptions
//   sim.hosts      { "global.azure-devices-provisioning.net": "127.0.0.1:40001", "hub-a...": ... }
//   sim.caPem / sim.caDer                                  // trust this CA
//   sim.enrollIndividual("dev1", { key })                  // or enrollGroup("g", { key })
//   sim.enrollIndividual("x1", { certificate }); sim.enrollGroup("f", { ca })   // X.509
//   sim.addDevice("d", { x509Thumbprint }); sim.addModule("d", "m"); sim.addPolicy("device")
//   ... the device provisions through DPS and connects to its hub ...
//   sim.telemetry("dev1"); sim.counters(); sim.device("dev1"); sim.twin("dev1")
//   sim.sendC2D("dev1", "hi", { properties: { a: "1" } }); await sim.invokeMethod("dev1", "reboot", {})
//   sim.updateDesired("dev1", { interval: 5 })
//   sim.serveFile("/ota/app.js", bytes) -> "https://files.azure-devices.net/ota/app.js" (HTTPS file host, Range)
//   sim.announceUpdate("dev1", { version: "1.2.0", bytes, key })   // serve + signed desired `ota` manifest
//   sim.fileFault(path, { truncateAt?, failStatus?, delayMs?, ignoreRange?, chunked?, count? }); sim.fileCounters()
//   faults: dropHub, hubOutage, rejectDevice, moveDevice, dropPubacks, delayPubacks, failTwin,
//           sendMalformed, dpsOutage, dpsThrottle, setDeviceEnabled, setEnrollmentDisabled
//   sim.sweep()  after advancing a virtual clock (token expiry, shaping, outages, delays, timeouts)
//   await sim.stop()
//
// Behaviour in brief (details and guesses in README.md):
// - DPS: client id = registration id; username `{idScope}/registrations/{regId}/api-version=...`
//   or CONNACK 5. The SAS (`skn=registration`, signature over the `sr` as sent, `se` against the
//   sim clock) is checked on every register/poll: 401 when it fails. register -> 202 assigning
//   (retry-after) -> poll -> 200 assigned / failed / disabled. 429 + retry-after beyond the
//   registrations-per-minute limit, beyond 5 polls per 10 s per device, and while throttled.
// - Files: an HTTPS host (own name and port, same CA) serving registered paths with single
//   byte ranges (206 / 416), faults per path, counters; announceUpdate signs manifests with
//   node:crypto (the format of firmware/ota/manifest.ts, written independently).
// - Identities: mutual TLS at DPS and hubs; X.509 enrollments (individual certificate, group CA
//   with the chain the device sends), hub identities by thumbprint or CA, modules ("d/m"),
//   shared access policy tokens (skn, DeviceConnect). Refused certificates: DPS 401/401002,
//   hub CONNACK 5.
// - Hub: CONNECT refused with CONNACK 5 for a bad/expired token, unknown/disabled/rejected device
//   or bad username (CONNACK 3 in a "connack3" outage); a new connection of a device drops the
//   old one; at most 5 subscriptions to the device's own filters; own topics only; QoS 2
//   publish closes the connection; retain is not stored and shows as `mqtt-retain`; the live
//   connection is dropped when its token expires; new connections per second shaped (CONNACK
//   delayed) with a bounded queue (dropped beyond it).
import { Simulator } from "./simulator";
import type { SimulatorOptions } from "./types";

export { Simulator, otaAuthMessage, signOtaManifest } from "./simulator";
export * from "./types";
export { formatEvent } from "./events";
export { MALFORMED } from "./faults";
export { SIM_TLS12_CIPHERS, IMPOSTOR_HOST } from "./tls-hosts";
export { checkSas, deriveDeviceKey, makeSas, parseSas, strictEncode } from "./sas-check";
export { decodePropertyBag, encodePropertyBag } from "./topics";

/** Starts the DPS host and every hub host; resolves once all listen. */
export function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return Simulator.start(options);
}
