// The twin part (firmware/device/twin.ts) on a fake Core: the GET after every connect and
// its answers, desired patches in version order, reported patches queued while the device
// is offline and retried, the update agent's report kept apart, and documents above
// maxInboundBytes. The hub session is a recording stand-in.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTwin, twinDrained, TWIN_TIMEOUT_MS, TWIN_TOO_LARGE } from "../../../firmware/device/twin";
import { ERR_FULL, ERR_BAD_ARGUMENT } from "../../../firmware/status";
import { testCore, dpsConfig, recordingSession, policyCalls, RecordingSession, TestCore } from "./kit";

const GET = "$iothub/twin/GET/?$rid=";
const PATCH = "$iothub/twin/PATCH/properties/reported/?$rid=";

function twinCore(extra = {}): { core: TestCore; session: RecordingSession } {
  const core = testCore(dpsConfig(extra));
  const session = recordingSession();
  core.hubSession = session;
  core.twin = createTwin(core);
  return { core, session };
}

function topics(session: RecordingSession): string[] {
  return session.published.map((p) => p.topic);
}

/** Answers the GET in flight with a document. */
function answerGet(core: TestCore, doc: object, status = 200): void {
  const rid = core.twin.getRid;
  core.twin.response(rid, status, JSON.stringify(doc), "$iothub/twin/res/" + status + "/?$rid=" + rid);
}

const get = suite("device part twin: the full document");

get("subscribed -> one GET with a fresh rid and an empty body", () => {
  const { core, session } = twinCore();
  core.twin.connected(true);
  assert.equal(session.published, [{ topic: GET + "1", payload: "", qos: 0, id: 0 }]);
  assert.is(core.twin.getRid, "1");
});

get("the document -> desired handed to the application with its version, reported ota kept", () => {
  const { core } = twinCore();
  const seen: [object, number][] = [];
  core.twin.onDesired = (d, v) => seen.push([d, v]);
  core.twin.connected(true);
  answerGet(core, { desired: { fan: 2, $version: 3 }, reported: { ota: { current: "1.0.0" } } });
  assert.equal(seen, [[{ fan: 2, $version: 3 }, 3]]);
  assert.equal(core.twin.reportedOta, { current: "1.0.0" });
  assert.is(core.twin.getRid, "");
});

get("an answer with another rid -> not taken for the GET's", () => {
  const { core } = twinCore();
  const seen: number[] = [];
  core.twin.onDesired = (_d, v) => seen.push(v);
  core.twin.connected(true);
  core.twin.response("99", 200, '{"desired":{"$version":3}}', "$iothub/twin/res/200/?$rid=99");
  assert.equal(seen, []);
  assert.is(core.twin.getRid, "1");
});

get("429 with retry-after -> the GET again after that wait, and only while connected", () => {
  const { core, session } = twinCore();
  core.twin.connected(true);
  core.twin.response("1", 429, "", "$iothub/twin/res/429/?$rid=1&retry-after=7");
  assert.is(core.twin.timers(core.hal.t, true, false), core.hal.t + 7000);
  core.hal.t += 6999;
  core.twin.timers(core.hal.t, true, true);
  assert.is(session.published.length, 1);
  core.hal.t += 1;
  core.twin.timers(core.hal.t, false, true);
  assert.is(session.published.length, 1, "not while disconnected");
  core.twin.timers(core.hal.t, true, true);
  assert.equal(topics(session), [GET + "1", GET + "2"]);
});

get("5xx -> retried after 5-10 s, the wait doubling", () => {
  const { core } = twinCore();
  core.twin.connected(true);
  const start = core.hal.t;
  core.twin.response("1", 503, "", "$iothub/twin/res/503/?$rid=1");
  const first = core.twin.timers(core.hal.t, true, false) - start;
  assert.ok(first >= 5000 && first < 10000, "first wait " + first);
  core.hal.t = start + first;
  core.twin.timers(core.hal.t, true, true);
  const t2 = core.hal.t;
  core.twin.response(core.twin.getRid, 503, "", "$iothub/twin/res/503/?$rid=" + core.twin.getRid);
  const second = core.twin.timers(core.hal.t, true, false) - t2;
  assert.ok(second >= 10000 && second < 20000, "second wait " + second);
});

get("404 -> the policy reprovisions", () => {
  const { core } = twinCore();
  core.twin.connected(true);
  core.twin.response("1", 404, "", "$iothub/twin/res/404/?$rid=1");
  assert.equal(policyCalls(core), ["requestReprovision "]);
});

get("no answer within the timeout -> the GET is sent again", () => {
  const { core, session } = twinCore();
  core.twin.connected(true);
  assert.is(core.twin.timers(core.hal.t, true, false), core.hal.t + TWIN_TIMEOUT_MS);
  core.hal.t += TWIN_TIMEOUT_MS;
  core.twin.timers(core.hal.t, true, true);
  assert.equal(topics(session), [GET + "1", GET + "2"]);
});

get("memory low (paused) -> no GET; retried once the pause is over", () => {
  const { core, session } = twinCore();
  core.twin.paused = true;
  core.twin.connected(true);
  assert.equal(session.published, []);
  core.twin.paused = false;
  core.hal.t += TWIN_TIMEOUT_MS;
  core.twin.timers(core.hal.t, true, true);
  assert.equal(topics(session), [GET + "1"]);
});

get("a new CONNACK -> the GET of the earlier connection is void", () => {
  const { core } = twinCore();
  core.twin.connected(true);
  core.twin.connected(false);
  assert.is(core.twin.getRid, "");
  assert.is(core.twin.timers(core.hal.t, true, false), -1);
});

const large = suite("device part twin: above maxInboundBytes");

large("the GET's answer too large -> full GETs stop, even after the next connect", () => {
  const { core, session } = twinCore();
  core.twin.connected(true);
  core.twin.response("1", TWIN_TOO_LARGE, "", "");
  assert.is(core.twin.getRid, "");
  assert.ok(core.hal.lines.some((l) => l.includes("full twin GET disabled")));
  core.twin.connected(false);
  core.twin.connected(true);
  assert.equal(topics(session), [GET + "1"]);
});

large("a desired patch too large -> the whole document is read", () => {
  const { core, session } = twinCore();
  core.twin.response("", TWIN_TOO_LARGE, "", "");
  assert.equal(topics(session), [GET + "1"]);
});

large("a too-large answer to another request -> ignored", () => {
  const { core, session } = twinCore();
  core.twin.connected(true);
  core.twin.response("77", TWIN_TOO_LARGE, "", "");
  assert.is(core.twin.getRid, "1");
  core.twin.connected(false);
  core.twin.connected(true);
  assert.equal(topics(session), [GET + "1", GET + "2"], "GETs still on");
});

const desired = suite("device part twin: desired patches");

desired("patches in order -> each handed over; an old or repeated version -> ignored", () => {
  const { core } = twinCore();
  const seen: number[] = [];
  core.twin.onDesired = (_d, v) => seen.push(v);
  core.twin.desired('{"a":1}', 4, false);
  core.twin.desired('{"a":2}', 5, false);
  core.twin.desired('{"a":3}', 5, false);
  core.twin.desired('{"a":0}', 3, false);
  assert.equal(seen, [4, 5]);
});

desired("a skipped version -> handed over, and the whole document read to catch up", () => {
  const { core, session } = twinCore();
  const seen: number[] = [];
  core.twin.onDesired = (_d, v) => seen.push(v);
  core.twin.desired('{"a":1}', 4, false);
  core.twin.desired('{"a":3}', 6, false);
  assert.equal(seen, [4, 6]);
  assert.equal(topics(session), [GET + "1"]);
});

desired("unreadable JSON or a handler that throws -> logged, nothing else breaks", () => {
  const { core } = twinCore();
  core.twin.desired("{not json", 1, false);
  assert.ok(core.hal.lines.some((l) => l.includes("unreadable desired")));
  core.twin.onDesired = () => {
    throw new Error("boom");
  };
  core.twin.desired('{"a":1}', 2, false);
  assert.ok(core.hal.lines.some((l) => l.includes("desired handler threw: boom")));
});

desired("updates on: ota in a patch or any full document -> announced; a patch without ota -> not", () => {
  const { core } = twinCore({ ota: { key: Buffer.alloc(16, 1).toString("base64") } });
  core.twin.desired('{"fan":1}', 1, false);
  core.twin.desired('{"ota":{"version":"2.0.0"}}', 2, false);
  core.twin.connected(true);
  answerGet(core, { desired: { fan: 1, $version: 3 } });
  assert.equal(core.announced, [
    { value: { version: "2.0.0" }, full: false },
    { value: undefined, full: true },
  ]);
});

desired("updates off -> never announced", () => {
  const { core } = twinCore();
  core.twin.desired('{"ota":{"version":"2.0.0"}}', 2, false);
  assert.equal(core.announced, []);
});

const reported = suite("device part twin: reported properties");

reported("reported while offline -> queued, sent one at a time once pumped, in order", () => {
  const { core, session } = twinCore();
  assert.is(core.twin.report({ a: 1 }), 0);
  assert.is(core.twin.report({ b: "é" }), 0);
  assert.equal(session.published, [], "nothing goes out before the pump");
  assert.not.ok(twinDrained(core.twin));
  core.twin.pump(core.hal.t);
  core.twin.pump(core.hal.t);
  assert.equal(session.published, [{ topic: PATCH + "1", payload: '{"a":1}', qos: 0, id: 0 }]);
  core.twin.response("1", 204, "", "$iothub/twin/res/204/?$rid=1&$version=2");
  core.twin.pump(core.hal.t);
  assert.equal(session.published[1], { topic: PATCH + "2", payload: '{"b":"é"}', qos: 0, id: 0 });
  core.twin.response("2", 204, "", "$iothub/twin/res/204/?$rid=2");
  assert.ok(twinDrained(core.twin));
});

reported("more than 8 waiting -> refused full; not an object -> bad argument", () => {
  const { core } = twinCore();
  for (let i = 0; i < 8; i++) assert.is(core.twin.report({ i }), 0);
  assert.is(core.twin.report({ i: 8 }), ERR_FULL);
  assert.is(core.twin.report(null as unknown as { [k: string]: unknown }), ERR_BAD_ARGUMENT);
});

reported("503 -> the same patch again after a backoff; 400 -> dropped, the next one goes", () => {
  const { core, session } = twinCore();
  core.twin.report({ a: 1 });
  core.twin.report({ b: 2 });
  core.twin.pump(core.hal.t);
  core.twin.response("1", 503, "", "$iothub/twin/res/503/?$rid=1");
  core.twin.pump(core.hal.t);
  assert.is(session.published.length, 1, "not before the wait");
  core.hal.t = core.twin.timers(core.hal.t, true, false);
  core.twin.pump(core.hal.t);
  assert.equal(session.published.map((p) => p.payload), ['{"a":1}', '{"a":1}']);
  core.twin.response("2", 400, "", "$iothub/twin/res/400/?$rid=2");
  assert.ok(core.hal.lines.some((l) => l.includes("reported patch refused (400), dropped")));
  core.twin.pump(core.hal.t);
  assert.equal(session.published.map((p) => p.payload), ['{"a":1}', '{"a":1}', '{"b":2}']);
});

reported("401 to a patch -> reprovisioning asked for, as for a GET; the patch stays queued", () => {
  const { core, session } = twinCore();
  core.twin.report({ a: 1 });
  core.twin.pump(core.hal.t);
  core.twin.response("1", 401, "", "$iothub/twin/res/401/?$rid=1");
  assert.equal(policyCalls(core), ["requestReprovision "]);
  core.twin.connected(false);
  core.twin.pump(core.hal.t);
  assert.equal(session.published.map((p) => p.payload), ['{"a":1}', '{"a":1}']);
});

reported("the connection lost with a patch in flight -> sent again after the next CONNACK", () => {
  const { core, session } = twinCore();
  core.twin.report({ a: 1 });
  core.twin.pump(core.hal.t);
  core.twin.connected(false);
  core.twin.pump(core.hal.t);
  assert.equal(topics(session), [PATCH + "1", PATCH + "2"]);
  assert.equal(session.published.map((p) => p.payload), ['{"a":1}', '{"a":1}']);
});

reported("no answer within the timeout -> the patch goes again", () => {
  const { core, session } = twinCore();
  core.twin.report({ a: 1 });
  core.twin.pump(core.hal.t);
  core.hal.t += TWIN_TIMEOUT_MS;
  core.twin.timers(core.hal.t, false, true);
  core.twin.pump(core.hal.t);
  assert.equal(topics(session), [PATCH + "1", PATCH + "2"]);
});

reported("the update agent's report -> after the application's, a newer one replacing one not sent", () => {
  const { core, session } = twinCore();
  core.twin.report({ app: 1 });
  core.twin.otaReport = '{"ota":{"state":"downloading"}}';
  core.twin.otaReport = '{"ota":{"state":"installing"}}';
  core.twin.pump(core.hal.t);
  core.twin.response("1", 204, "", "$iothub/twin/res/204/?$rid=1");
  core.twin.pump(core.hal.t);
  assert.equal(session.published.map((p) => p.payload), ['{"app":1}', '{"ota":{"state":"installing"}}']);
  core.twin.response("2", 204, "", "$iothub/twin/res/204/?$rid=2");
  assert.ok(twinDrained(core.twin));
});

reported("an update report replaced while in flight -> the newer one is still sent", () => {
  const { core, session } = twinCore();
  core.twin.otaReport = '{"ota":{"state":"downloading"}}';
  core.twin.pump(core.hal.t);
  core.twin.otaReport = '{"ota":{"state":"installing"}}';
  core.twin.response("1", 204, "", "$iothub/twin/res/204/?$rid=1");
  assert.not.ok(twinDrained(core.twin));
  core.twin.pump(core.hal.t);
  assert.equal(session.published.map((p) => p.payload), ['{"ota":{"state":"downloading"}}', '{"ota":{"state":"installing"}}']);
});

get.run();
large.run();
desired.run();
reported.run();
