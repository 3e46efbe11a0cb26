// Storage record names shared by the device (firmware/main.ts, firmware/boot.ts) and the
// flasher (tools/flash): one place, so both sides agree. Espruino keeps at most 28 characters
// of a name and silently drops the rest, so keep them short.
// The application slots, the boot selector and the download progress record are named in
// firmware/ota/slots.ts (SLOT_A_RECORD, SLOT_B_RECORD, SELECTOR_RECORD, ...).

/** The device configuration (DeviceConfig as compact JSON), written by `npm run flash`. */
export const CONFIG_RECORD = "azdevice.json";
/** The configuration as the device resolved it, with the CRC-32 of the CONFIG_RECORD text it
 *  came from and the application version that resolved it: a boot whose configuration and
 *  application are unchanged reads this and skips the full check
 *  (an on-demand module). Written by the device, never by the flasher. */
export const RESOLVED_RECORD = "azdevice.ok";
/** The single app record of the layout before A/B slots. Nothing runs it any more; npm run
 *  flash erases it (the app now lives in slot a or b, firmware/ota/slots.ts). */
export const APP_RECORD = "azapp.js";
/** The boot stub Espruino runs at power-on (firmware/boot.ts, bundled into dist/boot.js): it
 *  runs the slot the boot selector names and rolls back an unconfirmed update. */
export const BOOT_RECORD = ".bootcde";
/** The flash outbox's segments, "obx.1", "obx.2", ... (firmware/outbox-flash.ts). */
export const OUTBOX_SEGMENT_PREFIX = "obx.";
/** TLS material as the socket takes it, one record each: "aztls.ca0".."aztls.ca3" (the CA
 *  list), "aztls.crt" and "aztls.key" (X.509 device identity). Written by the device when it
 *  resolves its configuration (firmware/tls-records.ts), read as flash-backed strings. */
export const TLS_RECORD_PREFIX = "aztls.";
