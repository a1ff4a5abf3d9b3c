// path: Node's POSIX functions.
exports = function () {
  const path = require("path");
  return JSON.stringify({
    join: [path.join("/a/b", "../c", "./d"), path.join("a", "", "b/"), path.join(), path.join("..", "x")],
    resolve: [path.resolve("/a/b", "./c"), path.resolve("/a", "/b", "c/.."), path.resolve("/x/y/", "..", "z")],
    normalize: [path.normalize("/a//b/../c/."), path.normalize(""), path.normalize("./a/"), path.normalize("../../a")],
    dirname: [path.dirname("/a/b/c"), path.dirname("a"), path.dirname("/"), path.dirname("/a/b/")],
    basename: [path.basename("/a/b.txt"), path.basename("/a/b.txt", ".txt"), path.basename("/a/b/"), path.basename("b.txt", "b.txt")],
    extname: [path.extname("a.b.c"), path.extname(".profile"), path.extname("a."), path.extname("a")],
    relative: [path.relative("/a/b/c", "/a/d"), path.relative("/a", "/a/b/c"), path.relative("/a/b", "/a/b")],
    parse: [path.parse("/home/u/file.tar.gz"), path.parse("./x"), path.parse("/")],
    format: [path.format({ dir: "/a", base: "b.txt" }), path.format({ root: "/", name: "n", ext: "e" })],
    isAbsolute: [path.isAbsolute("/a"), path.isAbsolute("a"), path.isAbsolute("")],
    constants: [path.sep, path.delimiter, path.posix === path],
    errors: (() => {
      try {
        path.join("a", 1);
      } catch (e) {
        return [e.name, e.code];
      }
    })(),
  });
};
