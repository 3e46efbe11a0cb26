// npm run build: dist/firmware.js (minified, what ships), dist/firmware.debug.js (readable),
// dist/size.json (bytes per module). The pipeline itself is tools/build/espruino-pipeline.mjs.
import { espruinoBundle } from "./tools/build/espruino-pipeline.mjs";

export default espruinoBundle({
  input: "firmware/main.ts",
  file: "dist/firmware.js",
  debugFile: "dist/firmware.debug.js",
  sizeFile: "dist/size.json",
  printSizes: true,
});
