await coll.insertOne({ _id: 1 });
try {
  await coll.insertOne({ _id: 1 });
  return "no error";
} catch (e) {
  return { name: e.name, code: e.code, codeName: e.codeName, isDup: /duplicate key/i.test(e.message) };
}
