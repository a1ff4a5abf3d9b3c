// writ has no locale data and no Intl, like App Services' function engine: toLocale* format
// without it and warn when a locale or options are asked for (issue 17, item 9).
exports = function () {
  const d = new Date(Date.UTC(2024, 0, 15, 13, 5, 9));
  return {
    plain: (1234.5).toLocaleString(),
    withLocale: (1234.5).toLocaleString("de-DE"),
    date: d.toLocaleDateString("en-US", { timeZone: "UTC" }) === d.toLocaleDateString(),
    length: Number.prototype.toLocaleString.length,
    name: Date.prototype.toLocaleTimeString.name,
    intl: typeof Intl,
  };
};
