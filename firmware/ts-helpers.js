// TypeScript's downlevel helpers, written for Espruino 2v29. The rollup TypeScript plugin
// imports helpers from "tslib"; the pipeline points that import here, so only these run on
// the device and a helper we do not provide (async, generators) fails the build. The code
// below stays ES5 apart from the export keywords. Three rules keep it runnable: every
// function is defined before use (nothing is hoisted), no Array.prototype.x access (it
// reads as undefined on Espruino), and no reliance on arguments.length for optional
// parameters (Espruino reports max(declared, passed)).
export var __extends = function (d, b) {
  if (typeof b !== "function" && b !== null) {
    throw new TypeError("Class extends value " + String(b) + " is not a constructor or null");
  }
  // Copy statics: Espruino ignores a constructor's prototype chain for static lookups.
  for (var p in b) if (Object.prototype.hasOwnProperty.call(b, p)) d[p] = b[p];
  var Proto = function () { this.constructor = d; };
  if (b === null) {
    d.prototype = Object.create(null);
  } else {
    Proto.prototype = b.prototype;
    d.prototype = new Proto();
  }
};
export var __assign = function () {
  var target = arguments[0];
  for (var i = 1; i < arguments.length; i++) {
    var source = arguments[i];
    if (source === null || source === undefined) continue;
    for (var p in source) if (Object.prototype.hasOwnProperty.call(source, p)) target[p] = source[p];
  }
  return target;
};
export var __rest = function (source, excluded) {
  var target = {};
  for (var p in source) {
    if (Object.prototype.hasOwnProperty.call(source, p) && excluded.indexOf(p) < 0) target[p] = source[p];
  }
  return target;
};
export var __spreadArray = function (to, from) {
  for (var i = 0; i < from.length; i++) to.push(from[i]);
  return to;
};
