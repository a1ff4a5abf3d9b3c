// URL, URLSearchParams and the legacy url API.
exports = function () {
  const url = require("url");
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return `${e.name}:${e.code}`;
    }
  };
  const u = new URL("https://user:pa ss@EXAMPLE.com:8080/a/../b/c?x=1&y=2&x=3#frag");
  const parts = (v) => ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"].map((k) => v[k]);
  const s = new URLSearchParams("a=1&b=two+words&a=%F0%9F%98%80&c");
  const m = new URL("http://x.org/p?q=1");
  m.searchParams.append("r", "a b&c");
  m.pathname = "/new path";
  m.port = "81";
  m.hash = "h";
  const sorted = new URLSearchParams({ z: "1", a: "2", m: "3" });
  sorted.sort();
  return JSON.stringify({
    parts: parts(u),
    relative: [new URL("../x?y#z", "http://h.com/a/b/c").href, new URL("//other.net/p", "https://h.com").href, new URL("?q", "http://h/p").href],
    special: [new URL("HTTP://h.COM:80/").href, new URL("file:///tmp/a b").href, new URL("mailto:someone@x.org").pathname, new URL("http://[::1]:3000/").host],
    unicode: [new URL("https://bücher.de/ä?ü=ö").href, url.domainToASCII("español.com"), url.domainToUnicode("xn--espaol-zwa.com")],
    invalid: [attempt(() => new URL("not a url")), attempt(() => new URL("/relative")), URL.canParse("http://x"), URL.canParse("x")],
    params: [s.get("a"), s.getAll("a"), s.get("b"), s.has("c"), s.get("nope"), s.toString(), [...s.keys()], s.size],
    mutation: [m.href, m.search, m.searchParams.get("r")],
    sorted: sorted.toString(),
    fromPairs: new URLSearchParams([["x", "1"], ["y", "é"]]).toString(),
    json: JSON.stringify({ u: new URL("http://a.b/c") }),
    legacyParse: (() => {
      const p = url.parse("http://user:pass@Host.com:8080/p/a/t/h?query=string#hash", true);
      return [p.protocol, p.slashes, p.auth, p.host, p.port, p.hostname, p.hash, p.search, p.query, p.pathname, p.path, p.href];
    })(),
    legacyPlain: (() => {
      const p = url.parse("/just/a/path?x=1");
      return [p.protocol, p.host, p.pathname, p.search, p.query, p.path, p.href];
    })(),
    format: [url.format({ protocol: "https", hostname: "x.com", pathname: "/a", query: { b: "c d" } }), url.format(new URL("http://u:p@h.com/x?y#z"), { auth: false, search: false })],
    resolve: [url.resolve("http://a.com/b/c", "../d"), url.resolve("/one/two/three", "four"), url.resolve("http://example.com/", "/one")],
    file: [url.fileURLToPath("file:///tmp/a%20b"), url.pathToFileURL("/tmp/x y#z").href],
    globals: [URL === url.URL, URLSearchParams === url.URLSearchParams],
  });
};
