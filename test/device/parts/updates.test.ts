// The update part (firmware/device/updates.ts) against a fake link and a flash store: the
// download's hold on the one link (after the "downloading" report had its chance to go out),
// the file written to the inactive slot, the switch and the reboot after the drain, and the
// part going idle. The update agent, its HTTP client and the manifest check are the real ones.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import createUpdates from "../../../firmware/device/updates";
import { LINK_DOWNLOAD } from "../../../firmware/device/core";
import { signManifest } from "../../../firmware/ota/manifest";
import { SLOT_B_RECORD, loadSelector } from "../../../firmware/ota/slots";
import { STATE_HUB_CONNECTED } from "../../../firmware/policy/connection";
import { createFlashStore } from "../../helpers/flash-store";
import { createPrng } from "../../helpers/prng";
import { testCore, dpsConfig, policyCalls, standIn, TestCore } from "./kit";
import { Twin } from "../../../firmware/device/twin";
import { Telemetry } from "../../../firmware/device/telemetry";

const OTA_KEY = Buffer.alloc(32, 5);
const FILE = "// app 1.1.0\nprint('hello');\n";

interface UpdatesCore {
  core: TestCore;
  reports: string[];
  /** What twinDrained(core.twin) answers. */
  twinDrained: { value: boolean };
}

function updatesCore(): UpdatesCore {
  const core = testCore(dpsConfig({ ota: { key: OTA_KEY.toString("base64") } }));
  core.hal.store = createFlashStore(createPrng(1));
  const reports: string[] = [];
  const twinDrained = { value: false };
  core.twin = standIn<Twin>("twin", core.calls, {
    // twinDrained reads these fields: a patch in flight unless the test says drained. The
    // agent's reports are recorded as it sets them.
    reported: [],
    get reportedRid() {
      return twinDrained.value ? "" : "1";
    },
    get otaReport() {
      return "";
    },
    set otaReport(json: string) {
      reports.push(json);
    },
  });
  core.telemetry = standIn<Telemetry>("telemetry", core.calls, { outbox: { size: 0 } });
  (core.policy as { state: number }).state = STATE_HUB_CONNECTED;
  return { core, reports, twinDrained };
}

function manifest(version = "1.1.0", body = FILE, key = OTA_KEY): object {
  const sha = createHash("sha256").update(Buffer.from(body, "latin1")).digest("hex");
  return signManifest({ version, url: "https://files.example.net/app.js", size: body.length, sha256: sha }, new Uint8Array(key), (d) =>
    new Uint8Array(createHash("sha256").update(d).digest()));
}

function httpResponse(body: string): Buffer {
  return Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n" + body, "latin1");
}

const updates = suite("device part updates");

updates("a new version announced with the hub up -> the report gets 10 s, then the hub is held and the download takes the link", () => {
  const { core, reports } = updatesCore();
  const u = createUpdates(core, undefined);
  u.desired(manifest(), true);
  assert.ok(reports.some((r) => JSON.parse(r).ota.state === "downloading"), "the download start is reported");
  u.step();
  assert.equal(core.link.connects, [], "the hub keeps the link while the report waits");
  assert.equal(policyCalls(core), []);
  assert.is(u.nextDeadline(), core.hal.t + 10000);
  core.hal.t += 10000;
  u.step();
  assert.equal(policyCalls(core), ["hold true"]);
  assert.is(core.link.connects.length, 1);
  const c = core.link.connects[0];
  assert.is(c.kind, LINK_DOWNLOAD);
  assert.equal(c.options, { host: "files.example.net", port: 443, tls: true });
  c.user.opened();
  const request = Buffer.concat(core.link.writes).toString("latin1");
  assert.match(request, /^GET \/app\.js HTTP\/1\.1\r\n/);
  assert.match(request, /\r\nHost: files\.example\.net\r\n/);
});

updates("the report already out -> the download starts at once", () => {
  const { core, twinDrained } = updatesCore();
  twinDrained.value = true;
  const u = createUpdates(core, undefined);
  u.desired(manifest(), true);
  u.step();
  assert.equal(policyCalls(core), ["hold true"]);
  assert.is(core.link.connects.length, 1);
});

updates("the file arrives -> slot b written and switched, the link and hold released, a reboot after the drain", () => {
  const { core, twinDrained } = updatesCore();
  twinDrained.value = true;
  const u = createUpdates(core, undefined);
  u.desired(manifest(), true);
  u.step();
  const c = core.link.connects[0];
  c.user.opened();
  c.user.data(new Uint8Array(httpResponse(FILE)));
  assert.equal(core.link.closes, [false], "the download closes its link");
  assert.is(core.hal.store.read(SLOT_B_RECORD), FILE);
  const selector = loadSelector(core.hal.store)!;
  assert.equal([selector.active, selector.pending], ["b", true]);
  twinDrained.value = false;
  u.step();
  assert.equal(policyCalls(core), ["hold true", "hold false"], "the hub comes back for the drain");
  assert.is(core.hal.reboots, 0, "reports still queued: the drain waits");
  core.hal.t += 30000;
  u.step();
  assert.is(core.hal.reboots, 1);
  assert.ok(core.calls.includes("stopAll"));
  assert.ok(core.hal.lines.some((l) => l.includes("ota: rebooting")));
});

updates("drained before the drain time -> the reboot comes at once", () => {
  const { core, twinDrained } = updatesCore();
  twinDrained.value = true;
  const u = createUpdates(core, undefined);
  u.desired(manifest(), true);
  u.step();
  core.link.connects[0].user.opened();
  core.link.connects[0].user.data(new Uint8Array(httpResponse(FILE)));
  u.step();
  assert.is(core.hal.reboots, 1);
});

updates("the download socket ends early -> logged, the hold released while the agent waits to retry", () => {
  const { core, twinDrained } = updatesCore();
  twinDrained.value = true;
  const u = createUpdates(core, undefined);
  u.desired(manifest(), true);
  u.step();
  const c = core.link.connects[0];
  c.user.opened();
  c.user.data(new Uint8Array(httpResponse(FILE).subarray(0, 60)));
  core.link.kind = 0; // the socket ended on its own: the link is free
  c.user.closed(-102, "reset");
  assert.ok(core.hal.lines.some((l) => l.includes("ota: download connection closed (-102 reset)")));
  u.step();
  assert.equal(policyCalls(core), ["hold true", "hold false"]);
  assert.ok(u.nextDeadline() > core.hal.t, "a retry is scheduled");
  assert.not.ok(u.idle());
});

updates("stop during the download -> its link closed", () => {
  const { core, twinDrained } = updatesCore();
  twinDrained.value = true;
  const u = createUpdates(core, undefined);
  u.desired(manifest(), true);
  u.step();
  core.link.connects[0].user.opened();
  u.stop();
  assert.equal(core.link.closes, [false]);
});

updates("the running version announced -> nothing downloaded, the part idle", () => {
  const { core } = updatesCore();
  const u = createUpdates(core, undefined);
  u.desired(manifest("1.0.0"), true);
  u.step();
  assert.equal(core.link.connects, []);
  assert.ok(u.idle());
  assert.equal(u.value(), manifest("1.0.0"), "the merged value is handed to the next instance");
});

updates("a manifest signed with another key -> refused and reported, no download", () => {
  const { core, reports } = updatesCore();
  const u = createUpdates(core, undefined);
  u.desired(manifest("1.1.0", FILE, Buffer.alloc(32, 6)), true);
  u.step();
  assert.equal(core.link.connects, []);
  assert.ok(reports.length > 0);
  assert.match(reports[reports.length - 1], /rejected/);
});

updates.run();
