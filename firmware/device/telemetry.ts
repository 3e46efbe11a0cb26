// Telemetry and cloud-to-device messages. Telemetry waits in the outbox until the hub
// acknowledges it; it is moved into the hub session while the QoS 1 window has room. The
// outbox is in flash (outbox.persist, the default: firmware/outbox-flash.ts), so what a boot
// queued and the hub did not acknowledge goes out after the next boot, first and in order;
// or in RAM (persist false). Every message carries `$.mid` (boot id and the outbox's seq,
// which keeps rising across boots in flash) so the back end can drop duplicates.
import { LOG_WARN, LOG_INFO } from "../../hal/types";
import { telemetryTopic, encodePropertyBag, PropertyBag } from "../azure/hub-topics";
import { utf8Bytes } from "../azure/bytes";
import { createRamOutbox, OutboxMessage, TelemetryOutbox } from "../outbox";
import { createFlashOutbox } from "../outbox-flash";
import { ERR_FULL } from "../status";
import { C2dCallback } from "./api";
import { Core } from "./core";

/** Hub QoS 1 window: unacknowledged telemetry on the wire at once. */
const HUB_WINDOW = 8;

export interface Telemetry {
  outbox: TelemetryOutbox;
  /** Slots of the hub session's QoS 1 window. */
  window: number;
  onC2D: C2dCallback | undefined;
  send(body: string | Uint8Array, properties: PropertyBag | undefined): number;
  /** Moves queued telemetry into the hub session while its window has room. */
  pump(t: number): void;
  /** The device id of the next hub connection; `changed`: another than the last one's, so
   *  what is in flight goes out again, to the new one. */
  setDeviceId(deviceId: string, changed: boolean): void;
  /** Hears each message the outbox drops (releases it from the hub session, logs it); a RAM
   *  outbox's shed() takes it too. */
  dropped(message: OutboxMessage): void;
}

export function createTelemetry(core: Core): Telemetry {
  const config = core.config;
  const hal = core.hal;
  const outbox: TelemetryOutbox = config.outboxPersist
    ? createFlashOutbox({
      maxMessages: config.outboxMaxMessages, maxBytes: config.outboxMaxBytes, refuseNew: config.outboxRefuseNew,
      maxFlashBytes: config.outboxMaxFlashBytes, store: hal.store, crc32: hal.crc32,
    })
    : createRamOutbox({ maxMessages: config.outboxMaxMessages, maxBytes: config.outboxMaxBytes, refuseNew: config.outboxRefuseNew });
  const recovered = outbox.recovered;
  if (recovered > 0 || outbox.damaged > 0) {
    core.log(LOG_INFO, "outbox: " + recovered + " messages queued before the boot; next seq " + outbox.upcomingSeq +
      (outbox.damaged > 0 ? "; " + outbox.damaged + " damaged records skipped" : ""));
  }
  const bootId = (hal.random32() >>> 0).toString(16);
  let prefix = "";

  function dropped(message: OutboxMessage): void {
    if (message.packetId !== 0) core.hubSession!.discard(message.packetId);
    core.log(LOG_WARN, "outbox full: dropped message " + message.messageId);
  }

  function release(packetId: number): void {
    core.hubSession!.discard(packetId);
  }

  const telemetry: Telemetry = {
    outbox: outbox,
    window: HUB_WINDOW,
    onC2D: undefined,
    dropped: dropped,

    send: function (body: string | Uint8Array, properties: PropertyBag | undefined): number {
      const payload = typeof body === "string" ? utf8Bytes(body) : body;
      const messageId = bootId + "-" + outbox.upcomingSeq;
      const bag: PropertyBag = { "$.mid": messageId };
      if (properties) {
        const names = Object.keys(properties);
        for (let i = 0; i < names.length; i++) bag[names[i]] = properties[names[i]];
      }
      const seq = outbox.add(encodePropertyBag(bag), payload, messageId, dropped);
      if (seq > 0) core.stats.accepted++;
      else if (seq === ERR_FULL) core.log(LOG_WARN, "outbox full: refused message " + messageId);
      return seq;
    },

    pump: function (t: number): void {
      const session = core.hubSession!;
      for (;;) {
        if (session.inflight >= HUB_WINDOW - 1) break;
        const m = outbox.nextUnsent();
        if (!m) break;
        const id = session.publish(prefix + m.bag, m.payload, 1, false, t);
        if (id <= 0) break;
        outbox.markSent(m, id);
      }
    },

    setDeviceId: function (deviceId: string, changed: boolean): void {
      if (changed) outbox.forEachInFlight(release);
      prefix = telemetryTopic(deviceId, undefined, config.moduleId || undefined);
    },

  };
  return telemetry;
}
