// `dns`: `lookup` (the system's resolver, as getaddrinfo) and the `resolve*` queries (the
// system's name servers), run by the server under the operator's outbound policy: a denied
// name is not resolved, and addresses functions may not reach are left out. Callback and
// promise forms (`dns.promises`, `dns/promises`) and `Resolver`; choosing name servers is the
// operator's, not a function's.
(function (natives, require, internal) {
  "use strict";
  const codeError = internal.codeError;
  const { isIP } = require("net");

  function dnsError(e, syscall, hostname) {
    const error = new Error(e && e.message ? e.message : String(e));
    error.code = e && typeof e.codeName === "string" ? e.codeName : "ESERVFAIL";
    if (e && typeof e.code === "number") error.errno = e.code;
    error.syscall = syscall;
    error.hostname = hostname;
    return error;
  }
  function run(kind, spec) {
    return natives.netOp(kind, spec, false)[0];
  }
  function checkName(hostname) {
    if (typeof hostname !== "string") {
      throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "hostname" argument must be of type string. Received ${hostname === null ? "null" : typeof hostname}`);
    }
  }
  function checkCallback(callback) {
    if (typeof callback !== "function") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "callback" argument must be of type function. Received ${callback === null ? "null" : typeof callback}`);
  }

  // ---- promise forms
  async function lookupAsync(hostname, options) {
    checkName(hostname);
    const o = typeof options === "number" ? { family: options } : { ...(options || {}) };
    let family = o.family === "IPv4" ? 4 : o.family === "IPv6" ? 6 : Number(o.family || 0);
    if (![0, 4, 6].includes(family)) throw codeError(TypeError, "ERR_INVALID_ARG_VALUE", `The property 'options.family' must be one of: 0, 4, 6. Received ${o.family}`);
    const literal = isIP(hostname);
    let addresses;
    if (literal) {
      addresses = [{ address: hostname, family: literal }];
    } else {
      try {
        addresses = (await run("lookup", { host: hostname || "localhost", family })).addresses;
      } catch (e) {
        throw dnsError(e, "getaddrinfo", hostname);
      }
    }
    return o.all ? addresses.map((a) => ({ address: a.address, family: a.family })) : { address: addresses[0].address, family: addresses[0].family };
  }
  const rrtypes = { A: "resolve4", AAAA: "resolve6", MX: "resolveMx", TXT: "resolveTxt", SRV: "resolveSrv", CNAME: "resolveCname", NS: "resolveNs", PTR: "resolvePtr", SOA: "resolveSoa", CAA: "resolveCaa" };
  function checkType(rrtype) {
    if (!Object.prototype.hasOwnProperty.call(rrtypes, rrtype)) {
      if (rrtype === "ANY" || rrtype === "NAPTR") throw internal.missing(`dns.resolve(hostname, '${rrtype}')`)();
      throw codeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'rrtype' is invalid. Received '${rrtype}'`);
    }
  }
  async function resolveAsync(hostname, rrtype = "A", options) {
    checkName(hostname);
    checkType(rrtype);
    const syscall = `query${rrtype[0]}${rrtype.slice(1).toLowerCase()}`;
    let records;
    try {
      records = (await run("resolve", { host: hostname, rrtype })).records;
    } catch (e) {
      throw dnsError(e, syscall, hostname);
    }
    if (rrtype === "A" || rrtype === "AAAA") return options && options.ttl ? records.map((r) => ({ address: r.address, ttl: r.ttl })) : records.map((r) => r.address);
    if (rrtype === "SOA") return records[0];
    return records;
  }
  async function reverseAsync(ip) {
    if (!isIP(ip)) throw codeError(Error, "EINVAL", `getHostByAddr EINVAL ${ip}`);
    try {
      return (await run("reverse", { ip })).names;
    } catch (e) {
      throw dnsError(e, "getHostByAddr", ip);
    }
  }

  const promises = {
    lookup: lookupAsync,
    resolve: resolveAsync,
    reverse: reverseAsync,
  };
  for (const [type, name] of Object.entries(rrtypes)) promises[name] = (hostname, options) => resolveAsync(hostname, type, options);

  // ---- callback forms
  const callbackForm = (f) =>
    function (...args) {
      const callback = args.pop();
      checkCallback(callback);
      f(...args).then(
        (v) => callback(null, v),
        (e) => callback(e),
      );
      return {};
    };
  function lookup(hostname, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = undefined;
    }
    checkCallback(callback);
    const all = Boolean(options && typeof options === "object" && options.all);
    lookupAsync(hostname, options).then(
      (v) => (all ? callback(null, v) : callback(null, v.address, v.family)),
      (e) => callback(e),
    );
    return {};
  }
  function resolve(hostname, rrtype, callback) {
    if (typeof rrtype === "function") {
      callback = rrtype;
      rrtype = "A";
    }
    checkCallback(callback);
    checkName(hostname);
    checkType(rrtype);
    resolveAsync(hostname, rrtype).then(
      (v) => callback(null, v),
      (e) => callback(e),
    );
    return {};
  }
  const dns = { lookup, resolve, reverse: callbackForm(reverseAsync), promises };
  for (const [type, name] of Object.entries(rrtypes)) {
    dns[name] = function (hostname, options, callback) {
      if (typeof options === "function") {
        callback = options;
        options = undefined;
      }
      checkCallback(callback);
      resolveAsync(hostname, type, options).then(
        (v) => callback(null, v),
        (e) => callback(e),
      );
      return {};
    };
  }

  const serversWhy = "the server's name servers are the operator's choice";
  function makeResolver(methods) {
    function Resolver() {
      if (!(this instanceof Resolver)) throw codeError(TypeError, "ERR_CONSTRUCT_CALL_REQUIRED", "Class constructor Resolver cannot be invoked without 'new'");
    }
    for (const name of Object.keys(methods)) {
      if (name !== "promises" && name !== "lookup") Resolver.prototype[name] = methods[name];
    }
    Resolver.prototype.cancel = function () {};
    internal.unsupported(Resolver.prototype, "dns.Resolver", ["setServers", "getServers", "setLocalAddress"], serversWhy);
    return Resolver;
  }
  dns.Resolver = makeResolver(dns);
  promises.Resolver = makeResolver(promises);
  internal.unsupported(dns, "dns", ["setServers", "getServers", "lookupService", "resolveAny", "resolveNaptr"], serversWhy);
  internal.unsupported(promises, "dns.promises", ["setServers", "getServers", "lookupService", "resolveAny", "resolveNaptr"], serversWhy);
  dns.getDefaultResultOrder = promises.getDefaultResultOrder = () => "verbatim";
  dns.setDefaultResultOrder = promises.setDefaultResultOrder = (order) => {
    if (order !== "verbatim") throw internal.missing(`dns.setDefaultResultOrder('${order}')`)();
  };
  const codes = ["NODATA", "FORMERR", "SERVFAIL", "NOTFOUND", "NOTIMP", "REFUSED", "BADQUERY", "BADNAME", "BADFAMILY", "BADRESP", "CONNREFUSED", "TIMEOUT", "EOF", "FILE", "NOMEM", "DESTRUCTION", "BADSTR", "BADFLAGS", "NONAME", "BADHINTS", "NOTINITIALIZED", "LOADIPHLPAPI", "ADDRGETNETWORKPARAMS", "CANCELLED"];
  for (const code of codes) dns[code] = promises[code] = `E${code}`;
  dns.ADDRCONFIG = 1024;
  dns.V4MAPPED = 2048;
  dns.ALL = 256;
  return dns;
})
