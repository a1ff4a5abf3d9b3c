//! Data-access rules for users: App Services roles and filters from
//! `data_sources/<service>/<db>/<coll>/rules.json` (and `default_rule.json`), enforced on every
//! operation a user (not the system) makes, from a client or from a function.
//!
//! Rules compile, per request, into MongoDB filters: a role's `apply_when`, its permissions
//! (`read`, `write`, `insert`, `delete`, booleans or expressions) and its `document_filters`
//! expand `%%user.*`, `%%values.*` and `%%environment.*`; parts that name document fields stay
//! filters (`%%root.<path>` names the document's field `<path>`, as a key, as the value of an
//! expansion's key, or as a whole expression), the rest evaluate to constants. Roles apply in order (a document gets the first role
//! whose `apply_when` holds). Reads and writes are narrowed by the resulting filter, so a user
//! only ever sees and changes documents the rules allow; inserted documents, upserts and the
//! new values of fields the rules look at are checked before anything is written.
//!
//! Field-level permissions (`fields`, `additional_fields`, `field_rules.rs`) and filter
//! projections narrow what a read returns and which fields a write may change (see [`Shape`]).
//! `%%request` is the HTTP request that made the user's request; `%%prevRoot` the stored
//! document (missing for an insert); `%function` calls an app function before the rules apply
//! (`rules/functions.rs`). Anything the rules could express that writ does not evaluate
//! (`%%root` compared with another field or in a field rule, `%function` over the document,
//! field rules that depend on the document) is refused when the rules load, never ignored.

use std::{collections::HashMap, sync::Arc};

use bson::{Bson, Document, doc};
use engine::Deployment;
use store::Filter;

mod expressions;
mod functions;
mod guard;

use expressions::{Cond, eval, expand, no_document_field, validate};
pub use expressions::{RuleEnv, check_request_rule, evaluate};
pub(crate) use expressions::{dollar_operators, validate_schema_expression};
pub use functions::{
    Caller, FunctionCall, FunctionFuture, FunctionValues, RuleFunctionRunner, RuleFunctions, run_calls,
};
pub use guard::{INTERNAL_DB_PREFIX, execute_as_system, guard_system, is_internal, reserved};
use guard::{guard, listed, namespace};

use crate::{
    Executor, Op, Outcome, OutcomeFuture, Request, Update, WriteModel,
    field_rules::{FieldAccess, FieldRules},
    schema::{Expressions, NoExpressions, SCHEMA_ERROR_CODE, Schema, SchemaError, Validation},
};

/// A request a user's rules do not allow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    /// App Services' error code, e.g. `NoMatchingRuleFound`.
    pub code: &'static str,
    /// What was refused, naming the namespace.
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> RuleError {
    RuleError {
        code,
        message: message.into(),
    }
}

/// Every data source's rules, attached to a deployment by the loader.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    services: HashMap<String, ServiceRules>,
    /// Collection schemas by service, database and collection; `Err`: one writ cannot apply,
    /// so users may not write there.
    schemas: HashMap<(String, String, String), Result<Arc<Schema>, String>>,
    /// Whether any rule calls a function (`%function`).
    calls: bool,
}

#[derive(Debug, Clone, Default)]
struct ServiceRules {
    collections: HashMap<(String, String), CollectionRules>,
    default: Option<CollectionRules>,
}

/// The roles and filters of one collection (or a data source's default rule).
#[derive(Debug, Clone)]
pub struct CollectionRules {
    roles: Vec<Role>,
    filters: Vec<QueryFilter>,
    /// The operands of every `%function` call the rules make.
    calls: Vec<Bson>,
    /// When the rules name `%%prevRoot` (the document before the write): the rules as they
    /// apply to a new document, which had none. Those above read it as the stored document.
    inserting: Option<Box<CollectionRules>>,
}

#[derive(Debug, Clone)]
struct Role {
    apply_when: Bson,
    read: Bson,
    write: Bson,
    insert: Bson,
    delete: Bson,
    read_filter: Option<Bson>,
    write_filter: Option<Bson>,
    fields: Option<FieldRules>,
}

#[derive(Debug, Clone)]
struct QueryFilter {
    apply_when: Bson,
    query: Document,
    projection: Option<Document>,
}

/// How every error of [`CollectionRules::from_json`] about a feature writ does not evaluate
/// ends, so the loader can tell it from an invalid rule.
pub(crate) const NOT_EVALUATED: &str = "is not supported by writ yet";

impl CollectionRules {
    /// Rules that give users no access at all (system code is not bound by rules): what a
    /// collection gets when its rules use a feature writ does not evaluate, failing closed.
    pub fn deny_all() -> CollectionRules {
        CollectionRules {
            roles: Vec::new(),
            filters: Vec::new(),
            calls: Vec::new(),
            inserting: None,
        }
    }

    /// Whether an error of [`CollectionRules::from_json`] names a feature writ does not
    /// evaluate (`%%root` between fields, `%function` over the document, document-dependent
    /// field rules), not an invalid rule.
    pub fn not_evaluated(error: &str) -> bool {
        error.contains(NOT_EVALUATED)
    }

    /// Reads a `rules.json` or `default_rule.json` document; the error says what is wrong or
    /// not supported.
    pub fn from_json(json: &serde_json::Value) -> Result<CollectionRules, String> {
        let doc = match Bson::try_from(json.clone()).map(expressions::dollar_operators) {
            Ok(Bson::Document(d)) => d,
            _ => return Err("must be a JSON object".into()),
        };
        let whole = Bson::Document(doc);
        if !expressions::names_prev_root(&whole) {
            return Self::parse(whole);
        }
        // `%%prevRoot` is missing for a document being inserted, and is the stored document
        // for every other operation: `%%root` as writ evaluates it (before the write).
        let inserting = Self::parse(whole.clone())?;
        let mut rules = Self::parse(expressions::prev_root_as_root(whole))?;
        rules.inserting = Some(Box::new(inserting));
        Ok(rules)
    }

    fn parse(whole: Bson) -> Result<CollectionRules, String> {
        let Bson::Document(doc) = whole else {
            return Err("must be a JSON object".into());
        };
        let mut roles = Vec::new();
        for (i, role) in array(&doc, "roles")?.iter().enumerate() {
            let Bson::Document(r) = role else {
                return Err(format!("roles[{i}] must be an object"));
            };
            // A role that writes every field (write implies read) is not narrowed by its
            // field rules (App Services' permission flowcharts).
            let fields = FieldRules::parse(r)
                .map_err(|m| format!("roles[{i}].{m}"))?
                .filter(|_| r.get("write") != Some(&Bson::Boolean(true)));
            if let Some(f) = &fields {
                for e in f.expressions() {
                    validate(e)
                        .and_then(|()| no_document_field(e))
                        .map_err(|m| format!("roles[{i}] field rules: {m}"))?;
                }
            }
            let filters = r.get_document("document_filters").ok();
            let role = Role {
                apply_when: r
                    .get("apply_when")
                    .cloned()
                    .unwrap_or(Bson::Document(Document::new())),
                read: r.get("read").cloned().unwrap_or(Bson::Boolean(false)),
                write: r.get("write").cloned().unwrap_or(Bson::Boolean(false)),
                insert: r.get("insert").cloned().unwrap_or(Bson::Boolean(false)),
                delete: r.get("delete").cloned().unwrap_or(Bson::Boolean(false)),
                read_filter: filters.and_then(|f| f.get("read").cloned()),
                write_filter: filters.and_then(|f| f.get("write").cloned()),
                fields,
            };
            for (what, e) in [
                ("apply_when", Some(&role.apply_when)),
                ("read", Some(&role.read)),
                ("write", Some(&role.write)),
                ("insert", Some(&role.insert)),
                ("delete", Some(&role.delete)),
                ("document_filters.read", role.read_filter.as_ref()),
                ("document_filters.write", role.write_filter.as_ref()),
            ] {
                if let Some(e) = e {
                    validate(e).map_err(|m| format!("roles[{i}].{what}: {m}"))?;
                }
            }
            roles.push(role);
        }
        let mut filters = Vec::new();
        for (i, f) in array(&doc, "filters")?.iter().enumerate() {
            let Bson::Document(f) = f else {
                return Err(format!("filters[{i}] must be an object"));
            };
            let projection = f
                .get_document("projection")
                .ok()
                .filter(|p| !p.is_empty())
                .cloned();
            if let Some(p) = &projection {
                store::Projection::parse(p).map_err(|e| format!("filters[{i}].projection: {e}"))?;
            }
            let filter = QueryFilter {
                apply_when: f
                    .get("apply_when")
                    .cloned()
                    .unwrap_or(Bson::Document(Document::new())),
                query: f.get_document("query").cloned().unwrap_or_default(),
                projection,
            };
            validate(&filter.apply_when).map_err(|m| format!("filters[{i}].apply_when: {m}"))?;
            validate(&Bson::Document(filter.query.clone()))
                .map_err(|m| format!("filters[{i}].query: {m}"))?;
            filters.push(filter);
        }
        let whole = Bson::Document(doc);
        let mut calls = Vec::new();
        functions::calls_in(&whole, &mut calls);
        let calls = calls.into_iter().cloned().collect();
        Ok(CollectionRules {
            roles,
            filters,
            calls,
            inserting: None,
        })
    }
}

fn array<'a>(doc: &'a Document, key: &str) -> Result<&'a [Bson], String> {
    match doc.get(key) {
        None | Some(Bson::Null) => Ok(&[]),
        Some(Bson::Array(a)) => Ok(a),
        Some(_) => Err(format!("'{key}' must be an array")),
    }
}

impl Rules {
    /// Sets the rules of `service`'s collection `db.coll`.
    pub fn insert(&mut self, service: &str, db: &str, coll: &str, rules: CollectionRules) {
        self.calls |= !rules.calls.is_empty();
        let s = self.services.entry(service.to_string()).or_default();
        s.collections.insert((db.to_string(), coll.to_string()), rules);
    }

    /// Sets the rules of `service`'s collections that have none of their own.
    pub fn set_default(&mut self, service: &str, rules: CollectionRules) {
        self.calls |= !rules.calls.is_empty();
        self.services.entry(service.to_string()).or_default().default = Some(rules);
    }

    /// Sets the schema of `service`'s collection `db.coll`: every document a user's write
    /// leaves there must satisfy it. A schema writ cannot apply refuses users' writes.
    pub fn set_schema(&mut self, service: &str, db: &str, coll: &str, schema: Result<Schema, SchemaError>) {
        let key = (service.to_string(), db.to_string(), coll.to_string());
        self.schemas
            .insert(key, schema.map(Arc::new).map_err(|e| e.to_string()));
    }

    /// The validation a user's `op` on `service`'s `db.coll` gets, or its refusal.
    fn validation(&self, service: &str, op: &Op, env: &RuleEnv) -> Result<Option<Validation>, RuleError> {
        let Some(ns) = namespace(op).filter(|_| !self.schemas.is_empty() && leaves_documents(op)) else {
            return Ok(None);
        };
        let key = (service.to_string(), ns.db.clone(), ns.coll.clone());
        let name = format!("{}.{}", ns.db, ns.coll);
        match self.schemas.get(&key) {
            None => Ok(None),
            Some(Err(m)) => Err(refuse(
                SCHEMA_ERROR_CODE,
                format!(
                    "users cannot write to '{name}': its schema cannot be applied ({m}); system functions can"
                ),
            )),
            Some(Ok(schema)) => {
                let expressions: Arc<dyn Expressions + Send + Sync> = if schema.has_expressions() {
                    Arc::new(env.owned())
                } else {
                    Arc::new(NoExpressions)
                };
                Ok(Some(Validation::new(schema.clone(), &name, expressions)))
            }
        }
    }

    /// Whether any rule calls a function (`%function`).
    pub fn call_functions(&self) -> bool {
        self.calls
    }

    /// How many collections have rules of their own.
    pub fn len(&self) -> usize {
        self.services.values().map(|s| s.collections.len()).sum()
    }

    /// True when no collection has rules (and no default rule exists).
    pub fn is_empty(&self) -> bool {
        self.services
            .values()
            .all(|s| s.collections.is_empty() && s.default.is_none())
    }

    fn lookup(&self, service: &str, db: &str, coll: &str) -> Option<&CollectionRules> {
        let s = self.services.get(service)?;
        s.collections
            .get(&(db.to_string(), coll.to_string()))
            .or(s.default.as_ref())
    }

    /// Narrows `request` to what `user` may do on `service`, or refuses it; with the [`Shape`]
    /// its result must be given when field rules or filter projections narrow what it reads.
    pub fn authorize(
        &self,
        service: &str,
        env: &RuleEnv,
        request: Request,
    ) -> Result<(Request, Option<Shape>), RuleError> {
        guard(&request.op)?;
        let Some(ns) = namespace(&request.op) else {
            // Listings are filtered by `visible` (see `execute_as_user`); session commands
            // carry no data.
            return Ok((request, None));
        };
        let (db, coll) = (ns.db.clone(), ns.coll.clone());
        let name = format!("{db}.{coll}");
        let rules = self.lookup(service, &db, &coll).ok_or_else(|| {
            refuse(
                "NoMatchingRuleFound",
                format!("no rule exists for namespace '{name}'"),
            )
        })?;
        let p = rules
            .compile(env)
            .map_err(|m| refuse("InvalidRule", format!("the rules of '{name}' cannot apply: {m}")))?;
        let validation = self.validation(service, &request.op, env)?;
        let (op, shape) = p.apply(request.op, &name)?;
        Ok((
            Request {
                op,
                validation,
                ..request
            },
            shape,
        ))
    }

    /// Which names a user's `getDBNames()` (`db` = `None`) or `getCollectionNames()` on `db`
    /// shows: those the rules name, or all when a default rule exists.
    fn visible(&self, service: &str, db: Option<&str>) -> Visible {
        let Some(s) = self.services.get(service) else {
            return Visible::default();
        };
        let names = s
            .collections
            .keys()
            .filter(|(d, _)| db.is_none_or(|db| d == db))
            .map(|(d, c)| if db.is_some() { c.clone() } else { d.clone() })
            .collect();
        Visible {
            databases: db.is_none(),
            all: s.default.is_some(),
            names,
        }
    }
}

/// The database or collection names a user may see listed.
#[derive(Debug, Default)]
struct Visible {
    /// A listing of databases, not of one database's collections.
    databases: bool,
    all: bool,
    names: std::collections::HashSet<String>,
}

impl Visible {
    fn keep(&self, result: Outcome) -> Outcome {
        match result {
            Outcome::Names(names) => Outcome::Names(
                names
                    .into_iter()
                    .filter(|n| listed(n, self.databases) && (self.all || self.names.contains(n)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// Narrows `request`, made by `user` on `service`, by the rules attached to `deployment`.
///
/// A deployment without [`Rules`] attached (one built by hand rather than by the loader) is not
/// restricted by rules; `loader::load` always attaches them. writ's own databases and the
/// operators and stages users may never use are refused either way.
pub fn authorize_call<'a>(
    deployment: &Deployment,
    service: &str,
    caller: impl Into<Caller<'a>>,
    request: Request,
) -> Result<(Request, Option<Shape>), RuleError> {
    match deployment.extensions.get::<Rules>() {
        Some(rules) => rules.authorize(service, &RuleEnv::for_call(caller, deployment), request),
        None => guard(&request.op).map(|()| (request, None)),
    }
}

/// Runs `request`, made by `caller` (a user, not the system) on `service`, on `executor`:
/// **the** way a user's request reaches a database, from a client or from a function running
/// as the user. The request is refused or narrowed by [`authorize_call`]; listings leave out
/// writ's own databases and what the rules do not name. Rules that call functions need their
/// values first ([`function_values`]).
pub fn execute_as_user<'a>(
    executor: &dyn Executor,
    deployment: &Deployment,
    service: &str,
    caller: impl Into<Caller<'a>>,
    request: Request,
) -> Result<OutcomeFuture, RuleError> {
    let (request, shape) = authorize_call(deployment, service, caller, request)?;
    let rules = deployment.extensions.get::<Rules>();
    let listing = match &request.op {
        Op::ListDatabases => Some(None),
        Op::ListCollections { db } => Some(Some(db.as_str())),
        _ => None,
    };
    let visible = listing.map(|db| match rules {
        Some(r) => r.visible(service, db),
        None => Visible {
            databases: db.is_none(),
            all: true,
            names: Default::default(),
        },
    });
    let result = executor.execute(request);
    Ok(match (visible, shape) {
        (Some(v), _) => Box::pin(async move { result.await.map(|names| v.keep(names)) }),
        (None, Some(shape)) => Box::pin(async move { result.await.map(|r| shape.result(r)) }),
        (None, None) => result,
    })
}

/// The operands of the `%function` calls the rules of `op`'s namespace on `service` make
/// (empty for most rules).
pub fn rule_calls(deployment: &Deployment, service: &str, op: &Op) -> Vec<Bson> {
    let rules = deployment.extensions.get::<Rules>();
    match (rules.filter(|r| r.calls), namespace(op)) {
        (Some(rules), Some(ns)) => rules
            .lookup(service, &ns.db, &ns.coll)
            .map(|r| r.calls.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Runs the `%function` calls the rules of `request`'s namespace make for `caller`; give the
/// values to [`execute_as_user`] with [`Caller::with_functions`]. `None`: the rules make none.
pub async fn function_values(
    deployment: &Deployment,
    service: &str,
    caller: Caller<'_>,
    request: &Request,
) -> Option<FunctionValues> {
    let calls = rule_calls(deployment, service, &request.op);
    let calls: Vec<&Bson> = calls.iter().collect();
    run_calls(&calls, deployment, caller, request.deadline).await
}

/// The operands of the `%function` calls in `expression` (e.g. a function's `can_evaluate`).
pub fn expression_calls(expression: &Bson) -> Vec<&Bson> {
    let mut out = Vec::new();
    functions::calls_in(expression, &mut out);
    out
}

/// Whether `op` can leave documents in its collection (inserts, updates, replacements,
/// upserts): what a collection's schema checks.
fn leaves_documents(op: &Op) -> bool {
    matches!(
        op,
        Op::InsertOne { .. }
            | Op::InsertMany { .. }
            | Op::Update { .. }
            | Op::FindOneAndUpdate { .. }
            | Op::FindOneAndReplace { .. }
            | Op::BulkWrite { .. }
    )
}

/// A request's permissions once the rules are evaluated for a user.
struct Permissions {
    read: Cond,
    write: Cond,
    insert: Cond,
    delete: Cond,
    /// Every role, for the decisions that depend on which role a document gets.
    roles: Vec<RolePlan>,
    /// The filters' queries, part of every condition above.
    query: Cond,
    /// The filters' projections, applied to what reads return.
    projections: Vec<Document>,
    /// The roles as they apply to a new document, when they differ (`%%prevRoot`).
    insert_roles: Option<Vec<RolePlan>>,
}

/// One role evaluated for a request.
#[derive(Debug, Clone)]
struct RolePlan {
    /// The documents that get this role (its `apply_when`, and no earlier role's).
    mine: Cond,
    /// Where it reads every field (document-level read or write).
    read: Cond,
    /// Where it writes every field.
    write: Cond,
    /// Its `document_filters.write`, which field-level writes need too.
    write_filter: Cond,
    /// Its field rules, if it has any.
    fields: Option<FieldAccess>,
}

impl CollectionRules {
    fn compile(&self, env: &RuleEnv) -> Result<Permissions, String> {
        let mut p = Permissions {
            read: Cond::Const(false),
            write: Cond::Const(false),
            insert: Cond::Const(false),
            delete: Cond::Const(false),
            roles: Vec::new(),
            query: Cond::Const(true),
            projections: Vec::new(),
            insert_roles: None,
        };
        let mut earlier = Cond::Const(false);
        for role in &self.roles {
            let apply = eval(&role.apply_when, env)?;
            let mine = apply.clone().and(earlier.clone().not());
            let doc_filter = |f: &Option<Bson>| f.as_ref().map_or(Ok(Cond::Const(true)), |f| eval(f, env));
            let write_filter = doc_filter(&role.write_filter)?;
            let read_filter = doc_filter(&role.read_filter)?;
            let whole_write = eval(&role.write, env)?.and(write_filter.clone());
            let whole_read = eval(&role.read, env)?
                .and(read_filter.clone())
                .or(whole_write.clone());
            let fields = match &role.fields {
                Some(f) => Some(f.evaluate(&|e| match eval(e, env)? {
                    Cond::Const(b) => Ok(b),
                    Cond::Doc(_) => Err("field rules must not name document fields".into()),
                })?),
                None => None,
            };
            // With field rules, a role reads (writes) a document when it may read (write) any
            // of its fields; which fields is decided per operation.
            let (read, write) = match &fields {
                Some(f) => (
                    whole_read.clone().or(read_filter.and(Cond::Const(f.any_read()))),
                    whole_write
                        .clone()
                        .or(write_filter.clone().and(Cond::Const(f.any_write()))),
                ),
                None => (whole_read.clone(), whole_write.clone()),
            };
            // Inserting needs write permission on every field of the document (checked
            // against the document in `check_insert` when field rules decide it).
            let insert = eval(&role.insert, env)?.and(write.clone());
            let delete = eval(&role.delete, env)?.and(write_filter.clone());
            p.read = p.read.or(mine.clone().and(read));
            p.write = p.write.or(mine.clone().and(write));
            p.insert = p.insert.or(mine.clone().and(insert));
            p.delete = p.delete.or(mine.clone().and(delete));
            p.roles.push(RolePlan {
                mine,
                read: whole_read,
                write: whole_write,
                write_filter,
                fields,
            });
            earlier = earlier.or(apply);
            if earlier == Cond::Const(true) {
                break;
            }
        }
        for f in &self.filters {
            match eval(&f.apply_when, env)? {
                Cond::Const(false) => {}
                Cond::Const(true) => {
                    let q = match expand(&Bson::Document(f.query.clone()), env)? {
                        Some(Bson::Document(q)) if q.is_empty() => Cond::Const(true),
                        Some(Bson::Document(q)) => Cond::Doc(q),
                        _ => Cond::Const(false),
                    };
                    for c in [
                        &mut p.read,
                        &mut p.write,
                        &mut p.insert,
                        &mut p.delete,
                        &mut p.query,
                    ] {
                        *c = std::mem::replace(c, Cond::Const(false)).and(q.clone());
                    }
                    p.projections.extend(f.projection.clone());
                }
                Cond::Doc(_) => return Err("a filter's apply_when must not name document fields".into()),
            }
        }
        if let Some(new) = &self.inserting {
            let new = new.compile(env)?;
            p.insert = new.insert;
            p.insert_roles = Some(new.roles);
        }
        Ok(p)
    }
}

/// Narrows `filter` in place to the documents `cond` allows.
fn restrict(filter: &mut Document, cond: &Cond) {
    *filter = narrow(std::mem::take(filter), cond);
}

/// `filter` narrowed to the documents `cond` allows.
fn narrow(filter: Document, cond: &Cond) -> Document {
    match cond {
        Cond::Const(true) => filter,
        Cond::Const(false) => doc! {"$and": [filter, {"_id": {"$in": []}}]},
        Cond::Doc(c) if filter.is_empty() => c.clone(),
        Cond::Doc(c) => doc! {"$and": [filter, c.clone()]},
    }
}

/// The field names a filter tests at its top level, if it is a plain conjunction.
fn conjunction_fields(filter: &Document, out: &mut Vec<(String, Bson)>) -> bool {
    filter.iter().all(|(k, v)| match (k.as_str(), v) {
        ("$and", Bson::Array(items)) => items.iter().all(|i| match i {
            Bson::Document(d) => conjunction_fields(d, out),
            _ => false,
        }),
        (k, _) if k.starts_with('$') => false,
        _ => {
            out.push((k.clone(), v.clone()));
            true
        }
    })
}

fn touches(path: &str, field: &str) -> bool {
    let (a, b) = (path.split('.').next(), field.split('.').next());
    a == b
}

impl Permissions {
    /// True when field rules can narrow what some document's role does where `whole` (its
    /// whole-document read or write) does not already allow everything.
    fn fielded_for(&self, whole: fn(&RolePlan) -> &Cond) -> bool {
        self.roles
            .iter()
            .any(|r| r.fields.is_some() && r.mine != Cond::Const(false) && *whole(r) != Cond::Const(true))
    }

    /// True when field rules can narrow what some document's role reads.
    fn fielded(&self) -> bool {
        self.fielded_for(|r| &r.read)
    }

    /// True when field rules can narrow what some document's role writes.
    fn fielded_writes(&self) -> bool {
        self.fielded_for(|r| &r.write)
    }

    /// Where a write that changes the fields `ok` accepts is allowed.
    fn write_where(&self, ok: &dyn Fn(&FieldAccess) -> bool) -> Cond {
        let mut cond = Cond::Const(false);
        for r in &self.roles {
            let by_fields = Cond::Const(r.fields.as_ref().is_some_and(ok));
            let role = r
                .mine
                .clone()
                .and(r.write.clone().or(r.write_filter.clone().and(by_fields)));
            cond = cond.or(role);
        }
        cond.and(self.query.clone())
    }

    /// The write condition of an update: the coarse one, or with field rules the one for the
    /// fields the update changes.
    fn update_where(&self, update: &Update, denied: &dyn Fn(&str) -> RuleError) -> Result<Cond, RuleError> {
        if !self.fielded_writes() {
            return Ok(self.write.clone());
        }
        let Update::Document(u) = update else {
            return Err(denied(
                "update with a pipeline (field rules restrict this collection)",
            ));
        };
        let mut paths: Vec<&str> = Vec::new();
        for (operator, fields) in u {
            if let Bson::Document(fields) = fields {
                for (path, value) in fields {
                    paths.push(path);
                    match value {
                        Bson::String(to) if operator == "$rename" => paths.push(to),
                        _ => {}
                    }
                }
            }
        }
        let cond = self.write_where(&|a| paths.iter().all(|p| a.writable(p)));
        if cond == Cond::Const(false) {
            return Err(denied(&format!("update of {}", paths.join(", "))));
        }
        Ok(cond)
    }

    /// The write condition of a replacement: every field must be writable.
    fn replace_where(&self) -> Cond {
        match self.fielded_writes() {
            true => self.write_where(&|a| a.all_writable()),
            false => self.write.clone(),
        }
    }

    /// What a read's result must go through: field rules and filter projections.
    fn shape(&self) -> Option<Shape> {
        if !self.fielded() && self.projections.is_empty() {
            return None;
        }
        let projections = self
            .projections
            .iter()
            .filter_map(|p| store::Projection::parse(p).ok().flatten())
            .collect();
        Some(Shape {
            roles: if self.fielded() {
                self.roles.clone()
            } else {
                Vec::new()
            },
            projections,
            requested: None,
        })
    }

    /// The stages an aggregation starts with: the read narrowing, the fields the role may
    /// read, the filters' projections.
    fn stages(&self, ns: &str) -> Result<Vec<Document>, RuleError> {
        let mut stages = Vec::new();
        if self.read != Cond::Const(true) {
            stages.push(doc! {"$match": narrow(Document::new(), &self.read)});
        }
        if self.fielded() {
            let live: Vec<&RolePlan> = self
                .roles
                .iter()
                .filter(|r| r.mine != Cond::Const(false))
                .collect();
            let stage = match live.as_slice() {
                [one] if one.read == Cond::Const(false) => one.fields.as_ref().and_then(|f| f.stage()),
                _ => None,
            };
            stages.push(stage.ok_or_else(|| {
                refuse(
                    "PermissionDenied",
                    format!(
                        "aggregate on '{ns}': its field rules hide different fields from different documents \
                         for this user, which writ applies to find and findOne only; aggregate in a system function"
                    ),
                )
            })?);
        }
        stages.extend(self.projections.iter().map(|p| doc! {"$project": p.clone()}));
        Ok(stages)
    }

    fn apply(&self, mut op: Op, ns: &str) -> Result<(Op, Option<Shape>), RuleError> {
        let denied = |what: &str| refuse("PermissionDenied", format!("{what} not permitted on '{ns}'"));
        let mut shape = None;
        match &mut op {
            Op::Find {
                filter, projection, ..
            }
            | Op::FindOne {
                filter, projection, ..
            } => {
                restrict(filter, &self.read);
                shape = self
                    .shape()
                    .map(|s| s.requested(projection.take(), filter))
                    .transpose()?;
            }
            Op::Count { filter, .. } => restrict(filter, &self.read),
            Op::Distinct {
                filter, field: key, ..
            } => {
                if self.fielded()
                    && self.roles.iter().any(|r| {
                        r.read != Cond::Const(true) && !r.fields.as_ref().is_some_and(|f| f.readable(key))
                    })
                {
                    return Err(denied(&format!(
                        "distinct of the field '{key}', which field rules hide,"
                    )));
                }
                restrict(filter, &self.read)
            }
            Op::EstimatedCount { ns: n } if self.read != Cond::Const(true) => {
                op = Op::Count {
                    ns: n.clone(),
                    filter: narrow(Document::new(), &self.read),
                    skip: None,
                    limit: None,
                };
            }
            Op::EstimatedCount { .. } => {}
            // `guard` has refused stages that reach other collections, at any depth.
            Op::Aggregate { pipeline, .. } => {
                let mut stages = self.stages(ns)?;
                // `$geoNear` must stay first: the read filter joins its `query` instead, and
                // anything else the rules add follows it.
                match pipeline
                    .first_mut()
                    .and_then(|s| s.get_document_mut("$geoNear").ok())
                {
                    Some(geo) => {
                        if let Some(Bson::Document(m)) = stages.first().and_then(|s| s.get("$match")) {
                            let query = match geo.get("query") {
                                Some(Bson::Document(q)) => doc! {"$and": [q.clone(), m.clone()]},
                                _ => m.clone(),
                            };
                            geo.insert("query", query);
                            stages.remove(0);
                        }
                        // Field rules hide fields after the first stage, and $geoNear would
                        // already have measured (and given away) a hidden location.
                        if !stages.is_empty() {
                            return Err(refuse(
                                "PermissionDenied",
                                format!(
                                    "$geoNear on '{ns}': its field rules or filter projections would apply after it measured the documents; use $geoWithin, or run it in a system function"
                                ),
                            ));
                        }
                    }
                    None => drop(pipeline.splice(0..0, stages)),
                }
            }
            Op::InsertOne { document, .. } => self.check_insert(document, &denied)?,
            Op::InsertMany { documents, .. } => {
                for d in documents.iter() {
                    self.check_insert(d, &denied)?;
                }
            }
            Op::Update {
                filter,
                update,
                upsert,
                ..
            } => {
                let write = self.update_where(update, &denied)?;
                self.writable(&write, "update", &denied)?;
                self.check_update(filter, update, *upsert, &denied)?;
                restrict(filter, &write);
            }
            Op::FindOneAndUpdate {
                filter,
                update,
                upsert,
                projection,
                ..
            } => {
                let write = self.update_where(update, &denied)?;
                self.writable(&write, "update", &denied)?;
                self.check_update(filter, update, *upsert, &denied)?;
                restrict(filter, &write);
                shape = self
                    .shape()
                    .map(|s| s.requested(projection.take(), filter))
                    .transpose()?;
            }
            Op::FindOneAndReplace {
                filter,
                replacement,
                upsert,
                projection,
                ..
            } => {
                let write = self.replace_where();
                self.writable(&write, "update", &denied)?;
                self.check_replacement(&write, replacement, *upsert, &denied)?;
                restrict(filter, &write);
                shape = self
                    .shape()
                    .map(|s| s.requested(projection.take(), filter))
                    .transpose()?;
            }
            Op::Delete { filter, .. } => {
                self.writable(&self.delete, "delete", &denied)?;
                restrict(filter, &self.delete);
            }
            Op::FindOneAndDelete {
                filter, projection, ..
            } => {
                self.writable(&self.delete, "delete", &denied)?;
                restrict(filter, &self.delete);
                shape = self
                    .shape()
                    .map(|s| s.requested(projection.take(), filter))
                    .transpose()?;
            }
            Op::BulkWrite { models, .. } => {
                for m in models.iter_mut() {
                    self.apply_model(m, &denied)?;
                }
            }
            Op::ListCollections { .. }
            | Op::ListDatabases
            | Op::StartTransaction
            | Op::CommitTransaction
            | Op::AbortTransaction
            | Op::EndSession => {}
        }
        Ok((op, shape))
    }

    fn writable(&self, cond: &Cond, what: &str, denied: &dyn Fn(&str) -> RuleError) -> Result<(), RuleError> {
        match cond {
            Cond::Const(false) => Err(denied(what)),
            _ => Ok(()),
        }
    }

    fn apply_model(&self, m: &mut WriteModel, denied: &dyn Fn(&str) -> RuleError) -> Result<(), RuleError> {
        match m {
            WriteModel::InsertOne(d) => self.check_insert(d, denied)?,
            WriteModel::Update {
                filter,
                update,
                upsert,
                ..
            } => {
                let write = self.update_where(update, denied)?;
                self.writable(&write, "update", denied)?;
                self.check_update(filter, update, *upsert, denied)?;
                restrict(filter, &write);
            }
            WriteModel::ReplaceOne {
                filter,
                replacement,
                upsert,
            } => {
                let write = self.replace_where();
                self.writable(&write, "update", denied)?;
                self.check_replacement(&write, replacement, *upsert, denied)?;
                restrict(filter, &write);
            }
            WriteModel::Delete { filter, .. } => {
                self.writable(&self.delete, "delete", denied)?;
                restrict(filter, &self.delete);
            }
        }
        Ok(())
    }

    /// An inserted document needs insert permission and write permission on every field of
    /// it, under the role it gets.
    fn check_insert(&self, document: &Document, denied: &dyn Fn(&str) -> RuleError) -> Result<(), RuleError> {
        let roles = self.insert_roles.as_ref().unwrap_or(&self.roles);
        let fielded = roles
            .iter()
            .any(|r| r.fields.is_some() && r.mine != Cond::Const(false) && r.write != Cond::Const(true));
        let by_fields = || {
            roles
                .iter()
                .find(|r| r.mine.holds_for(document))
                .is_some_and(|r| {
                    r.write.holds_for(document) || r.fields.as_ref().is_some_and(|f| f.doc_writable(document))
                })
        };
        if self.insert.holds_for(document) && (!fielded || by_fields()) {
            Ok(())
        } else {
            Err(denied("insert"))
        }
    }

    fn check_replacement(
        &self,
        write: &Cond,
        replacement: &Document,
        upsert: bool,
        denied: &dyn Fn(&str) -> RuleError,
    ) -> Result<(), RuleError> {
        if !write.holds_for(replacement) {
            return Err(denied("update (the replacement would not be writable)"));
        }
        if upsert {
            self.check_insert(replacement, denied)?;
        }
        Ok(())
    }

    /// The new values of fields the write rules look at must still satisfy them; an upsert's
    /// document must be insertable.
    fn check_update(
        &self,
        filter: &Document,
        update: &Update,
        upsert: bool,
        denied: &dyn Fn(&str) -> RuleError,
    ) -> Result<(), RuleError> {
        let (tested, plain) = match &self.write {
            Cond::Doc(c) => {
                let mut fields = Vec::new();
                let plain = conjunction_fields(c, &mut fields);
                (fields, plain)
            }
            Cond::Const(_) => (Vec::new(), true),
        };
        let mut new_values = Document::new();
        match update {
            Update::Pipeline(_) if !tested.is_empty() || upsert => {
                return Err(denied("update with a pipeline (rules restrict this collection)"));
            }
            Update::Pipeline(_) => {}
            Update::Document(u) => {
                for (operator, fields) in u {
                    let Bson::Document(fields) = fields else { continue };
                    for (path, value) in fields {
                        let set = operator == "$set" || operator == "$setOnInsert";
                        if set && !path.contains('.') {
                            new_values.insert(path.clone(), value.clone());
                        }
                        if tested.iter().any(|(f, _)| touches(path, f))
                            && (!set || path.contains('.') || !plain)
                        {
                            return Err(denied(&format!("update of '{path}' with {operator}")));
                        }
                    }
                }
            }
        }
        let changed: Document = tested
            .iter()
            .filter(|(f, _)| new_values.contains_key(f))
            .map(|(f, c)| (f.clone(), c.clone()))
            .collect();
        if !changed.is_empty() && !Cond::Doc(changed).holds_for(&new_values) {
            return Err(denied("update (the new values would not be writable)"));
        }
        if upsert {
            let mut seed = Document::new();
            if let Ok(f) = Filter::parse(filter) {
                let mut eqs = Vec::new();
                f.equalities(&mut eqs);
                for (k, v) in eqs.into_iter().filter(|(k, _)| !k.contains('.')) {
                    seed.insert(k, v);
                }
            }
            seed.extend(new_values);
            self.check_insert(&seed, denied)?;
        }
        Ok(())
    }
}

/// What a read's result goes through when field rules or filter projections narrow it: each
/// document keeps the fields its role may read (none: it is left out), then the filters'
/// projections and the caller's own projection apply.
#[derive(Debug)]
pub struct Shape {
    roles: Vec<RolePlan>,
    projections: Vec<store::Projection>,
    requested: Option<store::Projection>,
}

impl Shape {
    /// The caller's projection, applied after the rules' (it may hide what a role depends on);
    /// a positional `field.$` keeps the first element `query` matches.
    fn requested(mut self, projection: Option<Document>, query: &Document) -> Result<Self, RuleError> {
        if let Some(p) = projection {
            self.requested = store::Projection::parse_for(&p, Some(query))
                .map_err(|e| refuse("InvalidParameter", format!("projection: {e}")))?;
        }
        Ok(self)
    }

    /// One document as the caller may see it, or `None` when it may see no field of it.
    pub fn document(&self, doc: Document) -> Option<Document> {
        let mut doc = match self.roles.is_empty() {
            true => doc,
            false => {
                let role = self.roles.iter().find(|r| r.mine.holds_for(&doc))?;
                match &role.fields {
                    Some(f) if !role.read.holds_for(&doc) => f.project(doc),
                    _ if role.read.holds_for(&doc) => doc,
                    _ => return None,
                }
            }
        };
        if doc.is_empty() {
            return None;
        }
        for p in &self.projections {
            doc = p.apply(&doc);
        }
        if let Some(p) = &self.requested {
            doc = p.apply(&doc);
        }
        Some(doc)
    }

    /// A read's result (documents, or one document or none) as the caller may see it.
    pub fn result(&self, result: Outcome) -> Outcome {
        match result {
            Outcome::Documents(docs) => {
                Outcome::Documents(docs.into_iter().filter_map(|d| self.document(d)).collect())
            }
            Outcome::Document(d) => Outcome::Document(d.and_then(|d| self.document(d))),
            other => other,
        }
    }
}
