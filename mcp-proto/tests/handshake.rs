//! Era detection and startup, case by case, against the scripted server and
//! against hand-fed lines where no well-behaved server would produce them.
//!
//! The rule under test (spec/2026-07-28/docs/basic/transports/stdio.mdx,
//! "Backward Compatibility"): probe with `server/discover`; a DiscoverResult
//! or a recognized modern error means modern; any other error or silence past
//! a probe timeout means legacy, then `initialize` with version negotiation.

mod common;

use std::time::{Duration, Instant};

use common::*;
use mcp_proto::testing::{Pair, ProbeReply, ServerConfig};
use mcp_proto::{
    CloseReason, Config, Era, EraPreference, Event, HandshakeError, ProtocolVersion,
    RequestOptions, ViolationKind,
};
use serde_json::json;

fn handshake(server: ServerConfig) -> Pair {
    let mut pair = Pair::new(Config::default(), server, Instant::now());
    pair.settle();
    pair
}

fn ready_event(pair: &Pair) -> mcp_proto::Ready {
    pair.events()
        .iter()
        .find_map(|e| match e {
            Event::Ready(r) => Some((**r).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Ready event:\n{}", pair.transcript()))
}

fn methods(pair: &Pair) -> Vec<String> {
    pair.server
        .received()
        .iter()
        .filter_map(|m| m.get("method").and_then(|v| v.as_str()).map(str::to_owned))
        .collect()
}

#[test]
fn a_discover_result_means_modern_and_no_initialize_is_sent() {
    let pair = handshake(ServerConfig::modern());
    let ready = ready_event(&pair);
    assert_eq!(ready.era, Era::Modern);
    assert_eq!(ready.version, ProtocolVersion::V2026_07_28);
    assert!(ready.capabilities_known);
    assert!(ready.capabilities.tools.is_some());
    assert_eq!(ready.server_info.map(|i| i.name), Some("scripted".into()));
    assert_eq!(
        ready.instructions.as_deref(),
        Some("A scripted test server.")
    );
    assert_eq!(methods(&pair), ["server/discover"]);
    let probe = &pair.server.received()[0];
    assert_eq!(
        probe["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    assert!(probe["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"].is_object());
    assert_eq!(
        probe["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]["name"],
        "mcp-proto"
    );
}

#[test]
fn a_dual_era_server_is_spoken_to_in_the_modern_era() {
    let pair = handshake(ServerConfig::dual());
    assert_eq!(ready_event(&pair).era, Era::Modern);
    assert_eq!(methods(&pair), ["server/discover"]);
}

#[test]
fn any_non_modern_error_to_the_probe_means_legacy() {
    for reply in [
        ProbeReply::MethodNotFound,
        ProbeReply::InvalidParams,
        ProbeReply::InternalError,
        ProbeReply::PreReleaseCode,
        ProbeReply::EmptyResult,
    ] {
        let start = Instant::now();
        let mut pair = Pair::new(
            Config::default(),
            ServerConfig::legacy().with_probe_reply(reply.clone()),
            start,
        );
        pair.settle();
        let ready = ready_event(&pair);
        assert_eq!(ready.era, Era::Legacy, "{reply:?}");
        assert_eq!(ready.version, ProtocolVersion::V2025_11_25, "{reply:?}");
        assert_eq!(
            methods(&pair),
            ["server/discover", "initialize", "notifications/initialized"],
            "{reply:?}"
        );
        assert_eq!(pair.now, start, "{reply:?}: no waiting for a timeout");
    }
}

#[test]
fn an_error_with_a_null_id_during_the_probe_is_the_probes_answer() {
    let pair = handshake(ServerConfig::legacy().with_probe_reply(ProbeReply::IdNullError));
    assert_eq!(ready_event(&pair).era, Era::Legacy);
    assert!(pair
        .events()
        .iter()
        .any(|e| matches!(e, Event::Violation(v) if v.kind == ViolationKind::ErrorWithoutId)));
}

#[test]
fn silence_past_the_probe_timeout_means_legacy() {
    let mut pair = Pair::new(
        Config::default(),
        ServerConfig::legacy().with_probe_reply(ProbeReply::Silent),
        Instant::now(),
    );
    pair.advance(Duration::from_millis(4_999));
    assert!(!pair.client.is_ready());
    assert_eq!(methods(&pair), ["server/discover"]);
    pair.advance(Duration::from_millis(1));
    assert_eq!(ready_event(&pair).era, Era::Legacy);
    assert_eq!(
        methods(&pair),
        ["server/discover", "initialize", "notifications/initialized"]
    );
}

#[test]
fn a_late_non_modern_answer_to_the_probe_is_dropped_quietly() {
    let mut pair = handshake(
        ServerConfig::legacy().with_probe_reply(ProbeReply::Slow(Duration::from_secs(8))),
    );
    assert_eq!(ready_event(&pair).era, Era::Legacy);
    assert!(
        pair.transcript().contains("t+8000ms S→C"),
        "{}",
        pair.transcript()
    );
    assert!(
        !pair
            .events()
            .iter()
            .any(|e| matches!(e, Event::Violation(_))),
        "{:#?}",
        pair.events()
    );
    let call = pair
        .client
        .ping(pair.now, RequestOptions::default())
        .unwrap();
    pair.settle();
    assert!(outcome(pair.events(), call).is_ok());
}

#[test]
fn a_slow_starting_modern_server_is_still_found_modern() {
    // Both the probe and `initialize` are answered once the server is up
    // (after the probe timeout), in order: the late DiscoverResult wins over
    // the modern server's rejection of `initialize`.
    let mut server = ServerConfig::modern();
    server.startup_delay = Duration::from_secs(8);
    let pair = handshake(server);
    let ready = ready_event(&pair);
    assert_eq!(ready.era, Era::Modern, "{}", pair.transcript());
    assert_eq!(methods(&pair), ["server/discover", "initialize"]);
}

#[test]
fn a_server_that_exits_on_the_probe_closes_with_a_restart_hint() {
    let pair = handshake(ServerConfig::legacy().with_probe_reply(ProbeReply::Exit));
    let reason = pair.client.close_reason().cloned().expect("closed");
    assert_eq!(reason, CloseReason::PeerClosed { during_probe: true });
    assert!(reason.suggests_legacy_restart());
    // The hinted restart: skip the probe.
    let pair = Pair::new(
        Config::default().with_era(EraPreference::Legacy),
        ServerConfig::legacy().with_probe_reply(ProbeReply::Exit),
        Instant::now(),
    );
    let mut pair = pair;
    pair.settle();
    assert_eq!(ready_event(&pair).era, Era::Legacy);
    assert_eq!(methods(&pair), ["initialize", "notifications/initialized"]);
}

#[test]
fn unsupported_version_on_the_probe_is_retried_once_and_never_falls_back() {
    let mut server = ServerConfig::modern();
    server.reject_first_request_version = true;
    let pair = handshake(server);
    assert_eq!(ready_event(&pair).era, Era::Modern);
    assert_eq!(methods(&pair), ["server/discover", "server/discover"]);
}

#[test]
fn unsupported_version_with_no_common_version_fails_without_initialize() {
    let mut server = ServerConfig::modern();
    server.modern_versions = vec!["2099-01-01".into()];
    let pair = handshake(server);
    match pair.client.close_reason() {
        Some(CloseReason::Handshake(HandshakeError::NoCommonVersion { server, .. })) => {
            assert_eq!(server, &["2099-01-01".to_string()])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(methods(&pair), ["server/discover"]);
}

#[test]
fn unsupported_version_listing_a_legacy_version_falls_to_initialize_at_that_version() {
    let mut raw = Raw::new(Config::default());
    let probe = raw.last_id();
    raw.feed_json(
        json!({"jsonrpc":"2.0","id":probe,"error":{"code":-32022,"message":"unsupported",
        "data":{"supported":["2099-01-01","2025-06-18"],"requested":"2026-07-28"}}}),
    );
    assert_eq!(raw.last()["method"], "initialize");
    assert_eq!(raw.last()["params"]["protocolVersion"], "2025-06-18");
}

#[test]
fn other_modern_errors_mean_modern_with_unknown_capabilities() {
    for code in [-32020, -32021] {
        let mut raw = Raw::new(Config::default());
        let probe = raw.last_id();
        raw.feed_json(
            json!({"jsonrpc":"2.0","id":probe,"error":{"code":code,"message":"modern error"}}),
        );
        let ready = raw
            .events
            .iter()
            .find_map(|e| match e {
                Event::Ready(r) => Some((**r).clone()),
                _ => None,
            })
            .expect("ready");
        assert_eq!(ready.era, Era::Modern, "code {code}");
        assert!(!ready.capabilities_known);
        assert_eq!(raw.written.len(), 1, "code {code}: no initialize");
    }
}

#[test]
fn a_discover_result_with_only_legacy_versions_means_initialize() {
    let mut raw = Raw::new(Config::default());
    let probe = raw.last_id();
    raw.feed_json(json!({"jsonrpc":"2.0","id":probe,"result":{"supportedVersions":["2025-03-26"],"capabilities":{}}}));
    assert_eq!(raw.last()["method"], "initialize");
    assert_eq!(raw.last()["params"]["protocolVersion"], "2025-03-26");
}

#[test]
fn legacy_negotiation_goes_down_to_what_the_server_speaks() {
    for v in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let pair = handshake(ServerConfig::legacy().with_legacy_versions(&[v]));
        let ready = ready_event(&pair);
        assert_eq!(ready.version.as_str(), v);
        assert_eq!(pair.server.legacy_version(), Some(v));
        let init = &pair.server.received()[1];
        assert_eq!(
            init["params"]["protocolVersion"], "2025-11-25",
            "the client offers its newest"
        );
    }
}

#[test]
fn a_version_the_client_does_not_speak_closes_the_connection() {
    let pair = handshake(ServerConfig::legacy().with_legacy_versions(&["2023-01-01"]));
    assert_eq!(
        pair.client.close_reason(),
        Some(&CloseReason::Handshake(HandshakeError::UnsupportedVersion(
            "2023-01-01".into()
        )))
    );
}

#[test]
fn a_version_outside_the_configured_set_closes_the_connection() {
    let cfg = Config::default()
        .with_versions([ProtocolVersion::V2025_11_25, ProtocolVersion::V2026_07_28]);
    let mut pair = Pair::new(
        cfg,
        ServerConfig::legacy().with_legacy_versions(&["2024-11-05"]),
        Instant::now(),
    );
    pair.settle();
    assert_eq!(
        pair.client.close_reason(),
        Some(&CloseReason::Handshake(HandshakeError::UnsupportedVersion(
            "2024-11-05".into()
        )))
    );
}

#[test]
fn configured_eras_skip_detection() {
    let mut pair = Pair::new(
        Config::default().with_era(EraPreference::Legacy),
        ServerConfig::dual(),
        Instant::now(),
    );
    pair.settle();
    assert_eq!(ready_event(&pair).era, Era::Legacy);
    assert_eq!(methods(&pair), ["initialize", "notifications/initialized"]);

    let mut pair = Pair::new(
        Config::default().with_era(EraPreference::Modern),
        ServerConfig::modern(),
        Instant::now(),
    );
    pair.settle();
    assert_eq!(ready_event(&pair).era, Era::Modern);

    // A legacy-only client never probes.
    let cfg = Config::default().with_versions([ProtocolVersion::V2025_06_18]);
    let mut pair = Pair::new(cfg, ServerConfig::dual(), Instant::now());
    pair.settle();
    assert_eq!(ready_event(&pair).version, ProtocolVersion::V2025_06_18);
    assert_eq!(methods(&pair), ["initialize", "notifications/initialized"]);
}

#[test]
fn forcing_modern_against_a_legacy_server_fails_clearly() {
    let mut pair = Pair::new(
        Config::default().with_era(EraPreference::Modern),
        ServerConfig::legacy(),
        Instant::now(),
    );
    pair.settle();
    match pair.client.close_reason() {
        Some(CloseReason::Handshake(HandshakeError::Rejected {
            method: "server/discover",
            error,
        })) => {
            assert_eq!(error.code, -32601)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(methods(&pair), ["server/discover"]);
}

#[test]
fn a_modern_only_server_rejecting_initialize_is_reported_with_its_message() {
    let mut pair = Pair::new(
        Config::default().with_era(EraPreference::Legacy),
        ServerConfig::modern(),
        Instant::now(),
    );
    pair.settle();
    match pair.client.close_reason() {
        Some(CloseReason::Handshake(HandshakeError::Rejected {
            method: "initialize",
            error,
        })) => {
            assert!(error.message.contains("2026-07-28"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unanswered_initialize_times_out_and_fails_waiting_calls() {
    let mut raw = Raw::new(Config::default());
    let call = raw.client.ping(raw.now, RequestOptions::default()).unwrap();
    raw.advance(Duration::from_secs(5));
    assert_eq!(raw.last()["method"], "initialize");
    raw.advance(Duration::from_secs(30));
    assert!(matches!(
        raw.client.close_reason(),
        Some(CloseReason::Handshake(HandshakeError::Timeout {
            method: "initialize",
            ..
        }))
    ));
    assert!(matches!(
        outcome(&raw.events, call),
        Err(mcp_proto::RequestError::Closed(_))
    ));
    assert!(raw.transport_closed);
    assert!(matches!(raw.events.last(), Some(Event::Closed(_))));
}

#[test]
fn calls_made_before_ready_go_out_after_initialized_in_order() {
    let mut raw = Raw::new(Config::default());
    let a = raw.client.ping(raw.now, RequestOptions::default()).unwrap();
    let b = raw
        .client
        .request_raw(
            raw.now,
            "tools/list",
            Default::default(),
            RequestOptions::default(),
        )
        .unwrap();
    assert_eq!(raw.written.len(), 1, "only the probe is out");
    raw.legacy_handshake("2025-11-25", json!({"tools": {}}));
    let after: Vec<&str> = raw
        .written
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    assert_eq!(
        after,
        [
            "server/discover",
            "initialize",
            "notifications/initialized",
            "ping",
            "tools/list"
        ]
    );
    assert!(!ended(&raw.events, a) && !ended(&raw.events, b));
}

#[test]
fn a_banner_line_before_the_handshake_is_reported_and_skipped() {
    let mut server = ServerConfig::legacy();
    server.banner = Some("Starting My MCP Server v1.2 ...".into());
    let pair = handshake(server);
    assert_eq!(ready_event(&pair).era, Era::Legacy);
    assert!(pair
        .events()
        .iter()
        .any(|e| matches!(e, Event::Violation(v) if v.kind == ViolationKind::NotJson)));
}

#[test]
fn a_legacy_server_that_pings_before_answering_the_probe_is_answered() {
    let mut raw = Raw::new(Config::default());
    raw.feed(r#"{"jsonrpc":"2.0","id":"early","method":"ping"}"#);
    assert_eq!(
        raw.last(),
        &json!({"jsonrpc":"2.0","id":"early","result":{}})
    );
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"booting"}}"#);
    assert!(raw
        .events
        .iter()
        .any(|e| matches!(e, Event::Notification(mcp_proto::Notification::Log(_)))));
    raw.feed(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#);
    assert_eq!(raw.last()["method"], "initialize");
}

#[test]
fn an_initialize_result_that_does_not_decode_closes_the_connection() {
    let mut raw = Raw::new(Config::default());
    raw.feed(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#);
    let init = raw.last_id();
    raw.feed_json(json!({"jsonrpc":"2.0","id":init,"result":{"protocolVersion":"2025-11-25"}}));
    match raw.client.close_reason() {
        Some(CloseReason::Handshake(HandshakeError::InvalidResult {
            method: "initialize",
            detail,
        })) => {
            assert!(detail.contains("capabilities"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    // Forced modern: a probe answer that is not a DiscoverResult is fatal.
    let mut raw = Raw::new(Config::default().with_era(EraPreference::Modern));
    raw.feed(r#"{"jsonrpc":"2.0","id":1,"result":{"hello":"world"}}"#);
    assert!(matches!(
        raw.client.close_reason(),
        Some(CloseReason::Handshake(HandshakeError::InvalidResult {
            method: "server/discover",
            ..
        }))
    ));
}

#[test]
fn the_handshake_result_is_kept_as_the_server_sent_it() {
    use mcp_proto::HandshakeResult;
    // Modern: the whole DiscoverResult, fields `Ready` has none for too.
    let pair = handshake(ServerConfig::modern());
    let ready = ready_event(&pair);
    let HandshakeResult::Discover(raw) = &ready.handshake else {
        panic!("{:?}", ready.handshake)
    };
    let sent: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
    assert!(sent["supportedVersions"].is_array(), "{sent}");
    assert_eq!(pair.client.handshake(), Some(&ready.handshake));
    assert_eq!(
        ready.handshake.discover().unwrap().supported_versions,
        sent["supportedVersions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
    // Legacy: the InitializeResult.
    let pair = handshake(ServerConfig::legacy());
    let ready = ready_event(&pair);
    assert_eq!(ready.handshake.method(), "initialize");
    let init = ready.handshake.initialize().unwrap();
    assert_eq!(Some(init.server_info), ready.server_info);
    // A modern error to the probe: the error is what there is.
    let mut raw = Raw::new(Config::default());
    let probe = raw.last_id();
    raw.feed_json(json!({"jsonrpc": "2.0", "id": probe,
        "error": {"code": -32020, "message": "header mismatch"}}));
    assert!(
        matches!(
            raw.client.handshake(),
            Some(HandshakeResult::DiscoverError(e)) if e.code == -32020
        ),
        "{:?}",
        raw.events
    );
}
