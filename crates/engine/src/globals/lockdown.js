// Lockdown of a worker context, run once after every global is installed (as SES's `lockdown`
// does for its realms): nothing a call does to a built-in can be seen by a later call.
//
// 1. Enablements (`enable`, from node/internal.js): properties that code commonly sets on objects that inherit them
//    (`this.name = ...` in an Error subclass, `F.prototype.toString = ...`) become accessors
//    whose setter defines the property on the object itself; a frozen data property would make
//    those assignments fail (the "override mistake").
// 2. Every intrinsic reachable from the global object, and the hidden ones (iterator,
//    generator and async prototypes), is frozen: this script returns them as roots and the
//    native side (`lockdown.rs`) walks and freezes them.
// 3. The global object's own bindings (`Object`, `JSON`, `BSON`, `console`, ...) become
//    read-only and permanent. New globals a call creates are deleted when it ends (Rust side).
// 4. `Object.defineProperty` and its kin make what a call defines on the global object
//    configurable, so that deletion always succeeds.
(function (extraRoots, enable) {
  "use strict";
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf } = Object;
  const ownKeys = Reflect.ownKeys;

  const errors = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];
  if (typeof AggregateError === "function") errors.push(AggregateError);
  // Not `constructor` of Promise, Array, RegExp, Map or Set prototypes: the engine reads those
  // on every `await` and array method (species), where a getter call costs, and code does
  // not set them on its own promises and arrays.
  const overridable = [
    [Object.prototype, ["constructor", "toString", "valueOf", "toLocaleString", "hasOwnProperty"]],
    // `bind` as SES enables it: router (express) defines HTTP methods, BIND among them, on a
    // function used as a prototype.
    [Function.prototype, ["constructor", "toString", "bind"]],
    [Array.prototype, ["toString"]],
    [Date.prototype, ["toJSON", "toString"]],
    [RegExp.prototype, ["toString"]],
    ...errors.map((E) => [E.prototype, ["constructor", "message", "name", "toString"]]),
  ];
  for (const [proto, names] of overridable) {
    for (const name of names) enable(proto, name);
  }
  // 4. A property a call defines on the global object is always configurable, so the call's end
  //    can delete it (packages keep registries there: openai defines a non-configurable
  //    `Symbol.for(...)` key, which would otherwise cost the worker its context every call).
  const hasOwn = Object.prototype.hasOwnProperty;
  const rawDefineProperty = Reflect.defineProperty;
  const FIELDS = ["value", "writable", "get", "set", "enumerable"];
  const deletable = (target, key, desc) => {
    if (target !== globalThis || desc === null || typeof desc !== "object" || hasOwn.call(globalThis, key)) return desc;
    const out = { configurable: true };
    for (const f of FIELDS) if (f in desc) out[f] = desc[f];
    return out;
  };
  const objectDefine = Object.defineProperty;
  const objectDefineAll = Object.defineProperties;
  const methods = {
    defineProperty(target, key, desc) {
      return objectDefine(target, key, deletable(target, key, desc));
    },
    defineProperties(target, props) {
      if (target !== globalThis || props === null || typeof props !== "object") return objectDefineAll(target, props);
      const out = {};
      for (const key of ownKeys(Object(props))) {
        const d = getOwnPropertyDescriptor(props, key);
        if (d && d.enumerable) out[key] = deletable(target, key, props[key]);
      }
      return objectDefineAll(target, out);
    },
    reflectDefine(target, key, desc) {
      return rawDefineProperty(target, key, deletable(target, key, desc));
    },
  };
  const methodOptions = { writable: true, enumerable: false, configurable: true };
  defineProperty(Object, "defineProperty", { value: methods.defineProperty, ...methodOptions });
  defineProperty(Object, "defineProperties", { value: methods.defineProperties, ...methodOptions });
  defineProperty(Reflect, "defineProperty", { value: methods.reflectDefine, ...methodOptions });
  defineProperty(methods.reflectDefine, "name", { value: "defineProperty" });

  // The roots of the intrinsics the native side freezes (it follows prototypes and property
  // values from there): the global object's bindings and the hidden intrinsics.
  const roots = [
    [][Symbol.iterator](),
    new Map()[Symbol.iterator](),
    new Set()[Symbol.iterator](),
    ""[Symbol.iterator](),
    /a/[Symbol.matchAll]("a"),
    (function* () {})(),
    (async function* () {})(),
    function* () {},
    async function () {},
    async function* () {},
    getPrototypeOf(Int8Array),
    ...extraRoots,
  ];
  for (const key of ownKeys(globalThis)) {
    const desc = getOwnPropertyDescriptor(globalThis, key);
    for (const v of [desc.value, desc.get, desc.set]) {
      if ((typeof v === "object" || typeof v === "function") && v !== null && v !== globalThis) roots.push(v);
    }
  }

  for (const key of ownKeys(globalThis)) {
    const desc = getOwnPropertyDescriptor(globalThis, key);
    if (desc.configurable) {
      if ("value" in desc) desc.writable = false;
      desc.configurable = false;
      defineProperty(globalThis, key, desc);
    }
  }
  return roots;
})
