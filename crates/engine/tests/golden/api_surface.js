// A snapshot of the JS-visible API: additions and removals show up here.
exports = function () {
  const keys = (o) => Object.getOwnPropertyNames(o).sort();
  const standard = new Set(["AggregateError","Array","ArrayBuffer","Atomics","BigInt","BigInt64Array","BigUint64Array","Boolean","DataView","Date","Error","EvalError","FinalizationRegistry","Float32Array","Float64Array","Function","Infinity","Int16Array","Int32Array","Int8Array","Iterator","JSON","Map","Math","NaN","Number","Object","Promise","Proxy","RangeError","ReferenceError","Reflect","RegExp","Set","SharedArrayBuffer","String","Symbol","SyntaxError","TypeError","URIError","Uint16Array","Uint32Array","Uint8Array","Uint8ClampedArray","WeakMap","WeakRef","WeakSet","decodeURI","decodeURIComponent","encodeURI","encodeURIComponent","escape","eval","globalThis","isFinite","isNaN","parseFloat","parseInt","undefined","unescape"]);
  return {
    globals: keys(globalThis).filter((k) => !standard.has(k)),
    context: Object.keys(context).sort(),
    user: Object.keys(context.user).sort(),
    values: keys(context.values), functions: keys(context.functions), services: keys(context.services),
    http: keys(context.http), environment: keys(context.environment), app: keys(context.app),
    BSON: keys(BSON), EJSON: keys(EJSON), utils: keys(utils), crypto: keys(utils.crypto), jwt: keys(utils.jwt),
    console: keys(console),
  };
};
