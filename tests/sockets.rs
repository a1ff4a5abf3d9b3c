//! `net`, `tls` and `dns` in functions, served by a real `writ serve` against servers started
//! here on real sockets: a TCP echo server, a TLS echo server (a test CA's certificate for
//! `localhost` and 127.0.0.1, `tests/fixtures/tls/`, made with openssl and valid until 2126)
//! and a STARTTLS server. Plays the attacker too: private addresses without the operator's
//! consent, more sockets than a call may hold, a socket left open when the call returns (it
//! must neither keep the call open nor outlive it), a flood hoarded past the memory limit and
//! 25 sockets waited on past the time limit.

mod common;

use std::{
    io::{Read, Write},
    net::TcpListener,
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CA: &str = include_str!("fixtures/tls/ca.pem");
const CERT: &str = include_str!("fixtures/tls/server.pem");
const KEY: &str = include_str!("fixtures/tls/server.key");

/// Answers what it reads in capitals until the peer half-closes.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(&buf[..n].to_ascii_uppercase()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// Answers every datagram with its capitals, from its own port.
fn udp_echo_server() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = socket.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n].to_ascii_uppercase(), from);
        }
    });
    port
}

/// Writes without end to every connection until it breaks; reports each connection's end.
fn flood_server() -> (u16, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let chunk = vec![b'x'; 64 * 1024];
                while stream.write_all(&chunk).is_ok() {}
                let _ = tx.send(());
            });
        }
    });
    (port, rx)
}

/// Accepts connections and never writes; reports each connection's end (EOF or reset).
fn silent_server() -> (u16, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                let _ = tx.send(());
            });
        }
    });
    (port, rx)
}

fn acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs: Vec<CertificateDer> = CertificateDer::pem_slice_iter(CERT.as_bytes())
        .collect::<Result<_, _>>()
        .expect("cert");
    let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).expect("key");
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A TLS echo server (capitals), and with `starttls` a plain greeting first: `220 ready`, then
/// after `STARTTLS` `220 go` and the TLS handshake, as SMTP's STARTTLS goes.
fn tls_server(starttls: bool) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let acceptor = acceptor();
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if starttls {
                        if tcp.write_all(b"220 ready\r\n").await.is_err() {
                            return;
                        }
                        let mut line = [0u8; 10];
                        if tcp.read_exact(&mut line).await.is_err() || &line != b"STARTTLS\r\n" {
                            return;
                        }
                        if tcp.write_all(b"220 go\r\n").await.is_err() {
                            return;
                        }
                    }
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = tls.read(&mut buf).await {
                        if n == 0 || tls.write_all(&buf[..n].to_ascii_uppercase()).await.is_err() {
                            break;
                        }
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
    });
    port
}

fn call(base: &str, token: &str, name: &str, arg: Value) -> (u16, Value) {
    common::call_parsed(base, token, name, arg)
}

const NET: &str = r#"exports = async function ({ echo, closed }) {
  const net = require("net");
  const talk = () => new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.connect(echo, "127.0.0.1", () => {
      s.write("hello ");
      s.end(Buffer.from("world"));
    });
    s.on("data", (d) => chunks.push(d.toString()));
    s.on("end", () => resolve([chunks.join(""), s.bytesRead, s.bytesWritten, s.remoteAddress, s.remotePort === echo]));
    s.on("error", reject);
  });
  const byOptions = await new Promise((resolve, reject) => {
    const s = new net.Socket();
    s.setEncoding("utf8");
    s.connect({ port: echo, host: "localhost" });
    s.once("connect", () => s.end("options"));
    let text = "";
    s.on("data", (d) => (text += d));
    s.on("close", () => resolve([text, s.destroyed]));
    s.on("error", reject);
  });
  const refused = await new Promise((resolve) => {
    net.connect(closed, "127.0.0.1").on("error", (e) => resolve([e.code, e.errno, e.syscall, e.message.startsWith("connect ECONNREFUSED")]));
  });
  const badPort = (() => { try { net.connect(70000); } catch (e) { return e.code; } })();
  const server = (() => { try { net.createServer(); } catch (e) { return e.message; } })();
  return JSON.stringify({ talk: await talk(), byOptions, refused, badPort, server, ip: [net.isIP("10.0.0.1"), net.isIP("::1"), net.isIP("x")] });
};"#;

const LEFT_OPEN: &str = r#"exports = async function ({ silent }) {
  const net = require("net");
  const s = net.connect(silent, "127.0.0.1");
  await new Promise((resolve) => s.once("connect", resolve));
  s.write("nobody answers");
  s.on("data", () => {});
  return "returned";
};"#;

const TOO_MANY: &str = r#"exports = async function ({ silent }) {
  const net = require("net");
  const open = [];
  for (let i = 0; i < 26; i++) {
    const s = net.connect(silent, "127.0.0.1");
    open.push(new Promise((resolve) => {
      s.once("connect", () => resolve("open"));
      s.once("error", (e) => resolve(e.code));
    }));
  }
  const results = await Promise.all(open);
  return JSON.stringify([results.filter((r) => r === "open").length, results.filter((r) => r === "EMFILE").length]);
};"#;

const TLS: &str = r#"exports = async function ({ tlsPort, starttlsPort, ca }) {
  const tls = require("tls");
  const net = require("net");
  const exchange = (options) => new Promise((resolve) => {
    const s = tls.connect(options, () => {
      s.end("secret");
    });
    let text = "";
    s.setEncoding("utf8");
    s.on("data", (d) => (text += d));
    s.on("end", () => resolve({ text, authorized: s.authorized, error: s.authorizationError, protocol: s.getProtocol(), encrypted: s.encrypted, cert: s.getPeerCertificate().raw.length > 100, servername: s.servername }));
    s.on("error", (e) => resolve({ code: e.code }));
  });
  const trusted = await exchange({ host: "localhost", port: tlsPort, ca });
  const byIp = await exchange({ host: "127.0.0.1", port: tlsPort, ca: [Buffer.from(ca)] });
  const unknown = await exchange({ host: "localhost", port: tlsPort });
  const lenient = await exchange({ host: "localhost", port: tlsPort, rejectUnauthorized: false });
  const wrongName = await exchange({ host: "127.0.0.1", port: tlsPort, ca, servername: "example.com" });
  const context = await exchange({ host: "localhost", port: tlsPort, secureContext: tls.createSecureContext({ ca }) });
  const upgraded = await new Promise((resolve, reject) => {
    const plain = net.connect(starttlsPort, "127.0.0.1");
    let greeting = "";
    plain.on("data", function onData(d) {
      greeting += d.toString();
      if (greeting === "220 ready\r\n") plain.write("STARTTLS\r\n");
      if (greeting.endsWith("220 go\r\n")) {
        plain.removeListener("data", onData);
        const secure = tls.connect({ socket: plain, servername: "localhost", ca }, () => secure.end("over tls"));
        let text = "";
        secure.on("data", (x) => (text += x));
        secure.on("end", () => resolve([greeting, text, secure.authorized, secure.encrypted]));
        secure.on("error", reject);
      }
    });
    plain.on("error", reject);
  });
  return JSON.stringify({ trusted, byIp, unknown, lenient, wrongName, context, upgraded });
};"#;

const PRIVATE: &str = r#"exports = async function ({ echo }) {
  const net = require("net");
  const dns = require("dns");
  const refused = (e) => [e.code, e.message];
  const socket = await new Promise((resolve) => net.connect(echo, "127.0.0.1", () => resolve("connected")).on("error", (e) => resolve(refused(e))));
  const named = await new Promise((resolve) => net.connect(echo, "localhost", () => resolve("connected")).on("error", (e) => resolve(refused(e))));
  const metadata = await new Promise((resolve) => require("tls").connect(443, "169.254.169.254", () => resolve("connected")).on("error", (e) => resolve(refused(e))));
  const lookup = await dns.promises.lookup("localhost").then((a) => a.address, refused);
  const udp = await new Promise((resolve) => require("dgram").createSocket("udp4").send("x", echo, "127.0.0.1", (e) => resolve(e ? refused(e) : "sent")));
  return JSON.stringify({ socket, named, metadata, lookup, udp });
};"#;

const DGRAM: &str = r#"exports = async function ({ udp }) {
  const dgram = require("dgram");
  const socket = dgram.createSocket("udp4");
  const reply = new Promise((resolve) => socket.once("message", (msg, rinfo) => resolve([msg.toString(), rinfo.address, rinfo.port === udp, rinfo.size])));
  const sent = await new Promise((resolve, reject) => socket.send("ping", udp, "127.0.0.1", (err, bytes) => (err ? reject(err) : resolve(bytes))));
  const got = await reply;
  const local = socket.address();
  const connected = dgram.createSocket({ type: "udp4" });
  await new Promise((resolve) => connected.connect(udp, "127.0.0.1", resolve));
  const second = new Promise((resolve) => connected.once("message", (m) => resolve(m.toString())));
  connected.send(Buffer.from("xxpongxx"), 2, 4);
  const fixed = (() => { try { dgram.createSocket("udp4").bind(5353); } catch (e) { return e.message; } })();
  const broadcast = (() => { try { socket.setBroadcast(true); } catch (e) { return e.message; } })();
  const result = { sent, got, local: [local.family, local.port > 0], second: await second, fixed, broadcast };
  socket.close();
  connected.close();
  return JSON.stringify(result);
};"#;

const DNS: &str = r#"exports = async function () {
  const dns = require("dns");
  const lookup = await dns.promises.lookup("localhost", { family: 4 });
  const all = await dns.promises.lookup("localhost", { all: true });
  const callback = await new Promise((resolve) => dns.lookup("localhost", 4, (err, address, family) => resolve([err, address, family])));
  const literal = await dns.promises.lookup("127.0.0.1");
  const missing = await dns.promises.lookup("nothing.invalid").catch((e) => [e.code, e.syscall, e.hostname]);
  const badType = (() => { try { dns.resolve("x", "BOGUS", () => {}); } catch (e) { return e.code; } })();
  const servers = (() => { try { dns.setServers(["8.8.8.8"]); } catch (e) { return e.message; } })();
  return JSON.stringify({ lookup, all: all.some((a) => a.address === "127.0.0.1"), callback, literal, missing, badType, servers, promises: typeof require("dns/promises").resolveMx });
};"#;

#[test]
fn sockets_talk_to_real_servers_and_end_with_their_call() {
    let echo = echo_server();
    let (silent, ended) = silent_server();
    let closed = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let functions = [
        ("netAll", NET),
        ("leftOpen", LEFT_OPEN),
        ("tooMany", TOO_MANY),
        ("tlsAll", TLS),
        ("dnsAll", DNS),
        ("dgramAll", DGRAM),
    ];
    let server = common::serve_sample(
        false,
        &functions,
        &["--http-allow-private", "--function-timeout", "20"],
    );
    let base = server.process.base.clone();
    let token = common::anonymous(&base);

    let (status, body) = call(&base, &token, "netAll", json!({"echo": echo, "closed": closed}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["talk"], json!(["HELLO WORLD", 11, 11, "127.0.0.1", true]));
    assert_eq!(body["byOptions"], json!(["OPTIONS", true]));
    assert_eq!(body["refused"], json!(["ECONNREFUSED", -111, "connect", true]));
    assert_eq!(body["badPort"], json!("ERR_SOCKET_BAD_PORT"));
    assert_eq!(
        body["server"],
        json!("net.createServer is not supported by writ: functions cannot accept connections")
    );
    assert_eq!(body["ip"], json!([4, 6, 0]));

    // A socket waiting for data does not keep the call open, and is closed when it ends.
    let started = Instant::now();
    let (status, body) = call(&base, &token, "leftOpen", json!({"silent": silent}));
    assert_eq!((status, body), (200, json!("returned")));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    ended
        .recv_timeout(Duration::from_secs(5))
        .expect("the socket the function left open is closed when its call ends");

    // At most 25 sockets at once per call; the rest fail with EMFILE. All close afterwards.
    let (status, body) = call(&base, &token, "tooMany", json!({"silent": silent}));
    assert_eq!((status, body), (200, json!([25, 1])));
    for _ in 0..25 {
        ended
            .recv_timeout(Duration::from_secs(5))
            .expect("every socket closes with its call");
    }

    let tls_port = tls_server(false);
    let starttls_port = tls_server(true);
    let (status, body) = call(
        &base,
        &token,
        "tlsAll",
        json!({"tlsPort": tls_port, "starttlsPort": starttls_port, "ca": CA}),
    );
    assert_eq!(status, 200, "{body}");
    let trusted = json!({"text": "SECRET", "authorized": true, "error": null, "protocol": "TLSv1.3", "encrypted": true, "cert": true, "servername": "localhost"});
    assert_eq!(body["trusted"], trusted);
    assert_eq!(body["byIp"]["authorized"], json!(true), "{body}");
    assert_eq!(body["byIp"]["servername"], json!(null), "{body}");
    assert_eq!(
        body["unknown"],
        json!({"code": "UNABLE_TO_VERIFY_LEAF_SIGNATURE"})
    );
    assert_eq!(body["lenient"]["text"], json!("SECRET"));
    assert_eq!(body["lenient"]["authorized"], json!(false));
    assert_eq!(body["lenient"]["error"], json!("UNABLE_TO_VERIFY_LEAF_SIGNATURE"));
    assert_eq!(body["wrongName"], json!({"code": "ERR_TLS_CERT_ALTNAME_INVALID"}));
    assert_eq!(body["context"]["authorized"], json!(true), "{body}");
    assert_eq!(
        body["upgraded"],
        json!(["220 ready\r\n220 go\r\n", "OVER TLS", true, true])
    );

    let udp = udp_echo_server();
    let (status, body) = call(&base, &token, "dgramAll", json!({"udp": udp}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sent"], json!(4));
    assert_eq!(body["got"], json!(["PING", "127.0.0.1", true, 4]));
    assert_eq!(body["local"], json!(["IPv4", true]));
    assert_eq!(body["second"], json!("PONG"));
    assert_eq!(
        body["fixed"],
        json!(
            "dgram socket.bind(5353) is not supported by writ: functions may bind only an ephemeral port (0)"
        )
    );
    assert_eq!(
        body["broadcast"],
        json!(
            "dgram socket.setBroadcast is not supported by writ: broadcast and multicast are not available to functions"
        )
    );

    let (status, body) = call(&base, &token, "dnsAll", json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lookup"], json!({"address": "127.0.0.1", "family": 4}));
    assert_eq!(body["all"], json!(true));
    assert_eq!(body["callback"], json!([null, "127.0.0.1", 4]));
    assert_eq!(body["literal"], json!({"address": "127.0.0.1", "family": 4}));
    assert_eq!(
        body["missing"],
        json!(["ENOTFOUND", "getaddrinfo", "nothing.invalid"])
    );
    assert_eq!(body["badType"], json!("ERR_INVALID_ARG_VALUE"));
    assert_eq!(
        body["servers"],
        json!("dns.setServers is not supported by writ: the server's name servers are the operator's choice")
    );
    assert_eq!(body["promises"], json!("function"));
}

#[test]
fn private_addresses_stay_out_of_reach_without_the_operators_consent() {
    let echo = echo_server();
    let server = common::serve_sample(false, &[("private", PRIVATE)], &[]);
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let (status, body) = call(&base, &token, "private", json!({"echo": echo}));
    assert_eq!(status, 200, "{body}");
    for key in ["socket", "named", "metadata", "lookup", "udp"] {
        assert_eq!(body[key][0], json!("EACCES"), "{key}: {body}");
        assert!(
            body[key][1]
                .as_str()
                .is_some_and(|m| m.contains("--http-allow-private")),
            "{key}: {body}"
        );
    }
}

const HOARD: &str = r#"exports = function ({ flood }) {
  const chunks = [];
  const s = require("net").connect(flood, "127.0.0.1");
  s.on("data", (d) => chunks.push(d));
  return new Promise(() => {});
};"#;

const HANG: &str = r#"exports = function ({ silent }) {
  const net = require("net");
  const all = [];
  for (let i = 0; i < 25; i++) {
    const s = net.connect(silent, "127.0.0.1");
    all.push(new Promise((resolve) => s.once("data", resolve)));
  }
  return Promise.all(all);
};"#;

const PROBE: &str = "exports = () => 'still here';";

/// A call that hoards what a socket floods it with, or waits on 25 sockets that never answer,
/// ends with its own limit; its sockets close with it and other calls are answered.
#[test]
fn hostile_sockets_end_with_their_call() {
    let (flood, flood_ended) = flood_server();
    let (silent, silent_ended) = silent_server();
    let functions = [("hoard", HOARD), ("hang", HANG), ("probe", PROBE)];
    // Time enough for a debug build to read 32 MiB one 64 KiB chunk at a time.
    let args = [
        "--http-allow-private",
        "--function-timeout",
        "8",
        "--function-memory",
        "32",
    ];
    let server = common::serve_sample(false, &functions, &args);
    let base = server.process.base.clone();
    let token = common::anonymous(&base);

    let (status, body) = call(&base, &token, "hoard", json!({"flood": flood}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "ExecutionMemoryLimitExceeded", "{body}");
    flood_ended
        .recv_timeout(Duration::from_secs(5))
        .expect("the flooding connection is closed with its call");

    let started = Instant::now();
    let (status, body) = call(&base, &token, "hang", json!({"silent": silent}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "ExecutionTimeLimitExceeded", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    for _ in 0..25 {
        silent_ended
            .recv_timeout(Duration::from_secs(5))
            .expect("every socket of the timed-out call is closed");
    }
    assert_eq!(
        call(&base, &token, "probe", json!({})),
        (200, json!("still here"))
    );
}
