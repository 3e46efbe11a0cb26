// The assigned hub in flash: read at boot (a valid record means no DPS call), written only
// when DPS assigned something different, erased when the device must provision again. The
// record is bound to the scope, the registration id and a fingerprint of the credential, so
// a board flashed with other credentials never uses a stale hub.
import { LOG_INFO, LOG_WARN } from "../../hal/types";
import { AUTH_CERT } from "../config";
import {
  HUB_CACHE_NAME, encodeHubCache, decodeHubCache, credentialFingerprint, isAllowedHub, HubCacheBinding,
  CACHE_ABSENT, CACHE_FOREIGN, bytesOf,
} from "../azure/hub-cache";
import { base64Encode } from "../azure/base64";
import { Core } from "./core";

export interface AssignmentStore {
  /** The hub to use at start: the configured one (hub only), the cached one, or undefined. */
  load(): { hub: string; deviceId: string } | undefined;
  save(hub: string, deviceId: string): void;
  forget(): void;
}

export function createAssignmentStore(core: Core): AssignmentStore {
  const config = core.config;
  const hal = core.hal;
  /** What the record is bound to. Made for each read or write (one SHA-256), not kept: the
   *  device reads the record at start and writes it only after DPS, and a kept copy would
   *  hold about 10 JsVars for the device's life. */
  function bound(): HubCacheBinding {
    let credential = config.key;
    if (config.auth === AUTH_CERT) {
      credential = config.certificate;
      // Read back from its DER record (firmware/tls-records.ts): hashed as the base64 text the
      // configuration gave, so the move to flash keeps the cached hub.
      if (credential.charCodeAt(0) === 0x30) credential = base64Encode(bytesOf(credential));
    }
    return {
      idScope: config.idScope,
      registrationId: config.registrationId,
      fingerprint: credentialFingerprint(credential, hal.sha256),
    };
  }

  return {
    load: function () {
      if (!config.useDps) return { hub: config.hubHost, deviceId: config.deviceId };
      const cached = decodeHubCache(hal.store.read(HUB_CACHE_NAME), bound(), hal.sha256);
      if (typeof cached === "number") {
        if (cached !== CACHE_ABSENT) {
          core.log(LOG_WARN, "hub cache ignored: " + (cached === CACHE_FOREIGN ? "made for other credentials" : "corrupt") + "; DPS will replace it");
        }
        return undefined;
      }
      if (!isAllowedHub(cached.assignedHub, config.hubSuffixes)) {
        core.log(LOG_WARN, "hub cache ignored: " + cached.assignedHub + " is not on the allow-list");
        return undefined;
      }
      core.log(LOG_INFO, "hub cache: " + cached.deviceId + " on " + cached.assignedHub);
      return { hub: cached.assignedHub, deviceId: cached.deviceId };
    },

    save: function (hub: string, deviceId: string) {
      const record = encodeHubCache(bound(), { assignedHub: hub, deviceId: deviceId }, hal.sha256);
      if (typeof record === "number") {
        core.log(LOG_WARN, "hub cache: cannot encode the assignment (" + record + ")");
        return;
      }
      if (hal.store.read(HUB_CACHE_NAME) === record) return;
      if (hal.store.write(HUB_CACHE_NAME, record)) core.stats.cacheWrites++;
      else core.log(LOG_WARN, "hub cache: write failed");
    },

    forget: function () {
      hal.store.erase(HUB_CACHE_NAME);
    },
  };
}
