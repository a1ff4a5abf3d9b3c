//! The engine's contracts as a caller sees them: threading, limits, the drain rule, the pool.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bson::Bson;
use engine::{
    Engine, EngineConfig, EngineError, Invocation, LogLevel, Outcome, User,
    host::{CallInfo, HostError, HostOp, HostService, OpFuture, ServiceJs},
};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn handles_and_values_cross_threads() {
    assert_send_sync::<Engine>();
    assert_send::<Invocation>();
    assert_send::<Outcome>();
    assert_send::<Result<Outcome, EngineError>>();
    fn future_is_send(e: &Engine) -> impl std::future::Future + Send + '_ {
        e.call(Invocation::new("f", vec![], User::system()))
    }
    let _ = future_is_send;
}

/// A real host service: `test.sleep(ms, value)` resolves with `value` after `ms` milliseconds
/// on the async runtime; `test.fail(msg)` rejects. Counts completed operations.
struct Sleeper {
    completed: Arc<AtomicUsize>,
}

const SLEEPER_PRELUDE: &str = r#"(function (callUser, callSystem) {
  return function (system) {
    const call = system ? callSystem : callUser;
    return {
      sleep: (ms, value) => call("sleep", { ms, value }),
      fail: (msg) => call("fail", { msg: String(msg) }),
    };
  };
})"#;

impl HostService for Sleeper {
    fn js(&self) -> ServiceJs {
        ServiceJs {
            name: "test".into(),
            prelude: SLEEPER_PRELUDE,
            check: |_, _| Ok(()),
        }
    }

    fn start(&self, _call: &CallInfo, op: HostOp) -> OpFuture {
        let completed = self.completed.clone();
        Box::pin(async move {
            match op.kind.as_str() {
                "sleep" => {
                    let ms = op
                        .spec
                        .get("ms")
                        .and_then(Bson::as_f64)
                        .or_else(|| op.spec.get("ms").and_then(|b| b.as_i32().map(f64::from)));
                    tokio::time::sleep(Duration::from_millis(ms.unwrap_or(0.0) as u64)).await;
                    completed.fetch_add(1, Ordering::SeqCst);
                    Ok(op.spec.get("value").cloned().unwrap_or(Bson::Null))
                }
                _ => Err(HostError {
                    name: "MongoServerError".into(),
                    message: op.spec.get_str("msg").unwrap_or_default().to_string(),
                    code: Some(11000),
                    code_name: Some("DuplicateKey".into()),
                }),
            }
        })
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    completed: Arc<AtomicUsize>,
}

fn fixture(config: EngineConfig, functions: &[(&str, &str)]) -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let completed = Arc::new(AtomicUsize::new(0));
    let services: Vec<Arc<dyn HostService>> = vec![Arc::new(Sleeper {
        completed: completed.clone(),
    })];
    let engine = Engine::new(config, services, runtime.handle().clone()).expect("engine");
    engine.deploy(Arc::new(testkit::deployment(functions)));
    Fixture {
        runtime,
        engine,
        completed,
    }
}

impl Fixture {
    fn call(&self, name: &str, args: Vec<Bson>) -> Result<Outcome, EngineError> {
        self.runtime
            .block_on(self.engine.call(Invocation::new(name, args, User::system())))
    }
}

#[test]
fn unawaited_host_operations_finish_before_the_call_returns() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        &[(
            "fire",
            "exports = function () { const t = context.services.get('test'); t.sleep(50, 1).then(() => t.sleep(20, 2)); return 'sent'; }",
        )],
    );
    let outcome = f.call("fire", vec![]).expect("call");
    assert_eq!(outcome.result, Ok(Bson::String("sent".into())));
    assert_eq!(
        f.completed.load(Ordering::SeqCst),
        2,
        "both chained operations ran before the answer"
    );
}

#[test]
fn host_errors_reach_js_with_code_and_unawaited_rejections_are_logged() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        &[
            (
                "caught",
                "exports = async function () { try { await context.services.get('test').fail('dup'); } catch (e) { return [e.name, e.message, e.code, e.codeName]; } }",
            ),
            (
                "ignored",
                "exports = function () { context.services.get('test').fail('nobody awaits'); return 1; }",
            ),
        ],
    );
    let caught = f.call("caught", vec![]).expect("call").result.expect("value");
    assert_eq!(
        caught,
        Bson::Array(vec![
            "MongoServerError".into(),
            "dup".into(),
            Bson::Int32(11000),
            "DuplicateKey".into()
        ])
    );
    let ignored = f.call("ignored", vec![]).expect("call");
    assert_eq!(ignored.result, Ok(Bson::Int32(1)));
    assert_eq!(ignored.logs.len(), 1);
    assert_eq!(ignored.logs[0].level, LogLevel::Error);
    assert!(
        ignored.logs[0].message.contains("nobody awaits"),
        "{:?}",
        ignored.logs
    );
}

#[test]
fn more_than_the_async_limit_fails_the_call_with_its_own_code() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            max_async_ops: 10,
            ..EngineConfig::default()
        },
        &[(
            "flood",
            "exports = function () { const t = context.services.get('test'); for (let i = 0; i < 11; i++) { try { t.sleep(10, i); } catch (e) {} } return 'swallowed'; }",
        )],
    );
    let err = f.call("flood", vec![]).expect_err("limit");
    assert_eq!(err.code(), "AsyncWorkLimitExceeded");
    assert_eq!(err.to_string(), "exceeded max async work queue size of 10");
}

#[test]
fn the_time_limit_covers_waiting_on_host_operations() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            time_limit: Duration::from_millis(200),
            ..EngineConfig::default()
        },
        &[
            (
                "slow",
                "exports = async function () { return await context.services.get('test').sleep(5000, 1); }",
            ),
            ("ok", "exports = () => 'ok'"),
        ],
    );
    let start = Instant::now();
    assert_eq!(
        f.call("slow", vec![]).expect_err("timeout").code(),
        "ExecutionTimeLimitExceeded"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(
        f.call("ok", vec![]).expect("next call").result,
        Ok(Bson::String("ok".into()))
    );
}

#[test]
fn timers_are_drained_like_operations_and_cut_at_the_time_limit() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            time_limit: Duration::from_millis(300),
            ..EngineConfig::default()
        },
        &[
            (
                "interval",
                "exports = () => { setInterval(() => {}, 10); return 'kept'; }",
            ),
            (
                "awaitsLate",
                "exports = async () => { await new Promise((r) => setTimeout(r, 10000)); return 'late'; }",
            ),
            (
                "timerAndOperation",
                "exports = () => { setTimeout(() => context.services.get('test').sleep(5, 1), 20); return 'both'; }",
            ),
            ("ok", "exports = () => 'ok'"),
        ],
    );
    // The result had settled: the interval still pending at the limit is cut, with a warning.
    let start = Instant::now();
    let outcome = f.call("interval", vec![]).expect("interval");
    assert_eq!(outcome.result, Ok(Bson::String("kept".into())));
    assert!(
        outcome
            .logs
            .iter()
            .any(|l| l.level == LogLevel::Warn && l.message.contains("cut"))
    );
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    // The result waits on a timer past the limit: the call fails with the time limit.
    let err = f.call("awaitsLate", vec![]).expect_err("time limit");
    assert_eq!(err.code(), "ExecutionTimeLimitExceeded");
    // A timer that starts an operation: both finish before the answer.
    let before = f.completed.load(Ordering::SeqCst);
    let outcome = f.call("timerAndOperation", vec![]).expect("both");
    assert_eq!(outcome.result, Ok(Bson::String("both".into())));
    assert_eq!(f.completed.load(Ordering::SeqCst), before + 1);
    // Nothing of those calls' timers reaches the next call.
    let outcome = f.call("ok", vec![]).expect("ok");
    assert_eq!(outcome.result, Ok(Bson::String("ok".into())));
    assert!(outcome.logs.is_empty(), "{:?}", outcome.logs);
}

#[test]
fn time_waiting_in_the_queue_is_not_charged_to_the_call() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            time_limit: Duration::from_millis(700),
            ..EngineConfig::default()
        },
        &[(
            "wait",
            "exports = async function () { return await context.services.get('test').sleep(400, 1); }",
        )],
    );
    // Three calls for one worker: the last waits ~800 ms in the queue, then runs 400 ms of its
    // 700 ms, and succeeds.
    let call = || f.engine.call(Invocation::new("wait", vec![], User::system()));
    let (a, b, c) = f.runtime.block_on(async { tokio::join!(call(), call(), call()) });
    for r in [a, b, c] {
        assert_eq!(r.expect("call").result, Ok(Bson::Int32(1)));
    }
}

#[test]
fn a_runaway_builtin_retires_the_worker_and_the_pool_keeps_serving() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            time_limit: Duration::from_millis(300),
            ..EngineConfig::default()
        },
        // indexOf over 2^32-1 holes is native work the loop budget cannot see (and allocates nothing).
        &[
            (
                "runaway",
                "exports = function () { return new Array(4294967295).indexOf(1); }",
            ),
            ("ok", "exports = () => 'ok'"),
        ],
    );
    let start = Instant::now();
    let err = f.call("runaway", vec![]).expect_err("timeout");
    assert_eq!(err.code(), "ExecutionTimeLimitExceeded");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(
        f.call("ok", vec![]).expect("next call").result,
        Ok(Bson::String("ok".into()))
    );
    assert_eq!(f.engine.retired_workers(), 1);
}

#[test]
fn a_full_queue_is_refused_as_overloaded() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            queue_capacity: 1,
            ..EngineConfig::default()
        },
        &[(
            "slow",
            "exports = async function () { return await context.services.get('test').sleep(300, 1); }",
        )],
    );
    let results = f.runtime.block_on(async {
        let calls = (0..4).map(|_| {
            let e = f.engine.clone();
            tokio::spawn(async move { e.call(Invocation::new("slow", vec![], User::system())).await })
        });
        let mut out = Vec::new();
        for c in calls.collect::<Vec<_>>() {
            out.push(c.await.expect("join"));
        }
        out
    });
    let overloaded = results
        .iter()
        .filter(|r| matches!(r, Err(EngineError::Overloaded)))
        .count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(overloaded >= 1, "{results:?}");
    assert!(ok >= 1, "{results:?}");
    assert_eq!(EngineError::Overloaded.code(), "TooManyRequests");
}

#[test]
fn unknown_functions_and_bad_arguments_are_clear_errors() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        &[("id", "exports = (x) => x")],
    );
    let err = f.call("nope", vec![]).expect_err("unknown");
    assert_eq!(err.code(), "FunctionNotFound");
    assert_eq!(err.to_string(), "function not found: 'nope'");
    let code = Bson::JavaScriptCode("1".into());
    assert_eq!(
        f.call("id", vec![code]).expect_err("bad arg").code(),
        "InvalidParameter"
    );
}

#[test]
fn a_new_deployment_does_not_disturb_a_call_in_flight() {
    let f = fixture(
        EngineConfig {
            workers: 2,
            ..EngineConfig::default()
        },
        &[(
            "v",
            "exports = async () => { await context.services.get('test').sleep(200, 0); return 'old'; }",
        )],
    );
    let engine = f.engine.clone();
    let in_flight = f
        .runtime
        .spawn(async move { engine.call(Invocation::new("v", vec![], User::system())).await });
    std::thread::sleep(Duration::from_millis(50));
    f.engine
        .deploy(Arc::new(testkit::deployment(&[("v", "exports = () => 'new'")])));
    assert_eq!(
        f.call("v", vec![]).expect("new").result,
        Ok(Bson::String("new".into()))
    );
    let old = f.runtime.block_on(in_flight).expect("join").expect("old");
    assert_eq!(old.result, Ok(Bson::String("old".into())));
}

#[test]
fn no_state_leaks_between_calls() {
    let f = fixture(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        &[(
            "leak",
            "let n = 0; exports = function () { const fresh = context.extra === undefined && context.user.custom === undefined; \
             n += 1; context.user.custom = n; context.extra = true; return [n, fresh]; }",
        )],
    );
    for _ in 0..3 {
        let r = f.call("leak", vec![]).expect("call").result.expect("value");
        assert_eq!(
            r,
            Bson::Array(vec![Bson::Int32(1), Bson::Boolean(true)]),
            "state survived a call"
        );
    }
}
