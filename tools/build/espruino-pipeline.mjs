// The one build pipeline for everything that must run on Espruino 2v29: TypeScript to ES5
// with our own helpers (firmware/ts-helpers.js), one IIFE, terser settings that keep it runnable
// (docs/espruino.md, "The build pipeline"). rollup.config.mjs, the interpreter smoke test and
// the benchmarks all build through here so they test what ships.
import { writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { minify } from "terser";
import * as acorn from "acorn";
import { checkBundle } from "./espruino-gate.mjs";
import { SHORT_PROPERTIES, isClientModule, markProperties, shortenProperties } from "./short-properties.mjs";
import { applyEdits } from "./source-edits.mjs";

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
  mangle: { keep_fnames: /\$\$af$/ },
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

/**
 * Emulates JavaScript's var hoisting, which Espruino lacks (docs/espruino.md): a `var` that
 * is not in its function's prologue (the leading run of var statements and function
 * declarations) is declared at the top of the function instead, and where it stood only the
 * assignment remains: `if (a) { var x = f(); }` becomes `var x; ... if (a) { x = f(); }`, and
 * `for (var i = 0; ...)` becomes `for (i = 0; ...)`. Both compilers produce such vars from
 * plain code: TypeScript for every block-level let/const, terser's if_return for
 * `if (!a) return; var x...` (-> `if (a) { var x... }`), and terser's inlining appends the
 * inlined function's `var r,e,t;` AFTER the return, where Espruino never declares them, so the
 * inlined code overwrote same-named variables of the enclosing functions (measured: a probe's
 * own check function replaced by a string). Parameters are left alone: `var p;` would reset
 * a parameter on Espruino, and a `var p` in the body names that parameter anyway.
 */
export function hoistVars(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const edits = [];
  const scopes = [];
  const inPlace = new Set();
  const stack = [[ast, null]];
  while (stack.length) {
    const [n, scope] = stack.pop();
    let own = scope;
    if (n.type === "Program" || n.type === "FunctionDeclaration" || n.type === "FunctionExpression") {
      const params = new Set((n.params || []).filter((p) => p.type === "Identifier").map((p) => p.name));
      const body = n.type === "Program" ? n.body : n.body.body;
      own = { at: n.type === "Program" ? 0 : n.body.start + 1, params, names: [] };
      scopes.push(own);
      for (const statement of body) {
        if (statement.type === "VariableDeclaration" && statement.kind === "var") inPlace.add(statement);
        else if (statement.type !== "FunctionDeclaration" && !(statement.type === "ExpressionStatement" && statement.directive)) break;
      }
    }
    if (n.type === "VariableDeclaration" && n.kind === "var" && !inPlace.has(n) && n.declarations.every((d) => d.id.type === "Identifier")) {
      for (const d of n.declarations) if (!own.params.has(d.id.name)) own.names.push([d.start, d.id.name]);
      edits.push([n.start, n.declarations[0].start, ""]);
    }
    for (const c of childNodes(n)) stack.push([c, own]);
  }
  for (const scope of scopes) {
    // In source order, each name once (the walk visits children last-first).
    const names = scope.names.sort((a, b) => a[0] - b[0]).map((entry) => entry[1]).filter((name, i, all) => all.indexOf(name) === i);
    if (names.length) edits.push([scope.at, scope.at, "var " + names.join(",") + ";"]);
  }
  return applyEdits(code, edits);
}

/**
 * For the minified bundles: the parameters of a leaf function become locals read from
 * `arguments`, so `function(e,t){...}` is `function(){var e=arguments[0],
 * t=arguments[1];...}`. Espruino keeps a name variable per parameter in every function object
 * for as long as it lives (measured on the classic ESP32's pool: 4 JsVars for a function with
 * none, one more per parameter); the locals exist only while a call runs, as the parameters
 * did. A call costs a little more time (the `arguments` array).
 * Only such leaf functions: Espruino makes `arguments` when a function first names it and
 * keeps it in that function's scope, and a function nested in it that names `arguments` then
 * finds the outer one (measured: the outer call's values). A factory's scope outlives its call
 * in its closures, which would keep the array too. So a function is rewritten only when every
 * function it defines is called on the spot (terser writes a helper it pastes as
 * `function(a){...}(x)`) and names no `arguments`, no enclosing function names `arguments`,
 * and it does not itself. Left alone too: a function called on the spot (its object goes with
 * the call, so its parameters cost nothing that lasts), a setter, and a function whose own
 * `var` reuses a parameter's name.
 */
export function paramsFromArguments(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const edits = [];
  // [node, parent, an enclosing function names `arguments`]
  const stack = [[ast, null, false]];
  while (stack.length) {
    const [n, parent, outerArguments] = stack.pop();
    const isFunction = n.type === "FunctionDeclaration" || n.type === "FunctionExpression";
    const facts = isFunction ? ownFacts(n) : undefined;
    const converted = !!facts && !outerArguments && n.params.length > 0 && convertible(n, parent, facts);
    if (converted) {
      const names = n.params.map((p) => p.name);
      edits.push([n.params[0].start, n.params[n.params.length - 1].end, ""]);
      edits.push([n.body.start + 1, n.body.start + 1, "var " + names.map((name, i) => name + "=arguments[" + i + "]").join(",") + ";"]);
    }
    const inner = outerArguments || converted || (facts ? facts.namesArguments : false);
    for (const c of childNodes(n)) stack.push([c, n, inner]);
  }
  return applyEdits(code, edits);
}

/**
 * For the minified bundles, before terser: every call to a function that defines functions
 * (a factory) gets the annotation `@__NOINLINE__`, so terser does not paste a factory called
 * once into its caller. Pasted, the factory's closures sit two or more scopes deep, and
 * Espruino gives each such closure its own copy of the scope chain (an array and a name per
 * level: 3 JsVars more at two levels, 4 at three); a closure of a top-level function only
 * points at that function's scope. Left apart, the factory is a top-level function, which in
 * the warm code releaseBootOnly drops after boot. Functions that define none are still pasted.
 */
export function keepFactoriesApart(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const factories = new Set();
  walk(ast, (n) => {
    if (n.type === "FunctionDeclaration" && ownFacts(n).definesFunction) factories.add(n.id.name);
  });
  const edits = [];
  walk(ast, (n) => {
    if (n.type === "CallExpression" && n.callee.type === "Identifier" && factories.has(n.callee.name)) edits.push([n.start, n.start, "/*@__NOINLINE__*/"]);
  });
  return applyEdits(code, edits);
}

/**
 * The backoff's functions (the modules below: delays, the failure verdict, the fleet's
 * spreads) allocate nothing per call on the device either: before terser, markAllocationFree
 * gives each the suffix ALLOCATION_FREE (kept through mangling) and `@__NOINLINE__` on its
 * calls, so terser does not paste one into a caller as a function called on the spot; after
 * it, pasteHelpersIntoCalls pastes into them and pastes them only as expressions, and
 * shortenAllocationFree fails the build if one makes a function, then gives them short
 * names.
 */
export const ALLOCATION_FREE_MODULES = ["firmware/policy/backoff.ts", "firmware/policy/classify.ts", "firmware/policy/fleet.ts"];
const ALLOCATION_FREE = "$$af";

/** The names of the functions the allocation-free modules declare at their top level (read
 *  once per build, not per bundle). */
let allocationFreeNamesRead;
export function allocationFreeNames() {
  if (allocationFreeNamesRead) return allocationFreeNamesRead;
  const names = new Set();
  for (const file of ALLOCATION_FREE_MODULES) {
    for (const m of readFileSync(resolve(root, file), "utf8").matchAll(/^(?:export )?function (\w+)\(/gm)) names.add(m[1]);
  }
  allocationFreeNamesRead = names;
  return names;
}

/** Before terser: each function declared at a module's level (the script's or the bundle
 *  wrapper's) under one of names (rollup may add `$1`) gets the ALLOCATION_FREE suffix, and
 *  its calls `@__NOINLINE__`. */
export function markAllocationFree(code, names) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const edits = [];
  for (const t of helperUses(ast)) {
    if (t.depth > 1 || !names.has(t.fn.id.name.replace(/\$\d+$/, ""))) continue;
    const to = t.fn.id.name + ALLOCATION_FREE;
    edits.push([t.fn.id.start, t.fn.id.end, to]);
    for (const r of t.refs) edits.push([r.start, r.end, to]);
    for (const c of t.calls) edits.push([c.call.start, c.call.start, "/*@__NOINLINE__*/"]);
  }
  return applyEdits(code, edits);
}

/** Whether a function (node) is one markAllocationFree named. */
function allocationFree(fn) {
  return !!fn.id && fn.id.name.endsWith(ALLOCATION_FREE);
}

/** After pasting: a build error if an allocation-free function makes a function. Then each
 *  gets a short name of its own (the suffixed one would cost the name a second JsVar). */
export function shortenAllocationFree(code) {
  if (!code.includes(ALLOCATION_FREE)) return code;
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const used = identifierNames(ast);
  const edits = [];
  walk(ast, (n) => {
    if ((n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && allocationFree(n)) {
      walk(n.body, (inner) => {
        if (inner.type === "FunctionExpression" || inner.type === "FunctionDeclaration") throw new Error("allocation-free: " + n.id.name + " makes a function on each call");
      });
    }
  });
  const short = new Map();
  let i = 0;
  walk(ast, (n) => {
    if (n.type !== "Identifier" || !n.name.endsWith(ALLOCATION_FREE)) return;
    if (!short.has(n.name)) {
      while (used.has("$af" + i)) i++;
      short.set(n.name, "$af" + i++);
    }
    edits.push([n.start, n.end, short.get(n.name)]);
  });
  return applyEdits(code, edits);
}

/**
 * For the minified warm bundle, after flattenIife: the top-level functions that only the boot
 * calls (the factories, the configuration loader) are set to undefined once the warm code has
 * run, so their function objects go (4 JsVars each and one per parameter; the name stays).
 * "Only the boot calls": every reference is a call made by the top-level statements
 * themselves (inside a function called on the spot included) or by another such function. A
 * reference inside any other function (a closure, a method, a callback) or one that is not a
 * call (the function handed on as a value) keeps it. The warm code's names carry a prefix no
 * other identifier has (flattenIife), so nothing shadows them.
 */
export function releaseBootOnly(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const top = new Map();
  for (const s of ast.body) if (s.type === "FunctionDeclaration") top.set(s.id.name, s);
  const refs = new Map([...top.keys()].map((name) => [name, []]));
  // [node, parent, the innermost enclosing function not called on the spot (null: the top level)]
  const stack = [[ast, null, null]];
  while (stack.length) {
    const [n, parent, fn] = stack.pop();
    if (n.type === "Identifier" && refs.has(n.name) && !isDeclarationOrKey(n, parent)) {
      refs.get(n.name).push({ call: !!parent && parent.type === "CallExpression" && parent.callee === n, fn });
    }
    let inner = fn;
    if (n.type === "FunctionDeclaration") inner = n;
    else if (n.type === "FunctionExpression" && !(parent && parent.type === "CallExpression" && parent.callee === n)) inner = n;
    for (const c of childNodes(n)) stack.push([c, n, inner]);
  }
  const boot = new Set(top.keys());
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of [...boot]) {
      const only = refs.get(name).length > 0 && refs.get(name).every((r) => r.call && (r.fn === null || (r.fn.type === "FunctionDeclaration" && top.get(r.fn.id.name) === r.fn && boot.has(r.fn.id.name))));
      if (!only) {
        boot.delete(name);
        changed = true;
      }
    }
  }
  if (boot.size === 0) return code;
  return code.replace(/\s*$/, "") + "\n;" + [...boot].sort().join("=") + "=void 0;\n";
}

/**
 * For the minified warm bundle, after flattenIife: helpers go into their calls, so their
 * function objects (4 JsVars and a name each, a scope more for a closure) do not live for the
 * whole run. A helper is a function declared in the script or in a function (a factory's
 * private helpers too), used only by calls, resolved by ES5 scoping.
 * - A helper whose body is one `return EXPR` or one expression statement (assigning none of
 *   its parameters): each call becomes that expression with the arguments in place, wherever
 *   the calls are (an argument other than a name or a literal goes through a new var of the
 *   calling function).
 * - Any other helper whose calls are all inside functions and none inside a loop: each call's
 *   callee becomes the helper as a function expression, `(function(a){...})(x)`, whose object
 *   lives only while the call runs (made again at each call, so never in a loop).
 * - Otherwise (in a loop, say) each calling function that makes no closure gets it as its
 *   wrapper's parameter (pasteAsLocal).
 * Each copy beyond the first costs flash: at most PASTE_BYTES per helper, so a helper called
 * from many places stays one function. Into and out of the backoff's functions (see
 * markAllocationFree) only the first way goes, which makes no function. Left alone: a helper used other than by calls, one
 * that defines a function (other than one called on the spot) or names `this`, `arguments`
 * or itself, and one that uses a name a scope between it and a call declares (there, it
 * would read that one). One helper per round, so a pasted one is seen afresh.
 */
const PASTE_BYTES = 400;

export function pasteHelpersIntoCalls(code) {
  for (let round = 0; round < 200; round++) {
    const next = pasteOneHelper(code);
    if (next === code) return code;
    code = next;
  }
  return code;
}

function pasteOneHelper(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  for (const t of helperUses(ast)) {
    if (t.other || t.calls.length === 0 || t.calls.some((c) => c.fns.includes(t.fn))) continue;
    const free = freeNames(t.fn, t.fn.id.name);
    if (!free || t.calls.some((c) => c.between.some((names) => [...names].some((d) => free.has(d))))) continue;
    const allocates = !allocationFree(t.fn) && !t.calls.some((c) => c.fns.some(allocationFree));
    const edits = inlineReturn(code, t, ast) || (allocates && (pasteCalledOnTheSpot(code, t) || pasteAsLocal(code, t, ast)));
    if (edits) return applyEdits(code, edits.concat([[t.fn.start, t.fn.end, ""]]));
  }
  return code;
}

/**
 * Every function declared in the script's or a function's own code (and nowhere else in that
 * scope under the same name), with each reference to it, resolved by ES5 scoping: `calls`
 * ({ call, fns: the functions around it outermost first, inLoop: inside a loop of the
 * innermost, between: the names of each scope from the declaring one's inside to the call,
 * catch clauses included }), `other` (any other reference) and `refs` (every referring
 * identifier). `owner` is the declaring function, null for the script; `depth` its nesting.
 */
function helperUses(ast) {
  const helpers = [];
  const scopeOf = (owner, names, depth) => {
    const own = new Map();
    const body = owner ? owner.body.body : ast.body;
    const count = new Map();
    const seen = (name) => count.set(name, (count.get(name) || 0) + 1);
    if (owner) for (const p of owner.params) if (p.type === "Identifier") seen(p.name);
    walkOwnCode(owner ? owner.body : ast, (n) => {
      if (n.type === "VariableDeclarator" && n.id.type === "Identifier") seen(n.id.name);
      if (n.type === "FunctionDeclaration") seen(n.id.name);
    });
    for (const s of body) {
      if (s.type === "FunctionDeclaration" && count.get(s.id.name) === 1) {
        const t = { fn: s, owner: owner, depth: depth, calls: [], other: false, refs: [] };
        own.set(s.id.name, t);
        helpers.push(t);
      }
    }
    return { names: names, helpers: own };
  };
  const program = { params: [], body: ast };
  const visit = (n, parent, scopes, fns, inLoop) => {
    if (!n || typeof n.type !== "string") return;
    switch (n.type) {
      case "Identifier": {
        if (isDeclarationOrKey(n, parent)) return;
        let i = scopes.length - 1;
        while (i >= 0 && !scopes[i].names.has(n.name)) i--;
        const t = i >= 0 && scopes[i].helpers && scopes[i].helpers.get(n.name);
        if (!t) return;
        t.refs.push(n);
        if (parent.type === "CallExpression" && parent.callee === n) t.calls.push({ call: parent, fns: fns, inLoop: inLoop, between: scopes.slice(i + 1).map((s) => s.names) });
        else t.other = true;
        return;
      }
      case "MemberExpression":
        visit(n.object, n, scopes, fns, inLoop);
        if (n.computed) visit(n.property, n, scopes, fns, inLoop);
        return;
      case "Property":
        if (n.computed) visit(n.key, n, scopes, fns, inLoop);
        visit(n.value, n, scopes, fns, inLoop);
        return;
      case "FunctionDeclaration":
      case "FunctionExpression": {
        const names = functionNames(n);
        if (n.type === "FunctionExpression" && n.id) names.add(n.id.name);
        const inner = scopes.concat([scopeOf(n, names, fns.length + 1)]);
        visit(n.body, n, inner, fns.concat([n]), false);
        return;
      }
      case "CatchClause":
        visit(n.body, n, n.param ? scopes.concat([{ names: new Set([n.param.name]) }]) : scopes, fns, inLoop);
        return;
      default: {
        const loop = inLoop || /^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(n.type);
        for (const c of childNodes(n)) visit(c, n, scopes, fns, loop);
      }
    }
  };
  visit(ast, null, [scopeOf(null, functionNames(program), 0)], [], false);
  return helpers;
}

/** Every identifier's name in a tree: a name made up for it must not be among them. */
function identifierNames(node) {
  const names = new Set();
  walk(node, (n) => {
    if (n.type === "Identifier") names.add(n.name);
  });
  return names;
}

/** Visits the nodes of a function's own code: not those of the functions inside it. */
function walkOwnCode(body, visit) {
  const stack = [body];
  while (stack.length) {
    const n = stack.pop();
    visit(n);
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") continue;
    stack.push(...childNodes(n));
  }
}

/** A helper that only returns an expression: each call becomes the expression with the
 *  arguments in place of the parameters (none may be assigned to; a loop is no obstacle).
 *  A name or a literal goes in as it is; any other argument is first assigned, in order, to a
 *  fresh `var` of the calling function, as a call would evaluate it: `(__h0=(a+1),EXPR)`. Such
 *  a call must be inside a function whose scope dies with its call (one that makes no
 *  closure), so the var holds nothing after it. Returns the edits, or null. */
function inlineReturn(code, t, ast) {
  const body = t.fn.body.body;
  if (body.length !== 1) return null;
  // `return EXPR`, or `EXPR;` whose calls then give undefined: `(EXPR,void 0)`.
  const returned = body[0].type === "ReturnStatement";
  if (!(returned ? body[0].argument : body[0].type === "ExpressionStatement")) return null;
  const params = t.fn.params.map((p) => p.name);
  if (!t.fn.params.every((p) => p.type === "Identifier")) return null;
  const expr = returned ? body[0].argument : body[0].expression;
  const simple = (a) => a.type === "Identifier" || (a.type === "Literal" && !a.regex);
  for (const c of t.calls) {
    if (c.call.arguments.length > params.length || c.call.arguments.some((a) => a.type === "SpreadElement")) return null;
    if (c.call.arguments.every(simple)) continue;
    const caller = c.fns[c.fns.length - 1];
    if (!caller || !onlyCallsOnTheSpot(caller)) return null;
    // One call inside another's arguments: the edits would overlap.
    if (t.calls.some((o) => o !== c && o.call.start >= c.call.start && o.call.end <= c.call.end)) return null;
  }
  // Where each parameter appears in the expression; a nested function or an assignment to a
  // parameter rules the helper out.
  const uses = [];
  const stack = [[expr, body[0]]];
  while (stack.length) {
    const [n, parent] = stack.pop();
    if (n.type === "FunctionExpression" || n.type === "FunctionDeclaration") return null;
    if ((n.type === "AssignmentExpression" && n.left.type === "Identifier" && params.includes(n.left.name)) ||
      (n.type === "UpdateExpression" && n.argument.type === "Identifier" && params.includes(n.argument.name))) return null;
    if (n.type === "Identifier" && params.includes(n.name) && !isDeclarationOrKey(n, parent)) uses.push(n);
    for (const c of childNodes(n)) stack.push([c, n]);
  }
  const text = code.slice(expr.start, expr.end);
  if ((t.calls.length - 1) * text.length > PASTE_BYTES) return null;
  const taken = identifierNames(ast);
  let fresh = 0;
  const newName = () => {
    while (taken.has("__h" + fresh)) fresh++;
    return "__h" + fresh++;
  };
  const edits = [];
  const declare = new Map(); // calling function -> its new vars
  for (const c of t.calls) {
    const assigned = [];
    const value = c.call.arguments.map((a) => {
      // A literal in parentheses: `5.toFixed()` would not parse.
      if (simple(a)) return a.type === "Literal" ? "(" + code.slice(a.start, a.end) + ")" : code.slice(a.start, a.end);
      const name = newName();
      assigned.push(name + "=(" + code.slice(a.start, a.end) + ")");
      const caller = c.fns[c.fns.length - 1];
      if (!declare.has(caller)) declare.set(caller, []);
      declare.get(caller).push(name);
      return name;
    });
    const local = uses.map((u) => {
      const i = params.indexOf(u.name);
      return [u.start - expr.start, u.end - expr.start, i < value.length ? value[i] : "(void 0)"];
    });
    edits.push([c.call.start, c.call.end, "(" + assigned.map((x) => x + ",").join("") + applyEdits(text, local) + (returned ? "" : ",void 0") + ")"]);
  }
  for (const [caller, names] of declare) edits.push([caller.body.start + 1, caller.body.start + 1, "var " + names.join(",") + ";"]);
  return edits;
}

/** A helper called only from inside functions, never inside a loop, whose copies fit
 *  PASTE_BYTES: each call's callee becomes the helper as a function expression. Returns the
 *  edits, or null. */
function pasteCalledOnTheSpot(code, t) {
  if (t.calls.some((c) => c.inLoop || c.fns.length === 0)) return null;
  const text = "(function" + code.slice(t.fn.id.end, t.fn.end) + ")";
  if ((t.calls.length - 1) * text.length > PASTE_BYTES) return null;
  return t.calls.map((c) => [c.call.callee.start, c.call.callee.end, text]);
}

/** A helper called in a loop, or more than once: each function that calls it (making no
 *  closure, naming neither `this` nor `arguments`) runs its code inside a function called on
 *  the spot that receives the helper, made at each call: `{return function(__l0){BODY}(
 *  function(a){...})}`. The helper lives while the calling function runs; no scope holds it
 *  but the wrapper's, so no cycle is left for the collector (as `var __l0=` would). Returns
 *  the edits, or null. */
function pasteAsLocal(code, t, ast) {
  const callers = new Map();
  for (const c of t.calls) {
    const f = c.fns[c.fns.length - 1];
    // The wrapper takes f's declarations: a helper of f's own would no longer see them.
    if (!f || f === t.owner || !onlyCallsOnTheSpot(f)) return null;
    const facts = ownFacts(f);
    if (facts.namesThis || facts.namesArguments) return null;
    if (!callers.has(f)) callers.set(f, []);
    callers.get(f).push(c);
  }
  const text = "function" + code.slice(t.fn.id.end, t.fn.end);
  if ((callers.size - 1) * text.length > PASTE_BYTES) return null;
  const taken = identifierNames(ast);
  let fresh = 0;
  const edits = [];
  for (const [f, calls] of callers) {
    while (taken.has(PASTED_LOCAL + fresh)) fresh++;
    const name = PASTED_LOCAL + fresh++;
    edits.push([f.body.start + 1, f.body.start + 1, "return function(" + name + "){"]);
    edits.push([f.body.end - 1, f.body.end - 1, "}(" + text + ")"]);
    for (const c of calls) edits.push([c.call.callee.start, c.call.callee.end, name]);
  }
  return edits;
}

/** The prefix of the parameters pasteAsLocal gives its wrappers (no other identifier of a
 *  bundle has it). */
const PASTED_LOCAL = "__l";

/** The names a helper uses but does not declare, or null when it cannot be pasted (it defines
 *  a function other than one called on the spot, or names `this`, `arguments` or itself). */
function freeNames(fn, name) {
  const free = new Set();
  // [node, parent, the names declared by the helper and the functions inside it around node]
  // (a catch parameter is not among them: used, it counts as free, which is only stricter)
  const stack = [[fn.body, fn, functionNames(fn)]];
  while (stack.length) {
    const [n, parent, own] = stack.pop();
    if (n.type === "ThisExpression") return null;
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") {
      if (!diesWithItsCaller(n, parent)) return null;
      const inner = new Set([...own, ...functionNames(n)]);
      stack.push([n.body, n, inner]);
      continue;
    }
    if (n.type === "Identifier" && !isDeclarationOrKey(n, parent)) {
      if (n.name === "arguments" || n.name === name) return null;
      if (!own.has(n.name)) free.add(n.name);
    }
    for (const c of childNodes(n)) stack.push([c, n, own]);
  }
  return free;
}

/** Whether an identifier is a declaration's own name or a property name, not a reference. */
function isDeclarationOrKey(id, parent) {
  if (!parent) return false;
  if ((parent.type === "FunctionDeclaration" || parent.type === "FunctionExpression") && (parent.id === id || parent.params.includes(id))) return true;
  if (parent.type === "MemberExpression" && parent.property === id && !parent.computed) return true;
  return parent.type === "Property" && parent.key === id && !parent.computed;
}

/** What paramsFromArguments and pasteAsLocal need of a function's own code (nested functions
 *  excluded): whether it names `arguments` or `this`, defines a function, declares a var
 *  named as a parameter. */
function ownFacts(fn) {
  const params = new Set(fn.params.map((p) => p.name));
  const facts = { namesArguments: false, namesThis: false, definesFunction: false, varIsParameter: false };
  const stack = [fn.body];
  while (stack.length) {
    const n = stack.pop();
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") {
      facts.definesFunction = true;
      continue;
    }
    if (n.type === "Identifier" && n.name === "arguments") facts.namesArguments = true;
    if (n.type === "ThisExpression") facts.namesThis = true;
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier" && params.has(n.id.name)) facts.varIsParameter = true;
    stack.push(...childNodes(n));
  }
  return facts;
}

/** Whether paramsFromArguments may rewrite fn (see there). */
function convertible(fn, parent, facts) {
  if (facts.namesArguments || facts.varIsParameter || calledOnTheSpot(fn, parent)) return false;
  if (facts.definesFunction && !onlyCallsOnTheSpot(fn)) return false;
  if (parent && parent.type === "Property" && (parent.kind === "get" || parent.kind === "set")) return false;
  if (!fn.params.every((p) => p.type === "Identifier")) return false;
  if (new Set(fn.params.map((p) => p.name)).size !== fn.params.length) return false;
  const first = fn.body.body[0];
  return !(first && first.type === "ExpressionStatement" && first.directive);
}

/** Whether fn is called where it is defined, `function(a){...}(x)`, as terser writes a helper
 *  it pastes into its caller: the function object is gone when the call returns. */
function calledOnTheSpot(fn, parent) {
  return !!parent && parent.type === "CallExpression" && parent.callee === fn;
}

/** Whether fn's object dies with the call of the function around it: called on the spot, or a
 *  helper pasteAsLocal hands to its wrapper, which only ever calls it. */
function diesWithItsCaller(fn, parent) {
  if (calledOnTheSpot(fn, parent)) return true;
  if (!parent || parent.type !== "CallExpression" || parent.callee.type !== "FunctionExpression") return false;
  const i = parent.arguments.indexOf(fn);
  const param = i >= 0 ? parent.callee.params[i] : undefined;
  return !!param && param.type === "Identifier" && param.name.startsWith(PASTED_LOCAL);
}

/** Whether every function defined inside fn is called on the spot and none names
 *  `arguments`: then nothing outlives fn's call with its scope, and fn is as good as a leaf. */
function onlyCallsOnTheSpot(fn) {
  const stack = [[fn.body, fn]];
  while (stack.length) {
    const [n, parent] = stack.pop();
    if ((n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && !diesWithItsCaller(n, parent)) return false;
    if (n.type === "Identifier" && n.name === "arguments") return false;
    for (const c of childNodes(n)) stack.push([c, n]);
  }
  return true;
}

/** The nodes directly under an acorn node, in key order. */
function childNodes(n) {
  const out = [];
  for (const key of Object.keys(n)) {
    const v = n[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") out.push(c);
    } else if (v && typeof v.type === "string") out.push(v);
  }
  return out;
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

/**
 * For the application's warm bundle: `!function(){BODY}();` becomes BODY, run at the top level
 * of the boot stub. Espruino gives a function defined inside two or more nested scopes its own
 * copy of the scope chain (an array and a name per level, about 3 JsVars), and one defined at
 * the top level no scope at all; the wrapper made every closure of every factory pay that
 * copy (measured on the classic ESP32's pool: about 590 JsVars after boot). The wrapper's own
 * names become globals, so each is renamed with a prefix no identifier of the bundle starts
 * with ("$" unless taken): a name typed at the REPL (`i`, `t`, `e`) cannot overwrite the
 * client's, nor can the client shadow a pin or a built-in.
 */
export function flattenIife(code) {
  code = inlineConstants(code);
  const fn = wrapperOf(code);
  const used = identifierNames(fn);
  let prefix = "$";
  while ([...used].some((name) => name.startsWith(prefix))) prefix += "$";
  const edits = topReferences(fn).map((r) => [r.id.start, r.id.end, prefix + r.id.name]);
  const body = fn.body;
  return applyEdits(code, edits).slice(body.start + 1, body.end - 1 + edits.length * prefix.length).replace(/\s*$/, "") + "\n";
}

/**
 * For the warm bundle, after flattenIife: a class as terser leaves it,
 * `var N=function(){function C(){...}return C.prototype.m=function(){...},...,C}()`, becomes
 * the top-level `function N(){...}` and `var N=(N.prototype.m=function(){...},...,N)`, the
 * methods made at the same moment as before. Defined at the top level, the methods have no
 * scope; inside the IIFE each had one, and the IIFE's scope lived as long as the class (about
 * 10 JsVars for the connection policy's 12 methods). Any other shape is left as it is.
 */
export function flattenClasses(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const edits = [];
  for (const s of ast.body) {
    if (s.type !== "VariableDeclaration") continue;
    for (const d of s.declarations) {
      const cls = classIife(d);
      if (!cls) continue;
      const name = d.id.name;
      // The constructor's name as the IIFE resolves it (a method's own `var C` is another).
      const renames = topReferences(cls.fn).filter((r) => r.id.name === cls.ctor.id.name);
      const text = (node) => applyEdits(code.slice(node.start, node.end),
        renames.filter((r) => r.id.start >= node.start && r.id.end <= node.end).map((r) => [r.id.start - node.start, r.id.end - node.start, name]));
      edits.push([s.start, s.start, text(cls.ctor) + "\n"]);
      edits.push([d.init.start, d.init.end, "(" + text(cls.result) + ")"]);
    }
  }
  return applyEdits(code, edits);
}

/** The parts of `var N=function(){function C(){...}return ...,C}()` (undefined for another
 *  declarator): the IIFE, the constructor and the returned expression. */
function classIife(d) {
  const call = d.init;
  if (d.id.type !== "Identifier" || !call || call.type !== "CallExpression" || call.arguments.length !== 0) return undefined;
  const fn = call.callee;
  if (fn.type !== "FunctionExpression" || fn.params.length !== 0 || fn.id) return undefined;
  const body = fn.body.body;
  if (body.length !== 2 || body[0].type !== "FunctionDeclaration" || body[1].type !== "ReturnStatement" || !body[1].argument) return undefined;
  const ctor = body[0];
  const result = body[1].argument;
  const last = result.type === "SequenceExpression" ? result.expressions[result.expressions.length - 1] : result;
  if (last.type !== "Identifier" || last.name !== ctor.id.name) return undefined;
  return { fn: fn, ctor: ctor, result: result };
}

/** The function of a `!function(){...}()` bundle (acorn nodes, positions in code). */
function wrapperOf(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const statement = ast.body.length === 1 ? ast.body[0] : undefined;
  let call = statement && statement.type === "ExpressionStatement" ? statement.expression : undefined;
  if (call && call.type === "UnaryExpression" && call.operator === "!") call = call.argument;
  const fn = call && call.type === "CallExpression" && call.arguments.length === 0 ? call.callee : undefined;
  if (!fn || fn.type !== "FunctionExpression" || fn.params.length !== 0 || fn.id) {
    throw new Error("flatten: expected the bundle to be one `!function(){...}()` statement");
  }
  return fn;
}

/**
 * Every identifier that names one of fn's own declarations (ES5 scoping: functions and catch
 * clauses), with its parent node and whether it sits in fn's own code (not a nested function).
 */
function topReferences(fn) {
  const found = [];
  const resolve = (scopes, name) => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i].names.has(name)) return scopes[i];
    return undefined;
  };
  const refer = (scopes, id, parent) => {
    const scope = resolve(scopes, id.name);
    if (scope && scope.top) found.push({ id, parent, direct: scopes[scopes.length - 1].top });
  };
  const visit = (n, scopes, parent) => {
    if (!n || typeof n.type !== "string") return;
    switch (n.type) {
      case "Identifier":
        refer(scopes, n, parent);
        return;
      case "MemberExpression":
        visit(n.object, scopes, n);
        if (n.computed) visit(n.property, scopes, n);
        return;
      case "Property":
        if (n.computed) visit(n.key, scopes, n);
        visit(n.value, scopes, n);
        return;
      case "FunctionDeclaration":
      case "FunctionExpression": {
        // A declaration's name belongs to the enclosing scope, an expression's to its own.
        if (n.type === "FunctionDeclaration") refer(scopes, n.id, n);
        const own = { names: functionNames(n), top: n === fn };
        if (n.type === "FunctionExpression" && n.id) own.names.add(n.id.name);
        const inner = scopes.concat([own]);
        for (const p of n.params) visit(p, inner, n);
        visit(n.body, inner, n);
        return;
      }
      case "CatchClause": {
        const inner = n.param ? scopes.concat([{ names: new Set([n.param.name]), top: false }]) : scopes;
        visit(n.body, inner, n);
        return;
      }
      case "BreakStatement":
      case "ContinueStatement":
        if (n.label) throw new Error("flatten: labels are not expected in the bundle");
        return;
      case "LabeledStatement":
        throw new Error("flatten: labels are not expected in the bundle");
      default:
        for (const key of Object.keys(n)) {
          const v = n[key];
          if (Array.isArray(v)) for (const c of v) visit(c, scopes, n);
          else if (v && typeof v.type === "string") visit(v, scopes, n);
        }
    }
  };
  visit(fn, [], null);
  return found;
}

/** A literal worth copying into each use: a number, a boolean, undefined, or a short string. */
function constantText(code, e) {
  if (e.type === "Literal" && typeof e.value === "number") return code.slice(e.start, e.end);
  if (e.type === "Literal" && typeof e.value === "string" && e.value.length <= 40) return code.slice(e.start, e.end);
  if (e.type === "UnaryExpression" && (e.operator === "-" || e.operator === "!" || e.operator === "void") && e.argument.type === "Literal" && typeof e.argument.value === "number") {
    return "(" + code.slice(e.start, e.end) + ")";
  }
  return undefined;
}

/**
 * The warm bundle's named constants (terser leaves `Kt=10`, `Bi="azdevice.json"` when a
 * literal is longer than its name) each cost a JsVar or two for as long as the board runs
 * once they are globals. A name of the wrapper assigned exactly once, by `=` in the wrapper's
 * own top-level code, to a number, a boolean, undefined or a short string (used at most four
 * times), is replaced by that literal where it is read, and its assignment and declaration go.
 */
export function inlineConstants(code) {
  let fn = wrapperOf(code);
  const byName = new Map();
  const refs = topReferences(fn);
  for (const r of refs) {
    const entry = byName.get(r.id.name) || { reads: [], writes: [], declared: 0 };
    const p = r.parent;
    if (p && p.type === "AssignmentExpression" && p.left === r.id) entry.writes.push(r);
    else if (p && p.type === "UpdateExpression") entry.writes.push(r, r);
    else if (p && p.type === "VariableDeclarator" && p.id === r.id) {
      if (p.init) entry.writes.push(r);
      else entry.declared++;
    } else if (p && (p.type === "FunctionDeclaration" && p.id === r.id)) entry.writes.push(r, r);
    else entry.reads.push(r);
    byName.set(r.id.name, entry);
  }
  const constants = new Map();
  for (const [name, e] of byName) {
    if (e.writes.length !== 1 || !e.writes[0].direct) continue;
    const w = e.writes[0].parent;
    const text = w.type === "AssignmentExpression" && w.operator === "=" ? constantText(code, w.right) : w.type === "VariableDeclarator" ? constantText(code, w.init) : undefined;
    if (text === undefined || (text.charAt(0) === '"' || text.charAt(0) === "'") && e.reads.length > 4) continue;
    constants.set(name, text);
  }
  if (!constants.size) return code;
  // Reads first (disjoint ranges), then, on the new text, the writes and the declarations.
  // `(5).toFixed(1)`, not `5.toFixed(1)`: a literal in front of a member is parenthesised.
  const literalFor = (r) => (r.parent && r.parent.type === "MemberExpression" && r.parent.object === r.id ? "(" + constants.get(r.id.name) + ")" : constants.get(r.id.name));
  code = applyEdits(code, refs.filter((r) => constants.has(r.id.name) && byName.get(r.id.name).reads.includes(r)).map((r) => [r.id.start, r.id.end, literalFor(r)]));
  fn = wrapperOf(code);
  const drop = new Set();
  for (const r of topReferences(fn)) if (constants.has(r.id.name)) drop.add(r.parent);
  const edits = [];
  walk(fn.body, (n) => {
    let list = n.type === "SequenceExpression" ? n.expressions : n.type === "VariableDeclaration" ? n.declarations : undefined;
    if (!list || !list.some((x) => drop.has(x))) return;
    const kept = list.filter((x) => !drop.has(x)).map((x) => code.slice(x.start, x.end));
    if (n.type === "VariableDeclaration") edits.push([n.start, n.end, kept.length ? "var " + kept.join(",") + ";" : ""]);
    else edits.push([n.start, n.end, kept.length ? kept.join(",") : "void 0"]);
  });
  // An assignment standing alone as a statement.
  for (const s of fn.body.body) if (s.type === "ExpressionStatement" && drop.has(s.expression)) edits.push([s.start, s.end, ""]);
  return applyEdits(code, edits);
}

/** The names a function declares: its parameters, its vars and its function declarations
 *  (those of nested functions excluded), and "arguments". */
function functionNames(fn) {
  const names = new Set(["arguments"]);
  for (const p of fn.params) if (p.type === "Identifier") names.add(p.name);
  const stack = [fn.body];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n.type !== "string") continue;
    if (n.type === "FunctionDeclaration") {
      names.add(n.id.name);
      continue;
    }
    if (n.type === "FunctionExpression") continue;
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier") names.add(n.id.name);
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) for (const c of v) stack.push(c);
      else if (v && typeof v.type === "string") stack.push(v);
    }
  }
  return names;
}

/** The global name rollup gives an evalResult bundle's value; evalStatement removes it. */
const EVAL_RESULT_NAME = "__espruinoEvalResult";

/**
 * For an evalResult bundle: rollup renders `var NAME=function(){...; return value}();` and
 * this makes it `eval(function(){...; return value}());`, so the code text the entry
 * returns runs at the top level of the script holding the bundle (Espruino's eval runs in
 * the calling function's scope, and every function defined there would carry that scope),
 * and no global is left behind. Anything else is a build error.
 */
export function evalStatement(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const statement = ast.body.length === 1 ? ast.body[0] : undefined;
  const declarator = statement && statement.type === "VariableDeclaration" && statement.declarations.length === 1 ? statement.declarations[0] : undefined;
  if (!declarator || declarator.id.type !== "Identifier" || declarator.id.name !== EVAL_RESULT_NAME || !declarator.init) {
    throw new Error("evalResult: expected the bundle to be one `var " + EVAL_RESULT_NAME + " = <IIFE>` statement");
  }
  return "eval(" + code.slice(declarator.init.start, declarator.init.end) + ");\n";
}

/** The global name rollup gives an on-demand module's value; moduleExpression removes it. */
const MODULE_RESULT_NAME = "__espruinoModule";

/**
 * For an on-demand module: rollup renders `var NAME=function(){...; return factory}();` and
 * this makes it the function expression `(function(){...; return factory})`, not called: the
 * boot stub's eval of the whole slot file then only creates (and drops) one function object
 * per module, and the device's loader evaluates the region and calls it when the part is
 * needed (hal/espruino.ts).
 */
export function moduleExpression(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const statement = ast.body.length === 1 ? ast.body[0] : undefined;
  const declarator = statement && statement.type === "VariableDeclaration" && statement.declarations.length === 1 ? statement.declarations[0] : undefined;
  const init = declarator && declarator.init;
  if (!init || declarator.id.name !== MODULE_RESULT_NAME || init.type !== "CallExpression" || init.arguments.length !== 0 || init.callee.type !== "FunctionExpression") {
    throw new Error("module: expected the bundle to be one `var " + MODULE_RESULT_NAME + " = function(){...}()` statement");
  }
  return "(" + code.slice(init.callee.start, init.callee.end) + ")";
}

/** keepFactoriesApart and markAllocationFree as an output plugin, run before terser. */
function factoriesApart() {
  return {
    name: "factories-apart",
    renderChunk(code) {
      return { code: markAllocationFree(keepFactoriesApart(code), allocationFreeNames()), map: null };
    },
  };
}

/** markProperties on each of the client's modules as rollup reads it (short-properties.mjs). */
function clientPropertyMarks() {
  return {
    name: "client-property-marks",
    transform(code, id) {
      return isClientModule(root, id) ? { code: markProperties(code, SHORT_PROPERTIES), map: null } : null;
    },
  };
}

function espruinoRender(evalResult, module, prefix, flatten, lean, minified) {
  return {
    name: "espruino-render",
    renderChunk(code) {
      const out = hoistVars(fillArrayHoles(shortenProperties(code, SHORT_PROPERTIES, minified)));
      const rendered = evalResult ? evalStatement(out) : module ? moduleExpression(out) : flatten ? flattenClasses(flattenIife(out)) : out;
      const released = shortenAllocationFree(lean && flatten ? releaseBootOnly(pasteHelpersIntoCalls(rendered)) : rendered);
      return { code: (prefix || "") + (lean ? paramsFromArguments(released) : released), map: null };
    },
  };
}

/** The parts of the client evaluated from Storage only when needed (firmware/device/index.ts
 *  names them; each entry's default export is the part's factory). */
export const ON_DEMAND_MODULES = [
  { name: "provisioning", input: "firmware/device/provisioning.ts" },
  { name: "updates", input: "firmware/device/updates.ts" },
  { name: "config", input: "firmware/config-module.ts" },
];

/**
 * AZLOAD(part), the loader of the application's on-demand modules, put at the top of the
 * boot stub (.bootcde) so its body stays in flash. It reads the slot file the stub ran
 * (AZSLOT, set by the stub's statement), finds the part's region (a comment, so the boot's
 * evaluation of the slot file skips it) and makes it the body of a `new Function`, straight
 * from flash, then calls it for the part's factory. Such a function has no scope: the
 * module's own functions share one scope instead of each copying a chain of them (an eval
 * inside AZLOAD would add AZLOAD's), and the application's bundle has no eval (which would
 * stop the minifier shortening its names).
 */
export const MODULE_LOADER_SOURCE = "function AZLOAD(n){var s=require(\"Storage\"),f=AZSLOT,t=s.read(f),m=\"/*@az:\"+n+\"@\"," +
  "a=t?t.indexOf(m):-1,e;if(a<0)return;a+=m.length;e=t.indexOf(\"*/\",a);t=undefined;if(e<0)return;return new Function(s.read(f,a,e-a))()}\n";

/** Opens an on-demand module's region (a comment) in the slot file. */
export function moduleMarker(name) {
  return "/*@az:" + name + "@";
}

/** The body of a module bundle `(function(){BODY})` (moduleExpression): statements that end
 *  by returning the part's factory. */
export function moduleBody(code) {
  const m = /^\(function\s*\(\)\s*\{([\s\S]*)\}\);?\s*$/.exec(code);
  if (!m) throw new Error("slot file: a module is not `(function(){...})`");
  return m[1];
}

/**
 * The application's slot file: the warm code (run by the boot stub), then each on-demand
 * module's body inside a comment behind its marker. One file, so an update replaces the
 * whole set at once.
 */
export function slotImage(warm, modules) {
  let out = warm.replace(/\s*$/, "") + "\n";
  for (const m of modules) {
    const body = moduleBody(m.code);
    if (body.includes("*/")) throw new Error("slot file: module " + m.name + " contains */, which would end its region");
    out += moduleMarker(m.name) + body + "*/\n";
  }
  return out;
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

/** Fails the build when the bundle does not pass the Espruino gate (espruino-gate.mjs). */
function gate() {
  return {
    name: "espruino-gate",
    generateBundle(options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        const findings = checkBundle(chunk.code, options.file);
        if (findings.length) this.error(`${relative(root, options.file)} fails the Espruino gate: ${findings[0].message}`);
      }
    },
  };
}

/** Prints a bundle's size (for bundles without a size.json). */
function printSize(label) {
  return {
    name: "print-size",
    generateBundle(options, bundle) {
      const chunk = Object.values(bundle).find((c) => c.type === "chunk");
      if (chunk) console.log(`${label}: ${Buffer.byteLength(chunk.code)} bytes (${relative(root, options.file)})`);
    },
  };
}

/**
 * A rollup config for one Espruino bundle.
 * evalResult: the entry's default export is code text (a string, "" for nothing) and the
 * bundle is `eval(<the entry>)`: that text runs at the top level of the script that holds
 * the bundle (the boot stub, firmware/boot.ts).
 * module: an on-demand part; the entry's default export is its factory (moduleExpression).
 * prefix: code text put before the bundle (the boot stub's module loader).
 * flatten: the application's warm bundle, run at the top level without its wrapper (flattenIife);
 *   minified, it also drops the functions only the boot calls (releaseBootOnly).
 * keepParameters: minified without paramsFromArguments (which every other minified bundle gets).
 * @param {{input: string, file: string, debugFile?: string, sizeFile?: string, printSizes?: boolean, printSizeAs?: string, tsconfig?: string, evalResult?: boolean, module?: boolean, gate?: boolean, flatten?: boolean, keepParameters?: boolean}} o
 */
export function espruinoBundle(o) {
  const named = o.evalResult ? { name: EVAL_RESULT_NAME, exports: "default" } : o.module ? { name: MODULE_RESULT_NAME, exports: "default" } : {};
  const output = [
    {
      file: o.file,
      format: "iife",
      strict: false,
      freeze: false, // namespace objects would call Object.freeze, which Espruino lacks
      generatedCode: "es5",
      ...named,
      plugins: (o.keepParameters ? [] : [factoriesApart()]).concat([terser(terserMinified), espruinoRender(o.evalResult, o.module, o.prefix, o.flatten, !o.keepParameters, true)],
        o.sizeFile ? [sizeReport(o.sizeFile, o.printSizes)] : [],
        o.printSizeAs ? [printSize(o.printSizeAs)] : [],
        o.gate ? [gate()] : [],
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
      ...named,
      plugins: [terser(terserDebug), espruinoRender(o.evalResult, o.module, o.prefix, o.flatten, false, false)].concat(o.gate ? [gate()] : []),
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
        include: ["firmware/**/*.ts", "hal/**/*.ts", "test/espruino/**/*.ts", "examples/**/*.ts"],
        compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
      }),
      clientPropertyMarks(),
    ],
    output,
  };
}

/** The boot stub's source (npm run flash writes its bundle into .bootcde). */
export const BOOT_STUB_ENTRY = resolve(root, "firmware/boot.ts");

/**
 * The boot stub's bundle: an evalResult bundle (the statement firmware/boot.ts returns runs
 * at the top level of .bootcde), gated at build time.
 * @param {{file: string, debugFile?: string, printSizeAs?: string}} o
 */
export function bootStubBundle(o) {
  // The stub's functions are gone once it has run (AZLOAD, its prefix, stays as written):
  // paramsFromArguments would only make it longer.
  return espruinoBundle({ input: BOOT_STUB_ENTRY, file: o.file, debugFile: o.debugFile, printSizeAs: o.printSizeAs, evalResult: true, gate: true, prefix: MODULE_LOADER_SOURCE, keepParameters: true });
}

/**
 * Rollup configs for the application: the warm bundle (`<dir>/warm.js`, debug too), each
 * on-demand module (`<dir>/mod-<name>.js`), and last the slot files `<dir>/<name>.js` and
 * `<dir>/<name>.debug.js` that the flasher and the updater ship.
 * @param {{input: string, dir: string, name: string, sizeFile?: string, printSizes?: boolean}} o
 */
export function applicationBundles(o) {
  const configs = [espruinoBundle({ input: o.input, file: o.dir + "/warm.js", debugFile: o.dir + "/warm.debug.js", sizeFile: o.sizeFile, printSizes: o.printSizes, flatten: true })];
  for (const m of ON_DEMAND_MODULES) {
    configs.push(espruinoBundle({ input: resolve(root, m.input), file: o.dir + "/mod-" + m.name + ".js", debugFile: o.dir + "/mod-" + m.name + ".debug.js", module: true }));
  }
  const last = configs[configs.length - 1];
  last.plugins = last.plugins.concat([{
    name: "slot-image",
    writeBundle(options) {
      // Once per output of the last module: the minified or the debug slot file.
      const suffix = options.file.endsWith(".debug.js") ? ".debug.js" : ".js";
      const read = (f) => readFileSync(f, "utf8");
      const image = slotImage(read(o.dir + "/warm" + suffix), ON_DEMAND_MODULES.map((m) => ({ name: m.name, code: read(o.dir + "/mod-" + m.name + suffix) })));
      writeFileSync(o.dir + "/" + o.name + suffix, image);
    },
  }]);
  return configs;
}
