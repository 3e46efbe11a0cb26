// The simulator's HTTPS file host: whole files, byte ranges (206 / 416), faults (status,
// truncation, delay on the sim clock, Range ignored, chunked), counters, and announceUpdate's
// signed manifest, checked with the device's own manifest and HTTP code (cross-check: the
// simulator signs and serves with node:crypto and node:http).
import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openTls } from "./mqtt-client";
import { fixture, teardown, KEY, type Fixture } from "./sim-helpers";
import { parseUrl, buildRequest, hostHeader, type Url } from "../../firmware/ota/http-request";
import { createResponseParser } from "../../firmware/ota/http-response";
import { parseManifest, verifyManifest, type Manifest } from "../../firmware/ota/manifest";
import { OK, NEED_MORE, ERR_HTTP_TRUNCATED, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_HTTP_RANGE } from "../../firmware/status";

const FILE_HOST = "files.azure-devices.net";
const DATA = new Uint8Array(5000).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());

interface Raw {
  head: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Everything received, for the device parser. */
  wire: Buffer;
}

/** Sends a raw request over TLS and collects the answer until the server closes. */
async function raw(f: Fixture, request: string): Promise<Raw> {
  const s = await openTls({ host: FILE_HOST, address: f.sim.hosts[FILE_HOST], caPem: f.sim.caPem });
  const chunks: Buffer[] = [];
  s.on("data", (c: Buffer) => chunks.push(c));
  s.write(request);
  await new Promise<void>((resolve) => {
    s.on("end", () => resolve());
    s.on("close", () => resolve());
    s.on("error", () => resolve());
  });
  s.destroy();
  const wire = Buffer.concat(chunks);
  const split = wire.indexOf("\r\n\r\n");
  const head = wire.subarray(0, split).toString("latin1");
  const lines = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
  }
  return { head, status: Number(lines[0].split(" ")[1]), headers, body: wire.subarray(split + 4), wire };
}

function get(path: string, range?: string, method = "GET"): string {
  return method + " " + path + " HTTP/1.1\r\nHost: " + FILE_HOST + "\r\n" + (range ? "Range: " + range + "\r\n" : "") + "Connection: close\r\n\r\n";
}

/** The device's parser over a whole answer, then finish() as the connection closed. */
function deviceParse(wire: Buffer): { result: number; headers: number[]; body: Buffer; status: number } {
  const out = { result: NEED_MORE, headers: [] as number[], body: Buffer.alloc(0), status: 0 };
  const parts: Buffer[] = [];
  const p = createResponseParser(1024, {
    headers: (s, l, r, t) => (out.headers = [s, l, r, t]),
    body: (b) => parts.push(Buffer.from(b)),
    end: () => undefined,
  });
  out.result = p.push(new Uint8Array(wire));
  if (out.result === NEED_MORE) out.result = p.finish();
  out.body = Buffer.concat(parts);
  out.status = p.statusCode();
  return out;
}

let f: Fixture | undefined;

// ---------------------------------------------------------------------------------------

const serve = suite("files: serving and ranges");
serve.before(async () => {
  f = await fixture();
  f.sim.serveFile("/ota/app.js", DATA);
});
serve.after(() => teardown(f));

serve("serveFile -> https URL on the file host; the host is in sim.hosts", () => {
  assert.is(f!.sim.serveFile("x/y.js", new Uint8Array([1])), "https://" + FILE_HOST + "/x/y.js");
  assert.is(f!.sim.fileHost, FILE_HOST);
  assert.match(f!.sim.hosts[FILE_HOST], /^127\.0\.0\.1:\d+$/);
});

serve("GET -> 200, Content-Length, the bytes; the device parser agrees", async () => {
  const r = await raw(f!, get("/ota/app.js"));
  assert.is(r.status, 200);
  assert.is(r.headers["content-length"], "5000");
  assert.is(r.headers["accept-ranges"], "bytes");
  assert.ok(r.body.equals(Buffer.from(DATA)));
  const d = deviceParse(r.wire);
  assert.is(d.result, OK);
  assert.equal(d.headers, [200, 5000, 0, 5000]);
  assert.ok(d.body.equals(Buffer.from(DATA)));
});

serve("the device's own request text (Range from 4096) -> 206 with Content-Range", async () => {
  const u = parseUrl(f!.sim.serveFile("/ota/app.js", DATA)) as Url;
  const r = await raw(f!, buildRequest(hostHeader(u), u.path, 4096));
  assert.is(r.status, 206);
  assert.is(r.headers["content-range"], "bytes 4096-4999/5000");
  assert.ok(r.body.equals(Buffer.from(DATA.subarray(4096))));
  assert.equal(deviceParse(r.wire).headers, [206, 904, 4096, 5000]);
});

serve("range forms -> a-b, suffix -n, beyond the end 416, several ranges ignored", async () => {
  const ab = await raw(f!, get("/ota/app.js", "bytes=10-19"));
  assert.is(ab.status, 206);
  assert.ok(ab.body.equals(Buffer.from(DATA.subarray(10, 20))));
  const suffix = await raw(f!, get("/ota/app.js", "bytes=-5"));
  assert.is(suffix.headers["content-range"], "bytes 4995-4999/5000");
  const clipped = await raw(f!, get("/ota/app.js", "bytes=4990-9999"));
  assert.is(clipped.headers["content-range"], "bytes 4990-4999/5000");
  const beyond = await raw(f!, get("/ota/app.js", "bytes=5000-"));
  assert.is(beyond.status, 416);
  assert.is(beyond.headers["content-range"], "bytes */5000");
  assert.is(deviceParse(beyond.wire).result, ERR_HTTP_RANGE);
  const multi = await raw(f!, get("/ota/app.js", "bytes=0-1,5-6"));
  assert.is(multi.status, 200);
  assert.is(multi.body.length, 5000);
});

serve("unknown path -> 404; HEAD -> headers only; POST -> 405", async () => {
  const missing = await raw(f!, get("/nope.js"));
  assert.is(missing.status, 404);
  assert.is(deviceParse(missing.wire).status, 404);
  const head = await raw(f!, get("/ota/app.js", undefined, "HEAD"));
  assert.is(head.status, 200);
  assert.is(head.headers["content-length"], "5000");
  assert.is(head.body.length, 0);
  assert.is((await raw(f!, get("/ota/app.js", undefined, "POST"))).status, 405);
});

serve("counters -> requests, ranges, bytes, statuses per path; file-request events", () => {
  const c = f!.sim.fileCounters();
  assert.ok(c.requests >= 9);
  assert.ok(c.rangeRequests >= 6);
  assert.ok(c.bytesSent >= 5000 + 904 + 10);
  assert.ok(c.byPath["/ota/app.js"].statuses[206] >= 4);
  assert.is(c.byPath["/nope.js"].statuses[404], 1);
  assert.ok(f!.sim.events().some((e) => e.type === "file-request" && e.code === 416));
});

serve.run();

// ---------------------------------------------------------------------------------------

const faults = suite("files: faults");
faults.before(async () => {
  f = await fixture();
  f.sim.serveFile("/ota/app.js", DATA);
});
faults.after(() => teardown(f));

faults("failStatus 503 for one request -> 503, then the file again", async () => {
  f!.sim.fileFault("/ota/app.js", { failStatus: 503, count: 1 });
  const first = await raw(f!, get("/ota/app.js"));
  assert.is(first.status, 503);
  assert.is(deviceParse(first.wire).result, ERR_HTTP_STATUS);
  assert.is((await raw(f!, get("/ota/app.js"))).status, 200);
});

faults("failStatus 302 -> Location header; the device reports a redirect", async () => {
  f!.sim.fileFault("/ota/app.js", { failStatus: 302 });
  const r = await raw(f!, get("/ota/app.js"));
  assert.is(r.status, 302);
  assert.match(r.headers.location, /^https:\/\/files\.azure-devices\.net\//);
  assert.is(deviceParse(r.wire).result, ERR_HTTP_REDIRECT);
  f!.sim.fileFault("/ota/app.js", undefined);
});

faults("truncateAt 1000 -> full Content-Length, 1000 bytes, connection cut; the device sees it truncated", async () => {
  f!.sim.fileFault("/ota/app.js", { truncateAt: 1000 });
  const before = f!.sim.fileCounters().truncated;
  const r = await raw(f!, get("/ota/app.js"));
  assert.is(r.status, 200);
  assert.is(r.headers["content-length"], "5000");
  assert.ok(r.body.equals(Buffer.from(DATA.subarray(0, 1000))));
  const d = deviceParse(r.wire);
  assert.is(d.result, ERR_HTTP_TRUNCATED);
  assert.is(d.body.length, 1000);
  // Resuming from the cut point: still cut there (absolute offset), nothing sent.
  const again = await raw(f!, get("/ota/app.js", "bytes=1000-"));
  assert.is(again.status, 206);
  assert.is(again.body.length, 0);
  // Before the cut point: the range up to it.
  const part = await raw(f!, get("/ota/app.js", "bytes=600-"));
  assert.ok(part.body.equals(Buffer.from(DATA.subarray(600, 1000))));
  assert.is(f!.sim.fileCounters().truncated, before + 3);
  // A range that ends before the cut point is served whole.
  f!.sim.fileFault("/ota/app.js", { truncateAt: 4000 });
  const early = await raw(f!, get("/ota/app.js", "bytes=0-99"));
  assert.is(early.body.length, 100);
  assert.is(deviceParse(early.wire).result, OK);
  f!.sim.fileFault("/ota/app.js", undefined);
});

faults("chunked -> Transfer-Encoding chunked; the device parser reassembles the file", async () => {
  f!.sim.fileFault("/ota/app.js", { chunked: true });
  const r = await raw(f!, get("/ota/app.js", "bytes=100-"));
  assert.is(r.headers["transfer-encoding"], "chunked");
  const d = deviceParse(r.wire);
  assert.is(d.result, OK);
  assert.equal(d.headers, [206, -1, 100, 5000]);
  assert.ok(d.body.equals(Buffer.from(DATA.subarray(100))));
  f!.sim.fileFault("/ota/app.js", { chunked: true, truncateAt: 2000 });
  const cut = deviceParse((await raw(f!, get("/ota/app.js"))).wire);
  assert.is(cut.result, ERR_HTTP_TRUNCATED);
  assert.is(cut.body.length, 2000);
  f!.sim.fileFault("/ota/app.js", undefined);
});

faults("ignoreRange -> 200 and the whole file whatever the Range", async () => {
  f!.sim.fileFault("/ota/app.js", { ignoreRange: true });
  const r = await raw(f!, get("/ota/app.js", "bytes=4000-"));
  assert.is(r.status, 200);
  assert.is(r.body.length, 5000);
  f!.sim.fileFault("/ota/app.js", undefined);
});

faults("delayMs -> no answer until the sim clock passes it and sweep runs", async () => {
  f!.sim.fileFault("/ota/app.js", { delayMs: 30_000, count: 1 });
  let done = false;
  const pending = raw(f!, get("/ota/app.js")).then((r) => {
    done = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 100));
  f!.sim.sweep();
  assert.not.ok(done, "held");
  f!.clock.advance(29_999);
  f!.sim.sweep();
  await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(done, "still held");
  f!.clock.advance(1);
  f!.sim.sweep();
  const r = await pending;
  assert.is(r.status, 200);
  assert.is(r.body.length, 5000);
});

faults.run();

// ---------------------------------------------------------------------------------------

const announce = suite("files: announceUpdate");
announce.before(async () => {
  f = await fixture();
  f.sim.addDevice("dev-ota", { key: KEY });
});
announce.after(() => teardown(f));

announce("announceUpdate -> file served, desired ota set; the device's code verifies it", async () => {
  const key = new Uint8Array(32).map((_, i) => 100 + i);
  const { manifest, url, desiredVersion } = f!.sim.announceUpdate("dev-ota", { version: "1.2.0", bytes: DATA, key });
  assert.is(url, "https://" + FILE_HOST + "/ota/dev-ota/1.2.0.js");
  assert.is(f!.sim.twin("dev-ota").desired.$version, desiredVersion);
  const desired = f!.sim.twin("dev-ota").desired.ota;
  assert.equal(desired, { ...manifest });
  const m = parseManifest(desired) as Manifest;
  assert.type(m, "object");
  assert.ok(verifyManifest(m, key, sha256), "firmware verifies the node-signed manifest");
  assert.not.ok(verifyManifest(m, new Uint8Array(32), sha256));
  assert.is(m.sha256, createHash("sha256").update(DATA).digest("hex"));
  const u = parseUrl(m.url) as Url;
  const r = await raw(f!, buildRequest(hostHeader(u), u.path, 0));
  assert.ok(r.body.equals(Buffer.from(DATA)));
});

announce("base64 key, allowDowngrade, custom path -> signed accordingly; an older allowDowngrade never lingers", () => {
  const key64 = Buffer.alloc(32, 5).toString("base64");
  f!.sim.announceUpdate("dev-ota", { version: "0.9.0", bytes: DATA.subarray(0, 100), key: key64, allowDowngrade: true, path: "/old.js" });
  let m = parseManifest(f!.sim.twin("dev-ota").desired.ota) as Manifest;
  assert.ok(m.allowDowngrade);
  assert.ok(verifyManifest(m, new Uint8Array(Buffer.from(key64, "base64")), sha256));
  f!.sim.announceUpdate("dev-ota", { version: "1.3.0", bytes: DATA, key: key64 });
  m = parseManifest(f!.sim.twin("dev-ota").desired.ota) as Manifest;
  assert.is(m.allowDowngrade, false, "the twin merge replaced the flag");
  assert.ok(verifyManifest(m, new Uint8Array(Buffer.from(key64, "base64")), sha256));
});

announce("unknown device -> throws", () => {
  assert.throws(() => f!.sim.announceUpdate("nobody", { version: "1", bytes: DATA, key: "AAAA" }));
});

announce.run();
