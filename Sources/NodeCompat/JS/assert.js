// `assert`: the classic and strict assertion functions with Node's AssertionError.
rt.define('assert', function (module, exports, require) {
  'use strict';
  var util = require('util');
  function AssertionError(options) {
    var e = new Error(options.message);
    Object.setPrototypeOf(e, AssertionError.prototype);
    e.name = 'AssertionError';
    e.code = 'ERR_ASSERTION';
    e.actual = options.actual;
    e.expected = options.expected;
    e.operator = options.operator;
    e.generatedMessage = !options.userMessage;
    return e;
  }
  AssertionError.prototype = Object.create(Error.prototype, { constructor: { value: AssertionError } });
  function fail(actual, expected, message, operator, fallback) {
    if (message instanceof Error) throw message;
    throw new AssertionError({ message: message !== undefined ? String(message) : fallback, actual: actual, expected: expected, operator: operator, userMessage: message !== undefined });
  }
  function show(v) { return util.inspect(v); }
  function assert(value, message) { if (!value) fail(value, true, message, '==', 'The expression evaluated to a falsy value:\n\n  assert(' + show(value) + ')\n'); }
  assert.ok = function ok(value, message) { if (!value) fail(value, true, message, '==', 'The expression evaluated to a falsy value:\n\n  assert.ok(' + show(value) + ')\n'); };
  assert.equal = function (a, b, m) { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, '==', show(a) + ' == ' + show(b)); };
  assert.notEqual = function (a, b, m) { if (a == b || (a !== a && b !== b)) fail(a, b, m, '!=', show(a) + ' != ' + show(b)); };
  assert.strictEqual = function (a, b, m) { if (!Object.is(a, b)) fail(a, b, m, 'strictEqual', 'Expected values to be strictly equal:\n\n' + show(a) + ' !== ' + show(b) + '\n'); };
  assert.notStrictEqual = function (a, b, m) { if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual', 'Expected "actual" to be strictly unequal to: ' + show(b)); };
  assert.deepEqual = function (a, b, m) { if (!util.__deepEqual(a, b, false)) fail(a, b, m, 'deepEqual', 'Expected values to be loosely deep-equal:\n\n' + show(a) + '\n\nshould loosely deep-equal\n\n' + show(b)); };
  assert.notDeepEqual = function (a, b, m) { if (util.__deepEqual(a, b, false)) fail(a, b, m, 'notDeepEqual', '"actual" should not loosely deep-equal "expected": ' + show(b)); };
  assert.deepStrictEqual = function (a, b, m) { if (!util.__deepEqual(a, b, true)) fail(a, b, m, 'deepStrictEqual', 'Expected values to be strictly deep-equal:\n' + show(a) + '\n\nshould equal\n\n' + show(b)); };
  assert.notDeepStrictEqual = function (a, b, m) { if (util.__deepEqual(a, b, true)) fail(a, b, m, 'notDeepStrictEqual', 'Expected "actual" not to be strictly deep-equal to: ' + show(b)); };
  assert.fail = function (message) { fail(undefined, undefined, message === undefined ? 'Failed' : message, 'fail', 'Failed'); };
  assert.match = function (s, re, m) { if (!re.test(s)) fail(s, re, m, 'match', 'The input did not match the regular expression ' + String(re) + '. Input:\n\n' + show(s) + '\n'); };
  assert.doesNotMatch = function (s, re, m) { if (re.test(s)) fail(s, re, m, 'doesNotMatch', 'The input was expected to not match the regular expression ' + String(re) + '. Input:\n\n' + show(s) + '\n'); };
  assert.ifError = function (v) { if (v !== null && v !== undefined) { if (v instanceof Error) throw v; fail(v, null, undefined, 'ifError', 'ifError got unwanted exception: ' + show(v)); } };
  function matches(err, expected) {
    if (expected === undefined) return true;
    if (typeof expected === 'function') {
      if (expected.prototype !== undefined && err instanceof expected) return true;
      if (Error.isPrototypeOf(expected) || expected === Error) return false;
      return expected.call({}, err) === true;
    }
    if (expected instanceof RegExp) return expected.test(String(err && err.message !== undefined ? err : err));
    if (typeof expected === 'object') {
      return Object.keys(expected).every(function (k) {
        return expected[k] instanceof RegExp && typeof err[k] === 'string' ? expected[k].test(err[k]) : util.__deepEqual(err[k], expected[k], true);
      });
    }
    return false;
  }
  assert.throws = function (fn, expected, message) {
    if (typeof expected === 'string') { message = expected; expected = undefined; }
    try { fn(); } catch (e) {
      if (!matches(e, expected)) throw e;
      return;
    }
    fail(undefined, expected, message, 'throws', 'Missing expected exception.');
  };
  assert.doesNotThrow = function (fn, expected, message) {
    try { fn(); } catch (e) { fail(e, expected, typeof expected === 'string' ? expected : message, 'doesNotThrow', 'Got unwanted exception.\nActual message: "' + (e && e.message) + '"'); }
  };
  assert.rejects = function (p, expected, message) {
    return Promise.resolve(typeof p === 'function' ? p() : p).then(function () {
      fail(undefined, expected, message, 'rejects', 'Missing expected rejection.');
    }, function (e) { if (!matches(e, expected)) throw e; });
  };
  assert.doesNotReject = function (p, message) {
    return Promise.resolve(typeof p === 'function' ? p() : p).then(function () {}, function (e) {
      fail(e, undefined, message, 'doesNotReject', 'Got unwanted rejection.\nActual message: "' + (e && e.message) + '"');
    });
  };
  assert.AssertionError = AssertionError;
  assert.strict = Object.assign(function strict(v, m) { return assert.ok(v, m); }, assert, {
    equal: assert.strictEqual, notEqual: assert.notStrictEqual, deepEqual: assert.deepStrictEqual, notDeepEqual: assert.notDeepStrictEqual
  });
  assert.strict.strict = assert.strict;
  module.exports = assert;
});
