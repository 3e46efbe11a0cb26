// Integration: our session over real TLS on loopback against aedes, a real MQTT broker. The
// test drives the session itself with node:tls and one timer (the way the device driver
// will), so it depends on nothing but firmware/mqtt.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Aedes } from "aedes";
import { createTestCa } from "../../tools/tls/certs";
import { createSession, SESSION_UP } from "../../firmware/mqtt/session";
import { Session, SessionOptions } from "../../firmware/mqtt/session-api";
import type { ConnectOptions } from "../../firmware/mqtt/encode";
import { mpParse } from "./kit";

const ca = createTestCa();
const creds = ca.issue("localhost");

// ---- broker ---------------------------------------------------------------------------------

interface Broker {
  aedes: Aedes;
  server: tls.Server;
  port: number;
  /** Client PUBLISHes the broker processed: topic and payload text. */
  received: { topic: string; payload: string; qos: number }[];
  pings: number;
  acks: number;
  /** PUBLISHes held unacknowledged by `hold`. */
  held: number;
  /** Ends everything at once: sockets dropped without MQTT goodbye, server closed. */
  kill(): void;
}

/** hold(n): whether to keep the n-th client PUBLISH (from 1) unprocessed and unacknowledged. */
async function startBroker(port = 0, hold?: (n: number) => boolean): Promise<Broker> {
  let authorized = 0;
  const aedes = await Aedes.createBroker({
    authorizePublish(client, _packet, callback) {
      if (client && hold && hold(++authorized)) broker.held++;
      else callback(null);
    },
  });
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert: creds.certPem, key: creds.keyPem }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const broker: Broker = {
    aedes,
    server,
    port: (server.address() as AddressInfo).port,
    received: [],
    pings: 0,
    acks: 0,
    held: 0,
    kill() {
      for (const s of sockets) s.destroy();
      server.close();
      aedes.close();
    },
  };
  aedes.on("publish", (packet, client) => {
    if (!client) return; // the broker's own $SYS and test publishes
    broker.received.push({ topic: packet.topic, payload: Buffer.from(packet.payload).toString("latin1"), qos: packet.qos });
  });
  aedes.on("ping", () => broker.pings++);
  aedes.on("ack", () => broker.acks++);
  return broker;
}

function brokerPublish(broker: Broker, topic: string, payload: string, qos: 0 | 1): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.aedes.publish({ cmd: "publish", topic, payload: Buffer.from(payload), qos, dup: false, retain: false }, (e) => (e ? reject(e) : resolve())),
  );
}

// ---- a minimal driver: socket + session + one timer ------------------------------------------

interface Client {
  s: Session;
  log: string[];
  messages: string[];
  pubacks: number[];
  /** Raw bytes sent, per connection. */
  sent: Buffer[][];
  open(): void;
  close(): void;
  pump(): void;
}

const now = () => Math.floor(performance.now());

function createClient(port: number, connect: ConnectOptions, options?: SessionOptions): Client {
  let socket: tls.TLSSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const c: Client = {
    s: undefined as unknown as Session,
    log: [],
    messages: [],
    pubacks: [],
    sent: [],
    open() {
      const sock = tls.connect({ host: "localhost", port, ca: ca.caPem, servername: "localhost" });
      socket = sock;
      c.sent.push([]);
      sock.on("secureConnect", () => {
        c.s.connect(connect, now());
        c.pump();
      });
      sock.on("data", (d: Buffer) => {
        c.s.receive(new Uint8Array(d.buffer, d.byteOffset, d.length), now());
        c.pump();
      });
      sock.on("error", () => {});
      sock.on("close", () => {
        if (socket !== sock) return;
        socket = undefined;
        c.s.lost();
        c.log.push("transport closed");
        c.pump();
      });
    },
    close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (socket) socket.destroy();
    },
    pump() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const delay = c.s.tick(now());
      if (delay >= 0 && !stopped) timer = setTimeout(() => c.pump(), delay);
    },
  };
  c.s = createSession(
    {
      send: (bytes) => {
        const copy = Buffer.from(bytes); // the session reuses its buffer
        c.sent[c.sent.length - 1].push(copy);
        if (socket) socket.write(copy);
      },
      connack: (rc, sp) => c.log.push(`connack ${rc} ${sp}`),
      message: (topic, payload, qos) => {
        c.messages.push(`${topic} ${Buffer.from(payload).toString("latin1")} q${qos}`);
        return true;
      },
      oversized: (topic, qos, _id, size) => c.log.push(`oversized ${topic} q${qos} ${size}`),
      puback: (id) => c.pubacks.push(id),
      suback: (id, granted) => c.log.push(`suback ${Array.from(granted).join(",")}`),
      unsuback: () => c.log.push("unsuback"),
      closed: (code) => {
        c.log.push(`closed ${code}`);
        if (socket) socket.destroy();
      },
    },
    options,
  );
  return c;
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- tests ----------------------------------------------------------------------------------

const live = suite("session against aedes over TLS");

live("connect, subscribe, QoS 0 and 1 both ways, unsubscribe", async () => {
  const broker = await startBroker();
  const c = createClient(broker.port, { clientId: "it-1", keepAliveS: 30, cleanSession: false });
  try {
    c.open();
    await until("CONNACK", () => c.s.state === SESSION_UP);
    assert.equal(c.log, ["connack 0 false"]);

    const sub = c.s.subscribe(["dev/in/#"], [1], now());
    c.pump();
    assert.ok(sub > 0);
    await until("SUBACK", () => c.log.includes("suback 1"));

    // device -> broker
    assert.is(c.s.publish("dev/out/q0", new Uint8Array(Buffer.from("zero")), 0, false, now()), 0);
    const id = c.s.publish("dev/out/q1", new Uint8Array(Buffer.from("one")), 1, false, now());
    c.pump();
    await until("PUBACK", () => c.pubacks.includes(id));
    assert.equal(broker.received.map((r) => `${r.topic} ${r.payload} q${r.qos}`), ["dev/out/q0 zero q0", "dev/out/q1 one q1"]);

    // broker -> device
    await brokerPublish(broker, "dev/in/a", "b0", 0);
    await brokerPublish(broker, "dev/in/b", "b1", 1);
    await until("both deliveries", () => c.messages.length === 2);
    assert.equal(c.messages, ["dev/in/a b0 q0", "dev/in/b b1 q1"]);
    await until("the broker saw our PUBACK", () => broker.acks === 1);

    c.s.subscribe(["dev/in/#"], null, now());
    c.pump();
    await until("UNSUBACK", () => c.log.includes("unsuback"));
    await brokerPublish(broker, "dev/in/c", "late", 0);
    await sleep(100);
    assert.is(c.messages.length, 2, "nothing after unsubscribing");

    c.s.disconnect(now());
    c.close();
  } finally {
    c.close();
    broker.kill();
  }
});

live("a 64 KB QoS 1 message over maxPacket -> reported, acknowledged, link up, not redelivered after a reconnect", async () => {
  const broker = await startBroker();
  const c = createClient(broker.port, { clientId: "it-big", keepAliveS: 30, cleanSession: false }, { maxPacket: 512 });
  try {
    c.open();
    await until("CONNACK", () => c.s.state === SESSION_UP);
    c.s.subscribe(["dev/in/#"], [1], now());
    c.pump();
    await until("SUBACK", () => c.log.includes("suback 1"));
    await brokerPublish(broker, "dev/in/big", "x".repeat(65536), 1);
    await brokerPublish(broker, "dev/in/small", "s", 1);
    await until("the small one after it", () => c.messages.length === 1);
    const size = 1 + 3 + 2 + "dev/in/big".length + 2 + 65536; // fixed header with 3 length bytes
    assert.equal(c.log.slice(2), [`oversized dev/in/big q1 ${size}`]);
    assert.equal(c.messages, ["dev/in/small s q1"]);
    await until("the broker saw both PUBACKs", () => broker.acks === 2);
    assert.is(c.s.state, SESSION_UP);

    // The broker holds nothing for us: after a reconnect nothing comes again.
    c.close();
    c.open();
    await until("CONNACK again", () => c.log.includes("connack 0 true")); // the same session: unacknowledged ones would come again
    await sleep(200);
    assert.equal(c.log.filter((l) => l.startsWith("oversized")).length, 1);
    assert.is(c.messages.length, 1);
  } finally {
    c.close();
    broker.kill();
  }
});

live("keep-alive 1 s, nothing else to send -> PINGREQs answered, link stays up", async () => {
  const broker = await startBroker();
  // a PINGRESP must come back within 800 ms of each PINGREQ or the session gives up
  const c = createClient(broker.port, { clientId: "it-ping", keepAliveS: 1, cleanSession: true }, { pingTimeoutMs: 800 });
  try {
    c.open();
    await until("CONNACK", () => c.s.state === SESSION_UP);
    await sleep(3300);
    assert.ok(broker.pings >= 2, `pings seen by the broker: ${broker.pings}`);
    assert.is(c.s.state, SESSION_UP);
    assert.ok(!c.log.some((l) => l.startsWith("closed")), c.log.join(", "));
  } finally {
    c.close();
    broker.kill();
  }
});

live("broker killed mid-flight -> after reconnect every unacknowledged message reaches the broker", async () => {
  const TOTAL = 40;
  // The first broker processes 12 messages, then sits on the next ones without acknowledging.
  const first = await startBroker(0, (n) => n > 12);
  const port = first.port;
  const c = createClient(port, { clientId: "it-kill", keepAliveS: 30, cleanSession: false }, { maxInflight: 8 });
  let published = 0;
  const ids: number[] = [];
  // Publish as fast as the window allows, connected or not (queued while down).
  const feed = () => {
    while (published < TOTAL) {
      const id = c.s.publish("dev/out/seq", new Uint8Array(Buffer.from("m" + published)), 1, false, now());
      if (id < 0) break;
      ids.push(id);
      published++;
    }
    c.pump();
  };
  let broker2: Broker | undefined;
  let interval: NodeJS.Timeout | undefined;
  try {
    c.open();
    await until("CONNACK", () => c.s.state === SESSION_UP);
    interval = setInterval(feed, 2);
    await until("a full window held by the broker", () => first.received.length === 12 && c.s.inflight === 8 && first.held > 0);
    await sleep(50);
    // What the broker acknowledged is its responsibility; the rest is ours.
    const ackedBeforeKill = new Set(c.pubacks);
    const unacked = c.s.inflight;
    first.kill(); // without a word: sockets dropped, no DISCONNECT, no PUBACK for the held ones
    await until("the client noticing", () => c.log.includes("transport closed"));

    broker2 = await startBroker(port);
    c.open();
    await until("all messages acknowledged", () => published === TOTAL && c.s.inflight === 0 && c.pubacks.length >= TOTAL, 10000);

    // every message not acknowledged before the kill reached a broker at least once
    const seen = new Set([...first.received, ...broker2.received].map((r) => r.payload));
    let owed = 0;
    for (let i = 0; i < TOTAL; i++) {
      if (ackedBeforeKill.has(ids[i])) continue;
      owed++;
      assert.ok(seen.has("m" + i), `m${i} was never acknowledged and never reached a broker`);
    }
    assert.ok(owed >= unacked && broker2.received.length >= unacked, "the unacknowledged ones were sent again");
    assert.equal(new Set(c.pubacks).size, TOTAL, "every message acknowledged in the end");

    // on the second connection the resends came first, with DUP and their original ids
    const second = mpParse(new Uint8Array(Buffer.concat(c.sent[1]))).packets;
    assert.is(second[0].cmd, "connect");
    const resent = second.slice(1, 1 + unacked);
    assert.is(resent.length, unacked);
    assert.ok(resent.every((p) => p.cmd === "publish" && (p as { dup: boolean }).dup), "DUP resends first on the new connection");
    for (const p of resent) {
      const { messageId, payload } = p as { messageId: number; payload: Buffer };
      const n = Number(payload.toString().slice(1));
      assert.is(messageId, ids[n], `m${n} kept its packet id`);
    }
    assert.is(c.s.state, SESSION_UP);
  } finally {
    if (interval) clearInterval(interval);
    c.close();
    first.kill();
    if (broker2) broker2.kill();
  }
});

live.run();
