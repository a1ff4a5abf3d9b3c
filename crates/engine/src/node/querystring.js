// `querystring`: Node's parse/stringify/escape/unescape (and their decode/encode aliases).
(function (natives, require, internal) {
  "use strict";
  function qsEscape(str) {
    if (typeof str !== "string") {
      if (typeof str === "object") str = String(str);
      else str += "";
    }
    return encodeURIComponent(str);
  }
  function qsUnescape(s) {
    try {
      return decodeURIComponent(s);
    } catch {
      // Node decodes what it can byte by byte, leaving malformed escapes as they are.
      return s.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
        try {
          return decodeURIComponent(m);
        } catch {
          return m;
        }
      });
    }
  }
  function stringifyPrimitive(v) {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isFinite(v)) return "" + v;
    if (typeof v === "bigint") return "" + v;
    if (typeof v === "boolean") return v ? "true" : "false";
    return "";
  }
  function stringify(obj, sep, eq, options) {
    sep = sep || "&";
    eq = eq || "=";
    const encode = options && typeof options.encodeURIComponent === "function" ? options.encodeURIComponent : qsEscape;
    if (obj !== null && typeof obj === "object") {
      const keys = Object.keys(obj);
      const fields = [];
      for (const k of keys) {
        const v = obj[k];
        const ks = encode(stringifyPrimitive(k)) + eq;
        if (Array.isArray(v)) {
          for (const item of v) fields.push(ks + encode(stringifyPrimitive(item)));
        } else {
          fields.push(ks + encode(stringifyPrimitive(v)));
        }
      }
      return fields.join(sep);
    }
    return "";
  }
  function parse(qs, sep, eq, options) {
    const obj = Object.create(null);
    if (typeof qs !== "string" || qs.length === 0) return obj;
    sep = sep ? String(sep) : "&";
    eq = eq ? String(eq) : "=";
    let maxKeys = 1000;
    if (options && typeof options.maxKeys === "number") maxKeys = options.maxKeys;
    const decode = options && typeof options.decodeURIComponent === "function" ? options.decodeURIComponent : qsUnescape;
    let parts = qs.split(sep);
    if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
    for (const part of parts) {
      if (part.length === 0) continue;
      const idx = part.indexOf(eq);
      let k;
      let v;
      if (idx >= 0) {
        k = part.slice(0, idx);
        v = part.slice(idx + eq.length);
      } else {
        k = part;
        v = "";
      }
      const dec = (s) => {
        s = s.replace(/\+/g, " ");
        try {
          return decode(s);
        } catch {
          return qsUnescape(s);
        }
      };
      k = dec(k);
      v = dec(v);
      if (!(k in obj)) obj[k] = v;
      else if (Array.isArray(obj[k])) obj[k].push(v);
      else obj[k] = [obj[k], v];
    }
    return obj;
  }
  return {
    parse,
    stringify,
    escape: qsEscape,
    unescape: qsUnescape,
    decode: parse,
    encode: stringify,
    unescapeBuffer: (s) => require("buffer").Buffer.from(qsUnescape(String(s))),
  };
})
