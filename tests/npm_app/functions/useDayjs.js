exports = function () {
  const dayjs = require("dayjs");
  const utc = require("dayjs/plugin/utc");
  dayjs.extend(utc);
  const d = dayjs.utc("2024-02-28T10:30:00Z");
  return JSON.stringify({
    add: d.add(1, "day").toISOString(),
    format: d.format("YYYY-MM-DD HH:mm"),
    diff: dayjs.utc("2024-03-01").diff(d, "hour"),
    startOf: d.startOf("month").toISOString(),
    valid: [dayjs("nope").isValid(), d.isValid()],
    leap: d.add(1, "year").format("YYYY-MM-DD"),
    unix: d.unix(),
  });
};
