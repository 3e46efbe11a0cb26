// The boot stub: the Storage record Espruino runs at power-on (BOOT_RECORD, ".bootcde"). It
// evaluates the app bundle straight from its Storage record: Storage.read returns a
// flash-backed string, so function bodies stay in memory-mapped flash instead of RAM
// (reference/espruino.md sections 6 and 7). No globals, no state; if the app is missing
// it says so and how to fix it, instead of crashing. The OTA issue grows this into
// slots A/B with a fallback; keep that logic here, in one function.
import { APP_RECORD } from "../../firmware/storage-names";

/** The stub's source text (ASCII, one line, ends with a newline). */
export function bootStub(appRecord: string = APP_RECORD): string {
  const name = JSON.stringify(appRecord);
  const missing = "azure-iot: no app in Storage (" + appRecord + " is missing). Flash it from the project: npm run flash -- --port <port> --config device.json";
  return "if(require(\"Storage\").read(" + name + "))eval(require(\"Storage\").read(" + name + "));else print(" + JSON.stringify(missing) + ");\n";
}
