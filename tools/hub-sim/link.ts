// The stream aedes talks to instead of the TLS socket. Inbound bytes pass straight through
// (and are parsed on the side when the owner wants to watch them); outbound bytes are
// re-parsed into packets so the simulator sees every CONNACK and can drop or hold back
// PUBACKs. Raw bytes (malformed packets) go straight to the socket.
import { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import mqtt from "mqtt-packet";
import type { Packet } from "mqtt-packet";
import type { Aedes } from "aedes";
import { peerCertificates, type PeerCertificates } from "./x509-check";

/** What to do with an outbound packet: send, drop, or hold until the sim clock reaches a time. */
export type OutboundVerdict = "pass" | "drop" | { holdUntilMs: number };

export interface LinkHooks {
  /** Every packet the broker sends, before it goes out. */
  outbound(packet: Packet, link: Link): OutboundVerdict;
  /** Every packet the device sends (observed; aedes handles it). */
  inbound?(packet: Packet, link: Link): void;
}

let nextLinkId = 1;

export class Link extends Duplex {
  readonly linkId = nextLinkId++;
  /** The CONNECT's client id, once it arrived. */
  clientId: string | undefined;
  /** Set when the simulator closes the link on purpose, to name the reason in the log. */
  closeReason: string | undefined;
  private readonly outParser = mqtt.parser();
  private readonly inParser = mqtt.parser();
  /** Message ids of C2D messages sent at QoS 1 and not yet acknowledged (hub links). */
  readonly c2dInFlight = new Set<number>();
  private readonly held: Array<{ atMs: number; bytes: Buffer }> = [];
  /** The client certificates sent in the TLS handshake (mutual TLS), if any. */
  readonly peer: PeerCertificates | undefined;

  constructor(
    readonly socket: TLSSocket,
    private readonly hooks: LinkHooks,
  ) {
    super();
    this.peer = peerCertificates(socket);
    const inbound = hooks.inbound;
    if (inbound) {
      this.inParser.on("packet", (packet: Packet) => inbound(packet, this));
      this.inParser.on("error", () => {
        /* aedes reports and closes */
      });
    }
    socket.on("data", (chunk: Buffer) => {
      if (inbound) this.inParser.parse(Buffer.from(chunk));
      if (!this.push(chunk)) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("close", () => {
      if (!this.destroyed) this.destroy();
    });
    socket.on("error", () => {
      /* reported by "close" */
    });
    this.outParser.on("packet", (packet: Packet) => this.outbound(packet));
    this.outParser.on("error", () => this.abort("outbound packet unparsable"));
  }

  private outbound(packet: Packet): void {
    const verdict = this.hooks.outbound(packet, this);
    if (verdict === "drop") return;
    const bytes = mqtt.generate(packet);
    if (verdict === "pass") this.writeRaw(bytes);
    else this.held.push({ atMs: verdict.holdUntilMs, bytes });
  }

  /** Sends held packets whose time has come. */
  releaseDue(nowMs: number): void {
    for (let i = 0; i < this.held.length; ) {
      if (this.held[i].atMs <= nowMs) this.writeRaw(this.held.splice(i, 1)[0].bytes);
      else i++;
    }
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Writes bytes to the socket as they are (no parsing). */
  writeRaw(bytes: Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  /** Drops the connection at once (no DISCONNECT, no TLS close_notify). */
  abort(reason?: string): void {
    if (reason && !this.closeReason) this.closeReason = reason;
    this.socket.destroy();
    if (!this.destroyed) this.destroy();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.outParser.parse(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  // aedes destroys its stream to close a client: flush what was written (a CONNACK 5, say),
  // then close the socket, forcefully if the peer does not finish the close in time.
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const socket = this.socket;
    if (!socket.destroyed) {
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 500);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    }
    callback(error);
  }
}

/** Keeps why aedes ended a client's link (keep-alive, protocol error) for the disconnect event. */
export function recordCloseReasons(broker: Aedes): void {
  broker.on("keepaliveTimeout", (client) => {
    const link = client.conn as Link;
    if (!link.closeReason) link.closeReason = "keep-alive timeout (no packet for 1.5 x keep-alive)";
  });
  broker.on("clientError", (client, error) => {
    const link = client.conn as Link;
    if (!link.closeReason) link.closeReason = "error: " + error.message;
  });
}
