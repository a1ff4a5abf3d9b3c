//! Hostile functions against a real `writ serve` process with small limits (2 s, 64 MiB): each
//! ends with its own App Services error code while another user's calls keep being answered;
//! afterwards no process keeps burning CPU, memory is back near its baseline, and the next
//! call sees pristine built-ins.

mod common;

use std::time::{Duration, Instant};

use common::{anonymous, call};
use serde_json::json;

/// (function name, body, the error code its call must end with; `|` separates alternatives)
const HOSTILE: &[(&str, &str, &str)] = &[
    (
        "repeat1e9",
        "return 'x'.repeat(1e9).length;",
        "ExecutionMemoryLimitExceeded",
    ),
    (
        "repeat2e9",
        "return 'x'.repeat(2e9).length;",
        "ExecutionMemoryLimitExceeded",
    ),
    (
        "padEnd",
        "return 'a'.padEnd(2 ** 30).length;",
        "ExecutionMemoryLimitExceeded",
    ),
    (
        "hugeJoin",
        "const a = []; a.length = 3e7; return a.join('abc').length;",
        "ExecutionMemoryLimitExceeded",
    ),
    (
        "memoryBomb",
        "const a = []; for (;;) a.push({ n: a.length, bytes: new Uint8Array(1 << 16) });",
        "ExecutionMemoryLimitExceeded",
    ),
    // A runaway inside a builtin: whichever limit it reaches first (time in a debug build).
    (
        "fillHuge",
        "return new Array(1e9).fill(0).length;",
        "ExecutionTimeLimitExceeded|ExecutionMemoryLimitExceeded",
    ),
    // Boa refuses this size itself: an ordinary RangeError, as on App Services.
    (
        "arrayBuffer",
        "return new ArrayBuffer(1e10).byteLength;",
        "FunctionExecutionError",
    ),
    (
        "deepStringify",
        "let a = []; for (let i = 0; i < 200000; i++) a = [a]; return JSON.stringify(a).length;",
        "StackLimitExceeded",
    ),
    (
        "deepString",
        "let a = []; for (let i = 0; i < 200000; i++) a = [a]; return String(a).length;",
        "StackLimitExceeded",
    ),
    (
        "recursionThroughBuiltins",
        "function f() { return [1].map(f); } return f();",
        "StackLimitExceeded",
    ),
    (
        "throwingGetter",
        "return { get x() { throw new Error('boom'); } };",
        "InvalidResult",
    ),
    ("spin", "for (;;) {}", "ExecutionTimeLimitExceeded"),
    (
        "timerBomb",
        "for (;;) setTimeout(() => {}, 1e9);",
        "AsyncWorkLimitExceeded",
    ),
    (
        "catastrophicRegex",
        "return /^(a+)+$/.test('a'.repeat(40) + 'b');",
        "ExecutionTimeLimitExceeded",
    ),
    // Node's runtime: a decompression bomb (16 MiB of zeros from ~16 KB, kept 32 times),
    // huge buffers.
    (
        "gzipBomb",
        "const z = require('zlib'); const bomb = z.gzipSync(Buffer.alloc(16 << 20)); \
         const kept = []; for (let i = 0; i < 32; i++) kept.push(z.gunzipSync(bomb)); return kept.length;",
        "ExecutionMemoryLimitExceeded",
    ),
    (
        "bufferAlloc",
        "return Buffer.alloc(2 ** 31).length;",
        "ExecutionMemoryLimitExceeded|FunctionExecutionError",
    ),
    // Deeply nested client-shaped input through Node's runtime.
    (
        "deepClone",
        "let a = []; for (let i = 0; i < 200000; i++) a = [a]; return structuredClone(a).length;",
        "StackLimitExceeded",
    ),
    (
        "deepInspect",
        "let a = {}; for (let i = 0; i < 200000; i++) a = { a }; \
         return require('util').inspect(a, { depth: null }).length;",
        "StackLimitExceeded",
    ),
    // Client-shaped JSON text: nesting past the parser's depth limit is a SyntaxError, and a
    // huge text ends at the memory limit.
    (
        "deepParse",
        "return JSON.parse('['.repeat(200000) + ']'.repeat(200000));",
        "FunctionExecutionError",
    ),
    (
        "hugeParse",
        "const t = '[' + '{\"a\":[1,2,3]},'.repeat(4e6) + '1]'; return JSON.parse(t).length;",
        "ExecutionMemoryLimitExceeded",
    ),
    (
        "bufferConcat",
        "const parts = []; for (;;) parts.push(Buffer.concat([Buffer.alloc(1 << 20), ...parts.slice(-2)]));",
        "ExecutionMemoryLimitExceeded",
    ),
    // Work the store does for a call stops at the call's deadline: a filter of 40,000 `$or`
    // branches over 4,000 documents would keep the server's CPU for minutes.
    (
        "storeRunaway",
        "const c = context.services.get('mongodb-atlas').db('custom-user-data-database').collection('custom-user-data'); \
         const docs = []; for (let i = 0; i < 4000; i++) docs.push({ userId: context.user.id, i }); \
         const branches = []; for (let i = 0; i < 40000; i++) branches.push({ i: -1 - i }); \
         return c.insertMany(docs).then(() => c.find({ $or: branches }).toArray()).then((r) => r.length);",
        "ExecutionTimeLimitExceeded|FunctionExecutionError",
    ),
    // A key BSON cannot hold fails the operation at once; it used to leave the call waiting
    // for an answer until its deadline.
    (
        "nulKey",
        "return context.services.get('mongodb-atlas').db('custom-user-data-database').collection('custom-user-data') \
         .insertOne({ userId: context.user.id, ['a\\u0000b']: 1 });",
        "FunctionExecutionError",
    ),
    // Forty reads at once of 12 MB each: the server runs a few of a call's operations at once
    // and holds no more of their results than the function could read.
    (
        "parallelBigReads",
        "const c = context.services.get('mongodb-atlas').db('custom-user-data-database').collection('custom-user-data'); \
         const s = 'x'.repeat(4 << 20); const mine = { userId: context.user.id, big: { $gte: 0 } }; \
         return c.insertMany([0, 1, 2].map((big) => ({ userId: context.user.id, big, s }))) \
           .then(() => Promise.all(Array.from({ length: 40 }, () => c.find(mine).toArray()))) \
           .then((all) => all.length);",
        // Which limit comes first depends on the build's speed.
        "ExecutionMemoryLimitExceeded|ExecutionTimeLimitExceeded|FunctionExecutionError",
    ),
    // Expressions that build without end: each inner array is within bounds, their sum is
    // not; the store stops at the stage's memory limit instead of taking the server's.
    (
        "expressionBomb",
        "const c = context.services.get('mongodb-atlas').db('custom-user-data-database').collection('custom-user-data'); \
         return c.insertOne({ userId: context.user.id, n: 1 }).then(() => c.aggregate([{ $project: { x: { $size: \
           { $map: { input: { $range: [0, 1000000] }, in: { $range: [0, 1000000] } } } } } }]).toArray());",
        "FunctionExecutionError|ExecutionTimeLimitExceeded",
    ),
];

const PROBE: &str = "exports = () => ({ ok: [1, 2].map((x) => x * 2).join(',') });";

/// What a fresh context would say about its built-ins.
const PRISTINE: &str = r#"exports = () => ({
  objectKeys: Object.getOwnPropertyNames(Object.prototype).sort().join(','),
  arrayMap: Array.prototype.map.toString(),
  json: JSON.stringify({ a: [1, 'x'] }),
  parse: JSON.stringify(JSON.parse('{"b":[1,{"c":null}],"__proto__":{"isAdmin":true}}')),
  repeat: 'ab'.repeat(2),
  leaked: typeof globalThis.leaked,
})"#;

/// Tries to leave state behind for later calls.
const POLLUTE: &str = r#"exports = () => {
  try { Object.prototype.isAdmin = true; } catch (e) {}
  try { Array.prototype.map = () => 'hijacked'; } catch (e) {}
  try { globalThis.leaked = 1; } catch (e) {}
  try { JSON.parse = () => 'hijacked'; } catch (e) {}
  return 'tried';
}"#;

/// Whether this kernel has Landlock (the worker sandbox needs it).
fn landlock_here() -> bool {
    // SAFETY: landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION only reports the ABI.
    unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        ) > 0
    }
}

/// The process ids of `pid` and every process below it.
fn family(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if stat(child).is_some_and(|s| s.ppid == parent) && !all.contains(&child) {
                all.push(child);
            }
        }
        i += 1;
    }
    all
}

struct Stat {
    ppid: u32,
    /// The scheduling policy (`SCHED_BATCH` is 3).
    policy: u64,
    /// User plus system CPU time, in clock ticks.
    cpu: u64,
    /// Resident memory, in pages.
    rss: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        ppid: num(1)? as u32,
        policy: num(38)?,
        cpu: num(11)? + num(12)?,
        rss: num(21)?,
    })
}

/// CPU ticks and resident MiB of the server and its workers together.
/// Resident memory of each process of the family, in MiB, for failure messages.
fn breakdown(pid: u32) -> String {
    family(pid)
        .into_iter()
        .filter_map(|p| Some(format!("{p}: {} MiB", stat(p)?.rss * 4096 / (1024 * 1024))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn usage(pid: u32) -> (u64, u64) {
    let stats: Vec<Stat> = family(pid).into_iter().filter_map(stat).collect();
    let cpu = stats.iter().map(|s| s.cpu).sum();
    let rss = stats.iter().map(|s| s.rss).sum::<u64>() * 4096 / (1024 * 1024);
    (cpu, rss)
}

#[test]
fn hostile_functions_end_with_their_own_error_and_cost_others_nothing() {
    let mut functions: Vec<(String, String)> = HOSTILE
        .iter()
        .map(|(name, body, _)| (name.to_string(), format!("exports = function () {{ {body} }};")))
        .collect();
    functions.push(("probe".into(), PROBE.into()));
    functions.push(("pristine".into(), PRISTINE.into()));
    functions.push(("pollute".into(), POLLUTE.into()));
    let borrowed: Vec<(&str, &str)> = functions.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    let args = [
        "--workers",
        "2",
        "--function-timeout",
        "2",
        "--function-memory",
        "64",
        // Both users call from this one address.
        "--max-calls-per-address",
        "4",
        // What the store read and wrote last stays in its page cache, up to this bound (256
        // MiB by default): small here, so what the check below sees is what the calls left.
        "--store-cache",
        "16",
    ];
    let server = common::serve_sample(false, &borrowed, &args);
    let base = server.process.base.clone();
    let pid = server.process.child.id();
    let (mallory, alice) = (anonymous(&base), anonymous(&base));
    // Workers inherit none of the server's environment (where database URIs and keys live),
    // and run confined (Landlock, `crates/engine/tests/sandbox.rs`; its restriction sets
    // no_new_privs, which /proc shows).
    let confined = landlock_here();
    for worker in family(pid).into_iter().filter(|p| *p != pid) {
        let environ = std::fs::read(format!("/proc/{worker}/environ")).expect("environ");
        for entry in environ.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            assert!(entry.starts_with("WRIT_"), "a worker got {entry}");
        }
        // Batch scheduling: a woken worker does not preempt the server's threads.
        assert_eq!(
            stat(worker).map(|s| s.policy),
            Some(3),
            "worker {worker} is not SCHED_BATCH"
        );
        let status = std::fs::read_to_string(format!("/proc/{worker}/status")).expect("status");
        if confined {
            assert!(
                status.contains("NoNewPrivs:\t1"),
                "worker {worker} is not confined:\n{status}"
            );
        }
    }
    let (_, clean) = call(&base, &alice, "pristine");
    for _ in 0..4 {
        assert_eq!(call(&base, &alice, "probe").0, 200);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (_, baseline_mib) = usage(pid);
    let baseline_processes = breakdown(pid);

    for (name, _, code) in HOSTILE {
        let started = Instant::now();
        let (status, body, probes) = std::thread::scope(|scope| {
            let hostile = scope.spawn(|| call(&base, &mallory, name));
            let mut probes = Vec::new();
            while !hostile.is_finished() {
                let t = Instant::now();
                let (status, body) = call(&base, &alice, "probe");
                assert_eq!(
                    (status, &body),
                    (200, &json!({"ok": "2,4"})),
                    "probe during {name}"
                );
                probes.push(t.elapsed());
                std::thread::sleep(Duration::from_millis(50));
            }
            let (status, body) = hostile.join().expect("hostile call");
            (status, body, probes)
        });
        let got = body["error_code"].as_str().unwrap_or_default();
        assert!(code.split('|').any(|c| c == got), "{name}: {status} {body}");
        assert!(status == 400, "{name}: status {status}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name} took {:?}",
            started.elapsed()
        );
        let slowest = probes.iter().max().copied().unwrap_or_default();
        assert!(
            slowest < Duration::from_secs(1),
            "a probe waited {slowest:?} during {name}"
        );
    }

    // Nothing keeps running: over a second the server and its workers use next to no CPU.
    std::thread::sleep(Duration::from_millis(500));
    let (before, _) = usage(pid);
    std::thread::sleep(Duration::from_secs(1));
    let (after, rss_mib) = usage(pid);
    let ticks = after - before;
    assert!(ticks < 30, "{ticks} CPU ticks in an idle second");
    eprintln!(
        "rss {rss_mib} MiB ({}), baseline {baseline_mib} MiB ({baseline_processes})",
        breakdown(pid)
    );
    assert!(
        rss_mib < baseline_mib + 64,
        "resident memory {rss_mib} MiB ({}), baseline {baseline_mib} MiB ({baseline_processes})",
        breakdown(pid)
    );

    // State a call leaves behind reaches no later call, on any worker.
    for _ in 0..4 {
        assert_eq!(call(&base, &mallory, "pollute").1, json!("tried"));
    }
    for _ in 0..4 {
        let (status, body) = call(&base, &alice, "pristine");
        assert_eq!((status, &body), (200, &clean));
    }
    assert_eq!(clean["leaked"], json!("undefined"));
    assert_eq!(
        clean["parse"],
        json!(r#"{"b":[1,{"c":null}],"__proto__":{"isAdmin":true}}"#)
    );

    // Workers killed from outside while idle (the kernel's OOM killer, an operator): the next
    // calls are still answered, on replacements.
    for worker in family(pid).into_iter().filter(|p| *p != pid) {
        // SAFETY: a plain signal to a process of this test's own server.
        unsafe { libc::kill(worker as i32, libc::SIGKILL) };
    }
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..4 {
        let (status, body) = call(&base, &alice, "probe");
        assert_eq!((status, &body), (200, &json!({"ok": "2,4"})));
    }
}

/// Calls share a worker process (two slots here): when one call ends its process at its memory
/// limit, a call beside it that had not started anything runs again elsewhere and its caller
/// never knows; one that had started a database write fails with an error that says why
/// (running it again could write twice). The culprit gets its own error either way, and from
/// then on its user's calls run alone, so doing it again costs nobody else anything.
#[test]
fn a_call_that_ends_its_worker_costs_the_calls_beside_it_at_most_a_clear_error() {
    const NAP: &str = "await new Promise((r) => setTimeout(r, 3000)); return 'rested';";
    let napper = format!("exports = async function () {{ {NAP} }};");
    let writer = format!(
        "exports = async function () {{ await context.services.get('mongodb-atlas').db('custom-user-data-database')\
         .collection('custom-user-data').updateOne({{ userId: context.user.id }}, {{ $set: {{ n: 1 }} }}, {{ upsert: true }}); {NAP} }};"
    );
    let bomb = "exports = function () { const a = []; for (;;) a.push(new Uint8Array(1 << 16)); };";
    let functions = [
        ("napper", napper.as_str()),
        ("writer", writer.as_str()),
        ("bomb", bomb),
    ];
    let args = [
        "--workers",
        "2",
        "--calls-per-process",
        "2",
        "--function-timeout",
        "10",
        "--function-memory",
        "64",
        "--max-calls-per-address",
        "4",
    ];
    let server = common::serve_sample(false, &functions, &args);
    let base = server.process.base.clone();
    let (mallory, eve, alice) = (anonymous(&base), anonymous(&base), anonymous(&base));
    assert_eq!(call(&base, &alice, "napper"), (200, json!("rested")));
    let beside = |name: &str, culprit: &str| {
        std::thread::scope(|scope| {
            let victim = scope.spawn(|| call(&base, &alice, name));
            std::thread::sleep(Duration::from_millis(200));
            let culprit = call(&base, culprit, "bomb");
            (victim.join().expect("victim"), culprit)
        })
    };
    let ((status, body), (_, culprit)) = beside("napper", &mallory);
    assert_eq!((status, &body), (200, &json!("rested")), "the napper ran again");
    assert_eq!(culprit["error_code"], json!("ExecutionMemoryLimitExceeded"));
    let ((status, body), (_, culprit)) = beside("writer", &eve);
    assert_eq!(status, 500, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(message.contains("stopped by another call"), "{body}");
    assert_eq!(culprit["error_code"], json!("ExecutionMemoryLimitExceeded"));
    // Mallory's calls now run alone: her next bomb costs the writer nothing.
    let ((status, body), (_, culprit)) = beside("writer", &mallory);
    assert_eq!((status, &body), (200, &json!("rested")));
    assert_eq!(culprit["error_code"], json!("ExecutionMemoryLimitExceeded"));
    // The pool is whole again.
    assert_eq!(call(&base, &alice, "napper"), (200, json!("rested")));
    assert_eq!(call(&base, &alice, "writer"), (200, json!("rested")));
}

/// A worker killed from outside (the kernel's OOM killer, an operator) is noticed by the first
/// call that finds its pipe closed, before its exit is reaped: every call is answered by another
/// worker, none fails because the dead one was still on offer.
#[test]
fn calls_placed_on_a_worker_killed_from_outside_run_elsewhere() {
    let args = ["--workers", "2", "--max-calls-per-address", "16"];
    let server = common::serve_sample(false, &[("probe", PROBE)], &args);
    let base = server.process.base.clone();
    let pid = server.process.child.id();
    let users: Vec<String> = (0..6).map(|_| anonymous(&base)).collect();
    for user in &users {
        assert_eq!(call(&base, user, "probe"), (200, json!({"ok": "2,4"})));
    }
    for round in 0..5 {
        let workers: Vec<u32> = family(pid).into_iter().filter(|p| *p != pid).collect();
        assert!(!workers.is_empty(), "no worker processes");
        // The server is stopped while its workers die, and the calls arrive before it runs
        // again: it learns of the deaths from their pipes and their exits at the same moment.
        // SAFETY: signals to processes this test started (the server) and its children.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGSTOP);
            for worker in &workers {
                libc::kill(*worker as libc::pid_t, libc::SIGKILL);
            }
        }
        let answers = std::thread::scope(|scope| {
            let calls: Vec<_> = users
                .iter()
                .map(|user| scope.spawn(|| call(&base, user, "probe")))
                .collect();
            std::thread::sleep(Duration::from_millis(200));
            // SAFETY: as above.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGCONT);
            }
            calls
                .into_iter()
                .map(|c| c.join().expect("call"))
                .collect::<Vec<_>>()
        });
        for answer in answers {
            assert_eq!(answer, (200, json!({"ok": "2,4"})), "round {round}");
        }
    }
}
