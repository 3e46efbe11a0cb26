// Device twin storage (device twins over MQTT): desired and reported sections, each with its own
// $version, updated by JSON merge patch (a null removes a property).
import type { TwinDocument } from "./types";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 7386 merge patch of `patch` into `target` (mutates target). $-prefixed keys are ignored. */
export function mergePatch(target: Json, patch: Json): void {
  for (const key of Object.keys(patch)) {
    if (key.startsWith("$")) continue;
    const value = patch[key];
    if (value === null) delete target[key];
    else if (isObject(value)) {
      const current = target[key];
      const next: Json = isObject(current) ? current : {};
      mergePatch(next, value);
      target[key] = next;
    } else target[key] = value;
  }
}

export class Twin {
  private desired: Json = {};
  private reported: Json = {};
  desiredVersion = 1;
  reportedVersion = 1;

  constructor(initialDesired?: Json) {
    if (initialDesired) mergePatch(this.desired, initialDesired);
  }

  /** The full document, as a twin GET returns it. */
  document(): TwinDocument {
    return {
      desired: { ...structuredClone(this.desired), $version: this.desiredVersion },
      reported: { ...structuredClone(this.reported), $version: this.reportedVersion },
    };
  }

  /** Applies a reported patch and returns the new reported $version. */
  patchReported(patch: Json): number {
    mergePatch(this.reported, patch);
    this.reportedVersion++;
    return this.reportedVersion;
  }

  /** Applies a desired patch and returns the new desired $version. */
  patchDesired(patch: Json): number {
    mergePatch(this.desired, patch);
    this.desiredVersion++;
    return this.desiredVersion;
  }
}

/** Parses a JSON object, or returns undefined. */
export function parseJsonObject(bytes: Buffer): Json | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
