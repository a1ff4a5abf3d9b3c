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
    /// Whether a rule of `service` allows `action` with the request's `args` (`%%args`), the
    /// caller and the app's values in `env` (`{user, values, environment}`: `%%user`,
    /// `%%values`, `%%environment`); the reason when none does.
    pub fn allows(&self, service: &str, action: &str, args: &Value, env: &Value) -> Result<(), String> {
        let scope = Scope { args, env };
        let rules = self
            .0
            .get(service)
            .ok_or_else(|| format!("the app has no HTTP service '{service}'"))?;
        let mut unreadable = None;
        for rule in rules.iter().filter(|r| r.actions.iter().any(|a| a == action)) {
            match holds(&rule.when, &scope) {
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

/// What a rule's expansions read.
struct Scope<'a> {
    args: &'a Value,
    env: &'a Value,
}

impl<'a> Scope<'a> {
    /// The value of the expansion `path` (`%%args.url.host`, `%%user.data.role`,
    /// `%%values.name`, `%%environment.tag`); `None` when it is missing.
    fn expansion(&self, path: &str) -> Result<Option<&'a Value>, String> {
        let rest = &path[2..];
        let (root, field) = rest.split_once('.').unwrap_or((rest, ""));
        match root {
            "args" => Ok(lookup(self.args, field)),
            "user" | "values" | "environment" => Ok(self.env.get(root).and_then(|v| lookup(v, field))),
            _ => Err(format!("'{path}' is not evaluated by writ")),
        }
    }

    /// `expected` with each `%%` expansion in it replaced by its value (null when missing).
    fn resolve(&self, expected: &Value) -> Result<Value, String> {
        Ok(match expected {
            Value::String(s) if s.starts_with("%%") => self.expansion(s)?.cloned().unwrap_or(Value::Null),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), self.resolve(v)?)))
                    .collect::<Result<Map<_, _>, String>>()?,
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.resolve(v)).collect::<Result<_, _>>()?)
            }
            other => other.clone(),
        })
    }
}

/// Whether the expression `when` holds in `scope`.
fn holds(when: &Value, scope: &Scope<'_>) -> Result<bool, String> {
    match when {
        Value::Null => Ok(true),
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "%%true" => Ok(true),
        Value::String(s) if s == "%%false" => Ok(false),
        Value::Object(m) => {
            for (key, expected) in m {
                let ok = match key.as_str() {
                    "%and" | "$and" => each(expected, key, scope)?.iter().all(|b| *b),
                    "%or" | "$or" => each(expected, key, scope)?.iter().any(|b| *b),
                    "%nor" | "$nor" => !each(expected, key, scope)?.iter().any(|b| *b),
                    path if path.starts_with("%%") => {
                        test(scope.expansion(path)?, &scope.resolve(expected)?)?
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

fn each(list: &Value, key: &str, scope: &Scope<'_>) -> Result<Vec<bool>, String> {
    match list {
        Value::Array(items) => items.iter().map(|e| holds(e, scope)).collect(),
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

/// `env` for [`HttpServices::allows`]: the caller (`%%user`: `id`, `type`, `data`,
/// `custom_data`), the app's values (`%%values`) and environment (`%%environment`).
pub fn env_of(user: &engine::User, deployment: &engine::Deployment) -> Value {
    let json = |d: &bson::Document| bson::Bson::Document(d.clone()).into_relaxed_extjson();
    let values: Map<String, Value> = deployment
        .values
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_relaxed_extjson()))
        .collect();
    serde_json::json!({
        "user": {"id": user.id, "type": user.user_type.as_str(), "data": json(&user.data),
            "custom_data": json(&user.custom_data)},
        "values": values,
        "environment": {"tag": deployment.environment_tag, "values": json(&deployment.environment_values)},
    })
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

    fn env() -> Value {
        serde_json::json!({"user": {"id": "u1", "data": {"role": "editor"}},
            "values": {"apiHost": "api.example", "otherRole": "editor"}, "environment": {"tag": ""}})
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
        assert!(s.allows("mail", "post", &ok, &env()).is_err());
        let ok = args(
            "https://api.sparkpost.com/api/v1/x",
            r#"{"recipients": {"address": "a@example.com"}}"#,
        );
        assert_eq!(s.allows("mail", "post", &ok, &env()), Ok(()));
        assert!(
            s.allows("mail", "get", &ok, &env()).is_err(),
            "get is not an allowed action"
        );
        let elsewhere = args(
            "https://evil.example.com/",
            r#"{"recipients": {"address": "a@example.com"}}"#,
        );
        assert!(s.allows("mail", "post", &elsewhere, &env()).is_err());
        let other = args(
            "https://api.sparkpost.com/",
            r#"{"recipients": {"address": "x@example.com"}}"#,
        );
        assert!(s.allows("mail", "post", &other, &env()).is_err());
        assert!(s.allows("sms", "post", &ok, &env()).is_err(), "no such service");
    }

    #[test]
    fn operators_wildcards_and_what_writ_cannot_read() {
        let any = services(serde_json::json!({"%%args.url.host": {"%in": ["*"]}}));
        assert_eq!(
            any.allows("mail", "post", &args("https://x.example/", ""), &env()),
            Ok(())
        );
        let none = services(serde_json::json!({"%%args.url.host": {"%nin": ["x.example"]}}));
        assert!(
            none.allows("mail", "post", &args("https://x.example/", ""), &env())
                .is_err()
        );
        assert_eq!(
            none.allows("mail", "post", &args("https://y.example/", ""), &env()),
            Ok(())
        );
        let always = services(serde_json::json!({}));
        assert_eq!(
            always.allows("mail", "post", &args("https://y.example/", ""), &env()),
            Ok(())
        );
        let either =
            services(serde_json::json!({"%or": [{"%%args.url.scheme": "https"}, {"%%args.url.port": 8080}]}));
        assert_eq!(
            either.allows("mail", "post", &args("http://y.example:8080/", ""), &env()),
            Ok(())
        );
        assert!(
            either
                .allows("mail", "post", &args("http://y.example/", ""), &env())
                .is_err()
        );
        let unreadable = services(serde_json::json!({"%%request.remoteIPAddress": "1"}));
        let e = unreadable
            .allows("mail", "post", &args("https://y.example/", ""), &env())
            .expect_err("refused");
        assert!(
            e.contains("'%%request.remoteIPAddress' is not evaluated by writ"),
            "{e}"
        );
        // The caller and the app's values, on either side.
        let values = services(serde_json::json!({
            "%%args.url.host": "%%values.apiHost",
            "%%user.data.role": {"%in": ["admin", "%%values.otherRole"]}
        }));
        assert_eq!(
            values.allows("mail", "post", &args("https://api.example/", ""), &env()),
            Ok(())
        );
        assert!(
            values
                .allows("mail", "post", &args("https://y.example/", ""), &env())
                .is_err()
        );
    }
}
