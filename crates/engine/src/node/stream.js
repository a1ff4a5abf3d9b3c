// `stream`: the legacy `Stream` (an EventEmitter with `pipe`), which older packages build on.
// The streams2+ classes are not built yet; they throw naming themselves.
(function (natives, require, internal) {
  "use strict";
  const EventEmitter = require("events");
  function Stream(opts) {
    EventEmitter.call(this, opts);
  }
  Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
  Object.setPrototypeOf(Stream, EventEmitter);
  Stream.prototype.pipe = function pipe(dest, options) {
    const source = this;
    function ondata(chunk) {
      if (dest.writable && dest.write(chunk) === false && source.pause) source.pause();
    }
    source.on("data", ondata);
    function ondrain() {
      if (source.readable && source.resume) source.resume();
    }
    dest.on("drain", ondrain);
    if (!options || options.end !== false) {
      source.on("end", () => dest.end());
    }
    dest.emit("pipe", source);
    return dest;
  };
  Stream.Stream = Stream;
  internal.subclassable(Stream.prototype);
  internal.unsupported(Stream, "stream", ["Readable", "Writable", "Duplex", "Transform", "PassThrough", "pipeline", "finished", "addAbortSignal", "compose"], "streams2 classes are not supported by writ yet");
  return Stream;
})
