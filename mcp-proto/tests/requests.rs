//! Requests from issue to terminal event: wire shape per era, ids,
//! timeouts, cancellation, progress, pagination, capability checks, version
//! retries, logging, limits and closing.

mod common;

use std::time::Duration;

use common::*;
use mcp_proto::methods::{CallTool, ListTools, Method};
use mcp_proto::model::{
    CallToolRequestParams, ListToolsResult, LoggingLevel, PaginatedRequestParams,
};
use mcp_proto::testing::ServerConfig;
use mcp_proto::{
    CloseReason, Config, Event, Limits, Notification, Output, ProtocolVersion, RequestError,
    RequestOptions, UsageError,
};
use serde_json::{json, Value};

fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name).with_arguments(obj(args))
}

fn eras() -> [(&'static str, ServerConfig); 2] {
    [
        ("legacy", ServerConfig::legacy()),
        ("modern", ServerConfig::modern()),
    ]
}

#[test]
fn a_typed_tool_call_round_trips_in_both_eras() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let id = pair.call_tool("echo", json!({"text": "hi"}));
        pair.drive();
        let reply = outcome(pair.events(), id).unwrap_or_else(|e| panic!("{era}: {e}"));
        assert_eq!(reply.method, "tools/call");
        assert_eq!(tool_text(&reply), "hi", "{era}");
    }
}

#[test]
fn modern_requests_carry_their_metadata_and_legacy_ones_do_not() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        pair.call_tool("echo", json!({"text": "a"}));
        pair.client
            .request_raw(
                pair.now,
                "resources/list",
                Default::default(),
                RequestOptions::default(),
            )
            .unwrap();
        pair.drive();
        for m in pair
            .server
            .received()
            .iter()
            .filter(|m| m.get("id").is_some())
        {
            let meta = &m["params"]["_meta"];
            if era == "modern" {
                assert_eq!(
                    meta["io.modelcontextprotocol/protocolVersion"], "2026-07-28",
                    "{m}"
                );
                assert!(
                    meta["io.modelcontextprotocol/clientCapabilities"].is_object(),
                    "{m}"
                );
                assert_eq!(
                    meta["io.modelcontextprotocol/clientInfo"]["name"], "mcp-proto",
                    "{m}"
                );
            } else if m["method"] != "initialize" && m["method"] != "server/discover" {
                assert!(meta.is_null(), "legacy request with _meta: {m}");
            }
        }
    }
}

#[test]
fn json_rpc_ids_are_unique_and_never_reused() {
    let mut pair = ready(Config::default(), ServerConfig::modern());
    for _ in 0..5 {
        pair.client
            .request::<CallTool>(
                pair.now,
                &CallToolRequestParams::new("ask_name"),
                RequestOptions::default(),
            )
            .unwrap();
    }
    pair.drive();
    let ids: Vec<i64> = pair
        .server
        .received()
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(ids, sorted, "ids strictly increasing");
    // The probe, then each call and its input_required retry (the client
    // declares no elicitation, so the core declines and retries at once).
    assert_eq!(ids.len(), 11);
}

#[test]
fn an_unanswered_request_times_out_and_is_cancelled_on_the_wire() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let id = pair.call_tool("never", json!({}));
        pair.drive();
        let wire_id = pair.server.received().last().unwrap()["id"].clone();
        pair.advance(Duration::from_millis(59_999));
        assert!(!ended(pair.events(), id), "{era}: too early");
        pair.advance(Duration::from_millis(1));
        match outcome(pair.events(), id) {
            Err(RequestError::Timeout { after }) => assert_eq!(after, Duration::from_secs(60)),
            other => panic!("{era}: {other:?}"),
        }
        let cancel = sent(&pair, "notifications/cancelled");
        assert_eq!(cancel.len(), 1, "{era}");
        assert_eq!(cancel[0]["params"]["requestId"], wire_id);
        assert_eq!(cancel[0]["params"]["reason"], "timeout");
        // A late answer is dropped without a fuss.
        let now = pair.now;
        pair.server.send_json(
            now,
            json!({"jsonrpc":"2.0","id":wire_id,"result":{"content":[]}}),
        );
        pair.drive();
        assert!(
            !pair
                .events()
                .iter()
                .any(|e| matches!(e, Event::Violation(_))),
            "{era}: {:#?}",
            pair.events()
        );
        assert_eq!(pair.client.pending_calls(), 0);
    }
}

#[test]
fn a_per_request_timeout_overrides_the_default() {
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let opts = RequestOptions::default().with_timeout(Duration::from_secs(2));
    let id = pair
        .client
        .request::<CallTool>(pair.now, &call("never", json!({})), opts)
        .unwrap();
    pair.advance(Duration::from_secs(2));
    assert!(matches!(
        outcome(pair.events(), id),
        Err(RequestError::Timeout { .. })
    ));
}

#[test]
fn cancelling_sends_the_cancellation_once_and_ends_the_call() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let id = pair.call_tool("slow", json!({"steps": 5}));
        pair.drive();
        assert!(pair
            .client
            .cancel(pair.now, id, Some("user pressed stop".into())));
        assert!(
            !pair.client.cancel(pair.now, id, None),
            "{era}: a second cancel is a no-op"
        );
        pair.settle();
        assert_eq!(
            outcome(pair.events(), id),
            Err(RequestError::Cancelled {
                reason: Some("user pressed stop".into())
            })
        );
        let cancel = sent(&pair, "notifications/cancelled");
        assert_eq!(cancel.len(), 1, "{era}");
        assert_eq!(cancel[0]["params"]["reason"], "user pressed stop");
        assert!(!pair
            .events()
            .iter()
            .any(|e| matches!(e, Event::Violation(_))));
    }
}

#[test]
fn cancelling_a_call_not_yet_sent_sends_nothing() {
    let mut raw = Raw::new(Config::default());
    let id = raw.client.ping(raw.now, RequestOptions::default()).unwrap();
    assert!(raw.client.cancel(raw.now, id, None));
    raw.drain();
    assert_eq!(
        outcome(&raw.events, id),
        Err(RequestError::Cancelled { reason: None })
    );
    raw.legacy_handshake("2025-11-25", json!({}));
    assert!(raw
        .written
        .iter()
        .all(|m| m["method"] != "ping" && m["method"] != "notifications/cancelled"));
}

#[test]
fn progress_is_routed_to_its_call_only_when_asked_for() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let with = pair
            .client
            .request::<CallTool>(
                pair.now,
                &call("slow", json!({"steps": 3})),
                RequestOptions::default().with_progress(),
            )
            .unwrap();
        let without = pair.call_tool("slow", json!({"steps": 3}));
        pair.settle();
        let progress: Vec<_> = pair
            .events()
            .iter()
            .filter_map(|e| match e {
                Event::Progress { call, progress } => {
                    Some((*call, progress.progress.as_f64().unwrap()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(progress, [(with, 1.0), (with, 2.0), (with, 3.0)], "{era}");
        assert!(outcome(pair.events(), with).is_ok() && outcome(pair.events(), without).is_ok());
        let calls = sent(&pair, "tools/call");
        assert!(
            calls[0]["params"]["_meta"]["progressToken"].is_number(),
            "{era}"
        );
        assert!(
            calls[1]["params"]["_meta"].get("progressToken").is_none(),
            "{era}"
        );
    }
}

#[test]
fn a_progress_token_of_the_callers_own_is_used_and_routed() {
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let params = CallToolRequestParams {
        meta: Some(obj(
            json!({"progressToken": "mine", "traceparent": "00-abc"}),
        )),
        ..call("slow", json!({"steps": 2}))
    };
    let id = pair.call_tool_with(&params, RequestOptions::default());
    pair.settle();
    let sent_call = sent(&pair, "tools/call")[0];
    assert_eq!(
        sent_call["params"]["_meta"],
        json!({"progressToken": "mine", "traceparent": "00-abc"})
    );
    let n = pair
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Progress { call, .. } if *call == id))
        .count();
    assert_eq!(n, 2);
}

#[test]
fn progress_can_extend_the_timeout_up_to_the_hard_cap() {
    let slow = call("slow", json!({"steps": 10, "step_ms": 1000}));
    let opts = |reset| RequestOptions {
        timeout: Some(Duration::from_secs(3)),
        reset_timeout_on_progress: Some(reset),
        progress: true,
        ..RequestOptions::default()
    };
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let a = pair.call_tool_with(&slow, opts(true));
    let b = pair.call_tool_with(&slow, opts(false));
    let capped = pair.call_tool_with(
        &slow,
        RequestOptions {
            max_total_timeout: Some(Duration::from_secs(5)),
            ..opts(true)
        },
    );
    pair.settle();
    assert!(outcome(pair.events(), a).is_ok(), "progress kept it alive");
    assert_eq!(
        outcome(pair.events(), b),
        Err(RequestError::Timeout {
            after: Duration::from_secs(3)
        })
    );
    assert_eq!(
        outcome(pair.events(), capped),
        Err(RequestError::Timeout {
            after: Duration::from_secs(5)
        })
    );
}

#[test]
fn lists_are_fetched_to_the_end_and_merged() {
    for (era, mut server) in eras() {
        server.page_size = Some(4);
        let mut pair = ready(Config::default(), server);
        let all = pair
            .client
            .request::<ListTools>(
                pair.now,
                &PaginatedRequestParams::default(),
                RequestOptions::default(),
            )
            .unwrap();
        let first = pair
            .client
            .request::<ListTools>(
                pair.now,
                &PaginatedRequestParams::default(),
                RequestOptions::default().first_page_only(),
            )
            .unwrap();
        let page = PaginatedRequestParams {
            cursor: Some("c8".into()),
            ..PaginatedRequestParams::default()
        };
        let third = pair
            .client
            .request::<ListTools>(pair.now, &page, RequestOptions::default())
            .unwrap();
        pair.drive();
        let all: ListToolsResult = outcome(pair.events(), all).unwrap().decode().unwrap();
        assert_eq!(all.tools.len(), 15, "{era}");
        assert_eq!(all.next_cursor, None, "{era}");
        assert_eq!(all.tools[13].name, "log");
        let first: ListToolsResult = outcome(pair.events(), first).unwrap().decode().unwrap();
        assert_eq!(
            (first.tools.len(), first.next_cursor.as_deref()),
            (4, Some("c4"))
        );
        let third: ListToolsResult = outcome(pair.events(), third).unwrap().decode().unwrap();
        assert_eq!(
            (third.tools[0].name.as_str(), third.next_cursor.as_deref()),
            ("sample", Some("c12"))
        );
        let cursors: Vec<Value> = sent(&pair, "tools/list")
            .iter()
            .map(|m| m["params"]["cursor"].clone())
            .collect();
        // The three calls go out together; each page of the first follows
        // the answer to the one before it.
        assert_eq!(
            cursors,
            [
                Value::Null,
                Value::Null,
                json!("c8"),
                json!("c4"),
                json!("c8"),
                json!("c12")
            ],
            "{era}"
        );
    }
}

#[test]
fn a_server_that_repeats_a_cursor_or_never_ends_is_stopped() {
    let mut raw = Raw::new(Config {
        max_pages: 3,
        ..Config::default()
    });
    raw.legacy_handshake("2025-11-25", json!({"tools": {}}));
    let loops = raw
        .client
        .request::<ListTools>(raw.now, &Default::default(), RequestOptions::default())
        .unwrap();
    raw.drain();
    for cursor in ["a", "a"] {
        let id = raw.last_id();
        raw.feed_json(json!({"jsonrpc":"2.0","id":id,"result":{"tools":[],"nextCursor":cursor}}));
    }
    match outcome(&raw.events, loops) {
        Err(RequestError::InvalidResponse { detail, .. }) => {
            assert!(detail.contains("twice"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    let endless = raw
        .client
        .request::<ListTools>(raw.now, &Default::default(), RequestOptions::default())
        .unwrap();
    raw.drain();
    for cursor in ["p1", "p2", "p3"] {
        let id = raw.last_id();
        raw.feed_json(json!({"jsonrpc":"2.0","id":id,"result":{"tools":[{"name":"t","inputSchema":{"type":"object"}}],"nextCursor":cursor}}));
    }
    assert_eq!(
        outcome(&raw.events, endless),
        Err(RequestError::TooManyPages { pages: 3 })
    );
}

#[test]
fn methods_the_server_did_not_advertise_are_not_sent() {
    let mut raw = Raw::new(Config::default());
    raw.legacy_handshake("2025-11-25", json!({"prompts": {}}));
    let before = raw.written.len();
    let tools = raw
        .client
        .request::<ListTools>(raw.now, &Default::default(), RequestOptions::default())
        .unwrap();
    let level = raw
        .client
        .set_log_level(raw.now, LoggingLevel::Debug)
        .unwrap();
    raw.drain();
    assert_eq!(raw.written.len(), before, "nothing went out");
    assert_eq!(
        outcome(&raw.events, tools),
        Err(RequestError::Unsupported {
            method: "tools/list".into(),
            capability: "tools"
        })
    );
    assert_eq!(
        outcome(&raw.events, level),
        Err(RequestError::Unsupported {
            method: "logging/setLevel".into(),
            capability: "logging"
        })
    );

    // Opting out sends it anyway.
    let mut raw = Raw::new(Config {
        enforce_capabilities: false,
        ..Config::default()
    });
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.client
        .request::<ListTools>(raw.now, &Default::default(), RequestOptions::default())
        .unwrap();
    raw.drain();
    assert_eq!(raw.last()["method"], "tools/list");

    // 2024-11-05 has no completions flag: completion is just tried.
    let mut raw = Raw::new(Config::default());
    raw.legacy_handshake("2024-11-05", json!({}));
    raw.client
        .request_raw(
            raw.now,
            "completion/complete",
            obj(
                json!({"ref":{"type":"ref/prompt","name":"p"},"argument":{"name":"a","value":"b"}}),
            ),
            RequestOptions::default(),
        )
        .unwrap();
    raw.drain();
    assert_eq!(raw.last()["method"], "completion/complete");
}

#[test]
fn methods_of_the_other_era_fail_without_being_sent() {
    let mut pair = ready(Config::default(), ServerConfig::modern());
    let sub = pair
        .client
        .request_raw(
            pair.now,
            "resources/subscribe",
            obj(json!({"uri": "x"})),
            RequestOptions::default(),
        )
        .unwrap();
    pair.drive();
    assert_eq!(
        outcome(pair.events(), sub),
        Err(RequestError::NotInRevision {
            method: "resources/subscribe".into(),
            version: ProtocolVersion::V2026_07_28
        })
    );
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let listen = pair
        .client
        .request_raw(
            pair.now,
            "subscriptions/listen",
            Default::default(),
            RequestOptions::default(),
        )
        .unwrap();
    pair.drive();
    assert!(matches!(
        outcome(pair.events(), listen),
        Err(RequestError::NotInRevision { .. })
    ));
}

#[test]
fn unsupported_version_on_a_request_is_retried_once_with_a_new_id() {
    let mut raw = Raw::new(Config::default());
    raw.modern_handshake(json!({"tools": {}}));
    let id = raw
        .client
        .request::<CallTool>(
            raw.now,
            &call("echo", json!({"text": "x"})),
            RequestOptions::default(),
        )
        .unwrap();
    raw.drain();
    let unsupported = |id: i64| json!({"jsonrpc":"2.0","id":id,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2026-07-28"],"requested":"2026-07-28"}}});
    let first = raw.last_id();
    raw.feed_json(unsupported(first));
    let second = raw.last_id();
    assert_ne!(first, second);
    assert_eq!(raw.last()["params"]["name"], "echo");
    assert_eq!(
        raw.last()["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    raw.feed_json(unsupported(second));
    match outcome(&raw.events, id) {
        Err(RequestError::Server(e)) => assert_eq!(e.code, -32022),
        other => panic!("{other:?}"),
    }
    assert_eq!(raw.last_id(), second, "no third attempt");
}

#[test]
fn server_errors_arrive_whole() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let boom = pair.call_tool("boom", json!({}));
        let missing = pair
            .client
            .request_raw(
                pair.now,
                "resources/read",
                obj(json!({"uri": "file:///missing"})),
                RequestOptions::default(),
            )
            .unwrap();
        let unknown = pair.call_tool("nope", json!({}));
        let failing = pair.call_tool("fail", json!({}));
        pair.drive();
        let code = |c| match outcome(pair.events(), c) {
            Err(RequestError::Server(e)) => e.code,
            other => panic!("{era}: {other:?}"),
        };
        assert_eq!(code(boom), -32603);
        assert_eq!(code(missing), if era == "modern" { -32602 } else { -32002 });
        assert_eq!(code(unknown), -32602);
        let failed: mcp_proto::model::CallToolResult =
            outcome(pair.events(), failing).unwrap().decode().unwrap();
        assert_eq!(
            failed.is_error,
            Some(true),
            "tool errors are results, not protocol errors"
        );
    }
}

#[test]
fn ping_is_ping_in_legacy_and_discover_in_modern() {
    for (era, server, method) in [
        ("legacy", ServerConfig::legacy(), "ping"),
        ("modern", ServerConfig::modern(), "server/discover"),
    ] {
        let mut pair = ready(Config::default(), server);
        let id = pair
            .client
            .ping(pair.now, RequestOptions::default())
            .unwrap();
        pair.drive();
        assert_eq!(outcome(pair.events(), id).unwrap().method, method, "{era}");
        assert_eq!(pair.server.received().last().unwrap()["method"], method);
    }
}

#[test]
fn the_log_level_is_a_request_in_legacy_and_metadata_in_modern() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let set = pair
            .client
            .set_log_level(pair.now, LoggingLevel::Debug)
            .unwrap();
        pair.drive();
        assert!(outcome(pair.events(), set).is_ok(), "{era}");
        pair.call_tool("log", json!({"level": "info", "text": "hello"}));
        pair.drive();
        let logs: Vec<_> = pair
            .events()
            .iter()
            .filter_map(|e| match e {
                Event::Notification(Notification::Log(l)) => Some(l.data.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(logs, [json!("hello")], "{era}");
        let set_level = sent(&pair, "logging/setLevel");
        let tool_call = sent(&pair, "tools/call")[0];
        if era == "modern" {
            assert!(set_level.is_empty());
            assert_eq!(
                tool_call["params"]["_meta"]["io.modelcontextprotocol/logLevel"],
                "debug"
            );
        } else {
            assert_eq!(set_level[0]["params"]["level"], "debug");
        }
    }
}

#[test]
fn the_pending_limit_refuses_without_losing_anything() {
    let cfg = Config {
        limits: Limits {
            max_pending_calls: 2,
            ..Limits::default()
        },
        ..Config::default()
    };
    let mut pair = ready(cfg, ServerConfig::legacy());
    let a = pair.call_tool("echo", json!({"text": "a"}));
    let b = pair.call_tool("echo", json!({"text": "b"}));
    assert_eq!(
        pair.client.request::<CallTool>(
            pair.now,
            &call("echo", json!({})),
            RequestOptions::default()
        ),
        Err(UsageError::TooManyPending { limit: 2 })
    );
    pair.drive();
    assert_eq!(tool_text(&outcome(pair.events(), a).unwrap()), "a");
    assert_eq!(tool_text(&outcome(pair.events(), b).unwrap()), "b");
    assert!(pair
        .client
        .request::<CallTool>(
            pair.now,
            &call("echo", json!({})),
            RequestOptions::default()
        )
        .is_ok());
}

struct NotAnObject;
impl Method for NotAnObject {
    const NAME: &'static str = "x/list";
    type Params = Vec<u8>;
    type Result = Value;
}

#[test]
fn params_must_be_an_object() {
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    assert_eq!(
        pair.client
            .request::<NotAnObject>(pair.now, &vec![1, 2], RequestOptions::default()),
        Err(UsageError::ParamsNotObject {
            method: "x/list".into(),
            got: "an array"
        })
    );
    assert_eq!(pair.client.pending_calls(), 0);
}

#[test]
fn closing_ends_every_call_closes_the_transport_and_ends_with_closed() {
    for (era, server) in eras() {
        let mut pair = ready(Config::default(), server);
        let a = pair.call_tool("never", json!({}));
        pair.drive();
        pair.client.close(pair.now);
        let mut outs = Vec::new();
        while let Some(o) = pair.client.poll_output() {
            outs.push(o);
        }
        assert!(
            outs.iter().any(|o| matches!(o, Output::CloseTransport)),
            "{era}"
        );
        let events: Vec<Event> = outs
            .into_iter()
            .filter_map(|o| {
                if let Output::Event(e) = o {
                    Some(e)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(
            outcome(&events, a),
            Err(RequestError::Closed(CloseReason::ClosedByUser))
        );
        assert!(
            matches!(
                events.last(),
                Some(Event::Closed(CloseReason::ClosedByUser))
            ),
            "{era}"
        );
        assert_eq!(
            pair.client.ping(pair.now, RequestOptions::default()),
            Err(UsageError::Closed)
        );
        assert!(pair
            .client
            .handle_bytes(pair.now, b"{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n")
            .is_ok());
        assert!(pair.client.poll_output().is_none(), "nothing after Closed");
        assert!(pair.client.poll_timeout().is_none());
    }
}

#[test]
fn the_server_exiting_fails_what_is_pending_at_once() {
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let a = pair.call_tool("never", json!({}));
    pair.drive();
    pair.server.exit();
    pair.drive();
    assert_eq!(
        outcome(pair.events(), a),
        Err(RequestError::Closed(CloseReason::PeerClosed {
            during_probe: false
        }))
    );
    assert!(matches!(pair.events().last(), Some(Event::Closed(_))));
}

#[test]
fn a_legacy_servers_ping_is_answered() {
    let mut raw = Raw::new(Config::default());
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.feed(r#"{"jsonrpc":"2.0","id":"p-1","method":"ping"}"#);
    assert_eq!(raw.last(), &json!({"jsonrpc":"2.0","id":"p-1","result":{}}));
    raw.feed(r#"{"jsonrpc":"2.0","id":9,"method":"mystery/method","params":{}}"#);
    assert_eq!(raw.last()["error"]["code"], -32601);
    assert_eq!(raw.last()["id"], 9);
}

struct Unserializable;
impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this type refuses to serialize"))
    }
}

struct RefusesToSerialize;
impl Method for RefusesToSerialize {
    const NAME: &'static str = "x/refuse";
    type Params = Unserializable;
    type Result = Value;
}

#[test]
fn params_that_fail_to_serialize_are_a_usage_error() {
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    assert_eq!(
        pair.client.request::<RefusesToSerialize>(
            pair.now,
            &Unserializable,
            RequestOptions::default()
        ),
        Err(UsageError::Serialize {
            method: "x/refuse".into(),
            message: "this type refuses to serialize".into()
        })
    );
    assert_eq!(pair.client.pending_calls(), 0);
}

#[test]
fn a_driver_may_name_its_calls() {
    use mcp_proto::{Call, CallId, UsageError};
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    let call = || Call::request::<CallTool>(&CallToolRequestParams::new("echo")).unwrap();
    let id = pair
        .client
        .start_with_id(
            pair.now,
            Some(CallId(40)),
            call(),
            RequestOptions::default(),
        )
        .unwrap();
    assert_eq!(id, CallId(40));
    // Not twice while it is out.
    assert_eq!(
        pair.client.start_with_id(
            pair.now,
            Some(CallId(40)),
            call(),
            RequestOptions::default()
        ),
        Err(UsageError::CallIdInUse(CallId(40)))
    );
    // Ids the core picks later never collide with it.
    let next = pair
        .client
        .start(pair.now, call(), RequestOptions::default())
        .unwrap();
    assert!(next.0 > 40, "{next}");
    pair.drive();
    assert!(outcome(pair.events(), id).is_ok());
    assert!(outcome(pair.events(), next).is_ok());
    // Once it ended, the id may be used again.
    assert!(pair
        .client
        .start_with_id(
            pair.now,
            Some(CallId(40)),
            call(),
            RequestOptions::default()
        )
        .is_ok());
}
