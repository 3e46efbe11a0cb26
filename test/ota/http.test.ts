// The download HTTP client: URLs, the request text, and the response parser fed every
// vector whole, split at each position, and one byte at a time (the events must not change);
// malformed responses end in their code; seeded random input never throws.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseUrl, buildRequest, hostHeader, type Url } from "../../firmware/ota/http-request";
import { createResponseParser, type ResponseParser } from "../../firmware/ota/http-response";
import {
  OK, NEED_MORE, ERR_OTA_URL, ERR_HTTP_MALFORMED, ERR_HTTP_HEADER_TOO_LARGE, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_HTTP_RANGE,
  ERR_HTTP_UNSUPPORTED, ERR_HTTP_TRUNCATED, ERR_HTTP_STOPPED,
} from "../../firmware/status";
import { createPrng } from "../helpers/prng";

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));

interface Seen {
  headers: Array<[number, number, number, number]>;
  body: string;
  bodyCalls: number;
  ends: number;
  /** Last push result, then finish() when `close`. */
  result: number;
}

function recorder(maxHeader = 1024): { parser: ResponseParser; seen: Seen } {
  const seen: Seen = { headers: [], body: "", bodyCalls: 0, ends: 0, result: NEED_MORE };
  const parser = createResponseParser(maxHeader, {
    headers: (s, l, r, t) => seen.headers.push([s, l, r, t]),
    body: (b) => {
      assert.ok(b.length > 0, "body views are never empty");
      seen.body += Buffer.from(b).toString("latin1");
      seen.bodyCalls++;
    },
    end: () => seen.ends++,
  });
  return { parser, seen };
}

/** Feeds the parts in order (stopping at the first result other than NEED_MORE), then
 *  finish() when close is set and the response is not over. */
function feed(parts: Uint8Array[], close: boolean, maxHeader?: number): Seen {
  const { parser, seen } = recorder(maxHeader);
  let r = NEED_MORE;
  for (const p of parts) {
    r = parser.push(p);
    if (r !== NEED_MORE) break;
  }
  if (r === NEED_MORE && close) r = parser.finish();
  seen.result = r;
  return seen;
}

interface Vector {
  name: string;
  wire: string;
  /** The server closes after the bytes (needed for read-until-close bodies). */
  close: boolean;
  headers: [number, number, number, number];
  body: string;
}

const FILE = "console.log('hello from 1.2.0');\n";

const vectors: Vector[] = [
  {
    name: "200 with Content-Length",
    wire: "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: " + FILE.length + "\r\n\r\n" + FILE,
    close: false,
    headers: [200, FILE.length, 0, FILE.length],
    body: FILE,
  },
  {
    name: "206 with Content-Range and Content-Length",
    wire: "HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 10-" + (FILE.length - 1) + "/" + FILE.length + "\r\nCONTENT-LENGTH:   " +
      (FILE.length - 10) + "  \r\nAccept-Ranges: bytes\r\n\r\n" + FILE.slice(10),
    close: false,
    headers: [206, FILE.length - 10, 10, FILE.length],
    body: FILE.slice(10),
  },
  {
    name: "206 with total * and no Content-Length",
    wire: "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/*\r\n\r\nconsoleTRAILING",
    close: false,
    headers: [206, 5, 0, -1],
    body: "conso",
  },
  {
    name: "200 chunked, extension, upper-case hex, trailer",
    wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5;name=value\r\ncons\xff\r\n" + "0A\r\nole.log('h\r\n" + "1\r\ne\r\n" + "000\r\nX-Trailer: 1\r\n\r\n",
    close: false,
    headers: [200, -1, 0, -1],
    body: "cons\xffole.log('he",
  },
  {
    name: "206 chunked",
    wire: "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n",
    close: false,
    headers: [206, -1, 4, 100],
    body: "abcd",
  },
  {
    name: "200 read until close",
    wire: "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n" + FILE,
    close: true,
    headers: [200, -1, 0, -1],
    body: FILE,
  },
  {
    name: "100 Continue then 200",
    wire: "HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    close: false,
    headers: [200, 3, 0, 3],
    body: "abc",
  },
  {
    name: "bare LF line ends, status without reason",
    wire: "HTTP/1.1 200\nContent-Length: 2\n\nok",
    close: false,
    headers: [200, 2, 0, 2],
    body: "ok",
  },
  {
    name: "Content-Length 0",
    wire: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    close: false,
    headers: [200, 0, 0, 0],
    body: "",
  },
  {
    name: "chunked with bare LF after data and size",
    wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
    close: false,
    headers: [200, -1, 0, -1],
    body: "abc",
  },
];

function checkSeen(v: Vector, seen: Seen, how: string): void {
  assert.equal(seen.headers, [v.headers], `${v.name} ${how}: headers`);
  assert.is(seen.body, v.body, `${v.name} ${how}: body`);
  assert.is(seen.ends, 1, `${v.name} ${how}: one end`);
  assert.is(seen.result, OK, `${v.name} ${how}: result`);
}

// ---------------------------------------------------------------------------------------

const parser = suite("http: response vectors");

for (const v of vectors) {
  parser(`${v.name} -> headers, body, end`, () => {
    checkSeen(v, feed([bytes(v.wire)], v.close), "whole");
  });
  parser(`${v.name} split at every position -> same events`, () => {
    const wire = bytes(v.wire);
    for (let i = 0; i <= wire.length; i++) checkSeen(v, feed([wire.subarray(0, i), wire.subarray(i)], v.close), "split " + i);
  });
  parser(`${v.name} one byte at a time -> same events`, () => {
    const wire = bytes(v.wire);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i++) parts.push(wire.subarray(i, i + 1));
    checkSeen(v, feed(parts, v.close), "bytewise");
  });
}

parser("bytes after a complete response -> ignored, OK", () => {
  const { parser: p, seen } = recorder();
  assert.is(p.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab")), OK);
  assert.is(p.push(bytes("more")), OK);
  assert.is(p.finish(), OK);
  assert.is(seen.body, "a");
});

parser("body views -> no copy: they share the pushed buffer", () => {
  const wire = bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd");
  let view: Uint8Array | undefined;
  const p = createResponseParser(256, { headers: () => undefined, body: (b) => (view = b), end: () => undefined });
  p.push(wire);
  assert.ok(view && view.buffer === wire.buffer && view.byteOffset === wire.length - 4);
});

parser("reset -> the same parser reads a second response", () => {
  const { parser: p, seen } = recorder();
  p.push(bytes("HTTP/1.1 404 Not Found\r\n\r\n"));
  assert.is(p.statusCode(), 404);
  p.reset();
  assert.is(p.statusCode(), 0);
  assert.is(p.push(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")), OK);
  assert.is(seen.body, "hi");
});

parser("stop() from the body callback -> the rest is dropped, ERR_HTTP_STOPPED sticks", () => {
  let calls = 0;
  const p: ResponseParser = createResponseParser(256, {
    headers: () => undefined,
    body: () => {
      calls++;
      p.stop();
    },
    end: () => undefined,
  });
  assert.is(p.push(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n")), ERR_HTTP_STOPPED);
  assert.is(calls, 1);
  assert.is(p.push(bytes("x")), ERR_HTTP_STOPPED);
  assert.is(p.finish(), ERR_HTTP_STOPPED);
});

parser.run();

// ---------------------------------------------------------------------------------------

const bad = suite("http: malformed and refused responses");

const errors: Array<[string, string, number, boolean?]> = [
  ["302 redirect", "HTTP/1.1 302 Found\r\nLocation: https://elsewhere/\r\n\r\n", ERR_HTTP_REDIRECT],
  ["307 redirect", "HTTP/1.1 307 Temporary Redirect\r\n", ERR_HTTP_REDIRECT],
  ["404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", ERR_HTTP_STATUS],
  ["503", "HTTP/1.1 503 Service Unavailable\r\n\r\n", ERR_HTTP_STATUS],
  ["204", "HTTP/1.1 204 No Content\r\n\r\n", ERR_HTTP_STATUS],
  ["416", "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */10\r\n\r\n", ERR_HTTP_RANGE],
  ["HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n", ERR_HTTP_MALFORMED],
  ["HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", ERR_HTTP_MALFORMED],
  ["four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", ERR_HTTP_MALFORMED],
  ["status out of range", "HTTP/1.1 099 X\r\n\r\n", ERR_HTTP_MALFORMED],
  ["empty first line", "\r\nHTTP/1.1 200 OK\r\n\r\n", ERR_HTTP_MALFORMED],
  ["noise", "SSH-2.0-OpenSSH_9.6\r\n", ERR_HTTP_MALFORMED],
  ["header without colon", "HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\n", ERR_HTTP_MALFORMED],
  ["header name with a space", "HTTP/1.1 200 OK\r\nContent Length: 5\r\n\r\n", ERR_HTTP_MALFORMED],
  ["obsolete line folding", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", ERR_HTTP_MALFORMED],
  ["Content-Length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", ERR_HTTP_MALFORMED],
  ["two different Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", ERR_HTTP_MALFORMED],
  ["Content-Length not a number", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", ERR_HTTP_MALFORMED],
  ["Content-Length of 10 digits", "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n", ERR_HTTP_MALFORMED],
  ["gzip transfer encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", ERR_HTTP_UNSUPPORTED],
  ["gzip content encoding", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx", ERR_HTTP_UNSUPPORTED],
  ["206 without Content-Range", "HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\n\r\nabc", ERR_HTTP_RANGE],
  ["206 with Content-Range units not bytes", "HTTP/1.1 206 Partial Content\r\nContent-Range: items 0-1/2\r\n\r\n", ERR_HTTP_RANGE],
  ["206 end before start", "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-4/10\r\n\r\n", ERR_HTTP_RANGE],
  ["206 end beyond total", "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-10/10\r\n\r\n", ERR_HTTP_RANGE],
  ["206 length disagrees with range", "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/10\r\nContent-Length: 3\r\n\r\n", ERR_HTTP_RANGE],
  ["chunk size not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ERR_HTTP_MALFORMED],
  ["chunk size missing", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", ERR_HTTP_MALFORMED],
  ["chunk size of 9 hex digits", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n", ERR_HTTP_MALFORMED],
  ["chunk size CR without LF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc", ERR_HTTP_MALFORMED],
  ["chunk data not followed by CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", ERR_HTTP_MALFORMED],
  ["chunk data CR then not LF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rx", ERR_HTTP_MALFORMED],
  ["body shorter than Content-Length, then close", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", ERR_HTTP_TRUNCATED, true],
  ["close in the headers", "HTTP/1.1 200 OK\r\nContent-Len", ERR_HTTP_TRUNCATED, true],
  ["close before anything", "", ERR_HTTP_TRUNCATED, true],
  ["close inside a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", ERR_HTTP_TRUNCATED, true],
  ["close before the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", ERR_HTTP_TRUNCATED, true],
  ["close in the trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n", ERR_HTTP_TRUNCATED, true],
];
for (const [what, wire, code, close] of errors) {
  bad(`${what} -> ${code}`, () => {
    const whole = feed([bytes(wire)], close === true);
    assert.is(whole.result, code);
    const parts: Uint8Array[] = [];
    const w = bytes(wire);
    for (let i = 0; i < w.length; i++) parts.push(w.subarray(i, i + 1));
    assert.is(feed(parts, close === true).result, code, "byte at a time");
  });
}

bad("error status -> statusCode() tells which; no headers event", () => {
  const { parser: p, seen } = recorder();
  assert.is(p.push(bytes("HTTP/1.1 403 Forbidden\r\n\r\n")), ERR_HTTP_STATUS);
  assert.is(p.statusCode(), 403);
  assert.is(seen.headers.length, 0);
  assert.is(p.push(bytes("HTTP/1.1 200 OK\r\n")), ERR_HTTP_STATUS, "the error sticks");
  assert.is(p.finish(), ERR_HTTP_STATUS);
});

bad("headers beyond the bound -> ERR_HTTP_HEADER_TOO_LARGE; exactly at the bound -> fine", () => {
  const head = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX: ";
  const fill = (n: number): string => head + "a".repeat(n) + "\r\n\r\nz";
  const bound = 128;
  const exact = bound - (head.length + 4);
  assert.is(feed([bytes(fill(exact))], false, bound).result, OK);
  assert.is(feed([bytes(fill(exact + 1))], false, bound).result, ERR_HTTP_HEADER_TOO_LARGE);
});

bad("a chunk extension or trailer beyond the bound -> ERR_HTTP_HEADER_TOO_LARGE", () => {
  const ext = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + "e".repeat(200) + "\r\na\r\n0\r\n\r\n";
  assert.is(feed([bytes(ext)], false, 128).result, ERR_HTTP_HEADER_TOO_LARGE);
  const trailer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + "t".repeat(200) + "\r\n\r\n";
  assert.is(feed([bytes(trailer)], false, 128).result, ERR_HTTP_HEADER_TOO_LARGE);
});

bad.run();

// ---------------------------------------------------------------------------------------

const fuzz = suite("http: seeded random input");

const ALLOWED = new Set([OK, NEED_MORE, ERR_HTTP_MALFORMED, ERR_HTTP_HEADER_TOO_LARGE, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_HTTP_RANGE,
  ERR_HTTP_UNSUPPORTED, ERR_HTTP_TRUNCATED]);

fuzz("random bytes in random pieces -> a known code, never a throw", () => {
  const prng = createPrng(0x0a11);
  for (let round = 0; round < 300; round++) {
    const data = prng.bytes(1 + prng.int(300));
    const { parser: p, seen } = recorder(64 + prng.int(200));
    let r = NEED_MORE;
    for (let i = 0; i < data.length && r === NEED_MORE; ) {
      const n = 1 + prng.int(20);
      r = p.push(data.subarray(i, i + n));
      i += n;
    }
    if (r === NEED_MORE) r = p.finish();
    assert.ok(ALLOWED.has(r), "code " + r);
    assert.ok(seen.body.length <= data.length);
  }
});

fuzz("valid vectors with random bytes changed -> a known code, body never beyond the input", () => {
  const prng = createPrng(0xbeef);
  for (let round = 0; round < 1500; round++) {
    const v = vectors[prng.int(vectors.length)];
    const data = bytes(v.wire);
    const flips = 1 + prng.int(3);
    for (let f = 0; f < flips; f++) data[prng.int(data.length)] = prng.int(256);
    const k = prng.int(data.length + 1);
    const seen = feed([data.subarray(0, k), data.subarray(k)], true);
    assert.ok(ALLOWED.has(seen.result) && seen.result !== NEED_MORE, "code " + seen.result);
    assert.ok(seen.ends <= 1 && seen.headers.length <= 1);
    const again = feed([data], true);
    assert.ok(ALLOWED.has(again.result) && again.result !== NEED_MORE);
    assert.ok(again.body.length <= data.length);
  }
});

fuzz.run();

// ---------------------------------------------------------------------------------------

const urls = suite("http: parseUrl, hostHeader, buildRequest");

urls("URL table -> parts", () => {
  const table: Array<[string, Url]> = [
    ["https://files.example.net/app/1.2.0.js?sv=2022&sig=a%2Bb", { tls: true, host: "files.example.net", port: 443, path: "/app/1.2.0.js?sv=2022&sig=a%2Bb" }],
    ["HTTPS://Files.Example.NET", { tls: true, host: "files.example.net", port: 443, path: "/" }],
    ["http://127.0.0.1:8080/a", { tls: false, host: "127.0.0.1", port: 8080, path: "/a" }],
    ["https://h:65535?x=1", { tls: true, host: "h", port: 65535, path: "/?x=1" }],
    ["https://h/a#frag", { tls: true, host: "h", port: 443, path: "/a" }],
  ];
  for (const [url, parts] of table) assert.equal(parseUrl(url), parts, url);
});

urls("bad URLs -> ERR_OTA_URL", () => {
  for (const url of ["", "files.example.net/a", "ftp://h/a", "https://", "https:///a", "https://h:0/", "https://h:65536/", "https://h:/",
    "https://h:12a/", "https://u@h/", "https://[::1]/", "https://h_1/", "https://.h/", "https://h./", "https://a..b/", "https://h/a b",
    "https://h/\u00e9", "https://h/\r\n"]) {
    assert.is(parseUrl(url), ERR_OTA_URL, JSON.stringify(url));
  }
});

urls("hostHeader -> port only when not the default", () => {
  assert.is(hostHeader(parseUrl("https://h/") as Url), "h");
  assert.is(hostHeader(parseUrl("https://h:8443/") as Url), "h:8443");
  assert.is(hostHeader(parseUrl("http://h:80/") as Url), "h");
  assert.is(hostHeader(parseUrl("http://h:443/") as Url), "h:443");
});

urls("buildRequest -> exact text; Range only when asked", () => {
  assert.is(buildRequest("h", "/a?b", 0),
    "GET /a?b HTTP/1.1\r\nHost: h\r\nUser-Agent: espruino-azure-iot-ota/1\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n");
  assert.is(buildRequest("h:8443", "/a", 4096),
    "GET /a HTTP/1.1\r\nHost: h:8443\r\nUser-Agent: espruino-azure-iot-ota/1\r\nAccept-Encoding: identity\r\nRange: bytes=4096-\r\nConnection: close\r\n\r\n");
  assert.match(buildRequest("h", "/a", 0, 1023), /\r\nRange: bytes=0-1023\r\n/);
  assert.match(buildRequest("h", "/a", 10, 19), /\r\nRange: bytes=10-19\r\n/);
});

urls.run();
