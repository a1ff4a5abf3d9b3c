//! `$setWindowFields` on the embedded store, against the results MongoDB's own tests expect
//! (jstests/aggregation/sources/setWindowFields: range.js, time.js, rank.js), and its bounds.

mod common;

use std::time::{Duration, Instant};

use bson::{Bson, Document, doc};
use common::{ns, store_with};
use store::{Data as _, StoreError};

/// `y` for each document after a `$push: "$x"` over `range: [lower, upper]`, sorted by x.
fn ranged(docs: &[f64], lower: Bson, upper: Bson, unit: Option<&str>) -> Result<Vec<Vec<f64>>, String> {
    let (_dir, s) = store_with(
        docs.iter()
            .enumerate()
            .map(|(i, x)| doc! {"_id": i as i32, "x": *x})
            .collect(),
    );
    let mut window = doc! {"range": [lower, upper]};
    if let Some(u) = unit {
        window.insert("unit", u);
    }
    let stage =
        doc! {"$setWindowFields": {"sortBy": {"x": 1}, "output": {"y": {"$push": "$x", "window": window}}}};
    let out = s.aggregate(&ns(), &[stage]).map_err(|e| e.to_string())?;
    Ok(out
        .iter()
        .map(|d| {
            d.get_array("y")
                .expect("y")
                .iter()
                .map(|v| v.as_f64().expect("number"))
                .collect()
        })
        .collect())
}

#[test]
fn range_windows_match_mongodb_s_tests() {
    let xs = [0.0, 1.0, 1.5, 2.0, 3.0, 100.0, 100.0, 101.0];
    let b = |v: f64| Bson::Double(v);
    let s = |v: &str| Bson::String(v.into());
    // '0' means the current document and those that tie with it.
    assert_eq!(
        ranged(&xs, b(-1.0), b(0.0), None),
        Ok(vec![
            vec![0.0],
            vec![0.0, 1.0],
            vec![1.0, 1.5],
            vec![1.0, 1.5, 2.0],
            vec![2.0, 3.0],
            vec![100.0, 100.0],
            vec![100.0, 100.0],
            vec![100.0, 100.0, 101.0],
        ])
    );
    // 'current' always means the current document.
    let current = ranged(&xs, s("current"), b(1.0), None).expect("current");
    assert_eq!(current[5], vec![100.0, 100.0, 101.0]);
    assert_eq!(current[6], vec![100.0, 101.0]);
    let before = ranged(&xs, b(-97.0), s("current"), None).expect("before");
    assert_eq!(
        (before[5].clone(), before[6].clone()),
        (vec![3.0, 100.0], vec![3.0, 100.0, 100.0])
    );
    // Windows may be empty, near the ends or in gaps.
    let behind = ranged(&xs, b(-1.0), b(-1.0), None).expect("behind");
    assert_eq!(
        behind,
        vec![
            vec![],
            vec![0.0],
            vec![],
            vec![1.0],
            vec![2.0],
            vec![],
            vec![],
            vec![100.0, 100.0]
        ]
    );
    let far = ranged(&xs, b(99.0), s("unbounded"), None).expect("far");
    assert_eq!(far[0], vec![100.0, 100.0, 101.0]);
    assert_eq!(far[2], vec![101.0]);
    assert!(far[4].is_empty());
    // A sortBy that is not a number is an error, even for an unbounded range.
    let (_dir, st) = store_with(vec![doc! {"_id": 1, "x": 1}, doc! {"_id": 2, "x": "a"}]);
    let stage = doc! {"$setWindowFields": {"sortBy": {"x": 1}, "output": {"y": {"$push": "$x", "window": {"range": ["unbounded", "unbounded"]}}}}};
    let e = st
        .aggregate(&ns(), &[stage])
        .expect_err("not a number")
        .to_string();
    assert!(e.contains("Expected the sortBy field to be a number"), "{e}");
}

#[test]
fn time_ranges_and_ranks_match_mongodb_s_tests() {
    let base = bson::DateTime::parse_rfc3339_str("2021-01-01T00:00:00Z")
        .expect("date")
        .timestamp_millis();
    let seconds = [0.0, 1.0, 1.5, 2.0, 3.0, 42.0, 42.0, 43.0];
    let docs = seconds
        .iter()
        .enumerate()
        .map(|(i, s)| doc! {"_id": i as i32, "x": bson::DateTime::from_millis(base + (s * 1000.0) as i64)})
        .collect();
    let (_dir, s) = store_with(docs);
    let stage = doc! {"$setWindowFields": {"sortBy": {"x": 1}, "output": {"y": {"$push": "$_id", "window": {"range": [-1, 0], "unit": "second"}}}}};
    let out = s.aggregate(&ns(), &[stage]).expect("time");
    let ids: Vec<Vec<i32>> = out
        .iter()
        .map(|d| {
            d.get_array("y")
                .expect("y")
                .iter()
                .map(|v| v.as_i32().expect("id"))
                .collect()
        })
        .collect();
    assert_eq!(
        ids,
        vec![
            vec![0],
            vec![0, 1],
            vec![1, 2],
            vec![1, 2, 3],
            vec![3, 4],
            vec![5, 6],
            vec![5, 6],
            vec![5, 6, 7]
        ]
    );

    // Ties share a rank; null, missing, [null] and ["abc", null] all tie.
    let docs: Vec<Document> = (0..12)
        .map(|i| {
            let mut d = doc! {"_id": i, "double": f64::from(i / 2)};
            match i % 4 {
                1 => drop(d.insert("n", Bson::Null)),
                2 => drop(d.insert("n", bson::bson!([null]))),
                3 => drop(d.insert("n", bson::bson!(["abc", null]))),
                _ => {}
            }
            d
        })
        .collect();
    let (_dir, s) = store_with(docs);
    let rank = |by: &str, op: &str| -> Vec<i32> {
        let stage = doc! {"$setWindowFields": {"sortBy": {by: 1}, "output": {"r": {op: {}}}}};
        s.aggregate(&ns(), &[stage])
            .expect("rank")
            .iter()
            .map(|d| d.get_i32("r").expect("Int32"))
            .collect()
    };
    assert_eq!(
        rank("double", "$rank"),
        vec![1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11]
    );
    assert_eq!(
        rank("double", "$denseRank"),
        vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    );
    assert_eq!(rank("double", "$documentNumber"), (1..=12).collect::<Vec<_>>());
    assert_eq!(rank("n", "$rank"), vec![1; 12]);
    for (stage, code) in [
        (
            doc! {"sortBy": {"_id": 1}, "output": {"r": {"$rank": {}, "window": {"documents": [-1, 1]}}}},
            "window",
        ),
        (
            doc! {"sortBy": {"_id": 1}, "output": {"r": {"$rank": "$_id"}}},
            "empty object",
        ),
        (doc! {"output": {"r": {"$rank": {}}}}, "sortBy"),
        (
            doc! {"output": {"r": {"$derivative": {"input": "$x"}}}},
            "not supported",
        ),
    ] {
        let e = s
            .aggregate(&ns(), &[doc! {"$setWindowFields": stage}])
            .expect_err(code)
            .to_string();
        assert!(e.contains(code), "{code}: {e}");
    }
}

#[test]
fn sliding_windows_stop_at_the_deadline() {
    // 20,000 documents, each window the 20,000 before it: 2e8 accumulator steps.
    let docs = (0..20_000).map(|i| doc! {"_id": i, "v": i}).collect();
    let (_dir, s) = store_with(docs);
    let stage = doc! {"$setWindowFields": {"sortBy": {"_id": 1}, "output": {
        "s": {"$sum": "$v", "window": {"documents": [-20_000, 0]}},
    }}};
    let started = Instant::now();
    let got = store::budget::within(Some(started + Duration::from_millis(300)), || {
        s.aggregate(&ns(), &[stage])
    });
    assert!(
        matches!(got, Err(StoreError::TimeLimit)),
        "{:?}",
        got.map(|d| d.len())
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn sliding_windows_count_what_their_outputs_hold() {
    // 5,000 outputs of 100 values (~56 MB held) fit the stage's 100 MB; the accumulators that
    // built them, one per window, are not counted again.
    let docs = (0..5_000).map(|i| doc! {"_id": i}).collect();
    let (_dir, s) = store_with(docs);
    let stage = doc! {"$setWindowFields": {"sortBy": {"_id": 1}, "output": {
        "last100": {"$push": "$_id", "window": {"documents": [-99, 0]}},
    }}};
    let out = store::budget::within(None, || s.aggregate(&ns(), &[stage])).expect("fits");
    assert_eq!(out[4_999].get_array("last100").map(Vec::len).ok(), Some(100));
    // Twice as many values per output do not fit, as in MongoDB (its limit is 100 MB too).
    let stage = doc! {"$setWindowFields": {"sortBy": {"_id": 1}, "output": {
        "last200": {"$push": "$_id", "window": {"documents": [-199, 0]}},
    }}};
    let e = store::budget::within(None, || s.aggregate(&ns(), &[stage])).expect_err("too much");
    assert!(matches!(e, StoreError::MemoryLimit(_)), "{e}");
}

#[test]
fn exponential_moving_averages_match_mongodb_s_tests() {
    let prices = [10.0, 12.0, 11.0, 15.0, 14.0];
    let docs = prices
        .iter()
        .enumerate()
        .map(|(i, p)| doc! {"_id": i as i32, "price": *p, "s": "hiya"})
        .collect();
    let (_dir, s) = store_with(docs);
    let run = |arg: Document| {
        let stage =
            doc! {"$setWindowFields": {"sortBy": {"_id": 1}, "output": {"e": {"$expMovingAvg": arg}}}};
        s.aggregate(&ns(), &[stage])
            .map(|out| out.iter().map(|d| d.get("e").cloned()).collect::<Vec<_>>())
    };
    // The first value, then price * alpha + last * (1 - alpha); N gives alpha = 2 / (N + 1).
    for (arg, alpha) in [
        (doc! {"input": "$price", "N": 3}, 0.5),
        (doc! {"input": "$price", "alpha": 0.279}, 0.279),
    ] {
        let mut last: Option<f64> = None;
        let want: Vec<Option<Bson>> = prices
            .iter()
            .map(|p| {
                last = Some(last.map_or(*p, |l| p * alpha + l * (1.0 - alpha)));
                last.map(Bson::Double)
            })
            .collect();
        assert_eq!(run(arg).expect("ema"), want);
    }
    // No numbers: null throughout.
    assert_eq!(
        run(doc! {"input": "$s", "N": 2}).expect("strings"),
        vec![Some(Bson::Null); 5]
    );
    for bad in [
        doc! {"input": "$price", "alpha": 0.5, "N": 2},
        doc! {"input": "$price", "N": 0.5},
        doc! {"input": "$price", "alpha": 1.0},
        doc! {"str": "$price", "N": 2},
    ] {
        assert!(run(bad.clone()).is_err(), "{bad}");
    }
}
