// Annex B's String methods that Boa leaves out and npm packages still call (`substr`,
// `trimLeft`/`trimRight`, the HTML methods). Run once per worker, before lockdown.
(function () {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(String.prototype, name, { value, writable: true, enumerable: false, configurable: true });
  const toInteger = (n) => {
    n = Number(n);
    return Number.isNaN(n) ? 0 : Math.trunc(n);
  };
  define("substr", function substr(start, length) {
    if (this === null || this === undefined) throw new TypeError("String.prototype.substr called on null or undefined");
    const s = String(this);
    const size = s.length;
    let from = toInteger(start);
    if (from === -Infinity) from = 0;
    else if (from < 0) from = Math.max(size + from, 0);
    else from = Math.min(from, size);
    const count = length === undefined ? size - from : Math.min(Math.max(toInteger(length), 0), size - from);
    return count <= 0 ? "" : s.slice(from, from + count);
  });
  define("trimLeft", String.prototype.trimStart);
  define("trimRight", String.prototype.trimEnd);
  const html = (name, tag, attribute) =>
    define(name, function (value) {
      if (this === null || this === undefined) throw new TypeError(`String.prototype.${name} called on null or undefined`);
      const open = attribute === undefined ? `<${tag}>` : `<${tag} ${attribute}="${String(value).replace(/"/g, "&quot;")}">`;
      return `${open}${String(this)}</${tag}>`;
    });
  html("anchor", "a", "name");
  html("big", "big");
  html("blink", "blink");
  html("bold", "b");
  html("fixed", "tt");
  html("fontcolor", "font", "color");
  html("fontsize", "font", "size");
  html("italics", "i");
  html("link", "a", "href");
  html("small", "small");
  html("strike", "strike");
  html("sub", "sub");
  html("sup", "sup");

  // writ has no locale data (nor `Intl`), like the engine App Services ran functions on: the
  // toLocale* methods format as Boa does without it, and say so in the call's log when a
  // locale or options are asked for rather than ignore them silently.
  const localized = (proto, owner, names) => {
    for (const name of names) {
      const original = proto[name];
      const wrapper = {
        [name]() {
          const [locales, options] = arguments;
          if (locales !== undefined || options !== undefined) {
            console.warn(`${owner}.prototype.${name}: writ has no locale data, so the locale and options given are ignored`);
          }
          return original.call(this);
        },
      }[name];
      Object.defineProperty(proto, name, { value: wrapper, writable: true, enumerable: false, configurable: true });
    }
  };
  localized(Number.prototype, "Number", ["toLocaleString"]);
  localized(Date.prototype, "Date", ["toLocaleString", "toLocaleDateString", "toLocaleTimeString"]);
  localized(BigInt.prototype, "BigInt", ["toLocaleString"]);
})
