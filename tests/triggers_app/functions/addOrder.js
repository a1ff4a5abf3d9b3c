exports = async function (n) {
  return context.services.get("mongodb-atlas").db("crash").collection("orders").insertOne({ _id: n });
};
