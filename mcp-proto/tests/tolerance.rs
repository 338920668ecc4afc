//! What real servers get wrong, under the lenient default and the strict
//! policy; frame and queue limits; the wire tap.

mod common;

use std::time::Instant;

use common::*;
use mcp_proto::methods::CallTool;
use mcp_proto::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use mcp_proto::testing::ServerConfig;
use mcp_proto::{
    CloseReason, Config, Direction, Event, Limits, Notification, Output, RequestError,
    RequestOptions, Tolerance, UsageError, ViolationKind,
};
use serde_json::json;

fn violations(events: &[Event]) -> Vec<ViolationKind> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Violation(v) => Some(v.kind),
            _ => None,
        })
        .collect()
}

fn legacy_raw(cfg: Config) -> Raw {
    let mut raw = Raw::new(cfg);
    raw.legacy_handshake("2025-11-25", json!({"tools": {}}));
    raw
}

fn echo(raw: &mut Raw) -> (mcp_proto::CallId, i64) {
    let id = raw
        .client
        .request::<CallTool>(
            raw.now,
            &CallToolRequestParams::new("echo"),
            RequestOptions::default(),
        )
        .unwrap();
    raw.drain();
    (id, raw.last_id())
}

#[test]
fn lenient_reports_each_quirk_and_keeps_going() {
    let mut raw = legacy_raw(Config::default());
    let (a, wa) = echo(&mut raw);
    let (b, wb) = echo(&mut raw);
    let (c, wc) = echo(&mut raw);
    raw.feed("Server ready on stdio!");
    raw.client
        .handle_bytes(raw.now, b"\xff\xfe not utf-8\n")
        .unwrap();
    raw.drain();
    raw.feed(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#);
    raw.feed(&format!(r#"{{"id":{wa},"result":{{"content":[]}}}}"#));
    raw.feed(&format!(r#"{{"jsonrpc":"2.0","id":{wb},"result":{{"content":[]}},"error":{{"code":-32000,"message":"both"}}}}"#));
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","id":{wb},"result":{{"content":[]}}}}"#
    ));
    raw.feed(r#"{"jsonrpc":"2.0","id":424242,"result":{}}"#);
    raw.feed(r#"{"jsonrpc":"2.0","id":"strange","result":{}}"#);
    raw.feed(r#"{"jsonrpc":"2.0"}"#);
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","id":{wc},"error":"it broke"}}"#
    ));
    assert_eq!(
        violations(&raw.events),
        [
            ViolationKind::NotJson,
            ViolationKind::InvalidUtf8,
            ViolationKind::ErrorWithoutId,
            ViolationKind::MissingJsonrpcVersion,
            ViolationKind::ResultAndError,
            ViolationKind::UnknownResponseId,
            ViolationKind::UnknownResponseId,
            ViolationKind::UnknownResponseId,
            ViolationKind::InvalidMessage,
            ViolationKind::InvalidMessage,
        ]
    );
    assert!(
        outcome(&raw.events, a).is_ok(),
        "a reply without jsonrpc still counts"
    );
    assert!(
        matches!(outcome(&raw.events, b), Err(RequestError::Server(e)) if e.message == "both"),
        "the error wins"
    );
    assert!(
        matches!(outcome(&raw.events, c), Err(RequestError::Server(e)) if e.message == "it broke")
    );
    assert!(raw.client.is_ready() && !raw.client.is_closed());
}

#[test]
fn strict_closes_on_the_first_breach_and_fails_what_is_pending() {
    for line in [
        "Server ready on stdio!",
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#,
        r#"{"id":99,"result":{}}"#,
    ] {
        let mut raw = legacy_raw(Config::default().with_tolerance(Tolerance::Strict));
        let (a, _) = echo(&mut raw);
        raw.feed(line);
        assert!(
            matches!(raw.client.close_reason(), Some(CloseReason::Protocol(_))),
            "{line}"
        );
        assert!(matches!(
            outcome(&raw.events, a),
            Err(RequestError::Closed(CloseReason::Protocol(_)))
        ));
        assert!(matches!(raw.events.last(), Some(Event::Closed(_))));
        assert!(raw.transport_closed);
    }
}

#[test]
fn crlf_and_blank_lines_are_fine() {
    let mut raw = legacy_raw(Config::default());
    let (a, wa) = echo(&mut raw);
    let text = format!(
        "\r\n\n   \r\n{{\"jsonrpc\":\"2.0\",\"id\":{wa},\"result\":{{\"content\":[]}}}}\r\n\r\n"
    );
    raw.client.handle_bytes(raw.now, text.as_bytes()).unwrap();
    raw.drain();
    assert!(outcome(&raw.events, a).is_ok());
    assert!(violations(&raw.events).is_empty());
}

#[test]
fn unknown_fields_survive_and_missing_lists_default_to_empty() {
    let mut raw = legacy_raw(Config::default());
    let (a, wa) = echo(&mut raw);
    let (b, wb) = echo(&mut raw);
    raw.feed_json(json!({"jsonrpc":"2.0","id":wa,"x-vendor":1,"result":{
        "content":[{"type":"text","text":"t","x-block":true},{"type":"hologram","depth":3}],
        "x-extra":{"deep":[1,2]},"_meta":{"com.example/trace":"abc"}}}));
    raw.feed_json(json!({"jsonrpc":"2.0","id":wb,"result":{}}));
    let r: CallToolResult = outcome(&raw.events, a).unwrap().decode().unwrap();
    assert_eq!(r.extra["x-extra"], json!({"deep": [1, 2]}));
    assert_eq!(r.meta.as_ref().unwrap()["com.example/trace"], "abc");
    assert!(matches!(&r.content[0], ContentBlock::Text(t) if t.extra["x-block"] == true));
    assert!(matches!(&r.content[1], ContentBlock::Unknown(u) if u["depth"] == 3));
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!(
        back["content"][1],
        json!({"type":"hologram","depth":3}),
        "unknown content re-encodes unchanged"
    );
    let empty: CallToolResult = outcome(&raw.events, b).unwrap().decode().unwrap();
    assert!(empty.content.is_empty());
    assert!(violations(&raw.events).is_empty());
}

#[test]
fn batches_are_accepted_and_reported_outside_2025_03_26() {
    for (version, expect_violation) in [("2025-03-26", false), ("2025-11-25", true)] {
        let mut raw = Raw::new(Config::default());
        raw.legacy_handshake(version, json!({"tools": {}, "logging": {}}));
        let (a, wa) = echo(&mut raw);
        let (b, wb) = echo(&mut raw);
        raw.feed(&format!(
            r#"[{{"jsonrpc":"2.0","id":{wb},"result":{{"content":[]}}}},{{"jsonrpc":"2.0","method":"notifications/message","params":{{"level":"info","data":"x"}}}},{{"jsonrpc":"2.0","id":"s1","method":"ping"}},{{"jsonrpc":"2.0","id":{wa},"result":{{"content":[]}}}}]"#
        ));
        assert!(
            outcome(&raw.events, a).is_ok() && outcome(&raw.events, b).is_ok(),
            "{version}"
        );
        assert!(raw
            .events
            .iter()
            .any(|e| matches!(e, Event::Notification(Notification::Log(_)))));
        assert_eq!(
            raw.last(),
            &json!({"jsonrpc":"2.0","id":"s1","result":{}}),
            "requests in a batch are answered"
        );
        assert_eq!(
            violations(&raw.events) == [ViolationKind::UnexpectedBatch],
            expect_violation,
            "{version}"
        );
    }
}

#[test]
fn oversized_frames_fail_their_request_and_nothing_else() {
    let limits = Limits {
        max_frame_size: 4096,
        ..Limits::default()
    };
    let mut pair = ready(
        Config {
            limits,
            ..Config::default()
        },
        ServerConfig::legacy(),
    );
    let big = CallToolRequestParams::new("big").with_arguments(obj(json!({"n": 4100})));
    let fits = CallToolRequestParams::new("big").with_arguments(obj(json!({"n": 3900})));
    let over = pair.call_tool_with(&big, RequestOptions::default());
    let under = pair.call_tool_with(&fits, RequestOptions::default());
    let after = pair
        .client
        .request::<CallTool>(
            pair.now,
            &CallToolRequestParams::new("echo"),
            RequestOptions::default(),
        )
        .unwrap();
    pair.drive();
    match outcome(pair.events(), over) {
        Err(RequestError::ResponseTooLarge { len, limit }) => assert!(len > 4096 && limit == 4096),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tool_text(&outcome(pair.events(), under).unwrap()).len(),
        3900
    );
    assert!(outcome(pair.events(), after).is_ok());
    assert_eq!(violations(pair.events()), [ViolationKind::FrameTooLarge]);

    // A legacy server's oversized request gets an error instead of silence.
    let mut raw = legacy_raw(Config {
        limits: Limits {
            max_frame_size: 300,
            ..Limits::default()
        },
        ..Config::default()
    });
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":"big-1","method":"sampling/createMessage","params":{{"x":"{}"}}}}"#,
        "y".repeat(500)
    );
    raw.feed(&huge);
    assert_eq!(raw.last()["id"], "big-1");
    assert_eq!(raw.last()["error"]["code"], -32600);
}

#[test]
fn a_full_event_queue_pauses_input_without_losing_anything() {
    let limits = Limits {
        max_queued_events: 10,
        max_frame_size: 1000,
        ..Limits::default()
    };
    let mut raw = legacy_raw(Config {
        limits,
        ..Config::default()
    });
    let mut flood = String::new();
    for i in 0..100 {
        flood.push_str(&format!(r#"{{"jsonrpc":"2.0","method":"notifications/message","params":{{"level":"info","data":{i}}}}}"#));
        flood.push('\n');
    }
    // Feed without draining: processing stops at the limit...
    raw.client.handle_bytes(raw.now, flood.as_bytes()).unwrap();
    // ...and more bytes are refused once the backlog exceeds a frame.
    assert!(matches!(
        raw.client.handle_bytes(raw.now, flood.as_bytes()),
        Err(UsageError::Backlogged { .. })
    ));
    let mut seen = Vec::new();
    while let Some(out) = raw.client.poll_output() {
        if let Output::Event(Event::Notification(Notification::Log(l))) = out {
            seen.push(l.data.as_i64().unwrap());
        }
    }
    assert_eq!(
        seen,
        (0..100).collect::<Vec<_>>(),
        "all delivered, in order"
    );
    raw.client.handle_bytes(raw.now, flood.as_bytes()).unwrap();
}

#[test]
fn the_event_queue_is_weighed_too() {
    let limits = Limits {
        max_queued_bytes: 64 * 1024,
        max_frame_size: 20 * 1024,
        ..Limits::default()
    };
    let mut raw = legacy_raw(Config {
        limits,
        ..Config::default()
    });
    let big = "x".repeat(16 * 1024);
    let line = format!(
        r#"{{"jsonrpc":"2.0","method":"notifications/message","params":{{"level":"info","data":"{big}"}}}}
"#
    );
    // Not drained: a few 16 KiB notifications fill 64 KiB, then input
    // pauses and, past a frame's worth of buffered bytes, is refused.
    let mut fed = 0;
    while raw.client.handle_bytes(raw.now, line.as_bytes()).is_ok() {
        fed += 1;
        assert!(fed < 100, "the weight limit never paused input");
    }
    let mut delivered = 0;
    while let Some(out) = raw.client.poll_output() {
        if let Output::Event(Event::Notification(Notification::Log(_))) = out {
            delivered += 1;
        }
    }
    assert_eq!(delivered, fed, "nothing lost");
    assert!(fed < 16, "fed {fed}");
}

#[test]
fn a_flood_of_bad_lines_into_a_client_nobody_drains_stays_small() {
    let mut raw = legacy_raw(Config::default());
    let (call, wire) = echo(&mut raw);
    let chunk = "this is not json\n".repeat(4096);
    let lines = 1_000_000 / 4096 * 4096;
    for _ in 0..lines / 4096 {
        // Never refused: alike violations merge once 256 are waiting.
        raw.client.handle_bytes(raw.now, chunk.as_bytes()).unwrap();
    }
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","id":{wire},"result":{{"content":[]}}}}"#
    ));
    let events = raw.take_events();
    assert!(events.len() < 300, "{} events", events.len());
    let reported: u64 = events
        .iter()
        .filter_map(|e| match e {
            Event::Violation(v) if v.kind == ViolationKind::NotJson => Some(1 + v.repeats),
            _ => None,
        })
        .sum();
    assert_eq!(reported, lines as u64, "every bad line is counted");
    assert!(outcome(&events, call).is_ok(), "the answer after the flood");
}

#[test]
fn reactive_bytes_are_what_the_server_made_the_client_write() {
    let mut raw = legacy_raw(Config::default());
    // `initialize` after the probe failed, and `notifications/initialized`.
    assert!(
        raw.client.take_reactive_bytes() > 0,
        "the handshake's next steps"
    );
    let _ = echo(&mut raw);
    assert_eq!(
        raw.client.take_reactive_bytes(),
        0,
        "a call of the application's"
    );
    let before = raw.written.len();
    raw.feed(r#"{"jsonrpc":"2.0","id":"p1","method":"ping"}"#);
    let pong = serde_json::to_vec(&raw.written[before]).unwrap().len() + 1;
    assert_eq!(raw.client.take_reactive_bytes(), pong);
    assert_eq!(raw.client.take_reactive_bytes(), 0, "taken once");
}

#[test]
fn the_wire_tap_shows_every_frame_with_secrets_redacted() {
    let mut pair = ready(
        Config::default().with_wire_tap(true),
        ServerConfig::legacy(),
    );
    let args =
        obj(json!({"text": "visible", "password": "hunter2", "nested": {"api_key": "k-123"}}));
    pair.client
        .request::<CallTool>(
            pair.now,
            &CallToolRequestParams::new("echo").with_arguments(args),
            RequestOptions::default(),
        )
        .unwrap();
    pair.drive();
    let records: Vec<_> = pair
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Wire(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].direction, Direction::Out);
    assert_eq!(records[1].direction, Direction::In);
    assert!(records[0].text.contains("visible"));
    assert!(
        !records[0].text.contains("hunter2") && !records[0].text.contains("k-123"),
        "{}",
        records[0].text
    );
    assert!(records[0].text.contains("[redacted]"));
    // The frame on the wire itself is untouched.
    assert_eq!(
        sent(&pair, "tools/call")[0]["params"]["arguments"]["password"],
        "hunter2"
    );
}

#[test]
fn a_server_that_closes_mid_frame_still_delivers_the_last_line() {
    let mut raw = legacy_raw(Config::default());
    let (a, wa) = echo(&mut raw);
    let line = format!(r#"{{"jsonrpc":"2.0","id":{wa},"result":{{"content":[]}}}}"#);
    raw.client.handle_bytes(raw.now, line.as_bytes()).unwrap();
    raw.client.handle_eof(Instant::now().max(raw.now));
    raw.drain();
    assert!(
        outcome(&raw.events, a).is_ok(),
        "the unterminated last line counts"
    );
    assert!(matches!(
        raw.events.last(),
        Some(Event::Closed(CloseReason::PeerClosed {
            during_probe: false
        }))
    ));
}

/// Lines that name a pending call but cannot be read: each ends its call at
/// once with what was wrong, is reported, and the connection goes on.
#[test]
fn a_broken_answer_ends_the_call_it_names_at_once() {
    let zeros = "0".repeat(1_000_000);
    type Line = Box<dyn Fn(i64) -> Vec<u8>>;
    let cases: Vec<(&str, Line, ViolationKind)> = vec![
        (
            "invalid UTF-8 in a string",
            Box::new(|id| {
                let mut line = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"t":""#);
                line.push_str("@@\"}}");
                let mut bytes = line.into_bytes();
                let at = bytes.len() - 5;
                bytes[at] = 0xff;
                bytes[at + 1] = 0xfe;
                bytes
            }),
            ViolationKind::InvalidUtf8,
        ),
        (
            "a raw NUL in a string",
            Box::new(|id| {
                format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"t\":\"a\u{0}b\"}}}}")
                    .into_bytes()
            }),
            ViolationKind::NotJson,
        ),
        (
            "a duplicate id",
            Box::new(|id| {
                format!(r#"{{"jsonrpc":"2.0","id":{id},"id":{id},"result":{{}}}}"#).into_bytes()
            }),
            ViolationKind::InvalidMessage,
        ),
        (
            "a duplicate result",
            Box::new(|id| {
                format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}},"result":{{}}}}"#).into_bytes()
            }),
            ViolationKind::InvalidMessage,
        ),
        (
            "an id of a million digits",
            Box::new(move |id| {
                format!(r#"{{"jsonrpc":"2.0","id":{zeros}{id},"result":{{}}}}"#).into_bytes()
            }),
            ViolationKind::NotJson,
        ),
    ];
    for (what, line, kind) in cases {
        let mut raw = legacy_raw(Config::default());
        let (call, wire) = echo(&mut raw);
        let (other, wire_other) = echo(&mut raw);
        let mut bytes = line(wire);
        bytes.push(b'\n');
        raw.client.handle_bytes(raw.now, &bytes).unwrap();
        raw.drain();
        let events = raw.take_events();
        match outcome(&events, call) {
            Err(RequestError::MalformedResponse { kind: k, detail }) => {
                assert_eq!(k, kind, "{what}: {detail}");
                assert!(detail.len() < 1024, "{what}: the detail is capped");
            }
            other => panic!("{what}: {other:?}"),
        }
        assert!(violations(&events).contains(&kind), "{what}: reported too");
        assert!(!ended(&events, other), "{what}: the other call waits on");
        // The connection goes on: the other call is answered as usual.
        raw.feed(&format!(
            r#"{{"jsonrpc":"2.0","id":{wire_other},"result":{{"content":[]}}}}"#
        ));
        assert!(outcome(&raw.take_events(), other).is_ok(), "{what}");
    }
}

#[test]
fn a_broken_line_that_names_no_pending_call_ends_nothing() {
    let mut raw = legacy_raw(Config::default());
    let (call, wire) = echo(&mut raw);
    for line in [
        // Another id, two different ids, a request, no id at all.
        format!(
            r#"{{"jsonrpc":"2.0","id":{},"result":{{}},"result":{{}}}}"#,
            wire + 40
        ),
        format!(
            r#"{{"jsonrpc":"2.0","id":{wire},"id":{},"result":{{}}}}"#,
            wire + 1
        ),
        format!(r#"{{"jsonrpc":"2.0","id":{wire},"method":"ping","method":"ping"}}"#),
        r#"{"jsonrpc":"2.0","result":{},"result":{}}"#.to_owned(),
    ] {
        raw.feed(&line);
    }
    let events = raw.take_events();
    assert!(!ended(&events, call), "{events:#?}");
    assert_eq!(violations(&events).len(), 4);
    // The unreadable ping was answered with an error, so the server does
    // not wait for an answer either.
    assert_eq!(raw.last()["id"], json!(wire));
    assert_eq!(raw.last()["error"]["code"], json!(-32600));
}

#[test]
fn a_broken_answer_under_the_strict_policy_closes_the_connection() {
    let mut raw = legacy_raw(Config {
        tolerance: Tolerance::Strict,
        ..Config::default()
    });
    let (call, wire) = echo(&mut raw);
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","id":{wire},"result":{{}},"result":{{}}}}"#
    ));
    match outcome(&raw.take_events(), call) {
        Err(RequestError::Closed(CloseReason::Protocol(v))) => {
            assert_eq!(v.kind, ViolationKind::InvalidMessage)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn violation_details_are_capped_whatever_the_server_quotes() {
    let mut raw = legacy_raw(Config::default());
    let long = "m".repeat(100_000);
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","method":"notifications/progress","params":{{"progressToken":"{long}","progress":1}}}}"#
    ));
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","id":null,"error":{{"code":1,"message":"{long}"}}}}"#
    ));
    raw.feed(&format!(
        r#"{{"jsonrpc":"2.0","id":"{long}","result":{{}}}}"#
    ));
    let events = raw.take_events();
    let details: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Violation(v) => Some(v.detail.len()),
            _ => None,
        })
        .collect();
    assert_eq!(details.len(), 3, "{events:#?}");
    assert!(details.iter().all(|n| *n < 1100), "{details:?}");
}

#[test]
fn what_the_server_sent_is_quoted_without_control_characters() {
    let mut raw = legacy_raw(Config::default());
    raw.feed("\u{1b}[2J\u{1b}]0;owned\u{7} banner \u{0} end");
    let events = raw.take_events();
    let detail = events
        .iter()
        .find_map(|e| match e {
            Event::Violation(v) => Some(v.detail.clone()),
            _ => None,
        })
        .expect("reported");
    assert!(!detail.chars().any(|c| c.is_control()), "{detail:?}");
    assert!(detail.contains("\\u{1b}[2J"), "{detail}");
}
