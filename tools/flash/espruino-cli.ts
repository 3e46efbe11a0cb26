// Runs the espruino CLI (npm package `espruino`) as a child process and makes sense of its
// output: device lines ("--] " prefix) are passed on, the CLI's verbose send log becomes a
// progress figure (it is never shown: it carries the data being sent), everything else is
// hidden unless it reports a failure. The CLI exits 0 even when it could not connect, so
// success is decided by the device's own confirmation line, not by the exit code.
import { spawn } from "node:child_process";
import { DONE_MARK, FAILED_MARK } from "./plan";

export interface CliRunOptions {
  cwd: string;
  /** Kill the CLI after this long. */
  timeoutMs: number;
  onDeviceLine(line: string): void;
  /** CLI messages worth showing (connection failures, errors). */
  onToolLine(line: string): void;
  onProgress(sentChars: number, totalChars: number): void;
  /** Pass every other CLI line to onToolLine too (never the data being sent). */
  showAll?: boolean;
}

export interface CliRun {
  /** The device printed DONE_MARK. */
  done: boolean;
  /** The device printed FAILED_MARK. */
  failed: boolean;
  connected: boolean;
  unableToConnect: boolean;
  timedOut: boolean;
  exitCode: number | null;
}

/** CLI lines that report a problem; shown to the user. */
const TOOL_PROBLEM = /^(Unable to connect|Prompt not detected|RECEIVE ERROR|Error|Uncaught|TypeError|Disconnected|No Ports Found|Port named)/;

/** Parses `serial: Sending "<json>"` / `serial: ---> "<json>"` payload lengths. */
function jsonLength(text: string): number {
  try {
    const value = JSON.parse(text);
    return typeof value === "string" ? value.length : 0;
  } catch {
    return 0;
  }
}

export function runEspruinoCli(node: string, cliPath: string, args: string[], options: CliRunOptions): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(node, [cliPath, ...args], { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const run: CliRun = { done: false, failed: false, connected: false, unableToConnect: false, timedOut: false, exitCode: null };
    let total = 0;
    let sent = 0;
    const timer = setTimeout(() => {
      run.timedOut = true;
      child.kill("SIGTERM");
    }, options.timeoutMs);

    const line = (raw: string) => {
      // eslint-disable-next-line no-control-regex
      const text = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
      if (text.startsWith("--] ")) {
        const device = text.slice(4).replace(/^>+/, "").trimEnd();
        if (device.trim() === "") return;
        if (device.indexOf(DONE_MARK) === 0) run.done = true;
        if (device.indexOf(FAILED_MARK) === 0) run.failed = true;
        options.onDeviceLine(device);
        return;
      }
      if (text.startsWith("serial: ---> ")) {
        // The whole upload, base64 records included: counted, never shown.
        total = jsonLength(text.slice(13));
        sent = 0;
        options.onProgress(0, total);
        return;
      }
      if (text.startsWith("serial: Sending ")) {
        sent += jsonLength(text.slice(16));
        if (total > 0) options.onProgress(Math.min(sent, total), total);
        return;
      }
      if (text === "Connected") run.connected = true;
      if (text.startsWith("Unable to connect")) run.unableToConnect = true;
      if (options.showAll ? text.trim() !== "" : TOOL_PROBLEM.test(text) || text === "Connected") options.onToolLine(text);
    };

    const reader = () => {
      let buffer = "";
      return (chunk: Buffer) => {
        buffer += chunk.toString("latin1");
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          line(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      };
    };
    child.stdout.on("data", reader());
    child.stderr.on("data", reader());
    child.on("close", (code) => {
      clearTimeout(timer);
      run.exitCode = code;
      resolvePromise(run);
    });
  });
}
