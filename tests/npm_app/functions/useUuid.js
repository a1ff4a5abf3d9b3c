exports = function () {
  const { v4, v5, v3, validate, version, parse, stringify, NIL } = require("uuid");
  const id = v4();
  return JSON.stringify({
    v4: [validate(id), version(id)],
    v5: v5("hello", v5.DNS),
    v3: v3("hello", v3.URL),
    roundTrip: stringify(parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")),
    nil: NIL,
    invalid: validate("not-a-uuid"),
  });
};
