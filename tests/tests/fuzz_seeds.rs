//! The seed corpora of the fuzz targets, generated from real conversations
//! with the scripted server in each era and from the spec's examples.
//!
//! `MCP_WRITE_FUZZ_SEEDS=1 cargo test -p mcp-tests --test fuzz_seeds` writes
//! them to `fuzz/corpus/<target>/seed-*`. Without the variable the test
//! regenerates them in memory and checks that each is committed unchanged
//! (inputs a fuzzer added next to them are left alone).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcp_proto::model::{ClientCapabilities, ElicitationCapability};
use mcp_proto::testing::fuzz::{self, Inject, Op, Peer};
use mcp_proto::testing::{Pair, ProbeReply, ServerConfig};
use mcp_proto::{Config, Tolerance};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Everything the server wrote in a scripted conversation.
fn server_output(server: ServerConfig) -> Vec<u8> {
    let cfg = Config::default().with_capabilities(ClientCapabilities {
        elicitation: Some(ElicitationCapability::default()),
        ..ClientCapabilities::default()
    });
    let mut pair = Pair::new(cfg, server, Instant::now());
    pair.drive();
    pair.sample_conversation("Seed");
    let mut out = Vec::new();
    for line in pair.transcript().lines() {
        if let Some((_, frame)) = line.split_once(" S→C ") {
            out.extend_from_slice(frame.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

fn seeds() -> BTreeMap<(&'static str, String), Vec<u8>> {
    let mut s = BTreeMap::new();
    let mut paged = ServerConfig::legacy();
    paged.page_size = Some(4);
    let mut banner = ServerConfig::legacy().with_legacy_versions(&["2025-03-26"]);
    banner.banner = Some("Server starting...".into());
    let conversations = [
        ("legacy", ServerConfig::legacy()),
        ("modern", ServerConfig::modern()),
        ("dual", ServerConfig::dual()),
        ("legacy-paged", paged),
        ("legacy-banner", banner),
        (
            "legacy-2024",
            ServerConfig::legacy().with_legacy_versions(&["2024-11-05"]),
        ),
        (
            "legacy-idnull-probe",
            ServerConfig::legacy().with_probe_reply(ProbeReply::IdNullError),
        ),
    ];
    for (name, server) in conversations {
        let output = server_output(server);
        for (head, variant) in [
            (0u8, "auto"),
            (2, "legacy"),
            (4, "modern"),
            (1, "auto-strict"),
        ] {
            let mut data = vec![head | (5 << 3)];
            data.extend_from_slice(&output);
            s.insert(("jsonrpc_client", format!("seed-{name}-{variant}")), data);
        }
        let mut deframe = vec![200u8];
        deframe.extend_from_slice(&output);
        s.insert(("deframer", format!("seed-{name}")), deframe);
        let crlf: Vec<u8> = output
            .iter()
            .flat_map(|b| {
                if *b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![*b]
                }
            })
            .collect();
        // The same conversation as an SSE stream: one event per line, with
        // ids, a priming event, comments, and CRLF line ends in one variant.
        let mut sse = String::from(": stream start\nid: 0\nretry: 500\ndata: \n\n");
        for (i, line) in String::from_utf8_lossy(&output).lines().enumerate() {
            sse.push_str(&format!("event: message\nid: {}\ndata: {line}\n\n", i + 1));
        }
        let mut seed = vec![255u8];
        seed.extend_from_slice(sse.as_bytes());
        s.insert(("sse", format!("seed-{name}")), seed);
        let mut seed = vec![9u8];
        seed.extend_from_slice(sse.replace('\n', "\r\n").as_bytes());
        s.insert(("sse", format!("seed-{name}-crlf-small-limit")), seed);
        let mut deframe = vec![7u8];
        deframe.extend_from_slice(&crlf);
        s.insert(
            ("deframer", format!("seed-{name}-crlf-small-limit")),
            deframe,
        );
    }

    // A legacy server that answers the three calls with lines that name
    // them but cannot be read, then floods bad lines and pings.
    let mut hostile = Vec::new();
    hostile.extend_from_slice(
        br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}
{"jsonrpc":"2.0","id":2,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"hostile","version":"1"}}}
{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"a"#,
    );
    hostile.extend_from_slice(b"\xff\xfe");
    hostile.extend_from_slice(
        br#""}]}}
{"jsonrpc":"2.0","id":4,"result":{"tools":[]},"result":{"tools":[]}}
"#,
    );
    hostile.extend_from_slice(
        format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{}5,\"result\":{{\"tools\":[]}}}}\n",
            "0".repeat(3000)
        )
        .as_bytes(),
    );
    hostile.extend_from_slice(&b"this is not json\n".repeat(2000));
    for i in 0..300 {
        hostile.extend_from_slice(
            format!("{{\"jsonrpc\":\"2.0\",\"id\":\"p{i}\",\"method\":\"ping\"}}\n").as_bytes(),
        );
    }
    for (head, variant) in [(20u8 << 3, "lenient"), (1 | (20 << 3), "strict")] {
        let mut data = vec![head];
        data.extend_from_slice(&hostile);
        s.insert(("jsonrpc_client", format!("seed-hostile-{variant}")), data);
    }

    // Every spec example, as one line of server output.
    let examples = root().join("spec/2026-07-28/schema/examples");
    let mut dirs: Vec<_> = fs::read_dir(&examples)
        .expect("vendored examples")
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let value: serde_json::Value = serde_json::from_slice(&fs::read(&f).unwrap()).unwrap();
            let mut data = vec![0u8];
            data.extend_from_slice(value.to_string().as_bytes());
            data.push(b'\n');
            let name = format!(
                "seed-example-{}-{}",
                dir.file_name().unwrap().to_string_lossy(),
                f.file_stem().unwrap().to_string_lossy()
            );
            s.insert(("jsonrpc_client", name), data);
        }
    }

    // Conversations of operations.
    let call = |tool: u8| Op::CallTool {
        tool,
        progress: true,
        timeout_ms: None,
    };
    let flows: [(&str, Vec<Op>); 8] = [
        (
            "every-tool",
            (0..14)
                .map(call)
                .chain([Op::Advance(Duration::from_secs(5))])
                .collect(),
        ),
        (
            "answer-inputs",
            vec![
                call(7),
                call(8),
                call(9),
                call(10),
                Op::Answer { input: 0, how: 0 },
                Op::Answer { input: 0, how: 4 },
                Op::Answer { input: 0, how: 3 },
                Op::Advance(Duration::from_secs(1)),
            ],
        ),
        (
            "cancel-and-timeout",
            vec![
                call(5),
                call(4),
                Op::Cancel(1),
                Op::CallTool {
                    tool: 5,
                    progress: false,
                    timeout_ms: Some(500),
                },
                Op::Advance(Duration::from_secs(70)),
            ],
        ),
        (
            "subscriptions",
            vec![
                Op::Subscribe(0),
                Op::Subscribe(3),
                call(12),
                Op::Unsubscribe(0),
                Op::Inject(Inject::Notification(1)),
                Op::ListTools {
                    first_page_only: false,
                },
            ],
        ),
        (
            "hostile",
            vec![
                call(0),
                Op::Inject(Inject::Garbage(b"{\"jsonrpc\":".to_vec())),
                Op::Inject(Inject::IdNullError),
                Op::Inject(Inject::UnknownId(99)),
                Op::Inject(Inject::Huge),
                Op::Inject(Inject::Batch),
                Op::Inject(Inject::Request(2)),
                Op::Inject(Inject::Result { nth: 0, body: 3 }),
                Op::Inject(Inject::Error {
                    nth: 0,
                    code: -32022,
                }),
            ],
        ),
        (
            "exit-mid-call",
            vec![call(5), call(7), Op::ServerExit, Op::Ping],
        ),
        (
            "broken-answers",
            [call(5), call(5), call(5), call(5), call(5)]
                .into_iter()
                .chain((0..5).map(|how| Op::Inject(Inject::Broken { nth: how, how })))
                .chain([Op::Ping])
                .collect(),
        ),
        (
            "floods",
            vec![
                call(5),
                Op::Inject(Inject::Flood {
                    pings: false,
                    count: 255,
                }),
                Op::Inject(Inject::Flood {
                    pings: true,
                    count: 64,
                }),
                Op::Inject(Inject::Result { nth: 0, body: 0 }),
            ],
        ),
    ];
    for (name, ops) in flows {
        for (peer, pname) in [
            (Peer::Legacy, "legacy"),
            (Peer::Modern, "modern"),
            (Peer::Dual, "dual"),
            (Peer::SilentProbe, "silent"),
        ] {
            let data = fuzz::encode_ops(peer, Tolerance::Lenient, &ops);
            s.insert(("client_ops", format!("seed-{name}-{pname}")), data);
        }
        let data = fuzz::encode_ops(Peer::Legacy, Tolerance::Strict, &ops);
        s.insert(("client_ops", format!("seed-{name}-strict")), data);
    }
    for (name, program) in http_programs() {
        s.insert(("http_client", format!("seed-{name}")), program);
    }
    s
}

/// Programs for the `http_client` target (see `fuzz::http_client` for the
/// encoding): the first byte picks tolerance (bit 1), the era preference
/// (byte / 2 % 3: auto, legacy, modern), the standalone stream (bit 8) and
/// a modern scripted server (bit 16); then `0` starts a call, `1 n` moves the clock n x 40 ms,
/// `2 i c` / `3 i c` answer open exchange i well (JSON or an event stream,
/// cut after c x 8 bytes), `4 i s t x` sends a head, `5 i n ...` n x 4 body
/// bytes, `6 i` ends an exchange and `7 i k` fails it.
fn http_programs() -> Vec<(&'static str, Vec<u8>)> {
    let mut faults = vec![2, 4, 0, 9, 0, 0, 5, 0, 3];
    faults.extend_from_slice(b"not json at all!");
    faults.extend_from_slice(&[6, 0, 0, 7, 0, 2, 1, 50, 0, 4, 0, 8, 0, 2, 6, 0, 2, 0, 0]);
    vec![
        (
            "legacy-json",
            vec![2, 2, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 5, 1, 5],
        ),
        ("modern", vec![16, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 3]),
        (
            "auto-legacy-server",
            vec![0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 0, 2, 0, 0],
        ),
        (
            "legacy-standalone-stream",
            vec![8, 2, 0, 0, 2, 0, 0, 2, 0, 0, 0, 2, 0, 0, 2, 1, 0],
        ),
        (
            "legacy-strict-sse-cut",
            vec![3, 3, 0, 2, 3, 0, 0, 0, 3, 0, 1, 0, 3, 0, 7],
        ),
        ("legacy-faults", faults),
    ]
}

#[test]
fn the_well_formed_http_programs_reach_a_session_and_answers() {
    for (name, program) in http_programs() {
        let run = fuzz::http_client(Instant::now(), &program);
        eprintln!("{name}: {run:?}");
        if !name.contains("faults") {
            assert!(run.ready, "{name}: no handshake");
            assert!(run.answered >= 1, "{name}: no call answered");
        }
    }
}

#[test]
fn seed_corpora_are_committed_and_current() {
    let write = std::env::var("MCP_WRITE_FUZZ_SEEDS").is_ok_and(|v| v == "1");
    let corpus = root().join("fuzz/corpus");
    let mut stale = Vec::new();
    for ((target, name), data) in seeds() {
        let path = corpus.join(target).join(&name);
        if write {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &data).unwrap();
        } else if fs::read(&path).ok().as_deref() != Some(data.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "{} seeds are missing or out of date (regenerate with MCP_WRITE_FUZZ_SEEDS=1 cargo test -p mcp-tests --test fuzz_seeds): {stale:?}",
        stale.len()
    );
}
