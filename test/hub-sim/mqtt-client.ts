// A tiny MQTT 3.1.1 test client: mqtt-packet's generate/parser on a node:tls socket, with
// awaitable packets. Independent of firmware/ so the simulator's Azure semantics are checked
// by a plain client. Also builds SAS tokens with node:crypto for the tests.
import { createHmac } from "node:crypto";
import tls from "node:tls";
import mqtt from "mqtt-packet";
import type { IConnackPacket, IPublishPacket, ISubackPacket, Packet } from "mqtt-packet";
import { createTestCa, type TestCa } from "../../tools/tls/certs";

let sharedCa: TestCa | undefined;
/** One CA for every test file, so certificates are made once per process. */
export function testCa(): TestCa {
  if (!sharedCa) sharedCa = createTestCa("hub-sim tests CA");
  return sharedCa;
}

/** A clock the test moves by hand. */
export class VirtualClock {
  constructor(public ms = Date.UTC(2025, 0, 1)) {}
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  get seconds(): number {
    return Math.floor(this.ms / 1000);
  }
}

export function hmac(keyBase64: string, message: string): string {
  return createHmac("sha256", Buffer.from(keyBase64, "base64")).update(message).digest("base64");
}

/** SAS password signed over `sr` exactly as given. */
export function sas(sr: string, keyBase64: string, se: number, skn?: string): string {
  const sig = encodeURIComponent(hmac(keyBase64, sr + "\n" + se));
  return "SharedAccessSignature sr=" + sr + "&sig=" + sig + "&se=" + se + (skn !== undefined ? "&skn=" + skn : "");
}

export function hubPassword(host: string, deviceId: string, key: string, se: number): string {
  return sas(encodeURIComponent(host) + "%2Fdevices%2F" + encodeURIComponent(deviceId), key, se);
}

export function dpsPassword(idScope: string, registrationId: string, key: string, se: number, spelling = "%2f"): string {
  return sas(idScope + spelling + "registrations" + spelling + registrationId, key, se, "registration");
}

export function hubUsername(host: string, deviceId: string): string {
  return host + "/" + deviceId + "/?api-version=2021-04-12";
}

export function dpsUsername(idScope: string, registrationId: string): string {
  return idScope + "/registrations/" + registrationId + "/api-version=2019-03-31";
}

export interface OpenOptions {
  /** Host name whose certificate the server must present. */
  host: string;
  /** "127.0.0.1:port" */
  address: string;
  caPem: string;
  ciphers?: string;
  maxVersion?: tls.SecureVersion;
  /** Client certificate (PEM, may hold a chain) and key for mutual TLS. */
  cert?: string;
  key?: string;
}

/** Opens a TLS connection without SNI and checks the certificate against `host`. */
export function openTls(o: OpenOptions): Promise<tls.TLSSocket> {
  const [ip, port] = o.address.split(":");
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: ip,
      port: Number(port),
      ca: o.caPem,
      ciphers: o.ciphers,
      maxVersion: o.maxVersion,
      cert: o.cert,
      key: o.key,
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(o.host, cert),
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

export class TestClient {
  readonly packets: Packet[] = [];
  readonly rawIn: Buffer[] = [];
  closed = false;
  parseError: Error | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly parser = mqtt.parser();
  private nextId = 1;

  constructor(readonly socket: tls.TLSSocket) {
    this.parser.on("packet", (p: Packet) => {
      this.packets.push(p);
      this.wake();
    });
    this.parser.on("error", (e: Error) => {
      this.parseError = e;
      this.wake();
    });
    socket.on("data", (chunk: Buffer) => {
      this.rawIn.push(chunk);
      this.parser.parse(chunk);
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {
      /* "close" follows */
    });
  }

  static async open(o: OpenOptions): Promise<TestClient> {
    return new TestClient(await openTls(o));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `check` returns a value (re-checked on every packet, byte and close). */
  waitFor<T>(check: () => T | undefined, timeoutMs = 3000, what = "condition"): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for " + what)), timeoutMs);
      const attempt = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          clearTimeout(timer);
          reject(error);
          return;
        }
        if (value !== undefined) {
          clearTimeout(timer);
          resolve(value);
        } else this.waiters.push(attempt);
      };
      attempt();
    });
  }

  /** Removes and returns the first received packet of this kind (optionally matching). */
  take<T extends Packet>(cmd: T["cmd"], match: (p: T) => boolean = () => true, timeoutMs = 3000): Promise<T> {
    return this.waitFor(
      () => {
        const i = this.packets.findIndex((p) => p.cmd === cmd && match(p as T));
        if (i < 0) {
          if (this.closed) throw new Error("connection closed while waiting for " + cmd);
          return undefined;
        }
        return this.packets.splice(i, 1)[0] as T;
      },
      timeoutMs,
      cmd,
    );
  }

  /** Resolves when the server closed the connection. */
  waitClosed(timeoutMs = 3000): Promise<true> {
    return this.waitFor(() => (this.closed ? true : undefined), timeoutMs, "close");
  }

  /** Resolves true if the connection stays open for ms (real time). */
  async staysOpen(ms = 150): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.closed;
  }

  send(packet: Record<string, unknown>): void {
    this.socket.write(mqtt.generate(packet as unknown as Packet));
  }

  async connect(clientId: string, username: string, password: string, options: { clean?: boolean; keepalive?: number; will?: IPublishPacket | Record<string, unknown> } = {}): Promise<IConnackPacket> {
    this.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: options.clean ?? true,
      clientId,
      keepalive: options.keepalive ?? 60,
      username,
      password: Buffer.from(password),
      will: options.will,
    });
    return this.take<IConnackPacket>("connack");
  }

  /** Sends a CONNECT without waiting for the CONNACK. */
  sendConnect(clientId: string, username: string, password: string): void {
    this.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: 60, username, password: Buffer.from(password) });
  }

  async subscribe(filters: string[], qos = 1): Promise<ISubackPacket> {
    const messageId = this.nextId++;
    this.send({ cmd: "subscribe", messageId, subscriptions: filters.map((topic) => ({ topic, qos })) });
    return this.take<ISubackPacket>("suback", (p) => p.messageId === messageId);
  }

  /** Publishes; for QoS 1 returns the message id used. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 0, options: { retain?: boolean; dup?: boolean; messageId?: number } = {}): number {
    const messageId = options.messageId ?? (qos > 0 ? this.nextId++ : undefined);
    this.send({ cmd: "publish", topic, payload, qos, retain: options.retain ?? false, dup: options.dup ?? false, messageId });
    return messageId ?? 0;
  }

  /** Takes the next PUBLISH whose topic starts with prefix. */
  message(prefix: string, timeoutMs = 3000): Promise<IPublishPacket> {
    return this.take<IPublishPacket>("publish", (p) => p.topic.startsWith(prefix), timeoutMs);
  }

  puback(messageId: number): void {
    this.send({ cmd: "puback", messageId });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** JSON body of a PUBLISH. */
export function json(p: IPublishPacket): Record<string, unknown> {
  return JSON.parse(Buffer.from(p.payload).toString("utf8")) as Record<string, unknown>;
}

/** Lets sockets and the broker run (real time). */
export function settle(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
