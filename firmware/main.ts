// Espruino entry point. For now it brings up the HAL and reports itself; the device driver,
// Wi-Fi, clock sync and configuration from Storage arrive with the device issue.
import { createEspruinoHal } from "../hal/espruino";
import { LOG_INFO } from "../hal/types";

const hal = createEspruinoHal({ wifi: false, logLevel: LOG_INFO });
const memory = hal.system.memory();
hal.system.log(LOG_INFO, "azure-iot client booted; memory " + memory.used + "/" + memory.total + " " + memory.unit);
