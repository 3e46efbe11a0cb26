// The Espruino compatibility gate: proves a built bundle uses only what Espruino 2v29 has
// (docs/espruino.md: language and built-ins). It parses the bundle as ES5 and rejects the
// constructs and built-ins the interpreter lacks, each with a message naming the construct
// and its line:column. Usage: node espruino-gate.mjs FILE... (exit 1 on any finding).
import { readFileSync } from "node:fs";
import * as acorn from "acorn";

/** Globals the interpreter does not define at all. */
const MISSING_GLOBALS = new Set([
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Reflect", "Proxy", "BigInt",
  "RangeError", "Intl", "encodeURI", "decodeURI", "escape", "unescape", "queueMicrotask",
  "structuredClone", "FinalizationRegistry", "AggregateError", "SharedArrayBuffer", "Atomics",
]);

/** Static members of built-ins that are missing. */
const MISSING_STATICS = {
  Array: ["from", "of"],
  Number: ["isInteger", "isFinite", "isNaN", "isSafeInteger", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "EPSILON", "parseFloat", "parseInt"],
  Math: ["imul", "clz32", "trunc", "cbrt", "log2", "log10", "log1p", "expm1", "hypot", "fround", "sinh", "cosh", "tanh"],
  Object: ["freeze", "isFrozen", "seal", "isSealed", "preventExtensions", "isExtensible", "is", "getOwnPropertySymbols", "groupBy"],
  Promise: ["race", "allSettled", "any", "withResolvers"],
  String: ["raw", "fromCodePoint"],
  Date: ["UTC"],
  Uint8Array: ["from", "of"],
  ArrayBuffer: ["isView"],
};

/** Instance methods Espruino lacks, recognised by a name no present method shares. */
const MISSING_METHODS = new Set([
  "reduceRight", "flat", "flatMap", "findLast", "findLastIndex", "trimStart", "trimEnd",
  "trimLeft", "trimRight", "codePointAt", "matchAll", "localeCompare", "toPrecision",
  "finally", "normalize", "toSorted", "toReversed", "toSpliced", "copyWithin",
]);

/** Built-ins whose prototype methods read as undefined on Espruino. */
const BUILTIN_CONSTRUCTORS = new Set([
  "Array", "String", "Function", "Number", "Boolean", "RegExp", "Date", "Error",
  "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array",
  "Float32Array", "Float64Array", "ArrayBuffer", "DataView", "Promise",
]);

/** TypeScript helpers the pipeline does not provide: their features are unsupported. */
const UNPROVIDED_HELPERS = {
  __awaiter: "async functions", __generator: "generators or async functions",
  __values: "iteration protocol (downlevelIteration)", __read: "iteration protocol (downlevelIteration)",
  __makeTemplateObject: "tagged template literals", __asyncValues: "for await",
  __await: "async generators", __asyncGenerator: "async generators", __decorate: "decorators",
  __classPrivateFieldGet: "private class fields", __classPrivateFieldSet: "private class fields",
};

function position(code, offset) {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < code.length; i++) {
    if (code.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return `${line}:${column}`;
}

/** Post-ES5 syntax, named, with its offset. */
function modernSyntax(ast, code) {
  const out = [];
  const stack = [ast];
  while (stack.length) {
    const n = stack.pop();
    switch (n.type) {
      case "VariableDeclaration":
        if (n.kind !== "var") out.push(["let/const declaration", n.start]);
        break;
      case "ArrowFunctionExpression": out.push(["arrow function", n.start]); break;
      case "TemplateLiteral": out.push(["template literal", n.start]); break;
      case "TaggedTemplateExpression": out.push(["tagged template", n.start]); break;
      case "SpreadElement": case "RestElement": out.push(["spread or rest", n.start]); break;
      case "ChainExpression": out.push(["optional chaining", n.expression.object ? n.expression.object.end : n.start]); break;
      case "ClassDeclaration": case "ClassExpression": out.push(["class syntax", n.start]); break;
      case "ObjectPattern": case "ArrayPattern": out.push(["destructuring", n.start]); break;
      case "AssignmentPattern": out.push(["default parameter", n.start]); break;
      case "ForOfStatement": out.push(["for...of", n.start]); break;
      case "AwaitExpression": out.push(["async/await", n.start]); break;
      case "YieldExpression": out.push(["generator", n.start]); break;
      case "MetaProperty": out.push(["new.target or import.meta", n.start]); break;
      case "ImportExpression": case "ImportDeclaration": case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration": case "ExportAllDeclaration":
        out.push(["module syntax", n.start]); break;
      case "Literal":
        if (typeof n.bigint === "string") out.push(["BigInt literal", n.start]);
        break;
      case "BinaryExpression":
        if (n.operator === "**") out.push(["exponent operator", code.indexOf("**", n.left.end)]);
        break;
      case "AssignmentExpression":
        if (n.operator === "**=" || n.operator === "??=" || n.operator === "||=" || n.operator === "&&=") {
          out.push([`${n.operator} assignment`, n.start]);
        }
        break;
      case "LogicalExpression":
        if (n.operator === "??") out.push(["nullish coalescing", n.start]);
        break;
      case "Property":
        if (n.computed) out.push(["computed property key", n.start]);
        else if (n.shorthand) out.push(["shorthand property", n.start]);
        else if (n.method) out.push(["method shorthand", n.start]);
        break;
      case "FunctionDeclaration": case "FunctionExpression":
        if (n.async) out.push(["async/await", n.start]);
        else if (n.generator) out.push(["generator", n.start]);
        break;
      default:
        break;
    }
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) if (v[i] && typeof v[i].type === "string") stack.push(v[i]);
      } else if (v && typeof v.type === "string") stack.push(v);
    }
  }
  return out.sort((a, b) => a[1] - b[1]);
}

/** `var` statements that are not at the top level of their function (or the program): on
 *  Espruino such a var exists only once its statement ran (the pipeline's hoist_vars puts
 *  them all at the top). Returns [name, offset] pairs. */
function nestedVars(ast) {
  const out = [];
  const stack = [[ast, true]];
  while (stack.length) {
    const [n, topLevel] = stack.pop();
    if (n.type === "VariableDeclaration" && n.kind === "var" && !topLevel) {
      out.push([n.declarations.map((d) => (d.id.type === "Identifier" ? d.id.name : "?")).join(", "), n.start]);
    }
    for (const key of Object.keys(n)) {
      const v = n[key];
      const children = Array.isArray(v) ? v : v && typeof v.type === "string" ? [v] : [];
      for (const c of children) {
        if (!c || typeof c.type !== "string") continue;
        const functionBody = (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && key === "body";
        // The try block of a top-level try runs from its start, like the function body.
        const tryBody = n.type === "TryStatement" && key === "block" && topLevel === true;
        // The init of a top-level for (or for-in) runs whenever the loop is reached.
        const loopHead = topLevel === true && ((n.type === "ForStatement" && key === "init") || (n.type === "ForInStatement" && key === "left"));
        // Statements directly in the program or directly in a function body are top level.
        const top = (n.type === "Program" && key === "body") || (n.type === "BlockStatement" && topLevel === "function-body") || loopHead;
        stack.push([c, functionBody || tryBody ? "function-body" : top]);
      }
    }
  }
  return out;
}

function propertyName(node) {
  if (!node.computed && node.property.type === "Identifier") return node.property.name;
  if (node.computed && node.property.type === "Literal" && typeof node.property.value === "string") return node.property.value;
  return undefined;
}

function regexProblem(pattern, flags) {
  if (/[msyuv]/.test(flags)) return `regular expression flag '${flags.replace(/[gi]/g, "")}'`;
  const body = pattern.replace(/\\\\/g, "");
  if (/\(\?<?[=!]/.test(body)) return "regular expression lookaround";
  if (/\(\?</.test(body)) return "regular expression named group";
  if (/[*+?}]\?/.test(body.replace(/\\./g, ""))) return "lazy regular expression quantifier";
  if (/\\[1-9]/.test(body)) return "regular expression backreference";
  if (/\\[bB]/.test(body)) return "regular expression word boundary \\b";
  return undefined;
}

/**
 * Checks one bundle. Returns a list of findings `{ construct, line, column, message }`;
 * empty means the bundle passes.
 */
export function checkBundle(code, name = "bundle") {
  const findings = [];
  const report = (construct, offset, detail) => {
    const where = position(code, offset);
    const [line, column] = where.split(":").map(Number);
    findings.push({ construct, line, column, message: `${name}:${where}: ${construct}${detail ? ` (${detail})` : ""}` });
  };

  let ast;
  try {
    ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  } catch (e) {
    report("syntax error", typeof e.pos === "number" ? e.pos : 0, e.message.replace(/ \(\d+:\d+\)$/, ""));
    return findings;
  }
  const modern = modernSyntax(ast, code);
  if (modern.length) {
    for (const [construct, offset] of modern) report(construct, offset, "not ES5");
    return dedupe(findings);
  }
  try {
    acorn.parse(code, { ecmaVersion: 5, sourceType: "script" });
  } catch (e) {
    report("syntax newer than ES5", typeof e.pos === "number" ? e.pos : 0, e.message.replace(/ \(\d+:\d+\)$/, ""));
    return findings;
  }

  for (const [names, offset] of nestedVars(ast)) {
    report("var inside a block", offset, `var ${names}: Espruino declares it only if this statement runs; hoist it to the top of the function`);
  }

  const declared = new Set();
  const propertyKeys = new Set(); // identifiers that name a property, not a variable
  const stack = [ast];
  const nodes = [];
  while (stack.length) {
    const node = stack.pop();
    nodes.push(node);
    if (node.type === "FunctionDeclaration" && node.id) declared.add(node.id.name);
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier") declared.add(node.id.name);
    if (node.type === "MemberExpression" && !node.computed) propertyKeys.add(node.property);
    if (node.type === "Property" && !node.computed) propertyKeys.add(node.key);
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) if (value[i] && typeof value[i].type === "string") stack.push(value[i]);
      } else if (value && typeof value.type === "string") stack.push(value);
    }
  }

  for (const node of nodes) {
    switch (node.type) {
      case "LabeledStatement":
        report("labelled statement", node.start, `label '${node.label.name}': Espruino has no labelled break/continue`);
        break;
      case "ArrayExpression": {
        const holes = node.elements.filter((e) => e === null).length;
        if (holes) report("array hole", node.start, `${holes} empty slot(s): Espruino rejects them in skipped code`);
        break;
      }
      case "MemberExpression": {
        const prop = propertyName(node);
        const obj = node.object;
        if (obj.type === "MemberExpression" && propertyName(obj) === "prototype" && obj.object.type === "Identifier" &&
            BUILTIN_CONSTRUCTORS.has(obj.object.name) && prop && !declared.has(obj.object.name)) {
          report("built-in prototype access", node.start, `${obj.object.name}.prototype.${prop} reads as undefined on Espruino; use an instance`);
        }
        if (obj.type === "Identifier" && MISSING_STATICS[obj.name] && prop && MISSING_STATICS[obj.name].includes(prop) && !declared.has(obj.name)) {
          report("missing built-in", node.start, `${obj.name}.${prop} does not exist on Espruino`);
        }
        if (prop && MISSING_METHODS.has(prop) && !node.computed) {
          report("missing built-in method", node.property.start, `.${prop}() does not exist on Espruino`);
        }
        break;
      }
      case "AssignmentExpression":
        if (node.left.type === "MemberExpression" && propertyName(node.left) === "length") {
          report("length assignment", node.start, "assigning .length throws on Espruino");
        }
        break;
      case "CallExpression":
        if (node.callee.type === "Identifier" && (node.callee.name === "clearTimeout" || node.callee.name === "clearInterval") && node.arguments.length === 0) {
          report("clearTimeout without id", node.start, "clears every timer on Espruino");
        }
        break;
      case "Literal":
        if (node.regex) {
          const problem = regexProblem(node.regex.pattern, node.regex.flags);
          if (problem) report(problem, node.start, `/${node.regex.pattern}/${node.regex.flags}`);
        }
        break;
      case "NewExpression":
        if (node.callee.type === "Identifier" && node.callee.name === "RegExp" && node.arguments[1] &&
            node.arguments[1].type === "Literal" && /[msyuv]/.test(String(node.arguments[1].value))) {
          report(`regular expression flag '${node.arguments[1].value}'`, node.start);
        }
        break;
      default:
        break;
    }
  }

  // Free references: missing globals and helpers the pipeline does not inject.
  for (const node of nodes) {
    if (node.type !== "Identifier" || propertyKeys.has(node) || declared.has(node.name)) continue;
    if (MISSING_GLOBALS.has(node.name)) report("missing global", node.start, `${node.name} is not defined on Espruino`);
    else if (UNPROVIDED_HELPERS[node.name]) report("unsupported TypeScript helper", node.start, `${node.name}: ${UNPROVIDED_HELPERS[node.name]} are not supported`);
  }
  return dedupe(findings);
}

/** One finding per construct and place (a member expression can match twice). */
function dedupe(findings) {
  const seen = new Set();
  return findings
    .filter((f) => (seen.has(f.message) ? false : (seen.add(f.message), true)))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  let failed = 0;
  for (const file of files) {
    const findings = checkBundle(readFileSync(file, "utf8"), file);
    for (const f of findings) console.error(f.message);
    if (findings.length) failed++;
    else console.log(`espruino gate: ${file} ok`);
  }
  if (!files.length) {
    console.error("usage: espruino-gate.mjs FILE...");
    process.exitCode = 2;
  } else if (failed) process.exitCode = 1;
}
