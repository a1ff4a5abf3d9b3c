// The web globals, compared with Node 20's output for the same code (a JSON string, so both
// print the same text).
exports = function () {
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return `${e.name}`;
    }
  };
  const bytes = (u8) => Array.from(u8);
  const enc = new TextEncoder();
  const into = new Uint8Array(5);
  const wrote = enc.encodeInto("añ€𝄞", into);
  return JSON.stringify({
    btoa: [btoa(""), btoa("a"), btoa("ab"), btoa("abc"), btoa("\u00ff\u0000x")],
    btoaWide: attempt(() => btoa("€")),
    atob: [atob("YQ=="), atob("YQ"), atob(" Y W J j "), atob("YWJj\n"), atob("/w==").charCodeAt(0), atob("")],
    atobBad: [attempt(() => atob("Y")), attempt(() => atob("Y===")), attempt(() => atob("Y!Q=")), attempt(() => atob("YQ=a"))],
    encode: bytes(enc.encode("añ€𝄞")),
    loneSurrogate: bytes(enc.encode("\ud800x")),
    encoding: [enc.encoding, new TextDecoder().encoding],
    encodeInto: [wrote.read, wrote.written, bytes(into)],
    decode: new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xc3, 0xb1])),
    keepBom: new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).length,
    lossy: new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0xe2, 0x82, 0x62])),
    fatal: attempt(() => new TextDecoder("utf8", { fatal: true }).decode(new Uint8Array([0xff]))),
    buffer: new TextDecoder().decode(new Uint8Array([104, 105]).buffer),
    view: new TextDecoder().decode(new DataView(new Uint8Array([120, 104, 105]).buffer, 1)),
    label: attempt(() => new TextDecoder("no-such-encoding")),
    global: global === globalThis,
  });
};
