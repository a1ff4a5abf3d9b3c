//! MongoDB's limits in the store, and the inputs that crashed it (each quoted from the report
//! that found it): nothing a request describes may panic, abort the process or make the store
//! allocate without bound.

use bson::{Bson, Document, doc};
use store::{Change, Data as _, FindOptions, Ns, Store, StoreError};

fn ns() -> Ns {
    Ns::new("t", "c").expect("valid")
}

fn store_with(docs: Vec<Document>) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let (_, err) = store.insert(&ns(), docs, true);
    assert!(err.is_none(), "{err:?}");
    (dir, store)
}

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
