// The Node HAL against real sockets on loopback, a real folder and both test clocks.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import tls from "node:tls";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeHal, toPem } from "../../hal/node";
import { VirtualTime, ScaledTime } from "../../hal/node-time";
import { SOCKET_CLOSED, SOCKET_REFUSED, SOCKET_TLS_UNVERIFIED, SOCKET_DNS_FAILED } from "../../hal/types";
import { createTestCa } from "../../tools/tls/certs";

const ca = createTestCa();
const otherCa = createTestCa("another CA");
const tmp = () => mkdtempSync(join(tmpdir(), "hal-node-"));

function echoServer(creds: { certPem: string; keyPem: string }): Promise<{ port: number; close(): void; sockets: tls.TLSSocket[] }> {
  return new Promise((resolve) => {
    const sockets: tls.TLSSocket[] = [];
    const server = tls.createServer({ cert: creds.certPem, key: creds.keyPem }, (s) => {
      sockets.push(s);
      s.on("data", (d) => s.write(d));
      s.on("error", () => undefined);
    });
    server.listen(0, "127.0.0.1", () => resolve({
      port: (server.address() as net.AddressInfo).port,
      close: () => { for (const s of sockets) s.destroy(); server.close(); },
      sockets,
    }));
  });
}

type Outcome = { opened: boolean; data: number[]; closes: Array<[number, string]> };
function watch(): Outcome & { events: { onOpen(): void; onData(b: Uint8Array): void; onClose(e: number, d: string): void } } {
  const o: Outcome = { opened: false, data: [], closes: [] };
  return Object.assign(o, {
    events: {
      onOpen: () => { o.opened = true; },
      onData: (b: Uint8Array) => { o.data.push(...b); },
      onClose: (e: number, d: string) => { o.closes.push([e, d]); },
    },
  });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sockets = suite("node hal: sockets");

sockets("TLS through the hosts table, verified by name -> open, echo, one close", async () => {
  const server = await echoServer(ca.issue("hub-a.azure-devices.net"));
  const hal = createNodeHal({ storeDir: tmp(), hosts: { "hub-a.azure-devices.net": `127.0.0.1:${server.port}` } });
  const w = watch();
  const s = hal.net.connect({ host: "hub-a.azure-devices.net", port: 8883, tls: true, ca: [ca.caDer] }, w.events);
  await until(() => w.opened);
  assert.ok(s.write(new Uint8Array([0, 1, 255])));
  await until(() => w.data.length === 3);
  assert.equal(w.data, [0, 1, 255]);
  assert.is(hal.openSockets(), 1);
  s.close();
  s.close();
  await until(() => w.closes.length === 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(w.closes.map((c) => c[0]), [SOCKET_CLOSED]);
  assert.is(s.write(new Uint8Array([1])), false, "write after close is refused");
  assert.equal(hal.connectLog, ["hub-a.azure-devices.net:8883"]);
  server.close();
});

sockets("server certificate from another CA -> not verified, reported once", async () => {
  const server = await echoServer(otherCa.issue("hub-a.azure-devices.net"));
  const hal = createNodeHal({ storeDir: tmp(), hosts: { "hub-a.azure-devices.net": `127.0.0.1:${server.port}` } });
  const w = watch();
  hal.net.connect({ host: "hub-a.azure-devices.net", port: 8883, tls: true, ca: [toPem(ca.caDer)] }, w.events);
  await until(() => w.closes.length > 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(w.opened, false);
  assert.equal(w.closes.map((c) => c[0]), [SOCKET_TLS_UNVERIFIED]);
  server.close();
});

sockets("refused port -> no throw, REFUSED on a later tick", async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  probe.close();
  const hal = createNodeHal({ storeDir: tmp(), hosts: { "dps.example": `127.0.0.1:${port}` } });
  const w = watch();
  hal.net.connect({ host: "dps.example", port: 8883, tls: true }, w.events);
  assert.equal(w.closes, [], "not reported synchronously");
  await until(() => w.closes.length > 0);
  assert.is(w.closes[0][0], SOCKET_REFUSED);
});

sockets("network down -> connect fails without touching the network; open sockets drop", async () => {
  const server = await echoServer(ca.issue("hub-a.azure-devices.net"));
  const hal = createNodeHal({ storeDir: tmp(), hosts: { "hub-a.azure-devices.net": `127.0.0.1:${server.port}` } });
  const changes: boolean[] = [];
  hal.network.onChange((up) => changes.push(up));
  const live = watch();
  hal.net.connect({ host: "hub-a.azure-devices.net", port: 8883, tls: true, ca: [ca.caPem] }, live.events);
  await until(() => live.opened);
  hal.setNetworkUp(false);
  await until(() => live.closes.length === 1);
  const w = watch();
  hal.net.connect({ host: "hub-a.azure-devices.net", port: 8883, tls: true }, w.events);
  await until(() => w.closes.length === 1);
  assert.is(w.closes[0][0], SOCKET_DNS_FAILED);
  assert.is(hal.network.isUp(), false);
  hal.setNetworkUp(true);
  assert.equal(changes, [false, true]);
  server.close();
});

sockets.run();

const store = suite("node hal: store");

store("write, read, list, erase; binary bytes round-trip", () => {
  const hal = createNodeHal({ storeDir: tmp() });
  const bytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
  assert.ok(hal.store.write(".hubcache", bytes));
  assert.ok(hal.store.write("app.a", "x"));
  assert.is(hal.store.read(".hubcache"), bytes);
  assert.equal(hal.store.list("."), [".hubcache"]);
  assert.equal(hal.store.list(""), [".hubcache", "app.a"]);
  hal.store.erase(".hubcache");
  hal.store.erase("missing");
  assert.is(hal.store.read(".hubcache"), undefined);
});

store("empty data and names over 28 characters are refused, like Storage", () => {
  const hal = createNodeHal({ storeDir: tmp() });
  assert.is(hal.store.write("a", ""), false);
  assert.is(hal.store.write("x".repeat(29), "data"), false);
  assert.ok(hal.store.write("x".repeat(28), "data"));
});

store("chunked write into a fixed-size record", () => {
  const dir = tmp();
  const hal = createNodeHal({ storeDir: dir });
  const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));
  assert.ok(hal.store.writeChunk("slot.b", bytes("abc"), 0, 8));
  assert.ok(hal.store.writeChunk("slot.b", bytes("def"), 3, 8));
  assert.is(hal.store.read("slot.b"), "abcdef\xff\xff");
  assert.is(hal.store.writeChunk("slot.b", bytes("toolong"), 4, 8), false);
  rmSync(dir, { recursive: true, force: true });
});

store("chunks go only over erased bytes of a record of that size, as on flash", () => {
  const dir = tmp();
  const hal = createNodeHal({ storeDir: dir });
  const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));
  assert.is(hal.store.writeChunk("slot.b", bytes("x"), 2, 8), false, "no record yet");
  assert.ok(hal.store.writeChunk("slot.b", bytes("abc"), 0, 8));
  assert.is(hal.store.writeChunk("slot.b", bytes("zz"), 2, 8), false, "byte 2 already written");
  assert.is(hal.store.writeChunk("slot.b", bytes("zz"), 3, 9), false, "another size");
  assert.ok(hal.store.writeChunk("slot.b", bytes("zz"), 3, 8));
  assert.ok(hal.store.writeChunk("slot.b", bytes("new"), 0, 4), "offset 0 starts the record afresh");
  assert.is(hal.store.read("slot.b"), "new\xff");
  rmSync(dir, { recursive: true, force: true });
});

store("digest hashes a whole record; undefined when absent", () => {
  const dir = tmp();
  const hal = createNodeHal({ storeDir: dir });
  assert.is(hal.store.digest("none"), undefined);
  assert.ok(hal.store.write("rec", "abc"));
  assert.is(Buffer.from(hal.store.digest("rec") as Uint8Array).toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  rmSync(dir, { recursive: true, force: true });
});

store.run();

const clocks = suite("node hal: time");

clocks("virtual time fires timers in due order and only when advanced", async () => {
  const time = new VirtualTime(1_700_000_000_000);
  const hal = createNodeHal({ storeDir: tmp(), time });
  const fired: string[] = [];
  hal.timers.setTimer(300, () => fired.push("c"));
  const b = hal.timers.setTimer(200, () => fired.push("b"));
  hal.timers.setTimer(100, () => {
    fired.push("a");
    hal.timers.setTimer(50, () => fired.push("a2"));
  });
  hal.timers.clearTimer(b);
  hal.timers.clearTimer(9999);
  assert.equal(fired, []);
  await time.advance(160);
  assert.equal(fired, ["a", "a2"]);
  assert.is(hal.clock.nowMs(), 160);
  await time.advance(1000);
  assert.equal(fired, ["a", "a2", "c"]);
  assert.is(hal.clock.utcSeconds(), 1_700_000_001);
  time.setSynced(false);
  assert.is(hal.clock.isSynced(), false);
});

clocks("virtual time: a timer that re-arms itself for now -> the busy loop is reported", async () => {
  const time = new VirtualTime();
  const spin = (): void => {
    time.setTimer(0, spin);
  };
  time.setTimer(0, spin);
  let error = "";
  await time.advance(10).catch((e: Error) => (error = e.message));
  assert.match(error, /timer loop/);
});

clocks("scaled time: a timer never fires before its deadline on the scaled clock", async () => {
  const time = new ScaledTime(1000);
  const hal = createNodeHal({ storeDir: tmp(), time });
  for (const ms of [1, 5, 2000]) {
    const due = hal.clock.nowMs() + ms;
    const firedAt = await new Promise<number>((r) => hal.timers.setTimer(ms, () => r(hal.clock.nowMs())));
    assert.ok(firedAt >= due, `fired at ${firedAt}, due ${due}`);
  }
  time.clearAll();
});

clocks.run();

const misc = suite("node hal: crypto, random, system");

misc("sha256 of 'abc' is the FIPS 180-2 vector", () => {
  const hal = createNodeHal({ storeDir: tmp() });
  const digest = Buffer.from(hal.sha256(new Uint8Array([0x61, 0x62, 0x63]))).toString("hex");
  assert.is(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

misc("crc32 is the IEEE CRC-32 of bytes and of byte strings alike", () => {
  const hal = createNodeHal({ storeDir: tmp() });
  assert.is(hal.crc32("123456789"), 0xcbf43926);
  assert.is(hal.crc32(new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39])), 0xcbf43926);
  assert.is(hal.crc32("\xff\x00\x80"), hal.crc32(new Uint8Array([0xff, 0x00, 0x80])), "a byte string is bytes, not UTF-8");
});

misc("random32 is an unsigned 32-bit integer; reboot goes to the callback", () => {
  let reboots = 0;
  const hal = createNodeHal({ storeDir: tmp(), onReboot: () => reboots++ });
  for (let i = 0; i < 100; i++) {
    const r = hal.random32();
    assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff);
  }
  hal.system.reboot();
  assert.is(reboots, 1);
  assert.is(hal.system.memory().unit, "bytes");
});

misc.run();
