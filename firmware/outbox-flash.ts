// The telemetry outbox in flash: every accepted message is on flash before add() returns, so a
// power cut, a watchdog reset or an update's reboot loses nothing the application was told was
// accepted; after a boot, load() finds what is still queued and it goes out first, in order,
// with its original $.mid (the property bag is stored as it was encoded).
//
// Why this layout (measured on espruino-esp32 2v29, test/espruino/outbox-flash.probe.ts):
// - Segments, not a StorageFile. A Storage record created with a fixed size, then written
//   in place over its erased bytes (Storage.write(name, data, offset, size), the HAL's
//   writeChunk), costs one 32-byte file header and no copy per append: flash bytes written
//   per message are the record itself. A StorageFile appends the same way but takes no 0xFF
//   byte (payloads would need escaping), cannot be trimmed at its head (only erased whole),
//   and reads back line by line into RAM. Rewriting any record instead leaves the old copy as
//   trash: a full copy per message, and compaction much sooner.
// - Acks in place. A record's state byte is written erased (0xFF) and programmed to 0x00 when
//   the hub acknowledges it or it is dropped: flash may clear bits without an erase, so an ack
//   costs one byte and no trash.
// - Bounded compaction. A segment is erased as a whole once nothing in it is queued; Storage's
//   own compaction then reclaims it. Segments are appended in order and erased oldest first,
//   so live data are at most maxFlashBytes; a full outbox drops its oldest segment (or refuses).
// - No RAM per message. The outbox holds cursors and counters only; a message is read back
//   from flash (a flash-backed string on the device: one JsVar) when it is to be sent.
//   Record checks use the platform's CRC-32 (E.CRC32, native) over the record in place.
//
// Record, little-endian: magic 0xA5 | state (0xFF queued, 0x00 done) | seq u32 | id length u8 |
// bag length u16 | payload length u32 | id | bag | payload | CRC-32 of everything from seq to
// the end of the payload (magic and state are outside it: the state changes after writing).
// A record that fails the check (torn by a power cut, corrupted in flash) is skipped and
// counted: the scan resumes at the next byte that starts a valid record. An erased byte where
// a record would start ends a segment. A segment with damage is never appended to again.
import { OutboxMessage, OutboxLimits, TelemetryOutbox, HUB_MAX_MESSAGE_BYTES } from "./outbox";
import { OK, ERR_TOO_LARGE, ERR_BAD_ARGUMENT, ERR_FULL, ERR_NO_SPACE } from "./status";
import { OUTBOX_SEGMENT_PREFIX } from "./storage-names";

/** The part of the HAL's Store the outbox uses (hal/types.ts). */
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
const MAGIC = 0xa5;
const QUEUED = 0xff;
const ERASED = 0xff;
const HEADER = 13;
const TRAILER = 4;
/** Bytes a record adds to its id, bag and payload. */
export const RECORD_OVERHEAD = HEADER + TRAILER;

function u32(s: string, at: number): number {
  return (s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24)) >>> 0;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

export class FlashOutbox implements TelemetryOutbox {
  dropped = 0;
  refused = 0;
  acknowledged = 0;
  damaged = 0;
  private count = 0;
  private bytes = 0;
  private nextSeq = 1;
  /** Segments headSeg..tailSeg exist (tailSeg < headSeg: none). Appends go to the tail at
   *  tailEnd; tailEnd = tailSize seals it. */
  private headSeg = 1;
  private tailSeg = 0;
  private tailSize = 0;
  private tailEnd = 0;
  /** The first queued record (when count > 0), else the end of the log. */
  private headOff = 0;
  /** Queued records before this cursor are in flight; none at or after it is. */
  private sendSeg = 1;
  private sendOff = 0;
  /** Total size of the segments. */
  private flashUsed = 0;
  /** What seek() found. */
  private posSeg = 0;
  private posOff = 0;
  private posLen = 0;
  /** The record nextUnsent() returned, for markSent(). */
  private lastSeq = 0;
  private lastSeg = 0;
  private lastOff = 0;
  private lastLen = 0;
  /** In flight: packet id -> record (segment, offset); as long as the session's window. */
  private flightIds: number[] = [];
  private flightSegs: number[] = [];
  private flightOffs: number[] = [];
  private readonly store: SegmentStore;
  private readonly crc32: (data: Uint8Array | string) => number;
  private readonly prefix: string;
  private readonly segmentBytes: number;
  private readonly maxMessageBytes: number;

  constructor(private readonly limits: FlashOutboxOptions) {
    this.store = limits.store;
    this.crc32 = limits.crc32;
    this.prefix = limits.prefix === undefined ? OUTBOX_SEGMENT_PREFIX : limits.prefix;
    const segment = limits.segmentBytes === undefined ? SEGMENT_BYTES : limits.segmentBytes;
    // Two segments at least, so a full outbox keeps some of what it held.
    this.segmentBytes = segment * 2 > limits.maxFlashBytes ? Math.floor(limits.maxFlashBytes / 2) : segment;
    this.maxMessageBytes = limits.maxMessageBytes === undefined ? HUB_MAX_MESSAGE_BYTES : limits.maxMessageBytes;
  }

  size(): number {
    return this.count;
  }

  sizeBytes(): number {
    return this.bytes;
  }

  upcomingSeq(): number {
    return this.nextSeq;
  }

  /** Bytes of flash the segments take (without Storage's headers). */
  flashBytes(): number {
    return this.flashUsed;
  }

  /** Length of the valid record at off in segment s, or 0 when the bytes there are not one. */
  private check(s: string, off: number): number {
    const end = s.length;
    if (off + HEADER + TRAILER > end || s.charCodeAt(off) !== MAGIC) return 0;
    const idLen = s.charCodeAt(off + 6);
    const payloadLen = u32(s, off + 9);
    if (idLen === 0 || payloadLen > end) return 0;
    const len = HEADER + idLen + (s.charCodeAt(off + 7) | (s.charCodeAt(off + 8) << 8)) + payloadLen + TRAILER;
    if (off + len > end) return 0;
    // substr of a flash-backed string stays in flash on the device: checked in place.
    return this.crc32(s.substr(off + 2, len - 6)) === u32(s, off + len - TRAILER) ? len : 0;
  }

  /** The next offset from `from` where a valid record starts, or limit. */
  private resync(s: string, from: number, limit: number): number {
    for (let p = from; p < limit; p++) if (s.charCodeAt(p) === MAGIC && this.check(s, p) > 0) return p;
    return limit;
  }

  /** Finds the first queued record at or after (seg, off): pos* set, true. At the end of the
   *  log: pos* = (tailSeg, tailEnd), false. Skips done and damaged records. */
  private seek(seg: number, off: number): boolean {
    while (seg <= this.tailSeg) {
      const s = this.store.read((this.prefix + seg));
      const limit = s === undefined ? 0 : seg === this.tailSeg ? this.tailEnd : s.length;
      while (s !== undefined && off < limit) {
        if (s.charCodeAt(off) === ERASED) break;
        const len = this.check(s, off);
        if (len === 0) {
          off = this.resync(s, off + 1, limit);
          continue;
        }
        if (s.charCodeAt(off + 1) === QUEUED) {
          this.posSeg = seg;
          this.posOff = off;
          this.posLen = len;
          return true;
        }
        off += len;
      }
      if (seg === this.tailSeg) break;
      seg++;
      off = 0;
    }
    this.posSeg = this.tailSeg;
    this.posOff = this.tailEnd;
    this.posLen = 0;
    return false;
  }

  /** Reads the record at (seg, off) back into RAM. */
  private message(seg: number, off: number): OutboxMessage | undefined {
    const s = this.store.read((this.prefix + seg));
    if (s === undefined || this.check(s, off) === 0) return undefined;
    const idLen = s.charCodeAt(off + 6);
    const bagLen = (s.charCodeAt(off + 7) | (s.charCodeAt(off + 8) << 8));
    const payloadLen = u32(s, off + 9);
    let p = off + HEADER;
    // "" + copies into RAM: a flash-backed string would move under a Storage compaction.
    const messageId = "" + s.substr(p, idLen);
    p += idLen;
    const bag = bagLen === 0 ? "" : "" + s.substr(p, bagLen);
    p += bagLen;
    const payload = new Uint8Array(payloadLen);
    for (let i = 0; i < payloadLen; i++) payload[i] = s.charCodeAt(p + i);
    return { seq: u32(s, off + 2), messageId: messageId, bag: bag, payload: payload, packetId: 0 };
  }

  /** Programs the record's state byte to done (an ack or a drop). */
  private markDone(seg: number, off: number): void {
    const size = seg === this.tailSeg ? this.tailSize : this.segmentSize(seg);
    if (size > 0) this.store.writeChunk((this.prefix + seg), new Uint8Array(1), off + 1, size);
  }

  private segmentSize(seg: number): number {
    const s = this.store.read((this.prefix + seg));
    return s === undefined ? 0 : s.length;
  }

  private flightIndex(seg: number, off: number): number {
    for (let i = 0; i < this.flightIds.length; i++) if (this.flightSegs[i] === seg && this.flightOffs[i] === off) return i;
    return -1;
  }

  private forgetFlight(i: number): void {
    this.flightIds.splice(i, 1);
    this.flightSegs.splice(i, 1);
    this.flightOffs.splice(i, 1);
  }

  /** Takes the queued record at pos* out of the queue as dropped; onDrop hears it (with its
   *  packet id if in flight). mark: program its state byte (not needed for a segment about to
   *  be erased). */
  private dropAt(seg: number, off: number, len: number, mark: boolean, onDrop?: (message: OutboxMessage) => void): void {
    let m: OutboxMessage | undefined;
    if (onDrop) m = this.message(seg, off);
    const i = this.flightIndex(seg, off);
    if (i >= 0) {
      if (m) m.packetId = this.flightIds[i];
      this.forgetFlight(i);
    }
    const s = this.store.read((this.prefix + seg));
    const idLen = s === undefined ? 0 : s.charCodeAt(off + 6);
    if (mark) this.markDone(seg, off);
    this.count--;
    this.bytes -= len - RECORD_OVERHEAD - idLen;
    this.dropped++;
    if (onDrop && m) onDrop(m);
  }

  /** Moves the head to the first queued record, erasing the segments left behind (the tail is
   *  kept for appends). With nothing queued the counters are reset: they cannot drift. */
  private advanceHead(): void {
    const from = this.headSeg;
    if (this.seek(this.headSeg, this.headOff)) {
      this.headSeg = this.posSeg;
      this.headOff = this.posOff;
    } else {
      this.count = 0;
      this.bytes = 0;
      this.headSeg = this.tailSeg < this.headSeg ? this.headSeg : this.tailSeg;
      this.headOff = this.tailSeg < this.headSeg ? 0 : this.tailEnd;
    }
    for (let seg = from; seg < this.headSeg && seg < this.tailSeg + 1; seg++) this.eraseSegment(seg);
    if (this.sendSeg < this.headSeg || (this.sendSeg === this.headSeg && this.sendOff < this.headOff)) {
      this.sendSeg = this.headSeg;
      this.sendOff = this.headOff;
    }
  }

  private eraseSegment(seg: number): void {
    const size = seg === this.tailSeg ? this.tailSize : this.segmentSize(seg);
    this.store.erase((this.prefix + seg));
    this.flashUsed -= size;
  }

  /** Erases the oldest segment, dropping what it still holds (full flash). */
  private dropSegment(onDrop?: (message: OutboxMessage) => void): void {
    const seg = this.headSeg;
    let off = this.headOff;
    while (this.count > 0 && this.seek(seg, off) && this.posSeg === seg) {
      off = this.posOff + this.posLen;
      this.dropAt(seg, this.posOff, this.posLen, false, onDrop);
    }
    this.eraseSegment(seg);
    if (seg === this.tailSeg) {
      this.tailSize = 0;
      this.tailEnd = 0;
    }
    this.headSeg = seg + 1;
    this.headOff = 0;
    if (this.headSeg <= this.tailSeg) this.advanceHead();
    else if (this.sendSeg < this.headSeg) {
      this.sendSeg = this.headSeg;
      this.sendOff = 0;
    }
  }

  /** The record for a message, checksum included. */
  private encode(bag: string, payload: Uint8Array, messageId: string, seq: number): Uint8Array {
    const idLen = messageId.length;
    const len = RECORD_OVERHEAD + idLen + bag.length + payload.length;
    const r = new Uint8Array(len);
    r[0] = MAGIC;
    r[1] = QUEUED;
    put32(r, 2, seq);
    r[6] = idLen;
    r[7] = bag.length & 0xff;
    r[8] = bag.length >>> 8;
    put32(r, 9, payload.length);
    let p = HEADER;
    for (let i = 0; i < idLen; i++) r[p++] = messageId.charCodeAt(i);
    for (let i = 0; i < bag.length; i++) r[p++] = bag.charCodeAt(i);
    r.set(payload, p);
    put32(r, len - TRAILER, this.crc32(r.subarray(2, len - TRAILER)));
    return r;
  }

  /** Writes a record at the end of the log, making room in flash by the policy. */
  private append(record: Uint8Array, onDrop?: (message: OutboxMessage) => void): number {
    const len = record.length;
    const wasEmpty = this.count === 0;
    if (this.tailSeg >= this.headSeg && this.tailEnd + len <= this.tailSize) {
      const at = this.tailEnd;
      if (this.store.writeChunk((this.prefix + this.tailSeg), record, at, this.tailSize)) {
        this.tailEnd += len;
        if (wasEmpty) {
          this.headSeg = this.tailSeg;
          this.headOff = at;
        }
        return OK;
      }
      // The bytes there were not erased (damaged flash): seal this segment, start another.
      this.tailEnd = this.tailSize;
    }
    const size = len > this.segmentBytes ? len : this.segmentBytes;
    while (this.flashUsed + size > this.limits.maxFlashBytes && this.tailSeg >= this.headSeg) {
      if (this.count > 0 && this.limits.refuseNew) {
        this.refused++;
        return ERR_FULL;
      }
      this.dropSegment(onDrop);
    }
    const seg = this.tailSeg + 1;
    if (!this.store.writeChunk((this.prefix + seg), record, 0, size)) return ERR_NO_SPACE;
    const first = this.tailSeg < this.headSeg;
    this.tailSeg = seg;
    this.tailSize = size;
    this.tailEnd = len;
    this.flashUsed += size;
    if (first || this.count === 0) {
      // Nothing queued before this record: it is the head, older segments are done.
      const from = first ? seg : this.headSeg;
      this.headSeg = seg;
      this.headOff = 0;
      for (let s = from; s < seg; s++) this.eraseSegment(s);
      if (this.sendSeg < seg) {
        this.sendSeg = seg;
        this.sendOff = 0;
      }
    }
    return OK;
  }

  add(bag: string, payload: Uint8Array, messageId: string, onDrop?: (message: OutboxMessage) => void): number {
    const idLen = messageId.length;
    if (idLen === 0 || idLen > 255) return ERR_BAD_ARGUMENT;
    const size = bag.length + payload.length;
    if (size > this.maxMessageBytes || size > this.limits.maxBytes || bag.length > 0xffff || RECORD_OVERHEAD + idLen + size > this.limits.maxFlashBytes) return ERR_TOO_LARGE;
    if (this.count > 0 && (this.count >= this.limits.maxMessages || this.bytes + size > this.limits.maxBytes)) {
      if (this.limits.refuseNew) {
        this.refused++;
        return ERR_FULL;
      }
      // The oldest queued message goes, as often as needed.
      while (this.count > 0 && (this.count >= this.limits.maxMessages || this.bytes + size > this.limits.maxBytes)) {
        if (!this.seek(this.headSeg, this.headOff)) {
          this.count = 0;
          this.bytes = 0;
          break;
        }
        this.dropAt(this.posSeg, this.posOff, this.posLen, true, onDrop);
        this.advanceHead();
      }
    }
    const seq = this.nextSeq;
    const status = this.append(this.encode(bag, payload, messageId, seq), onDrop);
    if (status !== OK) return status;
    this.nextSeq++;
    this.count++;
    this.bytes += size;
    return seq;
  }

  nextUnsent(): OutboxMessage | undefined {
    this.lastSeq = 0;
    if (this.count === 0) return undefined;
    const found = this.seek(this.sendSeg, this.sendOff);
    // Done and damaged records on the way are passed for good.
    this.sendSeg = this.posSeg;
    this.sendOff = this.posOff;
    if (!found) return undefined;
    const m = this.message(this.posSeg, this.posOff);
    if (!m) return undefined;
    this.lastSeq = m.seq;
    this.lastSeg = this.posSeg;
    this.lastOff = this.posOff;
    this.lastLen = this.posLen;
    return m;
  }

  markSent(message: OutboxMessage, packetId: number): void {
    message.packetId = packetId;
    if (this.lastSeq === 0 || message.seq !== this.lastSeq) return;
    this.flightIds.push(packetId);
    this.flightSegs.push(this.lastSeg);
    this.flightOffs.push(this.lastOff);
    this.sendSeg = this.lastSeg;
    this.sendOff = this.lastOff + this.lastLen;
    this.lastSeq = 0;
  }

  inFlight(): number {
    return this.flightIds.length;
  }

  acknowledge(packetId: number): number {
    const i = this.flightIds.indexOf(packetId);
    if (i < 0) return 0;
    const seg = this.flightSegs[i];
    const off = this.flightOffs[i];
    this.forgetFlight(i);
    const s = this.store.read((this.prefix + seg));
    if (s === undefined) return 0;
    const len = this.check(s, off);
    if (len === 0 || s.charCodeAt(off + 1) !== QUEUED) return 0;
    const seq = u32(s, off + 2);
    const size = len - RECORD_OVERHEAD - s.charCodeAt(off + 6);
    // A failed mark (power going) only means the message may be sent again after the boot.
    this.markDone(seg, off);
    this.count--;
    this.bytes -= size;
    this.acknowledged++;
    if (seg === this.headSeg && off === this.headOff) this.advanceHead();
    return seq;
  }

  forEachInFlight(release: (packetId: number) => void): void {
    for (let i = 0; i < this.flightIds.length; i++) release(this.flightIds[i]);
    this.flightIds = [];
    this.flightSegs = [];
    this.flightOffs = [];
    this.lastSeq = 0;
    this.sendSeg = this.headSeg;
    this.sendOff = this.headOff;
  }

  /** Scans the segments a previous boot left: counts what is queued and damaged, finds the
   *  head, the tail and the next seq, erases segments with nothing queued. */
  load(): number {
    const names = this.store.list(this.prefix);
    const ids: number[] = [];
    for (let i = 0; i < names.length; i++) {
      const n = parseInt(names[i].substring(this.prefix.length), 10);
      if (n > 0 && (this.prefix + n) === names[i]) ids.push(n);
    }
    ids.sort(function (a: number, b: number) {
      return a - b;
    });
    this.count = 0;
    this.bytes = 0;
    this.flashUsed = 0;
    this.flightIds = [];
    this.flightSegs = [];
    this.flightOffs = [];
    if (ids.length === 0) {
      this.headSeg = this.tailSeg + 1;
      this.headOff = 0;
      this.sendSeg = this.headSeg;
      this.sendOff = 0;
      return 0;
    }
    this.tailSeg = ids[ids.length - 1];
    this.tailSize = 0;
    this.tailEnd = 0;
    let headFound = false;
    for (let k = 0; k < ids.length; k++) {
      const seg = ids[k];
      const s = this.store.read((this.prefix + seg));
      if (s === undefined) continue;
      this.flashUsed += s.length;
      let off = 0;
      let hurt = false;
      while (off < s.length && s.charCodeAt(off) !== ERASED) {
        const len = this.check(s, off);
        if (len === 0) {
          this.damaged++;
          hurt = true;
          off = this.resync(s, off + 1, s.length);
          continue;
        }
        const seq = u32(s, off + 2);
        if (seq >= this.nextSeq) this.nextSeq = seq + 1;
        if (s.charCodeAt(off + 1) === QUEUED) {
          this.count++;
          this.bytes += len - RECORD_OVERHEAD - s.charCodeAt(off + 6);
          if (!headFound) {
            headFound = true;
            this.headSeg = seg;
            this.headOff = off;
          }
        }
        off += len;
      }
      if (seg === this.tailSeg) {
        this.tailSize = s.length;
        this.tailEnd = hurt ? s.length : off;
      }
    }
    if (!headFound) {
      this.headSeg = this.tailSeg;
      this.headOff = this.tailEnd;
    }
    // Segments before the head hold nothing queued (a power cut may have stopped their erase).
    for (let k = 0; k < ids.length && ids[k] < this.headSeg; k++) {
      const size = this.segmentSize(ids[k]);
      this.store.erase((this.prefix + ids[k]));
      this.flashUsed -= size;
    }
    this.sendSeg = this.headSeg;
    this.sendOff = this.headOff;
    return this.count;
  }
}
