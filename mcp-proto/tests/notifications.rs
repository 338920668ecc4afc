//! Notifications and subscriptions: `resources/subscribe` in the legacy era,
//! a `subscriptions/listen` stream in the modern one, one API for both.

mod common;

use common::*;
use mcp_proto::model::CallToolRequestParams;
use mcp_proto::testing::ServerConfig;
use mcp_proto::{
    Config, Event, Notification, RequestError, RequestOptions, SubscribeOutcome, Subscription,
    Tolerance, ViolationKind,
};
use serde_json::json;

fn touch(pair: &mut mcp_proto::testing::Pair, uri: &str) {
    let params = CallToolRequestParams::new("touch").with_arguments(obj(json!({ "uri": uri })));
    pair.call_tool_with(&params, RequestOptions::default());
    pair.drive();
}

fn notes(events: &[Event]) -> Vec<Notification> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notification(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn honored(events: &[Event], call: mcp_proto::CallId) -> bool {
    outcome(events, call)
        .unwrap()
        .decode::<SubscribeOutcome>()
        .unwrap()
        .honored
}

#[test]
fn legacy_resource_subscriptions_go_over_the_wire() {
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let sub = pair
        .client
        .subscribe(pair.now, Subscription::Resource("file:///a.txt".into()))
        .unwrap();
    pair.drive();
    assert!(honored(pair.events(), sub));
    assert_eq!(
        sent(&pair, "resources/subscribe")[0]["params"],
        json!({"uri": "file:///a.txt"})
    );
    touch(&mut pair, "file:///a.txt");
    let got = notes(pair.events());
    assert!(
        got.iter()
            .any(|n| matches!(n, Notification::ResourceUpdated(p) if p.uri == "file:///a.txt")),
        "{got:?}"
    );
    // Legacy list-changed notifications come unasked.
    assert!(got.contains(&Notification::ToolsListChanged));

    let unsub = pair
        .client
        .unsubscribe(pair.now, Subscription::Resource("file:///a.txt".into()))
        .unwrap();
    pair.drive();
    assert!(outcome(pair.events(), unsub).is_ok());
    assert_eq!(sent(&pair, "resources/unsubscribe").len(), 1);
}

#[test]
fn legacy_list_subscriptions_only_report_what_the_server_advertises() {
    let mut raw = Raw::new(Config::default());
    raw.legacy_handshake(
        "2025-06-18",
        json!({"tools": {"listChanged": true}, "prompts": {}, "resources": {}}),
    );
    let before = raw.written.len();
    let tools = raw
        .client
        .subscribe(raw.now, Subscription::ToolsListChanged)
        .unwrap();
    let prompts = raw
        .client
        .subscribe(raw.now, Subscription::PromptsListChanged)
        .unwrap();
    let resource = raw
        .client
        .subscribe(raw.now, Subscription::Resource("x".into()))
        .unwrap();
    raw.drain();
    assert_eq!(raw.written.len(), before, "nothing to send");
    assert!(honored(&raw.events, tools));
    assert!(!honored(&raw.events, prompts));
    assert_eq!(
        outcome(&raw.events, resource),
        Err(RequestError::Unsupported {
            method: "resources/subscribe".into(),
            capability: "resources.subscribe"
        })
    );
}

#[test]
fn modern_subscriptions_open_one_listen_stream_and_honour_the_acknowledgement() {
    let mut pair = ready(Config::default(), ServerConfig::modern());
    let res = pair
        .client
        .subscribe(pair.now, Subscription::Resource("file:///a.txt".into()))
        .unwrap();
    pair.drive();
    assert!(honored(pair.events(), res));
    let listens = sent(&pair, "subscriptions/listen");
    assert_eq!(listens.len(), 1);
    assert_eq!(
        listens[0]["params"]["notifications"],
        json!({"resourceSubscriptions": ["file:///a.txt"]})
    );
    assert_eq!(
        listens[0]["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    let first_listen = listens[0]["id"].clone();

    // A wider filter opens a new stream; the old one is cancelled once the
    // new one is acknowledged. The scripted server does not honour prompts.
    let prompts = pair
        .client
        .subscribe(pair.now, Subscription::PromptsListChanged)
        .unwrap();
    let tools = pair
        .client
        .subscribe(pair.now, Subscription::ToolsListChanged)
        .unwrap();
    pair.drive();
    assert!(!honored(pair.events(), prompts));
    assert!(honored(pair.events(), tools));
    let cancelled: Vec<_> = sent(&pair, "notifications/cancelled")
        .iter()
        .map(|m| m["params"]["requestId"].clone())
        .collect();
    assert!(cancelled.contains(&first_listen), "{cancelled:?}");

    pair.take_events();
    touch(&mut pair, "file:///a.txt");
    let got = notes(pair.events());
    assert_eq!(
        got.iter()
            .filter(|n| matches!(n, Notification::ResourceUpdated(p) if p.uri == "file:///a.txt"))
            .count(),
        1,
        "{got:?}"
    );
    assert_eq!(
        got.iter()
            .filter(|n| **n == Notification::ToolsListChanged)
            .count(),
        1
    );
}

#[test]
fn modern_unsubscribe_takes_effect_at_once_and_closes_the_stream_when_empty() {
    let mut pair = ready(Config::default(), ServerConfig::modern());
    pair.client
        .subscribe(pair.now, Subscription::Resource("file:///a.txt".into()))
        .unwrap();
    pair.client
        .subscribe(pair.now, Subscription::ToolsListChanged)
        .unwrap();
    pair.drive();
    let un = pair
        .client
        .unsubscribe(pair.now, Subscription::ToolsListChanged)
        .unwrap();
    pair.drive();
    assert!(outcome(pair.events(), un).is_ok());
    pair.take_events();
    touch(&mut pair, "file:///a.txt");
    let got = notes(pair.events());
    assert!(!got.contains(&Notification::ToolsListChanged), "{got:?}");
    assert!(got
        .iter()
        .any(|n| matches!(n, Notification::ResourceUpdated(_))));

    pair.client
        .unsubscribe(pair.now, Subscription::Resource("file:///a.txt".into()))
        .unwrap();
    pair.drive();
    let open: Vec<_> = sent(&pair, "subscriptions/listen")
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    let cancelled: Vec<_> = sent(&pair, "notifications/cancelled")
        .iter()
        .map(|m| m["params"]["requestId"].clone())
        .collect();
    for id in open {
        assert!(
            cancelled.contains(&id),
            "listen {id} left open; cancelled {cancelled:?}"
        );
    }
}

#[test]
fn the_server_ending_the_stream_is_reported() {
    for ending in ["result", "cancelled"] {
        let mut raw = Raw::new(Config::default());
        raw.modern_handshake(json!({"tools": {"listChanged": true}}));
        let sub = raw
            .client
            .subscribe(raw.now, Subscription::ToolsListChanged)
            .unwrap();
        raw.drain();
        let listen = raw.last_id();
        raw.feed_json(json!({"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged",
            "params":{"_meta":{"io.modelcontextprotocol/subscriptionId":listen},"notifications":{"toolsListChanged":true}}}));
        assert!(honored(&raw.events, sub));
        raw.feed_json(
            json!({"jsonrpc":"2.0","method":"notifications/tools/list_changed",
            "params":{"_meta":{"io.modelcontextprotocol/subscriptionId":listen}}}),
        );
        if ending == "result" {
            raw.feed_json(
                json!({"jsonrpc":"2.0","id":listen,"result":{"resultType":"complete",
                "_meta":{"io.modelcontextprotocol/subscriptionId":listen}}}),
            );
        } else {
            raw.feed_json(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":listen}}));
        }
        let got = notes(&raw.events);
        assert_eq!(got[0], Notification::ToolsListChanged);
        assert!(
            matches!(got[1], Notification::SubscriptionsEnded { .. }),
            "{ending}: {got:?}"
        );
        // Notifications for the ended stream are dropped and reported.
        raw.take_events();
        raw.feed_json(
            json!({"jsonrpc":"2.0","method":"notifications/tools/list_changed",
            "params":{"_meta":{"io.modelcontextprotocol/subscriptionId":listen}}}),
        );
        assert!(
            matches!(raw.events.as_slice(), [Event::Violation(v)] if v.kind == ViolationKind::UnexpectedSubscriptionMessage)
        );
    }
}

#[test]
fn a_refused_listen_fails_the_subscription() {
    let mut raw = Raw::new(Config::default());
    raw.modern_handshake(json!({}));
    let sub = raw
        .client
        .subscribe(raw.now, Subscription::ToolsListChanged)
        .unwrap();
    raw.drain();
    let listen = raw.last_id();
    raw.feed_json(json!({"jsonrpc":"2.0","id":listen,"error":{"code":-32601,"message":"no subscriptions here"}}));
    assert!(matches!(outcome(&raw.events, sub), Err(RequestError::Server(e)) if e.code == -32601));
}

#[test]
fn an_unacknowledged_listen_times_out() {
    let mut raw = Raw::new(Config::default());
    raw.modern_handshake(json!({}));
    let sub = raw
        .client
        .subscribe(raw.now, Subscription::ToolsListChanged)
        .unwrap();
    raw.drain();
    let listen = raw.last_id();
    raw.advance(std::time::Duration::from_secs(60));
    assert!(matches!(
        outcome(&raw.events, sub),
        Err(RequestError::Timeout { .. })
    ));
    assert_eq!(raw.last()["method"], "notifications/cancelled");
    assert_eq!(raw.last()["params"]["requestId"], listen);
}

#[test]
fn logs_other_notifications_and_unknown_progress() {
    let mut raw = Raw::new(Config::default());
    raw.legacy_handshake("2025-11-25", json!({"logging": {}}));
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"warning","logger":"db","data":{"slow":true}}}"#);
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/elicitation/complete","params":{"elicitationId":"el-9"}}"#);
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/tasks/status","params":{"taskId":"t1","status":"working","createdAt":"2025-01-01T00:00:00Z","lastUpdatedAt":"2025-01-01T00:00:00Z","ttl":null}}"#);
    raw.feed(r#"{"jsonrpc":"2.0","method":"vendor/heartbeat","params":{"n":1}}"#);
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"nobody","progress":1}}"#);
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"nolevel":true}}"#);
    let got: Vec<String> = raw.events.iter().map(|e| format!("{e:?}")).collect();
    assert!(
        matches!(&raw.events[0], Event::Notification(Notification::Log(l)) if l.logger.as_deref() == Some("db")),
        "{got:#?}"
    );
    assert!(
        matches!(&raw.events[1], Event::Notification(Notification::ElicitationComplete(p)) if p.elicitation_id == "el-9")
    );
    assert!(
        matches!(&raw.events[2], Event::Notification(Notification::TaskStatus(t)) if t.task_id == "t1")
    );
    assert!(
        matches!(&raw.events[3], Event::Notification(Notification::Other { method, .. }) if method == "vendor/heartbeat")
    );
    assert!(
        matches!(&raw.events[4], Event::Violation(v) if v.kind == ViolationKind::UnknownProgressToken)
    );
    assert!(
        matches!(&raw.events[5], Event::Violation(v) if v.kind == ViolationKind::InvalidNotification)
    );
    assert!(
        matches!(&raw.events[6], Event::Notification(Notification::Other { method, .. }) if method == "notifications/message")
    );
    assert_eq!(raw.events.len(), 7);

    // Strict: an unknown notification closes the connection.
    let mut raw = Raw::new(Config::default().with_tolerance(Tolerance::Strict));
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.feed(r#"{"jsonrpc":"2.0","method":"vendor/heartbeat"}"#);
    assert!(
        matches!(raw.client.close_reason(), Some(mcp_proto::CloseReason::Protocol(v)) if v.kind == ViolationKind::UnknownNotification)
    );
}

#[test]
fn roots_list_changed_is_sent_only_where_it_exists() {
    use mcp_proto::model::{ClientCapabilities, RootsCapability};
    let caps = ClientCapabilities {
        roots: Some(RootsCapability {
            list_changed: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut raw = Raw::new(Config::default().with_capabilities(caps.clone()));
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.client.notify_roots_list_changed(raw.now).unwrap();
    raw.drain();
    assert_eq!(raw.last()["method"], "notifications/roots/list_changed");

    let mut raw = Raw::new(Config::default().with_capabilities(caps));
    let probe = &raw.written[0];
    assert!(
        probe["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"]["roots"]
            .get("listChanged")
            .is_none(),
        "modern capabilities have no roots.listChanged: {probe}"
    );
    raw.modern_handshake(json!({}));
    let before = raw.written.len();
    raw.client.notify_roots_list_changed(raw.now).unwrap();
    raw.drain();
    assert_eq!(raw.written.len(), before);

    let mut raw = Raw::new(Config::default());
    assert!(matches!(
        raw.client.notify_roots_list_changed(raw.now),
        Err(mcp_proto::UsageError::CapabilityNotDeclared { .. })
    ));
}
