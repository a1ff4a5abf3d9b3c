//! A generated query's or mutation's database operation, made as the calling user: through
//! the app's rules (and the functions they call), as a client's own operation would be.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use bridge::rules::{Caller, execute_as_user, function_values};
use bson::{Bson, Document};
use engine::{Deployment, RequestInfo, User};

use crate::server::State;

/// The collection behind a generated type.
#[derive(Debug)]
pub struct Coll {
    /// Its database.
    pub db: String,
    /// Its name.
    pub coll: String,
    /// Its document type (an index into the API's types).
    pub ty: usize,
}

/// Who runs a GraphQL request, and on what: given to every resolver.
pub struct Ctx {
    /// The server.
    pub state: Arc<State>,
    /// The deployment the request runs on.
    pub deployment: Arc<Deployment>,
    /// The caller.
    pub user: User,
    /// The HTTP request (`%%request` in the rules).
    pub info: RequestInfo,
    /// The API's document and custom types.
    pub types: Arc<super::model::Types>,
    /// The bytes of what the request's operations returned so far (see [`MAX_REQUEST_BYTES`]).
    pub bytes: Arc<AtomicUsize>,
    /// One permit: the request's custom resolvers run one at a time, so a request (which
    /// holds one of its caller's in-flight slots) takes one worker, however many documents
    /// have a resolved field.
    pub resolver_turn: tokio::sync::Semaphore,
}

/// The most bytes of documents one request's operations may return in all, as much as one
/// function's operation may: the response is built in the server's memory, and relationships
/// multiply what a short query reads.
pub const MAX_REQUEST_BYTES: usize = bridge::MAX_RESULT_BYTES;

/// Runs operation `kind` with `spec` on `coll` for the request's caller; the result as App
/// Services' operation returned it.
pub async fn run(c: &Ctx, coll: &Coll, kind: &str, mut spec: Document) -> async_graphql::Result<Bson> {
    spec.insert("database", &coll.db);
    spec.insert("collection", &coll.coll);
    let mut request = bridge::Request::parse(kind, &spec).map_err(|e| e.to_string())?;
    // An operation may run as long as a function call.
    request.deadline = Some(Instant::now() + c.state.engine.time_limit());
    let service = &c.state.service;
    let caller = Caller::new(&c.user, Some(&c.info));
    let values = function_values(&c.deployment, service, caller, &request).await;
    let caller = caller.with_functions(values.as_ref());
    let running = execute_as_user(c.state.data.as_ref(), &c.deployment, service, caller, request)
        .map_err(|e| format!("{} ({})", e.message, e.code))?;
    let result = running.await.map_err(|e| e.message)?.into_bson();
    charge(c, &result)?;
    Ok(result)
}

/// Counts `value`, returned to the request by an operation or a custom resolver, against
/// [`MAX_REQUEST_BYTES`].
pub fn charge(c: &Ctx, value: &Bson) -> Result<(), String> {
    let size = store::budget::value_size(value);
    if c.bytes.fetch_add(size, Ordering::Relaxed) + size > MAX_REQUEST_BYTES {
        return Err(too_large());
    }
    Ok(())
}

/// The error of a request whose operations returned more than [`MAX_REQUEST_BYTES`].
pub fn too_large() -> String {
    format!(
        "the request's operations returned more than {MAX_REQUEST_BYTES} bytes of documents; ask for fewer (limit, a narrower query, fewer relationships)"
    )
}
