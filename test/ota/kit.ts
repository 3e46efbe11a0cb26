// Test kit for firmware/ota: a flash store with Espruino Storage semantics that logs every
// flash operation so a power loss can be replayed at any point, and a tiny HTTP file server
// that answers a GET (with Range) as bytes, with faults.
//
// Storage semantics modelled (Espruino jsflash.c jsfWriteFile): write(name, data) with
// identical content is a no-op; otherwise the old file is erased first, then a new file is
// created and programmed. writeChunk at offset 0 creates a pre-sized file full of erased
// bytes (0xFF); at other offsets the file must exist with that size and the target region
// must still be erased, else the write is refused. A power loss can stop between any two
// operations, or in the middle of programming (a prefix of the bytes reached flash).
import type { RecordStore } from "../../firmware/ota/slots";

export type FlashOp =
  | { kind: "erase"; name: string }
  | { kind: "create"; name: string; size: number }
  | { kind: "program"; name: string; offset: number; data: string };

const ERASED = "\xff";

export class FlashStore implements RecordStore {
  readonly files = new Map<string, string>();
  readonly ops: FlashOp[] = [];

  constructor(initial?: Map<string, string>) {
    if (initial) for (const [k, v] of initial) this.files.set(k, v);
  }

  snapshot(): Map<string, string> {
    return new Map(this.files);
  }

  read(name: string): string | undefined {
    return this.files.get(name);
  }

  private apply(op: FlashOp): void {
    this.ops.push(op);
    applyOp(this.files, op, 1);
  }

  write(name: string, data: string): boolean {
    if (data.length === 0 || name.length > 28) return false;
    if (this.files.get(name) === data) return true;
    if (this.files.has(name)) this.apply({ kind: "erase", name });
    this.apply({ kind: "create", name, size: data.length });
    this.apply({ kind: "program", name, offset: 0, data });
    return true;
  }

  writeChunk(name: string, data: string, offset: number, size: number): boolean {
    if (data.length === 0 || offset < 0 || offset + data.length > size) return false;
    if (offset === 0) {
      if (this.files.has(name)) this.apply({ kind: "erase", name });
      this.apply({ kind: "create", name, size });
    } else {
      const have = this.files.get(name);
      if (have === undefined || have.length !== size) return false;
      for (let i = 0; i < data.length; i++) if (have.charCodeAt(offset + i) !== 0xff) return false; // "File already written with different data"
    }
    this.apply({ kind: "program", name, offset, data });
    return true;
  }

  erase(name: string): void {
    if (this.files.has(name)) this.apply({ kind: "erase", name });
  }
}

/** Applies op; a program op only for `fraction` of its bytes (a prefix). */
export function applyOp(files: Map<string, string>, op: FlashOp, fraction: number): void {
  if (op.kind === "erase") files.delete(op.name);
  else if (op.kind === "create") files.set(op.name, ERASED.repeat(op.size));
  else {
    const have = files.get(op.name) ?? "";
    const n = Math.floor(op.data.length * fraction);
    const part = op.data.slice(0, n);
    // Flash programming can only clear bits: model it as AND, as the hardware does.
    let out = have.slice(0, op.offset);
    for (let i = 0; i < part.length; i++) out += String.fromCharCode(have.charCodeAt(op.offset + i) & part.charCodeAt(i));
    files.set(op.name, out + have.slice(op.offset + part.length));
  }
}

export interface CrashPoint {
  /** Operations fully applied. */
  done: number;
  /** 0 = stopped between operations; otherwise the share of op[done]'s bytes that reached flash. */
  partial: number;
  label: string;
}

/** Every point a power loss can hit a log of n operations: before each, and half-way
 *  through each program operation. */
export function crashPoints(ops: FlashOp[]): CrashPoint[] {
  const out: CrashPoint[] = [];
  for (let i = 0; i <= ops.length; i++) {
    out.push({ done: i, partial: 0, label: "before op " + i + (i < ops.length ? " (" + describe(ops[i]) + ")" : " (all done)") });
    if (i < ops.length && ops[i].kind === "program" && (ops[i] as { data: string }).data.length > 1) {
      out.push({ done: i, partial: 0.5, label: "half-way through op " + i + " (" + describe(ops[i]) + ")" });
    }
  }
  return out;
}

function describe(op: FlashOp): string {
  return op.kind + " " + op.name + (op.kind === "program" ? " @" + op.offset + "+" + op.data.length : op.kind === "create" ? " " + op.size : "");
}

/** The flash contents after a power loss at `point` of a run that started from `initial`. */
export function replay(initial: Map<string, string>, ops: FlashOp[], point: CrashPoint): Map<string, string> {
  const files = new Map(initial);
  for (let i = 0; i < point.done; i++) applyOp(files, ops[i], 1);
  if (point.partial > 0) applyOp(files, ops[point.done], point.partial);
  return files;
}

/** Latin-1 text of bytes and back (Storage holds byte strings). */
export function toByteString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

export function fromByteString(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

// ---------------------------------------------------------------------------------------

export interface FileFault {
  /** Close the connection once this many bytes of the file (absolute offset) were sent. */
  truncateAt?: number;
  /** Answer with this status instead. */
  failStatus?: number;
  /** Send the whole file with 200 whatever the Range asks. */
  ignoreRange?: boolean;
  /** Use chunked transfer encoding. */
  chunked?: boolean;
  /** Serve these bytes instead of the file's (same length or not). */
  replaceWith?: Uint8Array;
  /** Faulty responses left (default: until cleared). */
  count?: number;
}

/** Answers GET requests for registered paths as raw HTTP/1.1 response bytes. */
export class TinyFileServer {
  readonly files = new Map<string, Uint8Array>();
  readonly faults = new Map<string, FileFault>();
  readonly requests: Array<{ path: string; rangeStart: number; status: number }> = [];

  serve(path: string, data: Uint8Array): void {
    this.files.set(path, data);
  }

  /** Response bytes for a request from `rangeStart` (0 = no Range header), and whether the
   *  connection then closes early (truncation) rather than after a complete response. */
  respond(path: string, rangeStart: number): { wire: Uint8Array; truncated: boolean } {
    let fault = this.faults.get(path);
    if (fault && fault.count !== undefined) {
      if (fault.count <= 0) fault = undefined;
      else fault.count--;
    }
    const file = this.files.get(path);
    const text = (status: number, reason: string, headers: string[], body: Uint8Array): Uint8Array => {
      this.requests.push({ path, rangeStart, status });
      const head = Buffer.from("HTTP/1.1 " + status + " " + reason + "\r\n" + headers.map((h) => h + "\r\n").join("") + "\r\n", "latin1");
      return new Uint8Array(Buffer.concat([head, Buffer.from(body)]));
    };
    if (!file) return { wire: text(404, "Not Found", ["Content-Length: 0"], new Uint8Array(0)), truncated: false };
    if (fault?.failStatus) return { wire: text(fault.failStatus, "Fault", ["Content-Length: 0"], new Uint8Array(0)), truncated: false };
    const data = fault?.replaceWith ?? file;
    let start = rangeStart;
    if (fault?.ignoreRange) start = 0;
    if (start >= data.length) {
      return { wire: text(416, "Range Not Satisfiable", ["Content-Range: bytes */" + data.length, "Content-Length: 0"], new Uint8Array(0)), truncated: false };
    }
    let body = data.subarray(start);
    let truncated = false;
    if (fault?.truncateAt !== undefined && fault.truncateAt < data.length) {
      const cut = Math.max(0, fault.truncateAt - start);
      if (cut < body.length) {
        body = body.subarray(0, cut);
        truncated = true;
      }
    }
    const headers: string[] = [];
    const status = start > 0 ? 206 : 200;
    if (status === 206) headers.push("Content-Range: bytes " + start + "-" + (data.length - 1) + "/" + data.length);
    if (fault?.chunked) {
      headers.push("Transfer-Encoding: chunked");
      const parts: Buffer[] = [];
      for (let i = 0; i < body.length; i += 700) {
        const piece = body.subarray(i, i + 700);
        parts.push(Buffer.from(piece.length.toString(16) + "\r\n", "latin1"), Buffer.from(piece), Buffer.from("\r\n", "latin1"));
      }
      if (!truncated) parts.push(Buffer.from("0\r\n\r\n", "latin1"));
      return { wire: text(status, status === 206 ? "Partial Content" : "OK", headers, new Uint8Array(Buffer.concat(parts))), truncated };
    }
    headers.push("Content-Length: " + (data.length - start));
    return { wire: text(status, status === 206 ? "Partial Content" : "OK", headers, body), truncated };
  }
}
