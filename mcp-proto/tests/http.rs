//! The core over HTTP, driven by hand: every request it asks for is
//! inspected and answered by the test, on a virtual clock.

mod common;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use common::{obj, outcome};
use mcp_proto::http::{
    ExchangeId, HttpError, HttpEvent, HttpFailure, HttpFailureKind, HttpHead, HttpMethod,
    HttpOptions, HttpRequest,
};
use mcp_proto::methods::{CallTool, ListTools};
use mcp_proto::model::{CallToolRequestParams, PaginatedRequestParams};
use mcp_proto::{
    CallId, CloseReason, Config, EraPreference, Event, HandshakeError, HttpTransport, Output,
    ProtocolVersion, RequestError, RequestOptions, ViolationKind,
};
use serde_json::{json, Value};

const URL: &str = "http://127.0.0.1:9/mcp";

struct Rig {
    client: mcp_proto::Client,
    now: Instant,
    start: Instant,
    pending: VecDeque<HttpRequest>,
    aborted: Vec<ExchangeId>,
    events: Vec<Event>,
    transport_closed: bool,
}

impl Rig {
    fn new(cfg: Config) -> Rig {
        Rig::with(cfg, HttpOptions::new(URL))
    }

    fn with(cfg: Config, opts: HttpOptions) -> Rig {
        let now = Instant::now();
        let client = mcp_proto::Client::new_http(cfg, opts, now).expect("a valid URL");
        let mut r = Rig {
            client,
            now,
            start: now,
            pending: VecDeque::new(),
            aborted: Vec::new(),
            events: Vec::new(),
            transport_closed: false,
        };
        r.drain();
        r
    }

    fn drain(&mut self) {
        while let Some(out) = self.client.poll_output() {
            match out {
                Output::Http(r) => self.pending.push_back(r),
                Output::AbortHttp(id) => {
                    self.pending.retain(|r| r.id != id);
                    self.aborted.push(id);
                }
                Output::Event(e) => self.events.push(e),
                Output::CloseTransport => self.transport_closed = true,
                Output::Transmit(b) => panic!(
                    "an HTTP client wrote bytes: {}",
                    String::from_utf8_lossy(&b)
                ),
            }
        }
    }

    /// The oldest request not yet taken.
    fn take(&mut self) -> HttpRequest {
        self.pending
            .pop_front()
            .unwrap_or_else(|| panic!("no request pending; events: {:#?}", self.events))
    }

    fn none_pending(&self) {
        assert!(
            self.pending.is_empty(),
            "unexpected requests: {:#?}",
            self.pending
        );
    }

    fn event(&mut self, id: ExchangeId, e: HttpEvent<'_>) {
        self.client.handle_http(self.now, id, e).expect("accepted");
        self.drain();
    }

    fn head(&mut self, id: ExchangeId, status: u16, headers: &[(&str, &str)]) {
        let head = HttpHead {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        self.event(id, HttpEvent::Head(head));
    }

    fn body(&mut self, id: ExchangeId, text: &str) {
        self.event(id, HttpEvent::Body(text.as_bytes()));
    }

    fn end(&mut self, id: ExchangeId) {
        self.event(id, HttpEvent::End);
    }

    /// A whole JSON response.
    fn json(&mut self, id: ExchangeId, status: u16, body: &Value, extra: &[(&str, &str)]) {
        let mut headers = vec![("Content-Type", "application/json")];
        headers.extend_from_slice(extra);
        self.head(id, status, &headers);
        self.body(id, &body.to_string());
        self.end(id);
    }

    fn status(&mut self, id: ExchangeId, status: u16, extra: &[(&str, &str)]) {
        self.head(id, status, extra);
        self.end(id);
    }

    fn fail(&mut self, id: ExchangeId, kind: HttpFailureKind) {
        self.event(id, HttpEvent::Failed(HttpFailure::new(kind, "simulated")));
    }

    fn sse_open(&mut self, id: ExchangeId, extra: &[(&str, &str)]) {
        let mut headers = vec![("Content-Type", "text/event-stream")];
        headers.extend_from_slice(extra);
        self.head(id, 200, &headers);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.client.handle_timeout(self.now);
        self.drain();
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn call_tool(&mut self, name: &str, args: Value) -> CallId {
        let params = CallToolRequestParams::new(name).with_arguments(obj(args));
        let id = self
            .client
            .request::<CallTool>(self.now, &params, RequestOptions::default())
            .unwrap();
        self.drain();
        id
    }

    fn list_tools(&mut self) -> CallId {
        let id = self
            .client
            .request::<ListTools>(
                self.now,
                &PaginatedRequestParams::default(),
                RequestOptions::default(),
            )
            .unwrap();
        self.drain();
        id
    }

    fn elapsed_ms(&self) -> u128 {
        (self.now - self.start).as_millis()
    }
}

fn body(r: &HttpRequest) -> Value {
    serde_json::from_slice(&r.body).expect("a JSON body")
}

fn id_of(r: &HttpRequest) -> Value {
    body(r)["id"].clone()
}

fn method_of(r: &HttpRequest) -> String {
    if r.body.is_empty() {
        return String::new();
    }
    body(r)["method"].as_str().unwrap_or("").to_owned()
}

fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn discover_result() -> Value {
    json!({"supportedVersions": ["2026-07-28"], "capabilities": {"tools": {"listChanged": true}},
           "resultType": "complete", "ttlMs": 0,
           "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "modern-http", "version": "1"}}})
}

fn initialize_result(version: &str) -> Value {
    json!({"protocolVersion": version, "capabilities": {"tools": {}, "resources": {"subscribe": true}},
           "serverInfo": {"name": "legacy-http", "version": "1"}})
}

fn text_result(text: &str) -> Value {
    json!({"content": [{"type": "text", "text": text}]})
}

/// A modern server's handshake: the probe answered with a DiscoverResult.
fn modern_ready(cfg: Config) -> Rig {
    let mut rig = Rig::new(cfg);
    let probe = rig.take();
    let id = id_of(&probe);
    rig.json(probe.id, 200, &result(&id, discover_result()), &[]);
    assert!(rig.client.is_ready());
    rig.take_events();
    rig
}

/// Answers the pending `initialize` as a 2025-11-25 server, with `headers`.
fn answer_initialize(rig: &mut Rig, headers: &[(&str, &str)]) {
    let init = rig.take();
    assert_eq!(method_of(&init), "initialize");
    let id = id_of(&init);
    rig.json(
        init.id,
        200,
        &result(&id, initialize_result("2025-11-25")),
        headers,
    );
}

/// A legacy Streamable HTTP server with sessions: the probe refused, then
/// `initialize` answered with a session id; the standalone GET is taken
/// and left open.
fn legacy_ready() -> (Rig, ExchangeId) {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    rig.json(
        probe.id,
        400,
        &json!({"jsonrpc": "2.0", "error": {"code": -32000, "message": "Bad Request: Server not initialized"}, "id": null}),
        &[],
    );
    let init = rig.take();
    let id = id_of(&init);
    rig.json(
        init.id,
        200,
        &result(&id, initialize_result("2025-11-25")),
        &[("Mcp-Session-Id", "sess-1")],
    );
    assert!(rig.client.is_ready(), "{:#?}", rig.events);
    let initialized = rig.take();
    assert_eq!(method_of(&initialized), "notifications/initialized");
    rig.status(initialized.id, 202, &[]);
    let get = rig.take();
    assert_eq!(get.method, HttpMethod::Get);
    rig.sse_open(get.id, &[]);
    rig.take_events();
    (rig, get.id)
}

#[test]
fn a_modern_server_gets_the_2026_headers_on_every_post() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    assert_eq!(probe.method, HttpMethod::Post);
    assert_eq!(probe.url, URL);
    assert_eq!(probe.header("mcp-protocol-version"), Some("2026-07-28"));
    assert_eq!(probe.header("mcp-method"), Some("server/discover"));
    assert_eq!(probe.header("content-type"), Some("application/json"));
    let accept = probe.header("accept").unwrap();
    assert!(accept.contains("application/json") && accept.contains("text/event-stream"));
    assert_eq!(probe.header("mcp-session-id"), None);
    assert_eq!(
        body(&probe)["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    let id = id_of(&probe);
    rig.json(probe.id, 200, &result(&id, discover_result()), &[]);
    assert!(rig.client.is_ready());
    assert_eq!(rig.client.version(), Some(ProtocolVersion::V2026_07_28));
    assert_eq!(rig.client.http_transport(), Some(HttpTransport::Streamable));
    rig.none_pending();

    let call = rig.call_tool("get weather", json!({"city": "Zürich"}));
    let post = rig.take();
    assert_eq!(post.header("mcp-method"), Some("tools/call"));
    // Not header-safe as it is (a space is fine, but not at the edges; this
    // one is plain).
    assert_eq!(post.header("mcp-name"), Some("get weather"));
    assert_eq!(post.header("mcp-protocol-version"), Some("2026-07-28"));
    // An SSE answer: a progress-less notification, then the result.
    let id = id_of(&post);
    rig.sse_open(post.id, &[]);
    rig.body(post.id, ": keep-alive\n\n");
    let msg = result(&id, text_result("sunny"));
    rig.body(post.id, &format!("event: message\ndata: {msg}\n\n"));
    rig.end(post.id);
    let r = outcome(&rig.events, call).unwrap();
    assert_eq!(common::tool_text(&r), "sunny");
    rig.none_pending();
}

#[test]
fn x_mcp_header_params_are_mirrored_and_invalid_tools_dropped() {
    let mut rig = modern_ready(Config::default());
    let list = rig.list_tools();
    let post = rig.take();
    assert_eq!(post.header("mcp-name"), None);
    let id = id_of(&post);
    let tools = json!({"tools": [
        {"name": "query", "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "priority": {"type": "integer", "x-mcp-header": "Priority"},
            "note": {"type": "string", "x-mcp-header": "Note"},
            "sql": {"type": "string"}}}},
        {"name": "bad", "inputSchema": {"type": "object", "properties": {
            "score": {"type": "number", "x-mcp-header": "Score"}}}}
    ], "resultType": "complete"});
    rig.json(post.id, 200, &result(&id, tools), &[]);
    let reply = outcome(&rig.events, list).unwrap();
    let listed: Value = reply.decode().unwrap();
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["query"]);
    assert!(rig.events.iter().any(|e| matches!(e,
        Event::Violation(v) if v.kind == ViolationKind::InvalidTool && v.detail.contains("\"bad\""))));
    rig.take_events();

    let call = rig.call_tool(
        "query",
        json!({"region": "us-west1", "priority": 42, "note": " padded ", "sql": "select 1"}),
    );
    let post = rig.take();
    assert_eq!(post.header("mcp-param-region"), Some("us-west1"));
    assert_eq!(post.header("mcp-param-priority"), Some("42"));
    assert_eq!(
        post.header("mcp-param-note"),
        Some("=?base64?IHBhZGRlZCA=?=")
    );
    assert_eq!(post.header("mcp-param-sql"), None);
    let id = id_of(&post);
    rig.json(post.id, 200, &result(&id, text_result("ok")), &[]);
    assert!(outcome(&rig.events, call).is_ok());

    // The dropped tool is not called at all.
    let call = rig.call_tool("bad", json!({"score": 1.5}));
    rig.none_pending();
    match outcome(&rig.events, call) {
        Err(RequestError::ToolRejected { tool, reason }) => {
            assert_eq!(tool, "bad");
            assert!(reason.contains("number"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_legacy_server_gets_initialize_then_its_session_on_everything() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    // The TypeScript SDK's answer to anything before initialize: 400 with
    // an id-less error. Over HTTP it answers the probe; no violation.
    rig.json(
        probe.id,
        400,
        &json!({"jsonrpc": "2.0", "error": {"code": -32000, "message": "Bad Request: Server not initialized"}, "id": null}),
        &[],
    );
    assert!(
        !rig.events.iter().any(|e| matches!(e, Event::Violation(_))),
        "{:#?}",
        rig.events
    );
    let init = rig.take();
    assert_eq!(method_of(&init), "initialize");
    assert_eq!(
        init.header("mcp-protocol-version"),
        None,
        "not on initialize"
    );
    assert_eq!(init.header("mcp-session-id"), None);
    assert_eq!(init.header("mcp-method"), None, "a legacy header set");
    let id = id_of(&init);
    // The answer may come as an SSE stream too.
    rig.sse_open(init.id, &[("mcp-session-id", "sess-1")]);
    let msg = result(&id, initialize_result("2025-06-18"));
    rig.body(init.id, &format!("data: {msg}\n\n"));
    rig.end(init.id);
    assert!(rig.client.is_ready());
    assert_eq!(rig.client.version(), Some(ProtocolVersion::V2025_06_18));
    assert_eq!(rig.client.session_id(), Some("sess-1"));

    let initialized = rig.take();
    assert_eq!(method_of(&initialized), "notifications/initialized");
    assert_eq!(initialized.header("mcp-session-id"), Some("sess-1"));
    assert_eq!(
        initialized.header("mcp-protocol-version"),
        Some("2025-06-18")
    );
    rig.status(initialized.id, 202, &[]);

    let get = rig.take();
    assert_eq!(get.method, HttpMethod::Get);
    assert_eq!(get.header("accept"), Some("text/event-stream"));
    assert_eq!(get.header("mcp-session-id"), Some("sess-1"));
    // No standalone stream at this server: never asked again.
    rig.status(get.id, 405, &[]);
    rig.advance(Duration::from_secs(60));
    rig.none_pending();

    let list = rig.list_tools();
    let post = rig.take();
    assert_eq!(post.header("mcp-session-id"), Some("sess-1"));
    assert_eq!(post.header("mcp-protocol-version"), Some("2025-06-18"));
    let id = id_of(&post);
    rig.json(post.id, 200, &result(&id, json!({"tools": []})), &[]);
    assert!(outcome(&rig.events, list).is_ok());
}

#[test]
fn a_broken_legacy_stream_is_resumed_after_the_servers_retry_delay() {
    let (mut rig, _get) = legacy_ready();
    let call = rig.call_tool("slow", json!({}));
    let post = rig.take();
    let id = id_of(&post);
    rig.sse_open(post.id, &[]);
    // The priming event (an id, no data) and a retry of 500 ms; then the
    // server closes the connection.
    rig.body(post.id, "id: event-1\nretry: 500\ndata: \n\n");
    rig.end(post.id);
    assert!(!common::ended(&rig.events, call));
    rig.advance(Duration::from_millis(499));
    rig.none_pending();
    rig.advance(Duration::from_millis(1));
    let resume = rig.take();
    assert_eq!(resume.method, HttpMethod::Get);
    assert_eq!(resume.header("last-event-id"), Some("event-1"));
    assert_eq!(resume.header("mcp-session-id"), Some("sess-1"));
    rig.sse_open(resume.id, &[]);
    let msg = result(&id, text_result("resumed"));
    rig.body(
        resume.id,
        &format!("id: event-2\nevent: message\ndata: {msg}\n\n"),
    );
    let r = outcome(&rig.events, call).unwrap();
    assert_eq!(common::tool_text(&r), "resumed");
    assert_eq!(rig.elapsed_ms(), 500);
}

#[test]
fn a_stream_without_event_ids_cannot_be_resumed() {
    let (mut rig, _get) = legacy_ready();
    let call = rig.call_tool("slow", json!({}));
    let post = rig.take();
    rig.sse_open(post.id, &[]);
    rig.end(post.id);
    match outcome(&rig.events, call) {
        Err(RequestError::Http(HttpError::StreamEnded { resumable: false })) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_expired_session_is_replaced_and_the_request_sent_again() {
    let (mut rig, get) = legacy_ready();
    let call = rig.call_tool("echo", json!({"message": "hi"}));
    let post = rig.take();
    assert_eq!(post.header("mcp-session-id"), Some("sess-1"));
    rig.status(post.id, 404, &[]);
    assert!(rig.events.contains(&Event::SessionExpired));
    assert!(
        rig.aborted.contains(&get),
        "the old session's stream is closed"
    );
    let init = rig.take();
    assert_eq!(method_of(&init), "initialize");
    assert_eq!(init.header("mcp-session-id"), None);
    let id = id_of(&init);
    rig.json(
        init.id,
        200,
        &result(&id, initialize_result("2025-11-25")),
        &[("Mcp-Session-Id", "sess-2")],
    );
    let initialized = rig.take();
    rig.status(initialized.id, 202, &[]);
    // The standalone stream of the new session, then the call, again.
    let get = rig.take();
    assert_eq!(get.method, HttpMethod::Get);
    assert_eq!(get.header("mcp-session-id"), Some("sess-2"));
    rig.sse_open(get.id, &[]);
    let again = rig.take();
    assert_eq!(again.header("mcp-session-id"), Some("sess-2"));
    assert_eq!(body(&again)["params"]["arguments"]["message"], "hi");
    let id = id_of(&again);
    rig.json(again.id, 200, &result(&id, text_result("hi")), &[]);
    assert_eq!(
        common::tool_text(&outcome(&rig.events, call).unwrap()),
        "hi"
    );
}

#[test]
fn sessions_that_keep_expiring_end_the_connection() {
    let (mut rig, _get) = legacy_ready();
    let call = rig.call_tool("echo", json!({}));
    // A server that forgets every session at once: the call gets 404 each
    // time, initialize always works.
    for _ in 0..50 {
        let Some(r) = rig.pending.pop_front() else {
            break;
        };
        match (r.method, method_of_or_empty(&r).as_str()) {
            (HttpMethod::Post, "initialize") => {
                let id = id_of(&r);
                rig.json(
                    r.id,
                    200,
                    &result(&id, initialize_result("2025-11-25")),
                    &[("Mcp-Session-Id", "again")],
                );
            }
            (HttpMethod::Post, "tools/call") => rig.status(r.id, 404, &[]),
            (HttpMethod::Post, _) => rig.status(r.id, 202, &[]),
            _ => rig.status(r.id, 405, &[]),
        }
    }
    // Bounded: the connection gives up rather than looping.
    assert!(rig.client.is_closed(), "{:#?}", rig.events);
    let expired = rig
        .events
        .iter()
        .filter(|e| **e == Event::SessionExpired)
        .count();
    assert_eq!(expired, 3, "three new sessions, then it gives up");
    let got = outcome(&rig.events, call);
    assert!(
        matches!(
            got,
            Err(RequestError::Closed(CloseReason::Http(
                HttpError::SessionExpired { .. }
            )))
        ),
        "{got:?}"
    );
}

fn method_of_or_empty(r: &HttpRequest) -> String {
    if r.body.is_empty() {
        String::new()
    } else {
        method_of(r)
    }
}

#[test]
fn the_2024_transport_is_found_after_post_is_refused() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    rig.status(probe.id, 404, &[]);
    let init = rig.take();
    assert_eq!(method_of(&init), "initialize");
    rig.head(init.id, 405, &[("Content-Type", "text/plain")]);
    rig.body(init.id, "Method Not Allowed");
    rig.end(init.id);
    let get = rig.take();
    assert_eq!(get.method, HttpMethod::Get);
    assert_eq!(get.url, URL);
    assert_eq!(get.header("accept"), Some("text/event-stream"));
    rig.sse_open(get.id, &[]);
    rig.body(get.id, "event: endpoint\ndata: /messages?sessionId=abc\n\n");
    assert_eq!(rig.client.http_transport(), Some(HttpTransport::LegacySse));
    let init = rig.take();
    assert_eq!(init.url, "http://127.0.0.1:9/messages?sessionId=abc");
    assert_eq!(method_of(&init), "initialize");
    let id = id_of(&init);
    rig.head(init.id, 202, &[]);
    rig.body(init.id, "Accepted");
    rig.end(init.id);
    // Everything the server says comes on the GET stream.
    let msg = result(&id, initialize_result("2024-11-05"));
    rig.body(get.id, &format!("event: message\ndata: {msg}\n\n"));
    assert!(rig.client.is_ready(), "{:#?}", rig.events);
    assert_eq!(rig.client.version(), Some(ProtocolVersion::V2024_11_05));
    let initialized = rig.take();
    assert_eq!(method_of(&initialized), "notifications/initialized");
    assert_eq!(initialized.url, "http://127.0.0.1:9/messages?sessionId=abc");
    assert_eq!(initialized.header("mcp-protocol-version"), None);
    rig.status(initialized.id, 202, &[]);

    let call = rig.call_tool("echo", json!({"message": "old"}));
    let post = rig.take();
    let id = id_of(&post);
    rig.status(post.id, 202, &[]);
    assert!(!common::ended(&rig.events, call));
    let msg = result(&id, text_result("old"));
    rig.body(get.id, &format!("event: message\ndata: {msg}\n\n"));
    assert_eq!(
        common::tool_text(&outcome(&rig.events, call).unwrap()),
        "old"
    );

    // The stream ending ends the connection.
    rig.end(get.id);
    assert!(rig.client.is_closed());
}

#[test]
fn an_endpoint_on_another_origin_is_refused() {
    let mut rig = Rig::new(Config::default().with_era(EraPreference::Legacy));
    let init = rig.take();
    rig.status(init.id, 404, &[]);
    let get = rig.take();
    rig.sse_open(get.id, &[]);
    rig.body(
        get.id,
        "event: endpoint\ndata: https://evil.example/messages\n\n",
    );
    assert!(matches!(
        rig.client.close_reason(),
        Some(CloseReason::Handshake(HandshakeError::Http { .. }))
    ));
}

#[test]
fn not_an_mcp_server_at_all() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    rig.status(probe.id, 404, &[]);
    let init = rig.take();
    rig.status(init.id, 404, &[]);
    let get = rig.take();
    rig.head(get.id, 404, &[("Content-Type", "text/html")]);
    rig.body(get.id, "<h1>Not Found</h1>");
    rig.end(get.id);
    let reason = rig.client.close_reason().expect("closed").to_string();
    assert!(
        reason.contains("404") && reason.contains("Not Found"),
        "{reason}"
    );
}

#[test]
fn retries_honour_retry_after_and_spare_tool_calls() {
    let (mut rig, _get) = legacy_ready();
    let list = rig.list_tools();
    let post = rig.take();
    rig.head(post.id, 503, &[("Retry-After", "2")]);
    rig.end(post.id);
    rig.advance(Duration::from_millis(1999));
    rig.none_pending();
    rig.advance(Duration::from_millis(1));
    let again = rig.take();
    assert_eq!(method_of(&again), "tools/list");
    assert_ne!(id_of(&again), id_of(&post), "a new id");
    let id = id_of(&again);
    rig.json(again.id, 200, &result(&id, json!({"tools": []})), &[]);
    assert!(outcome(&rig.events, list).is_ok());

    // A tool call is not repeated on a 503: it may have run.
    let call = rig.call_tool("charge_card", json!({}));
    let post = rig.take();
    rig.head(post.id, 503, &[("Content-Type", "text/plain")]);
    rig.body(post.id, "overloaded");
    rig.end(post.id);
    match outcome(&rig.events, call) {
        Err(RequestError::Http(HttpError::Status { status: 503, body })) => {
            assert_eq!(body, "overloaded")
        }
        other => panic!("{other:?}"),
    }
    // But one whose connection could not even be made was never sent.
    let call = rig.call_tool("charge_card", json!({}));
    let post = rig.take();
    rig.fail(post.id, HttpFailureKind::Connect);
    rig.advance(Duration::from_secs(1));
    let again = rig.take();
    let id = id_of(&again);
    rig.json(
        again.id,
        200,
        &result(&id, text_result("charged once")),
        &[],
    );
    assert!(outcome(&rig.events, call).is_ok());
    // A 500 is the server's own failure: reported at once.
    let list = rig.list_tools();
    let post = rig.take();
    rig.status(post.id, 500, &[]);
    assert!(matches!(
        outcome(&rig.events, list),
        Err(RequestError::Http(HttpError::Status { status: 500, .. }))
    ));
}

#[test]
fn retries_are_bounded() {
    let (mut rig, _get) = legacy_ready();
    let list = rig.list_tools();
    for _ in 0..4 {
        let post = rig.take();
        rig.status(post.id, 502, &[]);
        rig.advance(Duration::from_secs(31));
    }
    rig.none_pending();
    assert!(matches!(
        outcome(&rig.events, list),
        Err(RequestError::Http(HttpError::Status { status: 502, .. }))
    ));
}

#[test]
fn cancelling_a_modern_request_closes_its_stream_and_sends_nothing() {
    let mut rig = modern_ready(Config::default());
    let call = rig.call_tool("slow", json!({}));
    let post = rig.take();
    rig.sse_open(post.id, &[]);
    assert!(rig.client.cancel(rig.now, call, None));
    rig.drain();
    assert_eq!(rig.aborted, [post.id]);
    rig.none_pending();
    assert!(matches!(
        outcome(&rig.events, call),
        Err(RequestError::Cancelled { .. })
    ));
}

#[test]
fn cancelling_a_legacy_request_also_tells_the_server() {
    let (mut rig, _get) = legacy_ready();
    let call = rig.call_tool("slow", json!({}));
    let post = rig.take();
    let id = id_of(&post);
    rig.sse_open(post.id, &[]);
    rig.client.cancel(rig.now, call, Some("enough".into()));
    rig.drain();
    assert!(rig.aborted.contains(&post.id));
    let note = rig.take();
    assert_eq!(method_of(&note), "notifications/cancelled");
    assert_eq!(body(&note)["params"]["requestId"], id);
    assert_eq!(note.header("mcp-session-id"), Some("sess-1"));
}

#[test]
fn a_broken_modern_stream_is_reissued_with_a_new_id() {
    let mut rig = modern_ready(Config::default());
    let call = rig.call_tool("slow", json!({"n": 1}));
    let post = rig.take();
    rig.sse_open(post.id, &[]);
    rig.body(post.id, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"working\"}}\n\n");
    rig.fail(post.id, HttpFailureKind::Io);
    let again = rig.take();
    assert_eq!(method_of(&again), "tools/call");
    assert_ne!(id_of(&again), id_of(&post));
    assert_eq!(body(&again)["params"]["arguments"]["n"], 1);
    let id = id_of(&again);
    rig.json(again.id, 200, &result(&id, text_result("done")), &[]);
    assert!(outcome(&rig.events, call).is_ok());
}

#[test]
fn closing_ends_the_session_with_delete() {
    let (mut rig, get) = legacy_ready();
    rig.client.close(rig.now);
    rig.drain();
    assert!(rig.aborted.contains(&get));
    let delete = rig.take();
    assert_eq!(delete.method, HttpMethod::Delete);
    assert_eq!(delete.header("mcp-session-id"), Some("sess-1"));
    assert!(!rig.transport_closed, "waits for the DELETE");
    rig.status(delete.id, 405, &[]);
    assert!(rig.transport_closed);
    assert_eq!(rig.client.poll_timeout(), None);

    // A DELETE that never comes back is given up on.
    let (mut rig, _get) = legacy_ready();
    rig.client.close(rig.now);
    rig.drain();
    let _delete = rig.take();
    rig.advance(Duration::from_secs(2));
    assert!(rig.transport_closed);
}

#[test]
fn unauthorized_is_a_handshake_error_not_a_fallback() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    rig.head(
        probe.id,
        401,
        &[("WWW-Authenticate", "Bearer realm=\"mcp\"")],
    );
    rig.end(probe.id);
    match rig.client.close_reason() {
        Some(CloseReason::Handshake(HandshakeError::Http { method, error })) => {
            assert_eq!(*method, "server/discover");
            assert!(matches!(error, HttpError::Status { status: 401, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert!(rig.transport_closed);
}

#[test]
fn connection_refused_fails_the_handshake_at_once() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    rig.fail(probe.id, HttpFailureKind::Connect);
    assert!(matches!(
        rig.client.close_reason(),
        Some(CloseReason::Handshake(HandshakeError::Http {
            error: HttpError::Failed(_),
            ..
        }))
    ));
}

#[test]
fn a_modern_error_in_a_400_is_not_a_fallback() {
    let mut rig = Rig::new(Config::default());
    let probe = rig.take();
    let id = id_of(&probe);
    // The conformance suite's request-metadata mock: -32022 naming the
    // version just sent. Retried once, never initialize.
    let err = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32022,
        "message": "Unsupported protocol version", "data": {"supported": ["2026-07-28"], "requested": "2026-07-28"}}});
    rig.json(probe.id, 400, &err, &[]);
    let again = rig.take();
    assert_eq!(method_of(&again), "server/discover");
    let id = id_of(&again);
    rig.json(again.id, 200, &result(&id, discover_result()), &[]);
    assert!(rig.client.is_ready());
}

#[test]
fn oversized_bodies_and_events_fail_their_request() {
    let cfg = Config {
        limits: mcp_proto::Limits {
            max_frame_size: 1024,
            ..Default::default()
        },
        ..Config::default()
    };
    let mut rig = modern_ready(cfg);
    let call = rig.call_tool("big", json!({}));
    let post = rig.take();
    rig.head(post.id, 200, &[("Content-Type", "application/json")]);
    for _ in 0..10 {
        rig.body(post.id, &"x".repeat(200));
    }
    rig.end(post.id);
    assert!(matches!(
        outcome(&rig.events, call),
        Err(RequestError::ResponseTooLarge { limit: 1024, .. })
    ));
    let call = rig.call_tool("big", json!({}));
    let post = rig.take();
    rig.sse_open(post.id, &[]);
    rig.body(post.id, &format!("data: {}\n\n", "y".repeat(2000)));
    assert!(matches!(
        outcome(&rig.events, call),
        Err(RequestError::ResponseTooLarge { .. })
    ));
}

#[test]
fn bad_urls_and_headers_are_refused_up_front() {
    for (url, want) in [
        ("not a url", "invalid URL"),
        ("ftp://example.com/mcp", "scheme"),
    ] {
        let e =
            mcp_proto::Client::new_http(Config::default(), HttpOptions::new(url), Instant::now())
                .unwrap_err()
                .to_string();
        assert!(e.contains(want), "{e}");
    }
    let e = mcp_proto::Client::new_http(
        Config::default(),
        HttpOptions::new(URL).with_header("X-Token", "a\r\nInjected: yes"),
        Instant::now(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("control characters"), "{e}");
    // User headers ride along, but never override the protocol's own.
    let mut rig = Rig::with(
        Config::default(),
        HttpOptions::new(URL)
            .with_header("Authorization", "Bearer t")
            .with_header("Accept", "text/html"),
    );
    let probe = rig.take();
    assert_eq!(probe.header("authorization"), Some("Bearer t"));
    assert!(probe
        .header("accept")
        .unwrap()
        .contains("text/event-stream"));
}

#[test]
fn a_standalone_stream_reconnects_with_its_last_event_id() {
    let (mut rig, get) = legacy_ready();
    rig.body(
        get,
        "id: s-1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n",
    );
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::Notification(mcp_proto::Notification::ToolsListChanged)
    )));
    rig.end(get);
    rig.advance(Duration::from_secs(1));
    let again = rig.take();
    assert_eq!(again.method, HttpMethod::Get);
    assert_eq!(again.header("last-event-id"), Some("s-1"));
    // A server request on the stream is answered with a POST.
    rig.sse_open(again.id, &[]);
    rig.body(
        again.id,
        "data: {\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"ping\"}\n\n",
    );
    let pong = rig.take();
    assert_eq!(body(&pong)["id"], "srv-1");
    assert_eq!(pong.header("mcp-session-id"), Some("sess-1"));
    // A stream that keeps failing is given up on, boundedly.
    rig.fail(again.id, HttpFailureKind::Io);
    for _ in 0..10 {
        rig.advance(Duration::from_secs(60));
        if let Some(r) = rig.pending.pop_front() {
            rig.fail(r.id, HttpFailureKind::Connect);
        }
    }
    rig.advance(Duration::from_secs(600));
    rig.none_pending();
    assert!(rig.client.is_ready(), "the connection itself goes on");
}

/// Separate HTTP exchanges may overtake one another, so a legacy session
/// opens in order: `notifications/initialized` is taken by the server, then
/// the standalone stream, and only then do requests go.
#[test]
fn a_session_opens_in_order_initialized_then_the_stream_then_requests() {
    let mut rig = Rig::new(Config::default().with_era(EraPreference::Legacy));
    let early = rig.list_tools();
    assert_eq!(rig.pending.len(), 1, "initialize alone");
    answer_initialize(&mut rig, &[("Mcp-Session-Id", "sess-1")]);
    let late = rig.call_tool("echo", json!({}));
    let initialized = rig.take();
    assert_eq!(method_of(&initialized), "notifications/initialized");
    rig.none_pending();
    rig.head(initialized.id, 202, &[]);
    let get = rig.take();
    assert_eq!(get.method, HttpMethod::Get);
    rig.none_pending();
    rig.end(initialized.id);
    rig.none_pending();
    rig.sse_open(get.id, &[]);
    let next: Vec<String> = rig.pending.iter().map(method_of).collect();
    assert_eq!(next, ["tools/list", "tools/call"]);
    for r in rig.pending.iter() {
        assert_eq!(r.header("mcp-session-id"), Some("sess-1"));
    }
    let unanswered = |c: CallId| {
        !rig.events
            .iter()
            .any(|e| matches!(e, Event::Response { call, .. } if *call == c))
    };
    assert!(unanswered(early) && unanswered(late));
}

/// A server that does not answer the opening exchanges holds nothing up
/// for long: each gets two seconds.
#[test]
fn a_silent_opening_exchange_holds_requests_two_seconds_at_most() {
    let mut rig = Rig::new(Config::default().with_era(EraPreference::Legacy));
    answer_initialize(&mut rig, &[]);
    rig.list_tools();
    let initialized = rig.take();
    assert_eq!(method_of(&initialized), "notifications/initialized");
    rig.advance(Duration::from_millis(1999));
    rig.none_pending();
    rig.advance(Duration::from_millis(1));
    let get = rig.take();
    assert_eq!(get.method, HttpMethod::Get);
    rig.none_pending();
    // A GET refused at once opens the way at once.
    rig.status(get.id, 405, &[]);
    assert_eq!(method_of(&rig.take()), "tools/list");
    // Both opening exchanges stay open; neither is aborted.
    assert!(rig.aborted.is_empty());
}

#[test]
fn closing_while_initialized_is_unanswered_drops_what_waited() {
    let mut rig = Rig::new(Config::default().with_era(EraPreference::Legacy));
    answer_initialize(&mut rig, &[]);
    let call = rig.call_tool("echo", json!({}));
    let initialized = rig.take();
    rig.none_pending();
    rig.client.close(rig.now);
    rig.drain();
    // Only the one exchange that left is aborted; the held call never shows.
    assert_eq!(rig.aborted, [initialized.id]);
    rig.none_pending();
    assert!(matches!(
        outcome(&rig.events, call),
        Err(RequestError::Closed(_))
    ));
}

fn header_tool(header: &str) -> Value {
    json!({"name": "q", "inputSchema": {"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": header}}}})
}

fn mismatch(id: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32020, "message": "Header mismatch: Mcp-Param-Zone missing"}})
}

/// `HeaderMismatch`: the tool's annotations changed since it was listed.
/// The client lists tools again and retries once with the new headers.
#[test]
fn a_header_mismatch_relists_the_tools_and_retries_once() {
    let mut rig = modern_ready(Config::default());
    let list = rig.list_tools();
    let post = rig.take();
    let id = id_of(&post);
    let tools = json!({"tools": [header_tool("Region")], "resultType": "complete"});
    rig.json(post.id, 200, &result(&id, tools), &[]);
    outcome(&rig.events, list).unwrap();

    let call = rig.call_tool("q", json!({"region": "eu-west"}));
    let first = rig.take();
    assert_eq!(first.header("mcp-param-region"), Some("eu-west"));
    let first_id = id_of(&first);
    rig.json(first.id, 400, &mismatch(&first_id), &[]);
    // The relisting, on a page of its own, not seen by the application.
    let relist = rig.take();
    assert_eq!(method_of(&relist), "tools/list");
    assert_eq!(relist.header("mcp-method"), Some("tools/list"));
    let id = id_of(&relist);
    let page1 = json!({"tools": [], "nextCursor": "p2", "resultType": "complete"});
    rig.json(relist.id, 200, &result(&id, page1), &[]);
    let relist2 = rig.take();
    assert_eq!(body(&relist2)["params"]["cursor"], "p2");
    let id = id_of(&relist2);
    let page2 = json!({"tools": [header_tool("Zone")], "resultType": "complete"});
    rig.json(relist2.id, 200, &result(&id, page2), &[]);
    let again = rig.take();
    assert_eq!(method_of(&again), "tools/call");
    assert_ne!(id_of(&again), first_id, "a retry is a new request");
    assert_eq!(again.header("mcp-param-zone"), Some("eu-west"));
    assert_eq!(again.header("mcp-param-region"), None);
    let id = id_of(&again);
    rig.json(again.id, 200, &result(&id, text_result("ok")), &[]);
    assert_eq!(
        common::tool_text(&outcome(&rig.events, call).unwrap()),
        "ok"
    );
    // Only the call's own answer reached the application.
    let answers = rig
        .events
        .iter()
        .filter(|e| matches!(e, Event::Response { .. }))
        .count();
    assert_eq!(answers, 2, "the tools/list call and the tool call");
}

#[test]
fn a_second_header_mismatch_or_a_vanished_tool_ends_the_call() {
    let mut rig = modern_ready(Config::default());
    // Never listed: the first attempt carries no parameter headers.
    let call = rig.call_tool("q", json!({"region": "eu-west"}));
    let first = rig.take();
    let id = id_of(&first);
    rig.json(first.id, 400, &mismatch(&id), &[]);
    let relist = rig.take();
    let id = id_of(&relist);
    let tools = json!({"tools": [header_tool("Zone")], "resultType": "complete"});
    rig.json(relist.id, 200, &result(&id, tools), &[]);
    let again = rig.take();
    let id = id_of(&again);
    rig.json(again.id, 400, &mismatch(&id), &[]);
    match outcome(&rig.events, call) {
        Err(RequestError::Server(e)) => assert_eq!(e.code, -32020),
        other => panic!("{other:?}"),
    }
    rig.none_pending();

    let call = rig.call_tool("gone", json!({}));
    let first = rig.take();
    let id = id_of(&first);
    rig.json(first.id, 400, &mismatch(&id), &[]);
    let relist = rig.take();
    let id = id_of(&relist);
    let tools = json!({"tools": [header_tool("Zone")], "resultType": "complete"});
    rig.json(relist.id, 200, &result(&id, tools), &[]);
    match outcome(&rig.events, call) {
        Err(RequestError::Server(e)) => assert!(e.message.contains("Mcp-Param-Zone")),
        other => panic!("{other:?}"),
    }
    rig.none_pending();
}

#[test]
fn answers_to_a_server_that_never_finishes_taking_them_wait_their_turn() {
    let (mut rig, get) = legacy_ready();
    // 100 pings on the standalone stream: as many answers as fit in
    // `Limits::max_unwritten_replies` (each counted as 16 KiB at least) go
    // out; the rest wait for those exchanges to end.
    let mut events = String::new();
    for i in 0..100 {
        events.push_str(&format!(
            "data: {{\"jsonrpc\":\"2.0\",\"id\":\"p{i}\",\"method\":\"ping\"}}\n\n"
        ));
    }
    rig.body(get, &events);
    let sent: Vec<HttpRequest> = rig.pending.drain(..).collect();
    assert_eq!(sent.len(), 64, "answers in flight");
    assert!(sent
        .iter()
        .enumerate()
        .all(|(i, r)| id_of(r) == json!(format!("p{i}"))));
    assert_eq!(rig.client.replies_in_flight(), 100 * 16 * 1024);
    // One ends: the next goes out, in order.
    rig.status(sent[0].id, 202, &[]);
    let next = rig.take();
    assert_eq!(id_of(&next), json!("p64"));
    rig.none_pending();
    assert_eq!(rig.client.replies_in_flight(), 99 * 16 * 1024);
    // Closing drops the ones still waiting without a word to the adapter.
    rig.client.close(rig.now);
    rig.drain();
    let aborted: std::collections::BTreeSet<ExchangeId> = rig.aborted.iter().copied().collect();
    assert!(sent[1..].iter().all(|r| aborted.contains(&r.id)));
    assert!(aborted.contains(&next.id));
    assert_eq!(
        aborted.len(),
        63 + 1 + 1,
        "the sent answers, p64 and the stream"
    );
}
