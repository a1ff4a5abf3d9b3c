// Blob, File and FormData (Node's globals), Response bodies of each, and a class whose
// method's computed name defines functions (TypeScript's output for `#private` methods).
exports = async function () {
  const out = {};
  const b = new Blob(["héllo", new Uint8Array([33]), new Blob([" x"]), new Uint16Array([0x4141])], { type: "Text/Plain" });
  out.blob = [b.size, b.type, await b.text(), await b.slice(1, 3).text(), await b.slice(-3).text(), String(b), [...new Uint8Array(await b.arrayBuffer())].length];
  out.odd = [new Blob([], { type: "a/\u00e9" }).type, new Blob([1, null, { toString: () => "o" }]).size, new Blob(["a\r\nb"], { endings: "native" }).size];
  const f = new File(["abc"], "a.txt", { type: "text/plain", lastModified: 5 });
  out.file = [f.name, f.size, f.type, f.lastModified, f instanceof Blob, String(f), f.webkitRelativePath];
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("a", 2);
  fd.append("f", new Blob(["xyz"], { type: "x/y" }), "x.bin");
  fd.append("g", new Blob(["q"]));
  fd.set("b", 3);
  fd.set("a", "only");
  out.form = [fd.getAll("a"), fd.get("f").name, fd.get("f").type, fd.get("g").name, fd.get("f") instanceof File, fd.get("b"), fd.get("zz"), fd.has("g"), [...fd.keys()], String(fd)];
  fd.delete("g");
  const r = new Response(fd);
  out.contentType = r.headers.get("content-type").startsWith("multipart/form-data; boundary=");
  const back = await r.formData();
  out.back = await Promise.all([...back].map(async ([k, v]) => [k, typeof v === "string" ? v : [v.name, v.type, await v.text()]]));
  const blobResponse = new Response(new Blob(["zz"], { type: "a/b" }));
  out.blobBody = [blobResponse.headers.get("content-type"), await (await blobResponse.blob()).text()];
  out.urlencoded = [...(await new Response(new URLSearchParams({ q: "1 2", r: "&" })).formData())];
  out.buffer = require("buffer").Blob === Blob && require("buffer").File === File;
  for (const [name, make] of [["badSequence", () => new Blob("x")], ["badFile", () => new File(["x"])], ["badForm", () => new FormData({})]]) {
    try {
      make();
      out[name] = "no error";
    } catch (e) {
      out[name] = e.constructor.name;
    }
  }
  let m;
  class Stream {
    [(m = function m(chunk, n) { var total = chunk.length + n; return total; }, Symbol.iterator)]() {
      return [1][Symbol.iterator]();
    }
  }
  out.classKey = [m("abc", 2), [...new Stream()], Object.getOwnPropertyNames(Stream).sort()];
  return JSON.stringify(out);
};
