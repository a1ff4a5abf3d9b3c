//! MongoDB's limits in the store, and the inputs that crashed it (each quoted from the report
//! that found it): nothing a request describes may panic, abort the process or make the store
//! allocate without bound.

mod common;

use bson::{Bson, Document, doc};
use common::{ns, store_with};
use store::{Change, Data as _, FindOptions, Ns, Store, StoreError};

fn set(
    store: &Store,
    filter: Document,
    set: Document,
    array_filters: Vec<Document>,
) -> Result<u64, StoreError> {
    let change = Change::Operators(doc! {"$set": set}, array_filters);
    store
        .update(&ns(), &filter, &change, false, true)
        .map(|o| o.modified)
}

fn only(store: &Store) -> Document {
    let found = store
        .find(&ns(), &doc! {}, &FindOptions::default())
        .expect("find");
    assert_eq!(found.len(), 1);
    found.into_iter().next().expect("one")
}

#[test]
fn a_far_array_index_is_refused_instead_of_padding_without_bound() {
    // `updateOne({}, {$set: {"arr.400000000": 1}})` on `{arr: []}` once tried to allocate ~45 GB.
    let (_d, s) = store_with(vec![doc! {"_id": 1, "arr": []}]);
    for path in ["arr.400000000", "arr.2000000"] {
        let e = set(&s, doc! {}, doc! {path: 1}, vec![]).expect_err(path);
        assert_eq!((e.code(), e.code_name()), (2, "BadValue"), "{path}: {e}");
        assert!(
            e.to_string()
                .contains("can't backfill more than 1500000 elements"),
            "{e}"
        );
    }
    assert_eq!(only(&s).get_array("arr").expect("arr"), &Vec::<Bson>::new());
    assert_eq!(
        set(&s, doc! {}, doc! {"arr.3": 1}, vec![]),
        Ok(1),
        "near indexes still pad"
    );
    assert_eq!(only(&s).get_array("arr").expect("arr").len(), 4);
}

#[test]
fn documents_over_16_mib_are_refused_on_insert_and_update() {
    let big = "x".repeat(17 * 1024 * 1024);
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    let (_, err) = s.insert(&ns(), vec![doc! {"_id": 1, "s": big.as_str()}], true);
    let e = err.expect("a 17 MiB insert is refused");
    assert_eq!((e.code(), e.code_name()), (10334, "BSONObjectTooLarge"), "{e}");
    let (_, err) = s.insert(&ns(), vec![doc! {"_id": 2, "s": "small"}], true);
    assert!(err.is_none());
    let e = set(&s, doc! {}, doc! {"s": big.as_str()}, vec![]).expect_err("a 17 MiB update is refused");
    assert_eq!(e.code(), 10334, "{e}");
    assert_eq!(only(&s).get_str("s").ok(), Some("small"));
}

#[test]
fn documents_deeper_than_100_levels_are_refused() {
    let nested = |levels: usize| {
        let mut d = doc! {"leaf": 1};
        for _ in 1..levels {
            d = doc! {"d": d};
        }
        d
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Store::open(dir.path()).expect("open");
    // The stored document is the outer level: `{_id, n: <levels>}` is levels + 1 deep.
    let (_, err) = s.insert(&ns(), vec![doc! {"_id": 1, "n": nested(99)}], true);
    assert!(err.is_none(), "100 levels are stored: {err:?}");
    let (_, err) = s.insert(&ns(), vec![doc! {"_id": 2, "n": nested(100)}], true);
    let e = err.expect("101 levels are refused");
    assert_eq!((e.code(), e.code_name()), (15, "Overflow"), "{e}");
}

#[test]
fn mod_of_the_smallest_long_by_minus_one_is_zero_not_a_panic() {
    // `$mod` with divisor -1 on Int64 minimum overflowed the remainder (matcher.rs:438), also
    // inside updateMany's arrayFilters, in the writer thread.
    let (_d, s) = store_with(vec![doc! {"_id": 1, "v": i64::MIN, "a": [i64::MIN, 5_i64]}]);
    let found = s
        .find(&ns(), &doc! {"v": {"$mod": [-1, 0]}}, &FindOptions::default())
        .expect("find");
    assert_eq!(found.len(), 1);
    let filters = vec![doc! {"e": {"$mod": [-1, 0]}}];
    assert_eq!(set(&s, doc! {}, doc! {"a.$[e]": 0}, filters), Ok(1));
    assert_eq!(
        only(&s).get_array("a").expect("a"),
        &vec![Bson::Int32(0), Bson::Int32(0)]
    );
}

#[test]
fn operators_check_their_argument_count_before_reading_arguments() {
    // `$divide` with no arguments indexed out of bounds (expr.rs:174).
    let (_d, s) = store_with(vec![doc! {"_id": 1}]);
    for expr in [
        doc! {"$divide": []},
        doc! {"$divide": [1]},
        doc! {"$mod": []},
        doc! {"$subtract": [1]},
    ] {
        let e = s
            .aggregate(&ns(), &[doc! {"$project": {"x": expr.clone()}}])
            .expect_err("refused");
        assert_eq!(e.code(), 2, "{expr}: {e}");
    }
    let dates = doc! {"$subtract": [bson::DateTime::MAX, bson::DateTime::MIN]};
    let e = s
        .aggregate(&ns(), &[doc! {"$project": {"x": dates}}])
        .expect_err("overflowing date difference");
    assert_eq!(e.code(), 2, "{e}");
}

#[test]
fn work_past_the_callers_deadline_stops_with_max_time_ms_expired() {
    let docs = (0..5000).map(|i| doc! {"_id": i, "i": i}).collect();
    let (_d, s) = store_with(docs);
    let past = Some(std::time::Instant::now());
    let all = FindOptions::default();
    let expired = |r: Result<usize, StoreError>| {
        let e = r.expect_err("past its deadline");
        assert_eq!((e.code(), e.code_name()), (50, "MaxTimeMSExpired"), "{e}");
        assert_eq!(e.to_string(), "operation exceeded time limit");
    };
    expired(store::budget::within(past, || {
        s.find(&ns(), &doc! {}, &all).map(|d| d.len())
    }));
    expired(store::budget::within(past, || {
        s.distinct(&ns(), "i", &doc! {}).map(|d| d.len())
    }));
    let group = [doc! {"$group": {"_id": "$i"}}];
    expired(store::budget::within(past, || {
        s.aggregate(&ns(), &group).map(|d| d.len())
    }));
    let change = Change::Operators(doc! {"$set": {"x": 1}}, vec![]);
    let update = || {
        s.update(&ns(), &doc! {}, &change, false, true)
            .map(|o| o.modified as usize)
    };
    expired(store::budget::within(past, update));
    // Without a deadline, and with time to spare, the same work is done.
    assert_eq!(
        store::budget::within(None, || s.find(&ns(), &doc! {}, &all)).map(|d| d.len()),
        Ok(5000)
    );
    let later = Some(std::time::Instant::now() + std::time::Duration::from_secs(60));
    assert_eq!(store::budget::within(later, update), Ok(5000));
}

#[test]
fn long_in_lists_group_keys_and_sets_match_by_mongodb_equality_without_quadratic_work() {
    use bson::Decimal128;
    use std::str::FromStr;
    let dec = |s: &str| Bson::Decimal128(Decimal128::from_str(s).expect("decimal"));
    let values = vec![
        Bson::Int32(1),
        Bson::Int64(2),
        Bson::Double(3.0),
        Bson::Double(3.5),
        dec("4"),
        Bson::String("five".into()),
        Bson::Symbol("six".into()),
        Bson::Null,
        Bson::Boolean(true),
        Bson::Array(vec![Bson::Int32(70), Bson::Int32(71)]),
        Bson::Document(doc! {"d": 8}),
    ];
    let docs: Vec<Document> = values
        .iter()
        .enumerate()
        .map(|(i, v)| doc! {"_id": i as i32, "v": v.clone()})
        .chain([doc! {"_id": 99}])
        .collect();
    let (_d, s) = store_with(docs);
    // Each list is padded past the length that gets a key set; each finds what its short
    // form finds.
    let cases: Vec<(Bson, Vec<i32>)> = vec![
        (Bson::Double(1.0), vec![0]),
        (dec("2"), vec![1]),
        (Bson::Int64(3), vec![2]),
        (dec("3.5"), vec![3]),
        (Bson::Int32(4), vec![4]),
        (Bson::Symbol("five".into()), vec![5]),
        (Bson::String("six".into()), vec![6]),
        (Bson::Null, vec![7, 99]),
        (Bson::Int32(1), vec![0]),
        (Bson::Int64(71), vec![9]),
        (Bson::Document(doc! {"d": 8.0}), vec![10]),
        (
            Bson::RegularExpression(bson::Regex {
                pattern: "^fi".try_into().expect("pattern"),
                options: "".try_into().expect("options"),
            }),
            vec![5],
        ),
    ];
    let padding: Vec<Bson> = (1000..1040).map(Bson::Int32).collect();
    for (want, ids) in cases {
        for list in [vec![want.clone()], [vec![want.clone()], padding.clone()].concat()] {
            let found: Vec<i32> = s
                .find(&ns(), &doc! {"v": {"$in": list.clone()}}, &FindOptions::default())
                .expect("find")
                .iter()
                .map(|d| d.get_i32("_id").expect("id"))
                .collect();
            assert_eq!(found, ids, "$in [{want}, ...{}]", list.len() - 1);
            let excluded = s
                .count(&ns(), &doc! {"v": {"$nin": list.clone()}}, 0, 0)
                .expect("count");
            assert_eq!(excluded as usize, 12 - ids.len(), "$nin [{want}, ...]");
        }
    }

    // 20,000 distinct values: grouping, `distinct`, `$addToSet` and a 20,000-long `$in`
    // each stay linear (these took minutes when each value was compared with every other).
    let ns2 = Ns::new("t", "many").expect("valid");
    let many: Vec<Document> = (0..20_000)
        .map(|i| doc! {"k": if i % 2 == 0 { Bson::Int32(i) } else { Bson::String(i.to_string()) }, "half": i / 2})
        .collect();
    assert!(s.insert(&ns2, many, true).1.is_none());
    let started = std::time::Instant::now();
    let groups = s
        .aggregate(
            &ns2,
            &[doc! {"$group": {"_id": "$half", "ks": {"$addToSet": "$k"}}}],
        )
        .expect("group");
    assert_eq!(groups.len(), 10_000);
    assert!(
        groups
            .iter()
            .all(|g| g.get_array("ks").is_ok_and(|k| k.len() == 2))
    );
    assert_eq!(
        s.distinct(&ns2, "half", &doc! {}).expect("distinct").len(),
        10_000
    );
    let wanted: Vec<Bson> = (0..20_000).map(|i| Bson::Double(f64::from(i))).collect();
    assert_eq!(s.count(&ns2, &doc! {"k": {"$in": wanted}}, 0, 0), Ok(10_000));
    let all: Vec<Bson> = (0..20_000).map(Bson::Int64).collect();
    let added = Change::Operators(doc! {"$addToSet": {"set": {"$each": all.clone()}}}, vec![]);
    s.update(&ns(), &doc! {"_id": 0}, &added, false, false)
        .expect("addToSet");
    s.update(&ns(), &doc! {"_id": 0}, &added, false, false)
        .expect("addToSet again");
    let pulled = Change::Operators(doc! {"$pullAll": {"set": all[..19_990].to_vec()}}, vec![]);
    s.update(&ns(), &doc! {"_id": 0}, &pulled, false, false)
        .expect("pullAll");
    let kept = s
        .find(&ns(), &doc! {"_id": 0}, &FindOptions::default())
        .expect("find")
        .remove(0);
    assert_eq!(kept.get_array("set").map(Vec::len).ok(), Some(10));
    // `$all` of a long list over a long array, numbers across types.
    let ns3 = Ns::new("t", "all").expect("valid");
    let array: Vec<Bson> = (0..20_000).map(Bson::Int64).collect();
    assert!(s.insert(&ns3, vec![doc! {"a": array}], true).1.is_none());
    let some: Vec<Bson> = (0..10_000).map(|i| Bson::Double(f64::from(i * 2))).collect();
    assert_eq!(s.count(&ns3, &doc! {"a": {"$all": some.clone()}}, 0, 0), Ok(1));
    let missing = [some, vec![Bson::Int32(20_000)]].concat();
    assert_eq!(s.count(&ns3, &doc! {"a": {"$all": missing}}, 0, 0), Ok(0));
    eprintln!("20,000 values: {:?}", started.elapsed());
}

#[test]
fn a_bounded_read_answers_within_its_bound_or_not_at_all() {
    let mut docs: Vec<Document> = (0..300).map(|i| doc! {"_id": i, "k": i % 3}).collect();
    docs.push(doc! {"_id": "big", "s": "x".repeat(300 * 1024)});
    let (_d, s) = store_with(docs);
    s.create_index(&ns(), "k", false).expect("index");
    let find = |filter: Document, limit: i64| {
        let options = FindOptions {
            limit,
            ..FindOptions::default()
        };
        store::budget::bounded(128, 256 * 1024, || s.find(&ns(), &filter, &options))
    };
    let one = find(doc! {"_id": 7}, 0).expect("a point read is within the bound");
    assert_eq!(one, Ok(vec![doc! {"_id": 7, "k": 1}]));
    let five = find(doc! {}, 5).expect("five documents are within the bound");
    assert_eq!(five.expect("find").len(), 5);
    assert_eq!(find(doc! {}, 0), None, "301 documents are past 128 ticks");
    assert_eq!(
        find(doc! {"k": 2}, 0),
        None,
        "100 index entries and their documents are past it"
    );
    assert_eq!(find(doc! {"_id": "big"}, 0), None, "300 KiB are past 256 KiB");
    let missing = find(doc! {"k": 9}, 0).expect("an empty index key is within the bound");
    assert_eq!(missing, Ok(vec![]));
    // Past the bound, the same thread reads without it as before.
    let all = s.find(&ns(), &doc! {}, &FindOptions::default()).expect("find");
    assert_eq!(all.len(), 301);
}

#[test]
fn a_filter_of_many_branches_over_long_arrays_stops_at_the_deadline() {
    // One document, so one tick per document would never read the clock: each field
    // condition is a tick. 2,000 branches against 1,000 elements each.
    let (_d, s) = store_with(vec![doc! {"_id": 1, "a": (0..1000).collect::<Vec<i32>>()}]);
    let branches: Vec<Bson> = (0..2000).map(|i| Bson::Document(doc! {"a": -1 - i})).collect();
    let filter = doc! {"$or": branches};
    let all = FindOptions::default();
    let past = Some(std::time::Instant::now());
    let e = store::budget::within(past, || s.find(&ns(), &filter, &all)).expect_err("past its deadline");
    assert_eq!((e.code(), e.code_name()), (50, "MaxTimeMSExpired"), "{e}");
    let e = store::budget::within(past, || s.count(&ns(), &filter, 0, 0)).expect_err("past its deadline");
    assert_eq!(e.code(), 50, "{e}");
    // With time, the same read answers: no element is negative.
    assert_eq!(
        store::budget::within(None, || s.find(&ns(), &filter, &all)),
        Ok(vec![])
    );
}
