//! Checking a document against a parsed schema: each keyword of a [`Node`] over the value at
//! its path, with the path in the [`Violation`] it reports.

use bson::{Bson, Document, spec::BinarySubtype};
use store::order::{compare, equal};

use super::{Dependency, Expressions, Items, Kind, Node, Others, Violation};

/// Checks `after` (and `before`, for `validate` expressions) against the schema `root`.
pub(super) fn document(
    root: &Node,
    before: Option<&Document>,
    after: &Document,
    expressions: &dyn Expressions,
    optional_nulls: bool,
) -> Result<(), Violation> {
    let mut at = Walk {
        path: Vec::new(),
        root: after,
        prev_root: before,
        expressions,
        optional_nulls,
    };
    if root.reads_value()
        || !root.kinds.is_empty() && !root.kinds.iter().any(|k| matches!(k, Kind::Object | Kind::Mixed))
    {
        let (doc, prev) = (Bson::Document(after.clone()), before.cloned().map(Bson::Document));
        return root.check(&doc, prev.as_ref(), &mut at);
    }
    // The usual root (an object schema): checked on the document itself, never copied, since
    // this runs on the store's writer thread.
    root.check_object(after, before, &mut at)
}

/// Where a check is: the path to the value, and the documents `validate` expressions read.
struct Walk<'a> {
    path: Vec<String>,
    root: &'a Document,
    prev_root: Option<&'a Document>,
    expressions: &'a dyn Expressions,
    optional_nulls: bool,
}

impl Walk<'_> {
    fn fail(&self, reason: impl Into<String>) -> Violation {
        Violation {
            path: self.path.join("."),
            reason: reason.into(),
        }
    }

    fn nested(
        &mut self,
        key: &str,
        f: impl FnOnce(&mut Self) -> Result<(), Violation>,
    ) -> Result<(), Violation> {
        self.path.push(key.to_string());
        let r = f(self);
        self.path.pop();
        r
    }
}

/// A value's type as a schema names it: MongoDB's name, or `uuid` for a UUID.
fn type_name(v: &Bson) -> &'static str {
    match v {
        Bson::Binary(b) if b.subtype == BinarySubtype::Uuid => "uuid",
        other => store::expr::bson_type_name(other),
    }
}

/// A numeric value as a double (a decimal through its text).
fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Double(d) => Some(*d),
        Bson::Int32(i) => Some(*i as f64),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Decimal128(d) => d.to_string().parse().ok(),
        _ => None,
    }
}

impl Kind {
    fn admits(self, v: &Bson) -> bool {
        match self {
            Kind::Mixed => true,
            Kind::Number => as_f64(v).is_some(),
            Kind::Integer => {
                matches!(v, Bson::Int32(_) | Bson::Int64(_))
                    || as_f64(v).is_some_and(|f| f.is_finite() && f.fract() == 0.0)
            }
            Kind::BinData => matches!(v, Bson::Binary(_)),
            other => other.name() == type_name(v),
        }
    }

    /// The name a schema gives the type.
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Double => "double",
            Kind::String => "string",
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::BinData => "binData",
            Kind::Uuid => "uuid",
            Kind::Undefined => "undefined",
            Kind::ObjectId => "objectId",
            Kind::Bool => "bool",
            Kind::Date => "date",
            Kind::Null => "null",
            Kind::Regex => "regex",
            Kind::JavaScript => "javascript",
            Kind::Symbol => "symbol",
            Kind::JavaScriptWithScope => "javascriptWithScope",
            Kind::Int => "int",
            Kind::Timestamp => "timestamp",
            Kind::Long => "long",
            Kind::Decimal => "decimal",
            Kind::MinKey => "minKey",
            Kind::MaxKey => "maxKey",
            Kind::DbPointer => "dbPointer",
            Kind::Number => "number",
            Kind::Integer => "integer",
            Kind::Mixed => "mixed",
        }
    }
}

impl Node {
    fn check(&self, v: &Bson, prev: Option<&Bson>, at: &mut Walk) -> Result<(), Violation> {
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k.admits(v)) {
            let want: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
            return Err(at.fail(format!(
                "expected type {}, found {}",
                want.join(" or "),
                type_name(v)
            )));
        }
        if let Some(options) = &self.enumeration
            && !options.iter().any(|o| equal(o, v))
        {
            return Err(at.fail("the value is not one of the schema's enum values"));
        }
        match v {
            Bson::Document(d) => self.check_object(d, prev.and_then(Bson::as_document), at)?,
            Bson::Array(a) => self.check_array(a, prev, at)?,
            Bson::String(s) => self.check_string(s, at)?,
            other => {
                if let Some(n) = as_f64(other) {
                    self.check_number(n, at)?;
                }
            }
        }
        for s in &self.all_of {
            s.check(v, prev, at)?;
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|s| s.check(v, prev, at).is_ok()) {
            return Err(at.fail("the value matches none of the schemas in anyOf"));
        }
        if !self.one_of.is_empty() {
            let n = self
                .one_of
                .iter()
                .filter(|s| s.check(v, prev, at).is_ok())
                .count();
            if n != 1 {
                return Err(at.fail(format!(
                    "the value matches {n} of the schemas in oneOf, not exactly one"
                )));
            }
        }
        if let Some(s) = &self.not
            && s.check(v, prev, at).is_ok()
        {
            return Err(at.fail("the value matches the schema in not"));
        }
        if let Some(e) = &self.validate {
            match at.expressions.holds(e, Some(v), prev, at.root, at.prev_root) {
                Ok(true) => {}
                Ok(false) => return Err(at.fail("the change fails the schema's validate expression")),
                Err(m) => {
                    return Err(at.fail(format!(
                        "the schema's validate expression cannot be evaluated: {m}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether checking needs the value as one BSON value (not only an object's fields).
    fn reads_value(&self) -> bool {
        self.enumeration.is_some()
            || self.validate.is_some()
            || !self.all_of.is_empty()
            || !self.any_of.is_empty()
            || !self.one_of.is_empty()
            || self.not.is_some()
    }

    fn check_object(&self, d: &Document, prev: Option<&Document>, at: &mut Walk) -> Result<(), Violation> {
        if let Some(missing) = self.required.iter().find(|f| !d.contains_key(f.as_str())) {
            return Err(at.fail(format!("missing required property '{missing}'")));
        }
        if self.min_properties.is_some_and(|n| d.len() < n)
            || self.max_properties.is_some_and(|n| d.len() > n)
        {
            return Err(at.fail(format!("{} properties is outside the schema's bounds", d.len())));
        }
        for (key, value) in d {
            if value == &Bson::Null && at.optional_nulls && !self.required.iter().any(|r| r == key) {
                continue;
            }
            let before = prev.and_then(|p| p.get(key));
            let mut matched = false;
            if let Some((_, s)) = self.properties.iter().find(|(name, _)| name == key) {
                matched = true;
                at.nested(key, |at| s.check(value, before, at))?;
            }
            for (re, s) in &self.pattern_properties {
                if re.is_match(key) {
                    matched = true;
                    at.nested(key, |at| s.check(value, before, at))?;
                }
            }
            if !matched {
                match &self.additional_properties {
                    None | Some(Others::Allowed) => {}
                    Some(Others::Refused) => {
                        return Err(at.fail(format!("the property '{key}' is not allowed by the schema")));
                    }
                    Some(Others::Each(s)) => at.nested(key, |at| s.check(value, before, at))?,
                }
            }
        }
        // A property the write removed: its `validate` expression still sees the change.
        for (key, s) in &self.properties {
            if !d.contains_key(key)
                && let Some(before) = prev.and_then(|p| p.get(key))
                && let Some(e) = &s.validate
            {
                let holds = at.expressions.holds(e, None, Some(before), at.root, at.prev_root);
                if !matches!(holds, Ok(true)) {
                    return at.nested(key, |at| {
                        Err(at.fail("removing the property fails the schema's validate expression"))
                    });
                }
            }
        }
        for (field, dep) in &self.dependencies {
            if !d.contains_key(field.as_str()) {
                continue;
            }
            match dep {
                Dependency::Fields(names) => {
                    if let Some(missing) = names.iter().find(|n| !d.contains_key(n.as_str())) {
                        return Err(at.fail(format!("'{field}' needs the property '{missing}' beside it")));
                    }
                }
                Dependency::Schema(s) => {
                    let prev = prev.cloned().map(Bson::Document);
                    s.check(&Bson::Document(d.clone()), prev.as_ref(), at)?
                }
            }
        }
        Ok(())
    }

    fn check_array(&self, a: &[Bson], prev: Option<&Bson>, at: &mut Walk) -> Result<(), Violation> {
        if self.min_items.is_some_and(|n| a.len() < n) || self.max_items.is_some_and(|n| a.len() > n) {
            return Err(at.fail(format!("{} items is outside the schema's bounds", a.len())));
        }
        if self.unique_items {
            // Sorted in MongoDB's total order, equal items are neighbours: O(n log n), so a
            // user's long array cannot hold the store's writer.
            let mut sorted: Vec<&Bson> = a.iter().collect();
            sorted.sort_by(|x, y| compare(x, y));
            if sorted.windows(2).any(|p| equal(p[0], p[1])) {
                return Err(at.fail("the array holds an item more than once (uniqueItems)"));
            }
        }
        let before = |i: usize| match prev {
            Some(Bson::Array(p)) => p.get(i),
            _ => None,
        };
        match &self.items {
            None => {}
            Some(Items::Each(s)) => {
                for (i, x) in a.iter().enumerate() {
                    at.nested(&i.to_string(), |at| s.check(x, before(i), at))?;
                }
            }
            Some(Items::Tuple(list)) => {
                for (i, x) in a.iter().enumerate() {
                    let r = match (list.get(i), &self.additional_items) {
                        (Some(s), _) => at.nested(&i.to_string(), |at| s.check(x, before(i), at)),
                        (None, Some(Others::Refused)) => Err(at.fail(format!(
                            "the array has more than the schema's {} items",
                            list.len()
                        ))),
                        (None, Some(Others::Each(s))) => {
                            at.nested(&i.to_string(), |at| s.check(x, before(i), at))
                        }
                        (None, _) => Ok(()),
                    };
                    r?;
                }
            }
        }
        Ok(())
    }

    fn check_string(&self, s: &str, at: &mut Walk) -> Result<(), Violation> {
        let n = s.chars().count();
        if self.min_length.is_some_and(|m| n < m) || self.max_length.is_some_and(|m| n > m) {
            return Err(at.fail(format!(
                "a string of {n} characters is outside the schema's bounds"
            )));
        }
        if let Some(re) = &self.pattern
            && !re.is_match(s)
        {
            return Err(at.fail(format!("the string does not match the pattern /{}/", re.as_str())));
        }
        Ok(())
    }

    fn check_number(&self, n: f64, at: &mut Walk) -> Result<(), Violation> {
        let below = self
            .minimum
            .is_some_and(|(m, ex)| if ex { n <= m } else { n < m });
        let above = self
            .maximum
            .is_some_and(|(m, ex)| if ex { n >= m } else { n > m });
        if below || above {
            return Err(at.fail(format!("{n} is outside the schema's bounds")));
        }
        if let Some(m) = self.multiple_of {
            let q = n / m;
            if !q.is_finite() || (q - q.round()).abs() > 1e-9 {
                return Err(at.fail(format!("{n} is not a multiple of {m}")));
            }
        }
        Ok(())
    }
}
