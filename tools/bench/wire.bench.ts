// Bytes on the wire per telemetry message: what the device sends (firmware/mqtt's encoder:
// PUBLISH at QoS 1 to the telemetry topic with the `$.mid` property the device adds for
// de-duplication, exactly as firmware/device/telemetry.ts builds it) plus the hub's PUBACK, against the
// least MQTT 3.1.1 allows for the same topic and payload: a QoS 0 PUBLISH to the bare
// telemetry topic, counted from the specification (section 3.3), not from our encoder.
// TLS records add the same to both and are left out.
import type { BenchRow } from "./main";
import { writePublish } from "../../firmware/mqtt/encode";
import { telemetryTopic, encodePropertyBag } from "../../firmware/azure/hub-topics";

const DEVICE_ID = "thermostat-0001";
/** firmware/device/telemetry.ts: `$.mid` = boot id (random32 as hex) + "-" + message count. */
const MESSAGE_ID = "9f3c21aa-1234";
const PUBACK_BYTES = 4; // fixed header 2 + packet id 2 (section 3.4)

/** Bytes of a remaining-length varint (section 2.2.3). */
function varintBytes(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/** The least PUBLISH for topic and payload: QoS 0 (no packet id), topic as UTF-8 with its
 *  2-byte length, payload as is. */
function minimalPublish(topic: string, payloadLength: number): number {
  const remaining = 2 + Buffer.byteLength(topic, "utf8") + payloadLength;
  return 1 + varintBytes(remaining) + remaining;
}

function encoded(topic: string, payload: Uint8Array, qos: number): number {
  const buf = new Uint8Array(4096);
  const end = writePublish(buf, 0, topic, payload, qos, false, false, 1);
  if (end < 0) throw new Error(`writePublish failed: ${end}`);
  return end;
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const bare = telemetryTopic(DEVICE_ID);
  const bag = encodePropertyBag({ "$.mid": MESSAGE_ID });
  const withMid = bare + bag;
  const payloads: Array<[string, Uint8Array]> = [
    ["json34", new TextEncoder().encode('{"temperature":21.5,"humidity":40}')],
    ["bin256", new Uint8Array(256).fill(7)],
  ];
  for (const [name, payload] of payloads) {
    const minimum = minimalPublish(bare, payload.length);
    const qos0Ours = encoded(bare, payload, 0);
    if (qos0Ours !== minimum) throw new Error(`our QoS 0 PUBLISH is ${qos0Ours} bytes, the minimum ${minimum}`);
    const sent = encoded(withMid, payload, 1);
    const total = sent + PUBACK_BYTES;
    rows.push({ name: `${name}.minimum_bytes`, value: minimum, unit: "B", note: `QoS 0 PUBLISH, topic ${bare} (${bare.length} B), payload ${payload.length} B` });
    rows.push({ name: `${name}.sent_bytes`, value: sent, unit: "B", note: `QoS 1 PUBLISH with ${bag} (${bag.length} B) and packet id (2 B)` });
    rows.push({ name: `${name}.wire_bytes`, value: total, unit: "B", note: `sent + PUBACK (${PUBACK_BYTES} B)` });
    rows.push({ name: `${name}.overhead_bytes`, value: total - minimum, unit: "B", note: "$.mid bag + packet id + PUBACK" });
    rows.push({ name: `${name}.wire_vs_minimum`, value: Math.round((total / minimum) * 1000) / 1000, unit: "x" });
  }
  rows.push({ name: "qos0_encoder_is_minimal", value: 1, unit: "bool", note: "our QoS 0 PUBLISH = the specification's least bytes, checked per payload" });
  return rows;
}
