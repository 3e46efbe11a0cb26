// Code of the warm bundle that the on-demand parts use: handed to them through the Core
// instead of imported, so an on-demand region carries no second copy of it (a copy would
// cost flash and, while loaded, a function object per copied function).
import { createSession } from "../mqtt/session";
import { utf8Bytes } from "../azure/bytes";
import { sasToken, tokenTimes } from "../azure/sas";
import { base64DecodeLenient } from "../azure/base64";
import { isAllowedHub } from "../azure/hub-cache";
import { openMqtt } from "./link";

export interface Lib {
  createSession: typeof createSession;
  utf8Bytes: typeof utf8Bytes;
  bytesToString: typeof bytesToString;
  sasToken: typeof sasToken;
  tokenTimes: typeof tokenTimes;
  base64DecodeLenient: typeof base64DecodeLenient;
  isAllowedHub: typeof isAllowedHub;
  openMqtt: typeof openMqtt;
}

/** Bytes as a byte string (one char per byte), the form MQTT topics and parsers take. */
export function bytesToString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

export function createLib(): Lib {
  return {
    createSession: createSession,
    utf8Bytes: utf8Bytes,
    bytesToString: bytesToString,
    sasToken: sasToken,
    tokenTimes: tokenTimes,
    base64DecodeLenient: base64DecodeLenient,
    isAllowedHub: isAllowedHub,
    openMqtt: openMqtt,
  };
}
