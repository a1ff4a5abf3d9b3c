//! `$geoNear`: the documents nearest a point first, each with its distance (and the location
//! it was measured to). The embedded store has no geospatial index, so when `key` is not
//! given the location field is the one field of the documents that holds GeoJSON (MongoDB
//! would take its one geospatial index); none or several is an error asking for `key`.

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    geo::{GeoCond, Near},
    order::as_f64,
    path::values_at,
};

/// The options of a `$geoNear` stage.
pub(crate) struct GeoNear {
    near: Near,
    distance_field: String,
    multiplier: f64,
    include_locs: Option<String>,
    key: Option<String>,
    /// The `query` filter, if any.
    pub(crate) query: Document,
}

impl GeoNear {
    /// Parses the stage's specification.
    pub(crate) fn parse(spec: &Bson) -> Result<GeoNear, StoreError> {
        let Bson::Document(spec) = spec else {
            return Err(bad("$geoNear requires an object"));
        };
        let known = [
            "near",
            "distanceField",
            "spherical",
            "maxDistance",
            "minDistance",
            "query",
            "distanceMultiplier",
            "includeLocs",
            "key",
            "uniqueDocs",
        ];
        if let Some(k) = spec.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(bad(format!("unknown argument to $geoNear: {k}")));
        }
        let text = |name: &str| match spec.get(name) {
            None => Ok(None),
            Some(Bson::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!(
                "$geoNear requires '{name}' to be a non-empty string"
            ))),
        };
        let distance_field = text("distanceField")?
            .ok_or_else(|| bad("$geoNear requires a 'distanceField' option as a String"))?;
        let spherical = matches!(spec.get("spherical"), Some(Bson::Boolean(true)));
        let near = spec
            .get("near")
            .ok_or_else(|| bad("$geoNear requires a 'near' option"))?;
        let geojson = matches!(near, Bson::Document(d) if d.contains_key("type"));
        let op = if spherical || geojson {
            "$nearSphere"
        } else {
            "$near"
        };
        let target = if geojson {
            Bson::Document(bson::doc! { "$geometry": near.clone() })
        } else {
            near.clone()
        };
        let mut ops = bson::doc! { op: target };
        for (from, to) in [("maxDistance", "$maxDistance"), ("minDistance", "$minDistance")] {
            if let Some(v) = spec.get(from) {
                ops.insert(to, v.clone());
            }
        }
        let GeoCond::Near(near) = GeoCond::near(op, &ops)? else {
            return Err(bad("$geoNear: 'near' must be a point"));
        };
        let multiplier = match spec.get("distanceMultiplier") {
            None => 1.0,
            Some(v) => as_f64(v)
                .filter(|m| *m >= 0.0)
                .ok_or_else(|| bad("$geoNear: distanceMultiplier must be a non-negative number"))?,
        };
        let query = match spec.get("query") {
            None => Document::new(),
            Some(Bson::Document(q)) => q.clone(),
            Some(_) => Err(bad("$geoNear: query must be an object"))?,
        };
        Ok(GeoNear {
            near,
            distance_field,
            multiplier,
            include_locs: text("includeLocs")?,
            key: text("key")?,
            query,
        })
    }

    /// The documents (those its `query` matched) in range, nearest first, with their distance.
    pub(crate) fn run(&self, docs: Vec<Document>) -> Result<Vec<Document>, StoreError> {
        let key = match &self.key {
            Some(k) => k.clone(),
            None => infer_key(&docs)?,
        };
        let mut ranked = Vec::new();
        for mut d in docs {
            crate::budget::tick()?;
            let Some((distance, loc)) = self.near.nearest(&values_at(&d, &key)) else {
                continue;
            };
            let loc = loc.clone();
            super::set_field(
                &mut d,
                &self.distance_field,
                Bson::Double(distance * self.multiplier),
            )?;
            if let Some(field) = &self.include_locs {
                super::set_field(&mut d, field, loc)?;
            }
            ranked.push((distance, d));
        }
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(ranked.into_iter().map(|(_, d)| d).collect())
    }
}

/// The one field (top level, or one level down) whose values are GeoJSON objects.
fn infer_key(docs: &[Document]) -> Result<String, StoreError> {
    let is_geojson = |v: &Bson| matches!(v, Bson::Document(g) if g.get("type").is_some_and(|t| matches!(t, Bson::String(_))) && (g.contains_key("coordinates") || g.contains_key("geometries")));
    let mut found: Vec<String> = Vec::new();
    for d in docs {
        crate::budget::tick()?;
        for (k, v) in d {
            let mut note = |path: String| {
                if !found.contains(&path) {
                    found.push(path);
                }
            };
            if is_geojson(v) {
                note(k.clone());
            } else if let Bson::Document(inner) = v {
                for (k2, v2) in inner {
                    if is_geojson(v2) {
                        note(format!("{k}.{k2}"));
                    }
                }
            }
        }
        if found.len() > 1 {
            break;
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] if docs.is_empty() => Ok(String::new()),
        [] => Err(bad(
            "$geoNear found no GeoJSON location field: name the location field with 'key' (writ's embedded store has no geospatial index to choose it by)",
        )),
        many => Err(bad(format!(
            "$geoNear found more than one location field ({}): name one with 'key'",
            many.join(", ")
        ))),
    }
}
