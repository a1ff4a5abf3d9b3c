//! `GET .../functions/call?baas_request=<base64 JSON>` (`collection.watch()`): the change
//! events of one collection as server-sent events, from the moment the request arrives, that
//! the caller's read rules let them see (the rule's filter is applied to the document after
//! the change, or before it for a deletion), optionally narrowed to `ids` and a `filter` on the
//! event. The stream ends with an `error` event when the session ends (logout, deletion) or the
//! access token expires.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Query, State as AxumState},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use bridge::{Ns, Op, Request, feed::Start};
use bson::{Bson, Document};
use serde::Deserialize;

use super::{
    ApiError, State,
    extract::{ClientAddress, ThisApp},
    functions::canonical,
};

/// Change streams one user may have open at once (each holds a connection and a reader of
/// the change feed); more get 429.
pub const STREAMS_PER_USER: usize = 10;
/// Change streams one client address may have open at once.
pub const STREAMS_PER_ADDRESS: usize = 100;

/// The query of a streaming call.
#[derive(Deserialize)]
pub struct StreamQuery {
    baas_request: Option<String>,
    baas_at: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameter", message)
}

/// What a watch asks for.
struct Watch {
    ns: Ns,
    ids: Option<Vec<Bson>>,
    filter: Option<store::Filter>,
}

fn parse(state: &State, encoded: &str) -> Result<Watch, ApiError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid("baas_request must be base64"))?;
    let body = super::parse_body(&bytes)?;
    if body.get_str("name").ok() != Some("watch") {
        return Err(invalid("only watch streams"));
    }
    if body.get_str("service").ok() != Some(state.service.as_str()) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ServiceNotFound",
            "service not found",
        ));
    }
    let arg = match body.get_array("arguments").map(Vec::as_slice) {
        Ok([Bson::Document(d)]) => d.clone(),
        _ => return Err(invalid("watch: expected one argument object")),
    };
    let text = |k: &str| {
        arg.get_str(k)
            .map(str::to_string)
            .map_err(|_| invalid(format!("watch: '{k}' must be a string")))
    };
    let ns = Ns {
        db: text("database")?,
        coll: text("collection")?,
    };
    let ids = match arg.get("ids") {
        None | Some(Bson::Null) => None,
        Some(Bson::Array(ids)) => Some(ids.clone()),
        Some(_) => return Err(invalid("watch: 'ids' must be an array")),
    };
    let filter = match arg.get("filter") {
        None | Some(Bson::Null) => None,
        Some(Bson::Document(f)) => {
            Some(store::Filter::parse(f).map_err(|e| invalid(format!("watch: filter: {e}")))?)
        }
        Some(_) => return Err(invalid("watch: 'filter' must be an object")),
    };
    Ok(Watch { ns, ids, filter })
}

/// One server-sent event: `data` with `%`, LF and CR escaped as realm-web expects.
fn frame(kind: Option<&str>, data: &str) -> String {
    let escaped = data.replace('%', "%25").replace('\n', "%0A").replace('\r', "%0D");
    match kind {
        Some(kind) => format!("event: {kind}\ndata: {escaped}\n\n"),
        None => format!("data: {escaped}\n\n"),
    }
}

fn error_frame(code: &str, message: &str) -> String {
    frame(
        Some("error"),
        &serde_json::json!({"error_code": code, "error": message}).to_string(),
    )
}

/// `GET .../functions/call?baas_request=...`.
pub async fn watch(
    AxumState(state): AxumState<Arc<State>>,
    _: ThisApp,
    Query(query): Query<StreamQuery>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = super::extract::bearer(&headers)
        .map(str::to_string)
        .or(query.baas_at)
        .ok_or_else(|| ApiError::invalid_session("invalid session: no access token"))?;
    let verified = state.callers.verify(&token, &state.tokens, &state.users).await?;
    let encoded = query
        .baas_request
        .ok_or_else(|| invalid("a streaming call needs baas_request"))?;
    let watch = parse(&state, &encoded)?;
    let user = verified.user.clone();
    // Held by the stream's task: given back when the stream ends.
    let slot = state.streams.enter(&user.id, &address)?;
    let deployment = state.deployment();
    // The caller's read rule for the collection, as the filter a find would get.
    let probe = Request {
        op: Op::Find {
            ns: watch.ns.clone(),
            filter: Document::new(),
            projection: None,
            sort: None,
            skip: None,
            limit: None,
        },
        session: None,
        deadline: None,
        validation: None,
    };
    let mut info = super::endpoints::request_info(&headers, "", &address, "watch");
    info.service = state.service.clone();
    let caller = bridge::rules::Caller::new(&user, Some(&info));
    let values = bridge::rules::function_values(&deployment, &state.service, caller, &probe).await;
    let caller = caller.with_functions(values.as_ref());
    let readable = match bridge::rules::authorize_call(&deployment, &state.service, caller, probe) {
        Ok((_, Some(_))) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "PermissionDenied",
                "watch() on a collection whose field rules or filter projections hide fields is not supported by writ yet",
            ));
        }
        Ok((
            Request {
                op: Op::Find { filter, .. },
                ..
            },
            None,
        )) => store::Filter::parse(&filter).map_err(|e| ApiError::internal("watch rules", e))?,
        Ok(_) => return Err(ApiError::internal("watch rules", "unexpected request")),
        Err(e) => return Err(ApiError::new(StatusCode::FORBIDDEN, e.code, e.message)),
    };
    let mut changes = state
        .data
        .subscribe(Start::Now)
        .map_err(|e| ApiError::bad_request("MongoDBError", e.message))?;
    let expires = verified.claims.exp;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(16);
    let state = state.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let mut check = tokio::time::interval(Duration::from_secs(5));
        loop {
            let event = tokio::select! {
                e = changes.recv() => e,
                _ = check.tick() => {
                    let now = chrono::Utc::now().timestamp();
                    let live = now < expires
                        && state.callers.verify(&token, &state.tokens, &state.users).await.is_ok();
                    if !live {
                        let _ = tx.send(Ok(error_frame("InvalidSession", "the session ended or its access token expired"))).await;
                        return;
                    }
                    if tx.send(Ok(":\n\n".into())).await.is_err() {
                        return;
                    }
                    continue;
                }
                _ = tx.closed() => return,
            };
            let event = match event {
                Some(Ok(e)) => e,
                Some(Err(e)) => {
                    let _ = tx.send(Ok(error_frame("MongoDBError", &e.message))).await;
                    return;
                }
                None => return,
            };
            if let Some(event) = visible(&watch, &readable, event)
                && tx
                    .send(Ok(frame(None, &canonical(Bson::Document(event)).to_string())))
                    .await
                    .is_err()
            {
                return;
            }
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// The event as the watcher sees it, if the watch and the rules let them.
fn visible(watch: &Watch, readable: &store::Filter, mut event: Document) -> Option<Document> {
    let ns = event.get_document("ns").ok()?;
    if ns.get_str("db").ok()? != watch.ns.db || ns.get_str("coll").ok()? != watch.ns.coll {
        return None;
    }
    let before = event.remove("fullDocumentBeforeChange");
    let document = match event.get("fullDocument") {
        Some(Bson::Document(d)) => d.clone(),
        _ => match before {
            Some(Bson::Document(d)) => d,
            _ => return None,
        },
    };
    if !readable.matches(&document) {
        return None;
    }
    if let Some(ids) = &watch.ids {
        let key = event.get_document("documentKey").ok()?.get("_id")?;
        if !ids.iter().any(|id| store::order::equal(id, key)) {
            return None;
        }
    }
    if let Some(filter) = &watch.filter
        && !filter.matches(&event)
    {
        return None;
    }
    Some(event)
}
