throw new Error("the file's top level throws");
exports = function () { return 1; };
