// The handler of a database trigger, which writ does not run (see `writ check`).
exports = function (changeEvent) {
  console.log("favorite color changed for", changeEvent.documentKey._id);
};
