// `assert`: Node's assertion functions and AssertionError (messages in Node's short form).
(function (natives, require, internal) {
  "use strict";
  const util = require("util");
  class AssertionError extends Error {
    constructor(options) {
      const { message, actual, expected, operator } = options || {};
      super(message !== undefined ? String(message) : `${util.inspect(actual)} ${operator} ${util.inspect(expected)}`);
      this.name = "AssertionError";
      this.code = "ERR_ASSERTION";
      this.actual = actual;
      this.expected = expected;
      this.operator = operator;
      this.generatedMessage = message === undefined;
    }
  }
  function fail(actual, expected, message, operator, defaultMessage) {
    if (message instanceof Error) throw message;
    throw new AssertionError({ message: message === undefined ? defaultMessage : message, actual, expected, operator });
  }
  function looseEqual(a, b, memo) {
    // eslint-disable-next-line eqeqeq
    if (a == b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
    if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
    memo = memo || new Map();
    if (memo.get(a) === b) return true;
    memo.set(a, b);
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (a instanceof Map && b instanceof Map) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a) if (!b.has(k) || !looseEqual(v, b.get(k), memo)) return false;
      return true;
    }
    if (a instanceof Set && b instanceof Set) {
      if (a.size !== b.size) return false;
      for (const v of a) if (!b.has(v)) return false;
      return true;
    }
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !looseEqual(a[k], b[k], memo)) return false;
    return true;
  }
  const show = (v) => util.inspect(v);
  function ok(value, message) {
    if (!value) {
      fail(value, true, message, "==", arguments.length === 0 ? "No value argument passed to `assert.ok()`" : "The expression evaluated to a falsy value:\n\n  assert.ok(" + show(value) + ")\n");
    }
  }
  function assert(value, message) {
    if (!value) {
      fail(value, true, message, "==", arguments.length === 0 ? "No value argument passed to `assert.ok()`" : "The expression evaluated to a falsy value:\n\n  assert(" + show(value) + ")\n");
    }
  }
  function matches(error, expected) {
    if (expected === undefined) return true;
    if (typeof expected === "function") {
      if (expected.prototype !== undefined && error instanceof expected) return true;
      if (Error.isPrototypeOf(expected) || expected === Error) return false;
      return expected.call({}, error) === true;
    }
    if (expected instanceof RegExp) return expected.test(String(error));
    if (typeof expected === "object" && expected !== null) {
      return Object.keys(expected).every((k) =>
        expected[k] instanceof RegExp && typeof error[k] === "string" ? expected[k].test(error[k]) : util.isDeepStrictEqual(error[k], expected[k]),
      );
    }
    return true;
  }
  const api = {
    AssertionError,
    ok,
    fail(message) {
      if (message instanceof Error) throw message;
      throw new AssertionError({ message: message === undefined ? "Failed" : message, operator: "fail" });
    },
    equal(a, b, message) {
      // eslint-disable-next-line eqeqeq
      if (!(a == b || (a !== a && b !== b))) fail(a, b, message, "==", `${show(a)} == ${show(b)}`);
    },
    notEqual(a, b, message) {
      // eslint-disable-next-line eqeqeq
      if (a == b || (a !== a && b !== b)) fail(a, b, message, "!=", `${show(a)} != ${show(b)}`);
    },
    strictEqual(a, b, message) {
      if (!Object.is(a, b)) fail(a, b, message, "strictEqual", `Expected values to be strictly equal:\n\n${show(a)} !== ${show(b)}\n`);
    },
    notStrictEqual(a, b, message) {
      if (Object.is(a, b)) fail(a, b, message, "notStrictEqual", `Expected "actual" to be strictly unequal to: ${show(b)}`);
    },
    deepEqual(a, b, message) {
      if (!looseEqual(a, b)) fail(a, b, message, "deepEqual", `Expected values to be loosely deep-equal:\n\n${show(a)}\n\nshould loosely deep-equal\n\n${show(b)}`);
    },
    notDeepEqual(a, b, message) {
      if (looseEqual(a, b)) fail(a, b, message, "notDeepEqual", `"actual" deepEqual "expected"`);
    },
    deepStrictEqual(a, b, message) {
      if (!util.isDeepStrictEqual(a, b)) fail(a, b, message, "deepStrictEqual", `Expected values to be strictly deep-equal:\n${show(a)}\n\nshould equal\n\n${show(b)}`);
    },
    notDeepStrictEqual(a, b, message) {
      if (util.isDeepStrictEqual(a, b)) fail(a, b, message, "notDeepStrictEqual", `Expected "actual" not to be strictly deep-equal to: ${show(b)}`);
    },
    throws(fn, expected, message) {
      if (typeof expected === "string") {
        message = expected;
        expected = undefined;
      }
      try {
        fn();
      } catch (e) {
        if (!matches(e, expected)) throw e;
        return;
      }
      fail(undefined, expected, message, "throws", `Missing expected exception${message ? `: ${message}` : "."}`);
    },
    doesNotThrow(fn, expected, message) {
      try {
        fn();
      } catch (e) {
        fail(e, expected, typeof expected === "string" ? expected : message, "doesNotThrow", `Got unwanted exception.\nActual message: "${e && e.message}"`);
      }
    },
    async rejects(promiseFn, expected, message) {
      if (typeof expected === "string") {
        message = expected;
        expected = undefined;
      }
      try {
        await (typeof promiseFn === "function" ? promiseFn() : promiseFn);
      } catch (e) {
        if (!matches(e, expected)) throw e;
        return;
      }
      fail(undefined, expected, message, "rejects", `Missing expected rejection${message ? `: ${message}` : "."}`);
    },
    async doesNotReject(promiseFn, expected, message) {
      try {
        await (typeof promiseFn === "function" ? promiseFn() : promiseFn);
      } catch (e) {
        fail(e, expected, typeof expected === "string" ? expected : message, "doesNotReject", `Got unwanted rejection.\nActual message: "${e && e.message}"`);
      }
    },
    match(string, regexp, message) {
      if (!regexp.test(string)) fail(string, regexp, message, "match", `The input did not match the regular expression ${regexp}. Input:\n\n${show(string)}\n`);
    },
    doesNotMatch(string, regexp, message) {
      if (regexp.test(string)) fail(string, regexp, message, "doesNotMatch", `The input was expected to not match the regular expression ${regexp}. Input:\n\n${show(string)}\n`);
    },
    ifError(value) {
      if (value !== null && value !== undefined) {
        if (value instanceof Error) throw value;
        fail(value, null, undefined, "ifError", `ifError got unwanted exception: ${show(value)}`);
      }
    },
  };
  Object.assign(assert, api);
  const strict = function strict(value, message) {
    return assert(value, message);
  };
  Object.assign(strict, api, {
    equal: api.strictEqual,
    notEqual: api.notStrictEqual,
    deepEqual: api.deepStrictEqual,
    notDeepEqual: api.notDeepStrictEqual,
  });
  assert.strict = strict;
  strict.strict = strict;
  return assert;
})
