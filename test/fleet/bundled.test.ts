// npm run fleet and the bench run the simulator from one esbuild bundle (tools/fleet/bundled.ts);
// the tests import it through tsx. Both must be the same simulator: the same figures for every
// scenario and policy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runPolicy, DEFAULTS } from "../../tools/fleet/run";
import { POLICIES } from "../../tools/fleet/devices";
import { SCENARIOS } from "../../tools/fleet/sim";
import { loadRun } from "../../tools/fleet/bundled";

test("the bundled simulator gives the figures of the one the tests import, in every scenario and policy", async () => {
  const bundled = await loadRun();
  for (const scenario of SCENARIOS) {
    for (const policy of POLICIES) {
      const o = { ...DEFAULTS, devices: 300, hubCps: 2, dpsPerMin: 300, scenario };
      const a = runPolicy(o, policy).figures;
      const b = bundled.runPolicy(o, policy).figures;
      assert.equal({ ...b, wallMs: 0 }, { ...a, wallMs: 0 }, `${scenario} / ${policy}`);
    }
  }
});

test.run();
