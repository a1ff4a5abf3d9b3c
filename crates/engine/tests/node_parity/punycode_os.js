// punycode (RFC 3492) and the os facts writ reports.
exports = function () {
  const punycode = require("punycode");
  const os = require("os");
  const words = ["mañana", "bücher", "ü", "他们为什么不说中文", "abc", "MajiでKoiする5秒前", "𝄞music"];
  return JSON.stringify({
    encode: words.map((w) => punycode.encode(w)),
    roundTrip: words.every((w) => punycode.decode(punycode.encode(w)) === w),
    toASCII: [punycode.toASCII("mañana.com"), punycode.toASCII("user@bücher.de"), punycode.toASCII("example.com")],
    toUnicode: [punycode.toUnicode("xn--maana-pta.com"), punycode.toUnicode("example.com")],
    ucs2: [punycode.ucs2.decode("𝄞a"), punycode.ucs2.encode([0x1d11e, 97])],
    bad: (() => {
      try {
        punycode.decode("\u00ff-");
      } catch (e) {
        return e.name;
      }
    })(),
    os: [os.EOL, os.platform(), os.type(), os.endianness(), typeof os.arch(), os.devNull, typeof os.hostname(), typeof os.tmpdir()],
  });
};
