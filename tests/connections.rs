//! A flood of connections, as an attacker opens them against a real `writ serve`: idle and
//! slow (slowloris) connections are closed at the header timeout, a body sent slowly ends at
//! the body timeout, one address cannot hold more than its share of connections while
//! another address is served, and a change stream (`watch()`) is not cut by the header timeout.

mod common;

use std::{
    io::{BufRead, Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use common::{APP, serve_sample};
use serde_json::json;

/// A connection to `base` from the loopback address `from` (e.g. 127.0.0.2).
fn connect_from(base: &str, from: &str) -> TcpStream {
    let to: SocketAddr = base.trim_start_matches("http://").parse().expect("address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(format!("{from}:0").parse().expect("from"))
            .expect("bind");
        socket.connect(to).await.expect("connect")
    });
    let stream = stream.into_std().expect("std");
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Whether the server closed `stream` (a read sees the end) within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).expect("timeout");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Sends a GET of the app's location on `stream` and returns the status.
fn location(stream: &mut TcpStream) -> u16 {
    let request = format!("GET {APP}/location HTTP/1.1\r\nHost: writ\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut line = String::new();
    std::io::BufReader::new(stream.try_clone().expect("clone"))
        .read_line(&mut line)
        .expect("status line");
    common::status_of(&line)
}

#[test]
fn idle_and_slow_connections_are_closed_at_the_header_timeout_but_a_watch_is_not() {
    let server = serve_sample(false, &[], &["--header-timeout", "1"]);
    let base = &server.process.base;

    // Headers that never end (slowloris).
    let mut slow = connect_from(base, "127.0.0.1");
    slow.write_all(format!("POST {APP}/functions/call HTTP/1.1\r\nHost: writ\r\nX-A: 1\r\n").as_bytes())
        .expect("send");
    // A connection that sends nothing.
    let mut silent = connect_from(base, "127.0.0.1");
    // A keep-alive connection left idle after one answered request.
    let mut idle = connect_from(base, "127.0.0.1");
    assert_eq!(location(&mut idle), 200);

    // A change stream outlives the header timeout and still delivers.
    let token = common::anonymous(base);
    let (stream, status) = common::open_stream(base, &token, "custom-user-data-database", "custom-user-data");
    assert_eq!(status, 200);

    let started = Instant::now();
    for (what, conn) in [("slow", &mut slow), ("silent", &mut silent), ("idle", &mut idle)] {
        assert!(
            closed_within(conn, Duration::from_secs(5)),
            "the {what} connection stays open"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    std::thread::sleep(Duration::from_millis(1500));
    let body = json!({"name": "writeCustomUserData", "arguments": [{"favoriteColor": "teal"}]});
    let (status, _) = common::request(base, &format!("{APP}/functions/call"), Some(&token), &body);
    assert_eq!(status, 200);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut seen = String::new();
    let mut reader = std::io::BufReader::new(stream);
    while !seen.contains("teal") {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("the stream delivers");
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&line);
    }
}

#[test]
fn one_address_cannot_hold_every_connection() {
    let server = serve_sample(false, &[], &["--max-connections-per-address", "20"]);
    let base = &server.process.base;
    let mut held: Vec<TcpStream> = (0..20).map(|_| connect_from(base, "127.0.0.1")).collect();
    assert_eq!(location(&mut held[0]), 200, "within the cap, served");

    let mut over = connect_from(base, "127.0.0.1");
    assert!(
        closed_within(&mut over, Duration::from_secs(3)),
        "the address's 21st connection is closed at once"
    );
    let mut other = connect_from(base, "127.0.0.2");
    assert_eq!(location(&mut other), 200, "another address is served meanwhile");

    // A connection that ends gives its place back.
    held.pop();
    let mut again = None;
    for _ in 0..50 {
        let mut next = connect_from(base, "127.0.0.1");
        next.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let request = format!("GET {APP}/location HTTP/1.1\r\nHost: writ\r\n\r\n");
        if next.write_all(request.as_bytes()).is_ok() {
            let mut line = String::new();
            if std::io::BufReader::new(next.try_clone().expect("clone"))
                .read_line(&mut line)
                .is_ok_and(|n| n > 0)
            {
                again = Some(common::status_of(&line));
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(again, Some(200), "a freed place is taken again");
}

#[test]
fn a_body_sent_slowly_on_purpose_ends_at_the_body_timeout() {
    let server = serve_sample(false, &[], &["--body-timeout", "1"]);
    let base = &server.process.base;
    let token = common::anonymous(base);
    let mut slow = connect_from(base, "127.0.0.1");
    let head = format!(
        "POST {APP}/functions/call HTTP/1.1\r\nHost: writ\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": "
    );
    slow.write_all(head.as_bytes()).expect("send");
    let started = Instant::now();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"error_code\""), "{answer}");

    // A body that arrives in time, in pieces, is read as usual.
    let mut paced = connect_from(base, "127.0.0.1");
    let body = json!({"name": "hello", "arguments": ["pieces"]}).to_string();
    let head = format!(
        "POST {APP}/functions/call HTTP/1.1\r\nHost: writ\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    paced.write_all(head.as_bytes()).expect("send");
    let (first, rest) = body.split_at(10);
    paced.write_all(first.as_bytes()).expect("send");
    std::thread::sleep(Duration::from_millis(300));
    paced.write_all(rest.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = paced.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Hello, pieces!"), "{answer}");
}
