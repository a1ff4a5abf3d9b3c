// A file that opens with ES module imports, as an editor adds them: App Services transpiled
// them into `require` calls, and so does writ (same lines, so stacks keep the file's lines).
import path, { join as joinPath, basename } from "path";
import * as util from "util";
import {
  EventEmitter,
} from "events";
import "buffer";

function inner() {
  return null.x;
}

exports = function () {
  let line;
  try {
    inner();
  } catch (e) {
    line = e.stack.split("\n")[1].trim();
  }
  return {
    join: joinPath("a", "b"),
    base: basename("/x/y.js"),
    sameModule: path.join === joinPath,
    format: util.format("%s=%d", "n", 1),
    namespaceDefault: util.default.format === util.format,
    emitter: typeof new EventEmitter().on,
    line,
  };
};
