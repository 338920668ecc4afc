//! The async HTTP client (`mcp_smol::http`) against the scriptable test
//! server (`mcp_tests::httpd`): responses and their framing, streaming,
//! keep-alive, aborts, and each kind of failure.
//!
//! Most tests run under `futures_lite::future::block_on`; some under
//! `smol::block_on` and an `async_executor` (smol's `Executor`), since the
//! client must not care which. Every wait is bounded by `LIMIT`.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::net::{Ipv4Addr, TcpListener};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use async_io::Timer;
use mcp_proto::http::{
    ExchangeId, HttpEvent, HttpFailure, HttpFailureKind, HttpHead, HttpMethod, HttpRequest,
};
use mcp_smol::http::{certificates_from_pem, HttpClient, HttpSettings};
use mcp_tests::eventually;
use mcp_tests::httpd::{Reply, Request, TestServer};
use serde_json::json;

/// The longest any test waits for anything.
const LIMIT: Duration = Duration::from_secs(10);

/// An event as the sink saw it, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Head(HttpHead),
    Body(Vec<u8>),
    End,
    Failed(HttpFailure),
}

impl Ev {
    fn from(e: HttpEvent<'_>) -> Ev {
        match e {
            HttpEvent::Head(h) => Ev::Head(h),
            HttpEvent::Body(b) => Ev::Body(b.to_vec()),
            HttpEvent::End => Ev::End,
            HttpEvent::Failed(f) => Ev::Failed(f),
        }
    }
}

/// `fut`, panicking if it takes longer than `LIMIT`.
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    futures_lite::future::or(fut, async {
        Timer::after(LIMIT).await;
        panic!("not done within {LIMIT:?}")
    })
    .await
}

/// Runs `fut` to completion on `futures_lite`'s `block_on`, bounded.
fn block_on<T>(fut: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(bounded(fut))
}

fn request(method: HttpMethod, url: &str) -> HttpRequest {
    HttpRequest {
        id: ExchangeId(1),
        method,
        url: url.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn get(url: &str) -> HttpRequest {
    request(HttpMethod::Get, url)
}

fn client() -> HttpClient {
    HttpClient::new(&HttpSettings::default()).expect("a client with the default settings")
}

/// Performs `req` and collects its events.
async fn perform(client: &HttpClient, req: HttpRequest) -> Vec<Ev> {
    let mut events = Vec::new();
    client.perform(req, |e| events.push(Ev::from(e))).await;
    events
}

/// Checks the shape of a complete exchange (one head, bodies, one `End`)
/// and returns the head and the body.
fn complete(events: &[Ev]) -> (HttpHead, Vec<u8>) {
    let Some(Ev::Head(head)) = events.first() else {
        panic!("no head first: {events:?}");
    };
    assert_eq!(events.last(), Some(&Ev::End), "{events:?}");
    let mut body = Vec::new();
    for e in &events[1..events.len() - 1] {
        match e {
            Ev::Body(b) => body.extend_from_slice(b),
            _ => panic!("not a body chunk between head and end: {events:?}"),
        }
    }
    (head.clone(), body)
}

/// The failure that ends `events`, checking it is the only terminal event.
fn failed(events: &[Ev]) -> HttpFailure {
    let terminals = events
        .iter()
        .filter(|e| matches!(e, Ev::End | Ev::Failed(_)))
        .count();
    assert_eq!(terminals, 1, "{events:?}");
    match events.last() {
        Some(Ev::Failed(f)) => f.clone(),
        _ => panic!("not a failure: {events:?}"),
    }
}

/// Polls `fut` until `until` holds, then returns, dropping (aborting) it.
/// Panics if the exchange finishes first or nothing happens within `LIMIT`.
fn drive_until(fut: impl Future<Output = ()>, mut until: impl FnMut() -> bool) {
    let mut fut = pin!(fut);
    block_on(poll_fn(|cx| {
        if fut.as_mut().poll(cx).is_ready() {
            panic!("the exchange finished before the condition held");
        }
        if until() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
}

/// A server whose handler also notes which connection each request came
/// on (the test server serves each connection on a thread of its own,
/// named after it).
fn server_noting_connections(
    tls: bool,
    reply: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
) -> (TestServer, Arc<Mutex<Vec<String>>>) {
    let conns = Arc::new(Mutex::new(Vec::new()));
    let noted = Arc::clone(&conns);
    let handler = move |req: &Request| {
        let mut conns = noted.lock().unwrap();
        conns.push(std::thread::current().name().unwrap_or("?").to_owned());
        let n = conns.len();
        drop(conns);
        reply(req, n)
    };
    let server = if tls {
        TestServer::start_tls(handler)
    } else {
        TestServer::start(handler)
    };
    (server, conns)
}

fn distinct(conns: &Mutex<Vec<String>>) -> usize {
    let mut c = conns.lock().unwrap().clone();
    c.sort();
    c.dedup();
    c.len()
}

#[test]
fn json_response_and_the_request_as_sent() {
    let server = TestServer::start(|req| {
        Reply::json(200, &json!({ "got": req.json() })).header("Mcp-Session-Id", "abc")
    });
    let client = client();
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec();
    let mut req = request(HttpMethod::Post, &server.url("/mcp?x=1"));
    req.headers = vec![
        ("Content-Type".into(), "application/json".into()),
        (
            "Accept".into(),
            "application/json, text/event-stream".into(),
        ),
        ("Authorization".into(), "Bearer t0ken".into()),
    ];
    req.body = body.clone();

    let events = block_on(perform(&client, req));
    let (head, got) = complete(&events);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("mcp-session-id"), Some("abc"));
    let got: serde_json::Value = serde_json::from_slice(&got).expect("a JSON body");
    assert_eq!(
        got,
        json!({ "got": { "jsonrpc": "2.0", "id": 1, "method": "ping" } })
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/mcp?x=1");
    assert_eq!(r.body, body);
    let port = server.addr().port();
    assert_eq!(r.header("host"), Some(format!("127.0.0.1:{port}").as_str()));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("mcp-smol/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        r.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(r.header("transfer-encoding"), None);
}

#[test]
fn get_and_delete_without_a_body_and_the_requests_own_user_agent() {
    let server = TestServer::start(|req| match req.method.as_str() {
        "GET" => Reply::text(200, "got"),
        _ => Reply::status(204),
    });
    let client = client();
    let mut req = get(&server.url("/mcp"));
    req.headers = vec![("User-Agent".into(), "mine/1".into())];
    let (head, body) = complete(&block_on(perform(&client, req)));
    assert_eq!((head.status, body.as_slice()), (200, &b"got"[..]));

    let events = block_on(perform(
        &client,
        request(HttpMethod::Delete, &server.url("/mcp")),
    ));
    let (head, body) = complete(&events);
    assert_eq!(head.status, 204);
    assert!(body.is_empty());

    let requests = server.requests();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].header("user-agent"), Some("mine/1"));
    assert_eq!(
        requests[0]
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
            .count(),
        1
    );
    assert_eq!(requests[1].method, "DELETE");
    for r in &requests {
        assert_eq!(r.header("content-length"), None, "{r:?}");
        assert_eq!(r.header("transfer-encoding"), None, "{r:?}");
        assert!(r.body.is_empty());
    }
}

#[test]
fn a_chunk_arrives_while_the_stream_is_still_open() {
    // The stream never ends: the first event can only be seen if it is
    // delivered as it arrives, not buffered until the end.
    let server = TestServer::start(|_| Reply::sse(200).event("one").hang());
    let client = client();
    let events = RefCell::new(Vec::new());
    drive_until(
        client.perform(get(&server.url("/sse")), |e| {
            events.borrow_mut().push(Ev::from(e))
        }),
        || events.borrow().len() >= 2,
    );
    let events = events.into_inner();
    let Ev::Head(head) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(events[1..], [Ev::Body(b"data: one\n\n".to_vec())]);
}

#[test]
fn sse_chunks_with_delays_come_in_order_then_the_end() {
    let server = TestServer::start(|_| {
        Reply::sse(200)
            .event("one")
            .delay(Duration::from_millis(100))
            .event("two")
            .delay(Duration::from_millis(100))
            .event("three")
    });
    let client = client();
    // Under smol's own block_on this time.
    let events = smol::block_on(bounded(perform(&client, get(&server.url("/sse")))));
    let (head, body) = complete(&events);
    assert_eq!(head.status, 200);
    assert_eq!(body, b"data: one\n\ndata: two\n\ndata: three\n\n");
    // The delays separate the events: none waited for a later one.
    assert!(events.len() >= 5, "{events:?}");
    assert_eq!(events[1], Ev::Body(b"data: one\n\n".to_vec()));
}

#[test]
fn each_chunk_is_delivered_before_the_next_is_sent() {
    // The server waits far longer than the test allows between events: the
    // client must hand over each one on arrival.
    let server = TestServer::start(|_| {
        Reply::sse(200)
            .event("one")
            .delay(Duration::from_millis(200))
            .event("two")
            .delay(Duration::from_secs(60))
            .event("three")
    });
    let client = client();
    let events = RefCell::new(Vec::new());
    drive_until(
        client.perform(get(&server.url("/sse")), |e| {
            events.borrow_mut().push(Ev::from(e))
        }),
        || {
            let events = events.borrow();
            let body: Vec<u8> = events
                .iter()
                .filter_map(|e| match e {
                    Ev::Body(b) => Some(b.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
            body == b"data: one\n\ndata: two\n\n"
        },
    );
    assert!(!events
        .borrow()
        .iter()
        .any(|e| matches!(e, Ev::End | Ev::Failed(_))));
}

#[test]
fn keep_alive_reuses_one_connection() {
    let (server, conns) = server_noting_connections(false, |req, n| match n % 3 {
        1 => Reply::json(200, &json!({ "n": n })),
        2 => Reply::sse(200).event(&format!("n={n}")),
        _ => Reply::status(if req.method == "DELETE" { 204 } else { 202 }),
    });
    let client = client();
    for i in 0..6 {
        let method = if i % 2 == 0 {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        let (head, _) = complete(&block_on(perform(
            &client,
            request(method, &server.url("/mcp")),
        )));
        assert!((200..300).contains(&head.status));
    }
    assert_eq!(server.requests().len(), 6);
    assert_eq!(distinct(&conns), 1, "{:?}", conns.lock().unwrap());
    assert_eq!(server.open_connections(), 1);

    // Clones share the pool.
    let clone = client.clone();
    complete(&block_on(perform(&clone, get(&server.url("/mcp")))));
    assert_eq!(distinct(&conns), 1);
}

#[test]
fn connection_close_is_not_reused() {
    let (server, conns) = server_noting_connections(false, |_, n| {
        if n == 1 {
            Reply::text(200, "bye").header("Connection", "close")
        } else {
            Reply::text(200, "hi")
        }
    });
    let client = client();
    let (_, body) = complete(&block_on(perform(&client, get(&server.url("/")))));
    assert_eq!(body, b"bye");
    let (_, body) = complete(&block_on(perform(&client, get(&server.url("/")))));
    assert_eq!(body, b"hi");
    assert_eq!(distinct(&conns), 2);

    // A request saying `Connection: close` goes on the kept connection,
    // which is not reused after it.
    let mut req = get(&server.url("/"));
    req.headers = vec![("Connection".into(), "close".into())];
    complete(&block_on(perform(&client, req)));
    complete(&block_on(perform(&client, get(&server.url("/")))));
    let conns = conns.lock().unwrap().clone();
    assert_eq!(conns.len(), 4);
    assert_eq!(conns[2], conns[1], "{conns:?}");
    assert_ne!(conns[3], conns[2], "{conns:?}");
    assert_ne!(conns[3], conns[0], "{conns:?}");
}

#[test]
fn a_pooled_connection_the_server_closed_is_not_used() {
    // The first response is complete (its terminating chunk is there) but
    // the server closes the connection right after it without saying so.
    let (server, conns) = server_noting_connections(false, |_, n| {
        if n == 1 {
            Reply::sse(200).event("one").raw("0\r\n\r\n").cut()
        } else {
            Reply::text(200, "fresh")
        }
    });
    let client = client();
    let (_, body) = complete(&block_on(perform(&client, get(&server.url("/")))));
    assert_eq!(body, b"data: one\n\n");
    assert!(eventually(LIMIT, || server.open_connections() == 0));
    let (_, body) = complete(&block_on(perform(&client, get(&server.url("/")))));
    assert_eq!(body, b"fresh");
    assert_eq!(distinct(&conns), 2);
}

#[test]
fn dropping_the_future_aborts_and_closes_the_connection() {
    let (server, conns) = server_noting_connections(false, |_, n| {
        if n == 1 {
            Reply::sse(200)
                .event("one")
                .delay(Duration::from_millis(50))
                .event("two")
                .hang()
        } else {
            Reply::text(200, "next")
        }
    });
    let client = client();
    let events = RefCell::new(Vec::new());
    drive_until(
        client.perform(get(&server.url("/sse")), |e| {
            events.borrow_mut().push(Ev::from(e))
        }),
        || events.borrow().iter().any(|e| matches!(e, Ev::Body(_))),
    );
    // Nothing terminal was reported: the exchange was dropped mid-stream.
    assert!(!events
        .borrow()
        .iter()
        .any(|e| matches!(e, Ev::End | Ev::Failed(_))));
    assert!(
        eventually(LIMIT, || server.open_connections() == 0),
        "the server still has the aborted connection open"
    );
    // The aborted connection was not pooled: the next request opens another.
    let (_, body) = complete(&block_on(perform(&client, get(&server.url("/")))));
    assert_eq!(body, b"next");
    assert_eq!(distinct(&conns), 2);
}

#[test]
fn connection_refused_is_a_connect_failure() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        listener.local_addr().expect("its address").port()
    };
    let events = block_on(perform(
        &client(),
        get(&format!("http://127.0.0.1:{port}/mcp")),
    ));
    assert_eq!(events.len(), 1, "{events:?}");
    let f = failed(&events);
    assert_eq!(f.kind, HttpFailureKind::Connect, "{f}");
    assert!(f.message.contains(&port.to_string()), "{f}");
}

#[test]
fn an_untrusted_certificate_is_a_tls_failure() {
    let server = TestServer::start_tls(|_| Reply::text(200, "secret"));
    // The default roots (Mozilla's) do not include the self-signed one.
    let events = block_on(perform(&client(), get(&server.url("/mcp"))));
    assert_eq!(events.len(), 1, "{events:?}");
    let f = failed(&events);
    assert_eq!(f.kind, HttpFailureKind::Tls, "{f}");
    assert!(f.message.contains("certificate"), "{f}");
    assert!(server.requests().is_empty());
}

#[test]
fn a_trusted_custom_root_works_and_keeps_the_connection() {
    let (server, conns) =
        server_noting_connections(true, |_, n| Reply::sse(200).event(&format!("n={n}")));
    let settings = HttpSettings {
        root_certificates: vec![server.cert_der().expect("a TLS server's certificate")],
        ..HttpSettings::default()
    };
    let client = HttpClient::new(&settings).expect("a client trusting the test server");
    assert!(server.url("/").starts_with("https://localhost:"));
    for n in 1..=3 {
        let (head, body) = complete(&block_on(perform(&client, get(&server.url("/mcp")))));
        assert_eq!(head.status, 200);
        assert_eq!(body, format!("data: n={n}\n\n").as_bytes());
    }
    assert_eq!(distinct(&conns), 1);

    // The same root from PEM.
    let pem = server.cert_pem().expect("a TLS server's certificate");
    let roots = certificates_from_pem(pem.as_bytes()).expect("a certificate");
    assert_eq!(roots, settings.root_certificates);
    let client = HttpClient::new(&HttpSettings {
        root_certificates: roots,
        ..HttpSettings::default()
    })
    .expect("a client");
    complete(&block_on(perform(&client, get(&server.url("/mcp")))));
}

#[test]
fn certificates_and_settings_that_are_not_usable() {
    assert!(certificates_from_pem(b"").is_err());
    assert!(certificates_from_pem(b"not pem at all").is_err());
    let bad = HttpSettings {
        root_certificates: vec![b"not DER".to_vec()],
        ..HttpSettings::default()
    };
    assert!(HttpClient::new(&bad).is_err());
    let default = HttpSettings::default();
    assert_eq!(default.connect_timeout, Duration::from_secs(10));
    assert!(default.root_certificates.is_empty());
    assert_eq!(default.user_agent, None);
}

#[test]
fn redirects_are_not_followed() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/old" => Reply::text(302, "moved").header("Location", "/new"),
        _ => Reply::text(200, "new"),
    });
    let events = block_on(perform(&client(), get(&server.url("/old"))));
    let (head, body) = complete(&events);
    assert_eq!(head.status, 302);
    assert_eq!(head.header("location"), Some("/new"));
    assert_eq!(body, b"moved");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn error_statuses_are_responses() {
    let server = TestServer::start(|_| Reply::json(404, &json!({ "error": "gone" })));
    let (head, body) = complete(&block_on(perform(&client(), get(&server.url("/")))));
    assert_eq!(head.status, 404);
    assert_eq!(body, br#"{"error":"gone"}"#);
}

#[test]
fn a_cut_mid_body_fails_with_io_after_the_head() {
    let server = TestServer::start(|_| Reply::sse(200).event("one").cut());
    let events = block_on(perform(&client(), get(&server.url("/sse"))));
    assert!(
        matches!(&events[0], Ev::Head(h) if h.status == 200),
        "{events:?}"
    );
    assert_eq!(events[1], Ev::Body(b"data: one\n\n".to_vec()));
    let f = failed(&events);
    assert_eq!(f.kind, HttpFailureKind::Io, "{f}");
}

#[test]
fn a_cut_before_the_response_fails_with_io() {
    // The test server always sends a head; this one reads the request and
    // closes the connection without a word.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("its address").port();
    let closer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("a connection");
        let mut buf = [0u8; 1024];
        // Read the request head, then close without answering.
        let _ = std::io::Read::read(&mut conn, &mut buf);
    });
    let events = block_on(perform(
        &client(),
        get(&format!("http://127.0.0.1:{port}/")),
    ));
    closer.join().expect("the closing thread");
    let f = failed(&events);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(f.kind, HttpFailureKind::Io, "{f}");
}

#[test]
fn a_body_delimited_by_the_close_ends_normally() {
    // No Content-Length and no chunks: the body lasts until the server
    // closes the connection.
    let server = TestServer::start(|_| {
        Reply::text(200, "")
            .header("Transfer-Encoding", "identity")
            .raw("all of it")
            .cut()
    });
    let (head, body) = complete(&block_on(perform(&client(), get(&server.url("/")))));
    assert_eq!(head.status, 200);
    assert_eq!(body, b"all of it");
}

#[test]
fn unusable_urls_fail_without_connecting() {
    for url in ["ftp://127.0.0.1/x", "not a url", "http:///path"] {
        let events = block_on(perform(&client(), get(url)));
        let f = failed(&events);
        assert_eq!(events.len(), 1, "{url}: {events:?}");
        assert_eq!(f.kind, HttpFailureKind::Other, "{url}: {f}");
    }
}

#[test]
fn concurrent_exchanges_on_an_executor() {
    let server = TestServer::start(|req| {
        Reply::sse(200)
            .event(&req.path)
            .delay(Duration::from_millis(100))
            .event("done")
    });
    let client = client();
    let ex = smol::Executor::new();
    let results = Arc::new(Mutex::new(Vec::new()));
    let finished = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            let url = server.url(&format!("/s{i}"));
            let results = Arc::clone(&results);
            let finished = Arc::clone(&finished);
            // The future must be Send to go on a multi-threaded executor.
            ex.spawn(async move {
                let events = perform(&client, get(&url)).await;
                results.lock().unwrap().push((i, events));
                finished.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    futures_lite::future::block_on(ex.run(bounded(async {
        for t in tasks {
            t.await;
        }
    })));
    assert_eq!(finished.load(Ordering::SeqCst), 4);
    for (i, events) in results.lock().unwrap().iter() {
        let (_, body) = complete(events);
        assert_eq!(body, format!("data: /s{i}\n\ndata: done\n\n").as_bytes());
    }
    // They ran at once, on four connections, all kept for reuse.
    assert!(eventually(LIMIT, || server.open_connections() == 4));
}
