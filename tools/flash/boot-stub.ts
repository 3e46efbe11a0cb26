// The boot layout npm run flash writes: the boot stub (BOOT_RECORD ".bootcde"), the app in
// slot a, the boot selector naming slot a, and the records it erases so that a re-flashed
// board always boots what was flashed. The stub's source is firmware/boot.ts; npm run build
// bundles it into dist/boot.js through the shipping pipeline (tools/build: an evalResult
// bundle, so the application is evaluated at the top level of .bootcde, straight from its
// flash-backed Storage record). It picks the slot with the A/B rule of firmware/ota/slots.ts
// and rolls an unconfirmed update back.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { APP_RECORD } from "../../firmware/storage-names";
import { encodeSelector, SELECTOR_RECORD_2, SLOT_B_RECORD, PROGRESS_RECORD } from "../../firmware/ota/slots";
import { isVersion } from "../../firmware/ota/manifest";

const ROOT = resolve(import.meta.dirname, "../..");
/** The stub as npm run build leaves it. */
export const DEFAULT_STUB = join(ROOT, "dist/boot.js");
/** Its readable twin, for people. */
export const DEBUG_STUB = join(ROOT, "dist/boot.debug.js");

/** Erased by every flash, in this order: the second selector copy (it could name slot b or
 *  carry a higher sequence number than the fresh selector), slot b, the download progress
 *  record, and the single app record of versions before A/B slots. */
export const ERASED_RECORDS = [SELECTOR_RECORD_2, SLOT_B_RECORD, PROGRESS_RECORD, APP_RECORD];

/** The stub's text (dist/boot.js unless path says otherwise), or undefined when the file is
 *  missing (run npm run build). */
export function bootStub(path: string = DEFAULT_STUB): string | undefined {
  return existsSync(path) ? readFileSync(path, "latin1") : undefined;
}

/** The selector a flash writes (SELECTOR_RECORD): slot a, confirmed, the flashed version. */
export function initialSelector(version: string): string {
  return encodeSelector({ seq: 1, active: "a", pending: false, tries: 0, previous: "", version: version, previousVersion: "", rejected: "" });
}

/** package.json "version": the version of the application a flash writes. */
export function projectVersion(): string {
  const v = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version?: unknown }).version;
  if (typeof v !== "string" || !isVersion(v)) throw new Error("package.json version " + JSON.stringify(v) + " is not 1-4 dot-separated numbers");
  return v;
}
