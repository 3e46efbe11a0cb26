// The update agent driven through test/ota/rig.ts: the flows the issue names (happy path,
// wrong hash, wrong authenticator, truncated download, resume, power loss at every flash
// operation, a new application that never connects, cancellation, downgrades) plus the
// edges (Range ignored, HTTP errors, stalls, network down, announcements while unconfirmed).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { OTA_IDLE, OTA_DOWNLOADING, OTA_FAILED, OTA_APPLYING, otaStateName, otaReasonText } from "../../firmware/ota/agent";
import { SLOT_A_RECORD, SLOT_B_RECORD, PROGRESS_RECORD, parseProgress, type Progress } from "../../firmware/ota/slots";
import {
  ERR_OTA_AUTH, ERR_OTA_HASH, ERR_OTA_DOWNGRADE, ERR_OTA_REJECTED_VERSION, ERR_OTA_DOWNLOAD, ERR_OTA_SIZE_MISMATCH, ERR_OTA_CANCELLED,
  ERR_OTA_ROLLED_BACK, ERR_HTTP_STATUS, ERR_HTTP_REDIRECT, ERR_OTA_MANIFEST, OK,
} from "../../firmware/status";
import { Rig, bundle, bundleVersion, OTA_KEY, toByteString } from "./rig";
import { crashPoints, replay, FlashStore } from "./kit";
import * as status from "../../firmware/status";

const NEW = bundle("1.2.0", 5000);

/** Runs the device to a steady state: reboots into whatever the stub picks, connects, hears
 *  the desired value (full twin), settles; up to `boots` power cycles. */
function live(rig: Rig, desired: unknown, boots = 6): void {
  for (let i = 0; i < boots; i++) {
    rig.agent.connected(rig.now);
    rig.agent.desired(desired, rig.now, true);
    rig.settle();
    if (!rig.rebooted) return;
    rig.boot();
  }
}

// ---------------------------------------------------------------------------------------

const happy = suite("agent: happy path");

happy("1.0.0 -> 1.2.0: download, verify, switch, reboot, confirm; reported all along", () => {
  const rig = Rig.flashed("1.0.0");
  assert.equal(rig.lastReport(), { current: "1.0.0", state: "idle", target: "", progress: 0 });
  const m = rig.announce({ version: "1.2.0", data: NEW });
  rig.agent.connected(rig.now);
  rig.agent.desired(m, rig.now, true);
  assert.is(rig.agent.state, OTA_DOWNLOADING);
  rig.run();
  assert.ok(rig.rebooted, "switch stored and reboot asked");
  assert.is(rig.agent.state, OTA_APPLYING);
  assert.equal(rig.reports.map((r) => r.state + " " + r.progress), [
    "idle 0", "downloading 0", "downloading 27", "downloading 55", "downloading 83", "verifying 100", "applying 100",
  ]);
  assert.is(toByteString(NEW), rig.flash.read(SLOT_B_RECORD));
  assert.equal(rig.selector(), {
    seq: 2, active: "b", pending: true, tries: 0, previous: "a", version: "1.2.0", previousVersion: "1.0.0", rejected: "",
  });
  assert.equal(rig.server.requests, [{ path: "/ota/1.2.0.js", rangeStart: 0, status: 200 }]);

  rig.boot();
  assert.is(rig.running, SLOT_B_RECORD);
  assert.is(rig.runningVersion, "1.2.0");
  assert.ok(rig.agent.internal.pendingConfirm);
  assert.is(rig.agent.nextDeadline(), rig.now + 5 * 60 * 1000, "the confirmation window");
  rig.now += 30_000;
  rig.agent.connected(rig.now);
  assert.equal(rig.selector(), {
    seq: 4, active: "b", pending: false, tries: 0, previous: "a", version: "1.2.0", previousVersion: "1.0.0", rejected: "",
  });
  assert.equal(rig.lastReport(), {
    current: "1.2.0", state: "idle", target: "", progress: 0, last: { result: "success", reason: "ok", version: "1.2.0", code: OK },
  });
  assert.is(rig.agent.nextDeadline(), -1);
  // The same announcement after the update (the twin still holds it): nothing to do.
  rig.agent.desired(m, rig.now, true);
  rig.run();
  assert.is(rig.server.requests.length, 1);
  assert.is(rig.flash.read(PROGRESS_RECORD), undefined, "the progress record is gone");
});

happy("no selector yet (freshly flashed) -> the first update goes to slot b", () => {
  const rig = Rig.flashed("1.0.0", { noSelector: true });
  live(rig, rig.announce({ version: "1.2.0", data: NEW }));
  assert.is(rig.running, SLOT_B_RECORD);
  assert.is(rig.selector()?.version, "1.2.0");
  assert.is(rig.selector()?.pending, false);
});

happy("two updates in a row -> slots alternate, the way back is always the previous one", () => {
  const rig = Rig.flashed("1.0.0");
  live(rig, rig.announce({ version: "1.2.0", data: NEW }));
  live(rig, rig.announce({ version: "1.3.0", data: bundle("1.3.0", 4100) }));
  assert.is(rig.running, SLOT_A_RECORD);
  assert.is(rig.runningVersion, "1.3.0");
  assert.equal(rig.selector(), { seq: 7, active: "a", pending: false, tries: 0, previous: "b", version: "1.3.0", previousVersion: "1.2.0", rejected: "" });
});

happy("chunked transfer encoding and 1-byte socket reads -> the same file", () => {
  const rig = Rig.flashed("1.0.0", { chunk: 1 });
  const m = rig.announce({ version: "1.2.0", data: bundle("1.2.0", 1500) });
  rig.server.faults.set("/ota/1.2.0.js", { chunked: true });
  live(rig, m);
  assert.is(rig.runningVersion, "1.2.0");
});

happy("a desired patch with only a new url -> merged with the manifest, the update goes on", () => {
  const rig = Rig.flashed("1.0.0");
  const m = rig.announce({ version: "1.2.0", data: NEW });
  rig.server.serve("/mirror/1.2.0.js", NEW);
  rig.agent.desired(m, rig.now, true);
  rig.run(2);
  rig.agent.desired({ url: "https://files.example.net/mirror/1.2.0.js" }, rig.now);
  assert.is(rig.agent.manifest?.url, "https://files.example.net/mirror/1.2.0.js");
  rig.server.faults.set("/ota/1.2.0.js", { truncateAt: 0 });
  rig.stallNext = 0;
  rig.run();
  assert.ok(rig.rebooted);
});

happy.run();

// ---------------------------------------------------------------------------------------

const refused = suite("agent: manifests refused");

refused("wrong authenticator (another key) -> rejected, nothing downloaded", () => {
  const rig = Rig.flashed("1.0.0");
  const other = new Uint8Array(OTA_KEY);
  other[5] ^= 0x10;
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW, key: other }), rig.now, true);
  rig.settle();
  assert.is(rig.server.requests.length, 0);
  assert.is(rig.agent.state, OTA_IDLE);
  assert.equal(rig.lastReport().last, { result: "rejected", reason: "authenticator mismatch", version: "1.2.0", code: ERR_OTA_AUTH });
});

refused("a signed field tampered (size) -> rejected", () => {
  const rig = Rig.flashed("1.0.0");
  const m = rig.announce({ version: "1.2.0", data: NEW });
  rig.agent.desired({ ...m, size: m.size - 1 }, rig.now, true);
  assert.is(rig.lastReport().last?.code, ERR_OTA_AUTH);
  assert.is(rig.server.requests.length, 0);
});

refused("forged manifest during a download -> ignored, the genuine update completes", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.run(3);
  const other = new Uint8Array(32).fill(1);
  rig.agent.desired(rig.announce({ version: "6.6.6", data: bundle("6.6.6", 100), key: other }), rig.now, true);
  assert.is(rig.agent.state, OTA_DOWNLOADING);
  rig.run();
  assert.ok(rig.rebooted);
  assert.is(rig.selector()?.version, "1.2.0");
});

refused("malformed value -> rejected with its code; repeated -> reported once", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.desired({ version: "1.2.0" }, rig.now, true);
  assert.equal(rig.lastReport().last, { result: "rejected", reason: "malformed manifest", version: "1.2.0", code: ERR_OTA_MANIFEST });
  const n = rig.reports.length;
  rig.agent.desired({ version: "1.2.0" }, rig.now, true);
  assert.is(rig.reports.length, n);
});

refused("null / absent value -> nothing happens", () => {
  const rig = Rig.flashed("1.0.0");
  const n = rig.reports.length;
  rig.agent.desired(null, rig.now, true);
  rig.agent.desired(undefined, rig.now, true);
  rig.agent.desired(undefined, rig.now);
  assert.is(rig.reports.length, n);
});

refused("downgrade without allowDowngrade -> refused; with it -> installed", () => {
  const rig = Rig.flashed("1.2.0");
  const old = bundle("1.1.0", 2000);
  rig.agent.desired(rig.announce({ version: "1.1.0", data: old }), rig.now, true);
  assert.equal(rig.lastReport().last, { result: "rejected", reason: "downgrade refused", version: "1.1.0", code: ERR_OTA_DOWNGRADE });
  assert.is(rig.server.requests.length, 0);
  live(rig, rig.announce({ version: "1.1.0", data: old, allowDowngrade: true }));
  assert.is(rig.runningVersion, "1.1.0");
  assert.is(rig.selector()?.version, "1.1.0");
});

refused("allowDowngrade forged onto a manifest signed without it -> authenticator mismatch", () => {
  const rig = Rig.flashed("1.2.0");
  const m = rig.announce({ version: "1.1.0", data: bundle("1.1.0", 2000) });
  rig.agent.desired({ ...m, allowDowngrade: true }, rig.now, true);
  assert.is(rig.lastReport().last?.code, ERR_OTA_AUTH);
});

refused("the running version announced -> idle, nothing downloaded", () => {
  const rig = Rig.flashed("1.2.0");
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.settle();
  assert.is(rig.agent.state, OTA_IDLE);
  assert.is(rig.server.requests.length, 0);
});

refused.run();

// ---------------------------------------------------------------------------------------

const failing = suite("agent: failed downloads");

failing("wrong hash -> failed after verifying, no switch, progress erased; same manifest again -> stays failed", () => {
  const rig = Rig.flashed("1.0.0");
  const m = rig.announce({ version: "1.2.0", data: NEW, sha256: "00".repeat(32) });
  rig.agent.desired(m, rig.now, true);
  rig.settle();
  assert.not.ok(rig.rebooted);
  assert.is(rig.agent.state, OTA_FAILED);
  assert.equal(rig.lastReport(), {
    current: "1.0.0", state: "failed", target: "1.2.0", progress: 100, last: { result: "failed", reason: "sha256 mismatch", version: "1.2.0", code: ERR_OTA_HASH },
  });
  assert.is(rig.selector()?.active, "a");
  assert.is(rig.selector()?.pending, false);
  assert.is(rig.flash.read(PROGRESS_RECORD), undefined);
  rig.agent.desired(m, rig.now, true);
  rig.settle();
  assert.is(rig.server.requests.length, 1, "not fetched again");
  // A corrected announcement is installed.
  live(rig, rig.announce({ version: "1.2.1", data: bundle("1.2.1", 5000) }));
  assert.is(rig.runningVersion, "1.2.1");
});

failing("truncated download -> resumed with a Range request from where it stopped", () => {
  const rig = Rig.flashed("1.0.0");
  const m = rig.announce({ version: "1.2.0", data: NEW });
  rig.server.faults.set("/ota/1.2.0.js", { truncateAt: 2500, count: 1 });
  rig.agent.desired(m, rig.now, true);
  rig.run();
  assert.is(rig.agent.state, OTA_DOWNLOADING);
  assert.is(rig.agent.offset, 2500);
  assert.is(rig.agent.nextDeadline(), rig.now + 10_000, "first retry after retryMinMs");
  assert.equal(parseProgress(rig.flash.read(PROGRESS_RECORD)), { slot: "b", version: "1.2.0", sha256: m.sha256, size: 5000, offset: 2500 } as Progress);
  rig.settle();
  assert.ok(rig.rebooted);
  assert.equal(rig.server.requests.map((r) => r.rangeStart + " " + r.status), ["0 200", "2500 206"]);
  rig.boot();
  assert.is(rig.runningVersion, "1.2.0");
});

failing("always truncated at the same place -> backs off, then fails after maxAttempts", () => {
  const rig = Rig.flashed("1.0.0");
  rig.server.faults.set("/ota/1.2.0.js", { truncateAt: 2500 });
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  const waits: number[] = [];
  rig.run();
  while (rig.agent.nextDeadline() >= 0) {
    waits.push(rig.agent.nextDeadline() - rig.now);
    rig.advance();
  }
  assert.equal(waits, [10_000, 20_000, 40_000, 80_000, 160_000]);
  assert.is(rig.agent.state, OTA_FAILED);
  assert.equal(rig.lastReport().last, { result: "failed", reason: "download failed: connection closed early", version: "1.2.0", code: ERR_OTA_DOWNLOAD });
  assert.is(rig.server.requests.length, 6);
  // Failed for a transient reason: the same manifest after a reconnect (twin GET) retries.
  rig.server.faults.delete("/ota/1.2.0.js");
  rig.agent.desired(rig.agent.manifest, rig.now, true);
  rig.settle();
  assert.ok(rig.rebooted);
  assert.is(rig.server.requests[rig.server.requests.length - 1].rangeStart, 2500);
});

failing("HTTP 404 -> failed at once (permanent); 503 -> retried", () => {
  const rig = Rig.flashed("1.0.0");
  rig.server.faults.set("/ota/1.2.0.js", { failStatus: 503, count: 2 });
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.settle();
  assert.ok(rig.rebooted, "503 twice, then served");
  const r2 = Rig.flashed("1.0.0");
  r2.server.faults.set("/ota/1.2.0.js", { failStatus: 404 });
  r2.agent.desired(r2.announce({ version: "1.2.0", data: NEW }), r2.now, true);
  r2.settle();
  assert.is(r2.agent.state, OTA_FAILED);
  assert.equal(r2.lastReport().last, { result: "failed", reason: "http error status (HTTP 404)", version: "1.2.0", code: ERR_HTTP_STATUS });
  assert.is(r2.server.requests.length, 1);
});

failing("redirect -> failed, not followed", () => {
  const rig = Rig.flashed("1.0.0");
  rig.server.faults.set("/ota/1.2.0.js", { failStatus: 302 });
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.settle();
  assert.is(rig.lastReport().last?.code, ERR_HTTP_REDIRECT);
});

failing("the server's file has another size -> failed (size mismatch)", () => {
  const rig = Rig.flashed("1.0.0");
  rig.server.faults.set("/ota/1.2.0.js", { replaceWith: bundle("1.2.0", 5001) });
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.settle();
  assert.is(rig.lastReport().last?.code, ERR_OTA_SIZE_MISMATCH);
  assert.not.ok(rig.rebooted);
});

failing("more bytes than announced in a chunked body -> failed (size mismatch)", () => {
  const rig = Rig.flashed("1.0.0");
  rig.server.faults.set("/ota/1.2.0.js", { replaceWith: bundle("1.2.0", 5001), chunked: true });
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.settle();
  assert.is(rig.lastReport().last?.code, ERR_OTA_SIZE_MISMATCH);
});

failing("a stalled connection -> abandoned after stallTimeoutMs, retried", () => {
  const rig = Rig.flashed("1.0.0");
  rig.stallNext = 1;
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  assert.is(rig.agent.nextDeadline(), rig.now + 60_000);
  rig.advance();
  assert.ok(rig.calls.includes("stopDownload"));
  rig.settle();
  assert.ok(rig.rebooted);
});

failing("network down -> no attempt until it is back", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.networkChanged(false, rig.now);
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.settle();
  assert.is(rig.server.requests.length, 0);
  assert.ok(rig.agent.internal.waitingNetwork);
  rig.agent.networkChanged(true, rig.now);
  rig.run();
  assert.ok(rig.rebooted);
});

failing("server ignores Range (200 to a resume) -> written again from 0", () => {
  const rig = Rig.flashed("1.0.0");
  rig.server.faults.set("/ota/1.2.0.js", { truncateAt: 3000, count: 1 });
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.run();
  rig.server.faults.set("/ota/1.2.0.js", { ignoreRange: true });
  rig.settle();
  assert.ok(rig.rebooted);
  assert.equal(rig.server.requests.map((r) => r.rangeStart + " " + r.status), ["0 200", "3000 200"]);
  assert.is(rig.flash.read(SLOT_B_RECORD), toByteString(NEW));
});

failing.run();

// ---------------------------------------------------------------------------------------

const cancel = suite("agent: cancellation by a newer announcement");

cancel("1.3.0 announced while 1.2.0 downloads -> stopped, reported cancelled, 1.3.0 installed", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.run(3);
  assert.ok(rig.agent.offset > 0 && rig.agent.offset < 5000, "mid-download");
  const newer = bundle("1.3.0", 4000);
  rig.agent.desired(rig.announce({ version: "1.3.0", data: newer }), rig.now, true);
  assert.ok(rig.calls.includes("stopDownload"));
  const cancelled = rig.reports.find((r) => r.last?.result === "cancelled");
  assert.equal(cancelled?.last, { result: "cancelled", reason: "superseded by 1.3.0", version: "1.2.0", code: ERR_OTA_CANCELLED });
  rig.run();
  assert.ok(rig.rebooted);
  assert.is(rig.selector()?.version, "1.3.0");
  assert.is(rig.flash.read(SLOT_B_RECORD), toByteString(newer));
  assert.equal(rig.server.requests.map((r) => r.path + " " + r.rangeStart), ["/ota/1.2.0.js 0", "/ota/1.3.0.js 0"]);
});

cancel("an older signed version announced mid-download -> cancelled and, not an upgrade, refused", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.run(2);
  rig.agent.desired(rig.announce({ version: "0.9.0", data: bundle("0.9.0", 900) }), rig.now, true);
  rig.settle();
  assert.is(rig.agent.state, OTA_IDLE);
  assert.is(rig.lastReport().last?.code, ERR_OTA_DOWNGRADE);
  assert.not.ok(rig.rebooted);
});

cancel("the same manifest again mid-download (twin GET) -> carries on, no new request", () => {
  const rig = Rig.flashed("1.0.0");
  const m = rig.announce({ version: "1.2.0", data: NEW });
  rig.agent.desired(m, rig.now, true);
  rig.run(2);
  rig.agent.desired(m, rig.now, true);
  rig.run();
  assert.ok(rig.rebooted);
  assert.is(rig.server.requests.length, 1);
});

cancel.run();

// ---------------------------------------------------------------------------------------

const rollback = suite("agent: confirmation and rollback");

rollback("new application never connects -> reboot after the window, stub returns to 1.0.0, 1.2.0 not installed again", () => {
  const rig = Rig.flashed("1.0.0");
  const m = rig.announce({ version: "1.2.0", data: NEW });
  rig.agent.desired(m, rig.now, true);
  rig.run();
  rig.boot();
  assert.is(rig.runningVersion, "1.2.0");
  rig.advance(); // no connection within the window
  assert.ok(rig.rebooted);
  assert.equal(rig.calls.slice(-1), ["reboot"]);
  rig.boot();
  assert.is(rig.running, SLOT_A_RECORD);
  assert.is(rig.runningVersion, "1.0.0");
  assert.equal(rig.selector(), { seq: 4, active: "a", pending: false, tries: 0, previous: "", version: "1.0.0", previousVersion: "", rejected: "1.2.0" });
  assert.equal(rig.lastReport(), {
    current: "1.0.0", state: "idle", target: "", progress: 0,
    last: { result: "rolledBack", reason: "not connected in time; rolled back", version: "1.2.0", code: ERR_OTA_ROLLED_BACK },
  });
  rig.agent.connected(rig.now);
  rig.agent.desired(m, rig.now, true);
  rig.settle();
  // Still announced: not installed again, and the reported rollback stays the last word.
  assert.equal(rig.lastReport().last, { result: "rolledBack", reason: "not connected in time; rolled back", version: "1.2.0", code: ERR_OTA_ROLLED_BACK });
  assert.ok(rig.logs.some((l) => l.includes("announcement 1.2.0 refused: version was rolled back before")));
  assert.is(rig.server.requests.length, 1);
  // A fixed release is installed normally.
  live(rig, rig.announce({ version: "1.2.1", data: bundle("1.2.1", 5000) }));
  assert.is(rig.runningVersion, "1.2.1");
  assert.is(rig.selector()?.rejected, "");
});

rollback("connected after the window -> too late: no confirmation", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.run();
  rig.boot();
  rig.now += 5 * 60 * 1000;
  rig.agent.connected(rig.now);
  assert.ok(rig.selector()?.pending);
  rig.advance(0);
  assert.ok(rig.rebooted);
});

rollback("announcement while unconfirmed -> held until confirmed, then acted on", () => {
  const rig = Rig.flashed("1.0.0");
  rig.agent.desired(rig.announce({ version: "1.2.0", data: NEW }), rig.now, true);
  rig.run();
  rig.boot();
  const next = rig.announce({ version: "1.3.0", data: bundle("1.3.0", 3000) });
  rig.agent.desired(next, rig.now, true);
  rig.run();
  assert.is(rig.server.requests.length, 1, "nothing fetched while the way back must stay intact");
  rig.agent.connected(rig.now);
  rig.run();
  assert.ok(rig.rebooted);
  assert.equal(rig.selector(), { seq: 5, active: "a", pending: true, tries: 0, previous: "b", version: "1.3.0", previousVersion: "1.2.0", rejected: "" });
});

rollback.run();

// ---------------------------------------------------------------------------------------

const power = suite("agent: power loss at every flash operation");

/** Records one whole update (download, switch, boot, confirm) and replays a power loss at
 *  every flash operation; from each, the device boots and runs until steady. */
function everyCrash(options: { smartResume: boolean }): { points: number; rolledBack: number; restarts: number; resumes: number } {
  const rec = Rig.flashed("1.0.0", { smartResume: options.smartResume });
  const initial = rec.flash.snapshot();
  rec.flash.ops.length = 0;
  const m = rec.announce({ version: "1.2.0", data: NEW });
  live(rec, m);
  assert.is(rec.runningVersion, "1.2.0");
  const ops = rec.flash.ops.slice();
  let rolledBack = 0;
  let restarts = 0;
  let resumes = 0;
  const points = crashPoints(ops);
  for (const p of points) {
    const rig = new Rig(new FlashStore(replay(initial, ops, p)), { smartResume: options.smartResume });
    rig.server.serve("/ota/1.2.0.js", NEW);
    rig.boot();
    // Known slot: what runs is a complete bundle and the selector (when there is one) names it.
    assert.ok(rig.runningVersion === "1.0.0" || rig.runningVersion === "1.2.0", p.label + ": runs a complete bundle");
    const s = rig.selector();
    if (s) assert.is(s.version, rig.runningVersion, p.label + ": the selector's version runs");
    else assert.is(rig.running, SLOT_A_RECORD, p.label);
    live(rig, m);
    const end = rig.selector();
    assert.ok(end && !end.pending, p.label + ": steady");
    assert.is(end?.version, rig.runningVersion, p.label);
    if (rig.runningVersion === "1.0.0") {
      // Power lost during the trial boot: rolled back, and 1.2.0 is not taken again.
      assert.is(end?.rejected, "1.2.0", p.label);
      rolledBack++;
    } else assert.is(rig.runningVersion, "1.2.0", p.label);
    if (rig.server.requests.some((r) => r.rangeStart > 0)) resumes++;
    if (rig.logs.some((l) => l.includes("starting again from 0"))) restarts++;
  }
  return { points: points.length, rolledBack, restarts, resumes };
}

power("Espruino driver with resumeSplit -> every crash leaves a known slot and ends steady", () => {
  const r = everyCrash({ smartResume: true });
  assert.ok(r.points > 40, "crash points " + r.points);
  assert.ok(r.resumes > 0, "some runs resumed with a Range request");
  assert.is(r.restarts, 0, "never restarted from 0");
  assert.ok(r.rolledBack > 0 && r.rolledBack < r.points);
});

power("plain driver (no resumeSplit) -> the agent restarts from 0 where Storage refuses; still steady", () => {
  const r = everyCrash({ smartResume: false });
  assert.ok(r.restarts > 0, "some resumes hit already-written flash");
});

power("progress record on flash -> resume after a reboot asks for the saved offset", () => {
  const rec = Rig.flashed("1.0.0", { smartResume: true });
  const m = rec.announce({ version: "1.2.0", data: NEW });
  rec.agent.desired(m, rec.now, true);
  rec.run(4);
  const saved = parseProgress(rec.flash.read(PROGRESS_RECORD)) as Progress;
  assert.ok(saved.offset > 0);
  rec.boot(); // power cycle mid-download
  rec.agent.desired(m, rec.now, true);
  assert.equal(rec.calls.slice(-1), ["startDownload " + saved.offset]);
  rec.run();
  assert.ok(rec.rebooted);
});

power("a progress record of another manifest -> erased, download from 0", () => {
  const rec = Rig.flashed("1.0.0");
  rec.agent.desired(rec.announce({ version: "1.2.0", data: NEW }), rec.now, true);
  rec.run(4);
  rec.boot();
  rec.agent.desired(rec.announce({ version: "1.2.5", data: bundle("1.2.5", 4000) }), rec.now, true);
  assert.equal(rec.calls.slice(-2), ["saveProgress erase", "startDownload 0"]);
});

power.run();

// ---------------------------------------------------------------------------------------

const misc = suite("agent: names and deadlines");

misc("every OTA and HTTP code in status.ts -> its own reason text", () => {
  const texts = new Set<string>();
  for (const [name, value] of Object.entries(status)) {
    if (!/^ERR_(OTA|HTTP)_/.test(name)) continue;
    const text = otaReasonText(value as number);
    assert.not.match(text, /^error /, name);
    assert.not.ok(texts.has(text), name + " shares its text");
    texts.add(text);
  }
  assert.ok(texts.size >= 26);
});

misc("state names and reason texts", () => {
  assert.equal([0, 1, 2, 3, 4, 9].map(otaStateName), ["idle", "downloading", "verifying", "applying", "failed", "unknown"]);
  assert.is(otaReasonText(ERR_OTA_HASH), "sha256 mismatch");
  assert.is(otaReasonText(-799), "error -799");
});

misc("bundleVersion helper -> only complete bundles count", () => {
  const text = toByteString(NEW);
  assert.is(bundleVersion(text), "1.2.0");
  assert.is(bundleVersion(text.slice(0, 4000) + "\xff".repeat(1000)), "");
});

misc.run();
