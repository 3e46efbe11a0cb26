// One run of the Espruino Linux interpreter, as every interpreter test drives it: console
// output split into clean lines, a timeout, a line that ends the run, SIGKILL to stop (the
// interpreter ignores SIGTERM). stdin is a pipe never written: at EOF the interpreter would
// read garbage as console input.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface InterpreterResult {
  lines: string[];
  exitCode: number | null;
  timedOut: boolean;
}

export interface InterpreterRun {
  /** The lines so far (the same array the result holds). */
  lines: string[];
  /** Kills the interpreter now. */
  stop(): void;
  done: Promise<InterpreterResult>;
}

export interface RunOptions {
  timeoutMs: number;
  /** The run ends (SIGKILL after a short grace for the rest of the output) at the first
   *  line matching this. */
  until?: RegExp;
  onLine?: (line: string) => void;
}

/** A console line without terminal escapes, carriage returns and the REPL prompt. */
export function cleanLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "").replace(/^>+/, "").trim();
}

/** Starts the interpreter in cwd with args (none: it boots from the Storage in cwd). */
export function startInterpreter(interpreter: string, args: string[], cwd: string, options: RunOptions): InterpreterRun {
  const child = spawn(interpreter, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let buffer = "";
  let timedOut = false;
  let ending = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs);
  const take = (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      // Escapes are removed per whole line (a chunk may split one); the REPL prompt ">" may
      // precede a line printed from a timer.
      const line = cleanLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      lines.push(line);
      if (options.onLine) options.onLine(line);
      if (options.until && !ending && options.until.test(line)) {
        ending = true;
        setTimeout(() => child.kill("SIGKILL"), 100);
      }
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  const done = new Promise<InterpreterResult>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      const rest = cleanLine(buffer);
      if (rest) lines.push(rest);
      resolve({ lines, exitCode: code, timedOut });
    });
  });
  return { lines, done, stop: () => child.kill("SIGKILL") };
}

/**
 * The stock Linux build (process.env.BOARD "LINUX") starts with a pool of 4,096 variables and
 * doubles it whenever it runs out (8,192, 16,384, 32,768, ...), by moving the whole pool; a TLS
 * handshake under way at that moment holds pointers into the old one (mbedtls's buffers come
 * from the pool on Linux) and fails or hangs. A board's pool is fixed, and so is
 * espruino-esp32's or espruino-c3's. Put in front of the boot stub by the interpreter tests,
 * this grows a growing pool to a classic ESP32's 16,384 before the client starts, and does
 * nothing elsewhere.
 */
export const FIXED_POOL_PRELUDE = "(function(){if(process.env.BOARD!==\"LINUX\")return;var a=[],i=0;" +
  "while(process.memory().total<16384&&i++<40000)a.push([0]);})();\n";

/**
 * Interpreter source of `put(name, file)`: copies a file (the Linux build's fs) into a Storage
 * record in 512-byte pieces, as the flasher writes, and returns whether all of it was
 * written. A whole file read at once takes its size in variables: a 100 KB slot file does not
 * fit a C3's pool.
 */
export const STORAGE_PUT_SOURCE = "function put(name, file) { var s = require(\"Storage\"), size = require(\"fs\").statSync(file).size," +
  " f = E.openFile(file, \"r\"), at = 0, ok = true, d;" +
  " while (at < size) { d = f.read(512); if (!d) break; ok = s.write(name, d, at, size) && ok; at += d.length; } f.close(); return ok && at === size; }";

/** The interpreter's board name (process.env.BOARD) and variable pool at start. */
export async function poolOf(interpreter: string, cwd: string): Promise<{ board: string; total: number }> {
  writeFileSync(join(cwd, "pool.js"), "console.log(\"POOL \"+process.env.BOARD+\" \"+process.memory().total);\n");
  const lines = (await startInterpreter(interpreter, ["pool.js"], cwd, { timeoutMs: 20_000, until: /^POOL / }).done).lines;
  const m = lines.map((l) => /^POOL (\S+) (\d+)/.exec(l)).find((x) => x);
  return m ? { board: m[1], total: Number(m[2]) } : { board: "?", total: 0 };
}

/** A pool that cannot hold the client and a TLS socket on Linux (the C3's 4,095; not the
 *  stock build, whose 4,096 keeps doubling). */
export function isSmallPool(pool: { board: string; total: number }): boolean {
  return pool.total > 0 && pool.total < 8000 && pool.board !== "LINUX";
}
