// The board side of hal/espruino.ts on the interpreter, with a stand-in Wifi module (the
// Linux build has none; Modules.addCached puts a fake where require("Wifi") finds it):
// joining with the configured network, connected/disconnected -> network up/down, SNTP set
// once with string arguments, a rejoin only after the backoff wait; the hosts table; the
// status LED lookup that must not break on boards without LED1.
import { check, probe, done } from "./probe-kit";
import { createEspruinoHal } from "../../hal/espruino";
import { LOG_ERROR, SOCKET_REFUSED, SOCKET_DNS_FAILED } from "../../hal/types";

console.log("VERSION " + process.version);

interface FakeWifi {
  connects: string[];
  sntp: string[];
  handlers: { [event: string]: (details: { ip?: string; reason?: string }) => void };
  ip: string;
}

const fake: FakeWifi = { connects: [], sntp: [], handlers: {}, ip: "0.0.0.0" };
const wifiModule = {
  connect: function (ssid: string, options: { password?: string }, callback: (error: string | null) => void) {
    fake.connects.push(ssid + "/" + (options.password || ""));
    fake.connects.length === 1 ? callback(null) : callback("auth failed");
  },
  disconnect: function () {},
  getIP: function () {
    return { ip: fake.ip };
  },
  getStatus: function () {
    return {};
  },
  setSNTP: function (server: unknown, zone: unknown) {
    fake.sntp.push(typeof server + ":" + server + "," + typeof zone + ":" + zone);
  },
  on: function (event: string, callback: (details: { ip?: string; reason?: string }) => void) {
    fake.handlers[event] = callback;
  },
};
(global as unknown as { [k: string]: unknown }).__fakeWifi = wifiModule;
Modules.addCached("Wifi", "module.exports = global.__fakeWifi;");

const hal = createEspruinoHal({ logLevel: LOG_ERROR, hosts: { "refused.example": "127.0.0.1:1" } });
const changes: boolean[] = [];
hal.network.onChange(function (up: boolean) {
  changes.push(up);
});

probe("Wifi module found, network down until connected", () => {
  return (hal.board.hasWifi && !hal.network.isUp()) || "hasWifi " + hal.board.hasWifi + " up " + hal.network.isUp();
});

probe("joinWifi -> one connect with the ssid and password", () => {
  hal.board.joinWifi("Lab", "lab-secret-42");
  return fake.connects.join(";") === "Lab/lab-secret-42" || fake.connects.join(";");
});

probe("connected event -> network up, SNTP set once with two strings", () => {
  fake.handlers.connected({ ip: "192.168.1.5" });
  fake.handlers.connected({ ip: "192.168.1.5" });
  const ok = hal.network.isUp() && changes.join(",") === "true" && fake.sntp.join(";") === "string:pool.ntp.org,string:UTC0";
  return ok || "up " + hal.network.isUp() + " changes " + changes.join(",") + " sntp " + fake.sntp.join(";");
});

probe("disconnected event -> network down, no immediate rejoin", () => {
  fake.handlers.disconnected({ reason: "beacon timeout" });
  return (!hal.network.isUp() && changes.join(",") === "true,false" && fake.connects.length === 1) || "connects " + fake.connects.length;
});

// The hosts table: the mapped address is dialled (checked when onClose arrives, below).
let closedWith = -99;
hal.net.connect({ host: "refused.example", port: 8883, tls: false }, {
  onOpen: function () {},
  onData: function () {},
  onClose: function (error: number) {
    closedWith = error;
  },
});

setTimeout(function () {
  check("hosts table -> refused (" + SOCKET_REFUSED + "), not DNS (" + SOCKET_DNS_FAILED + ")", closedWith === SOCKET_REFUSED, "onClose " + closedWith);
  // The first rejoin waits 2.5-5 s (5 s halved and jittered).
  check("after the backoff wait -> one rejoin", fake.connects.length === 2, "connects " + fake.connects.join(";"));
  fake.handlers.connected({ ip: "192.168.1.5" });
  check("connected again -> up, SNTP not set twice", hal.network.isUp() && fake.sntp.length === 1, "sntp " + fake.sntp.length);
  setTimeout(function () {
    // The failed second connect scheduled another join; connected cancelled it.
    check("connected cancels the pending rejoin", fake.connects.length === 2, "connects " + fake.connects.join(";"));
    // Last: each HAL made here takes over the fake's event handlers.
    probe("status LED: none on a board without LED1, a named pin when configured, off when off", () => {
      const auto = createEspruinoHal({ logLevel: LOG_ERROR }).board.hasLed;
      const d2 = createEspruinoHal({ logLevel: LOG_ERROR, led: "D2" });
      d2.board.setLed(true);
      d2.board.setLed(false);
      const off = createEspruinoHal({ logLevel: LOG_ERROR, led: "off" }).board.hasLed;
      const missing = createEspruinoHal({ logLevel: LOG_ERROR, led: "Q9" }).board.hasLed;
      const want = (typeof (global as unknown as { [k: string]: unknown }).LED1 !== "undefined") + ",true,false,false";
      const got = [auto, d2.board.hasLed, off, missing].join(",");
      return got === want || got + " want " + want;
    });
    done();
  }, 5500);
}, 5200);
