// The one build pipeline for everything that must run on Espruino 2v29: TypeScript to ES5
// with our own helpers (firmware/ts-helpers.js), one IIFE, terser settings that keep it runnable
// (../shared/reference/espruino.md §10). rollup.config.mjs, the interpreter smoke test and
// the benchmarks all build through here so they test what ships.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { minify } from "terser";
import * as acorn from "acorn";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Our Espruino-safe TypeScript helpers, standing in for tslib. */
const helpers = resolve(root, "firmware/ts-helpers.js");

/** Minified: hoist_funs is mandatory (it repairs the class IIFE order); hoist_vars puts every
 *  `var` at the top of its function (Espruino declares a var only when its statement runs, so
 *  one inside a skipped branch could silently read an outer, mangled name); unsafe_proto turns
 *  Array.prototype.x.call into [].x.call; ascii_only keeps literals 8-bit safe. */
export const terserMinified = {
  ecma: 5,
  compress: { hoist_funs: true, hoist_vars: true, unsafe_proto: true, passes: 2, keep_fargs: true },
  mangle: true,
  format: { comments: false, ascii_only: true },
};

/** Debug: everything off except hoist_funs, names kept, beautified for readable stack traces. */
export const terserDebug = {
  ecma: 5,
  compress: {
    defaults: false,
    hoist_funs: true,
    hoist_vars: true,
  },
  mangle: false,
  format: { beautify: true, comments: false, ascii_only: true },
};

/** Replaces array holes (`[1, , 3]`) with `void 0`: Espruino's parser rejects a hole in a
 *  branch it skips. Loops because a rebuilt array may contain a nested one. */
export function fillArrayHoles(code) {
  for (let round = 0; round < 16; round++) {
    const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
    let found = null;
    walk(ast, (node) => {
      if (!found && node.type === "ArrayExpression" && node.elements.some((e) => e === null)) found = node;
    });
    if (!found) return code;
    const parts = found.elements.map((e) => (e ? code.slice(e.start, e.end) : "void 0"));
    code = code.slice(0, found.start) + "[" + parts.join(",") + "]" + code.slice(found.end);
  }
  return code;
}

function walk(node, visit) {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n.type !== "string") continue;
    visit(n);
    for (const key in n) {
      const v = n[key];
      if (Array.isArray(v)) for (const c of v) stack.push(c);
      else if (v && typeof v.type === "string") stack.push(v);
    }
  }
}

function espruinoRender() {
  return {
    name: "espruino-render",
    renderChunk(code) {
      return { code: fillArrayHoles(code), map: null };
    },
  };
}

/** Writes size.json: total bytes of the minified bundle and, per source module, its share
 *  (approximate: each module minified on its own, scaled to the bundle's total). */
function sizeReport(file, print) {
  return {
    name: "size-report",
    async generateBundle(_options, bundle) {
      const chunk = Object.values(bundle).find((c) => c.type === "chunk");
      const modules = {};
      for (const [id, info] of Object.entries(chunk.modules)) {
        if (!info.code || id.startsWith("\0")) continue;
        const out = await minify(info.code, { ...terserMinified, compress: { ...terserMinified.compress }, module: false, toplevel: false });
        modules[relative(root, id).split("\\").join("/")] = Buffer.byteLength(out.code || "");
      }
      const total = Buffer.byteLength(chunk.code);
      // Minified one by one, modules add up to more than the bundle (shared names and
      // constants fold across modules): scale the shares so they sum to the real total.
      const sum = Object.values(modules).reduce((a, b) => a + b, 0);
      if (sum > 0) for (const name of Object.keys(modules)) modules[name] = Math.round((modules[name] * total) / sum);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ total, modules }, null, 2) + "\n");
      if (print) {
        const rows = Object.entries(modules).sort((a, b) => b[1] - a[1]);
        const width = Math.max(...rows.map((r) => r[0].length), 5);
        console.log(`\n${"module".padEnd(width)}  bytes (minified, approx.)`);
        for (const [name, bytes] of rows) console.log(`${name.padEnd(width)}  ${String(bytes).padStart(6)}`);
        console.log(`${"total".padEnd(width)}  ${String(total).padStart(6)}  (${relative(root, file)})`);
      }
    },
  };
}

/**
 * A rollup config for one Espruino bundle.
 * @param {{input: string, file: string, debugFile?: string, sizeFile?: string, printSizes?: boolean, tsconfig?: string}} o
 */
export function espruinoBundle(o) {
  const output = [
    {
      file: o.file,
      format: "iife",
      strict: false,
      freeze: false, // namespace objects would call Object.freeze, which Espruino lacks
      generatedCode: "es5",
      plugins: [terser(terserMinified), espruinoRender()].concat(
        o.sizeFile ? [sizeReport(o.sizeFile, o.printSizes)] : [],
      ),
    },
  ];
  if (o.debugFile) {
    output.push({
      file: o.debugFile,
      format: "iife",
      strict: false,
      freeze: false,
      generatedCode: "es5",
      plugins: [terser(terserDebug), espruinoRender()],
    });
  }
  return {
    input: o.input,
    onwarn(warning, warn) {
      // The bundle must not depend on anything outside it: an unresolved import is fatal.
      if (warning.code === "UNRESOLVED_IMPORT") throw new Error(warning.message);
      warn(warning);
    },
    plugins: [
      typescript({
        tslib: helpers,
        tsconfig: o.tsconfig || resolve(root, "tsconfig.json"),
        noEmit: false,
        outputToFilesystem: false,
        include: ["firmware/**/*.ts", "hal/**/*.ts", "test/espruino/**/*.ts"],
        compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
      }),
    ],
    output,
  };
}
