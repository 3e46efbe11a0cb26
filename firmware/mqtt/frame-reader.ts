// Streaming MQTT frame reader (§2.2: fixed header, remaining length, body). Accepts the byte
// stream in any split and hands each complete packet to onFrame. Buffering is bounded by
// maxPacket, allocated once; a packet already whole inside one chunk is handed over in place.
import { OK, ERR_MALFORMED, ERR_TOO_LARGE } from "../status";

/** Called once per packet: its first byte and its body data[start, end), valid during the
 *  call only. Returns OK to go on; anything else stops push, which returns that value. */
export type FrameHandler = (first: number, data: Uint8Array, start: number, end: number) => number;

export interface FrameReader {
  /**
   * Feeds one chunk. Returns OK when every byte was consumed (a partial packet waits for the
   * next chunk), ERR_MALFORMED for a remaining length over four bytes, ERR_TOO_LARGE for a
   * packet over maxPacket bytes (rejected from its header, before any body is buffered), or
   * the first non-OK value of onFrame. After a non-OK return, call reset() before more input.
   */
  push(chunk: Uint8Array): number;
  /** Forgets any partial packet and error (a new connection). */
  reset(): void;
}

/** maxPacket: the largest whole packet accepted, header included. */
export function createFrameReader(maxPacket: number, onFrame: FrameHandler): FrameReader {
  const buf = new Uint8Array(maxPacket);
  // hdr: 0 waiting for a first byte, 1..4 remaining-length bytes read so far + 1, -1 in body
  let hdr = 0;
  let first = 0;
  let len = 0;
  let mul = 1;
  let have = 0;
  let dead = OK;

  function reset(): void {
    hdr = have = 0;
    dead = OK;
  }

  function push(c: Uint8Array): number {
    const n = c.length;
    let i = 0;
    let st = dead;
    while (!st && i < n) {
      if (hdr == 0) {
        first = c[i++];
        hdr = 1;
        len = 0;
        mul = 1;
      } else if (hdr > 0) {
        const d = c[i++];
        len += (d & 127) * mul;
        mul *= 128;
        hdr++;
        if (d & 128) {
          if (hdr > 4) st = dead = ERR_MALFORMED; // at most four length bytes (§2.2.3)
        } else if (len + hdr > maxPacket) {
          st = dead = ERR_TOO_LARGE;
        } else if (len) {
          hdr = -1;
          have = 0;
        } else {
          hdr = 0;
          st = onFrame(first, c, i, i);
        }
      } else if (!have && n - i >= len) {
        // The whole body is in this chunk: no copy.
        hdr = 0;
        i += len;
        st = onFrame(first, c, i - len, i);
      } else {
        let k = len - have;
        if (k > n - i) k = n - i;
        buf.set(c.subarray(i, i + k), have);
        have += k;
        i += k;
        if (have == len) {
          hdr = have = 0;
          st = onFrame(first, buf, 0, len);
        }
      }
    }
    return st;
  }

  return { push: push, reset: reset };
}
