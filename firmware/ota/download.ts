// One update download as the driver runs it: where to connect, the request to write once the
// socket is open, and the response bytes turned into the agent's download events through
// the streaming parser (http-response.ts). Sans-I/O: the driver owns the socket and calls
// in; the file passes through as views of each received chunk, never whole in RAM.
import { OtaAgent } from "./agent";
import { Url, parseUrl, hostHeader, buildRequest } from "./http-request";
import { createResponseParser, ResponseParser } from "./http-response";
import { OK, NEED_MORE, SOCKET_CLOSED } from "../status";
import { utf8Bytes } from "../azure/bytes";

/** Status line plus headers of the response: a file server's answer fits easily. */
const MAX_HEADER_BYTES = 1024;

export interface Download {
  url: Url;
  /** The request, as bytes to write once the socket is open. */
  request(): Uint8Array;
  /** Response bytes. True when the response is over (complete or failed): close the socket. */
  data(bytes: Uint8Array, nowMs: number): boolean;
  /** The socket ended first (error: SOCKET_CLOSED when the server closed it cleanly). */
  closed(error: number, nowMs: number): void;
  /** The driver closed it for the agent (stopDownload): nothing more is reported. */
  cancel(): void;
}

/** A download of url from offset for agent, or a negative code (ERR_OTA_URL). */
export function createDownload(agent: OtaAgent, url: string, offset: number, now: () => number): Download | number {
  const u = parseUrl(url);
  if (typeof u === "number") return u;
  let over = false;
  const parser: ResponseParser = createResponseParser(MAX_HEADER_BYTES, {
    headers: function (_status: number, _length: number, rangeStart: number, totalSize: number) {
      agent.downloadStarted(rangeStart, totalSize, now());
    },
    body: function (bytes: Uint8Array) {
      agent.bodyChunk(bytes, now());
      // The agent may have stopped this download from inside bodyChunk (a write refused).
      if (over) parser.stop();
    },
    end: function () {
      // reported by data() / closed() with the parser's result
    },
  });
  return {
    url: u,
    request: function () {
      return utf8Bytes(buildRequest(hostHeader(u), u.path, offset));
    },
    data: function (bytes: Uint8Array, nowMs: number) {
      if (over) return true;
      const r = parser.push(bytes);
      if (r === NEED_MORE) return false;
      if (over) return true;
      over = true;
      agent.downloadEnded(r === OK, r, nowMs, parser.statusCode());
      return true;
    },
    closed: function (error: number, nowMs: number) {
      if (over) return;
      over = true;
      if (error !== SOCKET_CLOSED) {
        agent.downloadEnded(false, error, nowMs);
        return;
      }
      const r = parser.finish();
      agent.downloadEnded(r === OK, r, nowMs, parser.statusCode());
    },
    cancel: function () {
      over = true;
    },
  };
}
