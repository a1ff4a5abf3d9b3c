exports = async function () {
  await new Promise(() => {});
};
