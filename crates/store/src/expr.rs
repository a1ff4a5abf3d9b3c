//! Aggregation expressions: `"$field.path"`, literals, variables (`$$ROOT`, `$$CURRENT`,
//! `$$REMOVE`, `$$NOW` and those `$let`, `$map`, `$filter` and `$reduce` bind), and MongoDB's
//! expression operators: arithmetic, comparison and logic here, the rest by kind in the
//! submodules. An operator the store lacks is reported as unsupported, never guessed.
//!
//! Evaluation is bounded like the rest of a store operation: loops over array elements tick
//! the operation's deadline, and what one evaluation's operators build is counted against the
//! operation's stage memory limit ([`Scope::build`]).

mod accumulator;
mod arrays;
mod convert;
pub use convert::bson_type_name;
mod dates;
mod math;
mod objects;
mod ranked;
mod text;

use bson::{Bson, Document};

pub use accumulator::Accumulator;
pub(crate) use objects::next_u64;

use crate::{
    error::{StoreError, bad},
    order::{as_f64, compare},
};

/// The value of a field path in an expression: through arrays it collects each element's
/// value, as MongoDB does; `None` is a missing field.
pub fn field(doc: &Document, path: &str) -> Option<Bson> {
    let mut parts = path.split('.');
    let first = doc.get(parts.next()?)?.clone();
    parts.try_fold(first, |cur, part| step(&cur, part))
}

/// The value at `path` inside `value` (through arrays, as [`field`]); `None` when missing.
pub(crate) fn path_of(value: Bson, path: &str) -> Option<Bson> {
    path.split('.').try_fold(value, |cur, part| step(&cur, part))
}

fn step(v: &Bson, part: &str) -> Option<Bson> {
    match v {
        Bson::Document(d) => d.get(part).cloned(),
        Bson::Array(items) => Some(Bson::Array(
            items
                .iter()
                .filter_map(|i| match i {
                    Bson::Document(_) | Bson::Array(_) => step(i, part),
                    _ => None,
                })
                .collect(),
        )),
        _ => None,
    }
}

/// An aggregation value's truth (`$cond`, `$and`, `$expr`): false, null, missing and numeric
/// zero are false; everything else, empty strings and arrays included, is true.
pub(crate) fn truthy(v: &Option<Bson>) -> bool {
    match v {
        None | Some(Bson::Null) | Some(Bson::Undefined) | Some(Bson::Boolean(false)) => false,
        Some(other) => as_f64(other).is_none_or(|n| n != 0.0),
    }
}

fn num(v: &Option<Bson>, op: &str) -> Result<Option<f64>, StoreError> {
    match v {
        None | Some(Bson::Null) => Ok(None),
        Some(b) => as_f64(b)
            .map(Some)
            .ok_or_else(|| bad(format!("{op} only supports numeric types, not {b}"))),
    }
}

/// `a op b` for `$add`, `$subtract`, `$multiply` and `$mod` with MongoDB's result types: two
/// Int32 give an Int32 while the result fits, else an Int64; with an Int64, an Int64 while
/// it fits, else a Double; with a Double, a Double. Decimal128 arithmetic is not done here.
fn arith(op: &str, a: &Bson, b: &Bson) -> Result<Bson, StoreError> {
    let int = |v: &Bson| match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    for v in [a, b] {
        match v {
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => {}
            Bson::Decimal128(_) => {
                return Err(StoreError::Unsupported(format!("{op} on Decimal128 values")));
            }
            other => return Err(bad(format!("{op} only supports numeric types, not {other}"))),
        }
    }
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        if op == "$mod" && y == 0 {
            return Err(bad("can't $mod by zero"));
        }
        let exact = match op {
            "$add" => x.checked_add(y),
            "$subtract" => x.checked_sub(y),
            "$multiply" => x.checked_mul(y),
            // i64::MIN % -1 overflows in Rust; its remainder is 0.
            _ => Some(x.wrapping_rem(y)),
        };
        let long = matches!(a, Bson::Int64(_)) || matches!(b, Bson::Int64(_));
        match exact {
            Some(r) if !long => return Ok(i32::try_from(r).map_or(Bson::Int64(r), Bson::Int32)),
            Some(r) => return Ok(Bson::Int64(r)),
            None => {}
        }
    }
    let (x, y) = (as_f64(a).unwrap_or(f64::NAN), as_f64(b).unwrap_or(f64::NAN));
    Ok(Bson::Double(match op {
        "$add" => x + y,
        "$subtract" => x - y,
        "$multiply" => x * y,
        _ if y == 0.0 => return Err(bad("can't $mod by zero")),
        _ => x % y,
    }))
}

/// A double as text, the way JavaScript's `String(number)` writes it: the shortest digits
/// that read back exactly, in exponent form below 1e-6 and from 1e21 (`1e+30`, `2.5`, `1`).
fn double_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-6..1e21).contains(&magnitude) {
        return format!("{f}");
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => text,
    }
}

/// `date` moved by `millis` (a number, rounded to whole milliseconds).
fn add_millis(date: bson::DateTime, millis: &Bson) -> Result<bson::DateTime, StoreError> {
    let ms = match millis {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => *i,
        Bson::Double(f) if f.is_finite() && f.abs() < 9.2e18 => f.round() as i64,
        other => return Err(bad(format!("cannot add {other} to a date"))),
    };
    date.timestamp_millis()
        .checked_add(ms)
        .map(bson::DateTime::from_millis)
        .ok_or_else(|| bad("the date is out of range"))
}

/// What an operator returns: `None` when the operator is not one of its module's, else the
/// value (`Some(None)` is a missing value, as `$$REMOVE` gives).
type Outcome = Result<Option<Option<Bson>>, StoreError>;

/// Evaluates `expr` against `root`.
pub fn eval(expr: &Bson, root: &Document) -> Result<Option<Bson>, StoreError> {
    Scope::new(root).eval(expr)
}

/// Fails if `expr` uses an operator the store lacks anywhere, even where no document's values
/// lead (`$expr` is checked when its filter is parsed, so it never silently matches nothing).
pub fn check(expr: &Bson) -> Result<(), StoreError> {
    match expr {
        Bson::Array(items) => items.iter().try_for_each(check),
        Bson::Document(d) => {
            if let Some((op, spec)) = d.iter().next().filter(|(k, _)| k.starts_with('$')) {
                if op == "$literal" {
                    return Ok(());
                }
                // An operator the dispatch does not know fails as unknown whatever its arguments.
                let unknown = format!("the aggregation expression {op}");
                if let Err(StoreError::Unsupported(m)) =
                    Scope::new(&Document::new()).operator(op, &Bson::Null)
                    && m == unknown
                {
                    return Err(StoreError::Unsupported(m));
                }
                return check(spec);
            }
            d.values().try_for_each(check)
        }
        _ => Ok(()),
    }
}

/// Where an expression is evaluated: the document, the variables bound around the part being
/// evaluated, and how many bytes the evaluation's operators have built.
pub(crate) struct Scope<'a> {
    root: &'a Document,
    vars: Vec<(String, Bson)>,
    built: u64,
    depth: usize,
}

/// How deeply expressions may nest: as deep as a value the bridge passes on (its 150 levels).
const MAX_DEPTH: usize = 150;

impl<'a> Scope<'a> {
    /// A scope over `root` with no variables bound.
    pub(crate) fn new(root: &'a Document) -> Self {
        Self {
            root,
            vars: Vec::new(),
            built: 0,
            depth: 0,
        }
    }

    /// The value of `expr`; `None` is a missing value.
    pub(crate) fn eval(&mut self, expr: &Bson) -> Result<Option<Bson>, StoreError> {
        // Every value evaluated is a unit of work: a `$switch` of 100,000 branches or an
        // `$and` of a million constants stops at the deadline too.
        crate::budget::tick()?;
        if !matches!(expr, Bson::Document(_) | Bson::Array(_)) {
            return self.leaf(expr);
        }
        if self.depth >= MAX_DEPTH {
            return Err(StoreError::TooDeep(format!(
                "an expression nests deeper than {MAX_DEPTH} levels"
            )));
        }
        self.depth += 1;
        let value = self.nested(expr);
        self.depth -= 1;
        value
    }

    /// A field path, a variable or a constant.
    fn leaf(&mut self, expr: &Bson) -> Result<Option<Bson>, StoreError> {
        match expr {
            Bson::String(s) if s.starts_with("$$") => self.variable(&s[2..]),
            Bson::String(s) if s.starts_with('$') => Ok(field(self.root, &s[1..])),
            other => Ok(Some(other.clone())),
        }
    }

    /// An operator, an object of expressions or an array of them.
    fn nested(&mut self, expr: &Bson) -> Result<Option<Bson>, StoreError> {
        // Each form in a function of its own: a debug build gives a function one frame for
        // all its locals, and this is the recursion's path (150 levels on a 2 MiB stack).
        match expr {
            Bson::Array(items) => self.literal_array(items),
            Bson::Document(d) => match d.iter().next() {
                Some((op, spec)) if op.starts_with('$') => {
                    if d.len() != 1 {
                        return Err(bad(format!(
                            "an expression specification must contain exactly one field, found {}",
                            d.len()
                        )));
                    }
                    self.operator_node(op, spec)
                }
                _ => self.literal_object(d),
            },
            other => Ok(Some(other.clone())),
        }
    }

    /// An operator's value; what it built for its arguments is dropped with them, so it
    /// leaves at most its result behind.
    fn operator_node(&mut self, op: &str, spec: &Bson) -> Result<Option<Bson>, StoreError> {
        let before = self.built;
        let value = self.operator(op, spec)?;
        let kept = value.as_ref().map_or(0, |v| crate::budget::held_size(v) as u64);
        self.built = self.built.min(before + kept);
        Ok(value)
    }

    /// A literal array holds what its parts evaluate to, copies of fields and of `$$ROOT`
    /// included: `["$big", "$big", ...]` is counted as it is built.
    fn literal_array(&mut self, items: &[Bson]) -> Result<Option<Bson>, StoreError> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let mark = self.mark();
            let v = self.eval(i)?.unwrap_or(Bson::Null);
            self.reset(mark);
            self.build(std::mem::size_of::<Bson>() + crate::budget::held_size(&v))?;
            out.push(v);
        }
        Ok(Some(Bson::Array(out)))
    }

    /// A literal object, counted as [`Scope::literal_array`] is.
    fn literal_object(&mut self, d: &Document) -> Result<Option<Bson>, StoreError> {
        let mut out = Document::new();
        for (k, v) in d {
            let mark = self.mark();
            let v = self.eval(v)?;
            self.reset(mark);
            if let Some(v) = v {
                self.build(std::mem::size_of::<Bson>() + k.len() + crate::budget::held_size(&v))?;
                out.insert(k.clone(), v);
            }
        }
        Ok(Some(Bson::Document(out)))
    }

    /// The values of an operator's arguments (one argument need not be in an array).
    pub(crate) fn args(&mut self, spec: &Bson) -> Result<Vec<Option<Bson>>, StoreError> {
        match spec {
            Bson::Array(items) => items.iter().map(|a| self.eval(a)).collect(),
            one => Ok(vec![self.eval(one)?]),
        }
    }

    /// The value of the named argument `key` of an operator whose arguments are an object.
    pub(crate) fn arg(&mut self, spec: &Document, key: &str) -> Result<Option<Bson>, StoreError> {
        match spec.get(key) {
            Some(e) => self.eval(e),
            None => Ok(None),
        }
    }

    /// Runs `f` with `vars` bound (the innermost binding of a name wins).
    pub(crate) fn with<T>(
        &mut self,
        vars: impl IntoIterator<Item = (String, Bson)>,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let depth = self.vars.len();
        self.vars.extend(vars);
        let result = f(self);
        self.vars.truncate(depth);
        result
    }

    /// Counts `bytes` more built by this evaluation's operators: one evaluation may build at
    /// most what one stage of the operation may hold (MongoDB fails `$range` and its kind the
    /// same way, with its code 292).
    pub(crate) fn build(&mut self, bytes: usize) -> Result<(), StoreError> {
        self.built += bytes as u64;
        let limit = crate::budget::stage_limit();
        if self.built > limit {
            Err(StoreError::MemoryLimit(limit))
        } else {
            Ok(())
        }
    }

    /// What this evaluation has built and holds so far, to go back to with [`Scope::reset`].
    pub(crate) fn mark(&self) -> u64 {
        self.built
    }

    /// What was built since `mark` is dropped (a loop step's intermediates).
    pub(crate) fn reset(&mut self, mark: u64) {
        self.built = self.built.min(mark);
    }

    /// The value of `$$name` or `$$name.path`.
    fn variable(&self, text: &str) -> Result<Option<Bson>, StoreError> {
        let (name, path) = text.split_once('.').map_or((text, None), |(v, p)| (v, Some(p)));
        let value = match name {
            "ROOT" | "CURRENT" => {
                return Ok(match path {
                    Some(p) => field(self.root, p),
                    None => Some(Bson::Document(self.root.clone())),
                });
            }
            "REMOVE" => return Ok(None),
            "NOW" => Bson::DateTime(crate::budget::now()),
            _ => match self.vars.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone(),
                None if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    return Err(StoreError::Unsupported(format!("the variable $${name}")));
                }
                None => return Err(bad(format!("Use of undefined variable: {name}"))),
            },
        };
        Ok(match path {
            None => Some(value),
            Some(p) => path_of(value, p),
        })
    }

    fn operator(&mut self, op: &str, spec: &Bson) -> Result<Option<Bson>, StoreError> {
        let found = match self.core(op, spec)? {
            Some(v) => Some(v),
            None => match arrays::op(self, op, spec)? {
                Some(v) => Some(v),
                None => match text::op(self, op, spec)? {
                    Some(v) => Some(v),
                    None => match math::op(self, op, spec)? {
                        Some(v) => Some(v),
                        None => match convert::op(self, op, spec)? {
                            Some(v) => Some(v),
                            None => match objects::op(self, op, spec)? {
                                Some(v) => Some(v),
                                None => dates::op(self, op, spec)?,
                            },
                        },
                    },
                },
            },
        };
        found.ok_or_else(|| StoreError::Unsupported(format!("the aggregation expression {op}")))
    }

    /// Literals, variables, conditions, comparison, logic and arithmetic.
    fn core(&mut self, op: &str, spec: &Bson) -> Outcome {
        // Forms whose arguments are evaluated only as needed.
        match op {
            "$literal" => return Ok(Some(Some(spec.clone()))),
            "$cond" => {
                let (c, t, f) = match spec {
                    Bson::Document(d) => (
                        d.get("if").unwrap_or(&Bson::Null),
                        d.get("then").unwrap_or(&Bson::Null),
                        d.get("else").unwrap_or(&Bson::Null),
                    ),
                    Bson::Array(a) if a.len() == 3 => (&a[0], &a[1], &a[2]),
                    _ => return Err(bad("$cond needs if, then and else")),
                };
                let c = self.eval(c)?;
                return self.eval(if truthy(&c) { t } else { f }).map(Some);
            }
            "$switch" => return self.switch(spec).map(Some),
            "$let" => return self.let_(spec).map(Some),
            "$and" | "$or" => {
                let want = op == "$or";
                let items = match spec {
                    Bson::Array(a) => a.as_slice(),
                    one => std::slice::from_ref(one),
                };
                for e in items {
                    if truthy(&self.eval(e)?) == want {
                        return Ok(Some(Some(Bson::Boolean(want))));
                    }
                }
                return Ok(Some(Some(Bson::Boolean(!want))));
            }
            _ => {}
        }
        let known = matches!(
            op,
            "$add"
                | "$multiply"
                | "$subtract"
                | "$divide"
                | "$mod"
                | "$eq"
                | "$ne"
                | "$gt"
                | "$gte"
                | "$lt"
                | "$lte"
                | "$cmp"
                | "$not"
                | "$ifNull"
                | "$sum"
                | "$avg"
                | "$min"
                | "$max"
        );
        if !known {
            return Ok(None);
        }
        let vals = self.args(spec)?;
        let two = |vals: &[Option<Bson>]| -> Result<(Option<Bson>, Option<Bson>), StoreError> {
            match vals {
                [a, b] => Ok((a.clone(), b.clone())),
                _ => Err(bad(format!("expression {op} takes exactly 2 arguments"))),
            }
        };
        let cmp = |vals: &[Option<Bson>]| -> Result<std::cmp::Ordering, StoreError> {
            let (a, b) = two(vals)?;
            Ok(compare(&a.unwrap_or(Bson::Null), &b.unwrap_or(Bson::Null)))
        };
        Ok(Some(Some(match op {
            "$add" | "$multiply" => {
                let (mut acc, mut date) = (Bson::Int32(if op == "$add" { 0 } else { 1 }), None);
                for v in vals.iter() {
                    match v {
                        None | Some(Bson::Null) => return Ok(Some(Some(Bson::Null))),
                        Some(Bson::DateTime(d)) if op == "$add" && date.is_none() => date = Some(*d),
                        Some(n) => acc = arith(op, &acc, n)?,
                    }
                }
                match date {
                    Some(d) => Bson::DateTime(add_millis(d, &acc)?),
                    None => acc,
                }
            }
            "$subtract" => {
                let (a, b) = two(&vals)?;
                match (&a, &b) {
                    (None | Some(Bson::Null), _) | (_, None | Some(Bson::Null)) => Bson::Null,
                    (Some(Bson::DateTime(x)), Some(Bson::DateTime(y))) => x
                        .timestamp_millis()
                        .checked_sub(y.timestamp_millis())
                        .map(Bson::Int64)
                        .ok_or_else(|| bad("$subtract: the difference of the dates overflows"))?,
                    (Some(Bson::DateTime(x)), Some(n)) => {
                        Bson::DateTime(add_millis(*x, &arith("$subtract", &Bson::Int32(0), n)?)?)
                    }
                    (Some(x), Some(y)) => arith(op, x, y)?,
                }
            }
            "$divide" => {
                let (a, b) = two(&vals)?;
                match (num(&a, op)?, num(&b, op)?) {
                    (Some(_), Some(0.0)) => return Err(bad("can't $divide by zero")),
                    (Some(x), Some(y)) => Bson::Double(x / y),
                    _ => Bson::Null,
                }
            }
            "$mod" => {
                let (a, b) = two(&vals)?;
                match (&a, &b) {
                    (None | Some(Bson::Null), _) | (_, None | Some(Bson::Null)) => Bson::Null,
                    (Some(x), Some(y)) => arith(op, x, y)?,
                }
            }
            "$eq" => Bson::Boolean(cmp(&vals)?.is_eq()),
            "$ne" => Bson::Boolean(!cmp(&vals)?.is_eq()),
            "$gt" => Bson::Boolean(cmp(&vals)?.is_gt()),
            "$gte" => Bson::Boolean(cmp(&vals)?.is_ge()),
            "$lt" => Bson::Boolean(cmp(&vals)?.is_lt()),
            "$lte" => Bson::Boolean(cmp(&vals)?.is_le()),
            "$cmp" => Bson::Int32(cmp(&vals)? as i32),
            "$not" => Bson::Boolean(!truthy(vals.first().unwrap_or(&None))),
            "$ifNull" => {
                return Ok(Some(
                    vals.iter()
                        .find(|v| !matches!(v, None | Some(Bson::Null)))
                        .cloned()
                        .flatten()
                        .or(Some(Bson::Null)),
                ));
            }
            // "$sum" | "$avg" | "$min" | "$max": of an array argument, or of the arguments.
            _ => {
                let items: Vec<Bson> = match vals.as_slice() {
                    [Some(Bson::Array(a))] => a.clone(),
                    other => other.iter().flatten().cloned().collect(),
                };
                let mut acc = Accumulator::new(op)?;
                for i in items {
                    crate::budget::tick()?;
                    let _ = acc.add(Some(i));
                }
                acc.result()?
            }
        })))
    }

    /// `$switch`: the `then` of the first branch whose `case` is true, else `default`.
    fn switch(&mut self, spec: &Bson) -> Result<Option<Bson>, StoreError> {
        let spec = object("$switch", spec, &["branches", "default"])?;
        let Some(Bson::Array(branches)) = spec.get("branches") else {
            return Err(bad("$switch requires at least one branch"));
        };
        for b in branches {
            let b = object("$switch's branch", b, &["case", "then"])?;
            let (Some(case), Some(then)) = (b.get("case"), b.get("then")) else {
                return Err(bad("$switch requires each branch have a 'case' and a 'then'"));
            };
            if truthy(&self.eval(case)?) {
                return self.eval(then);
            }
        }
        match spec.get("default") {
            Some(d) => self.eval(d),
            None => Err(bad(
                "$switch could not find a matching branch for an input, and no default was specified.",
            )),
        }
    }

    /// `$let`: `in` with `vars` (evaluated outside them) bound.
    fn let_(&mut self, spec: &Bson) -> Result<Option<Bson>, StoreError> {
        let spec = object("$let", spec, &["vars", "in"])?;
        let Some(Bson::Document(defs)) = spec.get("vars") else {
            return Err(bad("Missing 'vars' parameter to $let"));
        };
        let body = spec
            .get("in")
            .ok_or_else(|| bad("Missing 'in' parameter to $let"))?;
        let mut bound = Vec::with_capacity(defs.len());
        for (name, e) in defs {
            bound.push((var_name(name)?, self.eval(e)?.unwrap_or(Bson::Null)));
        }
        self.with(bound, |s| s.eval(body))
    }
}

/// The object argument of `op`, with only the `allowed` fields.
pub(crate) fn object<'s>(op: &str, spec: &'s Bson, allowed: &[&str]) -> Result<&'s Document, StoreError> {
    let Bson::Document(d) = spec else {
        return Err(bad(format!("{op} only supports an object as its argument")));
    };
    match d.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad(format!("Unrecognized parameter to {op}: {k}"))),
        None => Ok(d),
    }
}

/// A user variable's name, checked as MongoDB does: a lowercase letter or a non-ASCII
/// character first, then letters, digits and `_`.
pub(crate) fn var_name(name: &str) -> Result<String, StoreError> {
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || !c.is_ascii());
    if !first_ok || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(bad(format!(
            "'{name}' starts with an invalid character for a user variable name"
        )));
    }
    Ok(name.to_string())
}
