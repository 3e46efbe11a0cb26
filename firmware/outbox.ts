// The telemetry outbox in RAM: a bounded queue in which every message waits until the hub has
// acknowledged it (PUBACK). Bounded by count and by bytes; when full, the oldest message is
// dropped (or, by choice, the new one refused) and counted so an outage can never exhaust
// memory silently. Pure bookkeeping: the driver moves messages into the
// MQTT session and reports acks. firmware/outbox-flash.ts keeps the same queue in flash,
// across reboots; both implement TelemetryOutbox.
import { ERR_TOO_LARGE, ERR_BAD_ARGUMENT, ERR_FULL } from "./status";

/** IoT Hub's device-to-cloud message limit. */
export const HUB_MAX_MESSAGE_BYTES = 256 * 1024;

export interface OutboxMessage {
  /** Sequence number, 1.. in the order messages were accepted. */
  seq: number;
  /** The message id sent as `$.mid`, for de-duplication at the back end. */
  messageId: string;
  /** The encoded property bag. The topic is built when the message is sent, so a message
   *  queued before provisioning, or across a move to another hub, goes to the right one. */
  bag: string;
  payload: Uint8Array;
  /** MQTT packet id while in flight in the session, 0 before it was first sent. */
  packetId: number;
}

export interface OutboxLimits {
  maxMessages: number;
  maxBytes: number;
  /** Largest single message (properties + payload); defaults to the hub's 256 KB. */
  maxMessageBytes?: number;
  /** When full: false (the default) drops the oldest message, true refuses the new one. */
  refuseNew?: boolean;
}

/** What the device needs from an outbox, in RAM (RamOutbox) or in flash (FlashOutbox). */
export interface TelemetryOutbox {
  /** Messages dropped because the outbox was full (oldest first). */
  dropped: number;
  /** New messages refused because the outbox was full (refuseNew). */
  refused: number;
  /** Messages the hub acknowledged. */
  acknowledged: number;
  /** Damaged records skipped (torn by a power cut, corrupted in flash); 0 in RAM. */
  damaged: number;
  // The figures below are fields the outbox keeps (read them, never write them): a getter
  // each would be a function object for the outbox's life (about 5 JsVars on the device).
  /** Messages queued. */
  size: number;
  /** Bytes queued (property bags and payloads). */
  sizeBytes: number;
  /** The seq the next accepted message will get. In flash it keeps rising across reboots,
   *  so "<boot id>-<seq>" is a unique $.mid even where the boot id repeats. */
  upcomingSeq: number;
  /** Messages handed to the session and not yet acknowledged. */
  inFlight: number;
  /** Messages a previous boot left queued, found as the outbox was made (0 in RAM). */
  recovered: number;
  /** Accepts a message: its sequence number once it is safely queued, or a negative status
   *  (ERR_TOO_LARGE, ERR_BAD_ARGUMENT, ERR_FULL when full and refusing, ERR_NO_SPACE). */
  add(bag: string, payload: Uint8Array, messageId: string, onDrop?: (message: OutboxMessage) => void): number;
  /** The oldest message not yet handed to the session, or undefined. */
  nextUnsent(): OutboxMessage | undefined;
  /** Records the packet id the session gave the message nextUnsent returned. */
  markSent(message: OutboxMessage, packetId: number): void;
  /** The hub acknowledged packetId: its message leaves. Returns its seq, 0 if unknown. */
  acknowledge(packetId: number): number;
  /** Hands every in-flight packet id to release, then marks all messages unsent. */
  forEachInFlight(release: (packetId: number) => void): void;
}

/** The part of the HAL's Store the flash outbox (outbox-flash.ts) uses (hal/types.ts). */
export interface SegmentStore {
  read(name: string): string | undefined;
  erase(name: string): void;
  writeChunk(name: string, data: Uint8Array, offset: number, totalSize: number): boolean;
  list(prefix: string): string[];
}

export interface FlashOutboxOptions extends OutboxLimits {
  store: SegmentStore;
  /** CRC-32 (IEEE) of bytes or a byte string (Hal.crc32). */
  crc32: (data: Uint8Array | string) => number;
  /** Bound on the segments' total size (Storage adds a 32-byte header to each). */
  maxFlashBytes: number;
  /** Size of a segment; a larger message gets a segment of its own size. */
  segmentBytes?: number;
  /** Name prefix of the segments (tests run several outboxes on one store). */
  prefix?: string;
}

/** 4064 + Storage's 32-byte header = one 4 KB flash page per segment. */
export const SEGMENT_BYTES = 4064;
/** Storage's header on every record (measured: getStats().fileBytes = size + 32). */
export const STORAGE_HEADER_BYTES = 32;
/** The flash outbox; flashBytes is what its segments take (Storage adds its headers). */
export interface FlashOutbox extends TelemetryOutbox {
  flashBytes: number;
}

/** The RAM outbox: shed() gives up older messages when memory runs low. */
export interface RamOutbox extends TelemetryOutbox {
  /** Low memory: drops the oldest messages until at most `keep` remain (counted as dropped). */
  shed(keep: number, onDrop?: (message: OutboxMessage) => void): void;
}

/** A closure, not a class: a class's methods exist from the moment the bundle is evaluated,
 *  these only once an outbox in RAM is made (on the device each live function costs about 7
 *  JsVars, and the default outbox is the flash one). */
export function createRamOutbox(limits: OutboxLimits): RamOutbox {
  const queue: OutboxMessage[] = [];
  const maxMessageBytes = limits.maxMessageBytes === undefined ? HUB_MAX_MESSAGE_BYTES : limits.maxMessageBytes;

  function dropOldest(onDrop?: (message: OutboxMessage) => void): void {
    const oldest = queue.shift() as OutboxMessage;
    self.size = queue.length;
    self.sizeBytes -= oldest.bag.length + oldest.payload.length;
    if (oldest.packetId !== 0) self.inFlight--;
    self.dropped++;
    if (onDrop) onDrop(oldest);
  }

  const self: RamOutbox = {
    dropped: 0,
    refused: 0,
    acknowledged: 0,
    /** Always 0: RAM is not torn. */
    damaged: 0,
    size: 0,
    sizeBytes: 0,
    upcomingSeq: 1,
    inFlight: 0,
    /** Nothing survives a reboot in RAM. */
    recovered: 0,

    /**
     * Accepts a message. Returns its sequence number, or ERR_TOO_LARGE (above the hub's
     * limit or the outbox's byte bound) / ERR_BAD_ARGUMENT / ERR_FULL (full, refuseNew). Makes
     * room by dropping the oldest messages; `onDrop` hears each (to release it from the session
     * if it was in flight).
     */
    add: function (bag: string, payload: Uint8Array, messageId: string, onDrop?: (message: OutboxMessage) => void): number {
      if (messageId.length === 0) return ERR_BAD_ARGUMENT;
      const size = bag.length + payload.length;
      if (size > maxMessageBytes || size > limits.maxBytes) return ERR_TOO_LARGE;
      if (limits.refuseNew && queue.length > 0 && (queue.length >= limits.maxMessages || self.sizeBytes + size > limits.maxBytes)) {
        self.refused++;
        return ERR_FULL;
      }
      while (queue.length > 0 && (queue.length >= limits.maxMessages || self.sizeBytes + size > limits.maxBytes)) dropOldest(onDrop);
      const message: OutboxMessage = { seq: self.upcomingSeq++, messageId: messageId, bag: bag, payload: payload, packetId: 0 };
      queue.push(message);
      self.size = queue.length;
      self.sizeBytes += size;
      return message.seq;
    },

    shed: function (keep: number, onDrop?: (message: OutboxMessage) => void): void {
      while (queue.length > keep) dropOldest(onDrop);
    },

    /** The oldest message not yet handed to the session, or undefined. */
    nextUnsent: function (): OutboxMessage | undefined {
      for (let i = 0; i < queue.length; i++) if (queue[i].packetId === 0) return queue[i];
      return undefined;
    },

    /** Records the packet id the session gave the message. */
    markSent: function (message: OutboxMessage, packetId: number): void {
      // The message nextUnsent returned: queued, so no search of the queue on every send.
      if ((message.packetId !== 0) !== (packetId !== 0)) self.inFlight += packetId !== 0 ? 1 : -1;
      message.packetId = packetId;
    },

    /** The hub acknowledged packetId: the message leaves the outbox. Returns its seq, 0 if unknown. */
    acknowledge: function (packetId: number): number {
      for (let i = 0; i < queue.length; i++) {
        const m = queue[i];
        if (m.packetId === packetId) {
          queue.splice(i, 1);
          self.size = queue.length;
          self.sizeBytes -= m.bag.length + m.payload.length;
          if (packetId !== 0) self.inFlight--;
          self.acknowledged++;
          return m.seq;
        }
      }
      return 0;
    },

    /** Hands every in-flight packet id to release (to drop it from the session), then marks
     *  all messages unsent so they go out again (after a move to another hub). */
    forEachInFlight: function (release: (packetId: number) => void): void {
      for (let i = 0; i < queue.length; i++) {
        const m = queue[i];
        if (m.packetId !== 0) release(m.packetId);
        m.packetId = 0;
      }
      self.inFlight = 0;
    },
  };
  return self;
}
