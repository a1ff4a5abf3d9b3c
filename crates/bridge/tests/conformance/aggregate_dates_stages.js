await coll.insertMany([
  { _id: 1, at: new Date("2024-01-31T23:59:58.123Z"), cat: "a", v: 5, owner: "ann" },
  { _id: 2, at: new Date("2023-12-31T12:00:00Z"), cat: "b", v: 15, owner: "bob" },
  { _id: 3, at: new Date("2021-01-03T06:07:08.009Z"), cat: "a", v: 25, owner: "ann" },
  { _id: 4, at: new Date("2020-02-29T00:00:00Z"), cat: "c", v: 30, owner: "cy" },
]);
await db.collection("people").insertMany([
  { _id: "ann", age: 30, city: "Oslo" },
  { _id: "bob", age: 40, city: "Rome" },
  { _id: "cy", age: 50, city: "Oslo" },
]);
await db.collection("extra").insertMany([{ _id: 10, cat: "z", v: 1 }]);
const parts = await coll.aggregate([
  { $sort: { _id: 1 } },
  { $project: {
      y: { $year: "$at" }, mo: { $month: "$at" }, d: { $dayOfMonth: "$at" }, h: { $hour: "$at" },
      mi: { $minute: "$at" }, s: { $second: "$at" }, ms: { $millisecond: "$at" },
      dow: { $dayOfWeek: "$at" }, doy: { $dayOfYear: "$at" }, wk: { $week: "$at" },
      iw: { $isoWeek: "$at" }, iwy: { $isoWeekYear: "$at" }, idow: { $isoDayOfWeek: "$at" },
      shifted: { $hour: { date: "$at", timezone: "+05:30" } },
      str: { $dateToString: { date: "$at", format: "%Y-%m-%d %H:%M:%S.%L %V %G %u" } },
      strTz: { $dateToString: { date: "$at", format: "%Y-%m-%dT%H:%M%z", timezone: "-08:00" } },
      dflt: { $dateToString: { date: "$at" } },
      plusMonth: { $dateAdd: { startDate: "$at", unit: "month", amount: 1 } },
      minusYear: { $dateSubtract: { startDate: "$at", unit: "year", amount: 1 } },
      plusDays: { $dateAdd: { startDate: "$at", unit: "day", amount: 3 } },
      diffDays: { $toInt: { $dateDiff: { startDate: "$at", endDate: new Date("2024-03-01T00:00:00Z"), unit: "day" } } },
      diffMonths: { $toInt: { $dateDiff: { startDate: "$at", endDate: new Date("2024-03-01T00:00:00Z"), unit: "month" } } },
      diffWeeks: { $toInt: { $dateDiff: { startDate: "$at", endDate: new Date("2024-03-01T00:00:00Z"), unit: "week" } } },
      truncMonth: { $dateTrunc: { date: "$at", unit: "month" } },
      truncWeek: { $dateTrunc: { date: "$at", unit: "week" } },
      truncHour: { $dateTrunc: { date: "$at", unit: "hour" } },
      toParts: { $dateToParts: { date: "$at" } },
      nyHour: { $hour: { date: "$at", timezone: "America/New_York" } },
      bin15m: { $dateTrunc: { date: "$at", unit: "minute", binSize: 15 } },
      bin2q: { $dateTrunc: { date: "$at", unit: "quarter", binSize: 2 } },
      parisText: { $dateToString: { date: "$at", format: "%Y-%m-%d %H:%M %z", timezone: "Europe/Paris" } },
      nyMonths: { $toInt: { $dateDiff: { startDate: "$at", endDate: new Date("2024-03-01T03:00:00Z"), unit: "month", timezone: "America/New_York" } } },
  } },
]).toArray();
const built = await coll.aggregate([
  { $match: { _id: 1 } },
  { $project: {
      _id: 0,
      fromParts: { $dateFromParts: { year: 2024, month: 2, day: 29, hour: 23, minute: 5 } },
      fromString: { $dateFromString: { dateString: "2024-03-05T10:11:12.5Z" } },
      fromDay: { $dateFromString: { dateString: "2024-03-05" } },
      fromFormat: { $dateFromString: { dateString: "05/03/2024", format: "%d/%m/%Y" } },
      badString: { $dateFromString: { dateString: "nope", onError: "invalid" } },
  } },
]).toArray();
const faceted = await coll.aggregate([
  { $facet: {
      byCat: [{ $sortByCount: "$cat" }, { $sort: { count: -1, _id: 1 } }],
      top: [{ $sort: { v: -1 } }, { $limit: 2 }, { $project: { _id: 1 } }],
      total: [{ $count: "n" }],
  } },
]).toArray();
const buckets = await coll.aggregate([
  { $bucket: { groupBy: "$v", boundaries: [0, 10, 20], default: "other", output: { n: { $sum: 1 }, ids: { $push: "$_id" } } } },
]).toArray();
const joined = await coll.aggregate([
  { $sort: { _id: 1 } },
  { $lookup: {
      from: "people", let: { who: "$owner", min: "$v" },
      pipeline: [{ $match: { $expr: { $and: [{ $eq: ["$_id", "$$who"] }, { $gte: ["$age", { $add: ["$$min", 10] }] }] } } }, { $project: { _id: 0, city: 1 } }],
      as: "person",
  } },
  { $project: { _id: 1, person: 1 } },
]).toArray();
const concise = await coll.aggregate([
  { $match: { _id: { $in: [1, 2] } } },
  { $sort: { _id: 1 } },
  { $lookup: { from: "people", localField: "owner", foreignField: "_id", pipeline: [{ $project: { _id: 0, age: 1 } }], as: "p" } },
  { $project: { _id: 1, p: 1 } },
]).toArray();
const unioned = await coll.aggregate([
  { $project: { _id: 1, cat: 1 } },
  { $unionWith: { coll: "extra", pipeline: [{ $project: { _id: 1, cat: 1 } }] } },
  { $sort: { _id: 1 } },
]).toArray();
const sampled = await coll.aggregate([{ $sample: { size: 2 } }, { $count: "n" }]).toArray();
return { parts, built, faceted, buckets, joined, concise, unioned, sampled };
