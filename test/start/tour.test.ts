// npm start's tour, run as a test (faster clock): the story completes, nothing is lost, the
// move costs one DPS round and the warm boot none.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SCENARIOS, runScenario } from "../../tools/start/tour";

test("the tour: zero lost messages, DPS twice (first boot, move), warm boot without DPS", async () => {
  const lines: string[] = [];
  const tour = SCENARIOS.find((s) => s.name === "tour");
  assert.ok(tour);
  const summary = await runScenario(tour!, { speed: 300, print: (line) => lines.push(line) });
  assert.is(summary.messagesLost, 0);
  assert.is(summary.messagesAcknowledged, summary.messagesSent);
  assert.ok(summary.messagesSent > 20);
  assert.is(summary.dpsRegistrations, 2);
  assert.ok(lines.some((l) => l.includes("token at 80 %")), "token renewal shown");
  assert.ok(lines.some((l) => /retry hub in \d+ ms/.test(l)), "backoff delays printed");
  assert.ok(lines.some((l) => l.includes("warm boot: one TLS connection, zero DPS registrations")));
});

test("npm start -- --scenario ota: an update installed and confirmed, a broken one rolled back, nothing lost", async () => {
  const lines: string[] = [];
  const ota = SCENARIOS.find((s) => s.name === "ota");
  assert.ok(ota);
  const summary = await runScenario(ota!, { speed: 300, print: (line) => lines.push(line) });
  assert.is(summary.boots, "1.0.0>1.1.0>1.2.0>1.2.0>1.1.0");
  assert.is(summary.messagesLost, 0);
  assert.is(summary.dpsRegistrations, 1, "updates cost no DPS call");
  assert.ok(lines.some((l) => l.includes('"current":"1.1.0","state":"idle"') && l.includes('"result":"success"')));
  assert.ok(lines.some((l) => l.includes('"result":"rolledBack"') && l.includes('"version":"1.2.0"')));
});

test.run();
