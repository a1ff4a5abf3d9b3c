//! TCP and TLS sockets for functions (`net`, `tls`): the server connects under the operator's
//! policy, and a task per socket reads and writes it on the function's behalf. A socket
//! belongs to the call that opened it: at most [`MAX_SOCKETS`] are open at once, and every
//! one is closed when the call ends, however it ends.
//!
//! Operations: `connect {host, port, tls?}` answers the socket's `id` and addresses (and the
//! TLS session's facts); `read {id}` the next chunk (`{data}`), `{end: true}` at the peer's
//! end, or `{detached: true}` when the socket was handed to TLS; `write {id, data}`; `end {id}`
//! (half-close); `upgrade {id, tls}` (STARTTLS); `close {id}`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use engine::host::{CallInfo, HostError, OpFuture};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::{mpsc, oneshot},
};

use crate::{Policy, tls};

/// How many sockets one call may have open at once (App Services' limit).
pub const MAX_SOCKETS: usize = 25;

/// The most one `read` answers.
const READ_CHUNK: usize = 64 * 1024;

/// A failed socket operation as Node reports it: `code` is the errno name (`ECONNREFUSED`),
/// the message Node's (`connect ECONNREFUSED 127.0.0.1:5432`).
pub(crate) fn net_error(code: &str, message: impl Into<String>) -> HostError {
    HostError {
        name: "Error".into(),
        message: message.into(),
        code: errno(code),
        code_name: Some(code.into()),
    }
}

/// Node's (negative) `errno` for the codes sockets report.
fn errno(code: &str) -> Option<i32> {
    Some(match code {
        "ECONNREFUSED" => -111,
        "ECONNRESET" => -104,
        "ETIMEDOUT" => -110,
        "EPIPE" => -32,
        "ECONNABORTED" => -103,
        "EHOSTUNREACH" => -113,
        "ENETUNREACH" => -101,
        "EADDRNOTAVAIL" => -99,
        "EACCES" => -13,
        "ENOTFOUND" => -3008,
        _ => return None,
    })
}

/// An I/O failure of `syscall` as Node names it.
pub(crate) fn io_error(e: &std::io::Error, syscall: &str, target: &str) -> HostError {
    use std::io::ErrorKind as K;
    let code = match e.kind() {
        K::ConnectionRefused => "ECONNREFUSED",
        K::ConnectionReset => "ECONNRESET",
        K::TimedOut => "ETIMEDOUT",
        K::BrokenPipe => "EPIPE",
        K::ConnectionAborted => "ECONNABORTED",
        K::HostUnreachable => "EHOSTUNREACH",
        K::NetworkUnreachable => "ENETUNREACH",
        K::AddrNotAvailable => "EADDRNOTAVAIL",
        _ => "EIO",
    };
    let target = if target.is_empty() {
        String::new()
    } else {
        format!(" {target}")
    };
    match code {
        "EIO" => net_error(code, format!("{syscall} {code}{target}: {e}")),
        _ => net_error(code, format!("{syscall} {code}{target}")),
    }
}

fn call_ended() -> HostError {
    net_error(
        "ECONNABORTED",
        "the socket was closed because its function call ended",
    )
}

/// A socket's stream, plain or TLS.
enum Conn {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Conn {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf).await,
            Conn::Tls(s) => s.read(buf).await,
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Tcp(s) => s.write_all(data).await,
            Conn::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
        }
    }

    async fn shutdown(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Tcp(s) => s.shutdown().await,
            Conn::Tls(s) => s.shutdown().await,
        }
    }
}

type Reply = oneshot::Sender<Result<Bson, HostError>>;

/// What a function asks of one open socket.
enum Command {
    Read(Reply),
    Write(Vec<u8>, Reply),
    End(Reply),
    Upgrade(Box<tls::TlsSpec>, String, Reply),
}

/// The sockets one call has open, by id.
#[derive(Default)]
pub(crate) struct Sockets(Arc<Mutex<Table>>);

#[derive(Default)]
struct Table {
    next: u32,
    open: HashMap<u32, mpsc::UnboundedSender<Command>>,
}

fn table(call: &CallInfo) -> Arc<Mutex<Table>> {
    call.with_local(|s: &mut Sockets| s.0.clone())
}

fn lock(t: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

/// An integral number of a spec (JavaScript sends numbers as doubles).
pub(crate) fn number(spec: &Document, key: &str) -> Option<i64> {
    match spec.get(key) {
        Some(Bson::Int32(i)) => Some(i64::from(*i)),
        Some(Bson::Int64(i)) => Some(*i),
        Some(Bson::Double(d)) if d.fract() == 0.0 => Some(*d as i64),
        _ => None,
    }
}

fn id_of(spec: &Document) -> Result<u32, HostError> {
    number(spec, "id")
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| HostError::new("internal: the socket operation has no id"))
}

/// The addresses of `host:port` a function may reach: the name checked against the policy,
/// resolved, and the addresses the policy refuses left out. `syscall` names the refusal as
/// Node would (`connect EACCES host:port: ...`).
pub(crate) async fn reachable(
    policy: &Policy,
    host: &str,
    port: u16,
    syscall: &str,
) -> Result<Vec<SocketAddr>, HostError> {
    let target = format!("{host}:{port}");
    policy
        .check_host(host)
        .map_err(|why| net_error("EACCES", format!("{syscall} EACCES {target}: {why}")))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let not_found = || net_error("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}"));
    let found: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|_| not_found())?
        .collect();
    let allowed: Vec<SocketAddr> = found
        .iter()
        .copied()
        .filter(|a| policy.ip_allowed(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Err(if found.is_empty() {
            not_found()
        } else {
            net_error(
                "EACCES",
                format!("{syscall} EACCES {target}: {}", crate::policy::refused(host)),
            )
        });
    }
    Ok(allowed)
}

/// Starts socket operation `kind` of `call`.
pub(crate) fn start(call: &CallInfo, policy: Arc<Policy>, kind: &str, spec: Document) -> OpFuture {
    let ended = call.ended();
    let table = table(call);
    if kind == "connect" {
        let socket_ended = call.ended();
        return Box::pin(async move {
            tokio::select! {
                r = connect(table, policy, spec, socket_ended) => r,
                _ = ended => Err(call_ended()),
            }
        });
    }
    let id = match id_of(&spec) {
        Ok(id) => id,
        Err(e) => return Box::pin(std::future::ready(Err(e))),
    };
    if kind == "close" {
        lock(&table).open.remove(&id);
        return Box::pin(std::future::ready(Ok(Bson::Document(Document::new()))));
    }
    let sender = lock(&table).open.get(&id).cloned();
    let (tx, rx) = oneshot::channel();
    let command = match kind {
        "read" => Command::Read(tx),
        "write" => match spec.get("data") {
            Some(Bson::Binary(b)) => Command::Write(b.bytes.clone(), tx),
            _ => {
                return Box::pin(std::future::ready(Err(HostError::new(
                    "internal: nothing to write",
                ))));
            }
        },
        "end" => Command::End(tx),
        "upgrade" => match tls::TlsSpec::parse(spec.get_document("tls").ok()) {
            Ok(t) => Command::Upgrade(
                Box::new(t),
                spec.get_str("host").unwrap_or_default().to_string(),
                tx,
            ),
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        },
        other => {
            return Box::pin(std::future::ready(Err(HostError::new(format!(
                "internal: unknown socket operation {other}"
            )))));
        }
    };
    Box::pin(async move {
        let closed = || net_error("EPIPE", "This socket has been ended by the other party");
        let sender = sender.ok_or_else(closed)?;
        sender.send(command).map_err(|_| closed())?;
        tokio::select! {
            r = rx => r.unwrap_or_else(|_| Err(closed())),
            _ = ended => Err(call_ended()),
        }
    })
}

async fn connect(
    table: Arc<Mutex<Table>>,
    policy: Arc<Policy>,
    spec: Document,
    ended: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Bson, HostError> {
    let host = spec.get_str("host").unwrap_or("localhost").to_string();
    let port = number(&spec, "port")
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| net_error("ERR_SOCKET_BAD_PORT", "the socket needs a port from 0 to 65535"))?;
    let tls_spec = match spec.get_document("tls") {
        Ok(t) => Some(tls::TlsSpec::parse(Some(t))?),
        Err(_) => None,
    };
    if lock(&table).open.len() >= MAX_SOCKETS {
        return Err(net_error(
            "EMFILE",
            format!("a function may have at most {MAX_SOCKETS} sockets open at once"),
        ));
    }
    let target = format!("{host}:{port}");
    let allowed = reachable(&policy, &host, port, "connect").await?;
    let mut last = None;
    let mut stream = None;
    for addr in &allowed {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(io_error(&e, "connect", &addr.to_string())),
        }
    }
    let Some(tcp) = stream else {
        return Err(
            last.unwrap_or_else(|| net_error("ECONNREFUSED", format!("connect ECONNREFUSED {target}")))
        );
    };
    let _ = tcp.set_nodelay(true);
    let (local, remote) = (tcp.local_addr().ok(), tcp.peer_addr().ok());
    let mut answer = doc! {};
    let conn = match tls_spec {
        Some(t) => {
            let (stream, facts) = tls::handshake(tcp, &host, &t).await?;
            answer.insert("tls", facts);
            Conn::Tls(Box::new(stream))
        }
        None => Conn::Tcp(tcp),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let id = {
        let mut t = lock(&table);
        if t.open.len() >= MAX_SOCKETS {
            return Err(net_error(
                "EMFILE",
                format!("a function may have at most {MAX_SOCKETS} sockets open at once"),
            ));
        }
        t.next += 1;
        let id = t.next;
        t.open.insert(id, tx);
        id
    };
    tokio::spawn(serve(conn, rx, target, ended));
    answer.insert("id", id as i64);
    if let Some(a) = remote {
        answer.insert("remoteAddress", a.ip().to_string());
        answer.insert("remotePort", i32::from(a.port()));
        answer.insert("remoteFamily", if a.is_ipv4() { "IPv4" } else { "IPv6" });
    }
    if let Some(a) = local {
        answer.insert("localAddress", a.ip().to_string());
        answer.insert("localPort", i32::from(a.port()));
    }
    Ok(Bson::Document(answer))
}

/// Runs one socket until the function closes it or its call ends: reads only when the
/// function asked for data, so a paused stream stays paused.
async fn serve(
    conn: Conn,
    mut commands: mpsc::UnboundedReceiver<Command>,
    target: String,
    ended: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(ended);
    let mut conn = Some(conn);
    let mut waiting: Option<Reply> = None;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let reading = waiting.is_some() && conn.is_some();
        tokio::select! {
            _ = &mut ended => return,
            command = commands.recv() => {
                let Some(command) = command else { return };
                match command {
                    Command::Read(reply) => waiting = Some(reply),
                    Command::Write(data, reply) => {
                        let result = match conn.as_mut() {
                            Some(c) => tokio::select! {
                                r = c.write_all(&data) => r.map(|_| Bson::Document(Document::new())).map_err(|e| io_error(&e, "write", "")),
                                _ = &mut ended => return,
                            },
                            None => Err(net_error("EPIPE", "write EPIPE")),
                        };
                        let _ = reply.send(result);
                    }
                    Command::End(reply) => {
                        let result = match conn.as_mut() {
                            Some(c) => c.shutdown().await.map(|_| Bson::Document(Document::new())).map_err(|e| io_error(&e, "shutdown", "")),
                            None => Ok(Bson::Document(Document::new())),
                        };
                        let _ = reply.send(result);
                    }
                    Command::Upgrade(spec, host, reply) => {
                        if let Some(w) = waiting.take() {
                            let _ = w.send(Ok(Bson::Document(doc! {"detached": true})));
                        }
                        let result = match conn.take() {
                            Some(Conn::Tcp(tcp)) => match tokio::select! {
                                r = tls::handshake(tcp, &host, &spec) => r,
                                _ = &mut ended => return,
                            } {
                                Ok((stream, facts)) => {
                                    conn = Some(Conn::Tls(Box::new(stream)));
                                    Ok(Bson::Document(doc! {"tls": facts}))
                                }
                                Err(e) => Err(e),
                            },
                            Some(other) => {
                                conn = Some(other);
                                Err(HostError::new("the socket already uses TLS"))
                            }
                            None => Err(net_error("EPIPE", "the socket is closed")),
                        };
                        let _ = reply.send(result);
                    }
                }
            }
            read = async { match conn.as_mut() { Some(c) => c.read(&mut buf).await, None => std::future::pending().await } }, if reading => {
                let answer = match read {
                    Ok(0) => Ok(Bson::Document(doc! {"end": true})),
                    Ok(n) => Ok(Bson::Document(doc! {"data": Binary { subtype: BinarySubtype::Generic, bytes: buf[..n].to_vec() }})),
                    Err(e) => Err(io_error(&e, "read", &target)),
                };
                if let Some(w) = waiting.take() {
                    let _ = w.send(answer);
                }
            }
        }
    }
}
