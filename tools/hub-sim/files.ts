// The simulator's HTTPS file host, where update files live (like a blob store): GET and HEAD
// of registered paths over TLS from the same throwaway CA, with single byte ranges (RFC 9110
// section 14: "bytes=a-b", "bytes=a-", "bytes=-n"; 206 + Content-Range; 416 beyond the end;
// several ranges or bad syntax: the Range is ignored and 200 sent), and per-path faults:
// a failing status, a connection cut at an absolute file offset, a delay on the sim clock
// before the answer, a server that ignores Range, chunked transfer encoding.
import http from "node:http";
import type { TLSSocket } from "node:tls";
import type { ServerCredentials } from "../tls/certs";
import type { SimCore } from "./core";
import { HostServer } from "./tls-hosts";
import type { FileCounters, FileFault } from "./types";

interface Held {
  dueMs: number;
  go(): void;
}

interface Range {
  start: number;
  end: number;
}

/** A single satisfiable range, "unsatisfiable", or undefined (no Range, or one to ignore). */
function parseRange(header: string | undefined, size: number): Range | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

export function newFileCounters(): FileCounters {
  return { requests: 0, rangeRequests: 0, bytesSent: 0, truncated: 0, byPath: {} };
}

export class FileHost {
  server!: HostServer;
  readonly counters = newFileCounters();
  private readonly files = new Map<string, Uint8Array>();
  private readonly faults = new Map<string, FileFault>();
  private readonly held: Held[] = [];
  private readonly http: http.Server;

  constructor(
    private readonly core: SimCore,
    readonly host: string,
  ) {
    this.http = http.createServer((req, res) => this.request(req, res));
    this.http.keepAliveTimeout = 5000;
  }

  async start(creds: ServerCredentials, port: number): Promise<void> {
    this.server = new HostServer(this.host, creds, this.core.options.bindAddress, false, {
      secure: (socket: TLSSocket) => this.http.emit("connection", socket),
      tlsError: (message) => this.core.emit("tls-error", { host: this.host, text: message }),
    }, false, this.core.options.plainTcp);
    await this.server.listen(port);
  }

  /** "https://host/path" for a path ("/" added in front when missing). */
  url(path: string): string {
    return "https://" + this.host + normalise(path);
  }

  serve(path: string, bytes: Uint8Array): string {
    const p = normalise(path);
    this.files.set(p, new Uint8Array(bytes));
    this.core.emit("file-served", { host: this.host, text: p + " (" + bytes.length + " B)" });
    return this.url(p);
  }

  unserve(path: string): boolean {
    return this.files.delete(normalise(path));
  }

  setFault(path: string, fault: FileFault | undefined): void {
    const p = normalise(path);
    if (fault) this.faults.set(p, { ...fault });
    else this.faults.delete(p);
    this.core.emit("fault", { host: this.host, text: p + ": " + (fault ? JSON.stringify(fault) : "fault cleared") });
  }

  /** Releases answers held by a delay fault whose time has come. */
  sweep(nowMs: number): void {
    for (let i = 0; i < this.held.length; ) {
      if (this.held[i].dueMs <= nowMs) this.held.splice(i, 1)[0].go();
      else i++;
    }
  }

  private takeFault(path: string): FileFault | undefined {
    const fault = this.faults.get(path);
    if (!fault) return undefined;
    if (fault.count !== undefined) {
      if (fault.count <= 0) return undefined;
      fault.count--;
      if (fault.count <= 0) this.faults.delete(path);
    }
    return fault;
  }

  private request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = normalise((req.url ?? "/").split("?")[0]);
    const rangeHeader = req.headers.range;
    const fault = this.takeFault(path);
    const stats = (this.counters.byPath[path] ??= { requests: 0, bytesSent: 0, statuses: {} });
    this.counters.requests++;
    stats.requests++;
    if (rangeHeader !== undefined) this.counters.rangeRequests++;
    const answer = (): void => this.answer(req, res, path, rangeHeader, fault, stats);
    if (fault?.delayMs !== undefined && fault.delayMs > 0) this.held.push({ dueMs: this.core.now() + fault.delayMs, go: answer });
    else answer();
  }

  private answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    rangeHeader: string | undefined,
    fault: FileFault | undefined,
    stats: { requests: number; bytesSent: number; statuses: Record<number, number> },
  ): void {
    if (res.destroyed || req.socket.destroyed) return;
    const log = (status: number, text: string): void => {
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
      this.core.emit("file-request", { host: this.host, code: status, text: req.method + " " + path + (rangeHeader ? " " + rangeHeader : "") + " -> " + status + " " + text });
    };
    const file = this.files.get(path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      log(405, "method not allowed");
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Length": "0" }).end();
      return;
    }
    if (fault?.failStatus !== undefined) {
      const headers: Record<string, string> = { "Content-Length": "0" };
      if (fault.failStatus >= 300 && fault.failStatus < 400) headers.Location = this.url(path + ".moved");
      log(fault.failStatus, "(fault)");
      res.writeHead(fault.failStatus, headers).end();
      return;
    }
    if (!file) {
      log(404, "not found");
      res.writeHead(404, { "Content-Length": "0" }).end();
      return;
    }
    const size = file.length;
    const range = fault?.ignoreRange ? undefined : parseRange(rangeHeader, size);
    if (range === "unsatisfiable") {
      log(416, "range not satisfiable");
      res.writeHead(416, { "Content-Range": "bytes */" + size, "Content-Length": "0" }).end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : size - 1;
    const status = range ? 206 : 200;
    const headers: Record<string, string> = { "Content-Type": "application/javascript", "Accept-Ranges": "bytes" };
    if (range) headers["Content-Range"] = "bytes " + start + "-" + end + "/" + size;
    if (!fault?.chunked) headers["Content-Length"] = String(end - start + 1);
    res.writeHead(status, headers);
    if (req.method === "HEAD") {
      log(status, "headers only");
      res.end();
      return;
    }
    let body = file.subarray(start, end + 1);
    const cut = fault?.truncateAt;
    if (cut !== undefined && cut <= end) {
      body = body.subarray(0, Math.max(0, cut - start));
      this.counters.truncated++;
      this.counters.bytesSent += body.length;
      stats.bytesSent += body.length;
      log(status, body.length + " B then the connection is cut (fault: truncateAt " + cut + ")");
      // Send what there is, then end the TCP connection without finishing the response.
      const socket = res.socket;
      const close = (): void => {
        if (socket && !socket.destroyed) socket.end();
      };
      if (body.length > 0) res.write(Buffer.from(body), close);
      else {
        res.flushHeaders();
        setImmediate(close);
      }
      return;
    }
    this.counters.bytesSent += body.length;
    stats.bytesSent += body.length;
    log(status, body.length + " B" + (fault?.chunked ? " chunked" : ""));
    res.end(Buffer.from(body));
  }

  async stop(): Promise<void> {
    this.held.length = 0;
    this.http.close();
    if (this.server) await this.server.close();
  }
}

function normalise(path: string): string {
  return path.startsWith("/") ? path : "/" + path;
}
