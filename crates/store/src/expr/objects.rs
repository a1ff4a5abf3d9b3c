//! `$zip` (arrays transposed), `$setField`/`$unsetField` (one field of an object, by a name
//! that may hold `.` or start with `$`), and `$rand`.

use bson::{Bson, Document};

use crate::{
    budget::{held_size, tick},
    error::{StoreError, bad},
};

use super::{Outcome, Scope, object};

/// Evaluates `op` if it is one of this module's.
pub(super) fn op(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    Ok(Some(match op {
        "$zip" => zip(s, spec)?,
        "$setField" => set_field(s, spec, "$setField", &["field", "input", "value"])?,
        "$unsetField" => set_field(s, spec, "$unsetField", &["field", "input"])?,
        "$rand" => match spec {
            Bson::Document(d) if d.is_empty() => Some(Bson::Double(random())),
            _ => return Err(bad("$rand does not currently accept arguments")),
        },
        _ => return Ok(None),
    }))
}

/// `$zip: {inputs, useLongestLength, defaults}`.
fn zip(s: &mut Scope<'_>, spec: &Bson) -> Result<Option<Bson>, StoreError> {
    let d = object("$zip", spec, &["inputs", "useLongestLength", "defaults"])?;
    let Some(Bson::Array(inputs)) = d.get("inputs") else {
        return Err(bad("inputs must be an array of expressions"));
    };
    let longest = match d.get("useLongestLength") {
        None => false,
        Some(Bson::Boolean(b)) => *b,
        Some(_) => return Err(bad("useLongestLength must be a bool")),
    };
    let defaults = match d.get("defaults") {
        None => None,
        Some(_) if !longest => {
            return Err(bad("cannot specify defaults unless useLongestLength is true"));
        }
        Some(Bson::Array(items)) if items.len() == inputs.len() => Some(items),
        Some(_) => return Err(bad("defaults must be an array of the same length as inputs")),
    };
    let mut arrays = Vec::with_capacity(inputs.len());
    for input in inputs {
        match s.eval(input)? {
            None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
            Some(Bson::Array(a)) => arrays.push(a),
            Some(other) => {
                return Err(bad(format!(
                    "$zip found a non-array expression in input: {other}"
                )));
            }
        }
    }
    let mut fill = Vec::with_capacity(inputs.len());
    for i in 0..inputs.len() {
        fill.push(match defaults {
            Some(items) => s.eval(&items[i])?.unwrap_or(Bson::Null),
            None => Bson::Null,
        });
    }
    let lengths = arrays.iter().map(Vec::len);
    let n = if longest { lengths.max() } else { lengths.min() }.unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let mut tuple = Vec::with_capacity(arrays.len());
        for (a, d) in arrays.iter().zip(&fill) {
            tick()?;
            let v = a.get(row).unwrap_or(d).clone();
            s.build(std::mem::size_of::<Bson>() + held_size(&v))?;
            tuple.push(v);
        }
        out.push(Bson::Array(tuple));
    }
    Ok(Some(Bson::Array(out)))
}

/// The `field` of `$getField`/`$setField`/`$unsetField`: a string constant, plain or as
/// `{$literal: ...}`.
pub(super) fn field_name(op: &str, d: &Document) -> Result<String, StoreError> {
    match d.get("field") {
        Some(Bson::String(n)) => Ok(n.clone()),
        Some(Bson::Document(lit)) if lit.len() == 1 => match lit.get("$literal") {
            Some(Bson::String(n)) => Ok(n.clone()),
            _ => Err(bad(format!("{op} requires 'field' to evaluate to a string"))),
        },
        _ => Err(bad(format!("{op} requires 'field' to evaluate to a string"))),
    }
}

/// `$setField: {field, input, value}` and `$unsetField: {field, input}`: `field` is a string
/// constant, taken as one field name whatever it holds; `value: "$$REMOVE"` unsets.
fn set_field(s: &mut Scope<'_>, spec: &Bson, op: &str, allowed: &[&str]) -> Result<Option<Bson>, StoreError> {
    let d = object(op, spec, allowed)?;
    let name = field_name(op, d)?;
    let input = match d.get("input") {
        Some(e) => s.eval(e)?,
        None => return Err(bad(format!("{op} requires 'input' to be specified"))),
    };
    let value = match (op, d.get("value")) {
        ("$unsetField", _) => None,
        (_, Some(e)) => s.eval(e)?,
        (_, None) => return Err(bad(format!("{op} requires 'value' to be specified"))),
    };
    let mut object: Document = match input {
        None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
        Some(Bson::Document(o)) => o,
        Some(other) => {
            return Err(bad(format!(
                "{op} requires 'input' to evaluate to type Object, found {}",
                super::convert::type_name(&Some(other))
            )));
        }
    };
    match value {
        Some(v) => {
            s.build(held_size(&v))?;
            object.insert(name, v);
        }
        None => drop(object.remove(&name)),
    }
    Ok(Some(Bson::Document(object)))
}

thread_local! {
    static STATE: std::cell::Cell<u64> = std::cell::Cell::new({
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(std::time::SystemTime::now()) | 1
    });
}

/// The next number of this thread's xorshift64* generator (not for secrets, as neither
/// `$rand` nor `$sample` is).
pub(crate) fn next_u64() -> u64 {
    let mut x = STATE.get();
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    STATE.set(x);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A number in [0, 1).
fn random() -> f64 {
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}
