// The on-demand parts of the client for the Node HAL: on the device they are evaluated from
// their regions of the slot file (hal/espruino.ts); on Node they are ordinary imports.
import createProvisioning from "../firmware/device/provisioning";
import createUpdates from "../firmware/device/updates";

const MODULES: { [name: string]: unknown } = {
  provisioning: createProvisioning,
  updates: createUpdates,
};

export function loadNodeModule(name: string): unknown {
  return MODULES[name];
}
