exports = async function (event) {
  await context.services.get("mongodb-atlas").db("shop-log").collection("events").insertOne({ trigger: "itemChanges", event });
};
