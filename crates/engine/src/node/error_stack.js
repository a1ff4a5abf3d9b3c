// V8's stack trace API, as Node code expects it: `err.stack` opens with the error's
// `name: message` line before its frames, `Error.captureStackTrace(target, fn)` gives any
// object such a stack (leaving out `fn` and the frames above it), `Error.stackTraceLimit`
// bounds the frames, and `Error.prepareStackTrace(err, callSites)` may build the stack from
// CallSite objects (depd, which express and body-parser use, reads its callers that way).
// Run before lockdown freezes `Error`: the two settings are accessors keyed to the running
// call, so a call's settings never reach another call.
(function (natives) {
  "use strict";
  const { defineProperty, getOwnPropertyDescriptor, isExtensible } = Object;
  // Boa's own getter: the frames alone, one "    at name (file:line:column)" per line.
  const frameText = getOwnPropertyDescriptor(Error.prototype, "stack").get;

  // The two settings, as the running call left them (Node's defaults for a new call).
  let settingsCall = -1;
  let settings;
  const current = () => {
    const call = natives.epoch();
    if (call !== settingsCall) {
      settingsCall = call;
      settings = { stackTraceLimit: 10, prepareStackTrace: undefined };
    }
    return settings;
  };
  for (const [name, enumerable] of [["stackTraceLimit", true], ["prepareStackTrace", false]]) {
    defineProperty(Error, name, {
      get() {
        return current()[name];
      },
      set(value) {
        current()[name] = value;
      },
      enumerable,
      configurable: false,
    });
  }

  // One frame of Boa's text: "name (file:line:column)", "name (native)".
  function parse(line) {
    const text = line.replace(/^\s*at /, "");
    const m = /^(.*?) \((.*)\)$/.exec(text);
    const name = m ? m[1] : text;
    const where = m ? m[2] : "";
    const pos = /^(.*):(\d+|\?):(\d+|\?)$/.exec(where);
    return {
      text,
      name: name === "<main>" || name === "<anonymous>" ? null : name,
      file: pos ? pos[1] : null,
      line: pos && pos[2] !== "?" ? Number(pos[2]) : null,
      column: pos && pos[3] !== "?" ? Number(pos[3]) : null,
      native: where === "native",
    };
  }
  class CallSite {
    #frame;
    constructor(frame) {
      this.#frame = frame;
    }
    getFunctionName() {
      return this.#frame.name;
    }
    getFileName() {
      return this.#frame.file === null ? undefined : this.#frame.file;
    }
    getScriptNameOrSourceURL() {
      return this.getFileName();
    }
    getLineNumber() {
      return this.#frame.line;
    }
    getColumnNumber() {
      return this.#frame.column;
    }
    getEnclosingLineNumber() {
      return this.#frame.line;
    }
    getEnclosingColumnNumber() {
      return this.#frame.column;
    }
    isToplevel() {
      return this.#frame.name === null;
    }
    isNative() {
      return this.#frame.native;
    }
    toString() {
      return this.#frame.text;
    }
  }
  // What Boa's frames do not know: the same answer for every frame.
  for (const [name, value] of [
    ["getThis", undefined], ["getTypeName", null], ["getFunction", undefined], ["getMethodName", null],
    ["getEvalOrigin", undefined], ["getScriptHash", ""], ["getPosition", 0], ["getPromiseIndex", null],
    ["isEval", false], ["isConstructor", false], ["isAsync", false], ["isPromiseAll", false],
  ]) {
    const method = { [name]() { return value; } }[name];
    Object.defineProperty(CallSite.prototype, name, { value: method, writable: true, enumerable: false, configurable: true });
  }

  // The first line of a stack: what `Error.prototype.toString` gives, as V8 writes it.
  function header(target) {
    try {
      const name = target.name === undefined ? "Error" : String(target.name);
      const message = target.message === undefined ? "" : String(target.message);
      return name === "" ? message : message === "" ? name : `${name}: ${message}`;
    } catch {
      return "Error";
    }
  }
  let preparing = false;
  // The stack of `target` from Boa's frames (text lines), after `Error.stackTraceLimit` and
  // through `Error.prepareStackTrace` when one is set.
  function render(target, text) {
    const { stackTraceLimit: limit, prepareStackTrace: prepare } = current();
    const bound = typeof limit === "number" && limit >= 0 ? limit : 0;
    const frames = text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(0, bound)
      .map(parse);
    if (typeof prepare === "function" && !preparing) {
      preparing = true;
      try {
        return prepare(target, frames.map((f) => new CallSite(f)));
      } finally {
        preparing = false;
      }
    }
    return header(target) + frames.map((f) => `\n    at ${f.text}`).join("");
  }

  defineProperty(Error.prototype, "stack", {
    get() {
      const text = frameText.call(this);
      if (text === undefined) return undefined;
      const stack = render(this, text);
      // Computed once, on first read, as V8 does.
      if (isExtensible(this)) defineProperty(this, "stack", { value: stack, writable: true, enumerable: false, configurable: true });
      return stack;
    },
    set(value) {
      defineProperty(this, "stack", { value, writable: true, enumerable: true, configurable: true });
    },
    enumerable: false,
    configurable: true,
  });

  // `target.stack` from here, leaving out `fn` and the frames above it.
  function captureStackTrace(target, fn = undefined) {
    if (typeof target !== "object" || target === null) {
      throw Object.assign(new TypeError(`The "error" argument must be of type object. Received ${target === null ? "null" : typeof target}`), { code: "ERR_INVALID_ARG_TYPE" });
    }
    const lines = frameText.call(new Error()).split("\n").filter((l) => l.trim() !== "");
    let frames = lines.slice(1); // this function's own frame
    if (typeof fn === "function" && fn.name) {
      const at = frames.findIndex((l) => parse(l).name === fn.name);
      if (at !== -1) frames = frames.slice(at + 1);
    }
    const stack = render(target, frames.join("\n"));
    defineProperty(target, "stack", { value: stack, writable: true, enumerable: false, configurable: true });
  }
  defineProperty(Error, "captureStackTrace", { value: captureStackTrace, writable: true, enumerable: false, configurable: true });
})
