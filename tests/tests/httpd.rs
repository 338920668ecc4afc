//! The scriptable test HTTP server (`mcp_tests::httpd`) itself, driven by a
//! raw `TcpStream` client (and a rustls client for HTTPS): framing,
//! keep-alive, streaming steps, faults, connection accounting and a
//! bounded shutdown.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_tests::eventually;
use mcp_tests::httpd::{Reply, Request, TestServer};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::json;

/// How long a test client waits for any one read before failing (so a
/// broken server fails the test instead of hanging it).
const READ_LIMIT: Duration = Duration::from_secs(10);
/// How long to wait for the server to notice a closed connection.
const SETTLE: Duration = Duration::from_secs(5);

/// A response as the raw client read it.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body, de-chunked.
    body: Vec<u8>,
    /// Each chunk's data, for a chunked body.
    chunks: Vec<Vec<u8>>,
    /// Whether the body ended properly (the terminating chunk, or
    /// `Content-Length` bytes); false if the stream ended first.
    complete: bool,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

/// One line without its CRLF; `None` at end of stream.
fn line(r: &mut impl BufRead) -> Option<String> {
    let mut buf = Vec::new();
    match r.read_until(b'\n', &mut buf) {
        Ok(0) => None,
        Ok(_) => {
            assert!(buf.ends_with(b"\r\n"), "a line ending in CRLF: {buf:?}");
            buf.truncate(buf.len() - 2);
            Some(String::from_utf8(buf).expect("a UTF-8 line"))
        }
        // A TLS stream cut without close_notify ends with an error.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
        Err(e) => panic!("reading a line: {e}"),
    }
}

/// Reads one response (status line, headers, body). A HEAD response or a
/// 204 has no body.
fn read_response(r: &mut impl BufRead, head: bool) -> Response {
    let status_line = line(r).expect("a status line");
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status: u16 = parts
        .next()
        .expect("a status")
        .parse()
        .expect("a numeric status");
    let mut headers = Vec::new();
    loop {
        let l = line(r).expect("a header line");
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(": ").expect("a header line");
        headers.push((k.to_string(), v.to_string()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
        chunks: Vec::new(),
        complete: true,
    };
    if head || status == 204 || status == 304 {
        return response;
    }
    if response.header("transfer-encoding") == Some("chunked") {
        response.complete = false;
        for _ in 0..10_000 {
            let Some(size_line) = line(r) else {
                return response;
            };
            let size = usize::from_str_radix(&size_line, 16).expect("a hex chunk size");
            if size == 0 {
                assert_eq!(line(r).as_deref(), Some(""), "no trailers");
                response.complete = true;
                return response;
            }
            let mut data = vec![0; size];
            r.read_exact(&mut data).expect("a whole chunk");
            assert_eq!(line(r).as_deref(), Some(""), "CRLF after the chunk");
            response.body.extend_from_slice(&data);
            response.chunks.push(data);
        }
        panic!("too many chunks");
    }
    let n: usize = response
        .header("content-length")
        .expect("Content-Length or chunked")
        .parse()
        .expect("a numeric Content-Length");
    response.body = vec![0; n];
    r.read_exact(&mut response.body).expect("the whole body");
    response
}

/// Whether the stream is at its end (EOF, or an error from a cut TLS
/// stream or a reset), reading at most `READ_LIMIT`.
fn at_eof(r: &mut impl Read) -> bool {
    let mut byte = [0u8; 1];
    match r.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
    }
}

/// A plain connection to `server`, reads bounded by `READ_LIMIT`.
fn connect(server: &TestServer) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(server.addr()).expect("connect to the test server");
    stream
        .set_read_timeout(Some(READ_LIMIT))
        .expect("a read timeout");
    BufReader::new(stream)
}

fn send(conn: &mut BufReader<TcpStream>, request: &str) {
    let stream = conn.get_mut();
    stream
        .write_all(request.as_bytes())
        .expect("send a request");
    stream.flush().expect("flush");
}

/// A server that answers every request with 200 "ok".
fn ok_server() -> TestServer {
    TestServer::start(|_| Reply::text(200, "ok"))
}

#[test]
fn url_and_addr() {
    let server = ok_server();
    let addr = server.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        server.url("/mcp"),
        format!("http://127.0.0.1:{}/mcp", addr.port())
    );
    assert_eq!(
        server.url("mcp?x=1"),
        format!("http://127.0.0.1:{}/mcp?x=1", addr.port())
    );
    assert_eq!(server.cert_pem(), None);
    assert_eq!(server.cert_der(), None);
    assert_eq!(server.open_connections(), 0);
    assert!(server.requests().is_empty());
}

#[test]
fn json_reply_and_the_recorded_request() {
    let server = TestServer::start(|req: &Request| {
        let got = req.json().unwrap_or(json!(null));
        Reply::json(200, &json!({ "echo": got, "path": req.path })).header("Mcp-Session-Id", "abc")
    });
    let mut conn = connect(&server);
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    send(
        &mut conn,
        &format!(
            "POST /mcp?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let response = read_response(&mut conn, false);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("mcp-session-id"), Some("abc"));
    let echoed: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(
        echoed,
        json!({ "echo": {"jsonrpc":"2.0","id":1,"method":"ping"}, "path": "/mcp?x=1" })
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/mcp?x=1");
    assert_eq!(req.header("CONTENT-TYPE"), Some("application/json"));
    assert_eq!(
        req.header("accept"),
        Some("application/json, text/event-stream")
    );
    assert_eq!(req.header("x-missing"), None);
    assert_eq!(req.body, body.as_bytes());
    assert_eq!(
        req.json(),
        Some(json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
    );
}

#[test]
fn status_text_and_no_content_replies() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/missing" => Reply::status(404),
        "/accepted" => Reply::status(202),
        "/gone" => Reply::status(204),
        _ => Reply::text(200, "hello").header("Content-Type", "text/x-test"),
    });
    let mut conn = connect(&server);
    send(&mut conn, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!((r.status, r.header("content-length")), (404, Some("0")));
    assert_eq!(r.header("content-type"), None);
    send(&mut conn, "GET /accepted HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!((r.status, r.header("content-length")), (202, Some("0")));
    send(&mut conn, "DELETE /gone HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!((r.status, r.header("content-length")), (204, None));
    send(&mut conn, "GET /text HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/x-test"));
    assert_eq!(r.text(), "hello");
    send(&mut conn, "HEAD /text HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, true);
    assert_eq!((r.status, r.header("content-length")), (200, Some("5")));
    // The HEAD response had no body: the connection is still in step.
    send(&mut conn, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).status, 404);
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn sse_with_several_events_and_delays() {
    let pause = Duration::from_millis(30);
    let server = TestServer::start(move |_| {
        Reply::sse(200)
            .header("Mcp-Session-Id", "s1")
            .event("one")
            .delay(pause)
            .event("two\nlines")
            .delay(pause)
            .event(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#)
    });
    let mut conn = connect(&server);
    send(
        &mut conn,
        "POST /mcp HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Length: 2\r\n\r\n{}",
    );
    let r = read_response(&mut conn, false);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("mcp-session-id"), Some("s1"));
    assert!(r.complete, "the stream ends with the terminating chunk");
    let chunks: Vec<String> = r
        .chunks
        .iter()
        .map(|c| String::from_utf8(c.clone()).expect("UTF-8"))
        .collect();
    assert_eq!(
        chunks,
        [
            "data: one\n\n",
            "data: two\ndata: lines\n\n",
            "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
        ]
    );
    // The connection is still usable afterwards.
    send(&mut conn, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(read_response(&mut conn, false).complete);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_reply_with_steps_is_chunked_with_its_body_first() {
    let server = TestServer::start(|_| {
        Reply::json(200, &json!({"a": 1}))
            .chunk("more")
            .chunk("")
            .chunk(b"\x00bytes".to_vec())
    });
    let mut conn = connect(&server);
    send(&mut conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.complete);
    assert_eq!(
        r.chunks,
        [
            b"{\"a\":1}".to_vec(),
            b"more".to_vec(),
            b"\x00bytes".to_vec()
        ]
    );
}

#[test]
fn chunked_request_body() {
    let server = TestServer::start(|req| Reply::text(200, &req.body.len().to_string()));
    let mut conn = connect(&server);
    send(
        &mut conn,
        "POST /mcp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
         Content-Type: application/json\r\n\r\n\
         5\r\n{\"a\":\r\n\
         A;ext=1\r\n [1,2,3]}\n\r\n\
         0\r\nX-Trailer: yes\r\n\r\n",
    );
    let r = read_response(&mut conn, false);
    assert_eq!(r.text(), "15");
    // The chunked body was read exactly: the next request is in step.
    send(
        &mut conn,
        "POST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(read_response(&mut conn, false).text(), "0");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, b"{\"a\": [1,2,3]}\n");
    assert_eq!(requests[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(requests[0].header("x-trailer"), None);
    assert_eq!(requests[1].path, "/two");
    assert!(requests[1].body.is_empty());
}

#[test]
fn expect_continue_is_answered() {
    let server = TestServer::start(|req| Reply::text(200, &String::from_utf8_lossy(&req.body)));
    let mut conn = connect(&server);
    send(
        &mut conn,
        "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    );
    assert_eq!(line(&mut conn).as_deref(), Some("HTTP/1.1 100 Continue"));
    assert_eq!(line(&mut conn).as_deref(), Some(""));
    send(&mut conn, "body");
    assert_eq!(read_response(&mut conn, false).text(), "body");
}

#[test]
fn keep_alive_two_requests_on_one_connection() {
    let server = TestServer::start(|req| Reply::text(200, &req.path));
    let mut conn = connect(&server);
    send(&mut conn, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    let first = read_response(&mut conn, false);
    send(
        &mut conn,
        "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    );
    let second = read_response(&mut conn, false);
    assert_eq!(
        (first.text(), second.text()),
        (String::from("/one"), String::from("/two"))
    );
    assert_eq!(first.header("connection"), None);
    assert_eq!(server.open_connections(), 1, "both on the one connection");
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/one", "/two"]);

    drop(conn);
    assert!(eventually(SETTLE, || server.open_connections() == 0));
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = TestServer::start(|req| Reply::text(200, &req.path));
    let mut conn = connect(&server);
    send(
        &mut conn,
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let texts: Vec<String> = (0..3)
        .map(|_| read_response(&mut conn, false).text())
        .collect();
    assert_eq!(texts, ["/a", "/b", "/c"]);
    assert!(
        at_eof(&mut conn),
        "closed after the Connection: close request"
    );
}

#[test]
fn connection_close_ends_the_connection() {
    let server = ok_server();
    let mut conn = connect(&server);
    send(
        &mut conn,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let r = read_response(&mut conn, false);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.text(), "ok");
    assert!(at_eof(&mut conn));
    assert!(eventually(SETTLE, || server.open_connections() == 0));

    // HTTP/1.0 closes by default, and stays open when asked.
    let mut conn = connect(&server);
    send(&mut conn, "GET / HTTP/1.0\r\n\r\n");
    assert_eq!(
        read_response(&mut conn, false).header("connection"),
        Some("close")
    );
    assert!(at_eof(&mut conn));
    let mut conn = connect(&server);
    send(
        &mut conn,
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    read_response(&mut conn, false);
    send(
        &mut conn,
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    assert_eq!(read_response(&mut conn, false).text(), "ok");

    // A reply may close the connection itself.
    let server = TestServer::start(|_| Reply::status(200).header("Connection", "close"));
    let mut conn = connect(&server);
    send(&mut conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        read_response(&mut conn, false).header("connection"),
        Some("close")
    );
    assert!(at_eof(&mut conn));
}

#[test]
fn cut_ends_the_stream_without_the_terminating_chunk() {
    let server = TestServer::start(|_| {
        Reply::sse(200)
            .event("first")
            .chunk("data: hal")
            .cut()
            .event("never sent")
    });
    let mut conn = connect(&server);
    send(&mut conn, "GET /mcp HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!(r.status, 200);
    assert!(!r.complete, "no terminating chunk");
    assert_eq!(
        r.chunks,
        [b"data: first\n\n".to_vec(), b"data: hal".to_vec()]
    );
    assert!(at_eof(&mut conn));
    assert!(eventually(SETTLE, || server.open_connections() == 0));
}

#[test]
fn reset_ends_the_connection_with_a_tcp_reset() {
    let server = TestServer::start(|_| Reply::sse(200).event("first").reset().event("never"));
    let mut conn = connect(&server);
    send(&mut conn, "GET /mcp HTTP/1.1\r\nHost: x\r\n\r\n");
    // Read whatever arrived; the connection then fails with a reset, not
    // an orderly end of stream.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let err = loop {
        match conn.get_mut().read(&mut buf) {
            Ok(0) => panic!("an orderly end of stream, not a reset"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    assert!(String::from_utf8_lossy(&got).contains("data: first"));
    assert!(eventually(SETTLE, || server.open_connections() == 0));
}

#[test]
fn raw_bytes_break_the_framing() {
    let server = TestServer::start(|_| Reply::sse(200).event("ok").raw("zz\r\n").cut());
    let mut conn = connect(&server);
    send(&mut conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    line(&mut conn).expect("the status line");
    while !line(&mut conn).expect("a header line").is_empty() {}
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest)
        .expect("the rest, up to the cut");
    assert_eq!(rest, b"a\r\ndata: ok\n\n\r\nzz\r\n");
}

#[test]
fn hang_ends_when_the_client_closes() {
    let server = TestServer::start(|_| Reply::sse(200).event("hello").hang());
    let mut conn = connect(&server);
    send(&mut conn, "GET /mcp HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(line(&mut conn).as_deref(), Some("HTTP/1.1 200 OK"));
    while !line(&mut conn).expect("a header line").is_empty() {}
    assert_eq!(line(&mut conn).as_deref(), Some("d"));
    assert_eq!(server.open_connections(), 1);

    // Nothing more comes while the connection is open.
    conn.get_ref()
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("a read timeout");
    let mut rest = Vec::new();
    let err = conn.read_to_end(&mut rest).expect_err("the read times out");
    assert!(matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ));
    assert_eq!(rest, b"data: hello\n\n\r\n");
    assert_eq!(server.open_connections(), 1);

    drop(conn);
    assert!(
        eventually(SETTLE, || server.open_connections() == 0),
        "the server noticed the client closing"
    );
}

#[test]
fn a_long_delay_ends_when_the_client_closes() {
    let server = TestServer::start(|_| {
        Reply::sse(200)
            .event("hello")
            .delay(Duration::from_secs(600))
            .event("late")
    });
    let mut conn = connect(&server);
    send(&mut conn, "GET /mcp HTTP/1.1\r\nHost: x\r\n\r\n");
    line(&mut conn).expect("the status line");
    assert_eq!(server.open_connections(), 1);
    conn.get_ref().shutdown(Shutdown::Both).expect("close");
    drop(conn);
    assert!(eventually(SETTLE, || server.open_connections() == 0));
}

#[test]
fn dropping_the_server_with_hanging_connections_is_bounded() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/hang" => Reply::sse(200).event("x").hang(),
        "/slow" => Reply::sse(200).event("x").delay(Duration::from_secs(600)),
        _ => Reply::text(200, "ok"),
    });
    let mut hanging = connect(&server);
    send(&mut hanging, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
    line(&mut hanging).expect("the status line");
    let mut slow = connect(&server);
    send(&mut slow, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    line(&mut slow).expect("the status line");
    let mut idle = connect(&server);
    send(&mut idle, "GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
    read_response(&mut idle, false);
    let mut partial = connect(&server);
    send(
        &mut partial,
        "POST /partial HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
    );
    let mut silent = connect(&server);
    assert!(eventually(SETTLE, || server.open_connections() == 5));

    let started = Instant::now();
    drop(server);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "dropping the server took {took:?}"
    );

    // Every client sees its connection end.
    for conn in [
        &mut hanging,
        &mut slow,
        &mut idle,
        &mut partial,
        &mut silent,
    ] {
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
        assert!(at_eof(conn));
    }
}

#[test]
fn a_malformed_request_gets_a_400() {
    let server = ok_server();
    for bad in [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
    ] {
        let mut conn = connect(&server);
        send(&mut conn, bad);
        let r = read_response(&mut conn, false);
        assert_eq!(r.status, 400, "{bad:?}");
        assert_eq!(r.header("connection"), Some("close"));
        assert!(at_eof(&mut conn));
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_panicking_handler_gets_a_500_and_fails_the_drop() {
    let server = TestServer::start(|_| panic!("handler assertion"));
    let mut conn = connect(&server);
    send(&mut conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = read_response(&mut conn, false);
    assert_eq!(r.status, 500);
    assert!(r.text().contains("handler assertion"), "{}", r.text());
    assert!(at_eof(&mut conn));
    let dropped = panic::catch_unwind(AssertUnwindSafe(move || drop(server)));
    let payload = dropped.expect_err("dropping the server panics");
    let message = payload.downcast_ref::<String>().expect("a message");
    assert!(message.contains("handler assertion"), "{message}");
}

// HTTPS

type TlsConn = BufReader<StreamOwned<ClientConnection, TcpStream>>;

fn tls_client(roots: RootCertStore) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn trusting(server: &TestServer) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(
            server.cert_der().expect("a TLS server"),
        ))
        .expect("the server's certificate as a root");
    tls_client(roots)
}

fn tls_connect(server: &TestServer, config: Arc<ClientConfig>, name: &str) -> TlsConn {
    let tcp = TcpStream::connect(server.addr()).expect("connect to the test server");
    tcp.set_read_timeout(Some(READ_LIMIT))
        .expect("a read timeout");
    let name = ServerName::try_from(name.to_string()).expect("a server name");
    let session = ClientConnection::new(config, name).expect("a TLS client session");
    BufReader::new(StreamOwned::new(session, tcp))
}

fn tls_send(conn: &mut TlsConn, request: &str) -> io::Result<()> {
    let stream = conn.get_mut();
    stream.write_all(request.as_bytes())?;
    stream.flush()
}

#[test]
fn tls_with_the_trusted_self_signed_certificate() {
    let server = TestServer::start_tls(|req| {
        Reply::json(200, &json!({ "path": req.path, "body": req.json() }))
    });
    let port = server.addr().port();
    assert_eq!(server.url("/mcp"), format!("https://localhost:{port}/mcp"));
    let pem = server.cert_pem().expect("a PEM certificate");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(!server.cert_der().expect("a DER certificate").is_empty());

    let config = trusting(&server);
    for name in ["localhost", "127.0.0.1"] {
        let mut conn = tls_connect(&server, Arc::clone(&config), name);
        for path in ["/one", "/two"] {
            tls_send(
                &mut conn,
                &format!(
                    "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\n\r\n[1,2,3]"
                ),
            )
            .expect("send over TLS");
            let r = read_response(&mut conn, false);
            assert_eq!(r.status, 200);
            let body: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
            assert_eq!(body, json!({ "path": path, "body": [1, 2, 3] }));
        }
    }
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn tls_sse_cut_and_hang() {
    let server = TestServer::start_tls(|req| match req.path.as_str() {
        "/cut" => Reply::sse(200)
            .event("a")
            .delay(Duration::from_millis(10))
            .event("b")
            .cut(),
        _ => Reply::sse(200).event("a").hang(),
    });
    let config = trusting(&server);
    let mut conn = tls_connect(&server, Arc::clone(&config), "localhost");
    tls_send(&mut conn, "GET /cut HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("send");
    let r = read_response(&mut conn, false);
    assert!(!r.complete);
    assert_eq!(r.chunks, [b"data: a\n\n".to_vec(), b"data: b\n\n".to_vec()]);

    let mut conn = tls_connect(&server, config, "localhost");
    tls_send(&mut conn, "GET /hang HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("send");
    assert_eq!(line(&mut conn).as_deref(), Some("HTTP/1.1 200 OK"));
    assert!(eventually(SETTLE, || server.open_connections() == 1));
    conn.get_mut().conn.send_close_notify();
    let _ = conn.get_mut().flush();
    drop(conn);
    assert!(eventually(SETTLE, || server.open_connections() == 0));
}

#[test]
fn a_client_with_the_public_roots_rejects_the_certificate() {
    let server = TestServer::start_tls(|_| Reply::status(200));
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut conn = tls_connect(&server, tls_client(roots), "localhost");
    let sent = tls_send(&mut conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let mut buf = Vec::new();
    let err = match sent {
        Err(e) => e,
        Ok(()) => conn.read_to_end(&mut buf).expect_err("the handshake fails"),
    };
    let tls_error = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("a TLS error, not {err:?}"));
    assert!(
        matches!(
            tls_error,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        ),
        "{tls_error:?}"
    );
    drop(conn);
    assert!(server.requests().is_empty());
    assert!(eventually(SETTLE, || server.open_connections() == 0));
}
