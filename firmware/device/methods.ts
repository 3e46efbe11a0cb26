// Direct methods: the application's handlers, answered within methodTimeoutSeconds (504
// otherwise); an unknown method is answered 404; Reprovision is the client's own.
import { LOG_ERROR, LOG_INFO } from "../../hal/types";
import { methodResponseTopic } from "../azure/hub-topics";
import { utf8Bytes } from "../azure/bytes";
import { jsonForService } from "../text";
import { MethodHandler, REPROVISION_METHOD } from "./api";
import { Core, earliest } from "./core";

/** Direct-method calls answered at once; more are answered 503. */
const MAX_PENDING = 4;

interface Pending {
  rid: string;
  deadline: number;
  done: boolean;
}

export interface Methods {
  handlers: { [name: string]: MethodHandler };
  /** Runs the handler of a call; payload undefined: the request was above maxInboundBytes
   *  and skipped unread, answered 413 (one function for both: each function a part keeps
   *  costs about 5 JsVars). */
  handle(name: string, rid: string, payload: string | undefined): void;
  /** With `fire`, answers the calls past their deadline (504). Returns the next deadline,
   *  -1 for none (one function for both: each function a part keeps costs about 5 JsVars). */
  timers(t: number, fire: boolean): number;
}

function toBody(body: unknown): Uint8Array {
  if (body === undefined || body === null) return utf8Bytes("null");
  return utf8Bytes(typeof body === "string" ? body : jsonForService(body));
}

export function createMethods(core: Core): Methods {
  const pending: Pending[] = [];

  function respond(rid: string, status: number, body: unknown): void {
    core.hubSession!.publish(methodResponseTopic(status, rid), toBody(body), 0, false, core.now());
  }

  const methods: Methods = {
    handlers: {},

    handle: function (name: string, rid: string, payload: string | undefined): void {
      if (payload === undefined) {
        respond(rid, 413, { message: "request too large" });
        return;
      }
      const handler = methods.handlers[name];
      if (!handler) {
        if (name === REPROVISION_METHOD && core.config.useDps) {
          respond(rid, 200, {});
          core.log(LOG_INFO, "Reprovision requested: forgetting the hub, running DPS");
          core.policy.requestReprovision(core.now());
          return;
        }
        respond(rid, 404, { message: "no handler for method " + name });
        return;
      }
      if (pending.length >= MAX_PENDING) {
        respond(rid, 503, { message: "busy" });
        return;
      }
      const call: Pending = { rid: rid, deadline: core.now() + core.config.methodTimeoutMs, done: false };
      pending.push(call);
      const answer = function (status: number, body?: unknown): void {
        if (call.done) return;
        call.done = true;
        const i = pending.indexOf(call);
        if (i >= 0) pending.splice(i, 1);
        respond(rid, status, body);
        core.schedule();
      };
      try {
        handler(payload, answer);
      } catch (e) {
        core.log(LOG_ERROR, "method " + name + " threw: " + (e as { message?: string }).message);
        answer(500, { message: "handler failed" });
      }
    },

    timers: function (t: number, fire: boolean): number {
      let at = -1;
      for (let i = pending.length - 1; i >= 0; i--) {
        const p = pending[i];
        if (fire && t - p.deadline >= 0) {
          p.done = true;
          pending.splice(i, 1);
          respond(p.rid, 504, { message: "handler timed out" });
        } else {
          at = earliest(at, p.deadline);
        }
      }
      return at;
    },
  };
  return methods;
}
