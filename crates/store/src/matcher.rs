//! Query filters: MongoDB's matching semantics over BSON documents.
//!
//! A filter is parsed once ([`Filter::parse`]) into a tree, then matched against documents.
//! Paths traverse arrays, equality also matches array elements, `null` matches a missing field,
//! comparisons only compare values of the same type class, as in MongoDB.

use bson::{Bson, Document, RawBsonRef, RawDocument};

use crate::{
    error::{StoreError, bad},
    geo::{GeoCond, Near},
    order::{as_f64, compare, equal, type_rank},
    path::values_at,
};

/// `element` at `prefix` in an otherwise empty document.
fn wrap(prefix: &str, element: &Bson) -> Document {
    let parts: Vec<&str> = prefix.split('.').collect();
    let mut value = element.clone();
    for part in parts.iter().skip(1).rev() {
        value = Bson::Document(bson::doc! { *part: value });
    }
    bson::doc! { parts[0]: value }
}

/// A parsed query filter.
#[derive(Debug, Clone)]
pub enum Filter {
    /// All of these.
    And(Vec<Filter>),
    /// Any of these.
    Or(Vec<Filter>),
    /// None of these.
    Nor(Vec<Filter>),
    /// Conditions on one path, all of which must hold.
    Field(String, Vec<Cond>),
    /// `$expr`: an aggregation expression over the document, matching when it is truthy.
    Expr(Bson),
}

/// One condition on a path's values.
#[derive(Debug, Clone)]
pub enum Cond {
    /// `$eq` (and plain equality).
    Eq(Bson),
    /// `$ne`.
    Ne(Bson),
    /// `$gt`, `$gte`, `$lt`, `$lte`: the value and which orderings satisfy it.
    Cmp(Bson, CmpOp),
    /// `$in`.
    In(InList),
    /// `$nin`.
    Nin(InList),
    /// `$exists`.
    Exists(bool),
    /// `$type`, as type ranks plus "number" and "array".
    Type(Vec<TypeSpec>),
    /// `$regex` (and a regular expression in equality position).
    Regex(Box<regex::Regex>),
    /// `$mod: [divisor, remainder]`.
    Mod(i64, i64),
    /// `$size`.
    Size(usize),
    /// `$all`.
    All(Vec<Bson>),
    /// `$elemMatch` with a document filter.
    ElemMatchDoc(Box<Filter>),
    /// `$elemMatch` with operators applied to each element.
    ElemMatchOps(Vec<Cond>),
    /// `$not`.
    Not(Vec<Cond>),
    /// `$geoWithin`, `$geoIntersects`, `$near`, `$nearSphere`.
    Geo(Box<crate::geo::GeoCond>),
}

/// Which comparison a [`Cond::Cmp`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `$gt`
    Gt,
    /// `$gte`
    Gte,
    /// `$lt`
    Lt,
    /// `$lte`
    Lte,
}

/// An element of `$in`/`$nin`: a value or a regular expression.
#[derive(Debug, Clone)]
pub enum InItem {
    /// Matched by equality.
    Value(Bson),
    /// Matched against strings.
    Regex(Box<regex::Regex>),
}

/// The operand of `$in`/`$nin`: its elements and, for a long list, an index of its values
/// ([`crate::keyed::EqIndex`]), so a match costs a lookup instead of a pass over the list.
#[derive(Debug, Clone)]
pub struct InList {
    items: Vec<InItem>,
    /// The values' index, whether `null` is listed, and the regular expressions.
    long: Option<(crate::keyed::EqIndex, bool, Vec<InItem>)>,
}

/// Lists at least this long get an index.
const KEYED_IN: usize = 16;

impl InList {
    fn new(items: Vec<InItem>) -> Self {
        let long = (items.len() >= KEYED_IN).then(|| {
            let mut index = crate::keyed::EqIndex::default();
            let mut regexes = Vec::new();
            for item in &items {
                match item {
                    InItem::Value(v) => drop(index.insert(v)),
                    InItem::Regex(_) => regexes.push(item.clone()),
                }
            }
            let null = items.iter().any(|i| matches!(i, InItem::Value(Bson::Null)));
            (index, null, regexes)
        });
        Self { items, long }
    }

    fn holds(&self, values: &[&Bson]) -> bool {
        let Some((index, null, regexes)) = &self.long else {
            return in_holds(values, &self.items);
        };
        // A missing field equals `null` only.
        values.is_empty() && *null
            || expanded(values)
                .iter()
                .any(|v| index.find(v).is_some() || in_holds(&[v], regexes))
    }
}

/// A `$type` operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeSpec {
    /// A concrete BSON element type (by its numeric code).
    Code(u8),
    /// `"number"`: any numeric type.
    Number,
}

/// Compiles a BSON regular expression for the regex crate (options i, m, s, x).
pub fn compile_regex(pattern: &str, options: &str) -> Result<regex::Regex, StoreError> {
    let mut flags = String::new();
    for c in options.chars() {
        match c {
            'i' | 'm' | 's' | 'x' => flags.push(c),
            'u' => {}
            other => return Err(bad(format!("invalid flag in regex options: {other}"))),
        }
    }
    let full = if flags.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{flags}){pattern}")
    };
    regex::Regex::new(&full).map_err(|e| {
        StoreError::Unsupported(format!(
            "the regular expression /{pattern}/ ({})",
            e.to_string().lines().last().unwrap_or_default()
        ))
    })
}

fn type_code(name: &Bson) -> Result<TypeSpec, StoreError> {
    let code = match name {
        Bson::String(s) => match s.as_str() {
            "double" => 1,
            "string" => 2,
            "object" => 3,
            "array" => 4,
            "binData" => 5,
            "undefined" => 6,
            "objectId" => 7,
            "bool" => 8,
            "date" => 9,
            "null" => 10,
            "regex" => 11,
            "javascript" => 13,
            "int" => 16,
            "timestamp" => 17,
            "long" => 18,
            "decimal" => 19,
            "minKey" => 255,
            "maxKey" => 127,
            "number" => return Ok(TypeSpec::Number),
            other => return Err(bad(format!("unknown type name alias: {other}"))),
        },
        other => match as_f64(other) {
            Some(-1.0) => 255,
            Some(n) if (1.0..=127.0).contains(&n) && n.fract() == 0.0 => n as u8,
            _ => return Err(bad(format!("invalid numerical type code: {other}"))),
        },
    };
    Ok(TypeSpec::Code(code))
}

fn element_code(v: &Bson) -> u8 {
    let t = v.element_type() as u8;
    if t == 0xFF { 255 } else { t }
}

fn in_items(v: &Bson, op: &str) -> Result<InList, StoreError> {
    let Bson::Array(items) = v else {
        return Err(bad(format!("{op} needs an array")));
    };
    let items = items
        .iter()
        .map(|i| match i {
            Bson::RegularExpression(r) => Ok(InItem::Regex(Box::new(compile_regex(
                r.pattern.as_str(),
                r.options.as_str(),
            )?))),
            Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {
                Err(bad(format!("cannot nest $ under {op}")))
            }
            other => Ok(InItem::Value(other.clone())),
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(InList::new(items))
}

fn is_operator_doc(v: &Bson) -> bool {
    matches!(v, Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')))
}

fn parse_conds(ops: &Document) -> Result<Vec<Cond>, StoreError> {
    let mut conds = Vec::new();
    let options = match ops.get("$options") {
        Some(Bson::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("$options has to be a string")),
        None => None,
    };
    for (op, v) in ops {
        let cond = match op.as_str() {
            "$eq" => Cond::Eq(v.clone()),
            "$ne" => Cond::Ne(v.clone()),
            "$gt" => Cond::Cmp(v.clone(), CmpOp::Gt),
            "$gte" => Cond::Cmp(v.clone(), CmpOp::Gte),
            "$lt" => Cond::Cmp(v.clone(), CmpOp::Lt),
            "$lte" => Cond::Cmp(v.clone(), CmpOp::Lte),
            "$in" => Cond::In(in_items(v, "$in")?),
            "$nin" => Cond::Nin(in_items(v, "$nin")?),
            "$exists" => Cond::Exists(match v {
                Bson::Boolean(b) => *b,
                other => as_f64(other).is_some_and(|n| n != 0.0) || matches!(other, Bson::String(_)),
            }),
            "$type" => Cond::Type(match v {
                Bson::Array(items) => items.iter().map(type_code).collect::<Result<_, _>>()?,
                other => vec![type_code(other)?],
            }),
            "$regex" => {
                let (pattern, opts) = match v {
                    Bson::String(s) => (s.clone(), options.clone().unwrap_or_default()),
                    Bson::RegularExpression(r) => (
                        r.pattern.to_string(),
                        options.clone().unwrap_or_else(|| r.options.to_string()),
                    ),
                    _ => return Err(bad("$regex has to be a string")),
                };
                Cond::Regex(Box::new(compile_regex(&pattern, &opts)?))
            }
            "$options" => {
                if !ops.contains_key("$regex") {
                    return Err(bad("$options needs a $regex"));
                }
                continue;
            }
            "$mod" => match v {
                Bson::Array(a) if a.len() == 2 => {
                    let d = as_f64(&a[0]).ok_or_else(|| bad("malformed mod, divisor not a number"))? as i64;
                    let r = as_f64(&a[1]).ok_or_else(|| bad("malformed mod, remainder not a number"))? as i64;
                    if d == 0 {
                        return Err(bad("divisor cannot be 0"));
                    }
                    Cond::Mod(d, r)
                }
                _ => return Err(bad("malformed mod, needs to be an array of two numbers")),
            },
            "$size" => match as_f64(v) {
                Some(n) if n >= 0.0 && n.fract() == 0.0 => Cond::Size(n as usize),
                _ => return Err(bad("$size needs a non-negative integer")),
            },
            "$all" => match v {
                Bson::Array(items) => {
                    if items.iter().any(is_operator_doc) {
                        return Err(StoreError::Unsupported("$all with $elemMatch".into()));
                    }
                    Cond::All(items.clone())
                }
                _ => return Err(bad("$all needs an array")),
            },
            "$elemMatch" => match v {
                Bson::Document(d)
                    if is_operator_doc(v)
                        && !d.keys().any(|k| matches!(k.as_str(), "$and" | "$or" | "$nor")) =>
                {
                    Cond::ElemMatchOps(parse_conds(d)?)
                }
                Bson::Document(d) => Cond::ElemMatchDoc(Box::new(Filter::parse_tree(d)?)),
                _ => return Err(bad("$elemMatch needs an object")),
            },
            "$not" => match v {
                Bson::Document(d) if is_operator_doc(v) => Cond::Not(parse_conds(d)?),
                Bson::RegularExpression(r) => Cond::Not(vec![Cond::Regex(Box::new(compile_regex(
                    r.pattern.as_str(),
                    r.options.as_str(),
                )?))]),
                _ => return Err(bad("$not needs a regex or a document")),
            },
            "$geoWithin" => Cond::Geo(Box::new(GeoCond::within(v)?)),
            "$geoIntersects" => Cond::Geo(Box::new(GeoCond::intersects(v)?)),
            "$near" | "$nearSphere" => Cond::Geo(Box::new(GeoCond::near(op, ops)?)),
            "$maxDistance" | "$minDistance" => {
                if !ops.contains_key("$near") && !ops.contains_key("$nearSphere") {
                    return Err(bad(format!("{op} needs $near or $nearSphere")));
                }
                continue;
            }
            "$bitsAllSet" | "$bitsAllClear" | "$bitsAnySet" | "$bitsAnyClear" | "$jsonSchema" => {
                return Err(StoreError::Unsupported(format!("the query operator {op}")));
            }
            other => return Err(bad(format!("unknown operator: {other}"))),
        };
        conds.push(cond);
    }
    Ok(conds)
}

impl Filter {
    /// Parses a filter document (`$near` and `$nearSphere`, which order what a find returns,
    /// are refused here: see [`Filter::parse_find`]).
    pub fn parse(filter: &Document) -> Result<Filter, StoreError> {
        let f = Filter::parse_tree(filter)?;
        let mut near = Vec::new();
        f.near_conds(true, &mut near);
        if near.is_empty() {
            Ok(f)
        } else {
            Err(bad(
                "$near and $nearSphere order what a find returns, so they are allowed only in find and findOne (here: $geoWithin, or a $geoNear stage)",
            ))
        }
    }

    /// Parses a find's filter, which may hold one `$near` or `$nearSphere` outside `$or`,
    /// `$nor`, `$not` and `$elemMatch`: the filter, and the path and terms of its `$near`.
    pub fn parse_find(filter: &Document) -> Result<(Filter, Option<(String, Near)>), StoreError> {
        let f = Filter::parse_tree(filter)?;
        let mut near = Vec::new();
        f.near_conds(true, &mut near);
        if near.iter().any(|(top, _, _)| !top) {
            return Err(bad(
                "$near and $nearSphere are not allowed inside $or, $nor, $not or $elemMatch",
            ));
        }
        if near.len() > 1 {
            return Err(bad("Too many geoNear expressions"));
        }
        let near = near.pop().map(|(_, path, n)| (path.to_string(), n.clone()));
        Ok((f, near))
    }

    /// The `$near` conditions in this filter, each with whether it is where a find may have
    /// one (under `$and`s only) and its path.
    fn near_conds<'a>(&'a self, top: bool, out: &mut Vec<(bool, &'a str, &'a Near)>) {
        fn in_conds<'a>(
            conds: &'a [Cond],
            top: bool,
            path: &'a str,
            out: &mut Vec<(bool, &'a str, &'a Near)>,
        ) {
            for c in conds {
                match c {
                    Cond::Geo(g) => {
                        if let GeoCond::Near(n) = g.as_ref() {
                            out.push((top, path, n));
                        }
                    }
                    Cond::ElemMatchOps(cs) | Cond::Not(cs) => in_conds(cs, false, path, out),
                    Cond::ElemMatchDoc(f) => f.near_conds(false, out),
                    _ => {}
                }
            }
        }
        match self {
            Filter::And(fs) => fs.iter().for_each(|f| f.near_conds(top, out)),
            Filter::Or(fs) | Filter::Nor(fs) => fs.iter().for_each(|f| f.near_conds(false, out)),
            Filter::Field(path, conds) => in_conds(conds, top, path, out),
            Filter::Expr(_) => {}
        }
    }

    fn parse_tree(filter: &Document) -> Result<Filter, StoreError> {
        let mut all = Vec::with_capacity(filter.len());
        for (k, v) in filter {
            if let Some(op) = k.strip_prefix('$') {
                let list = |v: &Bson| -> Result<Vec<Filter>, StoreError> {
                    match v {
                        Bson::Array(items) if !items.is_empty() => items
                            .iter()
                            .map(|i| match i {
                                Bson::Document(d) => Filter::parse_tree(d),
                                _ => Err(bad(format!("${op} argument's entries must be objects"))),
                            })
                            .collect(),
                        _ => Err(bad(format!("${op} argument must be a non-empty array"))),
                    }
                };
                all.push(match op {
                    "and" => Filter::And(list(v)?),
                    "or" => Filter::Or(list(v)?),
                    "nor" => Filter::Nor(list(v)?),
                    "comment" => continue,
                    "expr" => {
                        // Operators the expression evaluator lacks are refused now, not per
                        // document; errors that depend on a document's values end in no match.
                        crate::expr::check(v)?;
                        Filter::Expr(v.clone())
                    }
                    "where" | "text" | "jsonSchema" => {
                        return Err(StoreError::Unsupported(format!("the query operator {k}")));
                    }
                    _ => return Err(bad(format!("unknown top level operator: {k}"))),
                });
                continue;
            }
            let conds = match v {
                Bson::Document(d) if is_operator_doc(v) => {
                    if let Some(bad_key) = d.keys().find(|k| !k.starts_with('$')) {
                        return Err(bad(format!("unknown operator: {bad_key}")));
                    }
                    parse_conds(d)?
                }
                Bson::RegularExpression(r) => {
                    vec![Cond::Regex(Box::new(compile_regex(
                        r.pattern.as_str(),
                        r.options.as_str(),
                    )?))]
                }
                other => vec![Cond::Eq(other.clone())],
            };
            all.push(Filter::Field(k.clone(), conds));
        }
        Ok(if all.len() == 1 {
            all.pop().unwrap_or(Filter::And(Vec::new()))
        } else {
            Filter::And(all)
        })
    }

    /// Whether `doc` matches. Each field condition tested is a tick of the operation's budget
    /// (a filter of a million branches, or one over a document's long arrays, is not one unit
    /// of work); once the deadline or a bound has passed it answers "no match", and the
    /// caller's next tick fails the operation.
    pub fn matches(&self, doc: &Document) -> bool {
        match self {
            Filter::And(fs) => fs.iter().all(|f| f.matches(doc)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches(doc)),
            Filter::Nor(fs) => !fs.iter().any(|f| f.matches(doc)),
            Filter::Field(path, conds) => {
                if crate::budget::tick().is_err() {
                    return false;
                }
                let values = values_at(doc, path);
                conds.iter().all(|c| c.holds(&values))
            }
            Filter::Expr(e) => crate::expr::eval(e, doc).is_ok_and(|v| crate::expr::truthy(&v)),
        }
    }

    /// Whether the stored document `raw` certainly does not match, decided from its bytes
    /// without decoding it: a top-level equality whose field is missing, or holds a scalar that
    /// is not equal. Anything else (arrays, subdocuments, dotted paths) is left to [`matches`].
    ///
    /// [`matches`]: Filter::matches
    pub fn excludes_raw(&self, raw: &RawDocument) -> bool {
        match self {
            Filter::And(fs) => fs.iter().any(|f| f.excludes_raw(raw)),
            Filter::Field(path, conds) if !path.contains('.') => conds.iter().any(|c| {
                let Cond::Eq(want) = c else { return false };
                match raw.get(path) {
                    Ok(None) => !matches!(want, Bson::Null),
                    Ok(Some(RawBsonRef::Array(_) | RawBsonRef::Document(_))) | Err(_) => false,
                    Ok(Some(v)) => Bson::try_from(v).is_ok_and(|v| !equal(&v, want)),
                }
            }),
            _ => false,
        }
    }

    /// Whether the parts of this filter about `prefix` (paths equal to it or below it) match
    /// `doc`; parts about other paths are ignored. Used to find the element `$` refers to.
    pub fn matches_on(&self, prefix: &str, doc: &Document) -> bool {
        let under = |p: &str| p == prefix || p.starts_with(&format!("{prefix}."));
        match self {
            Filter::And(fs) => fs
                .iter()
                .all(|f| !f.mentions(prefix) || f.matches_on(prefix, doc)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches_on(prefix, doc)),
            Filter::Nor(_) | Filter::Expr(_) => true,
            Filter::Field(path, _) if under(path) => self.matches(doc),
            Filter::Field(..) => true,
        }
    }

    /// The index of the first element of `items` (the array at `prefix`) that this filter's
    /// parts about `prefix` match, as the element alone or as a one-element array (what
    /// `$elemMatch` and `$all` need to see): the element a positional `$` refers to. `None`
    /// when no part is about `prefix` or no element matches.
    pub fn first_matched(&self, prefix: &str, items: &[Bson]) -> Option<usize> {
        if !self.mentions(prefix) {
            return None;
        }
        items.iter().position(|e| {
            self.matches_on(prefix, &wrap(prefix, e))
                || self.matches_on(prefix, &wrap(prefix, &Bson::Array(vec![e.clone()])))
        })
    }

    pub(crate) fn mentions(&self, prefix: &str) -> bool {
        match self {
            Filter::And(fs) | Filter::Or(fs) | Filter::Nor(fs) => fs.iter().any(|f| f.mentions(prefix)),
            Filter::Field(path, _) => path == prefix || path.starts_with(&format!("{prefix}.")),
            Filter::Expr(_) => false,
        }
    }

    /// The `field: value` equalities a filter fixes, as an upsert seeds its new document.
    pub fn equalities(&self, out: &mut Vec<(String, Bson)>) {
        match self {
            Filter::And(fs) => fs.iter().for_each(|f| f.equalities(out)),
            Filter::Field(path, conds) => {
                for c in conds {
                    if let Cond::Eq(v) = c {
                        out.push((path.clone(), v.clone()));
                    }
                }
            }
            Filter::Or(fs) if fs.len() == 1 => fs[0].equalities(out),
            _ => {}
        }
    }
}

/// The values a comparison sees: each value, and the elements of each array.
fn expanded<'a>(values: &[&'a Bson]) -> Vec<&'a Bson> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        out.push(*v);
        if let Bson::Array(items) = v {
            out.extend(items.iter());
        }
    }
    out
}

fn eq_holds(values: &[&Bson], target: &Bson) -> bool {
    if values.is_empty() {
        return matches!(target, Bson::Null);
    }
    expanded(values).iter().any(|v| equal(v, target))
}

fn in_holds(values: &[&Bson], items: &[InItem]) -> bool {
    items.iter().any(|item| match item {
        InItem::Value(v) => eq_holds(values, v),
        InItem::Regex(r) => expanded(values)
            .iter()
            .any(|v| matches!(v, Bson::String(s) if r.is_match(s))),
    })
}

/// `$all`: every item equals one of the values (or an element of one); a long list against
/// a long array goes through a keyed index of the array, not a pass over it per item.
fn all_hold(values: &[&Bson], items: &[Bson]) -> bool {
    let present = expanded(values);
    if items.len() < KEYED_IN || present.len() < KEYED_IN {
        return items.iter().all(|i| eq_holds(values, i));
    }
    let mut index = crate::keyed::EqIndex::default();
    for v in present {
        index.insert(v);
    }
    items.iter().all(|i| index.find(i).is_some())
}

fn cmp_holds(values: &[&Bson], target: &Bson, op: CmpOp) -> bool {
    if matches!(target, Bson::Null) && matches!(op, CmpOp::Gte | CmpOp::Lte) {
        return eq_holds(values, target);
    }
    let bracket =
        |v: &Bson| type_rank(v) == type_rank(target) || matches!(target, Bson::MinKey | Bson::MaxKey);
    expanded(values).iter().filter(|v| bracket(v)).any(|v| {
        let o = compare(v, target);
        match op {
            CmpOp::Gt => o.is_gt(),
            CmpOp::Gte => o.is_ge(),
            CmpOp::Lt => o.is_lt(),
            CmpOp::Lte => o.is_le(),
        }
    })
}

impl Cond {
    fn holds(&self, values: &[&Bson]) -> bool {
        match self {
            Cond::Eq(v) => eq_holds(values, v),
            Cond::Ne(v) => !eq_holds(values, v),
            Cond::Cmp(v, op) => cmp_holds(values, v, *op),
            Cond::In(list) => list.holds(values),
            Cond::Nin(list) => !list.holds(values),
            Cond::Exists(b) => values.is_empty() != *b,
            Cond::Type(types) => expanded(values).iter().any(|v| {
                types.iter().any(|t| match t {
                    TypeSpec::Number => type_rank(v) == 3,
                    TypeSpec::Code(c) => element_code(v) == *c,
                })
            }),
            Cond::Regex(r) => expanded(values).iter().any(|v| matches!(v, Bson::String(s) if r.is_match(s))),
            // `wrapping_rem`: i64::MIN % -1 overflows, and its remainder is 0.
            Cond::Mod(d, r) => expanded(values)
                .iter()
                .any(|v| as_f64(v).is_some_and(|n| (n as i64).wrapping_rem(*d) == *r)),
            Cond::Size(n) => values.iter().any(|v| matches!(v, Bson::Array(a) if a.len() == *n)),
            Cond::All(items) => !items.is_empty() && all_hold(values, items),
            Cond::ElemMatchDoc(f) => values.iter().any(|v| {
                matches!(v, Bson::Array(a) if a.iter().any(|e| matches!(e, Bson::Document(d) if f.matches(d))))
            }),
            Cond::ElemMatchOps(conds) => values.iter().any(|v| {
                matches!(v, Bson::Array(a) if a.iter().any(|e| conds.iter().all(|c| c.holds_on_element(e))))
            }),
            Cond::Not(conds) => !conds.iter().all(|c| c.holds(values)),
            Cond::Geo(g) => g.holds(values),
        }
    }

    /// For `$elemMatch`: the condition on one array element, not traversing into it.
    fn holds_on_element(&self, e: &Bson) -> bool {
        match self {
            Cond::Eq(v) => equal(e, v),
            Cond::Ne(v) => !equal(e, v),
            _ => self.holds(&[e]),
        }
    }
}
