exports = async function () {
  return context.services.get("mongodb-atlas").db("crash").collection("copies").find({}).toArray();
};
