// Shared helpers for the flash tool tests: run make-config and flash in-process (fast) or
// as child processes in a temp directory (as `npm run` does), with a fixed clock.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runMakeConfig } from "../../tools/flash/make-config";
import { runFlash } from "../../tools/flash/main";
import type { ToolIo } from "../../tools/flash/summary";
import { createPrng } from "../helpers/prng";

export const ROOT = resolve(import.meta.dirname, "../..");
/** 2026-01-01T00:00:00Z: the tools' "now" in every in-process run. */
export const NOW = 1767225600;

export interface ToolRun {
  code: number;
  out: string;
  err: string;
  /** stdout and stderr together. */
  all: string;
}

function captureIo(cwd: string, env: Record<string, string> = {}): { io: ToolIo; result: () => { out: string; err: string } } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), cwd, nowSeconds: () => NOW, env },
    result: () => ({ out: out.join("\n"), err: err.join("\n") }),
  };
}

export function makeConfig(argv: string[], cwd: string, env: Record<string, string> = {}): ToolRun {
  const { io, result } = captureIo(cwd, env);
  const code = runMakeConfig(argv, io);
  const { out, err } = result();
  return { code, out, err, all: out + "\n" + err };
}

export async function flash(argv: string[], cwd: string): Promise<ToolRun> {
  const { io, result } = captureIo(cwd);
  const code = await runFlash(argv, io);
  const { out, err } = result();
  return { code, out, err, all: out + "\n" + err };
}

/** Runs tools/flash/<tool>.ts as `npm run` does (node --import tsx), in `cwd`. */
export function runTool(tool: "make-config" | "main", argv: string[], cwd: string, timeoutMs = 60000): Promise<ToolRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "tools/flash", tool + ".ts"), ...argv], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code === null ? -1 : code, out, err, all: out + "\n" + err });
    });
  });
}

export function tempDir(prefix = "flash-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const prng = createPrng(0x5eed10);

/** A random base64 key of n bytes (seeded). */
export function randomKey(n = 32): string {
  return Buffer.from(prng.bytes(n)).toString("base64");
}

/** The group-enrollment vector of Microsoft's DPS documentation. */
export const GROUP_KEY = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
export const GROUP_REGISTRATION_ID = "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6";
export const GROUP_DERIVED_KEY = "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=";

/** The interpreter named by $ESPRUINO, if it exists. */
export function interpreter(): string | undefined {
  const path = process.env.ESPRUINO;
  return path && existsSync(path) ? path : undefined;
}

export interface Interpreter {
  /** Lines printed so far (ANSI codes and carriage returns removed). */
  lines: string[];
  /** Resolves when a line matches, or with undefined after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string | undefined>;
  /** SIGKILL (the Linux build ignores SIGTERM) and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts the interpreter in `cwd` (its Storage is ./espruino.flash there). stdin is a pipe
 *  that is never written: at EOF it would read garbage as console input. */
export function startInterpreter(path: string, args: string[], cwd: string): Interpreter {
  const child = spawn(path, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; done: (line: string | undefined) => void }> = [];
  let buffer = "";
  let closed = false;
  const exited = new Promise<void>((r) => child.on("close", () => {
    closed = true;
    r();
  }));
  const take = (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      // eslint-disable-next-line no-control-regex
      const line = buffer.slice(0, nl).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "").replace(/^>+/, "").trim();
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].pattern.test(line)) waiters.splice(i, 1)[0].done(line);
      }
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return {
    lines,
    waitFor(pattern, timeoutMs) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolveLine) => {
        const waiter = { pattern, done: (line: string | undefined) => { clearTimeout(timer); resolveLine(line); } };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          resolveLine(undefined);
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async stop() {
      if (!closed) child.kill("SIGKILL");
      await exited;
    },
  };
}
