// One TLS server per host name, each on its own loopback port (no SNI needed: a stock
// Espruino build sends no SNI or a constant bogus one; the names that arrive are recorded). RSA certificates from the throwaway CA, TLS 1.2 with
// RSA, DHE-RSA and ECDHE-RSA AES-GCM suites, so a client without ECDHE can connect.
import net from "node:net";
import tls from "node:tls";
import type { Socket } from "node:net";
import { createTestCa, type ServerCredentials, type TestCa } from "../tls/certs";
import type { TlsFault } from "./types";

/** TLS 1.2 suites offered, strongest key exchange first; RSA key exchange for Espruino. */
export const SIM_TLS12_CIPHERS = [
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "DHE-RSA-AES128-GCM-SHA256",
  "DHE-RSA-AES256-GCM-SHA384",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
].join(":");

const TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";

const issued = new WeakMap<TestCa, Map<string, ServerCredentials>>();

/** Server credentials for host, issued once per CA. */
export function credentialsFor(ca: TestCa, host: string): ServerCredentials {
  let byHost = issued.get(ca);
  if (!byHost) {
    byHost = new Map();
    issued.set(ca, byHost);
  }
  let creds = byHost.get(host);
  if (!creds) {
    creds = ca.issue(host);
    byHost.set(host, creds);
  }
  return creds;
}

/** The name a "wrong-host" server's certificate is for. */
export const IMPOSTOR_HOST = "impostor.example.net";

let impostorCa: TestCa | undefined;

/** Credentials for host that a client verifying against ca must refuse (TlsFault). */
export function faultyCredentials(ca: TestCa, host: string, fault: TlsFault): ServerCredentials {
  if (fault === "wrong-ca") {
    if (!impostorCa) impostorCa = createTestCa("impostor CA");
    return credentialsFor(impostorCa, host);
  }
  if (fault === "wrong-host") return { ...credentialsFor(ca, IMPOSTOR_HOST), host };
  const day = 24 * 3600 * 1000;
  return ca.issue(host, { notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day) });
}

/** Server names (SNI) clients sent, oldest first, at most this many per host. */
const SNI_HISTORY = 100;

export interface HostServerEvents {
  secure(socket: tls.TLSSocket): void;
  tlsError(message: string): void;
}

/** A listening TLS endpoint for one host name; can refuse TCP (stop listening) during an outage. */
export class HostServer {
  readonly server: net.Server;
  port = 0;
  /** The server name (SNI) of each ClientHello that had one, verified or not. */
  readonly sni: string[] = [];
  private refusing = false;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly host: string,
    creds: ServerCredentials,
    private readonly bindAddress: string,
    tls12Only: boolean,
    events: HostServerEvents,
    requestClientCert = false,
    plainTcp = false,
  ) {
    // Tests only (SimulatorOptions.plainTcp): the services read and write the socket alike.
    this.server = plainTcp ? net.createServer((socket) => events.secure(socket as tls.TLSSocket)) : tls.createServer({
      key: creds.keyPem,
      cert: creds.certPem,
      ciphers: SIM_TLS12_CIPHERS + ":" + TLS13_SUITES,
      honorCipherOrder: true,
      minVersion: "TLSv1.2",
      maxVersion: tls12Only ? "TLSv1.2" : "TLSv1.3",
      dhparam: "auto",
      // Mutual TLS as DPS and IoT Hub do it: a client certificate is asked for but not
      // required (SAS devices send none) and not judged here; the service judges it at
      // CONNECT (hub) or per operation (DPS), on the simulator's clock.
      requestCert: requestClientCert,
      rejectUnauthorized: false,
      // Records the name and keeps the one certificate (the refused handshakes count too).
      SNICallback: (name, done) => {
        this.sni.push(name);
        if (this.sni.length > SNI_HISTORY) this.sni.shift();
        done(null, undefined);
      },
    });
    this.server.on("connection", (socket: Socket) => {
      // Small MQTT packets must not wait for Nagle + delayed ACK (~40 ms per round trip).
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    if (!plainTcp) {
      this.server.on("secureConnection", (socket: tls.TLSSocket) => events.secure(socket));
      this.server.on("tlsClientError", (error: Error) => events.tlsError(error.message));
    }
  }

  /** "127.0.0.1:port" */
  get address(): string {
    return this.bindAddress + ":" + this.port;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once("error", onError);
      this.server.listen(port, this.bindAddress, () => {
        this.server.removeListener("error", onError);
        const address = this.server.address();
        if (address && typeof address === "object") this.port = address.port;
        resolve();
      });
    });
  }

  get isRefusing(): boolean {
    return this.refusing;
  }

  /** Stops (true) or resumes (false) accepting TCP connections on the same port. */
  async refuse(on: boolean): Promise<void> {
    if (on === this.refusing) return;
    this.refusing = on;
    if (on) this.server.close();
    else await this.listen(this.port);
  }

  /** Destroys every open socket of this host (TLS or not yet). */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
