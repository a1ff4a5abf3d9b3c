exports = function () {
  const validator = require("validator");
  const isEmail = require("validator/lib/isEmail");
  return JSON.stringify({
    email: [validator.isEmail("a@b.co"), validator.isEmail("nope"), isEmail.default("x@y.org")],
    url: [validator.isURL("https://example.com/x?y=1"), validator.isURL("ftp//bad")],
    uuid: validator.isUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
    escape: validator.escape("<a href='x'>&</a>"),
    normalize: validator.normalizeEmail("Some.One+tag@GMAIL.com"),
    numeric: [validator.isInt("42"), validator.isFloat("4.2e1"), validator.isNumeric("12a")],
    mongo: validator.isMongoId("507f1f77bcf86cd799439011"),
    trim: validator.trim("  pad  "),
    json: validator.isJSON('{"a":1}'),
    base64: validator.isBase64("aGVsbG8="),
  });
};
