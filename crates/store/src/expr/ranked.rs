//! The accumulators that keep n of their inputs: `$firstN $lastN $maxN $minN` (input and
//! `n`) and `$top $bottom $topN $bottomN` (a `sortBy` over the documents and an `output`).

use bson::{Bson, Document};

use crate::{
    error::{StoreError, bad},
    order::{as_f64, compare},
};

/// Which inputs a ranked accumulator keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Keep {
    /// The first n in input order.
    First,
    /// The last n in input order.
    Last,
    /// The first n in rank order (`$maxN`, `$minN`, `$top`, `$topN`).
    Best,
    /// The last n in rank order (`$bottom`, `$bottomN`).
    Worst,
}

/// A ranked accumulator's state.
#[derive(Debug, Clone)]
pub struct Ranked {
    op: String,
    keep: Keep,
    /// One value (`$top`, `$bottom`), not an array.
    single: bool,
    /// The sort directions of the rank key (true: descending).
    desc: Vec<bool>,
    /// The `sortBy` paths of the sorted forms, parsed once.
    by: Option<Vec<String>>,
    /// How many to keep, set by the first input.
    n: Option<usize>,
    /// The kept (rank key, value) pairs, in input or rank order.
    kept: Vec<(Vec<Bson>, Bson)>,
    error: Option<StoreError>,
}

/// The accumulators of this module.
pub const OPERATORS: [&str; 8] = [
    "$firstN", "$lastN", "$maxN", "$minN", "$top", "$bottom", "$topN", "$bottomN",
];

impl Ranked {
    /// A fresh accumulator for `op`, whose `$group` argument is `arg`.
    pub fn new(op: &str, arg: &Bson) -> Result<Self, StoreError> {
        let Bson::Document(spec) = arg else {
            return Err(bad(format!("{op} requires an object as its argument")));
        };
        let sorted = matches!(op, "$top" | "$bottom" | "$topN" | "$bottomN");
        let allowed: &[&str] = match op {
            "$top" | "$bottom" => &["sortBy", "output"],
            _ if sorted => &["sortBy", "output", "n"],
            _ => &["input", "n"],
        };
        if let Some(k) = spec.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(format!("Unknown argument for '{op}': {k}")));
        }
        let (by, desc) = match (sorted, spec.get("sortBy")) {
            (true, Some(Bson::Document(by))) => {
                let (by, desc) = crate::sort::parse_sort(by)?.into_iter().unzip();
                (Some(by), desc)
            }
            (true, _) => return Err(bad(format!("{op} requires a 'sortBy' object"))),
            (false, _) => (None, vec![op == "$maxN"]),
        };
        Ok(Ranked {
            op: op.to_string(),
            keep: match op {
                "$firstN" => Keep::First,
                "$lastN" => Keep::Last,
                "$bottom" | "$bottomN" => Keep::Worst,
                _ => Keep::Best,
            },
            single: matches!(op, "$top" | "$bottom"),
            desc,
            by,
            n: matches!(op, "$top" | "$bottom").then_some(1),
            kept: Vec::new(),
            error: None,
        })
    }

    /// The value `$group` adds for document `d` (`spec` is the accumulator's argument):
    /// `{input, n}`, or for the sorted forms `{key, output, n}` with the document's sort key.
    pub fn input(&self, spec: &Bson, d: &Document) -> Result<Option<Bson>, StoreError> {
        let Bson::Document(fields) = spec else {
            return Ok(None);
        };
        let Some(by) = &self.by else {
            return super::eval(spec, d);
        };
        let key: Vec<Bson> = (by.iter().zip(&self.desc))
            .map(|(path, desc)| crate::sort::sort_value(d, path, *desc))
            .collect();
        let mut out = bson::doc! { "key": key };
        for field in ["output", "n"] {
            if let Some(e) = fields.get(field) {
                out.insert(field, super::eval(e, d)?.unwrap_or(Bson::Null));
            }
        }
        Ok(Some(Bson::Document(out)))
    }

    fn order(&self, a: &[Bson], b: &[Bson]) -> std::cmp::Ordering {
        a.iter()
            .zip(b)
            .zip(&self.desc)
            .map(|((x, y), desc)| if *desc { compare(y, x) } else { compare(x, y) })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }

    /// Adds one input; returns about how many bytes it keeps of it.
    pub fn add(&mut self, v: Option<Bson>) -> usize {
        if self.error.is_some() {
            return 0;
        }
        let Some(Bson::Document(mut v)) = v else {
            return 0;
        };
        if self.n.is_none() {
            match v.get("n").and_then(as_f64) {
                Some(n) if n >= 1.0 && n.fract() == 0.0 => self.n = Some(n.min(1e9) as usize),
                _ => {
                    self.error = Some(bad(format!(
                        "'n' must be a positive whole number for {}",
                        self.op
                    )));
                    return 0;
                }
            }
        }
        let n = self.n.unwrap_or(1);
        let (key, value) = match v.remove("key") {
            Some(Bson::Array(key)) => (key, v.remove("output").unwrap_or(Bson::Null)),
            _ => {
                let value = v.remove("input");
                // $maxN and $minN leave out null and missing values.
                if matches!(self.keep, Keep::Best) && matches!(value, None | Some(Bson::Null)) {
                    return 0;
                }
                let value = value.unwrap_or(Bson::Null);
                (vec![value.clone()], value)
            }
        };
        let held = 2 * (std::mem::size_of::<Bson>() + crate::budget::held_size(&value));
        match self.keep {
            Keep::First if self.kept.len() >= n => return 0,
            Keep::First | Keep::Last => self.kept.push((Vec::new(), value)),
            Keep::Best | Keep::Worst => {
                // After the equal ones: earlier inputs rank first among equals.
                let at = self.kept.partition_point(|(k, _)| self.order(k, &key).is_le());
                self.kept.insert(at, (key, value));
            }
        }
        if self.kept.len() > n {
            match self.keep {
                Keep::Last | Keep::Worst => {
                    self.kept.remove(0);
                }
                _ => {
                    self.kept.pop();
                }
            }
            // One in, one out: what is held grows only until n are kept (each at most a
            // document's size), so a long input is not charged for what it let go.
            return 0;
        }
        held
    }

    /// The kept values: an array, or the one value of `$top`/`$bottom`.
    pub fn result(self) -> Result<Bson, StoreError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut values = self.kept.into_iter().map(|(_, v)| v);
        Ok(if self.single {
            values.next().unwrap_or(Bson::Null)
        } else {
            Bson::Array(values.collect())
        })
    }
}
