// The pipeline's render step: hoistVars declares at the top of each function every var that
// Espruino would otherwise declare only when (and if) its statement runs; flattenIife runs the
// warm bundle at the top level with its own names prefixed; paramsFromArguments moves a leaf
// function's parameters into its body; releaseBootOnly drops the functions only the boot calls;
// keepFactoriesApart stops the minifier pasting a factory into its caller;
// pasteHelpersIntoCalls puts small helpers into their calls.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { minify } from "terser";
import { allocationFreeNames, flattenClasses, flattenIife, hoistVars, inlineConstants, keepFactoriesApart, markAllocationFree, paramsFromArguments, pasteHelpersIntoCalls, releaseBootOnly, shortenAllocationFree, terserMinified } from "../../tools/build/espruino-pipeline.mjs";
import { checkBundle } from "../../tools/build/espruino-gate.mjs";

/** Defines function w with code and returns what w() returns. */
function run(code: string): unknown {
  return new Function(code + "; return w();")();
}

const hoist = suite("hoistVars: vars out of their statements");
hoist("var in an if block -> declared at the top, assignment in place", () => {
  const out = hoistVars("function f(a){if(a){var x=g()}return x}");
  assert.is(out, "function f(a){var x;if(a){x=g()}return x}");
  assert.equal(checkBundle(out), []);
});
hoist("for (var ...) and for (var ... in) -> loop heads without var", () => {
  assert.is(hoistVars("function f(o){if(o){for(var i=0;i<2;i++);for(var k in o);}}"), "function f(o){var i,k;if(o){for(i=0;i<2;i++);for(k in o);}}");
});
hoist("a var after return (terser's inlining) -> declared at the top", () => {
  assert.is(hoistVars("function f(){return function(){return r=1}(),r;var r}"), "function f(){var r;return function(){return r=1}(),r;r}");
});
hoist("the prologue (leading vars and function declarations) -> left as it is", () => {
  const code = "function f(a){var b=1,c;function g(){}var d=g();return b+d}";
  assert.is(hoistVars(code), code);
});
hoist("a var naming a parameter -> not redeclared (it would reset the parameter on Espruino)", () => {
  assert.is(hoistVars("function f(p){if(p){var p=2,q=3}return p+q}"), "function f(p){var q;if(p){p=2,q=3}return p+q}");
});
hoist("nested functions -> each declares its own", () => {
  assert.is(hoistVars("function f(){g();if(1){var a=function(){if(2){var b=1}return b}}return a}"), "function f(){var a;g();if(1){a=function(){var b;if(2){b=1}return b}}return a}");
});
hoist("behaviour on a standard engine -> unchanged", () => {
  const code = "function w(){var out=[];for(var i=0;i<3;i++){if(i%2){var odd=i}else{var even=i}out.push(odd,even)}return out.join(',')+function(){if(1){var z=5}return z}()}";
  assert.is(run(hoistVars(code)), run(code));
});
hoist.run();

const flatten = suite("flattenIife: the warm bundle at the top level");
flatten("the wrapper goes; its names are prefixed where they are used, inner names are not", () => {
  assert.is(flattenIife("!function(){function t(t){return e+t}var e=g();t(2)}();"), "function $t(t){return $e+t}var $e=g();$t(2)\n");
});
flatten("shadowing: parameters, inner vars, function expression names and catch params keep theirs", () => {
  const out = flattenIife("!function(){var a=[],b=[],c=[],d=[];function f(a){var b=a;return function c(){try{return a+b+c+d}catch(d){return d}}}f(a)}();");
  assert.is(out, "var $a=[],$b=[],$c=[],$d=[];function $f(a){var b=a;return function c(){try{return a+b+c+$d}catch(d){return d}}}$f($a)\n");
});
flatten("property names and object keys -> untouched; computed ones -> renamed", () => {
  assert.is(flattenIife("!function(){var k=g(),o={k:k};o.k=o[k]}();"), "var $k=g(),$o={k:$k};$o.k=$o[$k]\n");
});
flatten("a name already starting with $ -> a longer prefix", () => {
  assert.is(flattenIife("!function(){var $=g(),a=$}();"), "var $$$=g(),$$a=$$$\n");
});
flatten("globals the bundle does not declare (E, require, AZLOAD) -> untouched", () => {
  assert.is(flattenIife("!function(){var t=E.CRC32(require('x'));AZLOAD(t)}();"), "var $t=E.CRC32(require('x'));AZLOAD($t)\n");
});
flatten("anything but one !function(){...}() -> a build error", () => {
  assert.throws(() => flattenIife("var x=function(){}();"), /flatten/);
  assert.throws(() => flattenIife("!function(){a:for(;;)break a}();"), /labels/);
});
flatten("behaviour on a standard engine -> unchanged", () => {
  const body = "var n=[2];function g(x){return x*n[0]}function w(){return [g(3),function(n){return n}(5),typeof q].join(',')}";
  const flat = flattenIife("!function(){" + body + ";globalThis.__w=w}();");
  assert.is(new Function(flat + ";return $w();")(), new Function(body + ";return w();")());
});
flatten.run();

const classes = suite("flattenClasses: a class's methods at the top level");
classes("the IIFE goes: the constructor is a top-level function under the class's name, the methods are set where the class was", () => {
  const out = flattenClasses("var a=1,$P=function(){function e(){var e=arguments[0];this.x=e}return e.prototype.f=function(){var e=1;return e},e.prototype.g=function(){return e},e}(),b=new $P(2);");
  assert.is(out, "function $P(){var e=arguments[0];this.x=e}\nvar a=1,$P=($P.prototype.f=function(){var e=1;return e},$P.prototype.g=function(){return $P},$P),b=new $P(2);");
});
classes("any other shape (more statements, arguments, no constructor returned) -> unchanged", () => {
  for (const code of ["var $K=function(){function t(){}var z=1;return t}();", "var $K=function(){function t(){}return t}(1);", "var $K=function(){function t(){}return 1}();"]) {
    assert.is(flattenClasses(code), code);
  }
});
classes("behaviour on a standard engine -> unchanged", () => {
  const code = "var $P=function(){function e(){var e=arguments[0];this.x=e}return e.prototype.f=function(){var e=this.x;return e*2},e.prototype.g=function(){return this instanceof e},e}(),b=new $P(21);";
  const probe = ";return [b.f(),b.g(),typeof $P];";
  assert.equal(new Function(flattenClasses(code) + probe)(), new Function(code + probe)());
});
classes.run();

const inline = suite("inlineConstants: named literals copied into their uses");
inline("numbers, booleans and negatives assigned once at the top -> inlined; declaration and assignment gone", () => {
  assert.is(inlineConstants("!function(){var a,b,c,d;function f(){return a+b+(c?d:0)}a=1,b=-1e9,c=!0,d=void 0,f()}();"),
    "!function(){function f(){return 1+(-1e9)+((!0)?(void 0):0)}f()}();");
});
inline("assigned twice, updated, assigned inside a function, or not a literal -> left alone", () => {
  const code = "!function(){var a,b,c,d;function f(){c=2;return a+b+c+d}a=1,a=2,b=1,b++,c=1,d=g(),f()}();";
  assert.is(inlineConstants(code), code);
});
inline("a short string used up to four times -> inlined; used more often or long -> kept", () => {
  assert.is(inlineConstants("!function(){var s,t;function f(){return s+s+t+t+t+t+t}s='x',t='y',f()}();"), "!function(){var t;function f(){return 'x'+'x'+t+t+t+t+t}t='y',f()}();");
});
inline("a constant in front of a member -> parenthesised (5.toFixed would not parse)", () => {
  assert.is(inlineConstants("!function(){var n;function f(){return n.toFixed(1)}n=5,f()}();"), "!function(){function f(){return (5).toFixed(1)}f()}();");
});
inline("behaviour on a standard engine -> unchanged", () => {
  const code = "!function(){var k,n,s;function w(){return [k*2,n,s+1].join(',')}k=21,n=-0.5,s='a',globalThis.__r=w()}();";
  new Function(code)();
  const want = (globalThis as { __r?: string }).__r;
  new Function(inlineConstants(code))();
  assert.is((globalThis as { __r?: string }).__r, want);
});
inline.run();

const leaf = suite("paramsFromArguments: a leaf function's parameters read from arguments");
leaf("a function that defines none -> no parameters, locals from arguments", () => {
  const out = paramsFromArguments("function f(a,b){return a+b}var o={m:function(x){return x}};");
  assert.is(out, "function f(){var a=arguments[0],b=arguments[1];return a+b}var o={m:function(){var x=arguments[0];return x}};");
  assert.equal(checkBundle(out), []);
});
leaf("a function that defines one, and whatever it defines -> left alone", () => {
  // The factory's scope outlives its call (the closure), and so would its arguments array;
  // the closure is left alone with it (see the next case).
  const code = "function make(a){return function(b){return a+b}}";
  assert.is(paramsFromArguments(code), "function make(a){return function(){var b=arguments[0];return a+b}}");
});
leaf("a function whose inner ones are all called on the spot -> rewritten; those keep their parameters", () => {
  // A pasted helper, `function(x){...}(a)`, is gone when the call returns: nothing keeps the
  // outer call's scope, or its arguments array, alive.
  const out = paramsFromArguments("function f(a,b){return function(x){return x+1}(a)+b}");
  assert.is(out, "function f(){var a=arguments[0],b=arguments[1];return function(x){return x+1}(a)+b}");
  // One called on the spot that makes a closure, or names arguments -> the outer is left alone.
  const kept = "function g(a){return function(x){return function(){return x}}(a)}function h(a){return function(){return arguments.length}(a)}";
  assert.is(paramsFromArguments(kept), kept);
});
leaf("inside a function that names arguments, one that names it, a setter, a var named as a parameter -> left alone", () => {
  const code = "function f(){var n=arguments.length;return function(x){return x+n}}function g(a){return arguments.length+a}" +
    "var o={set v(x){this._v=x}};function h(p){var p=2;return p}";
  assert.is(paramsFromArguments(code), code);
});
leaf("behaviour on a standard engine -> unchanged, fewer arguments passed included", () => {
  const code = "function add(a,b){return b===undefined?a:a+b}function w(){var o={k:3,m:function(x,y){return this.k*x+(y||0)}};" +
    "return [add(1,2),add(4),o.m(2),o.m(2,1),[3,1,2].sort(function(a,b){return a-b}).join(''),twice(5,1)].join(',')}" +
    "function twice(a,b){return function(x,y){return 2*x+y}(a,b)+function(x){return x}(b)}";
  assert.is(run(paramsFromArguments(code)), run(code));
  assert.is(run(code), "3,4,6,7,123,12");
});
leaf.run();

const release = suite("releaseBootOnly: functions only the boot calls are dropped after it");
release("called by the top level, an IIFE there or another such function -> set to undefined at the end", () => {
  const code = "function $a(){return $b()+1}function $b(){return 1}function $c(){return 2}var $r=$a()+function(){return $c()}();";
  assert.is(releaseBootOnly(code), code + "\n;$a=$b=$c=void 0;\n");
});
release("called from a closure, a method or a callback, or handed on as a value -> kept", () => {
  const code = "function $a(){return 1}function $b(){return 2}function $c(){return 3}function $d(){return 4}" +
    "var $o={m:function(){return $a()}};setTimeout(function(){$b()},1);var $f=$c;function $e(){return $d()}$o.n=$e;";
  assert.is(releaseBootOnly(code), code);
});
release("behaviour on a standard engine -> unchanged, and the functions are gone", () => {
  const code = "function $make(){var n=0;return function(){return ++n}}function $twice(){return 2}var $next=$make(),$k=$twice();";
  const out = releaseBootOnly(code);
  assert.is(new Function(out + ";return [$next(),$next(),$k,typeof $make,typeof $twice].join(',')")(), "1,2,2,undefined,undefined");
});
release.run();

const apart = suite("keepFactoriesApart: a factory called once stays a function of its own");
apart("a call to a function that defines one -> annotated; to one that defines none -> not", () => {
  const code = "function make(a){return function(){return a}}function twice(x){return 2*x}var f=make(twice(1)),g=o.make(1);";
  assert.is(keepFactoriesApart(code), "function make(a){return function(){return a}}function twice(x){return 2*x}var f=/*@__NOINLINE__*/make(twice(1)),g=o.make(1);");
});
apart("minified -> the factory is still called by name, the helper is pasted", async () => {
  // The factory's closure stays one scope deep; pasted into start() it would be two deep.
  const code = "!function(){function make(a){var n=a;return {get:function(){return n}}}function twice(x){return 2*x}" +
    "function start(k){var m=make(twice(k));return m}globalThis.__m=start(3)}();";
  const out = (await minify(keepFactoriesApart(code), { ...terserMinified, mangle: false })).code || "";
  assert.match(out, /make\(/);
  assert.not.match(out, /function twice/);
  new Function(out)();
  assert.is((globalThis as { __m?: { get(): number } }).__m?.get(), 6);
});
apart.run();

const paste = suite("pasteHelpersIntoCalls: a helper lives only during its calls");
paste("only a returned expression, called with names and literals -> the calls become the expression", () => {
  const code = "function $h(a,b){return a*b+a}function $f(x){for(var i=0;i<x;i++)$h(i,2);return $h(x)}var $r=$h(3,1);";
  assert.is(pasteHelpersIntoCalls(code), "function $f(x){for(var i=0;i<x;i++)(i*(2)+i);return (x*(void 0)+x)}var $r=((3)*(1)+(3));");
  assert.is(pasteHelpersIntoCalls("function $h(a){return a.toFixed(1)}var $r=$h(5);"), "var $r=((5).toFixed(1));");
});
paste("the same with other arguments -> each first assigned, in order, to a new var of the calling function", () => {
  const code = "function $h(a,b){return a*a+b}function $f(x){return $h(x+1,g())}function $g(x){return $h(x,2)}";
  assert.is(pasteHelpersIntoCalls(code), "function $f(x){var __h0,__h1;return (__h0=(x+1),__h1=(g()),__h0*__h0+__h1)}function $g(x){return (x*x+(2))}");
});
paste("one expression statement -> the expression, then undefined", () => {
  const code = "function $h(o,v){o.k=v,o.n++}function $f(o){return $h(o,2)}";
  assert.is(pasteHelpersIntoCalls(code), "function $f(o){return (o.k=(2),o.n++,void 0)}");
});
paste("called from functions, not in a loop -> pasted as a function called on the spot", () => {
  const code = "function $h(a){var b=a+1;return b}function $f(x){return $h(x)*$h(x+2)}function $g(x){return $h(x)}var $r=$f(1);";
  const h = "(function(a){var b=a+1;return b})";
  assert.is(pasteHelpersIntoCalls(code), "function $f(x){return " + h + "(x)*" + h + "(x+2)}function $g(x){return " + h + "(x)}var $r=$f(1);");
});
paste("a returned expression with other arguments in a function making a closure or in its own call, or assigning a parameter -> pasted as a function called on the spot", () => {
  const h = "(function(a){return a+1})";
  assert.is(pasteHelpersIntoCalls("function $h(a){return a+1}function $f(x){var g=function(){return x};return $h(x+1)}"),
    "function $f(x){var g=function(){return x};return " + h + "(x+1)}");
  assert.is(pasteHelpersIntoCalls("function $h(a){return a+1}function $f(x){return $h($h(x)+1)}"), "function $f(x){return " + h + "(" + h + "(x)+1)}");
  // One that assigns a parameter likewise.
  assert.is(pasteHelpersIntoCalls("function $h(a){return a=a+1}function $f(x){return $h(x)}"), "function $f(x){return (function(a){return a=a+1})(x)}");
});
paste("a factory's private helper -> pasted into the factory's closures", () => {
  const code = "function $make(k){var n=0;function add(a){var b=a+k;n+=b;return n}return {one:function(){return add(1)},two:function(x){return add(x)+add(2)}}}";
  const add = "(function(a){var b=a+k;n+=b;return n})";
  assert.is(pasteHelpersIntoCalls(code), "function $make(k){var n=0;return {one:function(){return " + add + "(1)},two:function(x){return " + add + "(x)+" + add + "(2)}}}");
});
paste("copies over the flash budget -> left as a function", () => {
  const body = "var b=a+1;".repeat(40) + "return b";
  const code = "function $h(a){" + body + "}function $f(x){return $h(x)+$h(x+1)}function $g(x){return $h(x)}";
  assert.is(pasteHelpersIntoCalls(code), code);
});
paste("called in a loop -> each calling function runs inside a wrapper handed the helper", () => {
  const code = "function $h(a){var b=a+1;return b}function $f(x){var t=0;for(var i=0;i<x;i++)t+=$h(i);return t}";
  assert.is(pasteHelpersIntoCalls(code), "function $f(x){return function(__l0){var t=0;for(var i=0;i<x;i++)t+=__l0(i);return t}(function(a){var b=a+1;return b})}");
  assert.is(run(pasteHelpersIntoCalls(code + "function w(){return $f(4)}")), run(code + "function w(){return $f(4)}"));
});
paste("allocation-free functions -> helpers go into them, and they into calls, only as expressions", () => {
  const into = "function $h(a){var b=a+1;return b}function $f$$af(x){return $h(x)}";
  assert.is(pasteHelpersIntoCalls(into), into);
  const from = "function $h$$af(a){var b=a+1;return b}function $f(x){return $h$$af(x)}";
  assert.is(pasteHelpersIntoCalls(from), from);
  assert.is(pasteHelpersIntoCalls("function $h(a){return a+1}function $f$$af(x){return $h(x*2)}"), "function $f$$af(x){var __h0;return (__h0=(x*2),__h0+1)}");
});
paste("a helper pasted into another is pasted again where that one goes", () => {
  const code = "function $g(a){var b=2*a;return b}function $h(a){var c=$g(a);return c+1}function $f(x){return $h(x+1)}";
  assert.is(pasteHelpersIntoCalls(code), "function $f(x){return (function(a){var c=(function(a){var b=2*a;return b})(a);return c+1})(x+1)}");
});
paste("in a loop of a function making a closure or naming this, as a value, from the top level, or making or naming what it must not -> left alone", () => {
  const cases = [
    "function $h(a){var b=a+1;return b}function $f(x){var g=function(){return x};for(var i=0;i<x;i++)$h(i)}",
    "function $h(a){var b=a+1;return b}function $f(x){for(var i=0;i<x;i++)$h(i);return this}",
    "function $h(a){return a+1}function $f(x){return [1].map($h)}",
    "function $h(a){var b=a+1;return b}var $r=$h(1);",
    "function $h(a){return a+1}var $r=$h(f());",
    "function $h(a){return function(){return a}}function $f(x){return $h(x)}",
    "function $h(a){return this.k+a}function $f(x){return $h(x)}",
    "function $h(a){return arguments.length}function $f(x){return $h(x)}",
    "function $h(a){return a?$h(a-1):0}function $f(x){return $h(x)}",
    // Pasted into $f, k would be $f's parameter instead of the global.
    "var k=1;function $h(a){return a+k}function $f(k){return $h(k)}",
    "var k=1;function $h(a){var b=function(k){return k}(a);return b+k}function $f(k){return $h(k+1)}",
    // Likewise a catch parameter, and a closure's own name for a factory's variable.
    "var e=1;function $h(a){var b=a+e;return b}function $f(){try{g()}catch(e){return $h(1)}}",
    "function $make(n){function h(a){var b=a+n;return b}return function(n){return h(n)}}",
    // Called in a loop of the function declaring it, which the wrapper would take its names from.
    "function $f(x){var k=2;function h(a){var b=a*k;return b}for(var i=0;i<x;i++)h(i)}",
    // Declared twice in one scope, or shadowed where it is called.
    "function $make(){var h=1;function h(a){var b=a;return b}return function(){return h(1)}}",
    "function $make(){function h(a){var b=a;return b}return function(h){return h(1)}}",
  ];
  for (const code of cases) assert.is(pasteHelpersIntoCalls(code), code);
});
paste("behaviour on a standard engine -> unchanged", () => {
  const code = "function $sq(a){var b=a*a;return b}function $sum(a,b){var t=0;try{t=a+b}catch(e){t=-1}return t}function $twice(a){return 2*a}" +
    "function $mix(a,b){return b+a*a}var $n=0;function $next(){return ++$n}function $m(x){return $mix($next(),$next()*10)+$twice(x+1)}" +
    "function $mk(k){var n=0;function add(a){n+=a+k;return n}function bump(o){o.c++}return {a:function(x){return add(x)},b:function(o){bump(o);return add(o.c)}}}" +
    "function w(){var o={m:function(x){return $sq(x)+$sum(x,1)+$twice(x)}},p=$mk(10),q={c:1};return [o.m(3),o.m(4),$twice(5),$m(1),$m(2),p.a(1),p.b(q),q.c].join(',')}";
  const pasted = pasteHelpersIntoCalls(code);
  assert.not.match(pasted, /function (add|bump)\(/);
  assert.is(run(pasted), run(code));
  assert.is(run(code), "19,29,10,25,55,11,23,2");
});
paste.run();

const allocationFree = suite("markAllocationFree and shortenAllocationFree: the backoff allocates nothing per call");
allocationFree("a named module-level function -> suffixed, its calls not to be inlined; a nested or other one untouched", () => {
  const code = "!function(){function set(o,v){o.v=v}function set$1(o){return o}function f(o){function set(x){return x}set(o,1);return set(2)+set$1(o)}f({})}();";
  assert.is(markAllocationFree(code, new Set(["set"])),
    "!function(){function set$$af(o,v){o.v=v}function set$1$$af(o){return o}function f(o){function set(x){return x}set(o,1);return set(2)+/*@__NOINLINE__*/set$1$$af(o)}f({})}();");
});
allocationFree("after pasting -> short names of their own; one making a function -> a build error", () => {
  assert.is(shortenAllocationFree("function $a$$af(x){return x}var $af0=1;function $g(){return $a$$af(2)+$af0}"), "function $af1(x){return x}var $af0=1;function $g(){return $af1(2)+$af0}");
  assert.throws(() => shortenAllocationFree("function $a$$af(x){return [x].map(function(y){return y})}"), /makes a function/);
});
allocationFree("the backoff modules -> their functions named, the delays and the verdict among them", () => {
  const names = allocationFreeNames();
  for (const name of ["backoffNext", "azRetryDelay", "classify", "staggerDelay", "fallbackDelay"]) assert.ok(names.has(name), name);
});
allocationFree.run();
