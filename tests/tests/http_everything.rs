//! mcp-blocking against the real `@modelcontextprotocol/server-everything`
//! (pinned in tests/js) over HTTP: Streamable HTTP (a 2025-11-25 server with
//! sessions, resumable SSE streams and a standalone GET stream) with every
//! feature it offers, and the 2024-11-05 HTTP+SSE transport found by the
//! fallback. Server-to-client requests arrive on SSE streams and are
//! answered through the callbacks.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_blocking::mcp_proto::api::CallOptions;
use mcp_blocking::mcp_proto::methods::CallTool;
use mcp_blocking::mcp_proto::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, CreateMessageResult, ElicitRequestParams,
    ElicitResult, LoggingLevel, PrimitiveSchemaDefinition, PromptReference, ResourceContents, Root,
};
use mcp_blocking::mcp_proto::{Call, Era, HttpTransport, ProtocolVersion, Violation};
use mcp_blocking::prelude::*;
use mcp_tests::{group_gone, EverythingHttp, HttpMode};
use serde_json::json;

/// The outer bound on waiting for something the server does by itself
/// (its simulated logs and updates come every 5 s).
const LIMIT: Duration = Duration::from_secs(20);

fn text(c: &ContentBlock) -> &str {
    match c {
        ContentBlock::Text(t) => &t.text,
        other => panic!("not text: {other:?}"),
    }
}

/// What the handlers saw.
#[derive(Default)]
struct Seen {
    elicit_fields: Vec<String>,
    sample_prompts: Vec<String>,
}

/// Hands notifications and violations to the test, in order.
struct Notes {
    notes: Mutex<Sender<Notification>>,
    violations: Arc<Mutex<Vec<Violation>>>,
}

impl NotificationHandler for Notes {
    fn notification(&self, n: &Notification) {
        let _ = self.notes.lock().unwrap().send(n.clone());
    }
    fn violation(&self, v: &Violation) {
        self.violations.lock().unwrap().push(v.clone());
    }
}

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

fn connect(server: &EverythingHttp) -> Connected {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (s1, s2) = (seen.clone(), seen.clone());
    let (roots_tx, roots_asked) = mpsc::channel();
    let roots_tx = Mutex::new(roots_tx);
    let handlers = InputHandlers::new()
        .on_elicit(move |req| {
            let ElicitRequestParams::Form(form) = req else {
                return ElicitResult::decline();
            };
            let mut seen = s1.lock().unwrap();
            for (name, schema) in &form.requested_schema.properties {
                assert!(
                    !matches!(schema, PrimitiveSchemaDefinition::Unknown(_)),
                    "{name} did not decode: {schema:?}"
                );
                seen.elicit_fields.push(name.clone());
            }
            ElicitResult::accept(
                json!({"name": "Ada Lovelace", "check": true, "integer": 7})
                    .as_object()
                    .cloned()
                    .unwrap(),
            )
        })
        .on_sample(move |req| {
            s2.lock()
                .unwrap()
                .sample_prompts
                .push(format!("{:?}", req.messages));
            serde_json::from_value::<CreateMessageResult>(json!({
                "role": "assistant", "content": {"type": "text", "text": "Paris is the answer"},
                "model": "test-model", "stopReason": "endTurn"
            }))
            .map_err(|e| e.to_string())
        })
        .on_roots(move || {
            let _ = roots_tx.lock().unwrap().send(());
            vec![Root::new("file:///work/project")]
        })
        .with_roots_list_changed();
    let (tx, notes) = mpsc::channel();
    let violations = Arc::new(Mutex::new(Vec::new()));
    let client = Client::builder()
        .config(config())
        .input_handler(handlers)
        .notification_handler(Notes {
            notes: Mutex::new(tx),
            violations: violations.clone(),
        })
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
        notes,
        roots_asked,
        violations,
    }
}

/// Waits (at most `LIMIT`) for a notification that satisfies `pred`,
/// dropping the others.
fn wait_note(notes: &Receiver<Notification>, pred: impl Fn(&Notification) -> bool) -> bool {
    let deadline = Instant::now() + LIMIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match notes.recv_timeout(left) {
            Ok(n) if pred(&n) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// The session id the server logged for its (only) session.
fn session_id(server: &EverythingHttp) -> String {
    const PREFIX: &str = "Session initialized with ID: ";
    let lines = server.output();
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(PREFIX))
        .collect();
    assert_eq!(ids.len(), 1, "one session: {lines:#?}");
    ids[0].trim().to_owned()
}

fn names(client: &Client) -> Vec<String> {
    client
        .fresh()
        .list_tools()
        .unwrap()
        .tools
        .into_iter()
        .map(|t| t.name)
        .collect()
}

#[test]
fn every_feature_of_server_everything_over_streamable_http() {
    let server = EverythingHttp::start(HttpMode::Streamable);
    let Connected {
        client,
        seen,
        notes,
        roots_asked,
        violations,
    } = connect(&server);

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

    // Tools: with sampling, elicitation and roots declared, the server
    // registers its conditional tools once `initialized` arrived.
    let names = names(&client);
    for want in [
        "echo",
        "get-sum",
        "get-structured-content",
        "trigger-long-running-operation",
        "trigger-sampling-request",
        "trigger-elicitation-request",
        "get-roots-list",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    let echo = client.call_tool("echo", json!({"message": "hi"})).unwrap();
    assert_eq!(text(&echo.content[0]), "Echo: hi");
    assert!(text(
        &client
            .call_tool("get-sum", json!({"a": 2, "b": 3}))
            .unwrap()
            .content[0]
    )
    .contains('5'));
    let structured = client
        .call_tool("get-structured-content", json!({"location": "Chicago"}))
        .unwrap();
    assert!(
        structured
            .structured_content
            .as_ref()
            .is_some_and(|v| v.is_object()),
        "{structured:?}"
    );
    let image = client.call_tool("get-tiny-image", ()).unwrap();
    assert!(image.content.iter().any(
        |c| matches!(c, ContentBlock::Image(i) if i.mime_type == "image/png" && !i.data.is_empty())
    ));
    let unknown = client.call_tool("no-such-tool", ()).unwrap();
    assert_eq!(unknown.is_error, Some(true));

    // Progress comes on the call's SSE stream; every callback has run when
    // the call returns.
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    client
        .with_progress(move |n| p.lock().unwrap().push(n.progress.as_f64().unwrap()))
        .call_tool(
            "trigger-long-running-operation",
            json!({"duration": 1, "steps": 4}),
        )
        .unwrap();
    assert_eq!(*progress.lock().unwrap(), [1.0, 2.0, 3.0, 4.0]);

    // Server-to-client requests on the call's SSE stream, answered with
    // POSTs in the session.
    let sampled = client
        .call_tool(
            "trigger-sampling-request",
            json!({"prompt": "Capital of France?", "maxTokens": 20}),
        )
        .unwrap();
    assert!(text(&sampled.content[0]).contains("Paris is the answer"));
    assert!(seen.lock().unwrap().sample_prompts[0].contains("Capital of France?"));
    let elicited = client.call_tool("trigger-elicitation-request", ()).unwrap();
    let all: String = elicited
        .content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert!(all.contains("Ada Lovelace"), "{all}");
    assert!(
        seen.lock().unwrap().elicit_fields.len() >= 12,
        "every schema kind decoded: {:?}",
        seen.lock().unwrap().elicit_fields
    );
    let roots = client.call_tool("get-roots-list", ()).unwrap();
    assert!(text(&roots.content[0]).contains("file:///work/project"));

    // Resources.
    let resources = client.list_resources().unwrap().resources;
    assert_eq!(resources.len(), 7, "{resources:?}");
    let read = client.read_resource(&resources[0].uri).unwrap();
    assert!(matches!(&read.contents[0], ResourceContents::Text(t) if !t.text.is_empty()));
    let templates = client.list_resource_templates().unwrap().resource_templates;
    assert_eq!(templates.len(), 2);
    let blob = client
        .read_resource("demo://resource/dynamic/blob/1")
        .unwrap();
    assert!(matches!(&blob.contents[0], ResourceContents::Blob(b) if !b.blob.is_empty()));

    // Subscriptions: updates come on the standalone GET stream.
    let uri = resources[0].uri.clone();
    assert!(
        client
            .subscribe(Subscription::Resource(uri.clone()))
            .unwrap()
            .honored
    );
    client.call_tool("toggle-subscriber-updates", ()).unwrap();
    assert!(
        wait_note(
            &notes,
            |n| matches!(n, Notification::ResourceUpdated(p) if p.uri == uri)
        ),
        "no update for {uri}"
    );
    client.call_tool("toggle-subscriber-updates", ()).unwrap();
    client.unsubscribe(Subscription::Resource(uri)).unwrap();

    // Logging at the level set, on the standalone stream too.
    client.set_log_level(LoggingLevel::Debug).unwrap();
    client.call_tool("toggle-simulated-logging", ()).unwrap();
    assert!(
        wait_note(&notes, |n| matches!(n, Notification::Log(l)
            if l.data.as_str().is_some_and(|d| d.contains(&session)))),
        "no log message for session {session}"
    );
    client.call_tool("toggle-simulated-logging", ()).unwrap();

    // Prompts and completion.
    assert_eq!(client.list_prompts().unwrap().prompts.len(), 4);
    let prompt = client
        .get_prompt(
            "args-prompt",
            [("city", "Paris"), ("state", "Île-de-France")],
        )
        .unwrap();
    assert!(format!("{:?}", prompt.messages).contains("Paris"));
    let completion = client
        .complete(
            PromptReference::new("completable-prompt"),
            "department",
            "E",
        )
        .unwrap();
    assert!(
        completion
            .completion
            .values
            .iter()
            .any(|v| v.starts_with('E')),
        "{:?}",
        completion.completion.values
    );

    // Roots changed: the server asks for them again.
    while roots_asked.try_recv().is_ok() {}
    client.notify_roots_list_changed().unwrap();
    roots_asked
        .recv_timeout(LIMIT)
        .expect("the server asks for the roots again");

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
    let pending = client.start(call, opts).unwrap();
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

    // Many threads at once on one session.
    std::thread::scope(|s| {
        for t in 0..4 {
            let client = &client;
            s.spawn(move || {
                for i in 0..10 {
                    let msg = format!("t{t}-{i}");
                    let r = client.call_tool("echo", json!({ "message": msg })).unwrap();
                    assert_eq!(text(&r.content[0]), format!("Echo: {msg}"));
                }
            });
        }
    });

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
    let server = EverythingHttp::start(HttpMode::Streamable);
    let client = Client::builder()
        .config(config())
        .connect_http(HttpOptions::new(server.url()))
        .unwrap();
    let names = names(&client);
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
fn the_2024_http_sse_transport_is_found_and_works() {
    let server = EverythingHttp::start(HttpMode::Sse);
    let Connected {
        client,
        seen,
        notes: _,
        roots_asked: _,
        violations,
    } = connect(&server);
    // POST to /sse is refused (404), so the client falls back to GET /sse
    // and its endpoint event. The transport is the 2024-11-05 one; the
    // protocol revision is still negotiated in `initialize`, and this
    // server (TypeScript SDK 1.32) accepts the client's newest legacy one.
    assert_eq!(client.era(), Some(Era::Legacy));
    assert_eq!(client.version(), Some(ProtocolVersion::V2025_11_25));
    assert_eq!(client.http_transport(), Some(HttpTransport::LegacySse));
    assert_eq!(client.server_info().unwrap().name, "mcp-servers/everything");
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
