//! Geospatial queries: GeoJSON geometries on the sphere, as MongoDB's 2dsphere reads them
//! (edges are great-circle arcs, distances in meters on a sphere of MongoDB's earth radius),
//! and legacy coordinate pairs on a flat plane, as its 2d reads them (`$box`, `$polygon`,
//! `$center`, `$near` with a pair). The embedded store has no geospatial index: every query
//! tests the documents it reads, so `$near` and `$geoNear` need none.

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    order::as_f64,
};

/// MongoDB's radius of the earth in meters (`kRadiusOfEarthInMeters`).
pub const EARTH_RADIUS_M: f64 = 6_378_100.0;

type V3 = [f64; 3];

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn normalize(a: V3) -> V3 {
    let n = dot(a, a).sqrt();
    if n == 0.0 { a } else { scale(a, 1.0 / n) }
}

/// The unit vector of a longitude and latitude in degrees.
fn unit(lng: f64, lat: f64) -> V3 {
    let (lo, la) = (lng.to_radians(), lat.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// The angle between two unit vectors, in radians (well conditioned at 0 and at pi).
fn angle(a: V3, b: V3) -> f64 {
    let c = cross(a, b);
    dot(c, c).sqrt().atan2(dot(a, b))
}

/// Whether the arcs `ab` and `cd` cross at a point interior to both (S2's `SimpleCrossing`).
fn crosses(a: V3, b: V3, c: V3, d: V3) -> bool {
    let ab = cross(a, b);
    let acb = -dot(ab, c);
    let bda = dot(ab, d);
    if acb * bda <= 0.0 {
        return false;
    }
    let cd = cross(c, d);
    let cbd = -dot(cd, b);
    let dac = dot(cd, a);
    acb * cbd > 0.0 && acb * dac > 0.0
}

/// The angle from `p` to the nearest point of the arc `ab`.
fn to_arc(p: V3, a: V3, b: V3) -> f64 {
    let n = cross(a, b);
    let len = dot(n, n).sqrt();
    if len < 1e-15 {
        return angle(p, a);
    }
    let n = scale(n, 1.0 / len);
    let off = dot(p, n);
    let foot = [p[0] - off * n[0], p[1] - off * n[1], p[2] - off * n[2]];
    if dot(cross(a, foot), n) > 0.0 && dot(cross(foot, b), n) > 0.0 {
        off.abs().min(1.0).asin()
    } else {
        angle(p, a).min(angle(p, b))
    }
}

/// Whether the operation may go on: a geometry's loops (every vertex against every edge)
/// tick the deadline, and stop, answering no match, once it has passed; the scan that called
/// them then fails with the time limit at its next tick.
fn alive() -> bool {
    crate::budget::tick().is_ok()
}

/// A position `[lng, lat, ...]` of GeoJSON, checked against the sphere's ranges.
fn position(v: &Bson) -> Result<(f64, f64), String> {
    let Bson::Array(a) = v else {
        return Err(format!("a position must be an array of numbers, found {v}"));
    };
    match (a.first().and_then(as_f64), a.get(1).and_then(as_f64)) {
        (Some(lng), Some(lat)) if (-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat) => {
            Ok((lng, lat))
        }
        (Some(lng), Some(lat)) => Err(format!(
            "longitude/latitude is out of bounds, lng: {lng} lat: {lat}"
        )),
        _ => Err(format!("a position must be an array of two numbers, found {v}")),
    }
}

fn positions(v: &Bson) -> Result<Vec<V3>, String> {
    match v {
        Bson::Array(items) => items
            .iter()
            .map(|p| position(p).map(|(lng, lat)| unit(lng, lat)))
            .collect(),
        other => Err(format!("coordinates must be an array, found {other}")),
    }
}

/// A polygon on the sphere: its rings without their closing vertex (the first the shell, the
/// rest holes), and each ring in the gnomonic projection around the shell's center, where
/// great-circle edges are straight, so containment is the plane's test.
#[derive(Debug, Clone)]
struct Polygon {
    rings: Vec<Vec<V3>>,
    center: V3,
    axes: (V3, V3),
    flat: Vec<Vec<[f64; 2]>>,
}

impl Polygon {
    fn new(rings: Vec<Vec<V3>>) -> Result<Self, String> {
        let mut open = Vec::with_capacity(rings.len());
        for mut ring in rings {
            if ring.len() < 4 {
                return Err("a polygon's loop must have at least 4 positions".into());
            }
            if ring.first() != ring.last() {
                return Err("a polygon's loop is not closed: its first and last positions differ".into());
            }
            ring.pop();
            open.push(ring);
        }
        let shell = open.first().ok_or("a polygon needs at least one loop")?;
        let center = normalize(
            shell
                .iter()
                .fold([0.0; 3], |s, v| [s[0] + v[0], s[1] + v[1], s[2] + v[2]]),
        );
        if open.iter().flatten().any(|v| dot(*v, center) <= 1e-9) {
            return Err("polygons larger than a hemisphere are not supported".into());
        }
        let least = (0..3)
            .min_by(|&i, &j| center[i].abs().total_cmp(&center[j].abs()))
            .unwrap_or(0);
        let mut axis = [0.0; 3];
        axis[least] = 1.0;
        let e1 = normalize(cross(center, axis));
        let e2 = cross(center, e1);
        let mut polygon = Polygon {
            rings: open,
            center,
            axes: (e1, e2),
            flat: Vec::new(),
        };
        polygon.flat = polygon
            .rings
            .iter()
            .map(|r| r.iter().map(|v| polygon.project(*v)).collect())
            .collect();
        Ok(polygon)
    }

    fn project(&self, v: V3) -> [f64; 2] {
        let d = dot(v, self.center);
        [dot(v, self.axes.0) / d, dot(v, self.axes.1) / d]
    }

    fn contains(&self, p: V3) -> bool {
        if dot(p, self.center) <= 1e-9 {
            return false;
        }
        let q = self.project(p);
        let mut rings = self.flat.iter();
        rings.next().is_some_and(|shell| in_ring(shell, q)) && !rings.any(|hole| in_ring(hole, q))
    }
}

/// The plane's crossing-number test; `ring` is open (its last vertex joins its first).
fn in_ring(ring: &[[f64; 2]], q: [f64; 2]) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > q[1]) != (b[1] > q[1]) && q[0] < (b[0] - a[0]) * (q[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// A GeoJSON geometry on the sphere, taken apart into points, lines and polygons (so the
/// `Multi` types and collections are one shape).
#[derive(Debug, Clone, Default)]
pub struct Geometry {
    points: Vec<V3>,
    lines: Vec<Vec<V3>>,
    polygons: Vec<Polygon>,
}

impl Geometry {
    /// Parses a GeoJSON object (`Point`, `LineString`, `Polygon`, their `Multi` forms,
    /// `GeometryCollection`).
    pub fn parse(d: &Document) -> Result<Geometry, String> {
        let mut g = Geometry::default();
        g.add(d, 0)?;
        Ok(g)
    }

    fn add(&mut self, d: &Document, depth: usize) -> Result<(), String> {
        let coords = || d.get("coordinates").ok_or("a GeoJSON object needs 'coordinates'");
        let each = |v: &Bson| -> Result<Vec<Bson>, String> {
            match v {
                Bson::Array(a) => Ok(a.clone()),
                other => Err(format!("coordinates must be an array, found {other}")),
            }
        };
        let line = |v: &Bson| -> Result<Vec<V3>, String> {
            let l = positions(v)?;
            if l.len() < 2 {
                return Err("a LineString needs at least two positions".into());
            }
            Ok(l)
        };
        let polygon = |v: &Bson| -> Result<Polygon, String> {
            Polygon::new(each(v)?.iter().map(positions).collect::<Result<_, _>>()?)
        };
        match d
            .get_str("type")
            .map_err(|_| "a GeoJSON object needs a string 'type'")?
        {
            "Point" => {
                let (lng, lat) = position(coords()?)?;
                self.points.push(unit(lng, lat));
            }
            "MultiPoint" => self.points.extend(positions(coords()?)?),
            "LineString" => self.lines.push(line(coords()?)?),
            "MultiLineString" => {
                for l in each(coords()?)? {
                    self.lines.push(line(&l)?);
                }
            }
            "Polygon" => self.polygons.push(polygon(coords()?)?),
            "MultiPolygon" => {
                for p in each(coords()?)? {
                    self.polygons.push(polygon(&p)?);
                }
            }
            "GeometryCollection" if depth == 0 => {
                let Some(Bson::Array(parts)) = d.get("geometries") else {
                    return Err("a GeometryCollection needs a 'geometries' array".into());
                };
                for part in parts {
                    let Bson::Document(part) = part else {
                        return Err("a GeometryCollection's geometries must be objects".into());
                    };
                    self.add(part, depth + 1)?;
                }
            }
            other => return Err(format!("unknown GeoJSON type: {other}")),
        }
        Ok(())
    }

    fn point(lng: f64, lat: f64) -> Geometry {
        Geometry {
            points: vec![unit(lng, lat)],
            ..Geometry::default()
        }
    }

    /// Every vertex: the points, the lines' and the rings' vertices.
    fn vertices(&self) -> impl Iterator<Item = V3> + '_ {
        let lines = self.lines.iter().flatten();
        let rings = self.polygons.iter().flat_map(|p| p.rings.iter().flatten());
        self.points.iter().chain(lines).chain(rings).copied()
    }

    /// Every edge: the lines' segments and the rings' (closing edge included).
    fn edges(&self) -> impl Iterator<Item = (V3, V3)> + '_ {
        let lines = self.lines.iter().flat_map(|l| l.windows(2).map(|w| (w[0], w[1])));
        let rings = self.polygons.iter().flat_map(|p| {
            p.rings
                .iter()
                .flat_map(|r| (0..r.len()).map(move |i| (r[i], r[(i + 1) % r.len()])))
        });
        lines.chain(rings)
    }

    fn contains_point(&self, p: V3) -> bool {
        alive() && self.polygons.iter().any(|poly| poly.contains(p))
    }

    /// Whether `p` lies on one of this geometry's points or edges.
    fn touches(&self, p: V3) -> bool {
        const ON: f64 = 1e-12;
        alive()
            && (self.points.iter().any(|q| angle(p, *q) < ON)
                || self.edges().any(|(a, b)| to_arc(p, a, b) < ON))
    }

    fn edges_cross(&self, other: &Geometry) -> bool {
        for (a, b) in self.edges() {
            for (c, d) in other.edges() {
                if !alive() {
                    return false;
                }
                if crosses(a, b, c, d) {
                    return true;
                }
            }
        }
        false
    }

    /// `$geoIntersects`: whether the two share a point.
    pub fn intersects(&self, other: &Geometry) -> bool {
        let meets = |a: &Geometry, b: &Geometry| a.vertices().any(|v| b.contains_point(v) || b.touches(v));
        meets(self, other) || meets(other, self) || self.edges_cross(other)
    }

    /// `$geoWithin` a polygon or multipolygon: every vertex inside it and no edge leaving it.
    fn within(&self, region: &Geometry) -> bool {
        self.vertices().next().is_some()
            && self.vertices().all(|v| region.contains_point(v))
            && !self.edges_cross(region)
    }

    /// The angle from `p` to the nearest point of this geometry (0 inside a polygon).
    fn distance(&self, p: V3) -> f64 {
        if self.contains_point(p) {
            return 0.0;
        }
        let points = self.points.iter().map(|q| angle(p, *q));
        let edges = self.edges().map(|(a, b)| to_arc(p, a, b));
        points.chain(edges).fold(f64::INFINITY, f64::min)
    }
}

/// A location a document holds: a point (a GeoJSON `Point` or a legacy pair, usable on the
/// plane and, within range, on the sphere) or another GeoJSON geometry.
enum Loc {
    Point(f64, f64),
    Shape(Geometry),
}

impl Loc {
    /// This location on the sphere (a stored shape is borrowed, not copied).
    fn sphere(&self) -> Option<std::borrow::Cow<'_, Geometry>> {
        use std::borrow::Cow;
        match self {
            Loc::Point(x, y) if (-180.0..=180.0).contains(x) && (-90.0..=90.0).contains(y) => {
                Some(Cow::Owned(Geometry::point(*x, *y)))
            }
            Loc::Point(..) => None,
            Loc::Shape(g) => Some(Cow::Borrowed(g)),
        }
    }
}

/// A legacy pair: an array or object whose first two values are numbers.
fn pair(v: &Bson) -> Option<(f64, f64)> {
    let mut it: Box<dyn Iterator<Item = &Bson>> = match v {
        Bson::Array(a) => Box::new(a.iter()),
        Bson::Document(d) => Box::new(d.values()),
        _ => return None,
    };
    Some((as_f64(it.next()?)?, as_f64(it.next()?)?))
}

/// A GeoJSON `Point`'s longitude and latitude.
fn geojson_point(d: &Document) -> Option<(f64, f64)> {
    match d.get_str("type") {
        Ok("Point") => position(d.get("coordinates")?).ok(),
        _ => None,
    }
}

/// The locations a field's value holds (a GeoJSON object, a legacy pair, or an array of
/// them), each with the value it came from.
fn locations<'a>(v: &'a Bson, out: &mut Vec<(Loc, &'a Bson)>, nested: bool) {
    match v {
        Bson::Document(d) if d.contains_key("type") => {
            if let Some((x, y)) = geojson_point(d) {
                out.push((Loc::Point(x, y), v));
            } else if let Ok(g) = Geometry::parse(d) {
                out.push((Loc::Shape(g), v));
            }
        }
        other => match pair(other) {
            Some((x, y)) => out.push((Loc::Point(x, y), v)),
            None if !nested => {
                if let Bson::Array(items) = other {
                    for item in items {
                        locations(item, out, true);
                    }
                }
            }
            None => {}
        },
    }
}

fn locs<'a>(values: &[&'a Bson]) -> Vec<(Loc, &'a Bson)> {
    let mut out = Vec::new();
    for v in values {
        locations(v, &mut out, false);
    }
    out
}

/// Where `$geoWithin` looks.
#[derive(Debug, Clone)]
pub enum Region {
    /// `$geometry`: a GeoJSON polygon or multipolygon on the sphere.
    Shape(Geometry),
    /// `$centerSphere: [[lng, lat], radians]`.
    CenterSphere(V3, f64),
    /// `$box: [[x1, y1], [x2, y2]]`, on the plane, edges included.
    Box([f64; 4]),
    /// `$polygon: [[x, y], ...]`, on the plane.
    Polygon(Vec<[f64; 2]>),
    /// `$center: [[x, y], r]`, on the plane.
    Center([f64; 2], f64),
}

/// `$near`/`$nearSphere`/`$geoNear`: the point distances are measured from, how, and the
/// range a location's distance must fall in.
#[derive(Debug, Clone)]
pub struct Near {
    /// The point (longitude and latitude on the sphere, x and y on the plane).
    pub at: (f64, f64),
    /// On the sphere (else on the plane).
    pub sphere: bool,
    /// What an angle is multiplied by (the earth's radius for meters, 1 for radians).
    pub unit: f64,
    /// The least distance.
    pub min: f64,
    /// The greatest distance.
    pub max: f64,
}

/// A geospatial query condition on one path.
#[derive(Debug, Clone)]
pub enum GeoCond {
    /// `$geoWithin`.
    Within(Region),
    /// `$geoIntersects`.
    Intersects(Geometry),
    /// `$near`, `$nearSphere`.
    Near(Near),
}

fn geojson(v: &Bson, op: &str) -> Result<Geometry, StoreError> {
    match v {
        Bson::Document(d) => Geometry::parse(d).map_err(|e| bad(format!("{op}: {e}"))),
        other => Err(bad(format!(
            "{op}: $geometry must be a GeoJSON object, found {other}"
        ))),
    }
}

fn flat_pair(v: &Bson, op: &str) -> Result<[f64; 2], StoreError> {
    pair(v)
        .map(|(x, y)| [x, y])
        .ok_or_else(|| bad(format!("{op}: a point must be a pair of numbers, found {v}")))
}

fn number(v: Option<&Bson>, what: &str) -> Result<Option<f64>, StoreError> {
    match v {
        None => Ok(None),
        Some(v) => match as_f64(v) {
            Some(n) if n >= 0.0 => Ok(Some(n)),
            _ => Err(bad(format!("{what} must be a non-negative number, found {v}"))),
        },
    }
}

impl GeoCond {
    /// Parses `$geoWithin`'s argument.
    pub fn within(v: &Bson) -> Result<GeoCond, StoreError> {
        let op = "$geoWithin";
        let Bson::Document(d) = v else {
            return Err(bad(format!("{op} needs an object")));
        };
        let (shape, arg) = d
            .iter()
            .next()
            .ok_or_else(|| bad(format!("{op} needs a shape")))?;
        let list = |what: &str| match arg {
            Bson::Array(a) => Ok(a.clone()),
            _ => Err(bad(format!("{op}: {what} needs an array"))),
        };
        let region = match shape.as_str() {
            "$geometry" => {
                let g = geojson(arg, op)?;
                if !g.points.is_empty() || !g.lines.is_empty() || g.polygons.is_empty() {
                    return Err(bad(format!("{op}: $geometry must be a Polygon or MultiPolygon")));
                }
                Region::Shape(g)
            }
            "$box" => match list("$box")?.as_slice() {
                [a, b] => {
                    let (a, b) = (flat_pair(a, op)?, flat_pair(b, op)?);
                    Region::Box([a[0].min(b[0]), a[1].min(b[1]), a[0].max(b[0]), a[1].max(b[1])])
                }
                _ => return Err(bad(format!("{op}: $box needs two corners"))),
            },
            "$polygon" => {
                let ring = list("$polygon")?
                    .iter()
                    .map(|p| flat_pair(p, op))
                    .collect::<Result<Vec<_>, _>>()?;
                if ring.len() < 3 {
                    return Err(bad(format!("{op}: $polygon needs at least three points")));
                }
                Region::Polygon(ring)
            }
            "$center" | "$centerSphere" => match list(shape)?.as_slice() {
                [c, r] => {
                    let c = flat_pair(c, op)?;
                    let r = number(Some(r), &format!("{op}: {shape}'s radius"))?.unwrap_or(0.0);
                    if shape == "$center" {
                        Region::Center(c, r)
                    } else if (-180.0..=180.0).contains(&c[0]) && (-90.0..=90.0).contains(&c[1]) {
                        Region::CenterSphere(unit(c[0], c[1]), r)
                    } else {
                        return Err(bad(format!("{op}: the center is out of bounds: {c:?}")));
                    }
                }
                _ => return Err(bad(format!("{op}: {shape} needs a center and a radius"))),
            },
            other => return Err(bad(format!("{op}: unknown shape {other}"))),
        };
        Ok(GeoCond::Within(region))
    }

    /// Parses `$geoIntersects`' argument.
    pub fn intersects(v: &Bson) -> Result<GeoCond, StoreError> {
        match v {
            Bson::Document(d) if d.len() == 1 && d.contains_key("$geometry") => {
                Ok(GeoCond::Intersects(geojson(
                    &d.get("$geometry").cloned().unwrap_or(Bson::Null),
                    "$geoIntersects",
                )?))
            }
            _ => Err(bad("$geoIntersects needs {$geometry: <GeoJSON>}")),
        }
    }

    /// Parses `$near`/`$nearSphere` (`op`) with its operator document `ops`, which may hold
    /// `$maxDistance` and `$minDistance` beside it.
    pub fn near(op: &str, ops: &Document) -> Result<GeoCond, StoreError> {
        let v = ops.get(op).cloned().unwrap_or(Bson::Null);
        let (mut min, mut max) = (
            number(ops.get("$minDistance"), "$minDistance")?,
            number(ops.get("$maxDistance"), "$maxDistance")?,
        );
        let spherical = op == "$nearSphere";
        let (at, sphere, unit) = match &v {
            Bson::Document(d) if d.contains_key("$geometry") => {
                let at = match d.get("$geometry") {
                    Some(Bson::Document(g)) => geojson_point(g),
                    _ => None,
                };
                let at = at.ok_or_else(|| bad(format!("{op}: $geometry must be a valid GeoJSON Point")))?;
                min = min.or(number(d.get("$minDistance"), "$minDistance")?);
                max = max.or(number(d.get("$maxDistance"), "$maxDistance")?);
                (at, true, EARTH_RADIUS_M)
            }
            other => {
                let [x, y] = flat_pair(other, op)?;
                ((x, y), spherical, 1.0)
            }
        };
        if sphere && !((-180.0..=180.0).contains(&at.0) && (-90.0..=90.0).contains(&at.1)) {
            return Err(bad(format!("{op}: the point is out of bounds: {at:?}")));
        }
        Ok(GeoCond::Near(Near {
            at,
            sphere,
            unit,
            min: min.unwrap_or(0.0),
            max: max.unwrap_or(f64::INFINITY),
        }))
    }

    /// Whether a path's values satisfy the condition.
    pub fn holds(&self, values: &[&Bson]) -> bool {
        let locs = locs(values);
        match self {
            GeoCond::Within(region) => locs.iter().any(|(l, _)| region.holds(l)),
            GeoCond::Intersects(g) => locs
                .iter()
                .filter_map(|(l, _)| l.sphere())
                .any(|s| s.intersects(g)),
            GeoCond::Near(near) => near.distance_of(values).is_some(),
        }
    }
}

impl Region {
    fn holds(&self, loc: &Loc) -> bool {
        match (self, loc) {
            (Region::Box([x1, y1, x2, y2]), Loc::Point(x, y)) => {
                (x1..=x2).contains(&x) && (y1..=y2).contains(&y)
            }
            (Region::Center(c, r), Loc::Point(x, y)) => (x - c[0]).hypot(y - c[1]) <= *r,
            (Region::Polygon(ring), Loc::Point(x, y)) => {
                let on_edge =
                    (0..ring.len()).any(|i| on_segment(ring[i], ring[(i + 1) % ring.len()], [*x, *y]));
                on_edge || in_ring(ring, [*x, *y])
            }
            (Region::Shape(g), l) => l.sphere().is_some_and(|s| s.within(g)),
            (Region::CenterSphere(c, r), l) => l
                .sphere()
                .is_some_and(|s| s.vertices().next().is_some() && s.vertices().all(|v| angle(v, *c) <= *r)),
            _ => false,
        }
    }
}

fn on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    let cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    cross.abs() < 1e-12
        && (a[0].min(b[0])..=a[0].max(b[0])).contains(&p[0])
        && (a[1].min(b[1])..=a[1].max(b[1])).contains(&p[1])
}

impl Near {
    /// The distance of the nearest location among a path's values within the range, with
    /// that location's value (for `$geoNear`'s `includeLocs`).
    pub fn nearest<'a>(&self, values: &[&'a Bson]) -> Option<(f64, &'a Bson)> {
        let mut best: Option<(f64, &Bson)> = None;
        for (loc, v) in locs(values) {
            let d = self.distance(&loc);
            if d.is_some_and(|d| d >= self.min && d <= self.max && best.is_none_or(|(b, _)| d < b)) {
                best = d.map(|d| (d, v));
            }
        }
        best
    }

    /// The distance of the nearest location among a path's values within the range.
    pub fn distance_of(&self, values: &[&Bson]) -> Option<f64> {
        self.nearest(values).map(|(d, _)| d)
    }

    fn distance(&self, loc: &Loc) -> Option<f64> {
        if self.sphere {
            let g = loc.sphere()?;
            Some(g.distance(unit(self.at.0, self.at.1)) * self.unit)
        } else {
            match loc {
                Loc::Point(x, y) => Some((x - self.at.0).hypot(y - self.at.1)),
                Loc::Shape(_) => None,
            }
        }
    }
}
