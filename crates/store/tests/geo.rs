//! Geospatial queries on the embedded store: `$near`/`$nearSphere` in find, `$geoWithin`,
//! `$geoIntersects` and the `$geoNear` stage, with distances checked against the haversine
//! formula on MongoDB's earth radius (an independent computation), and edges that follow
//! great circles as MongoDB's 2dsphere does.

mod common;

use bson::{Bson, Document, doc};
use common::{ns, store_with};
use store::{Data as _, FindOptions, Store};

const RADIUS_M: f64 = 6_378_100.0;

fn point(lng: f64, lat: f64) -> Document {
    doc! {"type": "Point", "coordinates": [lng, lat]}
}

/// Haversine distance in meters on MongoDB's sphere.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let (dla, dlo) = ((b.1 - a.1).to_radians(), (b.0 - a.0).to_radians());
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * RADIUS_M * h.sqrt().asin()
}

const LONDON: (f64, f64) = (-0.1276, 51.5072);
const PARIS: (f64, f64) = (2.3522, 48.8566);
const NEW_YORK: (f64, f64) = (-73.9857, 40.7484);
const SYDNEY: (f64, f64) = (151.2093, -33.8688);

fn cities() -> (tempfile::TempDir, Store) {
    store_with(
        [
            ("london", LONDON),
            ("paris", PARIS),
            ("new york", NEW_YORK),
            ("sydney", SYDNEY),
        ]
        .iter()
        .map(|(name, (lng, lat))| doc! {"_id": *name, "loc": point(*lng, *lat)})
        .collect(),
    )
}

fn find(s: &Store, filter: Document, sort: Option<Document>, limit: i64) -> Result<Vec<String>, String> {
    let options = FindOptions {
        sort,
        limit,
        ..FindOptions::default()
    };
    s.find(&ns(), &filter, &options)
        .map(|docs| {
            docs.iter()
                .map(|d| d.get_str("_id").unwrap_or("?").to_string())
                .collect()
        })
        .map_err(|e| e.to_string())
}

#[test]
fn near_orders_by_distance_within_the_range() {
    let (_dir, s) = cities();
    let near = |max: f64, min: f64| doc! {"loc": {"$near": {"$geometry": point(LONDON.0, LONDON.1), "$maxDistance": max, "$minDistance": min}}};
    assert_eq!(
        find(&s, near(1e6, 0.0), None, 0),
        Ok(vec!["london".into(), "paris".into()])
    );
    assert_eq!(find(&s, near(1e6, 100_000.0), None, 0), Ok(vec!["paris".into()]));
    let everything = doc! {"loc": {"$near": {"$geometry": point(PARIS.0, PARIS.1)}}};
    let order = ["paris", "london", "new york", "sydney"]
        .map(String::from)
        .to_vec();
    assert_eq!(find(&s, everything.clone(), None, 0), Ok(order));
    assert_eq!(find(&s, everything.clone(), None, 1), Ok(vec!["paris".into()]));
    // A sort orders the matches again.
    let sorted = find(&s, everything, Some(doc! {"_id": 1}), 0);
    assert_eq!(
        sorted,
        Ok(["london", "new york", "paris", "sydney"]
            .map(String::from)
            .to_vec())
    );
    // Legacy pairs with $nearSphere measure in radians.
    let radians = (haversine(LONDON, PARIS) + 1.0) / RADIUS_M;
    let legacy = doc! {"loc": {"$nearSphere": [LONDON.0, LONDON.1], "$maxDistance": radians}};
    assert_eq!(
        find(&s, legacy, None, 0),
        Ok(vec!["london".into(), "paris".into()])
    );
    let just_short =
        doc! {"loc": {"$nearSphere": [LONDON.0, LONDON.1], "$maxDistance": radians - 2.0 / RADIUS_M}};
    assert_eq!(find(&s, just_short, None, 0), Ok(vec!["london".into()]));
}

#[test]
fn legacy_pairs_near_is_flat_and_arrays_hold_several_locations() {
    let (_dir, s) = store_with(vec![
        doc! {"_id": "a", "pos": [3.0, 4.0]},
        doc! {"_id": "b", "pos": {"x": 1, "y": 1}},
        doc! {"_id": "c", "pos": [[50.0, 50.0], [0.5, 0.0]]},
        doc! {"_id": "d", "pos": "nowhere"},
    ]);
    let near = doc! {"pos": {"$near": [0, 0], "$maxDistance": 5}};
    assert_eq!(
        find(&s, near, None, 0),
        Ok(vec!["c".into(), "b".into(), "a".into()])
    );
    let within = doc! {"pos": {"$geoWithin": {"$box": [[0, 0], [3, 4]]}}};
    assert_eq!(
        find(&s, within, None, 0),
        Ok(vec!["a".into(), "b".into(), "c".into()])
    );
    let circle = doc! {"pos": {"$geoWithin": {"$center": [[0, 0], 2]}}};
    assert_eq!(find(&s, circle, None, 0), Ok(vec!["b".into(), "c".into()]));
    let triangle = doc! {"pos": {"$geoWithin": {"$polygon": [[0, 0], [4, 0], [4, 5]]}}};
    // (3, 4) lies above the edge from (0, 0) to (4, 5); (0.5, 0) on an edge counts.
    assert_eq!(find(&s, triangle, None, 0), Ok(vec!["b".into(), "c".into()]));
}

#[test]
fn within_polygons_follows_great_circles_and_holes() {
    let (_dir, s) = cities();
    let europe = doc! {"type": "Polygon", "coordinates": [[[-10.0, 40.0], [20.0, 40.0], [20.0, 60.0], [-10.0, 60.0], [-10.0, 40.0]]]};
    let within = |g: &Document| doc! {"loc": {"$geoWithin": {"$geometry": g.clone()}}};
    assert_eq!(
        find(&s, within(&europe), None, 0),
        Ok(vec!["london".into(), "paris".into()])
    );
    let mut holed = europe.clone();
    holed.insert(
        "coordinates",
        bson::bson!([
            [
                [-10.0, 40.0],
                [20.0, 40.0],
                [20.0, 60.0],
                [-10.0, 60.0],
                [-10.0, 40.0]
            ],
            [[1.0, 48.0], [4.0, 48.0], [4.0, 50.0], [1.0, 50.0], [1.0, 48.0]]
        ]),
    );
    assert_eq!(find(&s, within(&holed), None, 0), Ok(vec!["london".into()]));
    let multi = doc! {"type": "MultiPolygon", "coordinates": [
        [[[-80.0, 35.0], [-70.0, 35.0], [-70.0, 45.0], [-80.0, 45.0], [-80.0, 35.0]]],
        [[[150.0, -35.0], [152.0, -35.0], [152.0, -33.0], [150.0, -33.0], [150.0, -35.0]]]
    ]};
    assert_eq!(
        find(&s, within(&multi), None, 0),
        Ok(vec!["new york".into(), "sydney".into()])
    );
    let cap = doc! {"loc": {"$geoWithin": {"$centerSphere": [[LONDON.0, LONDON.1], 400_000.0 / RADIUS_M]}}};
    assert_eq!(find(&s, cap, None, 0), Ok(vec!["london".into(), "paris".into()]));

    // Between 60 and 70 degrees north over 120 degrees of longitude, the edges are great
    // circles: at longitude 0 the region lies between ~73.9 and ~79.7 degrees north.
    let (_dir, s) = store_with(vec![
        doc! {"_id": "planar only", "loc": point(0.0, 65.0)},
        doc! {"_id": "geodesic only", "loc": point(0.0, 75.0)},
    ]);
    let band = doc! {"type": "Polygon", "coordinates": [[[-60.0, 60.0], [60.0, 60.0], [60.0, 70.0], [-60.0, 70.0], [-60.0, 60.0]]]};
    assert_eq!(find(&s, within(&band), None, 0), Ok(vec!["geodesic only".into()]));
}

#[test]
fn intersects_compares_stored_shapes_of_every_kind() {
    let square = |x: f64, y: f64| doc! {"type": "Polygon", "coordinates": [[[x, y], [x + 1.0, y], [x + 1.0, y + 1.0], [x, y + 1.0], [x, y]]]};
    let (_dir, s) = store_with(vec![
        doc! {"_id": "square", "area": square(0.0, 0.0)},
        doc! {"_id": "far square", "area": square(10.0, 10.0)},
        doc! {"_id": "road", "area": {"type": "LineString", "coordinates": [[-1.0, 0.5], [0.5, 0.6]]}},
        doc! {"_id": "spot", "area": point(0.25, 0.25)},
    ]);
    let hits = |g: Document| {
        find(
            &s,
            doc! {"area": {"$geoIntersects": {"$geometry": g}}},
            Some(doc! {"_id": 1}),
            0,
        )
    };
    // A line crossing the square's edge and the road.
    let line = doc! {"type": "LineString", "coordinates": [[-0.5, 0.0], [-0.5, 1.0], [0.5, 0.9]]};
    assert_eq!(hits(line), Ok(vec!["road".into(), "square".into()]));
    // A point inside the square only.
    assert_eq!(hits(point(0.75, 0.75)), Ok(vec!["square".into()]));
    // A polygon holding the spot, overlapping the square, crossed by the road.
    assert_eq!(
        hits(square(0.2, 0.2)),
        Ok(vec!["road".into(), "spot".into(), "square".into()])
    );
    // A polygon inside the square (no edges cross): they intersect all the same.
    let inner = doc! {"type": "Polygon", "coordinates": [[[0.7, 0.1], [0.9, 0.1], [0.9, 0.3], [0.7, 0.3], [0.7, 0.1]]]};
    assert_eq!(hits(inner), Ok(vec!["square".into()]));
    assert_eq!(hits(square(50.0, 50.0)), Ok(vec![]));
}

#[test]
fn geo_near_stage_measures_sorts_and_labels() {
    let (_dir, s) = cities();
    let run = |stage: Document| {
        s.aggregate(&ns(), &[doc! {"$geoNear": stage}])
            .map_err(|e| e.to_string())
    };
    let got = run(doc! {
        "near": point(LONDON.0, LONDON.1), "distanceField": "d.km", "distanceMultiplier": 0.001,
        "maxDistance": 6e6, "includeLocs": "at", "query": {"_id": {"$ne": "london"}},
    })
    .expect("geoNear");
    let names: Vec<&str> = got.iter().map(|d| d.get_str("_id").unwrap_or("?")).collect();
    assert_eq!(names, ["paris", "new york"]);
    for (d, city) in got.iter().zip([PARIS, NEW_YORK]) {
        let km = d
            .get_document("d")
            .and_then(|d| d.get_f64("km"))
            .expect("distance");
        let want = haversine(LONDON, city) / 1000.0;
        assert!((km - want).abs() < want * 1e-9, "{km} against {want}");
        assert_eq!(
            d.get("at"),
            d.get("loc"),
            "includeLocs gives the location measured to"
        );
    }
    // Legacy pair with spherical: radians.
    let got = run(doc! {"near": [LONDON.0, LONDON.1], "spherical": true, "distanceField": "r", "key": "loc"})
        .expect("radians");
    let r = got[1].get_f64("r").expect("r");
    assert!((r - haversine(LONDON, PARIS) / RADIUS_M).abs() < 1e-12);
    // The rest of the pipeline runs on the ordered documents.
    let pipeline = [
        doc! {"$geoNear": {"near": point(SYDNEY.0, SYDNEY.1), "distanceField": "d"}},
        doc! {"$limit": 1},
        doc! {"$project": {"_id": 1}},
    ];
    assert_eq!(
        s.aggregate(&ns(), &pipeline).map_err(|e| e.to_string()),
        Ok(vec![doc! {"_id": "sydney"}])
    );
}

#[test]
fn geo_errors_are_mongodb_s() {
    let (_dir, s) = cities();
    let near = doc! {"$near": {"$geometry": point(0.0, 0.0)}};
    let e = |r: Result<Vec<String>, String>| r.expect_err("refused");
    assert!(
        e(find(
            &s,
            doc! {"$or": [{"loc": near.clone()}, {"_id": 1}]},
            None,
            0
        ))
        .contains("not allowed inside $or")
    );
    assert!(e(find(&s, doc! {"loc": near.clone(), "b": near.clone()}, None, 0)).contains("Too many geoNear"));
    let count = s
        .count(&ns(), &doc! {"loc": near.clone()}, 0, 0)
        .expect_err("count");
    assert!(count.to_string().contains("only in find"), "{count}");
    let matched = s
        .aggregate(&ns(), &[doc! {"$match": {"loc": near.clone()}}])
        .expect_err("match");
    assert!(matched.to_string().contains("only in find"), "{matched}");
    let open = doc! {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]};
    assert!(
        e(find(
            &s,
            doc! {"loc": {"$geoWithin": {"$geometry": open}}},
            None,
            0
        ))
        .contains("not closed")
    );
    assert!(
        e(find(
            &s,
            doc! {"loc": {"$near": {"$geometry": point(0.0, 91.0)}}},
            None,
            0
        ))
        .contains("GeoJSON Point")
    );
    let line = doc! {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]};
    assert!(
        e(find(
            &s,
            doc! {"loc": {"$geoWithin": {"$geometry": line}}},
            None,
            0
        ))
        .contains("Polygon or MultiPolygon")
    );
    let late = [
        doc! {"$match": {}},
        doc! {"$geoNear": {"near": point(0.0, 0.0), "distanceField": "d"}},
    ];
    assert!(
        s.aggregate(&ns(), &late)
            .expect_err("late")
            .to_string()
            .contains("first stage")
    );
    let no_field = [doc! {"$geoNear": {"near": point(0.0, 0.0)}}];
    assert!(
        s.aggregate(&ns(), &no_field)
            .expect_err("field")
            .to_string()
            .contains("distanceField")
    );

    let (_dir, two) = store_with(vec![
        doc! {"_id": 1, "home": point(0.0, 0.0), "work": point(1.0, 1.0)},
    ]);
    let stage = [doc! {"$geoNear": {"near": point(0.0, 0.0), "distanceField": "d"}}];
    let ambiguous = two.aggregate(&ns(), &stage).expect_err("ambiguous").to_string();
    assert!(
        ambiguous.contains("home, work") && ambiguous.contains("'key'"),
        "{ambiguous}"
    );
    let keyed = [doc! {"$geoNear": {"near": point(0.0, 0.0), "distanceField": "d", "key": "work"}}];
    let got = two.aggregate(&ns(), &keyed).expect("keyed");
    assert!(matches!(got[0].get("d"), Some(Bson::Double(d)) if *d > 150_000.0));
}

#[test]
fn huge_geometries_stop_at_the_deadline() {
    use std::time::{Duration, Instant};
    // 100 stored lines of 2,000 vertices inside a 20,000-sided polygon: every vertex against
    // every edge is 4e9 tests.
    let line: Vec<Bson> = (0..2_000)
        .map(|i| bson::bson!([f64::from(i) * 1e-4, 0.5 + f64::from(i % 2) * 1e-4]))
        .collect();
    let docs = (0..100)
        .map(|i| doc! {"_id": i, "area": {"type": "LineString", "coordinates": line.clone()}})
        .collect();
    let (_dir, s) = store_with(docs);
    let n = 20_000;
    let mut ring: Vec<Bson> = (0..n)
        .map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / f64::from(n);
            bson::bson!([5.0 * t.cos(), 5.0 * t.sin()])
        })
        .collect();
    ring.push(ring[0].clone());
    let polygon = doc! {"type": "Polygon", "coordinates": [ring]};
    for op in ["$geoWithin", "$geoIntersects"] {
        let filter = doc! {"area": {op: {"$geometry": polygon.clone()}}};
        let started = Instant::now();
        let deadline = Some(started + Duration::from_millis(300));
        let got = store::budget::within(deadline, || s.find(&ns(), &filter, &FindOptions::default()));
        assert!(
            matches!(got, Err(store::StoreError::TimeLimit)),
            "{op}: {:?}",
            got.map(|d| d.len())
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{op} stopped at {:?}",
            started.elapsed()
        );
    }
}
