//! Both adapters against the real `@modelcontextprotocol/server-everything`
//! (pinned in tests/js) over HTTP: Streamable HTTP (a 2025-11-25 server with
//! sessions, resumable SSE streams and a standalone GET stream) with every
//! feature it offers, and the 2024-11-05 HTTP+SSE transport found by the
//! fallback. Server-to-client requests arrive on SSE streams and are
//! answered through the callbacks. Each test runs once per adapter
//! (`mcp_switch`).

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_blocking::mcp_proto::api::CallOptions;
use mcp_blocking::mcp_proto::methods::CallTool;
use mcp_blocking::mcp_proto::model::{CallToolRequestParams, CallToolResult, LoggingLevel};
use mcp_blocking::mcp_proto::{Call, Era, HttpTransport, ProtocolVersion, Violation};
use mcp_blocking::prelude::{Config, Error, HttpOptions, Notification, Operations};
use mcp_switch::{Adapter, Client};
use mcp_tests::everything_walk::{self as walk, text, Notes, Seen, LIMIT};
use mcp_tests::{group_gone, EverythingHttp, HttpMode};
use serde_json::json;

struct Connected {
    client: Client,
    seen: Arc<Mutex<Seen>>,
    notes: Receiver<Notification>,
    /// One message per `roots/list` the server sent.
    roots_asked: Receiver<()>,
    violations: Arc<Mutex<Vec<Violation>>>,
}

fn config() -> Config {
    Config::default().with_request_timeout(Duration::from_secs(30))
}

fn connect(adapter: Adapter, server: &EverythingHttp) -> Connected {
    let (handlers, seen, roots_asked) = walk::handlers();
    let (notes, notes_rx, violations) = Notes::new();
    let client = Client::builder(adapter)
        .config(config())
        .input_handler(handlers)
        .notification_handler(notes)
        .connect_http(HttpOptions::new(server.url()))
        .unwrap_or_else(|e| {
            panic!(
                "connect to {}: {e}; server output: {:#?}",
                server.url(),
                server.output()
            )
        });
    Connected {
        client,
        seen,
        notes: notes_rx,
        roots_asked,
        violations,
    }
}

/// The session id the server logged for its (only) session.
fn session_id(server: &EverythingHttp) -> String {
    const PREFIX: &str = "Session initialized with ID: ";
    // The server logs through a pipe, asynchronously: its line may come
    // after the handshake it describes.
    server.wait_for_output(LIMIT, |l| l.starts_with(PREFIX));
    let lines = server.output();
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(PREFIX))
        .collect();
    assert_eq!(ids.len(), 1, "one session: {lines:#?}");
    ids[0].trim().to_owned()
}

#[test]
fn every_feature_of_server_everything_over_streamable_http_blocking() {
    every_feature_over_streamable_http(Adapter::Blocking);
}

#[test]
fn every_feature_of_server_everything_over_streamable_http_smol() {
    every_feature_over_streamable_http(Adapter::Smol);
}

fn every_feature_over_streamable_http(adapter: Adapter) {
    let server = EverythingHttp::start(HttpMode::Streamable);
    let Connected {
        client,
        seen,
        notes,
        roots_asked,
        violations,
    } = connect(adapter, &server);

    // Handshake: a legacy server with a session, found after the probe.
    assert_eq!(client.era(), Some(Era::Legacy));
    assert_eq!(client.version(), Some(ProtocolVersion::V2025_11_25));
    assert_eq!(client.http_transport(), Some(HttpTransport::Streamable));
    assert_eq!(client.server_info().unwrap().name, "mcp-servers/everything");
    let caps = client.capabilities().unwrap();
    assert!(
        caps.tools.is_some()
            && caps.prompts.is_some()
            && caps.logging.is_some()
            && caps.resources.as_ref().and_then(|r| r.subscribe) == Some(true)
    );
    let session = session_id(&server);
    client.ping().expect("ping");

    // The server asks for the roots by itself after `initialized`, on the
    // standalone GET stream.
    roots_asked
        .recv_timeout(LIMIT)
        .expect("the server asks for the roots after initialized");

    // With sampling, elicitation and roots declared, the server registers
    // its conditional tools once `initialized` arrived. Progress, and the
    // server's own requests, come on the call's SSE stream; the answers go
    // back as POSTs in the session.
    walk::tools(&client);
    walk::progress(&client);
    walk::server_requests(&client, &seen);
    // Updates come on the standalone GET stream.
    let resources = walk::resources(&client);
    walk::subscription(&client, &notes, &resources[0].uri);

    // Logging at the level set, on the standalone stream too.
    client.set_log_level(LoggingLevel::Debug).unwrap();
    client.call_tool("toggle-simulated-logging", ()).unwrap();
    assert!(
        walk::wait_note(&notes, |n| matches!(n, Notification::Log(l)
            if l.data.as_str().is_some_and(|d| d.contains(&session)))),
        "no log message for session {session}"
    );
    client.call_tool("toggle-simulated-logging", ()).unwrap();

    walk::prompts_and_completion(&client);
    walk::roots_changed(&client, &roots_asked);

    // Cancellation: the call's stream is closed and the server told; the
    // call ends at once with Cancelled and the session goes on.
    let (first_tx, first_progress) = mpsc::channel();
    let first_tx = Mutex::new(first_tx);
    let mut params = CallToolRequestParams::new("trigger-long-running-operation");
    params.arguments = json!({"duration": 20, "steps": 20}).as_object().cloned();
    let call = Call::request::<CallTool>(&params).unwrap();
    let opts = CallOptions {
        on_progress: Some(Arc::new(move |_| {
            let _ = first_tx.lock().unwrap().send(());
        })),
        ..CallOptions::default()
    };
    let mut pending = client.start(call, opts).unwrap();
    first_progress
        .recv_timeout(LIMIT)
        .expect("the long operation reports progress");
    pending.cancel();
    match pending.wait_timeout(LIMIT) {
        Some(Err(Error::Cancelled)) => {}
        other => panic!("a cancelled call: {other:?}"),
    }
    assert_eq!(
        text(
            &client
                .call_tool("echo", json!({"message": "after"}))
                .unwrap()
                .content[0]
        ),
        "Echo: after"
    );

    walk::many_threads(&client, 4, 10);

    // Everything the client sent was accepted (a refused notification or
    // response would be a MessageRefused violation).
    assert!(
        violations.lock().unwrap().is_empty(),
        "{:#?}",
        violations.lock().unwrap()
    );

    // A clean close: the session is ended with DELETE, nothing is left.
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(
        server.wait_for_output(LIMIT, |l| l
            == format!("Received session termination request for session {session}")),
        "the server saw no DELETE for {session}: {:#?}",
        server.output()
    );
    assert!(
        matches!(client.ping(), Err(Error::Closed(_))),
        "calls after close fail clearly"
    );
    // The server itself is still there (closing a client does not stop it).
    assert!(!group_gone(server.pid()));
}

#[test]
fn without_handlers_the_conditional_tools_are_hidden_over_http() {
    for adapter in Adapter::ALL {
        without_handlers_over_http(adapter);
    }
}

fn without_handlers_over_http(adapter: Adapter) {
    let server = EverythingHttp::start(HttpMode::Streamable);
    let client = Client::builder(adapter)
        .config(config())
        .connect_http(HttpOptions::new(server.url()))
        .unwrap();
    let names = walk::tool_names(&client);
    assert!(
        !names.iter().any(|n| n == "trigger-sampling-request"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "echo"), "{names:?}");
    let empty: BTreeMap<&str, &str> = BTreeMap::new();
    assert!(client.get_prompt("simple-prompt", empty).is_ok());
    let session = session_id(&server);
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(server.wait_for_output(LIMIT, |l| l
        == format!("Received session termination request for session {session}")));
}

#[test]
fn the_2024_http_sse_transport_is_found_and_works_blocking() {
    the_2024_http_sse_transport(Adapter::Blocking);
}

#[test]
fn the_2024_http_sse_transport_is_found_and_works_smol() {
    the_2024_http_sse_transport(Adapter::Smol);
}

fn the_2024_http_sse_transport(adapter: Adapter) {
    let server = EverythingHttp::start(HttpMode::Sse);
    let Connected {
        client,
        seen,
        notes: _,
        roots_asked: _,
        violations,
    } = connect(adapter, &server);
    // POST to /sse is refused (404), so the client falls back to GET /sse
    // and its endpoint event. The transport is the 2024-11-05 one; the
    // protocol revision is still negotiated in `initialize`, and this
    // server (TypeScript SDK 1.32) accepts the client's newest legacy one.
    assert_eq!(client.era(), Some(Era::Legacy));
    assert_eq!(client.version(), Some(ProtocolVersion::V2025_11_25));
    assert_eq!(client.http_transport(), Some(HttpTransport::LegacySse));
    assert_eq!(client.server_info().unwrap().name, "mcp-servers/everything");
    // The server logs through a pipe, asynchronously: its line may come
    // after the handshake it describes.
    server.wait_for_output(LIMIT, |l| l.starts_with("Client Connected: "));
    let output = server.output();
    let sessions: Vec<&str> = output
        .iter()
        .filter_map(|l| l.strip_prefix("Client Connected: "))
        .collect();
    assert_eq!(sessions.len(), 1, "one GET /sse stream: {output:#?}");
    let session = sessions[0].trim().to_owned();
    // initialize and initialized went to the endpoint the stream named.
    let message = format!("Client Message from {session}");
    let messages = |lines: &[String]| lines.iter().filter(|l| **l == message).count();
    assert!(
        server.wait_for_lines(LIMIT, |lines| messages(lines) >= 2),
        "{:#?}",
        server.output()
    );

    client.ping().unwrap();
    let r: CallToolResult = client.call_tool("echo", json!({"message": "old"})).unwrap();
    assert_eq!(text(&r.content[0]), "Echo: old");
    // Everything comes back on the one GET stream: progress and a
    // server-to-client request included.
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    client
        .with_progress(move |n| p.lock().unwrap().push(n.progress.as_f64().unwrap()))
        .call_tool(
            "trigger-long-running-operation",
            json!({"duration": 0.4, "steps": 2}),
        )
        .unwrap();
    assert_eq!(*progress.lock().unwrap(), [1.0, 2.0]);
    let sampled = client
        .call_tool(
            "trigger-sampling-request",
            json!({"prompt": "Capital of France?", "maxTokens": 20}),
        )
        .unwrap();
    assert!(text(&sampled.content[0]).contains("Paris is the answer"));
    assert_eq!(seen.lock().unwrap().sample_prompts.len(), 1);
    // ping, two tool calls, the sampling answer, the sampling tool call:
    // all POSTed to the endpoint of the one session.
    assert!(
        server.wait_for_lines(LIMIT, |lines| messages(lines) >= 2 + 5),
        "{:#?}",
        server.output()
    );
    assert!(
        violations.lock().unwrap().is_empty(),
        "{:#?}",
        violations.lock().unwrap()
    );

    // Closing ends the GET stream, which the server sees.
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(
        server.wait_for_output(LIMIT, |l| l.starts_with("Client Disconnected:")),
        "{:#?}",
        server.output()
    );
    assert!(matches!(client.ping(), Err(Error::Closed(_))));
}
