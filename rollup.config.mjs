// npm run build: dist/firmware.js (minified, what ships: the warm code dist/warm.js followed by
// the on-demand modules dist/mod-*.js), dist/firmware.debug.js (readable),
// dist/size.json (bytes per module); dist/boot.js, the boot stub npm run flash writes into
// .bootcde (firmware/boot.ts; gated at build time, its size printed), and dist/boot.debug.js;
// dist/thermostat/app.js and app.debug.js, the example application (examples/thermostat/),
// built the same way.
// The pipeline itself is tools/build/espruino-pipeline.mjs.
import { applicationBundles, bootStubBundle } from "./tools/build/espruino-pipeline.mjs";

export default [
  ...applicationBundles({ input: "firmware/main.ts", dir: "dist", name: "firmware", sizeFile: "dist/size.json", printSizes: true }),
  bootStubBundle({ file: "dist/boot.js", debugFile: "dist/boot.debug.js", printSizeAs: "boot stub" }),
  ...applicationBundles({ input: "examples/thermostat/main.ts", dir: "dist/thermostat", name: "app" }),
];
