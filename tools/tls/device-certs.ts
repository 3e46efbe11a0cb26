// Client certificates for X.509 device identities, for tests and the local simulator only:
// a device CA (root or intermediate) that issues device certificates, and self-signed device
// certificates (IoT Hub's "thumbprint" identities). RSA 2048 keys, so the Espruino Linux
// build (RSA key exchange only) can present them; keys are PKCS#8, which node:tls and
// mbedtls both parse in DER. Faults on demand: a validity window in the past (expired) and a
// signature made with a key that is not the issuer's (wrongly signed).
import { createHash } from "node:crypto";
import forge from "node-forge";
import { nextSerial, rsaKeys } from "./certs";

const DAY_MS = 24 * 3600 * 1000;

/** A device certificate and its key, in every form the tools need. */
export interface DeviceCredentials {
  commonName: string;
  /** The device certificate alone. */
  certPem: string;
  certDer: Uint8Array;
  /** The device certificate followed by the intermediates up to (not including) the root:
   *  what a device of a group enrollment sends. Same as certPem when issued by a root. */
  chainPem: string;
  /** PKCS#8 private key. */
  keyPem: string;
  keyDer: Uint8Array;
  /** SHA-1 of the DER certificate, upper-case hex: the thumbprint IoT Hub shows and stores. */
  thumbprint: string;
  /** SHA-256 of the DER certificate, upper-case hex. */
  thumbprint256: string;
}

export interface IssueOptions {
  /** Validity window; default from yesterday for two years. */
  notBefore?: Date;
  notAfter?: Date;
  /** Fault: the issuer's name, but signed with an unrelated key (the signature does not verify). */
  wrongSignature?: boolean;
}

/** A certificate authority that issues device certificates (a root, or an intermediate of one). */
export interface DeviceCa {
  commonName: string;
  certPem: string;
  certDer: Uint8Array;
  keyPem: string;
  /** PEM of the intermediates between this CA and its root, this CA first ("" for a root). */
  chainPem: string;
  thumbprint: string;
  issueDevice(commonName: string, options?: IssueOptions): DeviceCredentials;
  issueIntermediate(commonName: string): DeviceCa;
}

function derOf(cert: forge.pki.Certificate): Uint8Array {
  return new Uint8Array(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary"));
}

function hexHash(algorithm: "sha1" | "sha256", der: Uint8Array): string {
  return createHash(algorithm).update(der).digest("hex").toUpperCase();
}

function pkcs8(keyPem: string): { pem: string; der: Uint8Array } {
  const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(forge.pki.privateKeyFromPem(keyPem)));
  const der = new Uint8Array(Buffer.from(forge.asn1.toDer(info).getBytes(), "binary"));
  return { pem: forge.pki.privateKeyInfoToPem(info), der };
}

interface Signer {
  subject: forge.pki.CertificateField[];
  keyPem: string;
}

function makeCertificate(commonName: string, publicKeyPem: string, issuer: Signer | undefined, isCa: boolean, ownKeyPem: string, options: IssueOptions): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = nextSerial();
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + (isCa ? 3650 : 730) * DAY_MS);
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.subject : subject);
  cert.setExtensions(
    isCa
      ? [
          { name: "basicConstraints", cA: true, critical: true },
          { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ]
      : [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
          { name: "extKeyUsage", clientAuth: true },
        ],
  );
  const signingKeyPem = options.wrongSignature ? rsaKeys().privateKeyPem : issuer ? issuer.keyPem : ownKeyPem;
  cert.sign(forge.pki.privateKeyFromPem(signingKeyPem), forge.md.sha256.create());
  return cert;
}

function credentials(commonName: string, cert: forge.pki.Certificate, keyPem: string, intermediatesPem: string): DeviceCredentials {
  const certPem = forge.pki.certificateToPem(cert);
  const certDer = derOf(cert);
  const key = pkcs8(keyPem);
  return {
    commonName,
    certPem,
    certDer,
    chainPem: certPem + intermediatesPem,
    keyPem: key.pem,
    keyDer: key.der,
    thumbprint: hexHash("sha1", certDer),
    thumbprint256: hexHash("sha256", certDer),
  };
}

function caFrom(commonName: string, cert: forge.pki.Certificate, keyPem: string, chainPem: string): DeviceCa {
  const certDer = derOf(cert);
  const signer: Signer = { subject: cert.subject.attributes, keyPem };
  return {
    commonName,
    certPem: forge.pki.certificateToPem(cert),
    certDer,
    keyPem,
    chainPem,
    thumbprint: hexHash("sha1", certDer),
    issueDevice(deviceCn: string, options: IssueOptions = {}): DeviceCredentials {
      const keys = rsaKeys();
      return credentials(deviceCn, makeCertificate(deviceCn, keys.publicKeyPem, signer, false, keys.privateKeyPem, options), keys.privateKeyPem, chainPem);
    },
    issueIntermediate(intermediateCn: string): DeviceCa {
      const keys = rsaKeys();
      const child = makeCertificate(intermediateCn, keys.publicKeyPem, signer, true, keys.privateKeyPem, {});
      return caFrom(intermediateCn, child, keys.privateKeyPem, forge.pki.certificateToPem(child) + chainPem);
    },
  };
}

/** A new root CA for device certificates (valid from yesterday for ten years). */
export function createDeviceCa(commonName = "espruino-azure-iot test device CA"): DeviceCa {
  const keys = rsaKeys();
  return caFrom(commonName, makeCertificate(commonName, keys.publicKeyPem, undefined, true, keys.privateKeyPem, {}), keys.privateKeyPem, "");
}

/** A root CA kept on disk (PEM certificate and key), as make-config's test CA. */
export function loadDeviceCa(certPem: string, keyPem: string): DeviceCa {
  const cert = forge.pki.certificateFromPem(certPem);
  const cn = cert.subject.getField("CN");
  return caFrom(cn ? String(cn.value) : "", cert, keyPem, "");
}

/** A self-signed device certificate (IoT Hub thumbprint authentication). */
export function selfSignedDevice(commonName: string, options: IssueOptions = {}): DeviceCredentials {
  const keys = rsaKeys();
  return credentials(commonName, makeCertificate(commonName, keys.publicKeyPem, undefined, false, keys.privateKeyPem, options), keys.privateKeyPem, "");
}
