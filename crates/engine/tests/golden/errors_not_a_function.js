exports = { notA: "function" };
