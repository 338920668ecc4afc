//! One walk through what `@modelcontextprotocol/server-everything` offers,
//! shared by the tests that reach it over stdio and over HTTP: the
//! handlers that answer its questions, and a check per feature. The tests
//! keep what differs by transport (how the connection starts and ends, which
//! stream a notification comes on). The client is `mcp_switch::Client`, so
//! every check runs on either adapter.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_blocking::mcp_proto::model::{
    ContentBlock, CreateMessageResult, ElicitRequestParams, ElicitResult,
    PrimitiveSchemaDefinition, PromptReference, Resource, ResourceContents, Root,
};
use mcp_blocking::mcp_proto::Violation;
use mcp_blocking::prelude::{
    InputHandlers, Notification, NotificationHandler, Operations, Subscription,
};
use mcp_switch::Client;
use serde_json::json;

/// The outer bound on waiting for something the server does by itself (its
/// simulated logs and updates come every 5 s).
pub const LIMIT: Duration = Duration::from_secs(20);

/// The text of a text content block.
pub fn text(c: &ContentBlock) -> &str {
    match c {
        ContentBlock::Text(t) => &t.text,
        other => panic!("not text: {other:?}"),
    }
}

/// What the input handlers saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// The fields of every elicitation form.
    pub elicit_fields: Vec<String>,
    /// The messages of every sampling request.
    pub sample_prompts: Vec<String>,
}

/// The handlers the checks expect: elicitations accepted with a fixed
/// person, sampling answered "Paris", one root (and `listChanged`). Each
/// `roots/list` the server sends is reported on the returned receiver.
pub fn handlers() -> (InputHandlers, Arc<Mutex<Seen>>, Receiver<()>) {
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
    (handlers, seen, roots_asked)
}

/// Hands notifications and violations to the test, in order.
pub struct Notes {
    tx: Mutex<Sender<Notification>>,
    violations: Arc<Mutex<Vec<Violation>>>,
}

impl Notes {
    /// The handler, the notifications it passes on, and the violations it
    /// collected.
    pub fn new() -> (Notes, Receiver<Notification>, Arc<Mutex<Vec<Violation>>>) {
        let (tx, rx) = mpsc::channel();
        let violations = Arc::new(Mutex::new(Vec::new()));
        let notes = Notes {
            tx: Mutex::new(tx),
            violations: violations.clone(),
        };
        (notes, rx, violations)
    }
}

impl NotificationHandler for Notes {
    fn notification(&self, n: &Notification) {
        let _ = self.tx.lock().unwrap().send(n.clone());
    }
    fn violation(&self, v: &Violation) {
        self.violations.lock().unwrap().push(v.clone());
    }
}

/// Waits (at most [`LIMIT`]) for a notification that satisfies `pred`,
/// dropping the others.
pub fn wait_note(notes: &Receiver<Notification>, pred: impl Fn(&Notification) -> bool) -> bool {
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

/// The tool names, listed afresh.
pub fn tool_names(client: &Client) -> Vec<String> {
    client
        .fresh()
        .list_tools()
        .unwrap()
        .tools
        .into_iter()
        .map(|t| t.name)
        .collect()
}

/// With sampling, elicitation and roots declared, every tool is listed;
/// the plain ones answer as they should.
pub fn tools(client: &Client) {
    let names = tool_names(client);
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
    let sum = client
        .call_tool("get-sum", json!({"a": 2, "b": 3}))
        .unwrap();
    assert!(text(&sum.content[0]).contains('5'));
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
    let links = client
        .call_tool("get-resource-links", json!({"count": 2}))
        .unwrap();
    let count = links
        .content
        .iter()
        .filter(|c| matches!(c, ContentBlock::ResourceLink(_)))
        .count();
    assert_eq!(count, 2);
    let reference = client
        .call_tool(
            "get-resource-reference",
            json!({"resourceType": "Text", "resourceId": 1}),
        )
        .unwrap();
    assert!(reference
        .content
        .iter()
        .any(|c| matches!(c, ContentBlock::Resource(_))));
    let annotated = client
        .call_tool("get-annotated-message", json!({"messageType": "error"}))
        .unwrap();
    assert!(annotated
        .content
        .iter()
        .any(|c| matches!(c, ContentBlock::Text(t) if t.annotations.is_some())));
    // This server reports an unknown tool as a tool error, not a protocol error.
    let unknown = client.call_tool("no-such-tool", ()).unwrap();
    assert_eq!(unknown.is_error, Some(true));
    assert!(text(&unknown.content[0]).contains("not found"));
}

/// Progress reaches the call's callback, in order, every report before
/// the call returns.
pub fn progress(client: &Client) {
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
}

/// The server's own requests (sampling, elicitation, roots) during a call,
/// answered by the handlers of [`handlers`].
pub fn server_requests(client: &Client, seen: &Mutex<Seen>) {
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
    let fields = seen.lock().unwrap().elicit_fields.clone();
    assert!(fields.len() >= 12, "every schema kind decoded: {fields:?}");
    let roots = client.call_tool("get-roots-list", ()).unwrap();
    assert!(text(&roots.content[0]).contains("file:///work/project"));
}

/// Resources, templates, text and blob reads; returns the resources.
pub fn resources(client: &Client) -> Vec<Resource> {
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
    resources
}

/// Updates of a subscribed resource arrive (on whatever stream the
/// transport has for them).
pub fn subscription(client: &Client, notes: &Receiver<Notification>, uri: &str) {
    let subscribed = client
        .subscribe(Subscription::Resource(uri.to_owned()))
        .unwrap();
    assert!(subscribed.honored);
    client.call_tool("toggle-subscriber-updates", ()).unwrap();
    assert!(
        wait_note(
            notes,
            |n| matches!(n, Notification::ResourceUpdated(p) if p.uri == uri)
        ),
        "no update for {uri}"
    );
    client.call_tool("toggle-subscriber-updates", ()).unwrap();
    client
        .unsubscribe(Subscription::Resource(uri.to_owned()))
        .unwrap();
}

/// Prompts with arguments, and completion of a prompt argument.
pub fn prompts_and_completion(client: &Client) {
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
    let values = &completion.completion.values;
    assert!(values.iter().any(|v| v.starts_with('E')), "{values:?}");
}

/// Roots changed: the server asks for them again.
pub fn roots_changed(client: &Client, roots_asked: &Receiver<()>) {
    while roots_asked.try_recv().is_ok() {}
    client.notify_roots_list_changed().unwrap();
    roots_asked
        .recv_timeout(LIMIT)
        .expect("the server asks for the roots again");
}

/// `threads` threads of `calls` echo calls each, on one connection.
pub fn many_threads(client: &Client, threads: usize, calls: usize) {
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..calls {
                    let msg = format!("t{t}-{i}");
                    let r = client.call_tool("echo", json!({ "message": msg })).unwrap();
                    assert_eq!(text(&r.content[0]), format!("Echo: {msg}"));
                }
            });
        }
    });
}
