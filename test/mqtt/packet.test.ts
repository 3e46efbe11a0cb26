import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createPacket, CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP } from "../../firmware/mqtt/packet";

const types = suite("packet types");
types("constants -> the MQTT 3.1.1 control packet type numbers (§2.2.1)", () => {
  assert.equal([CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP], [2, 3, 4, 9, 11, 13]);
});
types.run();

const record = suite("createPacket");
record("fresh record -> every field present and empty", () => {
  const p = createPacket();
  assert.equal(Object.keys(p).sort(), ["code", "codes", "dup", "id", "payload", "present", "qos", "retain", "topic", "type"]);
  assert.is(p.payload.length, 0);
  assert.is(p.codes.length, 0);
  assert.is(p.topic, "");
});
record("two records -> independent", () => {
  const a = createPacket();
  const b = createPacket();
  a.id = 5;
  assert.is(b.id, 0);
});
record.run();
