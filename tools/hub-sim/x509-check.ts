// Service-side X.509 checks (node:crypto only, nothing from firmware/): the client
// certificates a device presented in the TLS handshake, judged as DPS and IoT Hub judge them.
// A certificate outside its validity window (on the simulator's clock), a signature that does
// not verify, or a certificate no enrollment or identity knows is refused; the caller answers
// as the service does (DPS: 401 with errorCode 401002; hub: CONNACK 5).
import { X509Certificate } from "node:crypto";
import type { TLSSocket, DetailedPeerCertificate } from "node:tls";

/** What the device sent: its certificate first, then the intermediates it chose to send. */
export interface PeerCertificates {
  leaf: X509Certificate;
  sent: X509Certificate[];
}

export type X509Verdict = { ok: true } | { ok: false; reason: string };

/** Longest issuer chain followed (leaf to anchor). */
const MAX_DEPTH = 6;

/** The client certificates of a TLS connection, or undefined when the client sent none. */
export function peerCertificates(socket: TLSSocket): PeerCertificates | undefined {
  let detailed: DetailedPeerCertificate | undefined;
  try {
    detailed = socket.getPeerCertificate(true);
  } catch {
    return undefined;
  }
  const all: X509Certificate[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  for (let c = detailed; c && c.raw && !seen.has(c) && all.length < MAX_DEPTH + 1; c = c.issuerCertificate) {
    seen.add(c);
    all.push(new X509Certificate(c.raw));
  }
  return all.length === 0 ? undefined : { leaf: all[0], sent: all.slice(1) };
}

/** PEM text (one or more certificates) or DER bytes -> certificates. */
export function certificatesOf(input: string | Uint8Array): X509Certificate[] {
  if (typeof input !== "string") return [new X509Certificate(Buffer.from(input))];
  const blocks = input.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks) return [new X509Certificate(Buffer.from(input.replace(/\s+/g, ""), "base64"))];
  return blocks.map((b) => new X509Certificate(b));
}

/** The subject's common name ("" without one). */
export function commonName(cert: X509Certificate): string {
  for (const line of cert.subject.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return "";
}

/** Upper-case hex without separators, SHA-1 and SHA-256 (IoT Hub accepts either). */
export function thumbprints(cert: X509Certificate): string[] {
  return [cert.fingerprint.replace(/:/g, ""), cert.fingerprint256.replace(/:/g, "")];
}

export function normalizeThumbprint(text: string): string {
  return text.replace(/[:\s]/g, "").toUpperCase();
}

/** Undefined when valid at nowMs, else why not. */
export function validityProblem(cert: X509Certificate, nowMs: number, what = "certificate"): string | undefined {
  if (nowMs < Date.parse(cert.validFrom)) return what + " '" + commonName(cert) + "' is not valid before " + cert.validFrom;
  if (nowMs > Date.parse(cert.validTo)) return what + " '" + commonName(cert) + "' expired on " + cert.validTo;
  return undefined;
}

/** The leaf is exactly one of the known certificates (by SHA-1 or SHA-256 thumbprint) and valid now. */
export function checkThumbprint(peer: PeerCertificates, known: string[], nowMs: number): X509Verdict {
  const own = thumbprints(peer.leaf);
  const wanted = known.map(normalizeThumbprint);
  if (!own.some((t) => wanted.indexOf(t) >= 0)) return { ok: false, reason: "certificate thumbprint " + own[0] + " is not the identity's" };
  const problem = validityProblem(peer.leaf, nowMs);
  if (problem) return { ok: false, reason: problem };
  // A self-signed certificate must at least carry a signature made with its own key.
  if (peer.leaf.checkIssued(peer.leaf) && !peer.leaf.verify(peer.leaf.publicKey)) return { ok: false, reason: "self-signed certificate whose signature does not verify" };
  return { ok: true };
}

/**
 * The leaf chains up to one of `anchors` (an enrolled or registered CA, root or intermediate),
 * through certificates the device sent: every signature verifies, every certificate is valid
 * now, every issuer on the way is a CA.
 */
export function checkChain(peer: PeerCertificates, anchors: X509Certificate[], nowMs: number): X509Verdict {
  let cert = peer.leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const problem = validityProblem(cert, nowMs, depth === 0 ? "certificate" : "intermediate");
    if (problem) return { ok: false, reason: problem };
    for (const anchor of anchors) {
      if (!cert.checkIssued(anchor)) continue;
      if (!cert.verify(anchor.publicKey)) return { ok: false, reason: "'" + commonName(cert) + "' names '" + commonName(anchor) + "' as issuer but its signature does not verify" };
      const anchorProblem = validityProblem(anchor, nowMs, "CA certificate");
      return anchorProblem ? { ok: false, reason: anchorProblem } : { ok: true };
    }
    const issuer = peer.sent.find((c) => c !== cert && cert.checkIssued(c) && c.ca);
    if (!issuer) return { ok: false, reason: "no known CA issued '" + commonName(cert) + "' (issuer " + cert.issuer.replace(/\n/g, ", ") + ")" };
    if (!cert.verify(issuer.publicKey)) return { ok: false, reason: "'" + commonName(cert) + "' does not verify under the intermediate the device sent" };
    cert = issuer;
  }
  return { ok: false, reason: "certificate chain too long" };
}
