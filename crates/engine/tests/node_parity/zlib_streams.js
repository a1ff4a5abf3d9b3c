// zlib's stream classes: round trips through pipeline, data Node compressed decoded chunk by
// chunk, flush() producing output mid-stream, unzip's format detection, and errors on bad and
// truncated input (compressed bytes differ between implementations, so no byte comparison of
// compressed output).
exports = async function () {
  const zlib = require("zlib");
  const { pipeline, Readable, Writable, PassThrough } = require("stream");
  const text = "streamed writ ".repeat(500);
  const collect = () => {
    const chunks = [];
    const sink = new Writable({ write(chunk, enc, cb) { chunks.push(chunk); cb(); } });
    sink.result = () => Buffer.concat(chunks);
    return sink;
  };
  const through = (source, ...streams) =>
    new Promise((resolve, reject) => {
      const sink = collect();
      pipeline(Readable.from(source), ...streams, sink, (err) => (err ? reject(err) : resolve(sink.result())));
    });
  const parts = (buf, n) => {
    const out = [];
    for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
    return out;
  };
  const pairs = [
    ["gzip", zlib.createGzip, zlib.createGunzip],
    ["deflate", zlib.createDeflate, zlib.createInflate],
    ["raw", zlib.createDeflateRaw, zlib.createInflateRaw],
    ["brotli", zlib.createBrotliCompress, zlib.createBrotliDecompress],
    ["unzip", zlib.createGzip, zlib.createUnzip],
  ];
  const roundTrips = {};
  for (const [name, make, unmake] of pairs) {
    const packed = await through(parts(Buffer.from(text), 700), make());
    const unpacked = await through(parts(packed, 13), unmake());
    roundTrips[name] = [unpacked.toString() === text, packed.length < text.length];
  }
  const nodeGzip = Buffer.from("H4sIAAAAAAAAA8tIzcnJV8hAkACAiPnlEQAAAA==", "base64");
  const decoded = (await through(parts(nodeGzip, 3), zlib.createGunzip())).toString();
  const oneShot = zlib.gunzipSync(await through([Buffer.from(text)], new zlib.Gzip({ level: 1 }))).toString() === text;

  // flush() emits what was written so far, before the end.
  const flushed = await new Promise((resolve) => {
    const gzip = zlib.createGzip();
    const inflater = zlib.createGunzip();
    let seen = "";
    inflater.on("data", (d) => (seen += d));
    gzip.on("data", (d) => inflater.write(d));
    gzip.write("first part ");
    gzip.flush(() => setTimeout(() => resolve(seen), 10));
  });

  const errors = {};
  for (const [name, stream, input] of [
    ["notGzip", zlib.createGunzip(), Buffer.from("definitely not gzip")],
    ["notZlib", zlib.createInflate(), Buffer.from("nope nope")],
    ["truncated", zlib.createGunzip(), zlib.gzipSync(text).subarray(0, 30)],
  ]) {
    errors[name] = await through([input], stream).then(() => "ok", (e) => [e.code, e.errno, e.message]);
  }
  const counted = zlib.createDeflate();
  await through([Buffer.from("12345"), Buffer.from("678")], counted);
  return JSON.stringify({ roundTrips, decoded, oneShot, flushed, errors, bytesWritten: counted.bytesWritten, isTransform: counted instanceof require("stream").Transform, passThrough: typeof PassThrough });
};
