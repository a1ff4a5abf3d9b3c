//! Aggregation expressions and stages where the wire test server departs from MongoDB's
//! documented behaviour (so the conformance suite cannot hold them), and the bounds of the
//! operators that build values: an expression that would build more than its stage may hold
//! fails with code 292, and loops over elements stop at the deadline.

mod common;

use std::time::{Duration, Instant};

use bson::{Bson, Document, doc};
use common::{ns, store_with};
use store::{Data as _, StoreError};

/// The first result of `$project`ing `spec` over the one document `{_id: 1, ...fields}`.
fn project(fields: Document, spec: Document) -> Result<Document, StoreError> {
    let mut d = doc! {"_id": 1};
    d.extend(fields);
    let (_dir, s) = store_with(vec![d]);
    let mut spec = spec;
    spec.insert("_id", 0);
    s.aggregate(&ns(), &[doc! {"$project": spec}])
        .map(|mut out| out.pop().expect("one document"))
}

#[test]
fn mongodb_behaviours_the_wire_test_server_lacks() {
    let at = bson::DateTime::parse_rfc3339_str("2024-01-31T23:59:58.123Z").expect("date");
    let got = project(
        doc! {"at": at, "tags": ["x", "y", "z"], "n": 7, "seven": bson::DateTime::parse_rfc3339_str("2024-12-03T10:00:00Z").expect("date")},
        doc! {
            "fmt": {"$dateToString": {"date": "$at", "format": "%j %U %w %b %B %%"}},
            "diff": {"$dateDiff": {"startDate": "$at", "endDate": "$at", "unit": "day"}},
            "long": {"$toLong": 5.9},
            "first": {"$first": "$tags"},
            "last": {"$last": "$tags"},
            "limited": {"$filter": {"input": "$tags", "cond": true, "limit": 2}},
            "carried": {"$dateFromParts": {"year": 2024, "month": 14, "day": 1, "hour": 25}},
            "monday": {"$dateTrunc": {"date": "$at", "unit": "week", "startOfWeek": "monday"}},
            "zoned": {"$dateToString": {"date": "$at", "timezone": "+05:30"}},
            "doubleDate": {"$toDate": 86_400_000.0},
            // Bins count from 2000-01-01: seven-day bins start on 2024-11-30.
            "week7": {"$dateTrunc": {"date": "$seven", "unit": "day", "binSize": 7}},
            "quarter2": {"$dateTrunc": {"date": "$at", "unit": "quarter", "binSize": 2}},
            "minutes15": {"$dateTrunc": {"date": "$at", "unit": "minute", "binSize": 15}},
            // MongoDB's documented example: ten-year bins are 2000, 2010, 2020.
            "decade": {"$dateTrunc": {"date": "$at", "unit": "year", "binSize": 10}},
            "weeks2": {"$dateTrunc": {"date": "$at", "unit": "week", "binSize": 2}},
        },
    )
    .expect("project");
    assert_eq!(got.get_str("fmt").ok(), Some("031 04 4 Jan January %"));
    assert_eq!(got.get("diff"), Some(&Bson::Int64(0)), "$dateDiff answers a long");
    assert_eq!(got.get("long"), Some(&Bson::Int64(5)));
    assert_eq!(got.get_str("first").ok(), Some("x"));
    assert_eq!(got.get_str("last").ok(), Some("z"));
    assert_eq!(got.get_array("limited").map(Vec::len).ok(), Some(2));
    let date = |s: &str| Bson::DateTime(bson::DateTime::parse_rfc3339_str(s).expect("date"));
    // Out-of-range parts carry into the next unit, as MongoDB documents.
    assert_eq!(got.get("carried"), Some(&date("2025-02-02T01:00:00Z")));
    assert_eq!(got.get("monday"), Some(&date("2024-01-29T00:00:00Z")));
    assert_eq!(got.get_str("zoned").ok(), Some("2024-02-01T05:29:58.123"));
    assert_eq!(got.get("doubleDate"), Some(&date("1970-01-02T00:00:00Z")));
    assert_eq!(got.get("week7"), Some(&date("2024-11-30T00:00:00Z")));
    assert_eq!(got.get("quarter2"), Some(&date("2024-01-01T00:00:00Z")));
    assert_eq!(got.get("minutes15"), Some(&date("2024-01-31T23:45:00Z")));
    assert_eq!(got.get("decade"), Some(&date("2020-01-01T00:00:00Z")));
    // Two-week bins from Sunday 2000-01-02: 2024-01-28 starts one (8,792 days on).
    assert_eq!(got.get("weeks2"), Some(&date("2024-01-28T00:00:00Z")));
}

#[test]
fn named_time_zones_follow_their_daylight_saving_rules() {
    let date = |s: &str| Bson::DateTime(bson::DateTime::parse_rfc3339_str(s).expect("date"));
    let got = project(
        doc! {"winter": date("2024-01-31T23:59:58.123Z"), "summer": date("2024-07-01T12:00:00Z"),
              "dst": date("2024-03-10T12:00:00Z"), "eve": date("2024-03-09T12:00:00Z")},
        doc! {
            "nyHour": {"$hour": {"date": "$winter", "timezone": "America/New_York"}},
            "parisText": {"$dateToString": {"date": "$summer", "format": "%H:%M %z %Z", "timezone": "Europe/Paris"}},
            // New York's clocks went forward on 2024-03-10: its midnight was still at -05:00.
            "dayStart": {"$dateTrunc": {"date": "$dst", "unit": "day", "timezone": "America/New_York"}},
            // A day later is the same local time, 23 hours later.
            "nextDay": {"$dateAdd": {"startDate": "$eve", "unit": "day", "amount": 1, "timezone": "America/New_York"}},
            "hours": {"$dateDiff": {"startDate": "$eve", "endDate": "$dst", "unit": "hour"}},
            "fromParts": {"$dateFromParts": {"year": 2024, "month": 7, "day": 1, "timezone": "Europe/Paris"}},
            "fromString": {"$dateFromString": {"dateString": "2024-07-01 00:00", "timezone": "Europe/Paris"}},
            "withOffset": {"$dateFromString": {"dateString": "2024-07-01T00:00:00Z", "timezone": "Europe/Paris"}},
        },
    )
    .expect("project");
    assert_eq!(got.get("nyHour"), Some(&Bson::Int32(18)));
    assert_eq!(got.get_str("parisText").ok(), Some("14:00 +0200 +120"));
    assert_eq!(got.get("dayStart"), Some(&date("2024-03-10T05:00:00Z")));
    assert_eq!(got.get("nextDay"), Some(&date("2024-03-10T11:00:00Z")));
    assert_eq!(got.get("hours"), Some(&Bson::Int64(24)));
    assert_eq!(got.get("fromParts"), Some(&date("2024-06-30T22:00:00Z")));
    assert_eq!(got.get("fromString"), Some(&date("2024-06-30T22:00:00Z")));
    assert_eq!(
        got.get("withOffset"),
        Some(&date("2024-07-01T00:00:00Z")),
        "its own offset wins"
    );
}

#[test]
fn conversion_and_argument_errors_are_mongodb_s() {
    let fail = |spec: Document| project(doc! {"s": "abc", "i": 3}, doc! {"x": spec}).expect_err("fails");
    let e = fail(doc! {"$toInt": "$s"});
    assert_eq!((e.code(), e.code_name()), (241, "ConversionFailure"), "{e}");
    assert_eq!(fail(doc! {"$toDate": "$i"}).code(), 241, "an int is no date");
    let e = fail(doc! {"$switch": {"branches": [{"case": false, "then": 1}]}});
    assert!(e.to_string().contains("no default"), "{e}");
    let e = fail(doc! {"$let": {"vars": {"Bad": 1}, "in": 1}});
    assert!(e.to_string().contains("invalid character"), "{e}");
    let e = fail(doc! {"$map": {"input": "$s", "in": 1}});
    assert!(e.to_string().contains("requires an array"), "{e}");
    let e = fail(doc! {"$add": ["$$undefinedVar", 1]});
    assert!(e.to_string().contains("undefined variable"), "{e}");
    let e = fail(doc! {"$hour": {"date": "$$NOW", "timezone": "Mars/Olympus"}});
    assert!(e.to_string().contains("unrecognized time zone"), "{e}");
    // Dates past the range of a date are errors, not overflows.
    let e =
        fail(doc! {"$dateAdd": {"startDate": "$$NOW", "unit": "year", "amount": 900_000_000_000_000_i64}});
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = fail(doc! {"$dateFromParts": {"year": 2024, "hour": 900_000_000_000_000_i64}});
    assert!(e.to_string().contains("out of range"), "{e}");
    assert_eq!(fail(doc! {"$toDate": 1e300}).code(), 241);
    // The extremes of a date's range are answered, not overflowed.
    let edge = project(
        doc! {"min": bson::DateTime::from_millis(i64::MIN), "max": bson::DateTime::from_millis(i64::MAX)},
        doc! {
            "a": {"$dateTrunc": {"date": "$min", "unit": "minute", "binSize": 15}},
            "b": {"$dateTrunc": {"date": "$max", "unit": "week", "timezone": "Europe/Paris"}},
            "c": {"$dateToString": {"date": "$min", "timezone": "+05:00"}},
            "d": {"$dateDiff": {"startDate": "$min", "endDate": "$max", "unit": "month"}},
            "e": {"$year": {"date": "$max", "timezone": "America/New_York"}},
        },
    );
    assert!(edge.is_ok(), "{edge:?}");
    let e = fail(doc! {"$function": {"body": "function () {}", "args": [], "lang": "js"}});
    assert!(matches!(e, StoreError::Unsupported(_)), "{e}");
}

#[test]
fn what_an_expression_builds_is_bounded_by_its_stage() {
    let limit = 1024 * 1024;
    let run = |spec: Document| {
        store::budget::within_memory(None, limit, || project(doc! {"n": 1}, doc! {"x": spec}))
    };
    let over = |r: Result<Document, StoreError>| {
        let e = r.expect_err("over the stage's memory");
        assert_eq!(e.code(), 292, "{e}");
    };
    // Refused before it is built: a billion numbers.
    over(run(doc! {"$size": {"$range": [0, 1_000_000_000]}}));
    // Built step by step, each step within bounds.
    over(run(
        doc! {"$size": {"$map": {"input": {"$range": [0, 1000]}, "in": {"$range": [0, 1000]}}}},
    ));
    over(run(
        doc! {"$size": {"$concatArrays": [{"$range": [0, 40_000]}, {"$range": [0, 40_000]}]}},
    ));
    // Within bounds: a quadratic $reduce that only ever holds its latest value.
    let grown = run(doc! {"$size": {"$reduce": {
        "input": {"$range": [0, 2000]},
        "initialValue": [],
        "in": {"$concatArrays": ["$$value", ["$$this"]]},
    }}})
    .expect("the previous value is dropped at each step");
    assert_eq!(grown.get_i32("x").ok(), Some(2000));
    let mapped =
        run(doc! {"$size": {"$map": {"input": {"$range": [0, 3000]}, "in": "$$this"}}}).expect("small");
    assert_eq!(mapped.get_i32("x").ok(), Some(3000));
    // Literal arrays and objects of copies: a 100 KB field referenced 40 times.
    let big = doc! {"big": "x".repeat(100 * 1024)};
    let copies =
        |spec: Document| store::budget::within_memory(None, limit, || project(big.clone(), doc! {"x": spec}));
    let refs: Vec<&str> = vec!["$big"; 40];
    over(copies(doc! {"$size": [refs.clone()]}));
    let object: Document = refs
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("k{i}"), Bson::String(r.to_string())))
        .collect();
    over(copies(
        doc! {"$size": {"$objectToArray": {"$mergeObjects": [object]}}},
    ));
    let few: Vec<&str> = vec!["$big"; 5];
    assert_eq!(
        copies(doc! {"$size": [few]})
            .expect("five copies")
            .get_i32("x")
            .ok(),
        Some(5)
    );
    // Intermediates are dropped as they are consumed: ten 560 KB arrays, one at a time.
    let summed =
        run(doc! {"$sum": {"$map": {"input": {"$range": [0, 10]}, "in": {"$size": {"$range": [0, 5000]}}}}})
            .expect("one intermediate at a time");
    assert_eq!(summed.get_i32("x").ok(), Some(50_000));
}

#[test]
fn loops_over_elements_stop_at_the_deadline() {
    let (_dir, s) = store_with(vec![doc! {"_id": 1}]);
    // 300,000 x 300,000 steps: without the deadline this would run for hours.
    let pipeline = [doc! {"$project": {"x": {"$reduce": {
        "input": {"$range": [0, 300_000]},
        "initialValue": 0,
        "in": {"$add": ["$$value", {"$size": {"$filter": {"input": {"$range": [0, 300_000]}, "cond": false}}}]},
    }}}}];
    let started = Instant::now();
    let deadline = started + Duration::from_millis(300);
    let e = store::budget::within(Some(deadline), || s.aggregate(&ns(), &pipeline)).expect_err("stopped");
    assert_eq!(e.code(), 50, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped near its deadline"
    );
}

#[test]
fn facets_and_lookups_run_their_pipelines_within_the_limits() {
    let (_dir, s) = store_with((0..200).map(|i| doc! {"_id": i, "s": "x".repeat(4096)}).collect());
    let limit = 1024 * 1024;
    let op = |p: &[Document]| store::budget::within_memory(None, limit, || s.aggregate(&ns(), p));
    // Each facet holds ~800 KiB: both at once are over the stage's 1 MiB.
    let e = op(&[doc! {"$facet": {"a": [{"$match": {}}], "b": [{"$match": {}}]}}]).expect_err("two copies");
    assert_eq!(e.code(), 292, "{e}");
    let counted = op(&[
        doc! {"$project": {"s": 0}},
        doc! {"$facet": {"n": [{"$count": "n"}], "top": [{"$limit": 1}]}},
    ])
    .expect("small facets");
    assert_eq!(counted[0].get_array("n").map(Vec::len).ok(), Some(1));
    // A self-join of every document onto every other: 200 x 800 KiB.
    let e = op(&[doc! {"$lookup": {"from": "c", "pipeline": [], "as": "all"}}]).expect_err("n x n");
    assert_eq!(e.code(), 292, "{e}");
    let joined = op(&[
        doc! {"$match": {"_id": {"$lt": 3}}},
        doc! {"$project": {"s": 0}},
        doc! {"$lookup": {"from": "c", "let": {"me": "$_id"}, "pipeline": [
            {"$match": {"$expr": {"$eq": ["$_id", "$$me"]}}}, {"$project": {"s": 0}},
        ], "as": "me"}},
    ])
    .expect("a narrow join");
    assert_eq!(joined.len(), 3);
    assert_eq!(
        joined[2].get_array("me").map(|m| m[0].clone()).ok(),
        Some(Bson::Document(doc! {"_id": 2}))
    );
}

/// Runs `f` on a thread with a 2 MiB stack, a server thread's; an overflow fails the test.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no overflow")
}

#[test]
fn deeply_nested_expressions_do_not_overflow_a_small_stack() {
    // As deep as the bridge lets a value through (150 levels), in the deepest shapes.
    let chains: [fn(Bson) -> Bson; 3] = [
        |e| Bson::Document(doc! {"$abs": e}),
        |e| Bson::Document(doc! {"$let": {"vars": {"v": e}, "in": "$$v"}}),
        |e| Bson::Document(doc! {"$reduce": {"input": [1], "initialValue": 0, "in": e}}),
    ];
    for (levels, chain) in [150, 50, 50].into_iter().zip(chains) {
        let mut e = Bson::String("$n".into());
        for _ in 0..levels {
            e = chain(e);
        }
        let got = on_small_stack(move || project(doc! {"n": -1}, doc! {"x": e}));
        assert!(got.is_ok(), "{got:?}");
    }
    // Deeper than that is refused, not recursed into.
    let mut e = Bson::String("$n".into());
    for _ in 0..400 {
        e = Bson::Document(doc! {"$abs": e});
    }
    let got = on_small_stack(move || project(doc! {"n": -1}, doc! {"x": e}));
    assert!(got.expect_err("too deep").to_string().contains("nests deeper"));
}

#[test]
fn nested_pipelines_stop_at_mongodb_s_limit() {
    let (_dir, s) = store_with(vec![doc! {"_id": 1}]);
    let s = std::sync::Arc::new(s);
    let nest = |levels: usize| {
        let mut stage = doc! {"$project": {"_id": 1}};
        for _ in 0..levels {
            stage = doc! {"$lookup": {"from": "c", "pipeline": [stage], "as": "x"}};
        }
        stage
    };
    let run = move |stage: Document| {
        let s = s.clone();
        on_small_stack(move || s.aggregate(&ns(), &[stage]))
    };
    assert!(run(nest(20)).is_ok());
    let e = run(nest(45)).expect_err("too deep");
    assert!(e.to_string().contains("nested sub-pipelines"), "{e}");
}

#[test]
fn lookup_variables_are_read_where_mongodb_reads_them() {
    let (_dir, s) = store_with(vec![
        doc! {"_id": 1, "name": "ann"},
        doc! {"_id": 2, "name": "$$who"},
    ]);
    let pipeline = [
        doc! {"$match": {"_id": 1}},
        doc! {"$lookup": {"from": "c", "let": {"who": "$name"}, "pipeline": [
            // Outside $expr, "$$who" is a plain string.
            {"$match": {"name": "$$who"}},
            {"$project": {
                "_id": 1,
                "outer": "$$who",
                // Bound again inside: the inner binding wins there.
                "inner": {"$let": {"vars": {"who": "inner"}, "in": "$$who"}},
                "mapped": {"$map": {"input": [1], "as": "who", "in": "$$who"}},
            }},
        ], "as": "found"}},
    ];
    let out = s.aggregate(&ns(), &pipeline).expect("lookup");
    let found = out[0].get_array("found").expect("found");
    assert_eq!(
        found,
        &vec![Bson::Document(
            doc! {"_id": 2, "outer": "ann", "inner": "inner", "mapped": [1]}
        )]
    );
}

#[test]
fn wide_expressions_stop_at_the_deadline_too() {
    // $bucket of 20,000 boundaries over 5,000 documents: 1e8 comparisons.
    let (_dir, s) = store_with((0..5_000).map(|i| doc! {"_id": i, "v": -1}).collect());
    let bounds: Vec<i32> = (0..20_000).collect();
    let pipeline = [doc! {"$bucket": {"groupBy": "$v", "boundaries": bounds, "default": "x"}}];
    let started = Instant::now();
    let deadline = started + Duration::from_millis(300);
    let e = store::budget::within(Some(deadline), || s.aggregate(&ns(), &pipeline)).expect_err("stopped");
    assert_eq!(e.code(), 50, "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn update_pipelines_are_bounded_and_keep_the_document_on_failure() {
    let (_dir, s) = store_with(vec![doc! {"_id": 1, "a": 1}]);
    let pipeline = |stages: Vec<Document>| store::Change::Pipeline(stages);
    let bomb = pipeline(vec![doc! {"$set": {"x": {"$range": [0, 1_000_000_000]}}}]);
    let e = s
        .update(&ns(), &doc! {"_id": 1}, &bomb, false, false)
        .expect_err("too big");
    assert_eq!(e.code(), 292, "{e}");
    let other = pipeline(vec![doc! {"$lookup": {"from": "c", "pipeline": [], "as": "x"}}]);
    let e = s
        .update(&ns(), &doc! {"_id": 1}, &other, false, false)
        .expect_err("not an update stage");
    assert!(
        e.to_string().contains("not allowed to be used within an update"),
        "{e}"
    );
    let kept = s
        .find(&ns(), &doc! {}, &store::FindOptions::default())
        .expect("find");
    assert_eq!(kept, vec![doc! {"_id": 1, "a": 1}]);
    let grown = pipeline(vec![
        doc! {"$set": {"b": {"$add": ["$a", 1]}, "at": "$$NOW"}},
        doc! {"$unset": "a"},
    ]);
    let done = s
        .update(&ns(), &doc! {"_id": 1}, &grown, false, false)
        .expect("update");
    assert_eq!((done.matched, done.modified), (1, 1));
    let now = s
        .find(&ns(), &doc! {}, &store::FindOptions::default())
        .expect("find");
    assert_eq!(now[0].get("b"), Some(&Bson::Int32(2)));
    assert!(now[0].get_datetime("at").is_ok() && !now[0].contains_key("a"));
}

#[test]
fn now_is_one_time_for_the_whole_operation() {
    let docs = (0..5_000).map(|i| doc! {"_id": i}).collect();
    let (_dir, s) = store_with(docs);
    let pipeline = [
        doc! {"$addFields": {"at": "$$NOW"}},
        doc! {"$group": {"_id": "$at", "n": {"$sum": 1}}},
        doc! {"$addFields": {"later": {"$eq": ["$_id", "$$NOW"]}}},
    ];
    let started = Instant::now();
    let got = store::budget::within(None, || s.aggregate(&ns(), &pipeline)).expect("aggregate");
    assert!(
        started.elapsed() > Duration::from_millis(2),
        "the run spans several milliseconds"
    );
    assert_eq!(got.len(), 1, "one time across documents");
    assert_eq!(got[0].get("n"), Some(&Bson::Int32(5_000)));
    assert_eq!(
        got[0].get("later"),
        Some(&Bson::Boolean(true)),
        "and across stages"
    );
}

#[test]
fn graph_lookup_reaches_each_document_once_and_is_bounded() {
    // A ring of 2,000 documents, each naming the next: the search goes round once.
    let n = 2_000;
    let docs = (0..n).map(|i| doc! {"_id": i, "next": (i + 1) % n}).collect();
    let (_dir, s) = store_with(docs);
    let search = doc! {"$graphLookup": {
        "from": "c", "startWith": "$next", "connectFromField": "next", "connectToField": "_id",
        "as": "all", "depthField": "d",
    }};
    let pipeline = [
        doc! {"$match": {"_id": 0}},
        search.clone(),
        doc! {"$project": {"n": {"$size": "$all"}, "deepest": {"$max": "$all.d"}}},
    ];
    let got = s.aggregate(&ns(), &pipeline).expect("graph");
    assert_eq!(got, vec![doc! {"_id": 0, "n": 2_000, "deepest": 1_999_i64}]);
    // Every document searching the whole ring holds 2,000 x 2,000 copies: the stage's memory
    // or the deadline ends it, not the machine.
    let started = Instant::now();
    let deadline = Some(started + Duration::from_millis(500));
    let all = store::budget::within(deadline, || s.aggregate(&ns(), std::slice::from_ref(&search)));
    assert!(
        matches!(all, Err(StoreError::TimeLimit | StoreError::MemoryLimit(_))),
        "{:?}",
        all.map(|d| d.len())
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn rand_is_uniform_enough_and_fresh_per_document() {
    let docs = (0..2_000).map(|i| doc! {"_id": i}).collect();
    let (_dir, s) = store_with(docs);
    let got = s
        .aggregate(
            &ns(),
            &[
                doc! {"$project": {"r": {"$rand": {}}}},
                doc! {"$group": {"_id": null, "lo": {"$min": "$r"}, "hi": {"$max": "$r"}, "avg": {"$avg": "$r"}, "distinct": {"$addToSet": "$r"}}},
                doc! {"$project": {"lo": 1, "hi": 1, "avg": 1, "distinct": {"$size": "$distinct"}}},
            ],
        )
        .expect("rand");
    let d = &got[0];
    let f = |k: &str| d.get_f64(k).expect(k);
    assert!(
        f("lo") >= 0.0 && f("lo") < 0.01 && f("hi") < 1.0 && f("hi") > 0.99,
        "{d}"
    );
    assert!((f("avg") - 0.5).abs() < 0.05, "{d}");
    assert_eq!(d.get("distinct"), Some(&Bson::Int32(2_000)));
}

#[test]
fn bucket_auto_cuts_runs_as_mongodb_s_algorithm_does() {
    // Sorted: null (a missing price), 10, 20, 20, 20, 35, 40, 50, 75, 90.
    let prices = [
        Some(10),
        Some(20),
        Some(20),
        Some(20),
        Some(35),
        Some(40),
        Some(50),
        None,
        Some(75),
        Some(90),
    ];
    let docs = prices
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut d = doc! {"_id": i as i32};
            if let Some(p) = p {
                d.insert("price", *p);
            }
            d
        })
        .collect();
    let (_dir, s) = store_with(docs);
    let cut = |buckets: i32| -> Vec<(Bson, Bson, i32)> {
        let stage = doc! {"$bucketAuto": {"groupBy": "$price", "buckets": buckets}};
        s.aggregate(&ns(), &[stage])
            .expect("bucketAuto")
            .iter()
            .map(|d| {
                let id = d.get_document("_id").expect("_id");
                (
                    id.get("min").cloned().unwrap_or(Bson::Undefined),
                    id.get("max").cloned().unwrap_or(Bson::Undefined),
                    d.get_i32("count").expect("count"),
                )
            })
            .collect()
    };
    let i = Bson::Int32;
    // Runs of round(10 / 4) = 3, never splitting equal values; a max is the next run's min.
    assert_eq!(
        cut(4),
        vec![(Bson::Null, i(35), 5), (i(35), i(75), 3), (i(75), i(90), 2)]
    );
    // The last bucket takes everything left.
    assert_eq!(cut(2), vec![(Bson::Null, i(35), 5), (i(35), i(90), 5)]);
    // More buckets than values: one run per distinct value.
    assert_eq!(cut(20).len(), 8);
    let e = s.aggregate(
        &ns(),
        &[doc! {"$bucketAuto": {"groupBy": "$price", "buckets": 2, "granularity": "R5"}}],
    );
    assert!(matches!(e, Err(StoreError::Unsupported(_))));
}
