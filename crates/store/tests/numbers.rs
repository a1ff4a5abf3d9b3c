//! Numbers compare by their exact values across Int32, Int64, Double and Decimal128, in a
//! total order (MongoDB's): the report's cases quoted, and a transitivity check over a mix of
//! edge values that Rust's sort relies on.

use std::cmp::Ordering;

use bson::{Bson, Decimal128, Document, doc};
use store::{Data as _, FindOptions, Ns, Store, order::compare};

fn dec(s: &str) -> Bson {
    Bson::Decimal128(s.parse::<Decimal128>().expect("decimal"))
}

fn ids(store: &Store, filter: Document) -> Vec<i32> {
    let options = FindOptions {
        sort: Some(doc! {"_id": 1}),
        ..FindOptions::default()
    };
    let ns = Ns::new("t", "c").expect("ns");
    let found = store.find(&ns, &filter, &options).expect("find");
    found.iter().map(|d| d.get_i32("_id").expect("_id")).collect()
}

#[test]
fn queries_compare_numbers_exactly_across_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let ns = Ns::new("t", "c").expect("ns");
    let docs = vec![
        doc! {"_id": 1, "v": 9_007_199_254_740_993_i64},
        doc! {"_id": 2, "v": 9_007_199_254_740_992_i64},
        doc! {"_id": 3, "v": 9_007_199_254_740_992.0},
        doc! {"_id": 4, "v": dec("0.1")},
        doc! {"_id": 5, "v": 0.1},
    ];
    let (_, err) = store.insert(&ns, docs, true);
    assert!(err.is_none());
    // `{v: {$gt: 2^53 as double}}` once missed NumberLong(2^53 + 1).
    assert_eq!(ids(&store, doc! {"v": {"$gt": 9_007_199_254_740_992.0}}), vec![1]);
    assert_eq!(ids(&store, doc! {"v": 9_007_199_254_740_992_i64}), vec![2, 3]);
    // The double 0.1 is 0.1000000000000000055511151231257827...: not Decimal128("0.1").
    assert_eq!(ids(&store, doc! {"v": 0.1}), vec![5]);
    assert_eq!(ids(&store, doc! {"v": dec("0.10")}), vec![4]);
    assert_eq!(ids(&store, doc! {"v": {"$gt": dec("0.1"), "$lt": 1}}), vec![5]);
}

#[test]
fn the_order_of_numbers_is_total_and_transitive() {
    let values = vec![
        Bson::Double(f64::NAN),
        dec("NaN"),
        Bson::Double(f64::NEG_INFINITY),
        dec("-Infinity"),
        Bson::Int64(i64::MIN),
        Bson::Double(-9_223_372_036_854_775_808.0),
        Bson::Double(-0.0),
        Bson::Int32(0),
        dec("-0"),
        dec("0.1"),
        Bson::Double(0.1),
        Bson::Double(5e-324),
        dec("1E-6176"),
        Bson::Int64(9_007_199_254_740_993),
        Bson::Double(9_007_199_254_740_992.0),
        Bson::Int64(i64::MAX),
        Bson::Double(9_223_372_036_854_775_808.0),
        dec("9223372036854775807.5"),
        dec("1E+6144"),
        Bson::Double(f64::MAX),
        Bson::Double(f64::INFINITY),
        dec("Infinity"),
    ];
    for a in &values {
        for b in &values {
            assert_eq!(compare(a, b), compare(b, a).reverse(), "{a} vs {b}");
            for c in &values {
                if compare(a, b) != Ordering::Greater && compare(b, c) != Ordering::Greater {
                    assert_ne!(compare(a, c), Ordering::Greater, "{a} <= {b} <= {c}");
                }
            }
        }
    }
    let mut sorted = values.clone();
    sorted.sort_by(compare);
    let pos = |v: &Bson| {
        sorted
            .iter()
            .position(|s| compare(s, v) == Ordering::Equal)
            .expect("present")
    };
    assert!(pos(&Bson::Int64(9_007_199_254_740_993)) > pos(&Bson::Double(9_007_199_254_740_992.0)));
    assert!(pos(&dec("0.1")) < pos(&Bson::Double(0.1)));
    assert_eq!(compare(&Bson::Double(-0.0), &Bson::Int32(0)), Ordering::Equal);
    assert_eq!(compare(&Bson::Double(f64::NAN), &dec("NaN")), Ordering::Equal);
    assert_eq!(
        compare(&dec("9223372036854775807.5"), &Bson::Int64(i64::MAX)),
        Ordering::Greater
    );
}

/// `{$project: {x: <expr>}}` over one document.
fn project(expr: Bson) -> Result<Bson, store::StoreError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let ns = Ns::new("t", "c").expect("ns");
    let (_, err) = store.insert(&ns, vec![doc! {"_id": 1}], true);
    assert!(err.is_none());
    let out = store.aggregate(&ns, &[doc! {"$project": {"_id": 0, "x": expr}}])?;
    Ok(out[0].get("x").cloned().unwrap_or(Bson::Null))
}

#[test]
fn aggregation_arithmetic_follows_mongodbs_types_and_overflow() {
    let cases = [
        // `Long + Long` once returned an Int32, `Long max + Long min` once returned 0.
        (bson::bson!({"$add": [1_i64, 2_i64]}), Bson::Int64(3)),
        (bson::bson!({"$add": [i64::MAX, i64::MIN]}), Bson::Int64(-1)),
        (bson::bson!({"$add": [1, 2]}), Bson::Int32(3)),
        // Int32 overflow widens to Int64, Int64 overflow to Double.
        (bson::bson!({"$add": [i32::MAX, 1]}), Bson::Int64(2_147_483_648)),
        (
            bson::bson!({"$multiply": [65_536, 65_536]}),
            Bson::Int64(4_294_967_296),
        ),
        (
            bson::bson!({"$add": [i64::MAX, 1_i64]}),
            Bson::Double(9_223_372_036_854_775_808.0),
        ),
        (
            bson::bson!({"$subtract": [i64::MIN, 1_i64]}),
            Bson::Double(-9_223_372_036_854_775_808.0),
        ),
        (bson::bson!({"$add": [1, 0.5]}), Bson::Double(1.5)),
        (bson::bson!({"$mod": [i64::MIN, -1_i64]}), Bson::Int64(0)),
        (
            bson::bson!({"$sum": [[i64::MAX, 1_i64, "text"]]}),
            Bson::Double(9_223_372_036_854_775_808.0),
        ),
        (bson::bson!({"$sum": [[1, 2_i64]]}), Bson::Int64(3)),
    ];
    for (expr, want) in cases {
        assert_eq!(project(expr.clone()).expect("evaluates"), want, "{expr}");
    }
    let e = project(bson::bson!({"$add": [dec("0.1"), 1]})).expect_err("decimal arithmetic");
    assert_eq!(e.code(), 115, "what the store does not do says so: {e}");
}

#[test]
fn numbers_print_as_mongodb_prints_them() {
    // `$toString(1e30)` once printed "9223372036854775807".
    let cases = [
        (Bson::Double(1e30), "1e+30"),
        (Bson::Double(2.5), "2.5"),
        (Bson::Double(1.0), "1"),
        (Bson::Double(1e-7), "1e-7"),
        (Bson::Int64(i64::MIN), "-9223372036854775808"),
        (Bson::Int32(42), "42"),
        (dec("0.1"), "0.1"),
    ];
    for (value, want) in cases {
        let got = project(bson::bson!({"$toString": [value.clone()]})).expect("evaluates");
        assert_eq!(got, Bson::String(want.into()), "$toString of {value}");
    }
}

#[test]
fn an_empty_array_sorts_below_null_and_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let ns = Ns::new("t", "c").expect("ns");
    let docs = vec![
        doc! {"_id": 1, "v": 1},
        doc! {"_id": 2, "v": null},
        doc! {"_id": 3},
        doc! {"_id": 4, "v": []},
    ];
    let (_, err) = store.insert(&ns, docs, true);
    assert!(err.is_none());
    let options = FindOptions {
        sort: Some(doc! {"v": 1, "_id": 1}),
        ..FindOptions::default()
    };
    let found = store.find(&ns, &doc! {}, &options).expect("find");
    let order: Vec<i32> = found.iter().map(|d| d.get_i32("_id").expect("_id")).collect();
    assert_eq!(order, vec![4, 2, 3, 1]);
}

#[test]
fn setting_a_nan_to_itself_modifies_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let ns = Ns::new("t", "c").expect("ns");
    let (_, err) = store.insert(&ns, vec![doc! {"_id": 1, "v": f64::NAN}], true);
    assert!(err.is_none());
    let change = store::Change::Operators(doc! {"$set": {"v": f64::NAN}}, vec![]);
    let outcome = store
        .update(&ns, &doc! {}, &change, false, false)
        .expect("update");
    assert_eq!((outcome.matched, outcome.modified), (1, 0));
}
