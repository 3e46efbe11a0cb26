// A throwaway certificate authority for loopback TLS: one CA and one RSA server certificate
// per host name, made at start-up without network (node:crypto keys, node-forge X.509).
// RSA keys so the Espruino Linux build (RSA / DHE-RSA key exchange only) can connect too.
import { generateKeyPairSync, createHash, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface ServerCredentials {
  host: string;
  /** PEM certificate chain (leaf then CA) and private key, ready for node:tls. */
  certPem: string;
  keyPem: string;
}

export interface TestCa {
  caPem: string;
  /** The CA certificate in DER, as the device stores it. */
  caDer: Uint8Array;
  /** SHA-256 of the DER certificate, hex. */
  caFingerprint: string;
  /** Issues a server certificate for host (its subjectAltName carries the name), valid from
   *  yesterday for two years unless validity says otherwise. */
  issue(host: string, validity?: { notBefore: Date; notAfter: Date }): ServerCredentials;
}

export function rsaKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKeyPem: pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A positive serial without leading zero bytes (OpenSSL 3 rejects padded DER integers). */
export function nextSerial(): string {
  return "01" + randomBytes(8).toString("hex");
}

/** Creates a CA valid from yesterday for ten years. */
export function createTestCa(commonName = "espruino-azure-iot test CA"): TestCa {
  const caKeys = rsaKeys();
  const caKey = forge.pki.privateKeyFromPem(caKeys.privateKeyPem);
  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicKeyPem);
  ca.serialNumber = nextSerial();
  ca.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  ca.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const caName = [{ name: "commonName", value: commonName }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
  ]);
  ca.sign(caKey, forge.md.sha256.create());
  const caPem = forge.pki.certificateToPem(ca);
  const derBinary = forge.asn1.toDer(forge.pki.certificateToAsn1(ca)).getBytes();
  const caDer = new Uint8Array(Buffer.from(derBinary, "binary"));

  return {
    caPem,
    caDer,
    caFingerprint: createHash("sha256").update(caDer).digest("hex"),
    issue(host: string, validity?: { notBefore: Date; notAfter: Date }): ServerCredentials {
      const keys = rsaKeys();
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
      cert.serialNumber = nextSerial();
      cert.validity.notBefore = validity ? validity.notBefore : new Date(Date.now() - 24 * 3600 * 1000);
      cert.validity.notAfter = validity ? validity.notAfter : new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
      cert.setSubject([{ name: "commonName", value: host }]);
      cert.setIssuer(ca.subject.attributes);
      cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 2, value: host }] },
      ]);
      cert.sign(caKey, forge.md.sha256.create());
      return { host, certPem: forge.pki.certificateToPem(cert) + caPem, keyPem: keys.privateKeyPem };
    },
  };
}
