// firmware/tls-records.ts: the configuration's TLS material moves to Storage records when the
// device resolves it, and every boot reads the records back in place of the text.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createFolderStore } from "../hal/node";
import { resolveConfig, ResolvedConfig, AUTH_CERT } from "../firmware/config";
import { tlsToRecords, tlsFromRecords } from "../firmware/tls-records";
import { certificate } from "../firmware/device/link";
import { bytesOf } from "../firmware/azure/hub-cache";
import { base64Encode } from "../firmware/azure/base64";

const KEY = Buffer.alloc(32, 7).toString("base64");
/** DER-shaped bytes: an ASN.1 SEQUENCE with a two-byte length, as certificates and keys are. */
function der(n: number, fill: number): Buffer {
  const b = Buffer.alloc(n, fill);
  b[0] = 0x30;
  b[1] = 0x82;
  b[2] = (n - 4) >> 8;
  b[3] = (n - 4) & 255;
  return b;
}
const CA = [der(700, 1).toString("base64"), der(500, 2).toString("base64")];
const CERT = der(600, 3).toString("base64");
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\n" + der(120, 4).toString("base64") + "\n-----END PRIVATE KEY-----\n";

function resolved(extra: Record<string, unknown>): ResolvedConfig {
  const r = resolveConfig({ dps: { idScope: "0ne00000001", registrationId: "dev1", ...extra } });
  if (Array.isArray(r)) throw new Error(r.join("; "));
  return r;
}

const records = suite("TLS material in Storage records");

records("resolve -> each certificate in a record of the form TLS takes, named in the saved copy", () => {
  const store = createFolderStore(mkdtempSync(join(tmpdir(), "tls-")));
  const config = resolved({ certificate: CERT, privateKey: PEM_KEY });
  config.ca = CA.slice();
  tlsToRecords(store, config);
  assert.equal(config.ca, ["aztls.ca0", "aztls.ca1"]);
  assert.is(config.certificate, "aztls.crt");
  assert.is(config.privateKey, "aztls.key");
  // DER as bytes; PEM as its text (TLS takes either).
  assert.is(Buffer.from(store.read("aztls.ca0")!, "latin1").toString("base64"), CA[0]);
  assert.is(Buffer.from(store.read("aztls.crt")!, "latin1").toString("base64"), CERT);
  assert.is(store.read("aztls.key"), PEM_KEY);

  const saved = JSON.parse(JSON.stringify(config)) as ResolvedConfig;
  assert.ok(tlsFromRecords(store, saved));
  assert.is(saved.ca[1], store.read("aztls.ca1"));
  assert.is(saved.privateKey, PEM_KEY);
  // What the link hands the socket: the record as it is, no decoded copy.
  assert.is(certificate(saved.ca[0]), saved.ca[0]);
  assert.is(certificate(saved.certificate), saved.certificate);
});

records("a record gone -> false (the configuration is resolved again, which rewrites it)", () => {
  const store = createFolderStore(mkdtempSync(join(tmpdir(), "tls-")));
  const config = resolved({ symmetricKey: KEY });
  config.ca = CA.slice();
  tlsToRecords(store, config);
  store.erase("aztls.ca1");
  assert.is(tlsFromRecords(store, JSON.parse(JSON.stringify(config))), false);
});

records("fewer certificates than before -> the records no longer named are erased", () => {
  const store = createFolderStore(mkdtempSync(join(tmpdir(), "tls-")));
  const first = resolved({ certificate: CERT, privateKey: PEM_KEY });
  first.ca = CA.slice();
  tlsToRecords(store, first);
  const second = resolved({ symmetricKey: KEY });
  second.ca = [CA[0]];
  tlsToRecords(store, second);
  assert.equal(store.list("aztls.").sort(), ["aztls.ca0"]);
  assert.is(second.certificate, "");
});

records("a record that cannot be written -> the text stays in the configuration", () => {
  const store = createFolderStore(mkdtempSync(join(tmpdir(), "tls-")));
  const refusing = { ...store, write: () => false, writeChunk: () => false };
  const config = resolved({ symmetricKey: KEY });
  config.ca = CA.slice();
  tlsToRecords(refusing, config);
  assert.equal(config.ca, CA);
  assert.ok(tlsFromRecords(refusing, config));
  assert.equal(config.ca, CA);
});

records("an X.509 identity read back from its record -> the same base64 text, so the hub cache's fingerprint holds", () => {
  const store = createFolderStore(mkdtempSync(join(tmpdir(), "tls-")));
  const config = resolved({ certificate: CERT, privateKey: PEM_KEY });
  assert.is(config.auth, AUTH_CERT);
  tlsToRecords(store, config);
  assert.ok(tlsFromRecords(store, config));
  assert.is(config.certificate.charCodeAt(0), 0x30);
  assert.is(base64Encode(bytesOf(config.certificate)), CERT);
});

records.run();
