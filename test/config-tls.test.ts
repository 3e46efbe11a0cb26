// firmware/config.ts: the tls field. true/false as before; an object means TLS with settings,
// and requireVerified (checked against the interpreter by firmware/main.ts at boot) needs ca.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { resolveConfig, DeviceConfig, ResolvedConfig } from "../firmware/config";

const KEY = Buffer.alloc(32, 7).toString("base64");
const BASE: DeviceConfig = { dps: { idScope: "0ne00000001", registrationId: "dev1", symmetricKey: KEY } };
const CA = [Buffer.alloc(300, 1).toString("base64")];

function resolve(extra: Record<string, unknown>): ResolvedConfig | string[] {
  return resolveConfig({ ...BASE, ...extra });
}

const tlsField = suite("resolveConfig: tls and tls.requireVerified");

tlsField("absent or true -> TLS, verification not required; false -> plain TCP", () => {
  for (const [extra, want] of [[{}, [true, false]], [{ tls: true }, [true, false]], [{ tls: false }, [false, false]]] as Array<[Record<string, unknown>, boolean[]]>) {
    const r = resolve(extra) as ResolvedConfig;
    assert.equal([r.tls, r.tlsRequireVerified], want, JSON.stringify(extra));
  }
});

tlsField("{ requireVerified: true } with ca -> TLS, required; {} -> TLS, not required", () => {
  const r = resolve({ ca: CA, tls: { requireVerified: true } }) as ResolvedConfig;
  assert.equal([r.tls, r.tlsRequireVerified], [true, true]);
  const s = resolve({ tls: {} }) as ResolvedConfig;
  assert.equal([s.tls, s.tlsRequireVerified], [true, false]);
});

tlsField("bad values -> one message each", () => {
  assert.equal(resolve({ tls: { requireVerified: true } }), ["tls.requireVerified needs ca: the roots the server is verified against"]);
  assert.equal(resolve({ ca: CA, tls: { requireVerified: "yes" } }), ["tls.requireVerified must be true or false"]);
  assert.equal(resolve({ tls: "on" }), ["tls must be true, false or a JSON object"]);
  assert.equal(resolve({ tls: null }), ["tls must be true, false or a JSON object"]);
  assert.equal(resolve({ tls: [true] }), ["tls must be true, false or a JSON object"]);
});

tlsField.run();
