// The handler of the database trigger `onColorChange`: runs (as system) for every update of a
// user's document, with the change event.
exports = function (changeEvent) {
  console.log("favorite color changed for", changeEvent.documentKey._id);
};
