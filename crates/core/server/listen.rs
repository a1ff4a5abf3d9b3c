//! The HTTP listener. What `axum::serve` does (hyper's HTTP/1.1 and HTTP/2 on each accepted
//! connection, the peer address as `ConnectInfo`), plus what a server facing the internet
//! needs against a flood of idle or slow connections (slowloris):
//!
//! - a client gets `header_timeout` to send a request's headers, and an idle connection is
//!   closed after as long (before its first bytes by [`speaks`], after them by hyper's header
//!   read timeout, which runs whenever the connection waits for a request; a response being
//!   streamed, such as `watch()`, is not affected); a request's body must arrive within
//!   `body_timeout` of its headers;
//! - one client address holds at most `per_address` connections; past that a new one is
//!   closed at once. Behind a reverse proxy every connection comes from the proxy, so the cap
//!   is off when `--client-address-header` is set;
//! - all connections together stay under the process's file descriptor limit (raised to its
//!   hard maximum at start), less a reserve for worker pipes, the store and outbound sockets:
//!   at the cap the listener waits for a connection to end before it accepts the next, so a
//!   flood costs the files it holds until the header timeout frees them, and nothing else.

use std::{
    future::Future as _,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::{
    Request,
    body::{Body as _, Incoming},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
};
use tokio::{net::TcpListener, sync::Semaphore};

use super::{extract::key_of, throttle::Held};
use tower::ServiceExt as _;

/// File descriptors kept for everything but client connections.
const RESERVED_FDS: u64 = 512;
/// Client connections at most, whatever the file descriptor limit.
const MAX_CONNECTIONS: u64 = 1 << 20;

/// The connection limits of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client has to send a request's headers (and an idle connection stays open).
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive after its headers.
    pub body_timeout: Duration,
    /// Connections one client address may hold at once; `None`: no cap.
    pub per_address: Option<usize>,
}

/// Raises the soft file descriptor limit to the hard one and returns how many client
/// connections fit under it.
fn connection_capacity() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an initialized struct.
    let soft = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            1024
        } else {
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit.rlim_cur = limit.rlim_max;
                }
            }
            limit.rlim_cur
        }
    };
    let capacity = soft.saturating_sub(RESERVED_FDS).clamp(64, MAX_CONNECTIONS);
    capacity as usize
}

/// Keeps a timer due within a second, for as long as the server runs. Every request arms a
/// timer (its header timeout, its call's deadline), and tokio's timer wakes its driver through
/// an `eventfd` write whenever a new timer is due before every timer it already has; with no
/// shorter timer that was every request's first one (two thirds of the calls under load made that
/// system call and the driver's extra turn). One wake-up a second costs nothing by comparison.
async fn timer_anchor() {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
    }
}

/// Serves `router` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, router: Router, limits: ConnectionLimits) -> std::io::Result<()> {
    let capacity = connection_capacity();
    tracing::debug!(capacity, "client connections at most");
    let open = Arc::new(Semaphore::new(capacity));
    // Open connections per client address, keyed as the throttles key it (an IPv6 address by
    // its /64 network, which one host holds).
    let per_address = Arc::new(Held::default());
    tokio::spawn(timer_anchor());
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout);
    loop {
        let permit = open
            .clone()
            .acquire_owned()
            .await
            .map_err(std::io::Error::other)?;
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // A connection that failed before it was accepted, or the process out of
                // files or memory for a moment: go on, after a pause in the second case.
                if !is_connection_error(&e) {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        let slot = match limits.per_address {
            Some(cap) => match per_address.take(vec![(key_of(peer.ip()), cap)]) {
                Ok(slot) => Some(slot),
                Err(_) => {
                    tracing::debug!(%peer, "connection refused: too many from this address");
                    continue;
                }
            },
            None => None,
        };
        let _ = stream.set_nodelay(true);
        let (router, builder) = (router.clone(), builder.clone());
        tokio::spawn(async move {
            if !speaks(&stream, limits.header_timeout).await {
                return;
            }
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let mut request = request.map(|body| match body.is_end_stream() {
                    true => Body::new(body),
                    false => Body::new(Timed::new(body, limits.body_timeout)),
                });
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                router.clone().oneshot(request)
            });
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
            drop((slot, permit));
        });
    }
}

/// A request body that fails when it has not all arrived by its deadline (a body sent slowly
/// on purpose holds its connection only that long). The timer starts only if the body has to
/// be waited for: a body that came with its headers costs one clock read.
struct Timed {
    body: Incoming,
    deadline: tokio::time::Instant,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Timed {
    fn new(body: Incoming, timeout: Duration) -> Self {
        Self {
            body,
            deadline: tokio::time::Instant::now() + timeout,
            timer: None,
        }
    }
}

impl hyper::body::Body for Timed {
    type Data = hyper::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err("the request body did not arrive in time".into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// HTTP/2's connection preface, which tells the two protocols apart.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client sends enough within `timeout` for hyper to tell HTTP/1.1 from HTTP/2
/// (hyper waits for that without a timeout of its own; its header timeout starts after).
async fn speaks(stream: &tokio::net::TcpStream, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut first = [0u8; 24];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
            Ok(Ok(n)) => n,
            _ => return false,
        };
        if n == 0 {
            return false;
        }
        if n == first.len() || first[..n] != H2_PREFACE[..n] {
            return true;
        }
        // A part of the preface: wait for the rest (peek returns at once while data waits).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_is_capped_by_its_network_not_by_each_address() {
        let open = Arc::new(Held::default());
        let take = |ip: &str| {
            let ip: std::net::IpAddr = ip.parse().expect("ip");
            open.take(vec![(key_of(ip), 2)]).ok()
        };
        let first = take("2001:db8:1:2::1").expect("first");
        let _second = take("2001:db8:1:2:ffff::9").expect("second, same /64");
        assert!(take("2001:db8:1:2::1").is_none(), "the /64 is at its cap");
        assert!(take("2001:db8:1:3::1").is_some(), "another /64 is not");
        drop(first);
        assert!(
            take("2001:db8:1:2:ffff::9").is_some(),
            "a place given back is taken again"
        );
    }
}
