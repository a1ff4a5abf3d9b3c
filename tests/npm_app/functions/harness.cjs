// Runs a function file of this app in Node.js, resolving packages from this directory as a
// function's `require` does on writ, with the optional second argument as the function's
// argument, and prints the function's result. tests/npm.rs compares
// it with what writ returns for the same file.
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");
const file = path.resolve(process.argv[2]);
const source = fs.readFileSync(file, "utf8");
const appRequire = createRequire(file);
const main = new Function("exports", "require", `${source}\n;return exports;`)(undefined, appRequire);
Promise.resolve(process.argv[3] === undefined ? main() : main(process.argv[3])).then((result) => process.stdout.write(String(result)));
