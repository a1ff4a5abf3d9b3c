// `stream/consumers` as Node 20 has it: the whole of a stream (a Node Readable, a web
// ReadableStream or any async iterable) as bytes, text, JSON or a Blob.
(function (natives, require, internal) {
  "use strict";
  const { Buffer } = require("buffer");
  async function buffer(stream) {
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(chunks);
  }
  async function text(stream) {
    return new TextDecoder().decode(await buffer(stream));
  }
  return {
    arrayBuffer: async (stream) => {
      const b = await buffer(stream);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
    },
    blob: async (stream) => new (require("internal/blob").Blob)([await buffer(stream)]),
    buffer,
    json: async (stream) => JSON.parse(await text(stream)),
    text,
  };
})
