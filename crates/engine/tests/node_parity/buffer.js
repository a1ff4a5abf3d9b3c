// Buffer: encodings both ways, numbers, search, slices as views, errors.
exports = function () {
  const { Buffer } = require("buffer");
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return `${e.name}:${e.code}`;
    }
  };
  const text = "héllo wörld €𝄞";
  const b = Buffer.from(text);
  const nums = Buffer.alloc(16);
  nums.writeUInt32BE(0xdeadbeef, 0);
  nums.writeInt16LE(-2, 4);
  nums.writeDoubleLE(1.5, 8);
  const view = b.slice(1, 4);
  view[0] = 0x41;
  return JSON.stringify({
    same: Buffer === globalThis.Buffer,
    utf8: [b.length, b.toString(), b.toString("utf8", 1, 3), Buffer.byteLength(text)],
    hex: [b.toString("hex"), Buffer.from("48656c6c6fzz", "hex").toString(), Buffer.from("abc", "hex").length],
    base64: [b.toString("base64"), Buffer.from("aGk=", "base64").toString(), Buffer.from("a G k", "base64").toString(), Buffer.from("_-8", "base64").toJSON().data],
    base64url: [Buffer.from([251, 255, 190]).toString("base64url"), Buffer.from("-_-_", "base64url").toJSON().data],
    latin1: [Buffer.from("ÿ€", "latin1").toJSON().data, Buffer.from([0xe9, 0x41]).toString("latin1"), Buffer.from([0xe9, 0x41]).toString("ascii")],
    utf16: [Buffer.from("h€", "utf16le").toJSON().data, Buffer.from([104, 0, 172, 32]).toString("ucs2")],
    invalidUtf8: Buffer.from([0x61, 0xff, 0xc3]).toString(),
    bom: Buffer.from([0xef, 0xbb, 0xbf, 0x61]).toString().length,
    numbers: [nums.readUInt32BE(0), nums.readUInt32LE(0), nums.readInt16LE(4), nums.readDoubleLE(8), nums.readUInt8(0), nums.readIntBE(0, 3), nums.readUIntLE(0, 6)],
    bigint: (() => {
      const x = Buffer.alloc(8);
      x.writeBigInt64BE(-5n);
      return [x.readBigInt64BE().toString(), x.readBigUInt64LE().toString()];
    })(),
    ranges: [attempt(() => nums.readUIntBE(0, 7)), attempt(() => nums.readUInt32BE(14)), attempt(() => nums.writeUInt8(300, 0)), attempt(() => Buffer.alloc(-1)), attempt(() => Buffer.from({}))],
    search: [b.indexOf("l"), b.lastIndexOf("l"), b.includes("wör"), b.indexOf(Buffer.from("€")), b.indexOf(0x6f, 5), b.indexOf("zz")],
    compare: [Buffer.compare(Buffer.from("a"), Buffer.from("b")), Buffer.from("abc").equals(Buffer.from("abc")), Buffer.from("b").compare(Buffer.from("a"))],
    concat: Buffer.concat([Buffer.from("ab"), Buffer.from("cd")], 3).toString(),
    statics: Object.keys(Buffer),
    copyBytesFrom: [Buffer.copyBytesFrom(new Uint16Array([1, 2, 3]), 1).toString("hex"), Buffer.copyBytesFrom(new Uint8Array([1, 2, 3]), 1, 1).toString("hex")],
    concatEmpty: [
      Buffer.concat([Buffer.alloc(0), Buffer.from("ab"), Buffer.alloc(0), Buffer.from("cd")]).toString(),
      Buffer.concat([Buffer.from("ab"), Buffer.alloc(0), Buffer.from("cd")], 3).toString(),
      Buffer.concat([Buffer.from("ab")], 4).toString("hex"),
      (() => { try { return Buffer.concat([Buffer.from("ab"), "x"], 1); } catch (e) { return e.code; } })(),
    ],
    view: [b.toString("utf8", 0, 4), view.length, Buffer.isBuffer(view), view instanceof Uint8Array],
    fill: [Buffer.alloc(5, "ab").toString(), Buffer.alloc(3, 1).toJSON().data, Buffer.alloc(4).fill("xy", 1).toString("hex")],
    write: (() => {
      const w = Buffer.alloc(6);
      const n = w.write("a€b", 1);
      const cut = Buffer.alloc(2);
      return [n, w.toString("hex"), cut.write("€"), cut.toString("hex")];
    })(),
    copy: (() => {
      const t = Buffer.alloc(4, 0x2e);
      const n = Buffer.from("xyz").copy(t, 1, 1);
      return [n, t.toString()];
    })(),
    json: JSON.stringify(Buffer.from("hi")),
    fromJson: Buffer.from({ type: "Buffer", data: [104, 105] }).toString(),
    swap: Buffer.from([1, 2, 3, 4]).swap16().toJSON().data,
    encodings: [Buffer.isEncoding("UTF-8"), Buffer.isEncoding("binary"), Buffer.isEncoding("nope"), attempt(() => b.toString("nope"))],
    arrayBuffer: (() => {
      const ab = new Uint8Array([1, 2, 3, 4]).buffer;
      const v = Buffer.from(ab, 1, 2);
      return [v.length, v[0], v.buffer === ab];
    })(),
    subclass: [Object.getPrototypeOf(Buffer.prototype) === Uint8Array.prototype, b.subarray(0, 2) instanceof Buffer, typeof Buffer.poolSize],
  });
};
