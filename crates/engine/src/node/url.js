// `url`: WHATWG `URL` and `URLSearchParams` (parsed by the `url` crate, the WHATWG standard's
// reference behaviour Node follows), the legacy `parse`/`format`/`resolve`, file URL helpers
// and `domainToASCII`/`domainToUnicode`.
(function (natives, require, internal) {
  "use strict";
  const { urlParse, urlSet, formDecode, formEncode, domain } = natives;
  const codeError = internal.codeError;
  const fields = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash", "origin"];
  const inspect = Symbol.for("nodejs.util.inspect.custom");
  // Set by the classes' static blocks: each class reaches the other's private state only here.
  let attach;
  let setSearch;

  function invalid(input) {
    const e = codeError(TypeError, "ERR_INVALID_URL", "Invalid URL");
    e.input = input;
    return e;
  }

  class URLSearchParams {
    #list = [];
    #url = null;
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init === "object" || typeof init === "function") {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const p = Array.from(pair);
            if (p.length !== 2) throw codeError(TypeError, "ERR_INVALID_TUPLE", "Each query pair must be an iterable [name, value] tuple");
            this.#list.push([String(p[0]), String(p[1])]);
          }
        } else {
          for (const key of Reflect.ownKeys(init)) {
            if (typeof key === "string" && Object.prototype.propertyIsEnumerable.call(init, key)) this.#list.push([key, String(init[key])]);
          }
        }
      } else {
        let s = String(init);
        if (s.startsWith("?")) s = s.slice(1);
        this.#parse(s);
      }
    }
    #parse(s) {
      const flat = formDecode(s);
      this.#list = [];
      for (let i = 0; i < flat.length; i += 2) this.#list.push([flat[i], flat[i + 1]]);
    }
    #update() {
      if (this.#url) setSearch(this.#url, this.toString());
    }
    static {
      attach = (params, url, search) => {
        params.#url = url;
        params.#parse(search.startsWith("?") ? search.slice(1) : search);
      };
    }
    get size() {
      return this.#list.length;
    }
    append(name, value) {
      if (arguments.length < 2) throw codeError(TypeError, "ERR_MISSING_ARGS", 'The "name" and "value" arguments must be specified');
      this.#list.push([String(name), String(value)]);
      this.#update();
    }
    delete(name, value) {
      name = String(name);
      this.#list = this.#list.filter(([k, v]) => !(k === name && (value === undefined || v === String(value))));
      this.#update();
    }
    get(name) {
      const found = this.#list.find(([k]) => k === String(name));
      return found ? found[1] : null;
    }
    getAll(name) {
      return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v);
    }
    has(name, value) {
      return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value)));
    }
    set(name, value) {
      name = String(name);
      value = String(value);
      const i = this.#list.findIndex(([k]) => k === name);
      if (i === -1) this.#list.push([name, value]);
      else {
        this.#list[i][1] = value;
        this.#list = this.#list.filter(([k], j) => j <= i || k !== name);
      }
      this.#update();
    }
    sort() {
      const keyed = this.#list.map((p, i) => [p, i]);
      keyed.sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j));
      this.#list = keyed.map(([p]) => p);
      this.#update();
    }
    forEach(callback, thisArg) {
      if (typeof callback !== "function") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function');
      for (let i = 0; i < this.#list.length; i++) {
        const [k, v] = this.#list[i];
        callback.call(thisArg, v, k, this);
      }
    }
    *entries() {
      for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
    }
    *keys() {
      for (const [k] of this.entries()) yield k;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return formEncode(this.#list.flat());
    }
    get [Symbol.toStringTag]() {
      return "URLSearchParams";
    }
    [inspect]() {
      if (this.#list.length === 0) return "URLSearchParams {}";
      const util = require("util");
      return `URLSearchParams { ${this.#list.map(([k, v]) => `${util.inspect(k)} => ${util.inspect(v)}`).join(", ")} }`;
    }
  }

  class URL {
    #c;
    #params = null;
    constructor(input, base = undefined) {
      if (arguments.length === 0) throw codeError(TypeError, "ERR_MISSING_ARGS", 'The "url" argument must be specified');
      const text = `${input}`;
      const c = base === undefined ? urlParse(text) : urlParse(text, `${base}`);
      if (c === null) throw invalid(text);
      this.#c = c;
    }
    static canParse(input, base = undefined) {
      return (base === undefined ? urlParse(`${input}`) : urlParse(`${input}`, `${base}`)) !== null;
    }
    #set(field, value) {
      const c = urlSet(this.#c[0], field, `${value}`);
      if (c === null) {
        if (field === "href") throw invalid(`${value}`);
        return;
      }
      this.#c = c;
      if (this.#params) attach(this.#params, this, this.#c[8]);
    }
    static {
      setSearch = (url, query) => {
        const c = urlSet(url.#c[0], "search", query);
        if (c !== null) url.#c = c;
      };
    }
    get href() {
      return this.#c[0];
    }
    set href(value) {
      this.#set("href", value);
    }
    get protocol() {
      return this.#c[1];
    }
    set protocol(value) {
      this.#set("protocol", value);
    }
    get username() {
      return this.#c[2];
    }
    set username(value) {
      this.#set("username", value);
    }
    get password() {
      return this.#c[3];
    }
    set password(value) {
      this.#set("password", value);
    }
    get host() {
      return this.#c[4];
    }
    set host(value) {
      this.#set("host", value);
    }
    get hostname() {
      return this.#c[5];
    }
    set hostname(value) {
      this.#set("hostname", value);
    }
    get port() {
      return this.#c[6];
    }
    set port(value) {
      this.#set("port", value);
    }
    get pathname() {
      return this.#c[7];
    }
    set pathname(value) {
      this.#set("pathname", value);
    }
    get search() {
      return this.#c[8];
    }
    set search(value) {
      this.#set("search", value);
    }
    get hash() {
      return this.#c[9];
    }
    set hash(value) {
      this.#set("hash", value);
    }
    get origin() {
      return this.#c[10];
    }
    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams();
        attach(this.#params, this, this.#c[8]);
      }
      return this.#params;
    }
    toString() {
      return this.#c[0];
    }
    toJSON() {
      return this.#c[0];
    }
    get [Symbol.toStringTag]() {
      return "URL";
    }
    [inspect](depth, options) {
      const obj = {};
      for (const f of fields) obj[f] = this[f];
      obj.searchParams = this.searchParams;
      const util = require("util");
      return `URL ${util.inspect(obj, options).replace(/^\{/, "{")}`;
    }
  }
  function fileURLToPath(input) {
    const u = typeof input === "string" ? new URL(input) : input;
    if (!(u instanceof URL)) throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "path" argument must be of type string or an instance of URL');
    if (u.protocol !== "file:") throw codeError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
    if (u.hostname !== "") throw codeError(TypeError, "ERR_INVALID_FILE_URL_HOST", `File URL host must be "localhost" or empty on linux`);
    if (/%2f/i.test(u.pathname)) throw codeError(TypeError, "ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters");
    return decodeURIComponent(u.pathname);
  }
  function pathToFileURL(path) {
    const resolved = require("path").resolve(path);
    const trailing = path.endsWith("/") && !resolved.endsWith("/") ? "/" : "";
    const encoded = (resolved + trailing).replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/\t/g, "%09").replace(/#/g, "%23").replace(/\?/g, "%3F");
    return new URL(`file://${encoded}`);
  }

  // The legacy API.
  function Url() {
    this.protocol = null;
    this.slashes = null;
    this.auth = null;
    this.host = null;
    this.port = null;
    this.hostname = null;
    this.hash = null;
    this.search = null;
    this.query = null;
    this.pathname = null;
    this.path = null;
    this.href = null;
  }
  const slashed = new Set(["http:", "https:", "ftp:", "gopher:", "file:", "ws:", "wss:"]);
  function parse(url, parseQueryString, slashesDenoteHost) {
    if (url instanceof Url) return url;
    if (typeof url !== "string") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "url" argument must be of type string. Received ${url === null ? "null" : typeof url}`);
    const u = new Url();
    let rest = url.trim();
    const hashAt = rest.indexOf("#");
    if (hashAt !== -1) {
      u.hash = rest.slice(hashAt);
      rest = rest.slice(0, hashAt);
    }
    const qAt = rest.indexOf("?");
    if (qAt !== -1) {
      u.search = rest.slice(qAt);
      u.query = rest.slice(qAt + 1);
      rest = rest.slice(0, qAt);
    } else if (parseQueryString) {
      u.search = "";
      u.query = {};
    }
    if (parseQueryString && typeof u.query === "string") u.query = require("querystring").parse(u.query);
    const proto = /^[a-z0-9.+-]+:/i.exec(rest);
    if (proto) {
      u.protocol = proto[0].toLowerCase();
      rest = rest.slice(proto[0].length);
    }
    if ((slashesDenoteHost || proto) && rest.startsWith("//") && !(u.protocol === "javascript:")) {
      u.slashes = true;
      rest = rest.slice(2);
      let end = rest.search(/[/\\]/);
      if (end === -1) end = rest.length;
      let authority = rest.slice(0, end);
      rest = rest.slice(end);
      const at = authority.lastIndexOf("@");
      if (at !== -1) {
        u.auth = decodeURIComponent(authority.slice(0, at));
        authority = authority.slice(at + 1);
      }
      const port = /:([0-9]*)$/.exec(authority);
      if (port) {
        if (port[1] !== "") u.port = port[1];
        authority = authority.slice(0, authority.length - port[0].length);
      }
      u.hostname = authority.toLowerCase();
      u.host = u.port ? `${u.hostname}:${u.port}` : u.hostname;
      if (rest === "" && slashed.has(u.protocol)) rest = "/";
    }
    if (rest !== "" || u.slashes) u.pathname = rest === "" ? null : rest;
    if (u.pathname === null && u.slashes && slashed.has(u.protocol)) u.pathname = "/";
    u.path = (u.pathname || "") + (u.search || "") || null;
    u.href = format(u);
    return u;
  }
  function format(obj, options) {
    if (typeof obj === "string") obj = parse(obj);
    if (obj instanceof URL) {
      const o = { auth: true, fragment: true, search: true, unicode: false, ...(options || {}) };
      let s = `${obj.protocol}`;
      if (obj.host !== "" || obj.protocol === "file:") s += "//";
      if (o.auth && (obj.username || obj.password)) s += `${obj.username}${obj.password ? `:${obj.password}` : ""}@`;
      s += o.unicode ? domainToUnicode(obj.hostname) + (obj.port ? `:${obj.port}` : "") : obj.host;
      s += obj.pathname;
      if (o.search) s += obj.search;
      if (o.fragment) s += obj.hash;
      return s;
    }
    if (obj === null || typeof obj !== "object") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "urlObject" argument must be one of type object or string');
    let auth = obj.auth || "";
    if (auth) auth = encodeURIComponent(auth).replace(/%3A/i, ":") + "@";
    let protocol = obj.protocol || "";
    let pathname = obj.pathname || "";
    let hash = obj.hash || "";
    let host = "";
    let query = "";
    if (obj.host) host = auth + obj.host;
    else if (obj.hostname) host = auth + (obj.hostname.includes(":") ? `[${obj.hostname}]` : obj.hostname) + (obj.port ? `:${obj.port}` : "");
    if (obj.query !== null && typeof obj.query === "object") query = require("querystring").stringify(obj.query);
    let search = obj.search || (query && `?${query}`) || "";
    if (protocol && !protocol.endsWith(":")) protocol += ":";
    if (obj.slashes || ((!protocol || slashed.has(protocol)) && host !== "")) {
      host = `//${host}`;
      if (pathname && pathname[0] !== "/") pathname = `/${pathname}`;
    }
    if (hash && hash[0] !== "#") hash = `#${hash}`;
    if (search && search[0] !== "?") search = `?${search}`;
    pathname = pathname.replace(/[?#]/g, encodeURIComponent);
    search = search.replace("#", "%23");
    return protocol + host + pathname + search + hash;
  }
  function resolve(from, to) {
    try {
      return new URL(to, new URL(from)).href;
    } catch {
      const base = new URL(from, "resolve://");
      const r = new URL(to, base);
      if (r.protocol === "resolve:") {
        const { pathname, search, hash } = r;
        return pathname + search + hash;
      }
      return r.href;
    }
  }
  const domainToASCII = (d) => domain(`${d}`, false);
  const domainToUnicode = (d) => domain(`${d}`, true);
  const exports = {
    URL,
    URLSearchParams,
    Url,
    parse,
    format,
    resolve,
    resolveObject: (from, to) => parse(resolve(from, to)),
    fileURLToPath,
    pathToFileURL,
    domainToASCII,
    domainToUnicode,
    urlToHttpOptions: (u) => ({
      protocol: u.protocol,
      hostname: u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname,
      hash: u.hash,
      search: u.search,
      pathname: u.pathname,
      path: `${u.pathname || ""}${u.search || ""}`,
      href: u.href,
      ...(u.port !== "" ? { port: Number(u.port) } : {}),
      ...(u.username || u.password ? { auth: `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` } : {}),
    }),
  };
  return exports;
})
