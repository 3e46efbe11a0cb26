// Update manifests: field checks, the authenticator (a fixed vector computed with Python's
// hmac, and every signed field tampered), version order and the upgrade rule, merge patches.
import { createHash, createHmac } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  parseManifest, manifestAuthMessage, verifyManifest, signManifest, compareVersions, isUpgrade, isVersion, mergeManifestPatch,
  DEFAULT_MAX_SIZE, type Manifest,
} from "../../firmware/ota/manifest";
import {
  ERR_OTA_MANIFEST, ERR_OTA_VERSION, ERR_OTA_URL, ERR_OTA_SIZE, ERR_OTA_HASH_FORMAT, ERR_OTA_AUTH_FORMAT,
} from "../../firmware/status";

const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(d).digest());
const KEY = new Uint8Array(32).map((_, i) => i + 1);
const HASH = "1e5ed3ed53d63e2d66138664980a2b69fb6945be323ce3a88a27ff72d744b986";
/** base64(HMAC-SHA256(01..20, "1.2.0\n4096\n<HASH>\n0")), from Python's hmac module. */
const AUTH = "tqk6FdboWf63HQbE19Y5JiyTD9lrFtdIuuyzoSW5dRY=";
/** The same with allowDowngrade ("...\n1"). */
const AUTH_DOWNGRADE = "JR1WHwHdE/W4Tyov4UeiYO4TrXKBZMgIpVyEOzRvL80=";

function base(): Record<string, unknown> {
  return { version: "1.2.0", url: "https://files.example.net/app/1.2.0.js?sv=1&sig=x", size: 4096, sha256: HASH, auth: AUTH };
}

function parsed(value: unknown, options?: { maxSize?: number; allowHttp?: boolean }): Manifest {
  const m = parseManifest(value, options);
  if (typeof m === "number") throw new Error("parse failed: " + m);
  return m;
}

// ---------------------------------------------------------------------------------------

const parse = suite("manifest: parseManifest");

parse("complete manifest -> fields, allowDowngrade false", () => {
  assert.equal(parsed(base()), { ...base(), allowDowngrade: false } as unknown as Manifest);
});

parse("upper-case sha256 -> accepted, stored in lower case", () => {
  assert.is(parsed({ ...base(), sha256: HASH.toUpperCase() }).sha256, HASH);
});

parse("allowDowngrade true / false / null -> boolean", () => {
  assert.is(parsed({ ...base(), allowDowngrade: true }).allowDowngrade, true);
  assert.is(parsed({ ...base(), allowDowngrade: false }).allowDowngrade, false);
  assert.is(parsed({ ...base(), allowDowngrade: null }).allowDowngrade, false);
});

parse("unknown extra fields -> ignored", () => {
  assert.is(parsed({ ...base(), notes: "hello", $version: 3 }).version, "1.2.0");
});

const errors: Array<[string, unknown, number]> = [
  ["null", null, ERR_OTA_MANIFEST],
  ["a string", "1.2.0", ERR_OTA_MANIFEST],
  ["an array", [base()], ERR_OTA_MANIFEST],
  ["no version", { ...base(), version: undefined }, ERR_OTA_MANIFEST],
  ["version a number", { ...base(), version: 1.2 }, ERR_OTA_MANIFEST],
  ["size a string", { ...base(), size: "4096" }, ERR_OTA_MANIFEST],
  ["allowDowngrade a string", { ...base(), allowDowngrade: "yes" }, ERR_OTA_MANIFEST],
  ["version with a letter", { ...base(), version: "1.2.0-beta" }, ERR_OTA_VERSION],
  ["version with 5 parts", { ...base(), version: "1.2.3.4.5" }, ERR_OTA_VERSION],
  ["version with a leading zero", { ...base(), version: "1.02" }, ERR_OTA_VERSION],
  ["version empty part", { ...base(), version: "1..2" }, ERR_OTA_VERSION],
  ["version of 6 digits", { ...base(), version: "100000" }, ERR_OTA_VERSION],
  ["http url", { ...base(), url: "http://files.example.net/a.js" }, ERR_OTA_URL],
  ["ftp url", { ...base(), url: "ftp://files.example.net/a.js" }, ERR_OTA_URL],
  ["url with a space", { ...base(), url: "https://files.example.net/a b.js" }, ERR_OTA_URL],
  ["url with CRLF", { ...base(), url: "https://files.example.net/a.js\r\nX: 1" }, ERR_OTA_URL],
  ["url with user info", { ...base(), url: "https://u:p@files.example.net/a.js" }, ERR_OTA_URL],
  ["url too long", { ...base(), url: "https://h/" + "a".repeat(2100) }, ERR_OTA_URL],
  ["size 0", { ...base(), size: 0 }, ERR_OTA_SIZE],
  ["size fractional", { ...base(), size: 10.5 }, ERR_OTA_SIZE],
  ["size above the maximum", { ...base(), size: DEFAULT_MAX_SIZE + 1 }, ERR_OTA_SIZE],
  ["sha256 63 digits", { ...base(), sha256: HASH.slice(1) }, ERR_OTA_HASH_FORMAT],
  ["sha256 not hex", { ...base(), sha256: "g" + HASH.slice(1) }, ERR_OTA_HASH_FORMAT],
  ["auth not base64", { ...base(), auth: "!!!!" }, ERR_OTA_AUTH_FORMAT],
  ["auth of 31 bytes", { ...base(), auth: Buffer.alloc(31).toString("base64") }, ERR_OTA_AUTH_FORMAT],
  ["auth unpadded", { ...base(), auth: AUTH.replace("=", "") }, ERR_OTA_AUTH_FORMAT],
];
for (const [what, value, code] of errors) {
  parse(`${what} -> ${code}`, () => {
    const v = value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([, x]) => x !== undefined))
      : value;
    assert.is(parseManifest(v), code);
  });
}

parse("options: allowHttp -> http accepted; maxSize -> bound moves", () => {
  assert.is(parsed({ ...base(), url: "http://127.0.0.1:8080/a.js" }, { allowHttp: true }).url, "http://127.0.0.1:8080/a.js");
  assert.is(parseManifest({ ...base(), size: 4096 }, { maxSize: 4095 }), ERR_OTA_SIZE);
  assert.is(parsed({ ...base(), size: 600000 }, { maxSize: 1 << 20 }).size, 600000);
});

parse.run();

// ---------------------------------------------------------------------------------------

const auth = suite("manifest: authenticator");

auth("message -> version, size, hash, downgrade flag on lines", () => {
  assert.is(manifestAuthMessage(parsed(base())), "1.2.0\n4096\n" + HASH + "\n0");
  assert.is(manifestAuthMessage({ version: "2", size: 1, sha256: HASH.toUpperCase(), allowDowngrade: true }), "2\n1\n" + HASH + "\n1");
});

auth("fixed vector (Python hmac) -> verifies", () => {
  assert.ok(verifyManifest(parsed(base()), KEY, sha256));
  assert.ok(verifyManifest(parsed({ ...base(), auth: AUTH_DOWNGRADE, allowDowngrade: true }), KEY, sha256));
});

auth("signManifest -> the fixed vector; node HMAC agrees", () => {
  const m = signManifest({ version: "1.2.0", url: "https://x/y", size: 4096, sha256: HASH }, KEY, sha256);
  assert.is(m.auth, AUTH);
  const node = createHmac("sha256", Buffer.from(KEY)).update(manifestAuthMessage(m)).digest("base64");
  assert.is(node, AUTH);
  assert.is(signManifest({ version: "1.2.0", url: "https://x/y", size: 4096, sha256: HASH, allowDowngrade: true }, KEY, sha256).auth, AUTH_DOWNGRADE);
});

const tampered: Array<[string, Record<string, unknown>]> = [
  ["version changed", { version: "1.2.1" }],
  ["size changed", { size: 4097 }],
  ["one hash digit changed", { sha256: HASH.slice(0, 63) + "7" }],
  ["allowDowngrade added", { allowDowngrade: true }],
  ["auth of another message", { auth: AUTH_DOWNGRADE }],
  ["auth one bit flipped", { auth: "tqk6FdboWf63HQbE19Y5JiyTD9lrFtdIuuyzoSW5dRU=" }],
];
for (const [what, change] of tampered) {
  auth(`${what} -> does not verify`, () => {
    assert.not.ok(verifyManifest(parsed({ ...base(), ...change }), KEY, sha256));
  });
}

auth("url changed -> still verifies (not signed: SAS URLs are renewed)", () => {
  assert.ok(verifyManifest(parsed({ ...base(), url: "https://other.example.net/b.js" }), KEY, sha256));
});

auth("another key, an empty key -> does not verify", () => {
  const other = new Uint8Array(KEY);
  other[0] ^= 1;
  assert.not.ok(verifyManifest(parsed(base()), other, sha256));
  assert.not.ok(verifyManifest(parsed(base()), new Uint8Array(0), sha256));
});

auth("a key longer than a block -> hashed first, sign and verify agree with node", () => {
  const long = new Uint8Array(100).fill(7);
  const m = signManifest({ version: "3.0", url: "https://x/y", size: 10, sha256: HASH }, long, sha256);
  assert.is(m.auth, createHmac("sha256", Buffer.from(long)).update("3.0\n10\n" + HASH + "\n0").digest("base64"));
  assert.ok(verifyManifest(m, long, sha256));
});

auth.run();

// ---------------------------------------------------------------------------------------

const versions = suite("manifest: versions");

versions("isVersion table", () => {
  for (const ok of ["0", "1", "1.2", "1.2.3", "1.2.3.4", "10.0.99999", "0.0.0"]) assert.ok(isVersion(ok), ok);
  for (const bad of ["", ".", "1.", ".1", "01", "1.2.3.4.5", "v1", "1.2a", "1 .2", "123456", 5, null]) assert.not.ok(isVersion(bad), String(bad));
});

versions("compareVersions -> numeric per part, missing parts are 0", () => {
  const table: Array<[string, string, number]> = [
    ["1.2.0", "1.2.0", 0],
    ["1.2", "1.2.0.0", 0],
    ["1.10", "1.9", 1],
    ["1.9", "1.10", -1],
    ["2", "1.99999.99999.99999", 1],
    ["0.0.1", "0.0.0.9", 1],
    ["1.2.3.4", "1.2.3.5", -1],
  ];
  for (const [a, b, r] of table) {
    assert.is(compareVersions(a, b), r, `${a} vs ${b}`);
    assert.is(compareVersions(b, a), -r || 0, `${b} vs ${a}`);
  }
});

versions("not a version -> below every version", () => {
  assert.is(compareVersions("garbage", "0"), -1);
  assert.is(compareVersions("0", ""), 1);
  assert.is(compareVersions("x", "y"), 0);
});

versions("isUpgrade -> newer yes, same no, older only with allowDowngrade", () => {
  const m = (version: string, allowDowngrade = false): Manifest => ({ version, url: "https://h/", size: 1, sha256: HASH, auth: AUTH, allowDowngrade });
  assert.ok(isUpgrade("1.0.0", m("1.0.1")));
  assert.not.ok(isUpgrade("1.0.0", m("1.0.0")));
  assert.not.ok(isUpgrade("1.0.0", m("1.0", true)));
  assert.not.ok(isUpgrade("1.0.0", m("0.9")));
  assert.ok(isUpgrade("1.0.0", m("0.9", true)));
});

versions.run();

// ---------------------------------------------------------------------------------------

const merge = suite("manifest: mergeManifestPatch");

merge("patch over a manifest -> changed fields replaced, null removes, others kept", () => {
  const prev = { ...base(), allowDowngrade: true };
  const out = mergeManifestPatch(prev, { url: "https://new/", allowDowngrade: null }) as Record<string, unknown>;
  assert.equal(out, { ...base(), url: "https://new/" });
  assert.is(prev.allowDowngrade, true, "input unchanged");
});

merge("patch that is not an object -> replaces; no previous -> patch fields only", () => {
  assert.is(mergeManifestPatch(base(), null), null);
  assert.is(mergeManifestPatch(base(), "x"), "x");
  assert.equal(mergeManifestPatch(undefined, { version: "1" }), { version: "1" });
  assert.equal(mergeManifestPatch("old", { version: "1" }), { version: "1" });
});

merge.run();
