//! What one call does to shared JavaScript state never reaches a later call on the same worker:
//! built-ins are frozen (prototype pollution fails), new globals are removed after the call,
//! and a call that changes the global object for good gets its context replaced. Code that
//! overrides inherited built-in methods on its own objects keeps working.

use std::{sync::Arc, time::Duration};

use bson::{Bson, doc};
use engine::{Engine, EngineConfig, Invocation, User};

/// One worker, so every call runs in the same context as the one before.
fn engine(functions: &[(&str, &str)]) -> (tokio::runtime::Runtime, Engine) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let config = EngineConfig {
        workers: 1,
        time_limit: Duration::from_secs(10),
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, vec![], runtime.handle().clone()).expect("engine");
    engine.deploy(Arc::new(testkit::deployment(functions)));
    (runtime, engine)
}

fn call(rt: &tokio::runtime::Runtime, engine: &Engine, name: &str, args: Vec<Bson>) -> Bson {
    let mut user = User::system();
    user.custom_data = doc! {"plan": "free"};
    let outcome = rt
        .block_on(engine.call(Invocation::new(name, args, user)))
        .expect("call");
    outcome.result.expect("value")
}

/// The deep merge of the report: client input `{"constructor":{"prototype":{"isAdmin":true}}}`
/// reached `Object.prototype` through it.
const POLLUTE: &str = r#"exports = function (input) {
  const merge = (a, b) => {
    for (const k in b) {
      if (b[k] && typeof b[k] === "object") { a[k] = a[k] || {}; merge(a[k], b[k]); } else { a[k] = b[k]; }
    }
    return a;
  };
  merge({}, input);
  Array.prototype.evil = 1;
  JSON.parse = () => ({ hacked: true });
  globalThis.leaked = "yes";
  implicitGlobal = 5;
  try { Object.defineProperty(Object.prototype, "spy", { set(v) { globalThis.stolen = v; } }); } catch (e) {}
  return ({}).isAdmin === undefined;
};
"#;

const PROBE: &str = r#"exports = function () {
  return {
    isAdmin: typeof ({}).isAdmin,
    customIsAdmin: typeof context.user.custom_data.isAdmin,
    evil: typeof [].evil,
    parse: JSON.parse('{"a":1}').a,
    leaked: typeof leaked,
    implicit: typeof implicitGlobal,
    spy: typeof Object.getOwnPropertyDescriptor(Object.prototype, "spy"),
  };
};
"#;

#[test]
fn a_call_cannot_change_what_later_calls_see() {
    let (rt, engine) = engine(&[("pollute", POLLUTE), ("probe", PROBE)]);
    let input = doc! {"constructor": {"prototype": {"isAdmin": true}}};
    let own = call(&rt, &engine, "pollute", vec![Bson::Document(input)]);
    assert_eq!(
        own,
        Bson::Boolean(true),
        "the pollution did not even hold within its own call"
    );
    let seen = call(&rt, &engine, "probe", vec![]);
    let clean = doc! {
        "isAdmin": "undefined", "customIsAdmin": "undefined", "evil": "undefined", "parse": 1,
        "leaked": "undefined", "implicit": "undefined", "spy": "undefined",
    };
    assert_eq!(seen, Bson::Document(clean));
}

#[test]
fn a_permanent_global_gets_the_context_replaced() {
    let plant = "exports = function () { Object.defineProperty(globalThis, 'planted', { value: 1 }); \
                 Object.setPrototypeOf(globalThis, { inherited: 2 }); return typeof planted; }";
    let probe = "exports = () => [typeof planted, typeof inherited]";
    let (rt, engine) = engine(&[("plant", plant), ("probe", probe)]);
    assert_eq!(call(&rt, &engine, "plant", vec![]), Bson::String("number".into()));
    let seen = call(&rt, &engine, "probe", vec![]);
    assert_eq!(seen, Bson::Array(vec!["undefined".into(), "undefined".into()]));
    assert_eq!(engine.retired_workers(), 1);
}

/// A registry a package defines on the global object (openai's `Symbol.for` key, with
/// `Object.defineProperty`'s default: not configurable) is removed when the call ends, and the
/// worker keeps its context (and its compiled packages) for the next call.
#[test]
fn a_global_a_call_defines_is_removed_without_replacing_the_context() {
    let define = r#"exports = function () {
  const key = Symbol.for("registry.v1");
  const had = globalThis[key] !== undefined;
  Object.defineProperty(globalThis, key, { value: new WeakMap() });
  Reflect.defineProperty(globalThis, "reflected", { value: 1 });
  Object.defineProperties(globalThis, { several: { value: 2, enumerable: true } });
  const own = Object.defineProperty({}, "fixed", { value: 3 });
  return [had, Object.getOwnPropertyDescriptor(own, "fixed").configurable, typeof reflected, several];
};
"#;
    let (rt, engine) = engine(&[("define", define)]);
    let expected = Bson::Array(vec![
        Bson::Boolean(false),
        Bson::Boolean(false),
        "number".into(),
        Bson::Int32(2),
    ]);
    assert_eq!(call(&rt, &engine, "define", vec![]), expected);
    assert_eq!(call(&rt, &engine, "define", vec![]), expected);
    assert_eq!(engine.retired_workers(), 0);
}

#[test]
fn code_that_overrides_inherited_methods_on_its_own_objects_still_works() {
    let overrides = r#"exports = function () {
      "use strict";
      class MyError extends Error { constructor(m) { super(m); this.name = "MyError"; } }
      function F() {}
      F.prototype.toString = function () { return "F"; };
      const e = new Error("m");
      e.name = "Custom";
      const o = {};
      o.toString = () => "o";
      o.valueOf = () => 41;
      o.hasOwnProperty = () => "mine";
      const d = new Date(0);
      d.toJSON = () => "date";
      return [new MyError("x").name, String(new F()), e.name, String(o), o + 1, o.hasOwnProperty(),
        JSON.stringify(d), new MyError("x") instanceof Error, String(new MyError("boom")),
        Object.isFrozen(Object.prototype), Object.isFrozen(BSON.ObjectId.prototype)];
    };"#;
    let (rt, engine) = engine(&[("overrides", overrides)]);
    let expected = bson::bson!([
        "MyError",
        "F",
        "Custom",
        "o",
        42,
        "mine",
        "\"date\"",
        true,
        "MyError: boom",
        true,
        true
    ]);
    assert_eq!(call(&rt, &engine, "overrides", vec![]), expected);
}

/// Node's built-ins are shared by every call on a worker: a call that tries to change them
/// (module objects, prototypes, `process.env`, the subclassable EventEmitter) leaves nothing
/// for the next call, while its own subclasses may still override methods.
#[test]
fn node_builtins_cannot_carry_state_between_calls() {
    let pollute = r#"exports = function () {
  const tries = [
    () => { require("path").join = () => "hacked"; },
    () => { Buffer.prototype.toString = () => "hacked"; },
    () => { require("events").prototype.emit = () => "hacked"; },
    () => { require("events").defaultMaxListeners = 99; },
    () => { process.env.SECRET = "leak"; },
    () => { require("crypto").createHash = () => "hacked"; },
    () => { require("util").inspect.defaultOptions.depth = 9; },
    () => { URL.prototype.toString = () => "hacked"; },
    () => { require("querystring").custom = 1; },
    () => { Error.captureStackTrace = () => "hacked"; },
  ];
  // The stack settings Node offers are the call's own.
  Error.stackTraceLimit = 0;
  Error.prepareStackTrace = () => "hacked";
  const failed = tries.filter((t) => { try { t(); return false; } catch (e) { return true; } }).length;
  class Mine extends require("events") {}
  Mine.prototype.emit = function () { return "own override"; };
  const own = process.env.SECRET;
  process.env.COUNT = 3;
  // A subscriber on a named channel would see what later calls publish there.
  require("diagnostics_channel").subscribe("mysql2:query", (m) => { globalThis.stolen = m; });
  return [failed, new Mine().emit("x"), own, process.env.COUNT];
};
"#;
    let probe = r#"exports = function () {
  const E = require("events");
  return [
    require("path").join("a", "b"),
    Buffer.from("hi").toString(),
    new E().emit("nothing"),
    E.defaultMaxListeners,
    typeof process.env.SECRET,
    require("crypto").createHash("md5").update("").digest("hex"),
    require("util").inspect({ a: { b: { c: { d: 1 } } } }),
    new URL("http://x/").toString(),
    typeof require("querystring").custom,
    require("diagnostics_channel").hasSubscribers("mysql2:query"),
    [Error.stackTraceLimit, typeof Error.prepareStackTrace, new Error("e").stack.split("\n")[0]],
  ];
};
"#;
    let (rt, engine) = engine(&[("pollute", pollute), ("probe", probe)]);
    let own = call(&rt, &engine, "pollute", vec![]);
    // Every attempt throws (strict-mode frozen objects), except `defaultMaxListeners`, which is
    // a setter Node also offers; it cannot outlive the call either (checked below).
    let Bson::Array(own) = own else { panic!("{own:?}") };
    assert_eq!(own[1], Bson::String("own override".into()));
    // `process.env` is the call's own: writable, values stored as strings (as in Node).
    assert_eq!(own[2..], [Bson::String("leak".into()), Bson::String("3".into())]);
    let seen = call(&rt, &engine, "probe", vec![]);
    let expected = Bson::Array(vec![
        "a/b".into(),
        "hi".into(),
        Bson::Boolean(false),
        Bson::Int32(10),
        "undefined".into(),
        "d41d8cd98f00b204e9800998ecf8427e".into(),
        "{ a: { b: { c: [Object] } } }".into(),
        "http://x/".into(),
        "undefined".into(),
        Bson::Boolean(false),
        Bson::Array(vec![Bson::Int32(10), "undefined".into(), "Error: e".into()]),
    ]);
    assert_eq!(seen, expected);
}
