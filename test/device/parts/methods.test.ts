// The direct-methods part (firmware/device/methods.ts) on a fake Core: the handler's answer,
// the timeout (504), unknown methods (404), the client's own Reprovision, a busy device (503)
// and a request refused unread (413). The hub session is a recording stand-in.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createMethods } from "../../../firmware/device/methods";
import { MethodHandler } from "../../../firmware/device/api";
import { testCore, dpsConfig, hubConfig, recordingSession, policyCalls, RecordingSession, TestCore, HUB, KEY } from "./kit";

const RES = "$iothub/methods/res/";

function methodsCore(config = dpsConfig({ methodTimeoutSeconds: 10 })): { core: TestCore; session: RecordingSession } {
  const core = testCore(config);
  const session = recordingSession();
  core.hubSession = session;
  core.methods = createMethods(core);
  return { core, session };
}

function answers(session: RecordingSession): string[] {
  return session.published.map((p) => p.topic + " " + p.payload);
}

const methods = suite("device part methods");

methods("a handler that answers at once -> its status and JSON body on the response topic", () => {
  const { core, session } = methodsCore();
  let got = "";
  core.methods.handlers.setFan = (payload, respond) => {
    got = payload;
    respond(200, { speed: 3 });
  };
  core.methods.handle("setFan", "5", '{"speed":3}');
  assert.is(got, '{"speed":3}');
  assert.equal(answers(session), [RES + "200/?$rid=5 {\"speed\":3}"]);
  assert.equal(session.published[0].qos, 0);
  assert.is(core.methods.timers(core.hal.t, false), -1, "nothing pending");
});

methods("a string body -> sent as it is; no body -> null", () => {
  const { core, session } = methodsCore();
  core.methods.handlers.a = (_p, respond) => respond(200, "[1,2]");
  core.methods.handlers.b = (_p, respond) => respond(204);
  core.methods.handle("a", "1", "");
  core.methods.handle("b", "2", "");
  assert.equal(answers(session), [RES + "200/?$rid=1 [1,2]", RES + "204/?$rid=2 null"]);
});

methods("a handler that answers later -> answered then, once, and the timer re-armed", () => {
  const { core, session } = methodsCore();
  let respond: ((status: number, body?: unknown) => void) | undefined;
  core.methods.handlers.slow = (_p, r) => {
    respond = r;
  };
  core.methods.handle("slow", "8", "null");
  assert.equal(session.published, []);
  assert.is(core.methods.timers(core.hal.t, false), core.hal.t + 10000);
  respond!(200, { ok: true });
  respond!(500, { again: true });
  assert.equal(answers(session), [RES + '200/?$rid=8 {"ok":true}']);
  assert.is(core.schedules, 1);
  assert.is(core.methods.timers(core.hal.t, false), -1);
});

methods("no answer within methodTimeoutSeconds -> 504; a late answer -> not sent", () => {
  const { core, session } = methodsCore();
  let respond: ((status: number, body?: unknown) => void) | undefined;
  core.methods.handlers.slow = (_p, r) => {
    respond = r;
  };
  core.methods.handle("slow", "8", "null");
  core.hal.t += 9999;
  core.methods.timers(core.hal.t, true);
  assert.equal(session.published, []);
  core.hal.t += 1;
  core.methods.timers(core.hal.t, true);
  assert.equal(answers(session), [RES + '504/?$rid=8 {"message":"handler timed out"}']);
  respond!(200, {});
  assert.is(session.published.length, 1);
});

methods("a handler that throws -> 500, logged", () => {
  const { core, session } = methodsCore();
  core.methods.handlers.bad = () => {
    throw new Error("oops");
  };
  core.methods.handle("bad", "3", "");
  assert.equal(answers(session), [RES + '500/?$rid=3 {"message":"handler failed"}']);
  assert.ok(core.hal.lines.some((l) => l.includes("method bad threw: oops")));
});

methods("no handler -> 404 naming the method", () => {
  const { core, session } = methodsCore();
  core.methods.handle("nothing", "4", "");
  assert.equal(answers(session), [RES + '404/?$rid=4 {"message":"no handler for method nothing"}']);
});

methods("four calls pending -> a fifth is answered 503 busy", () => {
  const { core, session } = methodsCore();
  const hold: MethodHandler = () => undefined;
  core.methods.handlers.hold = hold;
  for (let i = 1; i <= 5; i++) core.methods.handle("hold", String(i), "");
  assert.equal(answers(session), [RES + '503/?$rid=5 {"message":"busy"}']);
});

methods("Reprovision on a DPS device -> answered 200 and the policy reprovisions", () => {
  const { core, session } = methodsCore();
  core.methods.handle("Reprovision", "6", "");
  assert.equal(answers(session), [RES + "200/?$rid=6 {}"]);
  assert.equal(policyCalls(core), ["requestReprovision "]);
});

methods("Reprovision on a hub-only device -> 404, nothing else", () => {
  const { core, session } = methodsCore(hubConfig("HostName=" + HUB + ";DeviceId=dev1;SharedAccessKey=" + KEY));
  core.methods.handle("Reprovision", "6", "");
  assert.equal(answers(session), [RES + '404/?$rid=6 {"message":"no handler for method Reprovision"}']);
  assert.equal(policyCalls(core), []);
});

methods("an application handler named Reprovision -> the application's, not the client's", () => {
  const { core, session } = methodsCore();
  core.methods.handlers.Reprovision = (_p, respond) => respond(403, {});
  core.methods.handle("Reprovision", "6", "");
  assert.equal(answers(session), [RES + "403/?$rid=6 {}"]);
  assert.equal(policyCalls(core), []);
});

methods("a request skipped unread (no payload) -> 413 with a message, no handler run", () => {
  const { core, session } = methodsCore();
  let ran = false;
  core.methods.handlers.big = () => {
    ran = true;
  };
  core.methods.handle("big", "9", undefined);
  assert.equal(answers(session), [RES + '413/?$rid=9 {"message":"request too large"}']);
  assert.not.ok(ran);
});

methods.run();
