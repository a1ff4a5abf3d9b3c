// Greets the caller; shows context.functions.execute calling a private function.
exports = function (name) {
  console.log("hello called by", context.user.id || "system");
  return context.functions.execute("utils/greeting", name ?? "stranger");
};
