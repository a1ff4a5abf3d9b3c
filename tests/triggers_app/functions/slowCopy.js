// Takes two seconds, then counts the order: the crash test kills writ meanwhile.
exports = async function (event) {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await context.services.get("mongodb-atlas").db("crash").collection("copies")
    .updateOne({ _id: event.documentKey._id }, { $inc: { runs: 1 } }, { upsert: true });
};
