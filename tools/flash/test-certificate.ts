// make-config --test-certificate: a device certificate for the local simulator, issued by a
// test CA kept in a folder (made on first use: ca.pem, ca.der, ca.key.pem). The simulator is
// told to trust that CA (an X.509 group enrollment, or a hub identity signed by it); Azure
// never should be. The certificate's common name is the registration id (DPS) or the device id
// (a connection string with x509=true), as DPS and IoT Hub require. RSA 2048 and PKCS#8,
// which every Espruino TLS build parses as DER.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDeviceCa, loadDeviceCa, type DeviceCredentials } from "../tls/device-certs";

export const DEFAULT_TEST_CA_DIR = ".sim-data/test-ca";

export interface TestCertificate {
  credentials: DeviceCredentials;
  /** The folder of the test CA and whether it was made now. */
  caDir: string;
  caCreated: boolean;
}

/** Issues a test device certificate for `commonName` from the test CA in `caDir` (made if missing). */
export function issueTestCertificate(caDir: string, commonName: string): TestCertificate {
  const certPath = join(caDir, "ca.pem");
  const keyPath = join(caDir, "ca.key.pem");
  let caCreated = false;
  let ca;
  if (existsSync(certPath) && existsSync(keyPath)) ca = loadDeviceCa(readFileSync(certPath, "utf8"), readFileSync(keyPath, "utf8"));
  else {
    ca = createDeviceCa("espruino-azure-iot local test CA (not for production)");
    mkdirSync(caDir, { recursive: true });
    writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
    writeFileSync(certPath, ca.certPem);
    writeFileSync(join(caDir, "ca.der"), ca.certDer);
    caCreated = true;
  }
  return { credentials: ca.issueDevice(commonName), caDir, caCreated };
}
