//! Rule expressions: what `%%user`, `%%values`, `%%environment` (and, in data rules,
//! `%%root.<field>`; in a schema's `validate`, `%%this`, `%%prev`, `%%root`, `%%prevRoot`)
//! expand to, and how an expression evaluates: to a constant, or to a filter on the document
//! ([`Cond`]). What writ does not evaluate is refused when the rules load ([`validate`]).

use std::collections::BTreeMap;

use bson::{Bson, Document, doc, oid::ObjectId};
use engine::{Deployment, User};
use store::Filter;

use super::NOT_EVALUATED;
use crate::schema::Expressions;

const ROOTS: [&str; 5] = ["user", "values", "environment", "true", "false"];

/// What a schema's `validate` expression may expand besides [`ROOTS`].
const DOCUMENT_ROOTS: [&str; 4] = ["this", "prev", "root", "prevRoot"];

/// The `%` operators writ evaluates.
const OPERATORS: [&str; 5] = ["%stringToOid", "%oidToString", "%and", "%or", "%nor"];

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
        Bson::String(s) if s.starts_with("%%root") => Err(format!("the expansion '{s}' {NOT_EVALUATED}")),
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

/// Refuses what a schema's `validate` expression names that writ does not evaluate.
pub(crate) fn validate_schema_expression(e: &Bson) -> Result<(), String> {
    validate_with(e, true)
}

fn validate_with(e: &Bson, document: bool) -> Result<(), String> {
    match e {
        Bson::String(s) if s.starts_with("%%") => {
            let root = s[2..].split('.').next().unwrap_or_default();
            let document_field = !document && root_path(s).is_some();
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
    values: &'a BTreeMap<String, Bson>,
    tag: &'a str,
    environment: &'a Document,
    user_root: std::cell::OnceCell<Bson>,
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
    /// The expansions for `user` calling into `deployment` (its values and environment).
    pub fn for_call(user: &'a User, deployment: &'a Deployment) -> Self {
        Self::new(
            user,
            &deployment.values,
            &deployment.environment_tag,
            &deployment.environment_values,
        )
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

/// Expands `%%...` values and `%stringToOid` / `%oidToString`; `None` if an expansion is missing.
pub(super) fn expand(v: &Bson, env: &RuleEnv) -> Result<Option<Bson>, String> {
    Ok(match v {
        Bson::String(s) if s.starts_with("%%") => env.resolve(s),
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
    match eval(expression, env)? {
        Cond::Const(b) => Ok(b),
        Cond::Doc(_) => Err("the expression names document fields, which only data rules may".into()),
    }
}
