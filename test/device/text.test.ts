// Text from the service reaches the application as the same characters it was sent as, raw
// UTF-8 or JSON \u escapes (a surrogate pair included), and goes back unchanged: desired
// properties echoed into the reported twin, C2D bodies and properties, method payloads and
// responses. The real core on the Node HAL against the simulator over TLS.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createWorld, dpsConfig, World } from "./harness";
import { Device } from "../../firmware/device";

const CAFE = "caf\u00e9 \u20ac";
const EMOJI = "caf\u00e9 \u{1F600}";

async function run(fn: (w: World, device: Device) => Promise<void>): Promise<void> {
  const w = await createWorld({});
  try {
    const e = w.sim.enrollIndividual("dev1");
    const { device } = w.boot(dpsConfig(w.sim, "dev1", e.key, {}));
    await w.advanceUntil(() => device.stats().status === "Connected", 200_000);
    await w.advance(100);
    await fn(w, device);
  } finally {
    await w.stop();
  }
}

const text = suite("device: text from and to the service");

text("desired \"caf\u00e9 \u20ac\" arrives as sent and, echoed, lands in the reported twin unchanged", () =>
  run(async (w, device) => {
    const seen: string[] = [];
    device.onDesired((d) => {
      if (typeof d.greeting === "string") {
        seen.push(d.greeting);
        device.reportProperties({ greeting: d.greeting, [d.greeting]: 1 });
      }
    });
    await w.delivered(device, () => w.sim.updateDesired("dev1", { greeting: CAFE }));
    await w.advanceUntil(() => seen.includes(CAFE), 10_000, 100);
    await w.advanceUntil(() => (w.sim.twin("dev1").reported as Record<string, unknown>).greeting !== undefined, 10_000, 100);
    const reported = w.sim.twin("dev1").reported as Record<string, unknown>;
    assert.is(reported.greeting, CAFE);
    assert.is(reported[CAFE], 1);
    assert.ok(seen.every((s) => s === CAFE), JSON.stringify(seen));
  }));

text("a C2D body and properties with non-ASCII arrive as sent", () =>
  run(async (w, device) => {
    const got: Array<[string, Record<string, string | null>]> = [];
    device.onC2D((body, properties) => got.push([body, properties as Record<string, string | null>]));
    await w.delivered(device, () => w.sim.sendC2D("dev1", CAFE, { properties: { "na\u00efve": "\u20acuro", emoji: "\u{1F600}" } }));
    await w.advanceUntil(() => got.length === 1, 10_000, 100);
    assert.is(got[0][0], CAFE);
    assert.is(got[0][1]["na\u00efve"], "\u20acuro");
    assert.is(got[0][1].emoji, "\u{1F600}");
  }));

text("method payloads: raw UTF-8 and \\u escapes (a surrogate pair) give the same text; the response goes back unchanged", () =>
  run(async (w, device) => {
    device.onMethod("echo", (payload, respond) => respond(200, { echo: (JSON.parse(payload) as { g: string }).g }));
    const raw = await (await w.delivered(device, () => w.sim.invokeMethod("dev1", "echo", { g: EMOJI }))).result;
    assert.equal(raw.payload, { echo: EMOJI });
    const escaped = Buffer.from('{"g":"caf\\u00e9 \\ud83d\\ude00"}');
    const r = await (await w.delivered(device, () => w.sim.invokeMethod("dev1", "echo", new Uint8Array(escaped)))).result;
    assert.equal(r.payload, { echo: EMOJI });
  }));

text.run();
