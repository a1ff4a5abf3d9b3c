exports = async function (event) {
  const qty = event.fullDocument.qty;
  if (qty % 2 === 1) throw new Error(`odd quantity ${qty}`);
  await context.services.get("mongodb-atlas").db("shop-log").collection("events").insertOne({ trigger: "evenOnly", qty });
};
