// `context.http`: App Services' HTTP client. Each method takes App Services' argument object
// (`url`, or `scheme`/`host`/`path`/`query`/`fragment`/`username`/`password`; `headers` as
// `{Name: [values]}`; `cookies`; `body` as a string or BSON.Binary, or any value with
// `encodeBodyAsJSON`; `form`; `followRedirects`) and resolves to `{status, statusCode,
// contentLength, headers, cookies, body}` with `body` a BSON.Binary (`.text()`), whatever the
// status. Requests run on the server under its outbound policy (one host operation each).
(function (callUser, callSystem) {
  "use strict";
  const fail = (message) => {
    const e = new Error(message);
    e.name = "FunctionError";
    return e;
  };
  const asList = (v) => (Array.isArray(v) ? v.map(String) : [String(v)]);

  function buildUrl(args, withCredentials) {
    if (args.url !== undefined) return String(args.url);
    // The documentation's examples also name the host `domain`.
    const host = args.host !== undefined ? args.host : args.domain;
    if (host === undefined) throw fail("context.http: the request needs a 'url' or a 'host'");
    const scheme = String(args.scheme || "http").replace(/:$/, "");
    const auth = withCredentials && args.username !== undefined ? `${encodeURIComponent(args.username)}${args.password !== undefined ? `:${encodeURIComponent(args.password)}` : ""}@` : "";
    let path = args.path === undefined ? "" : String(args.path);
    if (path !== "" && !path.startsWith("/")) path = `/${path}`;
    let query = "";
    if (args.query) {
      const parts = [];
      for (const key of Object.keys(args.query)) {
        for (const v of asList(args.query[key])) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(v)}`);
      }
      if (parts.length) query = `?${parts.join("&")}`;
    }
    const fragment = args.fragment ? `#${args.fragment}` : "";
    return `${scheme}://${auth}${host}${path}${query}${fragment}`;
  }

  function canonical(name) {
    return name.replace(/(^|-)([a-z])/g, (m, dash, c) => dash + c.toUpperCase());
  }

  function cookiesOf(headers) {
    const cookies = {};
    for (const [k, v] of headers) {
      if (k !== "set-cookie") continue;
      const [pair, ...attrs] = v.split(";");
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const cookie = { value: pair.slice(eq + 1).trim() };
      for (const attr of attrs) {
        const [ak, ...av] = attr.split("=");
        const name = ak.trim().toLowerCase();
        const value = av.join("=").trim();
        if (name === "path") cookie.path = value;
        else if (name === "domain") cookie.domain = value;
        else if (name === "expires") cookie.expires = value;
        else if (name === "max-age") cookie.maxAge = Number(value);
        else if (name === "secure") cookie.secure = true;
        else if (name === "httponly") cookie.httpOnly = true;
      }
      cookies[pair.slice(0, eq).trim()] = cookie;
    }
    return cookies;
  }

  function request(call, method, args, service) {
    if (args === null || typeof args !== "object") throw fail(`context.http.${method.toLowerCase()}: expected an argument object`);
    if (args.authUrl !== undefined) throw fail("context.http: authUrl is not supported by writ: App Services never documented what it did");
    const headers = [];
    let hasContentType = false;
    if (args.headers) {
      for (const name of Object.keys(args.headers)) {
        for (const v of asList(args.headers[name])) headers.push([name, v]);
        if (name.toLowerCase() === "content-type") hasContentType = true;
      }
    }
    if (args.cookies) {
      const pairs = Object.keys(args.cookies).map((k) => `${k}=${args.cookies[k]}`);
      if (pairs.length) headers.push(["Cookie", pairs.join("; ")]);
    }
    let url = buildUrl(args, !args.digestAuth);
    const spec = { method, url, headers, redirect: args.followRedirects ? "follow" : "manual" };
    // A request through one of the app's third-party HTTP services: the server applies its rules.
    if (service !== undefined) spec.service = service;
    if (args.digestAuth) {
      // Digest credentials answer the server's challenge; they never travel as Basic auth.
      let username = args.username;
      let password = args.password;
      const at = url.match(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i);
      if (at) {
        const [user, pass] = at[2].split(":");
        if (username === undefined) username = decodeURIComponent(user);
        if (password === undefined && pass !== undefined) password = decodeURIComponent(pass);
        url = at[1] + url.slice(at[0].length);
        spec.url = url;
      }
      if (username === undefined) throw fail("context.http: digestAuth needs a 'username' and 'password' (or credentials in the URL)");
      spec.digest = { username: String(username), password: password === undefined ? "" : String(password) };
    }
    if (args.form !== undefined) {
      spec.body = Object.keys(args.form)
        .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(args.form[k])}`)
        .join("&");
      if (!hasContentType) headers.push(["Content-Type", "application/x-www-form-urlencoded"]);
    } else if (args.body !== undefined && args.body !== null) {
      if (args.encodeBodyAsJSON) {
        spec.body = EJSON.stringify(args.body, { relaxed: true });
        if (!hasContentType) headers.push(["Content-Type", "application/json"]);
      } else if (args.body instanceof BSON.Binary || typeof args.body === "string") {
        spec.body = args.body;
      } else {
        throw fail("context.http: 'body' must be a string or BSON.Binary (or set encodeBodyAsJSON)");
      }
    }
    return call("request", spec).then((r) => {
      const headerMap = {};
      for (const [k, v] of r.headers) {
        const name = canonical(k);
        (headerMap[name] = headerMap[name] || []).push(v);
      }
      return {
        status: `${r.status} ${r.statusText}`.trim(),
        statusCode: r.status,
        contentLength: r.body.length(),
        headers: headerMap,
        cookies: cookiesOf(r.headers),
        body: r.body,
      };
    });
  }

  return function (system, service) {
    const call = system ? callSystem : callUser;
    const client = {};
    for (const method of ["get", "post", "put", "patch", "delete", "head"]) {
      client[method] = (args) => request(call, method.toUpperCase(), args, service);
    }
    return Object.freeze(client);
  };
})
