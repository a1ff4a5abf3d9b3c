// `process`: what a function may know about its process. `env` is each call's own object,
// holding the variables the operator gave functions (none by default, as App Services gave
// functions no environment): a call may change it (values become strings, as in Node), and the
// next call starts afresh. Events never fire in a function, so listeners are accepted and
// never called; `stdout`/`stderr` writes become log lines.
(function (natives, require, internal) {
  "use strict";
  const [platform, arch] = natives.platform();
  const started = Date.now();
  const hrtime = (previous) => {
    const ns = natives.now();
    const s = Math.floor(ns / 1e9);
    const n = ns % 1e9;
    if (Array.isArray(previous)) {
      let ds = s - previous[0];
      let dn = n - previous[1];
      if (dn < 0) {
        ds -= 1;
        dn += 1e9;
      }
      return [ds, dn];
    }
    return [s, n];
  };
  hrtime.bigint = () => BigInt(natives.now());
  const self = () => process;
  const process = {
    // Node's tag: packages tell Node from browsers by it (axios picks its http adapter).
    [Symbol.toStringTag]: "process",
    title: "writ",
    version: "v20.0.0",
    versions: { node: "20.0.0" },
    release: { name: "node" },
    platform,
    arch: { x86_64: "x64", aarch64: "arm64" }[arch] || arch,
    get env() {
      let env = natives.callEnv();
      if (env === undefined) {
        const target = {};
        for (const [name, value] of natives.processEnv()) target[name] = value;
        env = new Proxy(target, {
          set(t, key, value) {
            t[key] = typeof key === "symbol" ? value : String(value);
            return true;
          },
          defineProperty(t, key, descriptor) {
            if ("value" in descriptor && typeof key !== "symbol") descriptor = { ...descriptor, value: String(descriptor.value) };
            return Reflect.defineProperty(t, key, descriptor);
          },
        });
        natives.setCallEnv(env);
      }
      return env;
    },
    set env(value) {
      natives.setCallEnv(value);
    },
    argv: [],
    execArgv: [],
    exitCode: undefined,
    browser: false,
    nextTick(callback, ...args) {
      if (typeof callback !== "function") throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function');
      queueMicrotask(() => callback(...args));
    },
    hrtime,
    uptime: () => (Date.now() - started) / 1000,
    cwd: () => "/",
    umask: () => 0o22,
    emitWarning(warning, type) {
      const name = typeof type === "string" ? type : warning && warning.name ? warning.name : "Warning";
      console.warn(`${name}: ${warning && warning.message ? warning.message : warning}`);
    },
    stdout: { write: (s) => (console.log(String(s).replace(/\n$/, "")), true), isTTY: false },
    stderr: { write: (s) => (console.error(String(s).replace(/\n$/, "")), true), isTTY: false },
    on: self,
    once: self,
    addListener: self,
    prependListener: self,
    prependOnceListener: self,
    off: self,
    removeListener: self,
    removeAllListeners: self,
    listeners: () => [],
    listenerCount: () => 0,
    emit: () => false,
    binding(name) {
      throw new Error(`No such module: ${name} (process.binding is not available to functions)`);
    },
  };
  internal.unsupported(process, "process", ["exit", "abort", "kill", "chdir", "memoryUsage", "cpuUsage", "resourceUsage", "dlopen", "setuid", "setgid"], "a function cannot control its process");
  return process;
})
