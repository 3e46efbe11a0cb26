// firmware/version.ts: the version the bundle reports before any update names one.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { APP_VERSION } from "../firmware/version";

const version = suite("APP_VERSION");
version("the version built into the bundle -> package.json's", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  assert.is(APP_VERSION, pkg.version);
});
version.run();
