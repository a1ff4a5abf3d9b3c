//! UDP sockets for functions (`dgram`): the server binds an ephemeral port and sends and
//! receives datagrams on the function's behalf, under the operator's policy (every
//! destination checked). A socket belongs to the call that opened it: at most
//! [`crate::MAX_SOCKETS`] at once, closed when the call ends.
//!
//! Operations: `udpBind {family}` answers the socket's `id`, `address` and `port`; `udpSend {id,
//! data, host, port}` the bytes sent; `udpRecv {id}` the next datagram (`{data, address,
//! family, port}`); `udpClose {id}`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use engine::host::{CallInfo, HostError, OpFuture};
use tokio::net::UdpSocket;

use crate::{
    MAX_SOCKETS, Policy,
    net::{io_error, net_error, number, reachable},
};

/// The largest datagram a function receives (UDP's own limit).
const MAX_DATAGRAM: usize = 65_535;

/// The UDP sockets one call has open, by id.
#[derive(Default)]
pub(crate) struct Datagrams(Arc<Mutex<Table>>);

#[derive(Default)]
struct Table {
    next: u32,
    open: HashMap<u32, Arc<UdpSocket>>,
}

fn lock(t: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

fn ready(result: Result<Bson, HostError>) -> OpFuture {
    Box::pin(std::future::ready(result))
}

/// Starts UDP operation `kind` of `call`.
pub(crate) fn start(call: &CallInfo, policy: Arc<Policy>, kind: &str, spec: Document) -> OpFuture {
    let table = call.with_local(|d: &mut Datagrams| d.0.clone());
    let ended = call.ended();
    if kind == "udpBind" {
        let v6 = number(&spec, "family") == Some(6);
        return Box::pin(async move {
            if lock(&table).open.len() >= MAX_SOCKETS {
                return Err(net_error(
                    "EMFILE",
                    format!("a function may have at most {MAX_SOCKETS} UDP sockets open at once"),
                ));
            }
            let any = if v6 { "[::]:0" } else { "0.0.0.0:0" };
            let socket = UdpSocket::bind(any)
                .await
                .map_err(|e| io_error(&e, "bind", any))?;
            let local = socket.local_addr().map_err(|e| io_error(&e, "bind", any))?;
            let mut t = lock(&table);
            t.next += 1;
            let id = t.next;
            t.open.insert(id, Arc::new(socket));
            Ok(Bson::Document(doc! {
                "id": i64::from(id),
                "address": local.ip().to_string(),
                "port": i32::from(local.port()),
            }))
        });
    }
    let Some(id) = number(&spec, "id").and_then(|i| u32::try_from(i).ok()) else {
        return ready(Err(HostError::new("internal: the UDP operation has no id")));
    };
    if kind == "udpClose" {
        lock(&table).open.remove(&id);
        return ready(Ok(Bson::Document(Document::new())));
    }
    let Some(socket) = lock(&table).open.get(&id).cloned() else {
        return ready(Err(net_error("ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running")));
    };
    match kind {
        "udpSend" => {
            let host = spec.get_str("host").unwrap_or("localhost").to_string();
            let port = number(&spec, "port").and_then(|p| u16::try_from(p).ok());
            let data = match spec.get("data") {
                Some(Bson::Binary(b)) => b.bytes.clone(),
                _ => Vec::new(),
            };
            Box::pin(async move {
                let port =
                    port.ok_or_else(|| net_error("ERR_SOCKET_BAD_PORT", "the datagram needs a port"))?;
                let target = format!("{host}:{port}");
                let v6 = socket.local_addr().is_ok_and(|l| l.is_ipv6());
                let to = reachable(&policy, &host, port, "send")
                    .await?
                    .into_iter()
                    .find(|a| a.is_ipv6() == v6)
                    .ok_or_else(|| net_error("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}")))?;
                tokio::select! {
                    sent = socket.send_to(&data, to) => sent
                        .map(|n| Bson::Document(doc! {"bytes": n as i64}))
                        .map_err(|e| io_error(&e, "send", &target)),
                    _ = ended => Err(net_error("ECONNABORTED", "the function call ended")),
                }
            })
        }
        "udpRecv" => Box::pin(async move {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            tokio::select! {
                got = socket.recv_from(&mut buf) => {
                    let (n, from) = got.map_err(|e| io_error(&e, "recvmsg", ""))?;
                    buf.truncate(n);
                    Ok(Bson::Document(doc! {
                        "data": Binary { subtype: BinarySubtype::Generic, bytes: buf },
                        "address": from.ip().to_string(),
                        "family": if from.is_ipv4() { "IPv4" } else { "IPv6" },
                        "port": i32::from(from.port()),
                    }))
                }
                _ = ended => Err(net_error("ECONNABORTED", "the function call ended")),
            }
        }),
        other => ready(Err(HostError::new(format!(
            "internal: unknown UDP operation {other}"
        )))),
    }
}
