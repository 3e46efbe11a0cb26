// npm run build: dist/firmware.js (minified, what ships: the warm code dist/warm.js followed by
// the on-demand modules dist/mod-*.js), dist/firmware.debug.js (readable),
// dist/size.json (bytes per module); dist/boot.js, the boot stub npm run flash writes into
// .bootcde (firmware/boot.ts; gated at build time, its size printed), and dist/boot.debug.js;
// dist/thermostat.js and dist/thermostat.debug.js, the example application.
// The pipeline itself is tools/build/espruino-pipeline.mjs.
import { applicationBundles, bootStubBundle } from "./tools/build/espruino-pipeline.mjs";

export default [
  ...applicationBundles({ input: "firmware/main.ts", dir: "dist", name: "firmware", sizeFile: "dist/size.json", printSizes: true }),
  bootStubBundle({ file: "dist/boot.js", debugFile: "dist/boot.debug.js", printSizeAs: "boot stub" }),
  // The example application (examples/thermostat/), built and gated like the app.
  espruinoBundle({ input: "examples/thermostat/main.ts", file: "dist/thermostat.js", debugFile: "dist/thermostat.debug.js", printSizeAs: "examples/thermostat", gate: true }),
];
