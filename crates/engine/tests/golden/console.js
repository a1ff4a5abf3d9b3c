exports = function () {
  console.log("plain", 1, true, null, undefined);
  console.info({ a: 1, id: new BSON.ObjectId("5f1f216e82df4a7979f9da93") });
  console.warn("careful", [1, "two"]);
  console.error(new TypeError("bad thing"));
  console.debug(new Date(0));
  return "done";
};
