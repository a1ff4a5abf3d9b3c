// ES module imports above `exports`, as an editor adds them; App Services' transpile turned
// them into `require` calls, and so does writ.
import _, { chunk as inChunks } from "lodash";
import * as fp from "lodash/fp";
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";

exports = function () {
  dayjs.extend(utc);
  return JSON.stringify({
    chunk: inChunks([1, 2, 3], 2),
    same: _.chunk === inChunks,
    fp: fp.map((x) => x + 1)([1]),
    fpDefault: typeof fp.default.map,
    day: dayjs.utc("2024-02-28T10:30:00Z").add(1, "day").format("YYYY-MM-DD"),
  });
};
