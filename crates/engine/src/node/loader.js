// `require`: Node's CommonJS loader for function code. Built-in modules come from
// `requireBuiltin` (created once per worker on first use, frozen); packages resolve from the app's `functions/node_modules`
// with Node's algorithm (`main`, `exports` with the `require`/`node`/`default` conditions,
// `index.js`, `.js`/`.json`/`.cjs`/`.node`), are evaluated at most once per call, and are
// forgotten when the call ends (no call sees another's module state). The natives are closed
// over here; function code never reaches them.
(function (natives, requireBuiltin) {
  "use strict";
  const { stat, read, compile, cache, root, recall, remember } = natives;
  const path = () => requireBuiltin("path");

  const notFound = (request, from) => {
    const e = new Error(`Cannot find module '${request}'${from ? `\nRequire stack:\n- ${from}` : ""}`);
    e.code = "MODULE_NOT_FOUND";
    return e;
  };

  function builtin(request) {
    const name = request.startsWith("node:") ? request.slice(5) : request;
    const found = name.startsWith("internal/") ? undefined : requireBuiltin(name);
    if (found !== undefined) return { found };
    if (request.startsWith("node:")) {
      const e = new Error(`No such built-in module: ${request}`);
      e.code = "ERR_UNKNOWN_BUILTIN_MODULE";
      throw e;
    }
    return null;
  }

  function asFile(p) {
    if (stat(p) === 1) return p;
    for (const ext of [".js", ".json", ".cjs"]) {
      if (stat(p + ext) === 1) return p + ext;
    }
    return null;
  }

  function packageJson(dir) {
    const file = dir + "/package.json";
    if (stat(file) !== 1) return null;
    try {
      return JSON.parse(read(file));
    } catch (e) {
      throw new Error(`Invalid package config ${file}: ${e.message}`);
    }
  }

  function asDirectory(dir) {
    const pkg = packageJson(dir);
    if (pkg && typeof pkg.main === "string" && pkg.main !== "") {
      const m = path().resolve(dir, pkg.main);
      const found = asFile(m) || asIndex(m);
      if (found) return found;
    }
    return asIndex(dir);
  }

  function asIndex(dir) {
    for (const name of ["index.js", "index.json", "index.cjs"]) {
      if (stat(dir + "/" + name) === 1) return dir + "/" + name;
    }
    return null;
  }

  // The target of `exports` for `subpath` ("." or "./x"), per Node's PACKAGE_EXPORTS_RESOLVE.
  function exportsTarget(exports, subpath, request) {
    const conditional = (v) =>
      v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).every((k) => !k.startsWith("."));
    let map = exports;
    if (typeof exports === "string" || Array.isArray(exports) || conditional(exports)) map = { ".": exports };
    if (map === null || typeof map !== "object") return undefined;
    if (Object.prototype.hasOwnProperty.call(map, subpath) && !subpath.includes("*")) {
      return pick(map[subpath], "");
    }
    let best = null;
    for (const key of Object.keys(map)) {
      const star = key.indexOf("*");
      if (star === -1) continue;
      const prefix = key.slice(0, star);
      const suffix = key.slice(star + 1);
      if (subpath.startsWith(prefix) && subpath.length >= key.length && subpath.endsWith(suffix)) {
        if (best === null || prefix.length > best.prefix.length) {
          best = { key, prefix, match: subpath.slice(prefix.length, subpath.length - suffix.length) };
        }
      }
    }
    if (best) return pick(map[best.key], best.match);
    const e = new Error(`Package subpath '${subpath}' is not defined by "exports" (require('${request}'))`);
    e.code = "ERR_PACKAGE_PATH_NOT_EXPORTED";
    throw e;
  }

  function pick(target, match) {
    if (typeof target === "string") return target.split("*").join(match);
    if (Array.isArray(target)) {
      for (const t of target) {
        const r = pick(t, match);
        if (r !== undefined && r !== null) return r;
      }
      return undefined;
    }
    if (target !== null && typeof target === "object") {
      for (const key of Object.keys(target)) {
        if (key === "require" || key === "node" || key === "default" || key === "node-addons") {
          const r = pick(target[key], match);
          if (r !== undefined) return r;
        }
      }
      return undefined;
    }
    return target === null ? null : undefined;
  }

  function fromNodeModules(request, fromDir) {
    const base = root();
    if (base === null) return null;
    const parts = request.split("/");
    const nameLength = request.startsWith("@") ? 2 : 1;
    const name = parts.slice(0, nameLength).join("/");
    const subpath = parts.length > nameLength ? "./" + parts.slice(nameLength).join("/") : ".";
    // Node walks up from the requiring file's directory; everything lives under the root.
    const dirs = [];
    for (let dir = fromDir; dir.startsWith(base); dir = path().dirname(dir)) {
      if (path().basename(dir) !== "node_modules") dirs.push(dir + "/node_modules");
      else dirs.push(dir);
      if (dir === base) break;
    }
    if (!dirs.includes(base)) dirs.push(base);
    for (const modules of dirs) {
      const dir = modules + "/" + name;
      if (stat(dir) !== 2) continue;
      const pkg = packageJson(dir);
      if (pkg && pkg.exports !== undefined && pkg.exports !== null) {
        const target = exportsTarget(pkg.exports, subpath, request);
        if (typeof target !== "string") throw notFound(request);
        const file = path().resolve(dir, target);
        if (stat(file) === 1) return file;
        throw notFound(request);
      }
      const p = subpath === "." ? dir : path().resolve(dir, subpath);
      const found = asFile(p) || (stat(p) === 2 ? asDirectory(p) : null);
      if (found) return found;
    }
    return null;
  }

  function resolve(request, fromDir, fromFile) {
    if (typeof request !== "string") {
      throw new TypeError(`The "id" argument must be of type string. Received ${typeof request}`);
    }
    if (request === "") throw new TypeError(`The argument 'id' must be a non-empty string. Received ''`);
    // Package files are fixed for a deployment, so where a request leads from a directory is too.
    const key = fromDir + "\0" + request;
    const known = recall(key);
    if (known !== undefined) return known;
    const found = resolveAfresh(request, fromDir, fromFile);
    remember(key, found);
    return found;
  }

  function resolveAfresh(request, fromDir, fromFile) {
    if (request.startsWith("./") || request.startsWith("../") || request === "." || request === ".." || request.startsWith("/")) {
      const p = path().resolve(fromDir, request);
      const found = asFile(p) || (stat(p) === 2 ? asDirectory(p) : null);
      if (found) return found;
      throw notFound(request, fromFile);
    }
    const found = fromNodeModules(request, fromDir);
    if (found) return found;
    if (root() === null) {
      const e = notFound(request, fromFile);
      e.message += `\n(the app has no functions/node_modules: run 'npm install' in functions/)`;
      throw e;
    }
    throw notFound(request, fromFile);
  }

  function load(file) {
    // The running call's own modules: none survives the call.
    const modules = cache();
    const known = modules.get(file);
    if (known) return known.exports;
    const module = { id: file, filename: file, loaded: false, exports: {}, children: [], paths: [] };
    modules.set(file, module);
    try {
      if (file.endsWith(".json")) {
        module.exports = JSON.parse(read(file));
      } else if (file.endsWith(".node")) {
        throw new Error(`${file}: native addons (.node files) cannot run on writ`);
      } else {
        const dir = path().dirname(file);
        const req = makeRequire(dir, file);
        module.require = req;
        compile(file).call(module.exports, module.exports, req, module, file, dir);
      }
    } catch (e) {
      modules.delete(file);
      throw e;
    }
    module.loaded = true;
    return module.exports;
  }

  function makeRequire(fromDir, fromFile) {
    function require(request) {
      const b = builtin(String(request));
      if (b) return b.found;
      return load(resolve(request, fromDir, fromFile));
    }
    require.resolve = (request) => {
      const b = builtin(String(request));
      if (b) return String(request);
      return resolve(request, fromDir, fromFile);
    };
    require.cache = Object.create(null);
    return require;
  }

  // Function files live in `functions/`: their packages are in `functions/node_modules`.
  const functionsDir = () => {
    const base = root();
    return base === null ? "/functions" : path().dirname(base);
  };
  function require(request) {
    const b = builtin(String(request));
    if (b) return b.found;
    const dir = functionsDir();
    return load(resolve(request, dir, undefined));
  }
  require.resolve = (request) => {
    const b = builtin(String(request));
    if (b) return String(request);
    return resolve(request, functionsDir(), undefined);
  };
  return require;
})
