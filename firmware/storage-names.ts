// Storage record names shared by the device (firmware/main.ts) and the flasher
// (tools/flash): one place, so both sides agree. Espruino keeps at most 28 characters of a
// name and silently drops the rest (reference/espruino.md section 7), so keep them short.

/** The device configuration (DeviceConfig as compact JSON), written by `npm run flash`. */
export const CONFIG_RECORD = "azdevice.json";
/** The app bundle (dist/firmware.js), evaluated from flash by the boot stub. */
export const APP_RECORD = "azapp.js";
/** The boot stub Espruino runs at power-on; it evaluates APP_RECORD. */
export const BOOT_RECORD = ".bootcde";
