// Telemetry that survives a reboot (issue 19), end to end against the simulator over TLS:
// the device on the Node HAL with a store that behaves like flash (test/helpers/flash-store.ts:
// appends into erased bytes only; a power cut tears the write it lands in at a random byte).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createWorld, dpsConfig, World } from "./harness";
import type { Device } from "../../firmware/device/index";
import type { NodeHal } from "../../hal/node";
import { createFlashStore, FlashStore } from "../helpers/flash-store";
import { createPrng } from "../helpers/prng";

const persist = suite("device: outbox in flash");

interface Arrival {
  n: number;
  tag: string;
  mid: string;
}

function arrivals(w: World): Arrival[] {
  return w.sim.telemetry("dev1").map((m) => {
    const body = JSON.parse(m.payload.toString()) as { n: number; tag: string };
    return { n: body.n, tag: body.tag, mid: String(m.properties["$.mid"]) };
  });
}

persist("500 numbered messages, 20 power cuts at random store operations, 20 link kills -> every accepted message arrives, in order; a duplicate only with the same $.mid", async () => {
  const w = await createWorld();
  const prng = createPrng(19);
  const flash = createFlashStore(prng);
  try {
    const e = w.sim.enrollIndividual("dev1");
    const config = dpsConfig(w.sim, "dev1", e.key, { outbox: { persist: true, maxMessages: 600, maxBytes: 200 * 1024 } });
    let boots = 0;
    const boot = (): { device: Device; hal: NodeHal } =>
      w.boot(config, { seed: 1000 + ++boots, store: () => flash, onReboot: () => undefined });
    let current = boot();
    // PUBACKs held back 300 ms (sim clock): cuts and kills land while messages are in flight.
    w.sim.delayPubacks("dev1", 300);
    const kills = new Set<number>();
    while (kills.size < 20) kills.add(1 + prng.int(498));
    /** Message n -> the tag of the attempt the device accepted ("n.attempt"). */
    const accepted = new Map<number, string>();
    let cuts = 0;
    let killed = 0;
    let cutArmed = false;
    let nextCut = 10;
    /** After a cut the device is dead: its power goes off and it boots again on the flash. */
    const afterCut = (): void => {
      if (flash.powered) return;
      current.hal.powerOff();
      cuts++;
      cutArmed = false;
      flash.powerOn();
      current = boot();
    };
    let n = 1;
    let attempt = 0;
    while (n <= 500) {
      if (!cutArmed && cuts < 20 && n >= nextCut) {
        // The cut lands in one of the next few store operations: an append, an ack's state
        // byte, a segment's creation or erase, the hub cache.
        flash.cutAt(1 + prng.int(12));
        cutArmed = true;
        nextCut = n + 12 + prng.int(14);
      }
      const tag = `${n}.${++attempt}`;
      if (current.device.sendTelemetry(JSON.stringify({ n, tag })) > 0) {
        accepted.set(n, tag);
        if (kills.has(n)) {
          // Back on line (booting again if the power went meanwhile), then the link is killed.
          do {
            afterCut();
            await w.advanceUntil(() => current.device.stats().status === "Connected" || !flash.powered, 30 * 60_000, 5000);
          } while (!flash.powered);
          await new Promise((r) => setTimeout(r, prng.int(4)));
          if (w.sim.dropDevice("dev1")) killed++;
          await w.until(() => current.device.stats().status !== "Connected");
        }
        n++;
        attempt = 0;
      }
      afterCut();
      if (n % 5 === 0) {
        await w.advance(200);
        afterCut();
      }
    }
    flash.cutAt(0);
    await w.advanceUntil(() => {
      const tags = new Set(arrivals(w).map((a) => a.tag));
      return [...accepted.values()].every((t) => tags.has(t));
    }, 60 * 60_000, 5000);
    const got = arrivals(w);
    const first = new Map<number, number>();
    got.forEach((a, index) => {
      if (!first.has(a.n)) first.set(a.n, index);
    });
    for (let i = 1; i <= 500; i++) assert.ok(got.some((a) => a.tag === accepted.get(i)), `message ${i} (${accepted.get(i)}) lost`);
    for (let i = 2; i <= 500; i++) assert.ok((first.get(i) as number) > (first.get(i - 1) as number), `message ${i} out of order`);
    const midOf = new Map<string, string>();
    let duplicates = 0;
    for (const a of got) {
      const seen = midOf.get(a.tag);
      if (seen === undefined) midOf.set(a.tag, a.mid);
      else {
        duplicates++;
        assert.is(a.mid, seen, `a duplicate of ${a.tag} with another $.mid`);
      }
    }
    const mids = new Set(got.map((a) => a.mid));
    assert.is(mids.size, midOf.size, "one $.mid, one message");
    const recovered = w.logs.filter((l) => /^outbox: \d+ messages queued before the boot/.test(l)).length;
    console.log(`    power: 500 messages, ${cuts} power cuts (${boots} boots, ${recovered} with messages recovered from flash), ${killed} link kills, ${duplicates} duplicates, ${got.length - duplicates - 500} unaccepted arrivals`);
    assert.is(cuts, 20);
    assert.is(killed, 20);
    assert.ok(recovered >= 5, "boots found messages queued in flash");
  } finally {
    await w.stop();
  }
});

persist.run();
