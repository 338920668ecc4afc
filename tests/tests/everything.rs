//! mcp-blocking against the real `@modelcontextprotocol/server-everything`
//! (pinned in tests/js), over stdio: every feature it offers, and its
//! server-to-client requests answered through the callbacks.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_blocking::mcp_proto::model::{
    ContentBlock, CreateMessageResult, ElicitRequestParams, ElicitResult, LoggingLevel,
    PrimitiveSchemaDefinition, PromptReference, ResourceContents, Root,
};
use mcp_blocking::mcp_proto::{Era, ProtocolVersion};
use mcp_blocking::prelude::*;
use mcp_tests::{eventually, everything, group_gone, process_gone};
use serde_json::json;

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
    roots_calls: usize,
}

struct Notes(mpsc::Sender<Notification>);

impl NotificationHandler for Notes {
    fn notification(&self, n: &Notification) {
        let _ = self.0.send(n.clone());
    }
}

fn connect() -> (Client, Arc<Mutex<Seen>>, mpsc::Receiver<Notification>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let handlers = InputHandlers::new()
        .on_elicit(move |req| {
            let ElicitRequestParams::Form(form) = req else { return ElicitResult::decline() };
            let mut seen = s1.lock().unwrap();
            for (name, schema) in &form.requested_schema.properties {
                assert!(!matches!(schema, PrimitiveSchemaDefinition::Unknown(_)), "{name} did not decode: {schema:?}");
                seen.elicit_fields.push(name.clone());
            }
            ElicitResult::accept(json!({"name": "Ada Lovelace", "check": true, "integer": 7}).as_object().cloned().unwrap())
        })
        .on_sample(move |req| {
            s2.lock().unwrap().sample_prompts.push(format!("{:?}", req.messages));
            serde_json::from_value::<CreateMessageResult>(json!({
                "role": "assistant", "content": {"type": "text", "text": "Paris is the answer"}, "model": "test-model", "stopReason": "endTurn"
            }))
            .map_err(|e| e.to_string())
        })
        .on_roots(move || {
            s3.lock().unwrap().roots_calls += 1;
            vec![Root::new("file:///work/project")]
        })
        .with_roots_list_changed();
    let (tx, rx) = mpsc::channel();
    let client = Client::builder()
        .input_handler(handlers)
        .notification_handler(Notes(tx))
        .spawn(&everything())
        .expect("server-everything starts");
    (client, seen, rx)
}

#[test]
fn every_feature_of_server_everything() {
    let (client, seen, notes) = connect();
    let pid = client.pid().expect("a spawned server has a pid");

    // Handshake: a legacy server, found by the probe.
    assert_eq!(client.era(), Some(Era::Legacy));
    assert_eq!(client.version(), Some(ProtocolVersion::V2025_11_25));
    assert_eq!(client.server_info().unwrap().name, "mcp-servers/everything");
    let caps = client.capabilities().unwrap();
    assert!(
        caps.tools.is_some()
            && caps.prompts.is_some()
            && caps.logging.is_some()
            && caps.completions.is_some()
    );
    client.ping().expect("ping");

    // Tools: with sampling, elicitation and roots declared, all 16 appear.
    let tools = client.list_tools().unwrap().tools;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for want in [
        "echo",
        "get-sum",
        "get-structured-content",
        "trigger-sampling-request",
        "trigger-elicitation-request",
        "get-roots-list",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(
        text(
            &client
                .call_tool("echo", json!({"message": "hi"}))
                .unwrap()
                .content[0]
        ),
        "Echo: hi"
    );
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
    let links = client
        .call_tool("get-resource-links", json!({"count": 2}))
        .unwrap();
    assert_eq!(
        links
            .content
            .iter()
            .filter(|c| matches!(c, ContentBlock::ResourceLink(_)))
            .count(),
        2
    );
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

    // Progress reaches the per-call callback, in order.
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    client
        .with_progress(move |n| p.lock().unwrap().push(n.progress.as_f64().unwrap()))
        .call_tool(
            "trigger-long-running-operation",
            json!({"duration": 1, "steps": 4}),
        )
        .unwrap();
    assert!(
        eventually(Duration::from_secs(2), || progress.lock().unwrap().len()
            == 4),
        "{:?}",
        progress.lock().unwrap()
    );
    let got = progress.lock().unwrap().clone();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "progress must increase: {got:?}"
    );

    // Server-to-client requests, answered by the callbacks.
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
    assert_eq!(resources.len(), 7);
    let read = client.read_resource(&resources[0].uri).unwrap();
    assert!(matches!(&read.contents[0], ResourceContents::Text(t) if !t.text.is_empty()));
    let templates = client.list_resource_templates().unwrap().resource_templates;
    assert_eq!(templates.len(), 2);
    let blob = client
        .read_resource("demo://resource/dynamic/blob/1")
        .unwrap();
    assert!(matches!(&blob.contents[0], ResourceContents::Blob(b) if !b.blob.is_empty()));

    // Subscriptions: updates for a subscribed resource arrive.
    let uri = resources[0].uri.clone();
    assert!(
        client
            .subscribe(Subscription::Resource(uri.clone()))
            .unwrap()
            .honored
    );
    client.call_tool("toggle-subscriber-updates", ()).unwrap();
    let updated = notes
        .iter()
        .take(100)
        .any(|n| matches!(n, Notification::ResourceUpdated(p) if p.uri == uri));
    assert!(updated, "no update for {uri}");
    client.call_tool("toggle-subscriber-updates", ()).unwrap();
    client.unsubscribe(Subscription::Resource(uri)).unwrap();

    // Logging at the level set.
    client.set_log_level(LoggingLevel::Debug).unwrap();
    client.call_tool("toggle-simulated-logging", ()).unwrap();
    assert!(
        notes
            .iter()
            .take(100)
            .any(|n| matches!(n, Notification::Log(_))),
        "no log message"
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
    let before = seen.lock().unwrap().roots_calls;
    client.notify_roots_list_changed().unwrap();
    assert!(eventually(Duration::from_secs(5), || seen
        .lock()
        .unwrap()
        .roots_calls
        > before));

    // Many threads at once on one connection.
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = &client;
            s.spawn(move || {
                for i in 0..25 {
                    let msg = format!("t{t}-{i}");
                    let r = client.call_tool("echo", json!({ "message": msg })).unwrap();
                    assert_eq!(text(&r.content[0]), format!("Echo: {msg}"));
                }
            });
        }
    });

    // A clean close: the server exits, nothing is left behind.
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(closed.exit.is_some(), "{closed:?}");
    assert!(
        eventually(Duration::from_secs(5), || process_gone(pid)),
        "server {pid} still there"
    );
    assert!(
        group_gone(pid),
        "something is left in the server's process group"
    );
    assert!(
        matches!(client.ping(), Err(Error::Closed(_))),
        "calls after close fail clearly"
    );
}

#[test]
fn without_handlers_server_requests_are_refused_and_the_tools_hidden() {
    let client = Client::spawn(&everything()).unwrap();
    let names: Vec<String> = client
        .list_tools()
        .unwrap()
        .tools
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(
        !names.iter().any(|n| n == "trigger-sampling-request"),
        "{names:?}"
    );
    assert_eq!(names.len(), 13);
    let empty: BTreeMap<&str, &str> = BTreeMap::new();
    assert!(client.get_prompt("simple-prompt", empty).is_ok());
    client.close();
}
