// zlib (compressed bytes differ between implementations, so: round trips, data Node
// compressed, errors, crc32, constants) and timer objects.
exports = async function () {
  const zlib = require("zlib");
  const util = require("util");
  const text = "writ ".repeat(200);
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return [e.code, e.errno];
    }
  };
  const fromNode = {
    gunzip: zlib.gunzipSync(Buffer.from("H4sIAAAAAAAAA8tIzcnJV8hAkACAiPnlEQAAAA==", "base64")).toString(),
    inflate: zlib.inflateSync(Buffer.from("eJxLSU3LSSxJTVEoSa0oAQAjngUf", "base64")).toString(),
    unzip: [zlib.unzipSync(Buffer.from("H4sIAAAAAAAAA8tIzcnJV8hAkACAiPnlEQAAAA==", "base64")).toString(), zlib.unzipSync(Buffer.from("eJxLSU3LSSxJTVEoSa0oAQAjngUf", "base64")).toString()],
    brotli: zlib.brotliDecompressSync(Buffer.from("CwWAYnJvdGxpIHRleHQD", "base64")).toString(),
  };
  const roundTrips = [
    zlib.gunzipSync(zlib.gzipSync(text)).toString() === text,
    zlib.inflateSync(zlib.deflateSync(text, { level: 9 })).toString() === text,
    zlib.inflateRawSync(zlib.deflateRawSync(Buffer.from(text))).toString() === text,
    zlib.brotliDecompressSync(zlib.brotliCompressSync(text)).toString() === text,
    zlib.gzipSync(text).length < text.length,
  ];
  const promised = (await util.promisify(zlib.gunzip)(zlib.gzipSync("async"))).toString();
  const callback = await new Promise((resolve) => zlib.deflate("cb", (err, out) => resolve([err, zlib.inflateSync(out).toString()])));
  const timer = setTimeout(() => {}, 1000);
  const hasRef = [timer.hasRef(), timer.unref().hasRef()];
  clearTimeout(timer);
  return JSON.stringify({
    fromNode,
    roundTrips,
    promised,
    callback,
    errors: [attempt(() => zlib.gunzipSync(Buffer.from("not gzip"))), attempt(() => zlib.inflateSync(Buffer.from([1, 2, 3])))].map((e) => e[1]),
    crc32: [zlib.crc32("hello"), zlib.crc32(Buffer.from("world"), 12345)],
    constants: [zlib.constants.Z_SYNC_FLUSH, zlib.constants.BROTLI_PARAM_QUALITY, zlib.constants.Z_BEST_COMPRESSION, zlib.codes.Z_DATA_ERROR],
    hasRef,
    timerType: typeof timer,
  });
};
