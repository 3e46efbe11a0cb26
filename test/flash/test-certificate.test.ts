// make-config --test-certificate (issue 20): a device certificate for the local simulator from
// a test CA kept in a folder. The working-device half is in test/device/identities.test.ts.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DeviceConfig } from "../../firmware/config";
import { makeConfig, randomKey, tempDir } from "./kit";

const HUB = "my-hub.azure-devices.net";

function run(argv: string[], dir: string): { code: number; all: string; out: string; config?: DeviceConfig } {
  const r = makeConfig([...argv, "--force"], dir);
  const path = join(dir, "device.json");
  return { ...r, config: existsSync(path) && r.code === 0 ? (JSON.parse(readFileSync(path, "utf8")) as DeviceConfig) : undefined };
}

const cert = suite("make-config: --test-certificate");

cert("DPS: CN = registration id, issued by the test CA (made on first use, key readable only by you), DER in the config", () => {
  const t = tempDir();
  try {
    const r = run(["--id-scope", "0ne00000001", "--registration-id", "lab-7", "--test-certificate"], t.dir);
    assert.is(r.code, 0, r.all);
    const ca = new X509Certificate(readFileSync(join(t.dir, ".sim-data/test-ca/ca.pem")));
    const device = new X509Certificate(Buffer.from(r.config!.dps!.certificate!, "base64"));
    assert.match(device.subject, /CN=lab-7/);
    assert.ok(device.verify(ca.publicKey), "signed by the test CA");
    assert.is(createPrivateKey({ key: Buffer.from(r.config!.dps!.privateKey!, "base64"), format: "der", type: "pkcs8" }).asymmetricKeyType, "rsa");
    assert.is(statSync(join(t.dir, ".sim-data/test-ca/ca.key.pem")).mode & 0o777, 0o600);
    assert.match(r.out, /new local test CA/);
    assert.match(r.out, /never for production/);
    // A second run reuses the CA.
    const again = run(["--id-scope", "0ne00000001", "--registration-id", "lab-8", "--test-certificate"], t.dir);
    assert.is(again.code, 0, again.all);
    assert.not.match(again.out, /new local test CA/);
    assert.ok(new X509Certificate(Buffer.from(again.config!.dps!.certificate!, "base64")).verify(ca.publicKey));
  } finally {
    t.remove();
  }
});

cert("connection string with x509=true: CN = DeviceId, certificate and key at the top level; --test-ca picks the folder", () => {
  const t = tempDir();
  try {
    const r = run(["--connection-string", "HostName=" + HUB + ";DeviceId=hub-dev;x509=true", "--test-certificate", "--test-ca", "my-ca"], t.dir);
    assert.is(r.code, 0, r.all);
    assert.match(new X509Certificate(Buffer.from(r.config!.certificate!, "base64")).subject, /CN=hub-dev/);
    assert.ok(existsSync(join(t.dir, "my-ca/ca.pem")));
  } finally {
    t.remove();
  }
});

cert("misuse -> an error naming the fix, nothing written", () => {
  const t = tempDir();
  try {
    const cases: Array<[string[], RegExp]> = [
      [["--id-scope", "0ne00000001", "--registration-id", "d", "--test-certificate", "--certificate", "c.pem", "--private-key", "k.pem"], /leave out --certificate/],
      [["--id-scope", "0ne00000001", "--registration-id", "d", "--test-ca", "x"], /--test-ca goes with --test-certificate/],
      [["--id-scope", "0ne00000001", "--registration-id", "d", "--key", randomKey(32), "--test-certificate"], /only one DPS credential/],
      [["--connection-string", "HostName=" + HUB + ";DeviceId=d;SharedAccessKey=" + randomKey(32), "--test-certificate"], /x509=true/],
    ];
    for (const [argv, message] of cases) {
      const r = run(argv, t.dir);
      assert.is(r.code, 1, argv.join(" "));
      assert.match(r.all, message);
      assert.not.ok(existsSync(join(t.dir, "device.json")), "nothing written");
    }
  } finally {
    t.remove();
  }
});
cert.run();
