//! The local control socket. `writ serve` on the embedded store holds the store's file, so a
//! second process cannot open it; it therefore listens on `<data>/writ.sock` (a Unix socket,
//! mode 0600, and each peer's user checked: only the server's user, who could open the store,
//! or root connects)
//! and `writ call` runs its function in the running server through it. Nothing here is
//! reachable over the network.

use std::{
    os::unix::fs::{FileTypeExt as _, PermissionsExt as _},
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context as _;
use axum::{Json, Router, extract::State as Shared, routing::post};
use bson::Bson;
use engine::{Invocation, LogLevel, User};
use http_body_util::BodyExt as _;
use serde::{Deserialize, Serialize};

use super::State;

/// The socket's file name in the data directory.
pub const SOCKET: &str = "writ.sock";

/// A call `writ call` asks the running server to make.
#[derive(Debug, Serialize, Deserialize)]
pub struct CallRequest {
    /// The app directory `writ call` was given: it must be the one the server serves.
    pub app: PathBuf,
    /// The function's name.
    pub function: String,
    /// The arguments, an array in canonical EJSON.
    pub args: serde_json::Value,
    /// Run as this stored user (`--user-id`).
    pub user_id: Option<String>,
    /// Run as this user (`--user-json`, already parsed).
    pub user: Option<User>,
}

/// What the call did: its log lines, then its result (relaxed EJSON) or its error.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CallAnswer {
    /// `(log | warn | error, message)` for each console line.
    pub logs: Vec<(String, String)>,
    /// The function's result.
    pub result: Option<serde_json::Value>,
    /// Why there is no result.
    pub error: Option<String>,
    /// The thrown error's stack, when the function threw.
    pub stack: Option<String>,
}

/// Listens on `data`'s control socket for calls to `state`, which serves `app`.
pub async fn listen(state: Arc<State>, data: &Path, app: PathBuf) -> anyhow::Result<()> {
    let path = data.join(SOCKET);
    // A socket left by a server that was killed: the store's lock says no server runs now.
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let app = std::fs::canonicalize(&app).unwrap_or(app);
    let router = Router::new().route("/call", post(call)).with_state((state, app));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(OwnerOnly(listener), router).await {
            tracing::error!("the control socket stopped: {e}");
        }
    });
    Ok(())
}

/// The control socket's listener. The socket's mode lets only its owner connect, but it is
/// set just after `bind`, and an operator may loosen the directory or the socket: so each
/// connection's peer is checked too, and one from another user (not the server's user, not
/// root) is closed unanswered.
struct OwnerOnly(tokio::net::UnixListener);

impl axum::serve::Listener for OwnerOnly {
    type Io = tokio::net::UnixStream;
    type Addr = tokio::net::unix::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        loop {
            let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
            match stream.peer_cred() {
                Ok(peer) if peer.uid() == me || peer.uid() == 0 => return (stream, addr),
                Ok(peer) => tracing::warn!(
                    uid = peer.uid(),
                    "the control socket refused a connection from another user"
                ),
                Err(e) => tracing::warn!("the control socket refused a connection: {e}"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

async fn call(
    Shared((state, app)): Shared<(Arc<State>, PathBuf)>,
    Json(req): Json<CallRequest>,
) -> Json<CallAnswer> {
    Json(run(&state, &app, req).await.unwrap_or_else(|e| CallAnswer {
        error: Some(format!("{e:#}")),
        ..CallAnswer::default()
    }))
}

async fn run(state: &State, app: &Path, req: CallRequest) -> anyhow::Result<CallAnswer> {
    let asked = std::fs::canonicalize(&req.app).unwrap_or(req.app);
    anyhow::ensure!(
        asked == app,
        "the writ serve holding this data directory serves {}, not {}",
        app.display(),
        asked.display()
    );
    let args = match Bson::try_from(req.args).context("the arguments are not EJSON")? {
        Bson::Array(items) => items,
        _ => anyhow::bail!("the arguments must be an array"),
    };
    let deployment = state.deployment();
    let user = match (req.user_id, req.user) {
        (Some(id), _) => super::stored_user(state.data.clone(), &deployment, &state.app_id, &id)
            .await?
            .with_context(|| {
                format!(
                    "no user with id {id} in this app's data (use --user-json for one that does not exist)"
                )
            })?,
        (None, Some(user)) => user,
        (None, None) => User::system(),
    };
    let outcome = state
        .engine
        .call(Invocation::new(req.function, args, user))
        .await
        .map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))?;
    let mut answer = CallAnswer {
        logs: outcome
            .logs
            .into_iter()
            .map(|l| (tag(l.level).into(), l.message))
            .collect(),
        ..CallAnswer::default()
    };
    match outcome.result {
        Ok(value) => answer.result = Some(value.into_relaxed_extjson()),
        Err(ex) => {
            answer.error = Some(format!("{ex} (FunctionExecutionError)"));
            answer.stack = Some(ex.stack).filter(|s| !s.is_empty());
        }
    }
    Ok(answer)
}

/// The tag `writ call` prints before a log line.
pub fn tag(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Info => "log",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

/// Sends `request` to the server listening on `data`'s control socket.
pub async fn send(data: &Path, request: &CallRequest) -> anyhow::Result<CallAnswer> {
    let path = data.join(SOCKET);
    let stream = tokio::net::UnixStream::connect(&path)
        .await
        .with_context(|| format!("no writ serve answers on {}", path.display()))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let body = serde_json::to_vec(request)?;
    let http = hyper::Request::post("/call")
        .header("host", "writ")
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))?;
    let response = sender.send_request(http).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.is_success(),
        "the server answered {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok(serde_json::from_slice(&bytes)?)
}
