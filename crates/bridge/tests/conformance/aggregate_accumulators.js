await coll.insertMany([
  { _id: 1, team: "a", player: "p1", score: 10 },
  { _id: 2, team: "a", player: "p2", score: 30 },
  { _id: 3, team: "a", player: "p3", score: 20 },
  { _id: 4, team: "b", player: "p4", score: 5 },
  { _id: 5, team: "b", player: "p5" },
]);
const ranked = await coll.aggregate([
  { $sort: { _id: 1 } },
  { $group: {
      _id: "$team",
      firstTwo: { $firstN: { input: "$player", n: 2 } },
      lastTwo: { $lastN: { input: "$player", n: 2 } },
      maxTwo: { $maxN: { input: "$score", n: 2 } },
      minTwo: { $minN: { input: "$score", n: 2 } },
      best: { $top: { sortBy: { score: -1 }, output: ["$player", "$score"] } },
      worst: { $bottom: { sortBy: { score: -1 }, output: "$player" } },
      topTwo: { $topN: { sortBy: { score: -1 }, output: "$player", n: 2 } },
      bottomTwo: { $bottomN: { sortBy: { score: -1 }, output: "$player", n: 2 } },
  } },
  { $sort: { _id: 1 } },
]).toArray();
return { ranked };
