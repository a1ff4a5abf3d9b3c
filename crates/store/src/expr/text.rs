//! String expressions: `$concat $toUpper $toLower $substrBytes $substrCP $strLenBytes $strLenCP
//! $split $trim $indexOfBytes $indexOfCP $strcasecmp $regexMatch $regexFind $regexFindAll
//! $replaceOne $replaceAll`. Byte offsets are UTF-8 bytes, `CP` offsets code points, as in MongoDB.

use bson::{Bson, Document};

use crate::{
    budget::tick,
    error::{StoreError, bad},
    order::as_f64,
};

use super::{Outcome, Scope, convert::type_name, object};

/// Evaluates the string operator `op`, if it is one.
pub(super) fn op(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let v = match op {
        "$trim" | "$ltrim" | "$rtrim" => trim(s, op, spec)?,
        "$regexMatch" | "$regexFind" | "$regexFindAll" => regex(s, op, spec)?,
        "$replaceOne" | "$replaceAll" => replace(s, op, spec)?,
        _ => return evaluated(s, op, spec),
    };
    Ok(Some(Some(v)))
}

/// The string `v` is; `None` for null or missing.
fn string(v: Option<Bson>, op: &str) -> Result<Option<String>, StoreError> {
    match v {
        None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s)),
        other => Err(bad(format!(
            "{op} requires a string argument, found: {}",
            type_name(&other)
        ))),
    }
}

/// A non-negative whole number argument.
fn index(v: &Option<Bson>, op: &str, what: &str) -> Result<usize, StoreError> {
    match v.as_ref().and_then(as_f64) {
        Some(n) if n.fract() == 0.0 && n >= 0.0 => Ok(n.min(u32::MAX as f64) as usize),
        _ => Err(bad(format!("{op}: {what} must be a non-negative whole number"))),
    }
}

fn evaluated(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let known = matches!(
        op,
        "$concat"
            | "$toUpper"
            | "$toLower"
            | "$substr"
            | "$substrBytes"
            | "$substrCP"
            | "$strLenBytes"
            | "$strLenCP"
            | "$split"
            | "$indexOfBytes"
            | "$indexOfCP"
            | "$strcasecmp"
    );
    if !known {
        return Ok(None);
    }
    let vals = s.args(spec)?;
    let arity = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&vals.len()) {
            Ok(())
        } else {
            Err(bad(format!(
                "Expression {op} takes {n:?} arguments. {} were passed in.",
                vals.len()
            )))
        }
    };
    Ok(Some(Some(match op {
        "$concat" => {
            let mut out = String::new();
            for v in &vals {
                match v {
                    Some(Bson::String(x)) if out.len() + x.len() > crate::MAX_DOCUMENT_BYTES => {
                        return Err(bad(format!(
                            "$concat: the result would be over {} bytes",
                            crate::MAX_DOCUMENT_BYTES
                        )));
                    }
                    Some(Bson::String(x)) => out.push_str(x),
                    None | Some(Bson::Null) => return Ok(Some(Some(Bson::Null))),
                    other => {
                        return Err(bad(format!(
                            "$concat only supports strings, not {}",
                            type_name(other)
                        )));
                    }
                }
            }
            s.build(out.len())?;
            Bson::String(out)
        }
        "$toUpper" | "$toLower" => {
            arity(1..=1)?;
            let text = match vals.into_iter().next().flatten() {
                Some(Bson::String(x)) => x,
                None | Some(Bson::Null) => String::new(),
                Some(other) => other.to_string(),
            };
            Bson::String(if op == "$toUpper" {
                text.to_uppercase()
            } else {
                text.to_lowercase()
            })
        }
        "$substr" | "$substrBytes" | "$substrCP" => {
            arity(3..=3)?;
            let text = string(vals[0].clone(), op)?.unwrap_or_default();
            let start = index(&vals[1], op, "the starting index")?;
            // A negative length is "to the end".
            let len = match vals[2].as_ref().and_then(as_f64) {
                Some(n) if n < 0.0 && op != "$substrCP" => usize::MAX,
                _ => index(&vals[2], op, "the length")?,
            };
            Bson::String(if op == "$substrCP" {
                text.chars().skip(start).take(len).collect()
            } else {
                let from = start.min(text.len());
                let to = from.saturating_add(len).min(text.len());
                match text.get(from..to) {
                    Some(part) => part.to_string(),
                    None => {
                        return Err(bad(format!(
                            "{op}: Invalid range, an index is inside a UTF-8 character"
                        )));
                    }
                }
            })
        }
        "$strLenBytes" | "$strLenCP" => {
            arity(1..=1)?;
            match vals.into_iter().next().flatten() {
                Some(Bson::String(x)) if op == "$strLenBytes" => Bson::Int32(x.len() as i32),
                Some(Bson::String(x)) => Bson::Int32(x.chars().count() as i32),
                other => {
                    return Err(bad(format!(
                        "{op} requires a string argument, found: {}",
                        type_name(&other)
                    )));
                }
            }
        }
        "$split" => {
            arity(2..=2)?;
            let mut vals = vals.into_iter();
            let Some(text) = string(vals.next().flatten(), op)? else {
                return Ok(Some(Some(Bson::Null)));
            };
            match vals.next().flatten() {
                Some(Bson::String(sep)) if !sep.is_empty() => {
                    let parts: Vec<Bson> = text.split(sep.as_str()).map(|p| Bson::String(p.into())).collect();
                    s.build(text.len() + parts.len() * 16)?;
                    Bson::Array(parts)
                }
                Some(Bson::String(_)) => return Err(bad("$split requires a non-empty separator")),
                other => {
                    return Err(bad(format!(
                        "$split requires a string separator, found: {}",
                        type_name(&other)
                    )));
                }
            }
        }
        "$indexOfBytes" | "$indexOfCP" => {
            arity(2..=4)?;
            let Some(text) = string(vals[0].clone(), op)? else {
                return Ok(Some(Some(Bson::Null)));
            };
            let Some(needle) = string(vals[1].clone(), op)? else {
                return Err(bad(format!("{op} requires a string as the second argument")));
            };
            let start = vals
                .get(2)
                .map(|v| index(v, op, "the starting index"))
                .transpose()?
                .unwrap_or(0);
            let end = vals
                .get(3)
                .map(|v| index(v, op, "the ending index"))
                .transpose()?;
            Bson::Int32(find(&text, &needle, start, end, op == "$indexOfCP"))
        }
        // "$strcasecmp"
        _ => {
            arity(2..=2)?;
            let text = |v: &Option<Bson>| match v {
                Some(Bson::String(x)) => x.to_ascii_uppercase(),
                None | Some(Bson::Null) => String::new(),
                Some(other) => other.to_string().to_ascii_uppercase(),
            };
            Bson::Int32(text(&vals[0]).cmp(&text(&vals[1])) as i32)
        }
    })))
}

/// Where `needle` first occurs in `text` at or after `start` and ending by `end`, in bytes or
/// code points; -1 when it does not.
fn find(text: &str, needle: &str, start: usize, end: Option<usize>, code_points: bool) -> i32 {
    // Work in byte offsets; code point offsets are mapped to them and back.
    let to_byte = |cp: usize| text.char_indices().nth(cp).map_or(text.len(), |(b, _)| b);
    let (from, to) = if code_points {
        (to_byte(start), end.map_or(text.len(), to_byte))
    } else {
        (start.min(text.len()), end.unwrap_or(text.len()).min(text.len()))
    };
    if from > to || !text.is_char_boundary(from) {
        return -1;
    }
    let Some(window) = text.get(from..to) else {
        return -1;
    };
    match window.find(needle) {
        Some(at) if code_points => text[..from + at].chars().count() as i32,
        Some(at) => (from + at) as i32,
        None => -1,
    }
}

fn trim(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object(op, spec, &["input", "chars"])?;
    let Some(input) = string(s.arg(spec, "input")?, op)? else {
        return Ok(Bson::Null);
    };
    let chars: Option<Vec<char>> = match s.arg(spec, "chars")? {
        None | Some(Bson::Null) => None,
        Some(Bson::String(c)) => Some(c.chars().collect()),
        other => {
            return Err(bad(format!(
                "{op} requires 'chars' to be a string, found: {}",
                type_name(&other)
            )));
        }
    };
    let strip = |c: char| match &chars {
        Some(set) => set.contains(&c),
        None => c == '\0' || c.is_whitespace(),
    };
    Ok(Bson::String(
        match op {
            "$ltrim" => input.trim_start_matches(strip),
            "$rtrim" => input.trim_end_matches(strip),
            _ => input.trim_matches(strip),
        }
        .to_string(),
    ))
}

fn regex(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object(op, spec, &["input", "regex", "options"])?;
    let input = s.arg(spec, "input")?;
    let (pattern, mut options) = match s.arg(spec, "regex")? {
        Some(Bson::String(p)) => (p, String::new()),
        Some(Bson::RegularExpression(r)) => (r.pattern.to_string(), r.options.to_string()),
        None | Some(Bson::Null) => {
            return Ok(if op == "$regexMatch" {
                Bson::Boolean(false)
            } else {
                null_find(op)
            });
        }
        other => {
            return Err(bad(format!(
                "{op} needs 'regex' to be a string or a regex, found: {}",
                type_name(&other)
            )));
        }
    };
    match s.arg(spec, "options")? {
        None | Some(Bson::Null) => {}
        Some(Bson::String(o)) if options.is_empty() => options = o,
        Some(Bson::String(_)) => return Err(bad(format!("{op}: options set in both 'regex' and 'options'"))),
        other => {
            return Err(bad(format!(
                "{op} needs 'options' to be a string, found: {}",
                type_name(&other)
            )));
        }
    }
    let re = crate::matcher::compile_regex(&pattern, &options)?;
    let Some(text) = string(input, op)? else {
        return Ok(if op == "$regexMatch" {
            Bson::Boolean(false)
        } else {
            null_find(op)
        });
    };
    let found = |c: regex::Captures<'_>| {
        let m = c.get(0).map_or(0..0, |m| m.range());
        let captures: Vec<Bson> = c
            .iter()
            .skip(1)
            .map(|g| g.map_or(Bson::Null, |g| Bson::String(g.as_str().into())))
            .collect();
        Bson::Document(bson::doc! {
            "match": &text[m.clone()],
            "idx": text[..m.start].chars().count() as i32,
            "captures": captures,
        })
    };
    Ok(match op {
        "$regexMatch" => Bson::Boolean(re.is_match(&text)),
        "$regexFind" => re.captures(&text).map_or(Bson::Null, found),
        _ => {
            let mut all = Vec::new();
            for c in re.captures_iter(&text) {
                tick()?;
                let m = found(c);
                s.build(crate::budget::held_size(&m))?;
                all.push(m);
            }
            Bson::Array(all)
        }
    })
}

/// `$regexFind`'s and `$regexFindAll`'s answer for a null input.
fn null_find(op: &str) -> Bson {
    if op == "$regexFind" {
        Bson::Null
    } else {
        Bson::Array(Vec::new())
    }
}

fn replace(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Result<Bson, StoreError> {
    let spec: &Document = object(op, spec, &["input", "find", "replacement"])?;
    let mut parts = Vec::with_capacity(3);
    for key in ["input", "find", "replacement"] {
        match string(s.arg(spec, key)?, op)? {
            Some(v) => parts.push(v),
            None => return Ok(Bson::Null),
        }
    }
    let [input, find, with] = <[String; 3]>::try_from(parts).map_err(|_| bad("unreachable"))?;
    let out = if op == "$replaceOne" {
        input.replacen(&find, &with, 1)
    } else {
        let times = if find.is_empty() {
            input.chars().count() + 1
        } else {
            input.matches(&find).count()
        };
        let size = input.len() + times.saturating_mul(with.len());
        if size > crate::MAX_DOCUMENT_BYTES {
            return Err(bad(format!(
                "$replaceAll: the result would be over {} bytes",
                crate::MAX_DOCUMENT_BYTES
            )));
        }
        input.replace(&find, &with)
    };
    s.build(out.len())?;
    Ok(Bson::String(out))
}
