//! Property tests of the whole client:
//! - arbitrary server output never panics it, and it ends cleanly at EOF;
//! - any sequence of user calls, server messages (well-formed, hostile or
//!   garbage) and clock jumps keeps the invariant that every call ends in
//!   exactly one terminal event, `Event::Closed` last;
//! - how the server's bytes are chunked never changes what happens.
//!
//! The invariants themselves live in `mcp_proto::testing::fuzz`, shared with
//! the fuzz targets. `PROPTEST_CASES` raises the case count.

use std::time::{Duration, Instant};

use mcp_proto::model::{ClientCapabilities, ElicitationCapability};
use mcp_proto::testing::fuzz::{self, Inject, Op, Peer};
use mcp_proto::testing::{Pair, ServerConfig};
use mcp_proto::{Config, Tolerance};
use proptest::prelude::*;

fn inject() -> impl Strategy<Value = Inject> {
    prop_oneof![
        (any::<u8>(), any::<u8>()).prop_map(|(nth, body)| Inject::Result { nth, body }),
        (
            any::<u8>(),
            prop::sample::select(vec![-32022, -32042, -32601, -32602, -32603, -32000, 7])
        )
            .prop_map(|(nth, code)| Inject::Error { nth, code }),
        Just(Inject::IdNullError),
        (0i64..500).prop_map(Inject::UnknownId),
        any::<u8>().prop_map(Inject::Notification),
        any::<u8>().prop_map(Inject::Request),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Inject::Garbage),
        Just(Inject::Huge),
        Just(Inject::Batch),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<bool>(), prop::option::of(1u16..5000))
            .prop_map(|(tool, progress, timeout_ms)| Op::CallTool { tool, progress, timeout_ms }),
        1 => any::<bool>().prop_map(|first_page_only| Op::ListTools { first_page_only }),
        1 => Just(Op::Ping),
        1 => Just(Op::SetLogLevel),
        1 => any::<u8>().prop_map(Op::Subscribe),
        1 => any::<u8>().prop_map(Op::Unsubscribe),
        2 => any::<u8>().prop_map(Op::Cancel),
        3 => (any::<u8>(), any::<u8>()).prop_map(|(input, how)| Op::Answer { input, how }),
        4 => inject().prop_map(Op::Inject),
        3 => prop_oneof![Just(0u64), 1u64..2000, 2000u64..120_000].prop_map(|ms| Op::Advance(Duration::from_millis(ms))),
        1 => Just(Op::ServerExit),
        1 => Just(Op::Close),
    ]
}

fn peer() -> impl Strategy<Value = Peer> {
    prop::sample::select(vec![
        Peer::Legacy,
        Peer::Modern,
        Peer::Dual,
        Peer::SilentProbe,
    ])
}

fn tolerance() -> impl Strategy<Value = Tolerance> {
    prop_oneof![4 => Just(Tolerance::Lenient), 1 => Just(Tolerance::Strict)]
}

/// 256 cases by default; `PROPTEST_CASES` overrides (an explicit count in
/// the config would otherwise win over the environment).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn every_call_ends_exactly_once(peer in peer(), tol in tolerance(), ops in prop::collection::vec(op(), 0..40)) {
        fuzz::run_ops(Instant::now(), peer, tol, &ops);
    }

    #[test]
    fn arbitrary_server_output_never_panics(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        fuzz::jsonrpc_client(Instant::now(), &data);
    }

    #[test]
    fn json_like_server_output_never_panics(
        head in any::<u8>(),
        text in "([{}\\[\\],:\"0-9a-z_/\\\\ .-]|\"jsonrpc\"|\"2.0\"|\"id\"|\"result\"|\"error\"|\"method\"|\"params\"|\"code\"|\"message\"|\"resultType\"|\"input_required\"|\"tools\"|\"nextCursor\"|\"supportedVersions\"|\"2026-07-28\"|\"protocolVersion\"|\"2025-11-25\"|\n){0,400}",
    ) {
        let mut data = vec![head];
        data.extend_from_slice(text.as_bytes());
        fuzz::jsonrpc_client(Instant::now(), &data);
    }

    #[test]
    fn the_deframer_holds_its_properties(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        fuzz::deframer(&data);
    }

    #[test]
    fn chunking_never_changes_what_happens(scenario in 0usize..4, chunk in 1usize..97) {
        let whole = conversation(scenario, None);
        let chunked = conversation(scenario, Some(chunk));
        prop_assert_eq!(whole, chunked);
    }
}

/// A fixed conversation; returns the client's events rendered with Debug.
fn conversation(scenario: usize, chunk: Option<usize>) -> Vec<String> {
    let server = match scenario {
        0 => ServerConfig::legacy(),
        1 => ServerConfig::modern(),
        2 => {
            let mut s = ServerConfig::legacy().with_legacy_versions(&["2025-03-26"]);
            s.banner = Some("banner line".into());
            s.page_size = Some(3);
            s
        }
        _ => {
            let mut s = ServerConfig::dual();
            s.page_size = Some(4);
            s
        }
    };
    let cfg = Config::default().with_capabilities(ClientCapabilities {
        elicitation: Some(ElicitationCapability::default()),
        ..ClientCapabilities::default()
    });
    let mut pair = Pair::new(cfg, server, Instant::now());
    pair.chunk = chunk;
    pair.drive();
    pair.sample_conversation("Z");
    pair.client.close(pair.now);
    pair.settle();
    pair.take_events()
        .iter()
        .map(|e| format!("{e:?}"))
        .collect()
}

#[test]
fn the_fuzz_encoding_round_trips() {
    let ops = vec![
        Op::CallTool {
            tool: 7,
            progress: true,
            timeout_ms: Some(1200),
        },
        Op::ListTools {
            first_page_only: true,
        },
        Op::Ping,
        Op::SetLogLevel,
        Op::Subscribe(3),
        Op::Unsubscribe(1),
        Op::Cancel(0),
        Op::Answer { input: 0, how: 2 },
        Op::Advance(Duration::from_millis(8000)),
        Op::Inject(Inject::Result { nth: 1, body: 4 }),
        Op::Inject(Inject::Error {
            nth: 0,
            code: -32042,
        }),
        Op::Inject(Inject::IdNullError),
        Op::Inject(Inject::UnknownId(77)),
        Op::Inject(Inject::Notification(5)),
        Op::Inject(Inject::Request(2)),
        Op::Inject(Inject::Garbage(b"not json".to_vec())),
        Op::Inject(Inject::Huge),
        Op::Inject(Inject::Batch),
        Op::ServerExit,
        Op::Close,
    ];
    for peer in [Peer::Legacy, Peer::Modern, Peer::Dual, Peer::SilentProbe] {
        for tol in [Tolerance::Lenient, Tolerance::Strict] {
            let bytes = fuzz::encode_ops(peer, tol, &ops);
            assert_eq!(fuzz::decode_ops(&bytes), (peer, tol, ops.clone()));
        }
    }
}
