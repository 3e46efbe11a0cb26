// The response side of the update download's HTTP/1.1 GET client (RFC 9110, RFC 9112): a
// sans-I/O streaming parser. The driver owns the socket: it writes the request
// (http-request.ts), pushes every received chunk into the parser (any split, one byte at a
// time included) and hears headers / body / end through callbacks. Body bytes are handed
// on as views of the pushed chunk, never buffered, so a file never sits in RAM. Bounded:
// the status line and headers (and chunk trailers) share one fixed buffer. Redirects are not
// followed (a code says so). Bad input never throws; it ends in a negative code.
// Body views never reach past the pushed chunk. (Espruino's subarray does not clamp its end
// to the array as Node's does: a driver cutting a buffer into pieces must clamp itself.)
import {
  OK, NEED_MORE, ERR_HTTP_MALFORMED, ERR_HTTP_HEADER_TOO_LARGE, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_HTTP_RANGE,
  ERR_HTTP_UNSUPPORTED, ERR_HTTP_TRUNCATED, ERR_HTTP_STOPPED,
} from "../status";
import { decimal, hexValue } from "./http-numbers";

export interface ResponseEvents {
  /** A 200 or 206 response's headers. contentLength is the body's length (-1 when unknown:
   *  chunked or read until close); rangeStart is the first byte's offset in the file (0 for
   *  200); totalSize is the whole file's size (-1 when unknown). */
  headers(statusCode: number, contentLength: number, rangeStart: number, totalSize: number): void;
  /** Body bytes: a view of the pushed chunk, valid only during the call. Never empty. */
  body(bytes: Uint8Array): void;
  /** The body is complete. */
  end(): void;
}

export interface ResponseParser {
  /** Feeds received bytes. Returns NEED_MORE while the response goes on, OK once it is
   *  complete (end was called; later bytes are ignored), or a negative code, which sticks. */
  push(bytes: Uint8Array): number;
  /** The connection closed: OK when the body was complete or runs until close (end is called
   *  then), ERR_HTTP_TRUNCATED when it ended early, or the sticky error. */
  finish(): number;
  /** Stops delivery from inside a callback: the rest of the chunk is dropped and push and
   *  finish return ERR_HTTP_STOPPED. */
  stop(): void;
  /** Ready for a new response. */
  reset(): void;
  /** The status code, once the status line was read (0 before). */
  statusCode(): number;
}

// Parser phases.
const P_STATUS = 0;
const P_HEADERS = 1;
const P_LENGTH = 2;
const P_CLOSE = 3;
const P_CHUNK_SIZE = 4;
const P_CHUNK_EXT = 5;
const P_CHUNK_SIZE_LF = 6;
const P_CHUNK_DATA = 7;
const P_CHUNK_DATA_CR = 8;
const P_CHUNK_DATA_LF = 9;
const P_TRAILER = 10;
const P_DONE = 11;
const P_ERROR = 12;

const CR = 13;
const LF = 10;
/** Chunk sizes are refused beyond this (7 hex digits), so the sum stays an int32. */
const MAX_CHUNK = 0x07ffffff;

/**
 * A streaming parser for one GET response at a time. maxHeaderBytes bounds the status line
 * plus headers, and separately the chunk trailers; one buffer of that size is allocated here
 * and reused. Accepts CRLF or bare LF line ends. Statuses: 200, 206 (with Content-Range),
 * 1xx interim responses skipped; 3xx ERR_HTTP_REDIRECT, 416 ERR_HTTP_RANGE, anything else
 * ERR_HTTP_STATUS (statusCode() tells which). ERR_HTTP_MALFORMED for broken framing, also
 * for Content-Length together with chunked; ERR_HTTP_UNSUPPORTED for other encodings.
 */
export function createResponseParser(maxHeaderBytes: number, events: ResponseEvents): ResponseParser {
  const line = new Uint8Array(maxHeaderBytes > 0 ? maxHeaderBytes : 1);
  let lineLength = 0;
  let headerBytes = 0;
  let phase = P_STATUS;
  let result = NEED_MORE;
  let status = 0;
  let contentLength = -1;
  let chunked = false;
  let rangeStart = -1;
  let rangeEnd = -1;
  let rangeTotal = -1;
  let remaining = 0;
  let chunkDigits = 0;
  let stopped = false;

  function fail(code: number): number {
    phase = P_ERROR;
    result = code;
    return code;
  }

  function lineText(): string {
    let s = "";
    let n = lineLength;
    if (n > 0 && line[n - 1] === CR) n--;
    for (let i = 0; i < n; i++) s += String.fromCharCode(line[i]);
    return s;
  }

  function reset(): void {
    lineLength = 0;
    headerBytes = 0;
    phase = P_STATUS;
    result = NEED_MORE;
    status = 0;
    contentLength = -1;
    chunked = false;
    rangeStart = -1;
    rangeEnd = -1;
    rangeTotal = -1;
    remaining = 0;
    chunkDigits = 0;
    stopped = false;
  }

  /** "HTTP/1.x NNN reason". Returns a code: NEED_MORE to go on with headers. */
  function statusLine(text: string): number {
    if (text.length < 12 || text.substr(0, 7) !== "HTTP/1." || text.charCodeAt(8) !== 32) return fail(ERR_HTTP_MALFORMED);
    const minor = text.charCodeAt(7);
    if (minor !== 48 && minor !== 49) return fail(ERR_HTTP_MALFORMED);
    const code = decimal(text.substr(9, 3));
    if (code < 100 || code > 599 || (text.length > 12 && text.charCodeAt(12) !== 32)) return fail(ERR_HTTP_MALFORMED);
    status = code;
    if (code < 200) return NEED_MORE; // interim: its headers are skipped, then a new status line
    if (code >= 300 && code < 400) return fail(ERR_HTTP_REDIRECT);
    if (code === 416) return fail(ERR_HTTP_RANGE);
    if (code !== 200 && code !== 206) return fail(ERR_HTTP_STATUS);
    return NEED_MORE;
  }

  /** "bytes a-b/total" or "bytes a-b/*". */
  function contentRange(value: string): number {
    if (value.substr(0, 6).toLowerCase() !== "bytes ") return fail(ERR_HTTP_RANGE);
    const dash = value.indexOf("-", 6);
    const slash = value.indexOf("/", 6);
    if (dash < 0 || slash < dash) return fail(ERR_HTTP_RANGE);
    const a = decimal(value.substring(6, dash));
    const b = decimal(value.substring(dash + 1, slash));
    const totalText = value.substring(slash + 1);
    const total = totalText === "*" ? -1 : decimal(totalText);
    if (a < 0 || b < a || (totalText !== "*" && (total < 0 || b >= total))) return fail(ERR_HTTP_RANGE);
    rangeStart = a;
    rangeEnd = b;
    rangeTotal = total;
    return NEED_MORE;
  }

  function headerLine(text: string): number {
    if (status < 200) return NEED_MORE; // an interim response's headers
    const c0 = text.charCodeAt(0);
    if (c0 === 32 || c0 === 9) return fail(ERR_HTTP_MALFORMED); // obsolete line folding
    const colon = text.indexOf(":");
    if (colon <= 0) return fail(ERR_HTTP_MALFORMED);
    const name = text.substring(0, colon).toLowerCase();
    if (name.indexOf(" ") >= 0 || name.indexOf("\t") >= 0) return fail(ERR_HTTP_MALFORMED);
    const value = text.substring(colon + 1).trim();
    if (name === "content-length") {
      const n = decimal(value);
      if (n < 0 || (contentLength >= 0 && n !== contentLength)) return fail(ERR_HTTP_MALFORMED);
      contentLength = n;
    } else if (name === "transfer-encoding") {
      const v = value.toLowerCase();
      if (v === "chunked") chunked = true;
      else if (v !== "identity") return fail(ERR_HTTP_UNSUPPORTED);
    } else if (name === "content-encoding") {
      if (value.toLowerCase() !== "identity") return fail(ERR_HTTP_UNSUPPORTED);
    } else if (name === "content-range") {
      return contentRange(value);
    }
    return NEED_MORE;
  }

  /** The blank line after the headers: choose how the body is framed. */
  function headersDone(): number {
    if (status < 200) {
      // 1xx: start over with the real response's status line.
      status = 0;
      phase = P_STATUS;
      return NEED_MORE;
    }
    if (chunked && contentLength >= 0) return fail(ERR_HTTP_MALFORMED);
    let start = 0;
    let total = contentLength;
    if (status === 206) {
      if (rangeStart < 0) return fail(ERR_HTTP_RANGE);
      const span = rangeEnd - rangeStart + 1;
      if (contentLength >= 0 && contentLength !== span) return fail(ERR_HTTP_RANGE);
      if (!chunked) contentLength = span;
      start = rangeStart;
      total = rangeTotal;
    } else if (chunked) total = -1;
    events.headers(status, chunked ? -1 : contentLength, start, total);
    if (stopped) return ERR_HTTP_STOPPED;
    if (chunked) {
      phase = P_CHUNK_SIZE;
      remaining = 0;
      chunkDigits = 0;
    } else if (contentLength >= 0) {
      phase = P_LENGTH;
      remaining = contentLength;
      if (remaining === 0) return complete();
    } else phase = P_CLOSE;
    return NEED_MORE;
  }

  function complete(): number {
    phase = P_DONE;
    result = OK;
    events.end();
    return stopped ? ERR_HTTP_STOPPED : OK;
  }

  function push(bytes: Uint8Array): number {
    if (stopped) return ERR_HTTP_STOPPED;
    if (phase === P_ERROR || phase === P_DONE) return result;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (stopped) return ERR_HTTP_STOPPED;
      const b = bytes[i];
      switch (phase) {
        case P_STATUS:
        case P_HEADERS:
        case P_TRAILER: {
          i++;
          if (++headerBytes > maxHeaderBytes) return fail(ERR_HTTP_HEADER_TOO_LARGE);
          if (b !== LF) {
            line[lineLength++] = b;
            break;
          }
          const empty = lineLength === 0 || (lineLength === 1 && line[0] === CR);
          let r = NEED_MORE;
          if (phase === P_TRAILER) {
            if (empty) r = complete();
          } else if (phase === P_STATUS) {
            if (empty) r = fail(ERR_HTTP_MALFORMED);
            else {
              r = statusLine(lineText());
              if (r === NEED_MORE) phase = P_HEADERS;
            }
          } else r = empty ? headersDone() : headerLine(lineText());
          lineLength = 0;
          if (r !== NEED_MORE) return r;
          if (phase !== P_STATUS && phase !== P_HEADERS && phase !== P_TRAILER) headerBytes = 0;
          break;
        }
        case P_LENGTH:
        case P_CLOSE:
        case P_CHUNK_DATA: {
          let take = n - i;
          if (phase !== P_CLOSE && take > remaining) take = remaining;
          events.body(bytes.subarray(i, i + take));
          i += take;
          if (phase === P_CLOSE) break;
          remaining -= take;
          if (remaining === 0) {
            if (phase === P_LENGTH) return complete();
            phase = P_CHUNK_DATA_CR;
          }
          break;
        }
        case P_CHUNK_SIZE: {
          i++;
          const h = hexValue(b);
          if (h >= 0) {
            if (remaining > (MAX_CHUNK >> 4)) return fail(ERR_HTTP_MALFORMED);
            remaining = (remaining << 4) | h;
            chunkDigits++;
            break;
          }
          if (chunkDigits === 0) return fail(ERR_HTTP_MALFORMED);
          if (b === 59 || b === 32 || b === 9) phase = P_CHUNK_EXT; // ";" extension (or space before it)
          else if (b === CR) phase = P_CHUNK_SIZE_LF;
          else if (b === LF) {
            const r = chunkHeaderDone();
            if (r !== NEED_MORE) return r;
          } else return fail(ERR_HTTP_MALFORMED);
          break;
        }
        case P_CHUNK_EXT: {
          i++;
          if (++headerBytes > maxHeaderBytes) return fail(ERR_HTTP_HEADER_TOO_LARGE);
          if (b === LF) {
            const r = chunkHeaderDone();
            if (r !== NEED_MORE) return r;
          }
          break;
        }
        case P_CHUNK_SIZE_LF: {
          i++;
          if (b !== LF) return fail(ERR_HTTP_MALFORMED);
          const r = chunkHeaderDone();
          if (r !== NEED_MORE) return r;
          break;
        }
        case P_CHUNK_DATA_CR: {
          i++;
          if (b === CR) phase = P_CHUNK_DATA_LF;
          else if (b === LF) {
            phase = P_CHUNK_SIZE;
            chunkDigits = 0;
          } else return fail(ERR_HTTP_MALFORMED);
          break;
        }
        case P_CHUNK_DATA_LF: {
          i++;
          if (b !== LF) return fail(ERR_HTTP_MALFORMED);
          phase = P_CHUNK_SIZE;
          chunkDigits = 0;
          break;
        }
        default:
          return result;
      }
    }
    return stopped ? ERR_HTTP_STOPPED : phase === P_DONE ? OK : NEED_MORE;
  }

  /** The line with a chunk's size ended. */
  function chunkHeaderDone(): number {
    headerBytes = 0;
    if (remaining === 0) {
      phase = P_TRAILER;
      lineLength = 0;
      return NEED_MORE;
    }
    phase = P_CHUNK_DATA;
    return NEED_MORE;
  }

  function finish(): number {
    if (stopped) return ERR_HTTP_STOPPED;
    if (phase === P_ERROR || phase === P_DONE) return result;
    if (phase === P_CLOSE) return complete();
    return fail(ERR_HTTP_TRUNCATED);
  }

  return {
    push: push,
    finish: finish,
    stop: function () {
      stopped = true;
    },
    reset: reset,
    statusCode: function () {
      return status;
    },
  };
}
