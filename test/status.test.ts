import { test } from "uvu";
import * as assert from "uvu/assert";
import * as status from "../firmware/status";

test("success is zero, failures negative, ordinary answers positive", () => {
  assert.is(status.OK, 0);
  assert.ok(status.NEED_MORE > 0 && status.NO_MATCH > 0);
  assert.ok(status.ERR_MALFORMED < 0 && status.ERR_TOO_LARGE < 0);
});

test.run();
