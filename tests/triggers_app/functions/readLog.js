exports = async function (trigger) {
  return context.services.get("mongodb-atlas").db("shop-log").collection("events").find({ trigger }).toArray();
};
