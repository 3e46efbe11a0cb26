// The thermostat's Espruino entry: the device configuration from Storage (written by npm run
// flash, as for the main app), the Espruino HAL, the client, the application; the status LED
// shows the heater. Build: npm run build (dist/thermostat/app.js). Flash: npm run flash --
// --port <port> --config device.json --bundle dist/thermostat/app.js.
import { createEspruinoHal, createEspruinoStore } from "../../hal/espruino";
import { LOG_ERROR, LOG_INFO } from "../../hal/types";
import { createDevice } from "../../firmware/device/index";
import { resolveConfig, ResolvedConfig } from "../../firmware/config";
import { CONFIG_RECORD } from "../../firmware/storage-names";
import { startThermostat } from "./thermostat";
import { createRoom } from "./room";

function main(): void {
  const store = createEspruinoStore();
  const text = store.read(CONFIG_RECORD);
  let config: ResolvedConfig | string[] = ["no configuration in Storage (" + CONFIG_RECORD + ")"];
  if (text !== undefined) {
    try {
      config = resolveConfig(JSON.parse(text));
    } catch (e) {
      config = [CONFIG_RECORD + " is not valid JSON"];
    }
  }
  const hal = createEspruinoHal({ logLevel: LOG_INFO, store: store, hosts: Array.isArray(config) ? undefined : config.hosts, led: Array.isArray(config) ? "" : config.led });
  if (Array.isArray(config)) {
    for (let i = 0; i < config.length; i++) hal.system.log(LOG_ERROR, "thermostat: " + config[i]);
    return;
  }
  const room = createRoom(hal.clock, 19);
  const device = createDevice(config, hal);
  startThermostat(device, hal, {
    readTemperature: room.read,
    setHeater: function (on: boolean) {
      room.heat(on);
      hal.board.setLed(on);
    },
    intervalSeconds: config.telemetryIntervalSeconds > 0 ? config.telemetryIntervalSeconds : 60,
    targetCelsius: 21,
  });
  device.start();
  if (hal.board.hasWifi && config.wifiSsid !== "") hal.board.joinWifi(config.wifiSsid, config.wifiPassword);
}

main();
