// Streaming MQTT frame reader (§2.2: fixed header, remaining length, body). Accepts the byte
// stream in any split and hands each complete packet to onFrame. A packet already whole
// inside one chunk is handed over in place; one split across chunks is gathered in a buffer
// of its own size (bounded by maxPacket), made for it and dropped once it is handled. An idle
// connection therefore holds no receive buffer: on Espruino a resident 8 KB one is about 520
// JsVars, most of the connected client's data.
// A PUBLISH over maxPacket need not be fatal (the server would send it again after every
// reconnect): with skipPublish its variable header is kept and the rest is skipped as it
// streams in (§3.3.2).
import { OK, ERR_MALFORMED, ERR_TOO_LARGE } from "../status";

const EMPTY = new Uint8Array(0);

/** Called once per packet: its first byte and its body data[start, end), valid during the
 *  call only. `oversize` is 0 for a whole packet. For a PUBLISH over maxPacket it is the
 *  packet's size in bytes, header included, and data[start, end) holds only its variable
 *  header (topic length, topic, packet id), with a topic length of 0 when the topic itself
 *  did not fit. Returns OK to go on; anything else stops push, which returns that value. */
export type FrameHandler = (first: number, data: Uint8Array, start: number, end: number, oversize: number) => number;

export interface FrameReader {
  /**
   * Feeds one chunk. Returns OK when every byte was consumed (a partial packet waits for the
   * next chunk), ERR_MALFORMED for a remaining length over four bytes, ERR_TOO_LARGE for a
   * packet over maxPacket bytes that is not a PUBLISH to skip (rejected from its header,
   * before any body is buffered), or the first non-OK value of onFrame. After an error
   * return (negative), call reset() before more input; after a positive one from onFrame,
   * the chunk's last `left` bytes were not consumed and may be pushed next.
   */
  push(chunk: Uint8Array): number;
  /** After push: the bytes at the end of the chunk it did not consume (0 unless onFrame stopped it). */
  left: number;
  /** Forgets any partial packet and error (a new connection). */
  reset(): void;
}

/** maxPacket: the largest whole packet accepted, header included. skipPublish: hand a
 *  larger PUBLISH over as its variable header (see FrameHandler) instead of ERR_TOO_LARGE. */
export function createFrameReader(maxPacket: number, onFrame: FrameHandler, skipPublish?: boolean): FrameReader {
  // hdr: 0 waiting for a first byte, 1..4 remaining-length bytes read so far + 1, -1 in body,
  // -2 in the body of an oversized PUBLISH
  let hdr = 0;
  let first = 0;
  let len = 0;
  let mul = 1;
  let have = 0;
  let dead = OK;
  // The buffer of the packet in hand when it is split across chunks; EMPTY otherwise.
  let buf = EMPTY;
  // Oversized PUBLISH: its size, its topic length (read before its buffer is made), and the
  // body bytes [from, to) kept at buf[2..]; from is 2 when the topic fits (the whole variable
  // header is kept), past the topic when it does not.
  let size = 0;
  let topicLength = 0;
  let from = 2;
  let to = 2;

  function reset(): void {
    hdr = have = 0;
    dead = OK;
    buf = EMPTY;
  }

  function push(c: Uint8Array): number {
    const n = c.length;
    let i = 0;
    // Scratch, declared here and not in a branch (see decode.ts on Espruino and var).
    let k = 0;
    let a = 0;
    let b = 0;
    let st = dead;
    while (!st && i < n) {
      if (hdr == 0) {
        first = c[i++];
        hdr = 1;
        len = 0;
        mul = 1;
      } else if (hdr > 0) {
        k = c[i++];
        len += (k & 127) * mul;
        mul *= 128;
        hdr++;
        have = 0;
        if (k & 128) {
          if (hdr > 4) st = dead = ERR_MALFORMED; // at most four length bytes (§2.2.3)
        } else if (len + hdr > maxPacket || (len > n - i && !(buf = new Uint8Array(len)))) {
          // Over the bound, or split and more than the memory can hold now (Espruino gives
          // undefined). A PUBLISH has at least a topic length; anything else is fatal.
          buf = EMPTY;
          if (skipPublish && first >> 4 == 3 && len > 1) {
            size = len + hdr;
            topicLength = 0;
            hdr = -2;
          } else st = dead = ERR_TOO_LARGE;
        } else if (len) {
          hdr = -1;
        } else {
          hdr = 0;
          st = onFrame(first, c, i, i, 0);
        }
      } else if (hdr < -1) {
        if (have < 2) {
          topicLength = (topicLength << 8) | c[i++];
          if (++have == 2) {
            k = 2 + topicLength; // where the topic ends
            to = k + (first & 6 ? 2 : 0); // and the packet id (QoS > 0)
            // Past the packet: keep only the topic length, the decoder rejects it.
            if (to > len) from = to = 2;
            else from = to > maxPacket ? k : 2;
            // A topic that does not fit (or no memory for it): the packet id alone, topic length 0.
            if (from == k || !(buf = new Uint8Array(to - from + 2))) {
              from = k;
              topicLength = 0;
              buf = new Uint8Array(to - from + 2);
            }
            buf[0] = topicLength >> 8;
            buf[1] = topicLength & 255;
          }
        } else {
          k = len - have;
          if (k > n - i) k = n - i;
          // The part of this packet's bytes [have, have + k) that lies in [from, to).
          a = have > from ? have : from;
          b = have + k < to ? have + k : to;
          if (a < b) buf.set(c.subarray(i + a - have, i + b - have), a - from + 2);
          have += k;
          i += k;
        }
        if (have == len) {
          hdr = have = 0;
          st = onFrame(first, buf, 0, to - from + 2, size);
          buf = EMPTY;
        }
      } else if (!have && n - i >= len) {
        // The whole body is in this chunk: no copy.
        hdr = 0;
        i += len;
        st = onFrame(first, c, i - len, i, 0);
      } else {
        k = len - have;
        if (k > n - i) k = n - i;
        buf.set(c.subarray(i, i + k), have);
        have += k;
        i += k;
        if (have == len) {
          hdr = have = 0;
          st = onFrame(first, buf, 0, len, 0);
          buf = EMPTY;
        }
      }
    }
    self.left = n - i;
    return st;
  }

  const self: FrameReader = { push: push, reset: reset, left: 0 };
  return self;
}
