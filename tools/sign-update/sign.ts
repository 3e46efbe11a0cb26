// The signing side of application updates: a bundle, its version and URL, and the OTA key
// in; the manifest the device verifies out. The authenticator is made by the device's own
// code (signManifest in firmware/ota/manifest.ts) and the result is checked with the
// device's own parseManifest + verifyManifest before it is handed out, so a manifest this
// tool writes is one the device accepts (same key, size within its maxBytes).
import { createHash, randomBytes } from "node:crypto";
import {
  DEFAULT_MAX_SIZE, isVersion, parseManifest, signManifest, verifyManifest, type Manifest,
} from "../../firmware/ota/manifest";
import { base64DecodeLenient } from "../../firmware/azure/base64";

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());

/** The environment variable sign-update reads the key from when --key-file is not given. */
export const KEY_ENV = "AZIOT_OTA_KEY";
/** Key bytes the device accepts at least (firmware/config.ts: ota.key). */
export const MIN_KEY_BYTES = 16;

export interface SignInput {
  bundle: Uint8Array;
  version: string;
  url: string;
  /** The OTA key as base64 text (as it stands in device.json's ota.key). */
  keyBase64: string;
  allowDowngrade?: boolean;
  /** The device's ota.maxBytes (default 512 KB, as on the device). */
  maxBytes?: number;
}

export interface SignResult {
  manifest?: Manifest;
  errors: string[];
}

/** The key's bytes, or an error line that never quotes the key. */
export function decodeKey(text: string): Uint8Array | string {
  const bytes = base64DecodeLenient(text.trim());
  if (typeof bytes === "number") return "the OTA key is not base64";
  if (bytes.length < MIN_KEY_BYTES) return "the OTA key decodes to " + bytes.length + " bytes; the device wants at least " + MIN_KEY_BYTES;
  return bytes;
}

/** A new random OTA key (32 bytes) as base64, for `--new-key`. */
export function newKey(): string {
  return randomBytes(32).toString("base64");
}

/** Signs a bundle into a manifest, or lists every reason it cannot. */
export function signUpdate(input: SignInput): SignResult {
  const errors: string[] = [];
  const maxBytes = input.maxBytes === undefined ? DEFAULT_MAX_SIZE : input.maxBytes;
  if (!isVersion(input.version)) errors.push("--version must be 1 to 4 dot-separated numbers of at most 5 digits without leading zeros, e.g. 1.2.0; got \"" + input.version + "\"");
  if (input.bundle.length === 0) errors.push("the bundle is empty");
  if (input.bundle.length > maxBytes) errors.push("the bundle is " + input.bundle.length + " bytes; the device accepts at most " + maxBytes + " (ota.maxBytes; --max-bytes to match it)");
  const key = decodeKey(input.keyBase64);
  if (typeof key === "string") errors.push(key);
  else if (Buffer.from(input.bundle).includes(Buffer.from(input.keyBase64.trim(), "latin1"))) {
    errors.push("the bundle contains the OTA key: secrets never go into a bundle");
  }
  if (errors.length > 0 || typeof key === "string") return { errors };

  const hash = Buffer.from(sha256(input.bundle)).toString("hex");
  const signed = signManifest(
    { version: input.version, url: input.url, size: input.bundle.length, sha256: hash, allowDowngrade: input.allowDowngrade === true },
    key,
    sha256,
  );
  // What the device will do with it: parse, then verify under the same key.
  const parsed = parseManifest(JSON.parse(JSON.stringify(signed)), { maxSize: maxBytes });
  if (typeof parsed === "number") {
    errors.push(/^https?:\/\//.test(input.url) ? "the device would refuse this manifest (code " + parsed + "): check --url (https://host[:port]/path, at most 2048 characters)" : "--url must be https://host[:port]/path, got \"" + input.url + "\"");
    return { errors };
  }
  if (!verifyManifest(parsed, key, sha256)) return { errors: ["internal: the signed manifest does not verify"] };
  return { manifest: signed, errors };
}
