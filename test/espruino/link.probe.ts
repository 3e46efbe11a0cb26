// The link's inbound queue on the interpreter (firmware/device/link.ts): a message held until
// the session call returns is a copy of its bytes as a Uint8Array, independent of the receive
// chunk, and costs about a variable per 12 bytes, not one per byte.
import { check, probe, figure, done } from "./probe-kit";
import { createLink } from "../../firmware/device/link";
import { Core, LINK_HUB } from "../../firmware/device/core";

const core = { stats: { received: 0, tooLarge: 0 } } as unknown as Core;
const link = createLink(core);
const events = link.events(LINK_HUB, function () {}, function () {}, function () {});

probe("a held message: a Uint8Array copy of its bytes, cheap in variables", () => {
  const chunk = new Uint8Array(1200);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 255;
  const before = process.memory().usage;
  events.message("devices/d/messages/devicebound/", chunk.subarray(100, 1100), 1, false, 7);
  const cost = process.memory().usage - before;
  figure("link.held_1000_bytes_jsvars", cost);
  chunk[100] = 0;
  const held = link.inbound[0].payload;
  if (!(held instanceof Uint8Array)) return "not a Uint8Array";
  if (held.length !== 1000 || held[0] !== 100 || held[999] !== (1099 & 255)) return "bytes " + held.length + " " + held[0] + " " + held[999];
  return cost < 250 || "cost " + cost + " JsVars";
});

check("the message counted", core.stats.received === 1);
done();
