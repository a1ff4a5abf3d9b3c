// Runs a node_parity case as writ runs a function file: the file assigns `exports`, which is
// called with no arguments; its (awaited) string result is written to stdout.
const fs = require("fs");
const source = fs.readFileSync(process.argv[2], "utf8");
const factory = new Function("exports", "module", "require", `${source}\n;return exports;`);
const main = factory(undefined, undefined, require);
Promise.resolve(main()).then((result) => process.stdout.write(String(result)));
