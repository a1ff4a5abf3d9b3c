//! Rule expressions: what `%%user`, `%%request`, `%%values`, `%%environment` (and, in data rules,
//! `%%root.<field>`; in a schema's `validate`, `%%this`, `%%prev`, `%%root`, `%%prevRoot`)
//! expand to, and how an expression evaluates: to a constant, or to a filter on the document
//! ([`Cond`]). What writ does not evaluate is refused when the rules load ([`validate`]).

use std::collections::BTreeMap;

use bson::{Bson, Document, doc, oid::ObjectId};
use engine::{Deployment, RequestInfo, User};
use store::Filter;

use super::{
    NOT_EVALUATED,
    functions::{Caller, FunctionValues, NO_RUNNER, check_call},
};
use crate::schema::Expressions;

const ROOTS: [&str; 6] = ["user", "request", "values", "environment", "true", "false"];

/// What a schema's `validate` expression may expand besides [`ROOTS`].
const DOCUMENT_ROOTS: [&str; 4] = ["this", "prev", "root", "prevRoot"];

/// The `%` operators writ evaluates.
const OPERATORS: [&str; 6] = ["%stringToOid", "%oidToString", "%and", "%or", "%nor", "%function"];

/// Comparison operators App Services' own templates write with `%` (`{"%exists": true}`),
/// the same as their `$` forms.
const PERCENT_ALIASES: [&str; 9] = ["exists", "in", "nin", "eq", "ne", "gt", "gte", "lt", "lte"];

/// `e` with the `%` forms of comparison operators (`%exists`, `%in`, ...) written as their
/// `$` forms, which is how writ evaluates them.
pub(crate) fn dollar_operators(e: Bson) -> Bson {
    match e {
        Bson::Document(d) => Bson::Document(
            d.into_iter()
                .map(|(k, v)| {
                    let k = match k.strip_prefix('%') {
                        Some(op) if PERCENT_ALIASES.contains(&op) => format!("${op}"),
                        _ => k,
                    };
                    (k, dollar_operators(v))
                })
                .collect(),
        ),
        Bson::Array(items) => Bson::Array(items.into_iter().map(dollar_operators).collect()),
        other => other,
    }
}

/// Whether `e` names `%%prevRoot` (as a key or a value).
pub(crate) fn names_prev_root(e: &Bson) -> bool {
    match e {
        Bson::String(s) => s.starts_with("%%prevRoot"),
        Bson::Document(d) => d
            .iter()
            .any(|(k, v)| k.starts_with("%%prevRoot") || names_prev_root(v)),
        Bson::Array(items) => items.iter().any(names_prev_root),
        _ => false,
    }
}

/// `e` with `%%prevRoot` written as `%%root`: what it is in a data rule for every operation
/// but an insert (writ evaluates `%%root` on the stored document, before the write).
pub(crate) fn prev_root_as_root(e: Bson) -> Bson {
    let rename = |s: String| match s.strip_prefix("%%prevRoot") {
        Some(rest) if rest.is_empty() || rest.starts_with('.') => format!("%%root{rest}"),
        _ => s,
    };
    match e {
        Bson::String(s) => Bson::String(rename(s)),
        Bson::Document(d) => Bson::Document(
            d.into_iter()
                .map(|(k, v)| (rename(k), prev_root_as_root(v)))
                .collect(),
        ),
        Bson::Array(items) => Bson::Array(items.into_iter().map(prev_root_as_root).collect()),
        other => other,
    }
}

/// Whether `s` names the document in a data rule: `%%root`, `%%root.<path>`, `%%prevRoot`,
/// `%%prevRoot.<path>`.
fn names_data_document(s: &str) -> bool {
    ["%%root", "%%prevRoot"].iter().any(|r| {
        s.strip_prefix(r)
            .is_some_and(|rest| rest.is_empty() || rest.len() > 1 && rest.starts_with('.'))
    })
}

/// The field `%%root.<path>` names in a data rule (`None`: not such an expansion).
pub(super) fn root_path(s: &str) -> Option<&str> {
    s.strip_prefix("%%root.")
        .filter(|p| !p.is_empty() && !p.starts_with('.'))
}

/// Refuses expansions and operators writ does not evaluate.
pub(super) fn validate(e: &Bson) -> Result<(), String> {
    validate_with(e, false)?;
    root_positions(e, false)
}

/// Refuses `%%root` in a field rule, which is evaluated once per request, not per document.
pub(super) fn no_document_field(e: &Bson) -> Result<(), String> {
    match e {
        Bson::String(s) if names_data_document(s.split('.').next().unwrap_or_default()) => {
            Err(format!("the expansion '{s}' {NOT_EVALUATED}"))
        }
        Bson::Document(d) => d.iter().try_for_each(|(k, v)| {
            no_document_field(&Bson::String(k.clone()))?;
            no_document_field(v)
        }),
        Bson::Array(items) => items.iter().try_for_each(no_document_field),
        _ => Ok(()),
    }
}

/// Where a data rule may name `%%root.<path>` (the document's field): as a key, as the value of
/// another expansion's key, or as a whole expression; not inside another value, where it
/// would compare two fields of the document.
fn root_positions(e: &Bson, nested: bool) -> Result<(), String> {
    match e {
        // The whole document as a value (or as the whole expression) is no condition writ can
        // apply to documents; as a key (`{"%%prevRoot": {"%exists": false}}`) it is.
        Bson::String(s) if s == "%%root" || s == "%%prevRoot" => {
            Err(format!("'{s}' as a value (the whole document) {NOT_EVALUATED}"))
        }
        Bson::String(s) if nested && root_path(s).is_some() => Err(format!(
            "'{s}' compared with another field of the document {NOT_EVALUATED}"
        )),
        Bson::Document(d) => d.iter().try_for_each(|(k, v)| {
            let expansion = k.starts_with("%%") && root_path(k).is_none();
            let operator = k.starts_with('$') || k.starts_with('%') && !k.starts_with("%%");
            match v {
                Bson::String(s) if expansion && root_path(s).is_some() => Ok(()),
                _ if operator && !nested => root_positions(v, false),
                _ => root_positions(v, true),
            }
        }),
        Bson::Array(items) => items.iter().try_for_each(|i| root_positions(i, nested)),
        _ => Ok(()),
    }
}

/// Whether `e` names a field of the document (`%%root`, `%%this`, ...): what a value computed
/// once per request cannot.
fn names_document(e: &Bson) -> bool {
    match e {
        Bson::String(s) => DOCUMENT_ROOTS.iter().any(|r| {
            s.strip_prefix("%%")
                .and_then(|s| s.strip_prefix(r))
                .is_some_and(|t| t.is_empty() || t.starts_with('.'))
        }),
        Bson::Document(d) => d
            .iter()
            .any(|(k, v)| names_document(&Bson::String(k.clone())) || names_document(v)),
        Bson::Array(items) => items.iter().any(names_document),
        _ => false,
    }
}

/// Refuses what a rule that decides a whole request (a `can_evaluate`) names that writ does not
/// evaluate, or that only a data rule could (the document).
pub fn check_request_rule(e: &Bson) -> Result<(), String> {
    let e = dollar_operators(e.clone());
    validate_with(&e, false)?;
    no_document_field(&e)
}

/// Refuses what a schema's `validate` expression names that writ does not evaluate.
pub(crate) fn validate_schema_expression(e: &Bson) -> Result<(), String> {
    validate_with(e, true)
}

fn validate_with(e: &Bson, document: bool) -> Result<(), String> {
    match e {
        Bson::String(s) if s.starts_with("%%") => {
            let root = s[2..].split('.').next().unwrap_or_default();
            let document_field = !document && names_data_document(s);
            if ROOTS.contains(&root) || document_field || (document && DOCUMENT_ROOTS.contains(&root)) {
                Ok(())
            } else {
                Err(format!("the expansion '{s}' {NOT_EVALUATED}"))
            }
        }
        Bson::Document(d) => {
            for (k, v) in d {
                if k.starts_with("%%") {
                    validate_with(&Bson::String(k.clone()), document)?;
                } else if k == "%function" && document {
                    // A schema's expressions are checked where the write happens, per document.
                    return Err(format!(
                        "'%function' in a schema's validate expression {NOT_EVALUATED}"
                    ));
                } else if k == "%function" {
                    check_call(v)?;
                    if names_document(v) {
                        return Err(format!(
                            "a %function call whose arguments name the document {NOT_EVALUATED}"
                        ));
                    }
                } else if k.starts_with('%') && !OPERATORS.contains(&k.as_str()) {
                    return Err(format!("the operator '{k}' {NOT_EVALUATED}"));
                }
                validate_with(v, document)?;
            }
            Ok(())
        }
        Bson::Array(items) => items.iter().try_for_each(|i| validate_with(i, document)),
        _ => Ok(()),
    }
}

/// The filter that `test` (a value, or an expression such as `{"$gt": 0}` or
/// `{"%and": [{"$gt": 0}, {"$lte": 42}]}`) puts on `field`.
fn field_test(field: &str, test: Bson) -> Result<Document, String> {
    if let Bson::Document(d) = &test
        && d.len() == 1
        && let Some((op @ ("%and" | "%or" | "%nor"), parts)) = d.iter().next().map(|(k, v)| (k.as_str(), v))
    {
        let Bson::Array(parts) = parts else {
            return Err(format!("{op} needs an array"));
        };
        let tests = parts
            .iter()
            .map(|p| field_test(field, p.clone()).map(Bson::Document))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(doc! { format!("${}", &op[1..]): tests });
    }
    Ok(doc! { field: test })
}

/// What rule expressions can expand: `%%user`, `%%values`, `%%environment`, read from the
/// call's user and deployment when a rule names them (most rules read only `%%user.id`).
pub struct RuleEnv<'a> {
    user: &'a User,
    request: Option<&'a RequestInfo>,
    functions: Option<&'a FunctionValues>,
    values: &'a BTreeMap<String, Bson>,
    tag: &'a str,
    environment: &'a Document,
    user_root: std::cell::OnceCell<Bson>,
    request_root: std::cell::OnceCell<Option<Bson>>,
    /// For a schema's `validate` expression: `%%this`, `%%prev`, `%%root`, `%%prevRoot`.
    document: Option<DocumentExpansions<'a>>,
}

/// What a schema's `validate` expression reads of the write it checks.
#[derive(Clone, Copy)]
struct DocumentExpansions<'a> {
    this: Option<&'a Bson>,
    prev: Option<&'a Bson>,
    root: &'a Document,
    prev_root: Option<&'a Document>,
}

/// A call's expansions, owned, for a schema's `validate` expressions checked on the thread that
/// writes.
pub(crate) struct OwnedEnv {
    user: User,
    request: Option<RequestInfo>,
    values: BTreeMap<String, Bson>,
    tag: String,
    environment: Document,
}

impl Expressions for OwnedEnv {
    fn holds(
        &self,
        expression: &Bson,
        this: Option<&Bson>,
        prev: Option<&Bson>,
        root: &Document,
        prev_root: Option<&Document>,
    ) -> Result<bool, String> {
        let mut env = RuleEnv::new(&self.user, &self.values, &self.tag, &self.environment);
        env.request = self.request.as_ref();
        env.document = Some(DocumentExpansions {
            this,
            prev,
            root,
            prev_root,
        });
        Ok(eval(expression, &env)?.holds_for(root))
    }
}

impl<'a> RuleEnv<'a> {
    /// The expansions for `caller` (a user, or a [`Caller`] with the request and the rules'
    /// function values) calling into `deployment` (its values and environment).
    pub fn for_call<'c: 'a>(caller: impl Into<Caller<'c>>, deployment: &'a Deployment) -> Self {
        let caller: Caller<'a> = caller.into();
        let mut env = Self::new(
            caller.user,
            &deployment.values,
            &deployment.environment_tag,
            &deployment.environment_values,
        );
        env.request = caller.request;
        env.functions = caller.functions;
        env
    }

    /// The expansions for `user` in a deployment with `values` and the environment `tag` with
    /// its `environment` values.
    pub fn new(
        user: &'a User,
        values: &'a BTreeMap<String, Bson>,
        tag: &'a str,
        environment: &'a Document,
    ) -> Self {
        let user_root = std::cell::OnceCell::new();
        Self {
            user,
            request: None,
            functions: None,
            request_root: std::cell::OnceCell::new(),
            values,
            tag,
            environment,
            user_root,
            document: None,
        }
    }

    /// These expansions, owned.
    pub(crate) fn owned(&self) -> OwnedEnv {
        OwnedEnv {
            user: self.user.clone(),
            request: self.request.cloned(),
            values: self.values.clone(),
            tag: self.tag.to_string(),
            environment: self.environment.clone(),
        }
    }

    /// `%%user` as a document (built on first use).
    fn user_root(&self) -> &Bson {
        self.user_root.get_or_init(|| {
            let user = self.user;
            let identities: Vec<Bson> = user
                .identities
                .iter()
                .map(|i| Bson::Document(doc! {"id": &i.id, "provider_type": &i.provider_type}))
                .collect();
            Bson::Document(doc! {
                "id": &user.id,
                "type": user.user_type.as_str(),
                "data": user.data.clone(),
                "custom_data": user.custom_data.clone(),
                "identities": identities,
            })
        })
    }

    /// The value of an expansion such as `%%user.custom_data.team`; `None` when it is missing.
    fn resolve(&self, expansion: &str) -> Option<Bson> {
        let mut parts = expansion.trim_start_matches("%%").split('.');
        let root = parts.next()?;
        let mut parts = parts.peekable();
        let mut cur = match root {
            "user" if parts.peek() == Some(&"id") && expansion.matches('.').count() == 1 => {
                return Some(Bson::String(self.user.id.clone()));
            }
            "user" => self.user_root(),
            "request" => self
                .request_root
                .get_or_init(|| self.request.map(|r| Bson::Document(request_document(r))))
                .as_ref()?,
            "values" => match parts.next() {
                Some(name) => self.values.get(name)?,
                None => {
                    let all: Document = self.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    return Some(Bson::Document(all));
                }
            },
            "environment" => match parts.next() {
                Some("tag") if parts.peek().is_none() => return Some(Bson::String(self.tag.to_owned())),
                Some("values") => match parts.next() {
                    Some(name) => self.environment.get(name)?,
                    None => return Some(Bson::Document(self.environment.clone())),
                },
                Some(_) => return None,
                None => {
                    return Some(Bson::Document(
                        doc! {"tag": self.tag, "values": self.environment.clone()},
                    ));
                }
            },
            // In a data rule, the document exists (a new one has no `%%prevRoot`, which
            // resolves to nothing).
            "root" if self.document.is_none() && parts.peek().is_none() => {
                return Some(Bson::Document(Document::new()));
            }
            "this" | "prev" | "root" | "prevRoot" => {
                let d = self.document?;
                let start = match root {
                    "this" => d.this?,
                    "prev" => d.prev?,
                    "root" => return walk_document(d.root, parts),
                    _ => return walk_document(d.prev_root?, parts),
                };
                return walk(start, parts);
            }
            "true" if parts.peek().is_none() => return Some(Bson::Boolean(true)),
            "false" if parts.peek().is_none() => return Some(Bson::Boolean(false)),
            _ => return None,
        };
        for part in parts {
            cur = step(cur, part)?;
        }
        Some(cur.clone())
    }
}

/// `%%request`: what `context.request` shows a function, by the same names.
fn request_document(r: &RequestInfo) -> Document {
    let headers: Document = r
        .request_headers
        .iter()
        .map(|(k, v)| (k.clone(), Bson::from(v.clone())))
        .collect();
    let mut d = doc! {
        "remoteIPAddress": &r.remote_ip_address,
        "requestHeaders": headers,
        "rawQueryString": &r.raw_query_string,
        "service": &r.service,
        "action": &r.action,
    };
    if let Some(v) = &r.http_referrer {
        d.insert("httpReferrer", v);
    }
    for (name, value) in [
        ("httpUserAgent", &r.http_user_agent),
        ("httpMethod", &r.http_method),
        ("webhookUrl", &r.webhook_url),
    ] {
        if let Some(v) = value {
            d.insert(name, v);
        }
    }
    d
}

fn step<'b>(cur: &'b Bson, part: &str) -> Option<&'b Bson> {
    match cur {
        Bson::Document(d) => d.get(part),
        Bson::Array(a) => a.get(part.parse::<usize>().ok()?),
        _ => None,
    }
}

/// The value at the dotted path `parts` below `start`.
fn walk<'p>(start: &Bson, parts: impl Iterator<Item = &'p str>) -> Option<Bson> {
    let mut cur = start;
    for part in parts {
        cur = step(cur, part)?;
    }
    Some(cur.clone())
}

/// The value at the dotted path `parts` in `d` (the document itself when there are none).
fn walk_document<'p>(d: &Document, mut parts: impl Iterator<Item = &'p str>) -> Option<Bson> {
    match parts.next() {
        None => Some(Bson::Document(d.clone())),
        Some(first) => walk(d.get(first)?, parts),
    }
}

/// A rule that evaluated to a constant, or that depends on the document.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cond {
    Const(bool),
    Doc(Document),
}

impl Cond {
    pub(super) fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Const(false), _) | (_, Cond::Const(false)) => Cond::Const(false),
            (Cond::Const(true), c) | (c, Cond::Const(true)) => c,
            (Cond::Doc(a), Cond::Doc(b)) if a == b => Cond::Doc(a),
            (Cond::Doc(a), Cond::Doc(b)) => Cond::Doc(doc! {"$and": [a, b]}),
        }
    }

    pub(super) fn or(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Const(true), _) | (_, Cond::Const(true)) => Cond::Const(true),
            (Cond::Const(false), c) | (c, Cond::Const(false)) => c,
            (Cond::Doc(a), Cond::Doc(b)) if a == b => Cond::Doc(a),
            (Cond::Doc(a), Cond::Doc(b)) => Cond::Doc(doc! {"$or": [a, b]}),
        }
    }

    pub(super) fn not(self) -> Cond {
        match self {
            Cond::Const(b) => Cond::Const(!b),
            Cond::Doc(d) => Cond::Doc(doc! {"$nor": [d]}),
        }
    }

    pub(super) fn holds_for(&self, document: &Document) -> bool {
        match self {
            Cond::Const(b) => *b,
            Cond::Doc(d) => Filter::parse(d).is_ok_and(|f| f.matches(document)),
        }
    }
}

/// Expands `%%...` values, `%stringToOid` / `%oidToString` and `%function` (its value, run
/// beforehand); `None` if an expansion is missing or the function threw.
pub(super) fn expand(v: &Bson, env: &RuleEnv) -> Result<Option<Bson>, String> {
    Ok(match v {
        Bson::String(s) if s.starts_with("%%") => env.resolve(s),
        Bson::Document(d) if d.len() == 1 && d.contains_key("%function") => {
            let Some(Bson::Document(spec)) = expand(&d["%function"], env)? else {
                return Ok(None);
            };
            match env.functions.and_then(|f| f.get(&spec)) {
                Some(Ok(value)) => Some(value.clone()),
                Some(Err(_)) => None,
                None => return Err(NO_RUNNER.into()),
            }
        }
        Bson::Document(d) if d.len() == 1 && d.contains_key("%stringToOid") => {
            match expand(&d["%stringToOid"], env)? {
                Some(Bson::String(s)) => Some(Bson::ObjectId(
                    ObjectId::parse_str(&s).map_err(|_| format!("%stringToOid: '{s}' is not an ObjectId"))?,
                )),
                Some(Bson::ObjectId(id)) => Some(Bson::ObjectId(id)),
                Some(_) => return Err("%stringToOid needs a string".into()),
                None => None,
            }
        }
        Bson::Document(d) if d.len() == 1 && d.contains_key("%oidToString") => {
            match expand(&d["%oidToString"], env)? {
                Some(Bson::ObjectId(id)) => Some(Bson::String(id.to_hex())),
                Some(Bson::String(s)) => Some(Bson::String(s)),
                Some(_) => return Err("%oidToString needs an ObjectId".into()),
                None => None,
            }
        }
        Bson::Document(d) => {
            let mut out = Document::new();
            for (k, v) in d {
                match expand(v, env)? {
                    Some(v) => out.insert(k.clone(), v),
                    None => return Ok(None),
                };
            }
            Some(Bson::Document(out))
        }
        Bson::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                match expand(v, env)? {
                    Some(v) => out.push(v),
                    None => return Ok(None),
                }
            }
            Some(Bson::Array(out))
        }
        other => Some(other.clone()),
    })
}

/// Evaluates a rule expression: booleans, `%%` expansions, and expression documents whose keys
/// are expansions (evaluated now) or document fields (kept as a filter).
pub(super) fn eval(e: &Bson, env: &RuleEnv) -> Result<Cond, String> {
    match e {
        Bson::Boolean(b) => Ok(Cond::Const(*b)),
        // In a data rule, `%%root.<path>` is the document's field: `"read": "%%root.public"`.
        Bson::String(s) if env.document.is_none() && root_path(s).is_some() => {
            Ok(Cond::Doc(doc! { root_path(s).unwrap_or_default(): true }))
        }
        Bson::String(s) if s.starts_with("%%") => match env.resolve(s) {
            Some(Bson::Boolean(b)) => Ok(Cond::Const(b)),
            None | Some(Bson::Null) => Ok(Cond::Const(false)),
            Some(_) => Err(format!("'{s}' is not a boolean")),
        },
        Bson::Document(d) => {
            let mut cond = Cond::Const(true);
            let mut fields = Document::new();
            for (k, v) in d {
                let part = match k.as_str() {
                    "$and" | "$or" | "$nor" | "%and" | "%or" | "%nor" => {
                        let Bson::Array(items) = v else {
                            return Err(format!("{k} needs an array"));
                        };
                        let all = k.ends_with("and");
                        let mut acc = Cond::Const(all);
                        for item in items {
                            let c = eval(item, env)?;
                            acc = if all { acc.and(c) } else { acc.or(c) };
                        }
                        if k.ends_with("nor") { acc.not() } else { acc }
                    }
                    "%function" => match expand(&Bson::Document(doc! {k: v.clone()}), env)? {
                        Some(Bson::Boolean(b)) => Cond::Const(b),
                        _ => Cond::Const(false),
                    },
                    k if env.document.is_none() && root_path(k).is_some() => {
                        let Some(test) = expand(v, env)? else {
                            return Ok(Cond::Const(false));
                        };
                        Cond::Doc(field_test(root_path(k).unwrap_or_default(), test)?)
                    }
                    k if k.starts_with("%%")
                        && env.document.is_none()
                        && v.as_str().and_then(root_path).is_some() =>
                    {
                        // `{"%%user.id": "%%root.owner"}`: the document's field holds the value.
                        let field = v.as_str().and_then(root_path).unwrap_or_default();
                        match env.resolve(k) {
                            Some(value) => Cond::Doc(doc! { field: value }),
                            None => return Ok(Cond::Const(false)),
                        }
                    }
                    k if k.starts_with("%%") => {
                        let value = env.resolve(k);
                        let Some(test) = expand(v, env)? else {
                            return Ok(Cond::Const(false));
                        };
                        let filter =
                            Filter::parse(&field_test("v", test)?).map_err(|e| format!("{k}: {e}"))?;
                        let subject = value.map(|v| doc! {"v": v}).unwrap_or_default();
                        Cond::Const(filter.matches(&subject))
                    }
                    k if k.starts_with('$') || k.starts_with('%') => {
                        return Err(format!("the operator '{k}' is not supported here"));
                    }
                    _ => {
                        let Some(test) = expand(v, env)? else {
                            return Ok(Cond::Const(false));
                        };
                        match field_test(k, test)? {
                            plain if plain.contains_key(k) => {
                                fields.extend(plain);
                                Cond::Const(true)
                            }
                            combined => Cond::Doc(combined),
                        }
                    }
                };
                cond = cond.and(part);
            }
            if !fields.is_empty() {
                cond = cond.and(Cond::Doc(fields));
            }
            Ok(cond)
        }
        _ => Err("must be a boolean or an expression object".into()),
    }
}

/// Evaluates a rule expression that must not depend on a document (e.g. a function's
/// `can_evaluate`) to a boolean.
pub fn evaluate(expression: &Bson, env: &RuleEnv) -> Result<bool, String> {
    match eval(&dollar_operators(expression.clone()), env)? {
        Cond::Const(b) => Ok(b),
        Cond::Doc(_) => Err("the expression names document fields, which only data rules may".into()),
    }
}
