const pt = (lng, lat) => ({ type: "Point", coordinates: [lng, lat] });
await coll.insertMany([
  { _id: "london", loc: pt(-0.1276, 51.5072) },
  { _id: "paris", loc: pt(2.3522, 48.8566) },
  { _id: "new york", loc: pt(-73.9857, 40.7484) },
  { _id: "legacy", loc: [2.0, 48.0] },
  { _id: "road", loc: { type: "LineString", coordinates: [[-1.0, 50.0], [3.0, 50.0]] } },
  { _id: "none", other: 1 },
]);
const ids = async (filter) => (await coll.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
const europe = { type: "Polygon", coordinates: [[[-10, 40], [20, 40], [20, 60], [-10, 60], [-10, 40]]] };
const polygon = await ids({ loc: { $geoWithin: { $geometry: europe } } });
const box = await ids({ loc: { $geoWithin: { $box: [[0, 47], [3, 49]] } } });
const crossing = await ids({ loc: { $geoIntersects: { $geometry: { type: "LineString", coordinates: [[1.0, 45.0], [1.0, 55.0]] } } } });
const inside = await ids({ loc: { $geoIntersects: { $geometry: { type: "Polygon", coordinates: [[[2, 48], [3, 48], [3, 49.5], [2, 49.5], [2, 48]]] } } } });
const counted = await coll.count({ loc: { $geoWithin: { $geometry: europe } } });
return { polygon, box, crossing, inside, counted };
