//! The load generator: N keep-alive HTTP/1.1 connections (hyper), each sending its next request
//! as soon as the previous answer is read, until a fixed number of requests has been answered.

use std::{
    cell::Cell,
    rc::Rc,
    time::{Duration, Instant},
};

use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes, client::conn::http1};
use hyper_util::rt::TokioIo;

/// One request to send: method, path, bearer token and JSON body.
#[derive(Clone, Debug)]
pub struct Target {
    /// `host:port` to connect to.
    pub addr: String,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The request path.
    pub path: String,
    /// A body template; `{n}` is replaced by the request's sequence number.
    pub body: String,
    /// The access token of each connection, in turn (empty: no Authorization header).
    pub tokens: Vec<String>,
}

/// What one measured run produced.
#[derive(Debug, Default)]
pub struct Run {
    /// Latency of every answered request.
    pub latencies: Vec<Duration>,
    /// Wall time from the first request to the last answer.
    pub wall: Duration,
}

impl Run {
    /// Answered requests per second.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
}

type Sender = http1::SendRequest<Full<Bytes>>;

/// Opens one keep-alive connection to `addr`.
pub async fn connect(addr: &str) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request on `sender`; returns the status and the body.
pub async fn send(
    sender: &mut Sender,
    target: &Target,
    token: Option<&str>,
    body: String,
) -> anyhow::Result<(u16, Bytes)> {
    sender.ready().await?;
    let mut request = Request::builder()
        .method(target.method)
        .uri(&target.path)
        .header("host", &target.addr)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// Sends `requests` requests to `target` over `connections` connections; every answer must be
/// 200. Runs on the caller's `LocalSet`, so the generator uses one core whatever it measures.
pub async fn run(target: &Target, connections: usize, requests: usize) -> anyhow::Result<Run> {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(connect(&target.addr).await?);
    }
    let next = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, mut sender) in senders.into_iter().enumerate() {
        let (next, target) = (next.clone(), target.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let token = target.tokens.get(i % target.tokens.len().max(1)).cloned();
            let mut latencies = Vec::with_capacity(requests / connections + 1);
            loop {
                let n = next.get();
                if n >= requests {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                next.set(n + 1);
                let body = target.body.replace("{n}", &n.to_string());
                let sent = Instant::now();
                let (status, answer) = send(&mut sender, &target, token.as_deref(), body).await?;
                if status != 200 {
                    anyhow::bail!(
                        "{} {} answered {status}: {}",
                        target.method,
                        target.path,
                        String::from_utf8_lossy(&answer)
                    );
                }
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut run = Run::default();
    for task in tasks {
        run.latencies.extend(task.await??);
    }
    run.wall = start.elapsed();
    run.latencies.sort_unstable();
    Ok(run)
}

/// The `q` quantile (0..=1) of sorted latencies.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}
