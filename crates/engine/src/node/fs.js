// `fs`: what App Services offered functions (`readFileSync`, `statSync`, `lstatSync`,
// `accessSync`, `constants`), plus `existsSync`, `readdirSync` and their callback and promise
// forms, read-only and confined to the app's `functions/node_modules`, where packages read
// their own data files (`path.join(__dirname, "data.json")`). Paths elsewhere are refused
// with EACCES; writing is not available.
(function (natives, require, internal) {
  "use strict";
  const { Buffer } = require("buffer");
  const pathModule = require("path");
  const codeError = internal.codeError;

  const constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128, O_TRUNC: 512, O_APPEND: 1024, S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFLNK: 40960, COPYFILE_EXCL: 1, UV_FS_O_FILEMAP: 0 };
  const messages = { ENOENT: "no such file or directory", EACCES: "permission denied", EISDIR: "illegal operation on a directory", ENOTDIR: "not a directory", EFBIG: "file too large" };
  const errnos = { ENOENT: -2, EACCES: -13, EISDIR: -21, ENOTDIR: -20, EFBIG: -27 };

  function fsError(code, syscall, path) {
    const e = new Error(`${code}: ${messages[code] || "error"}, ${syscall} '${path}'`);
    e.errno = errnos[code];
    e.code = code;
    e.syscall = syscall;
    e.path = path;
    return e;
  }
  function toPath(p) {
    if (p instanceof URL) {
      if (p.protocol !== "file:") throw codeError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
      return decodeURIComponent(p.pathname);
    }
    if (Buffer.isBuffer(p)) return p.toString();
    if (typeof p !== "string") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "path" argument must be of type string or an instance of Buffer or URL. Received ${p === null ? "null" : typeof p}`);
    return p;
  }
  const absolute = (p) => pathModule.resolve(toPath(p));

  class Stats {
    constructor([kind, size, mode, mtimeMs, ctimeMs, ino, nlink]) {
      this.dev = 0;
      this.mode = mode;
      this.nlink = nlink;
      this.uid = 0;
      this.gid = 0;
      this.rdev = 0;
      this.blksize = 4096;
      this.ino = ino;
      this.size = size;
      this.blocks = Math.ceil(size / 512);
      this.atimeMs = mtimeMs;
      this.mtimeMs = mtimeMs;
      this.ctimeMs = ctimeMs;
      this.birthtimeMs = ctimeMs;
      this.atime = new Date(mtimeMs);
      this.mtime = new Date(mtimeMs);
      this.ctime = new Date(ctimeMs);
      this.birthtime = new Date(ctimeMs);
      Object.defineProperty(this, "_kind", { value: kind });
    }
    isFile() {
      return this._kind === 1;
    }
    isDirectory() {
      return this._kind === 2;
    }
    isSymbolicLink() {
      return this._kind === 3;
    }
    isBlockDevice() {
      return false;
    }
    isCharacterDevice() {
      return false;
    }
    isFIFO() {
      return false;
    }
    isSocket() {
      return false;
    }
  }

  function stat(p, follow, syscall, options) {
    const path = absolute(p);
    const answer = natives.fsStat(path, follow);
    if (typeof answer === "string") {
      if (options && options.throwIfNoEntry === false && answer === "ENOENT") return undefined;
      throw fsError(answer, syscall, toPath(p));
    }
    return new Stats(answer);
  }
  function readFileSync(p, options) {
    if (typeof p === "number") throw internal.missing("fs.readFileSync(fd)", "functions have no file descriptors")();
    const encoding = typeof options === "string" ? options : options && options.encoding;
    const answer = natives.fsRead(absolute(p));
    if (typeof answer === "string") throw fsError(answer, answer === "EISDIR" ? "read" : "open", toPath(p));
    const buffer = Buffer.from(answer.buffer, answer.byteOffset, answer.length);
    return encoding ? buffer.toString(encoding) : buffer;
  }
  function accessSync(p, mode = constants.F_OK) {
    stat(p, true, "access");
    if (mode & constants.W_OK) throw fsError("EACCES", "access", toPath(p));
  }
  function existsSync(p) {
    try {
      stat(p, true, "access");
      return true;
    } catch {
      return false;
    }
  }
  function readdirSync(p, options) {
    const answer = natives.fsList(absolute(p));
    if (typeof answer === "string") throw fsError(answer, "scandir", toPath(p));
    if (options && options.withFileTypes) {
      return answer.map((name) => {
        const s = stat(pathModule.join(absolute(p), name), false, "lstat");
        return Object.assign(Object.create(Stats.prototype, { _kind: { value: s._kind } }), { name, path: absolute(p), parentPath: absolute(p) });
      });
    }
    return answer;
  }
  const sync = {
    readFileSync,
    statSync: (p, options) => stat(p, true, "stat", options),
    lstatSync: (p, options) => stat(p, false, "lstat", options),
    accessSync,
    existsSync,
    readdirSync,
  };
  const fs = { ...sync, constants, Stats, ...constants };
  const promises = {};
  for (const [name, f] of Object.entries(sync)) {
    if (name === "existsSync") continue;
    const plain = name.slice(0, -4);
    fs[plain] = function (...args) {
      const callback = args.pop();
      if (typeof callback !== "function") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "cb" argument must be of type function');
      let value, error = null;
      try {
        value = f(...args);
      } catch (e) {
        error = e;
      }
      queueMicrotask(() => (error ? callback(error) : callback(null, value)));
    };
    promises[plain] = async (...args) => f(...args);
  }
  fs.exists = (p, callback) => queueMicrotask(() => callback(existsSync(p)));
  promises.constants = constants;
  fs.promises = promises;
  const why = "functions cannot write files";
  const writers = ["writeFile", "appendFile", "mkdir", "rm", "rmdir", "unlink", "rename", "copyFile", "symlink", "link", "chmod", "chown", "truncate", "utimes", "mkdtemp", "cp"];
  internal.unsupported(fs, "fs", writers.flatMap((n) => [n, `${n}Sync`]).concat(["createWriteStream"]), why);
  internal.unsupported(promises, "fs.promises", writers, why);
  const notOffered = ["open", "openSync", "close", "closeSync", "read", "readSync", "write", "writeSync", "createReadStream", "watch", "watchFile", "unwatchFile", "realpath", "realpathSync", "opendir", "opendirSync", "fstat", "fstatSync", "readlink", "readlinkSync"];
  internal.unsupported(fs, "fs", notOffered, "App Services offered functions readFileSync, statSync, lstatSync and accessSync");
  internal.unsupported(promises, "fs.promises", ["open", "realpath", "opendir", "readlink", "watch"], "App Services offered functions readFile, stat, lstat and access");
  return fs;
})
