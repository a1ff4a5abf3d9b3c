// args: [{"x": 2}]
exports = async (input) => {
  const doubled = await Promise.resolve(input.x * 2);
  const all = await Promise.all([1, Promise.resolve(2), new Promise((r) => r(3))]);
  let caught;
  try { await Promise.reject(new Error("nope")); } catch (e) { caught = e.message; }
  return { doubled, all, caught };
};
