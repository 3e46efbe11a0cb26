// The telemetry outbox in flash: every accepted message is on flash before add() returns, so a
// power cut, a watchdog reset or an update's reboot loses nothing the application was told was
// accepted; after a boot, the new outbox finds what is still queued and it goes out first, in order,
// with its original $.mid (the property bag is stored as it was encoded).
//
// Why segments written in place, acks as one programmed byte and compaction by whole
// segments: docs/ARCHITECTURE.md, "The flash outbox".
//
// The record format is in outbox-record.ts. A segment with damage is never appended to again.
import { OutboxMessage, HUB_MAX_MESSAGE_BYTES, SEGMENT_BYTES, FlashOutbox, FlashOutboxOptions } from "./outbox";
import { OK, ERR_TOO_LARGE, ERR_BAD_ARGUMENT, ERR_FULL, ERR_NO_SPACE } from "./status";
import { OUTBOX_SEGMENT_PREFIX } from "./storage-names";
import { ERASED, OVERHEAD, QUEUED, encodeRecord, nextRecord, readRecord, recordLength, segmentNumbers, u32 } from "./outbox-record";

export type { SegmentStore, FlashOutboxOptions, FlashOutbox } from "./outbox";
export { SEGMENT_BYTES, STORAGE_HEADER_BYTES } from "./outbox";
/** Bytes a record adds to its id, bag and payload. */
export const RECORD_OVERHEAD = OVERHEAD;

/** A closure, not a class: its state lives in local variables, whose names the minifier
 *  shortens (on the device every property name of an object costs JsVars); only the figures
 *  the device reads (size, sizeBytes, upcomingSeq, flashBytes, inFlight) are fields, kept
 *  here, so that no function has to live to read them. */
export function createFlashOutbox(limits: FlashOutboxOptions): FlashOutbox {
  const store = limits.store;
  const crc32 = limits.crc32;
  const prefix = limits.prefix === undefined ? OUTBOX_SEGMENT_PREFIX : limits.prefix;
  const segment = limits.segmentBytes === undefined ? SEGMENT_BYTES : limits.segmentBytes;
  // Two segments at least, so a full outbox keeps some of what it held.
  const segmentBytes = segment * 2 > limits.maxFlashBytes ? Math.floor(limits.maxFlashBytes / 2) : segment;
  const maxMessageBytes = limits.maxMessageBytes === undefined ? HUB_MAX_MESSAGE_BYTES : limits.maxMessageBytes;
  /** Segments headSeg..tailSeg exist (tailSeg < headSeg: none). Appends go to the tail at
   *  tailEnd; tailEnd = tailSize seals it. */
  let headSeg = 1;
  let tailSeg = 0;
  let tailSize = 0;
  let tailEnd = 0;
  /** The first queued record (when size > 0), else the end of the log. */
  let headOff = 0;
  /** Queued records before this cursor are in flight; none at or after it is. */
  let sendSeg = 1;
  let sendOff = 0;
  /** What seek() found. */
  let posSeg = 0;
  let posOff = 0;
  let posLen = 0;
  /** The record nextUnsent() returned, for markSent(). */
  let lastSeq = 0;
  let lastSeg = 0;
  let lastOff = 0;
  let lastLen = 0;
  /** In flight: packet id -> record (segment, offset); as long as the session's window. */
  let flightIds: number[] = [];
  let flightSegs: number[] = [];
  let flightOffs: number[] = [];

  /** Finds the first queued record at or after (seg, off): pos* set, true. At the end of the
   *  log: pos* = (tailSeg, tailEnd), false. Skips done and damaged records. */
  function seek(seg: number, off: number): boolean {
    while (seg <= tailSeg) {
      const s = store.read((prefix + seg));
      const limit = s === undefined ? 0 : seg === tailSeg ? tailEnd : s.length;
      while (s !== undefined && off < limit) {
        if (s.charCodeAt(off) === ERASED) break;
        const len = recordLength(s, off, crc32);
        if (len === 0) {
          off = nextRecord(s, off + 1, limit, crc32);
          continue;
        }
        if (s.charCodeAt(off + 1) === QUEUED) {
          posSeg = seg;
          posOff = off;
          posLen = len;
          return true;
        }
        off += len;
      }
      if (seg === tailSeg) break;
      seg++;
      off = 0;
    }
    posSeg = tailSeg;
    posOff = tailEnd;
    posLen = 0;
    return false;
  }

  /** Reads the record at (seg, off) back into RAM. */
  function message(seg: number, off: number): OutboxMessage | undefined {
    const s = store.read((prefix + seg));
    return s === undefined || recordLength(s, off, crc32) === 0 ? undefined : readRecord(s, off);
  }

  /** Programs the record's state byte to done (an ack or a drop). */
  function markDone(seg: number, off: number): void {
    const size = seg === tailSeg ? tailSize : segmentSize(seg);
    if (size > 0) store.writeChunk((prefix + seg), new Uint8Array(1), off + 1, size);
  }

  function segmentSize(seg: number): number {
    const s = store.read((prefix + seg));
    return s === undefined ? 0 : s.length;
  }

  function flightIndex(seg: number, off: number): number {
    for (let i = 0; i < flightIds.length; i++) if (flightSegs[i] === seg && flightOffs[i] === off) return i;
    return -1;
  }

  function forgetFlight(i: number): void {
    flightIds.splice(i, 1);
    flightSegs.splice(i, 1);
    flightOffs.splice(i, 1);
    self.inFlight = flightIds.length;
  }

  /** Takes the queued record at pos* out of the queue as dropped; onDrop hears it (with its
   *  packet id if in flight). mark: program its state byte (not needed for a segment about to
   *  be erased). */
  function dropAt(seg: number, off: number, len: number, mark: boolean, onDrop?: (message: OutboxMessage) => void): void {
    let m: OutboxMessage | undefined;
    if (onDrop) m = message(seg, off);
    const i = flightIndex(seg, off);
    if (i >= 0) {
      if (m) m.packetId = flightIds[i];
      forgetFlight(i);
    }
    const s = store.read((prefix + seg));
    const idLen = s === undefined ? 0 : s.charCodeAt(off + 6);
    if (mark) markDone(seg, off);
    self.size--;
    self.sizeBytes -= len - OVERHEAD - idLen;
    self.dropped++;
    if (onDrop && m) onDrop(m);
  }

  function eraseSegment(seg: number): void {
    const size = seg === tailSeg ? tailSize : segmentSize(seg);
    store.erase((prefix + seg));
    self.flashBytes -= size;
  }

  /** Moves the head to the first queued record, erasing the segments left behind (the tail is
   *  kept for appends). With nothing queued the counters are reset: they cannot drift. */
  function advanceHead(): void {
    const from = headSeg;
    if (seek(headSeg, headOff)) {
      headSeg = posSeg;
      headOff = posOff;
    } else {
      self.size = 0;
      self.sizeBytes = 0;
      headSeg = tailSeg < headSeg ? headSeg : tailSeg;
      headOff = tailSeg < headSeg ? 0 : tailEnd;
    }
    for (let seg = from; seg < headSeg && seg < tailSeg + 1; seg++) eraseSegment(seg);
    if (sendSeg < headSeg || (sendSeg === headSeg && sendOff < headOff)) {
      sendSeg = headSeg;
      sendOff = headOff;
    }
  }

  /** Erases the oldest segment, dropping what it still holds (full flash). */
  function dropSegment(onDrop?: (message: OutboxMessage) => void): void {
    const seg = headSeg;
    let off = headOff;
    while (self.size > 0 && seek(seg, off) && posSeg === seg) {
      off = posOff + posLen;
      dropAt(seg, posOff, posLen, false, onDrop);
    }
    eraseSegment(seg);
    if (seg === tailSeg) {
      tailSize = 0;
      tailEnd = 0;
    }
    headSeg = seg + 1;
    headOff = 0;
    if (headSeg <= tailSeg) advanceHead();
    else if (sendSeg < headSeg) {
      sendSeg = headSeg;
      sendOff = 0;
    }
  }

  /** Writes a record at the end of the log, making room in flash by the policy. */
  function append(record: Uint8Array, onDrop?: (message: OutboxMessage) => void): number {
    const len = record.length;
    const wasEmpty = self.size === 0;
    if (tailSeg >= headSeg && tailEnd + len <= tailSize) {
      const at = tailEnd;
      if (store.writeChunk((prefix + tailSeg), record, at, tailSize)) {
        tailEnd += len;
        if (wasEmpty) {
          headSeg = tailSeg;
          headOff = at;
        }
        return OK;
      }
      // The bytes there were not erased (damaged flash): seal this segment, start another.
      tailEnd = tailSize;
    }
    const size = len > segmentBytes ? len : segmentBytes;
    while (self.flashBytes + size > limits.maxFlashBytes && tailSeg >= headSeg) {
      if (self.size > 0 && limits.refuseNew) {
        self.refused++;
        return ERR_FULL;
      }
      dropSegment(onDrop);
    }
    const seg = tailSeg + 1;
    if (!store.writeChunk((prefix + seg), record, 0, size)) return ERR_NO_SPACE;
    const first = tailSeg < headSeg;
    tailSeg = seg;
    tailSize = size;
    tailEnd = len;
    self.flashBytes += size;
    if (first || self.size === 0) {
      // Nothing queued before this record: it is the head, older segments are done.
      const from = first ? seg : headSeg;
      headSeg = seg;
      headOff = 0;
      for (let s = from; s < seg; s++) eraseSegment(s);
      if (sendSeg < seg) {
        sendSeg = seg;
        sendOff = 0;
      }
    }
    return OK;
  }

  function add(bag: string, payload: Uint8Array, messageId: string, onDrop?: (message: OutboxMessage) => void): number {
    const idLen = messageId.length;
    if (idLen === 0 || idLen > 255) return ERR_BAD_ARGUMENT;
    const size = bag.length + payload.length;
    if (size > maxMessageBytes || size > limits.maxBytes || bag.length > 0xffff || OVERHEAD + idLen + size > limits.maxFlashBytes) return ERR_TOO_LARGE;
    if (self.size > 0 && (self.size >= limits.maxMessages || self.sizeBytes + size > limits.maxBytes)) {
      if (limits.refuseNew) {
        self.refused++;
        return ERR_FULL;
      }
      // The oldest queued message goes, as often as needed.
      while (self.size > 0 && (self.size >= limits.maxMessages || self.sizeBytes + size > limits.maxBytes)) {
        if (!seek(headSeg, headOff)) {
          self.size = 0;
          self.sizeBytes = 0;
          break;
        }
        dropAt(posSeg, posOff, posLen, true, onDrop);
        advanceHead();
      }
    }
    const seq = self.upcomingSeq;
    const status = append(encodeRecord(bag, payload, messageId, seq, crc32), onDrop);
    if (status !== OK) return status;
    self.upcomingSeq++;
    self.size++;
    self.sizeBytes += size;
    return seq;
  }

  function nextUnsent(): OutboxMessage | undefined {
    lastSeq = 0;
    if (self.size === 0) return undefined;
    const found = seek(sendSeg, sendOff);
    // Done and damaged records on the way are passed for good.
    sendSeg = posSeg;
    sendOff = posOff;
    if (!found) return undefined;
    const m = message(posSeg, posOff);
    if (!m) return undefined;
    lastSeq = m.seq;
    lastSeg = posSeg;
    lastOff = posOff;
    lastLen = posLen;
    return m;
  }

  function markSent(message: OutboxMessage, packetId: number): void {
    message.packetId = packetId;
    if (lastSeq === 0 || message.seq !== lastSeq) return;
    flightIds.push(packetId);
    flightSegs.push(lastSeg);
    flightOffs.push(lastOff);
    self.inFlight = flightIds.length;
    sendSeg = lastSeg;
    sendOff = lastOff + lastLen;
    lastSeq = 0;
  }

  function acknowledge(packetId: number): number {
    const i = flightIds.indexOf(packetId);
    if (i < 0) return 0;
    const seg = flightSegs[i];
    const off = flightOffs[i];
    forgetFlight(i);
    const s = store.read((prefix + seg));
    if (s === undefined) return 0;
    const len = recordLength(s, off, crc32);
    if (len === 0 || s.charCodeAt(off + 1) !== QUEUED) return 0;
    const seq = u32(s, off + 2);
    const size = len - OVERHEAD - s.charCodeAt(off + 6);
    // A failed mark (power going) only means the message may be sent again after the boot.
    markDone(seg, off);
    self.size--;
    self.sizeBytes -= size;
    self.acknowledged++;
    if (seg === headSeg && off === headOff) advanceHead();
    return seq;
  }

  function forEachInFlight(release: (packetId: number) => void): void {
    for (let i = 0; i < flightIds.length; i++) release(flightIds[i]);
    flightIds = [];
    flightSegs = [];
    flightOffs = [];
    self.inFlight = 0;
    lastSeq = 0;
    sendSeg = headSeg;
    sendOff = headOff;
  }

  const self: FlashOutbox = {
    dropped: 0,
    refused: 0,
    acknowledged: 0,
    damaged: 0,
    size: 0,
    sizeBytes: 0,
    upcomingSeq: 1,
    flashBytes: 0,
    inFlight: 0,
    recovered: 0,
    add: add,
    nextUnsent: nextUnsent,
    markSent: markSent,
    acknowledge: acknowledge,
    forEachInFlight: forEachInFlight,
  };

  // The scan of what a previous boot left, once, as the outbox is made: counts what is queued
  // and damaged, finds the head, the tail and the next seq, erases segments with nothing
  // queued. Called on the spot: a function kept for it would live as long as the outbox.
  self.recovered = (function (): number {
    const ids = segmentNumbers(store.list(prefix), prefix);
    if (ids.length === 0) {
      headSeg = tailSeg + 1;
      headOff = 0;
      sendSeg = headSeg;
      sendOff = 0;
      return 0;
    }
    tailSeg = ids[ids.length - 1];
    tailSize = 0;
    tailEnd = 0;
    let headFound = false;
    for (let k = 0; k < ids.length; k++) {
      const seg = ids[k];
      const s = store.read((prefix + seg));
      if (s === undefined) continue;
      self.flashBytes += s.length;
      let off = 0;
      let hurt = false;
      while (off < s.length && s.charCodeAt(off) !== ERASED) {
        const len = recordLength(s, off, crc32);
        if (len === 0) {
          self.damaged++;
          hurt = true;
          off = nextRecord(s, off + 1, s.length, crc32);
          continue;
        }
        const seq = u32(s, off + 2);
        if (seq >= self.upcomingSeq) self.upcomingSeq = seq + 1;
        if (s.charCodeAt(off + 1) === QUEUED) {
          self.size++;
          self.sizeBytes += len - OVERHEAD - s.charCodeAt(off + 6);
          if (!headFound) {
            headFound = true;
            headSeg = seg;
            headOff = off;
          }
        }
        off += len;
      }
      if (seg === tailSeg) {
        tailSize = s.length;
        tailEnd = hurt ? s.length : off;
      }
    }
    if (!headFound) {
      headSeg = tailSeg;
      headOff = tailEnd;
    }
    // Segments before the head hold nothing queued (a power cut may have stopped their erase).
    for (let k = 0; k < ids.length && ids[k] < headSeg; k++) {
      const size = segmentSize(ids[k]);
      store.erase((prefix + ids[k]));
      self.flashBytes -= size;
    }
    sendSeg = headSeg;
    sendOff = headOff;
    return self.size;
  })();
  return self;
}
