//! The app's third-party HTTP services (`services/<name>/config.json` with `"type": "http"`, from
//! App Services' Stitch days): `context.services.get(name)` is an HTTP client like
//! `context.http`, but each request must be allowed by one of the service's rules
//! (`services/<name>/rules/*.json`: `actions` such as `get` or `post`, and a `when` over the
//! request's arguments, e.g. `{"%%args.url.host": {"%in": ["api.example.com"]}}`). As in App
//! Services, a service without a matching rule allows nothing. The server evaluates the rules,
//! never the worker; a `when` writ cannot evaluate refuses, naming what it could not read.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One rule of a third-party HTTP service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServiceRule {
    /// The rule's name, for messages.
    #[serde(default)]
    pub name: String,
    /// The actions it allows: `get`, `post`, `put`, `patch`, `delete`, `head`.
    #[serde(default)]
    pub actions: Vec<String>,
    /// When it allows them; empty: always.
    #[serde(default)]
    pub when: Value,
}

/// The app's third-party HTTP services by name, each with its rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpServices(pub BTreeMap<String, Vec<ServiceRule>>);

impl HttpServices {
    /// Whether a rule of `service` allows `action` with the request's `args` (`%%args`); the
    /// reason when none does.
    pub fn allows(&self, service: &str, action: &str, args: &Value) -> Result<(), String> {
        let rules = self
            .0
            .get(service)
            .ok_or_else(|| format!("the app has no HTTP service '{service}'"))?;
        let mut unreadable = None;
        for rule in rules.iter().filter(|r| r.actions.iter().any(|a| a == action)) {
            match holds(&rule.when, args) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => unreadable = Some(format!("rule '{}': {e}", rule.name)),
            }
        }
        Err(match unreadable {
            Some(e) => format!("the HTTP service '{service}' refused the {action}: {e}"),
            None => format!("no rule of the HTTP service '{service}' allows this {action}"),
        })
    }
}

/// Whether the expression `when` holds for `args`.
fn holds(when: &Value, args: &Value) -> Result<bool, String> {
    match when {
        Value::Null => Ok(true),
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "%%true" => Ok(true),
        Value::String(s) if s == "%%false" => Ok(false),
        Value::Object(m) => {
            for (key, expected) in m {
                let ok = match key.as_str() {
                    "%and" | "$and" => each(expected, key, args)?.iter().all(|b| *b),
                    "%or" | "$or" => each(expected, key, args)?.iter().any(|b| *b),
                    "%nor" | "$nor" => !each(expected, key, args)?.iter().any(|b| *b),
                    path if path.starts_with("%%args.") || path == "%%args" => {
                        let field = path
                            .strip_prefix("%%args")
                            .unwrap_or_default()
                            .trim_start_matches('.');
                        test(lookup(args, field), expected)?
                    }
                    other => return Err(format!("'{other}' is not evaluated by writ")),
                };
                if !ok {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        other => Err(format!("{other} is not a rule expression")),
    }
}

fn each(list: &Value, key: &str, args: &Value) -> Result<Vec<bool>, String> {
    match list {
        Value::Array(items) => items.iter().map(|e| holds(e, args)).collect(),
        _ => Err(format!("{key} needs an array")),
    }
}

/// The value at the dotted `path` of `args`.
fn lookup<'a>(args: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(args);
    }
    path.split('.').try_fold(args, |v, part| match v {
        Value::Object(m) => m.get(part),
        Value::Array(a) => a.get(part.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Whether `actual` passes `expected`: a value to equal, or operators (`%in`, `%nin`,
/// `%exists`, `%eq`, `%ne`, or their `$` spellings). `"*"` in `%in` is any value.
fn test(actual: Option<&Value>, expected: &Value) -> Result<bool, String> {
    if let Value::String(s) = expected
        && s.starts_with("%%")
    {
        return Err(format!("'{s}' is not evaluated by writ"));
    }
    let operators = matches!(expected, Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.starts_with('%') || k.starts_with('$')));
    if !operators {
        return Ok(actual.is_some_and(|a| equal(a, expected)));
    }
    let Value::Object(m) = expected else {
        return Ok(false);
    };
    for (op, operand) in m {
        let ok = match op.as_str() {
            "%in" | "$in" | "%nin" | "$nin" => {
                let Value::Array(items) = operand else {
                    return Err(format!("{op} needs an array"));
                };
                let found =
                    actual.is_some_and(|a| items.iter().any(|i| i.as_str() == Some("*") || equal(a, i)));
                found != op.ends_with("nin")
            }
            "%exists" | "$exists" => actual.is_some() == operand.as_bool().unwrap_or(true),
            "%eq" | "$eq" => actual.is_some_and(|a| equal(a, operand)),
            "%ne" | "$ne" => !actual.is_some_and(|a| equal(a, operand)),
            other => return Err(format!("'{other}' is not evaluated by writ")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Equality as a query sees it: an array equals a value it holds.
fn equal(actual: &Value, expected: &Value) -> bool {
    actual == expected || matches!(actual, Value::Array(items) if items.contains(expected))
}

/// `%%args` of a request: `url` parsed (`scheme`, `host`, `port`, `path`, `query` as
/// `{name: [values]}`, `fragment`), `headers` as `{Name: [values]}`, and `body` as the JSON it
/// holds (else its text).
pub fn args_of(url: &url::Url, headers: &[(String, String)], body: Option<&[u8]>) -> Value {
    let mut query: Map<String, Value> = Map::new();
    for (k, v) in url.query_pairs() {
        if let Value::Array(list) = query
            .entry(k.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            list.push(Value::String(v.to_string()));
        }
    }
    let mut header_map: Map<String, Value> = Map::new();
    for (k, v) in headers {
        if let Value::Array(list) = header_map
            .entry(k.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            list.push(Value::String(v.clone()));
        }
    }
    let body = body.map(|b| {
        serde_json::from_slice(b).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
    });
    serde_json::json!({
        "url": {
            "scheme": url.scheme(),
            "host": url.host_str().unwrap_or_default(),
            "port": url.port_or_known_default(),
            "path": url.path(),
            "query": query,
            "fragment": url.fragment(),
        },
        "headers": header_map,
        "body": body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(when: Value) -> HttpServices {
        let rule = ServiceRule {
            name: "r".into(),
            actions: vec!["post".into()],
            when,
        };
        HttpServices([("mail".to_string(), vec![rule])].into())
    }

    fn args(url: &str, body: &str) -> Value {
        args_of(&url::Url::parse(url).expect("url"), &[], Some(body.as_bytes()))
    }

    #[test]
    fn rules_allow_what_their_when_allows() {
        let s = services(serde_json::json!({
            "%%args.url.host": "api.sparkpost.com",
            "%%args.body.recipients.address": {"%in": ["a@example.com", "b@example.com"]}
        }));
        let ok = args(
            "https://api.sparkpost.com/api/v1/x",
            r#"{"recipients": [{"address": "a@example.com"}]}"#,
        );
        // A path through an array of objects is not read (only an index is): the rule refuses
        // rather than guess whether one or every element must pass.
        assert!(s.allows("mail", "post", &ok).is_err());
        let ok = args(
            "https://api.sparkpost.com/api/v1/x",
            r#"{"recipients": {"address": "a@example.com"}}"#,
        );
        assert_eq!(s.allows("mail", "post", &ok), Ok(()));
        assert!(
            s.allows("mail", "get", &ok).is_err(),
            "get is not an allowed action"
        );
        let elsewhere = args(
            "https://evil.example.com/",
            r#"{"recipients": {"address": "a@example.com"}}"#,
        );
        assert!(s.allows("mail", "post", &elsewhere).is_err());
        let other = args(
            "https://api.sparkpost.com/",
            r#"{"recipients": {"address": "x@example.com"}}"#,
        );
        assert!(s.allows("mail", "post", &other).is_err());
        assert!(s.allows("sms", "post", &ok).is_err(), "no such service");
    }

    #[test]
    fn operators_wildcards_and_what_writ_cannot_read() {
        let any = services(serde_json::json!({"%%args.url.host": {"%in": ["*"]}}));
        assert_eq!(
            any.allows("mail", "post", &args("https://x.example/", "")),
            Ok(())
        );
        let none = services(serde_json::json!({"%%args.url.host": {"%nin": ["x.example"]}}));
        assert!(
            none.allows("mail", "post", &args("https://x.example/", ""))
                .is_err()
        );
        assert_eq!(
            none.allows("mail", "post", &args("https://y.example/", "")),
            Ok(())
        );
        let always = services(serde_json::json!({}));
        assert_eq!(
            always.allows("mail", "post", &args("https://y.example/", "")),
            Ok(())
        );
        let either =
            services(serde_json::json!({"%or": [{"%%args.url.scheme": "https"}, {"%%args.url.port": 8080}]}));
        assert_eq!(
            either.allows("mail", "post", &args("http://y.example:8080/", "")),
            Ok(())
        );
        assert!(
            either
                .allows("mail", "post", &args("http://y.example/", ""))
                .is_err()
        );
        let unreadable = services(serde_json::json!({"%%user.id": "1"}));
        let e = unreadable
            .allows("mail", "post", &args("https://y.example/", ""))
            .expect_err("refused");
        assert!(e.contains("'%%user.id' is not evaluated by writ"), "{e}");
    }
}
