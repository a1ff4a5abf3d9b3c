// `punycode`: RFC 3492 encoding and decoding, `toASCII`/`toUnicode` of domain labels, and
// `ucs2`, as Node's (deprecated but still used) module has them.
(function (natives, require, internal) {
  "use strict";
  const base = 36;
  const tMin = 1;
  const tMax = 26;
  const skew = 38;
  const damp = 700;
  const initialBias = 72;
  const initialN = 128;
  const maxInt = 2147483647;
  const failure = (message) => {
    const e = new RangeError(message);
    return e;
  };
  function ucs2decode(string) {
    const output = [];
    let counter = 0;
    while (counter < string.length) {
      const value = string.charCodeAt(counter++);
      if (value >= 0xd800 && value <= 0xdbff && counter < string.length) {
        const extra = string.charCodeAt(counter++);
        if ((extra & 0xfc00) === 0xdc00) output.push(((value & 0x3ff) << 10) + (extra & 0x3ff) + 0x10000);
        else {
          output.push(value);
          counter--;
        }
      } else {
        output.push(value);
      }
    }
    return output;
  }
  const ucs2encode = (codePoints) => String.fromCodePoint(...codePoints);
  const basicToDigit = (c) => (c >= 0x30 && c < 0x3a ? 26 + (c - 0x30) : c >= 0x41 && c < 0x5b ? c - 0x41 : c >= 0x61 && c < 0x7b ? c - 0x61 : base);
  const digitToBasic = (d, flag) => d + 22 + 75 * (d < 26) - ((flag !== 0) << 5);
  function adapt(delta, numPoints, firstTime) {
    let k = 0;
    delta = firstTime ? Math.floor(delta / damp) : delta >> 1;
    delta += Math.floor(delta / numPoints);
    for (; delta > ((base - tMin) * tMax) >> 1; k += base) delta = Math.floor(delta / (base - tMin));
    return Math.floor(k + ((base - tMin + 1) * delta) / (delta + skew));
  }
  function decode(input) {
    const output = [];
    const inputLength = input.length;
    let i = 0;
    let n = initialN;
    let bias = initialBias;
    let basic = input.lastIndexOf("-");
    if (basic < 0) basic = 0;
    for (let j = 0; j < basic; ++j) {
      if (input.charCodeAt(j) >= 0x80) throw failure("Illegal input >= 0x80 (not a basic code point)");
      output.push(input.charCodeAt(j));
    }
    for (let index = basic > 0 ? basic + 1 : 0; index < inputLength; ) {
      const oldi = i;
      for (let w = 1, k = base; ; k += base) {
        if (index >= inputLength) throw failure("Invalid input");
        const digit = basicToDigit(input.charCodeAt(index++));
        if (digit >= base) throw failure("Invalid input");
        if (digit > Math.floor((maxInt - i) / w)) throw failure("Overflow: input needs wider integers to process");
        i += digit * w;
        const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
        if (digit < t) break;
        const baseMinusT = base - t;
        if (w > Math.floor(maxInt / baseMinusT)) throw failure("Overflow: input needs wider integers to process");
        w *= baseMinusT;
      }
      const out = output.length + 1;
      bias = adapt(i - oldi, out, oldi === 0);
      if (Math.floor(i / out) > maxInt - n) throw failure("Overflow: input needs wider integers to process");
      n += Math.floor(i / out);
      i %= out;
      output.splice(i++, 0, n);
    }
    return String.fromCodePoint(...output);
  }
  function encode(input) {
    const output = [];
    const codePoints = ucs2decode(input);
    const inputLength = codePoints.length;
    let n = initialN;
    let delta = 0;
    let bias = initialBias;
    for (const c of codePoints) if (c < 0x80) output.push(String.fromCharCode(c));
    const basicLength = output.length;
    let handled = basicLength;
    if (basicLength) output.push("-");
    while (handled < inputLength) {
      let m = maxInt;
      for (const c of codePoints) if (c >= n && c < m) m = c;
      const handledPlusOne = handled + 1;
      if (m - n > Math.floor((maxInt - delta) / handledPlusOne)) throw failure("Overflow: input needs wider integers to process");
      delta += (m - n) * handledPlusOne;
      n = m;
      for (const c of codePoints) {
        if (c < n && ++delta > maxInt) throw failure("Overflow: input needs wider integers to process");
        if (c === n) {
          let q = delta;
          for (let k = base; ; k += base) {
            const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
            if (q < t) break;
            const qMinusT = q - t;
            const baseMinusT = base - t;
            output.push(String.fromCharCode(digitToBasic(t + (qMinusT % baseMinusT), 0)));
            q = Math.floor(qMinusT / baseMinusT);
          }
          output.push(String.fromCharCode(digitToBasic(q, 0)));
          bias = adapt(delta, handledPlusOne, handled === basicLength);
          delta = 0;
          ++handled;
        }
      }
      ++delta;
      ++n;
    }
    return output.join("");
  }
  function mapDomain(domain, fn) {
    const parts = domain.split("@");
    let result = "";
    if (parts.length > 1) {
      result = parts[0] + "@";
      domain = parts[1];
    }
    domain = domain.replace(/[\x2E\u3002\uFF0E\uFF61]/g, "\x2E");
    return result + domain.split(".").map(fn).join(".");
  }
  const toUnicode = (input) => mapDomain(input, (s) => (/^xn--/.test(s) ? decode(s.slice(4).toLowerCase()) : s));
  const toASCII = (input) => mapDomain(input, (s) => (/[^\0-\x7F]/.test(s) ? "xn--" + encode(s) : s));
  return { version: "2.1.0", ucs2: { decode: ucs2decode, encode: ucs2encode }, decode, encode, toASCII, toUnicode };
})
