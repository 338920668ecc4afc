//! How fast the core takes in `tools/call` result frames, against the floor
//! of `serde_json::from_slice::<IgnoredAny>` over the same bytes.
//!
//! The core's figure is its whole receive path for one frame: deframing,
//! UTF-8 check, the JSON-RPC envelope, routing to the pending call, and the
//! terminal event out of `poll_output` (the result stays raw). The typed
//! decode the caller does afterwards is reported on its own line.
//!
//! `cargo bench -p mcp-proto --bench decode` (add `-- --quick` for a short
//! run, or `-- small` to run only the cases whose name contains `small`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use mcp_proto::model::{CallToolResult, JsonObject};
use mcp_proto::{Client, Config, EraPreference, Event, Limits, Output, RequestOptions};
use serde::de::IgnoredAny;
use serde_json::json;

/// Pending calls per round (the routing table holds this many), fewer for
/// big frames so that a round's replies stay within about 64 MiB: a client
/// decodes and drops results as they come, it does not hoard a gigabyte.
fn batch_for(frame_len: usize) -> usize {
    (64 << 20) / frame_len.max(1)
}

const BATCH: usize = 1000;

struct Case {
    name: &'static str,
    result: serde_json::Value,
}

fn cases() -> Vec<Case> {
    let listing: Vec<String> = (0..24)
        .map(|i| format!("src/module_{i:02}.rs  {:>6} bytes", 1200 + i * 37))
        .collect();
    vec![
        Case {
            name: "small (echo)",
            result: json!({"content":[{"type":"text","text":"hello"}]}),
        },
        Case {
            name: "typical (1 KiB text + structured)",
            result: json!({
                "content":[{"type":"text","text":listing.join("\n")}],
                "structuredContent":{"files":24,"total_bytes":38952,"truncated":false},
                "isError":false
            }),
        },
        Case {
            name: "large (1 MiB image)",
            result: json!({"content":[{"type":"image","mimeType":"image/png","data":"A".repeat(1 << 20)}]}),
        },
    ]
}

/// A client past its handshake, fed from bytes like a real one.
fn ready_client(modern: bool, now: Instant) -> Client {
    let cfg = Config {
        era: if modern {
            EraPreference::Modern
        } else {
            EraPreference::Legacy
        },
        limits: Limits {
            max_pending_calls: 1 << 20,
            ..Limits::default()
        },
        cache: false,
        ..Config::default()
    };
    let mut c = Client::new(cfg, now);
    while c.poll_output().is_some() {}
    let answer = if modern {
        json!({"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}},"ttlMs":0,"cacheScope":"public"}})
    } else {
        json!({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"bench","version":"1"}}})
    };
    let mut line = serde_json::to_vec(&answer).unwrap();
    line.push(b'\n');
    c.handle_bytes(now, &line).unwrap();
    while c.poll_output().is_some() {}
    assert!(c.is_ready());
    c
}

/// Issues `BATCH` calls (untimed) and returns the response frames for them.
fn issue(c: &mut Client, now: Instant, result: &serde_json::Value, modern: bool) -> Vec<Vec<u8>> {
    let mut params = JsonObject::new();
    params.insert("name".into(), json!("echo"));
    let n = batch_for(serde_json::to_vec(result).map_or(1, |v| v.len())).clamp(16, BATCH);
    for _ in 0..n {
        c.request_raw(now, "tools/call", params.clone(), RequestOptions::default())
            .unwrap();
    }
    let mut frames = Vec::with_capacity(BATCH);
    while let Some(out) = c.poll_output() {
        if let Output::Transmit(bytes) = out {
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let req: serde_json::Value = serde_json::from_slice(line).unwrap();
                let mut result = result.clone();
                if modern {
                    result["resultType"] = json!("complete");
                }
                let mut f =
                    serde_json::to_vec(&json!({"jsonrpc":"2.0","id":req["id"],"result":result}))
                        .unwrap();
                f.push(b'\n');
                frames.push(f);
            }
        }
    }
    assert_eq!(frames.len(), n);
    frames
}

struct Timing {
    per_frame: Duration,
    mb_per_s: f64,
}

fn timing(total: Duration, frames: usize, bytes: usize) -> Timing {
    Timing {
        per_frame: total / frames as u32,
        mb_per_s: bytes as f64 / total.as_secs_f64() / 1e6,
    }
}

fn run(case: &Case, modern: bool, budget: Duration) -> (Timing, Timing, Timing) {
    let start = Instant::now();
    let mut c = ready_client(modern, start);
    let (mut core, mut floor, mut typed) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut frames, mut bytes) = (0usize, 0usize);
    while core + floor + typed < budget || frames < 32 {
        let batch = issue(&mut c, start, &case.result, modern);

        // The floor: parse each frame without building anything.
        let t = Instant::now();
        for f in &batch {
            black_box(serde_json::from_slice::<IgnoredAny>(black_box(f)).unwrap());
        }
        floor += t.elapsed();

        // The core: bytes in, terminal event out, result still raw.
        let mut replies = Vec::with_capacity(BATCH);
        let t = Instant::now();
        for f in &batch {
            c.handle_bytes(start, black_box(f)).unwrap();
            while let Some(out) = c.poll_output() {
                if let Output::Event(Event::Response { result, .. }) = out {
                    replies.push(result.unwrap());
                }
            }
        }
        core += t.elapsed();
        assert_eq!(replies.len(), batch.len());

        // The caller's typed decode of the same results.
        let t = Instant::now();
        for r in &replies {
            black_box(r.decode::<CallToolResult>().unwrap());
        }
        typed += t.elapsed();

        frames += batch.len();
        bytes += batch.iter().map(Vec::len).sum::<usize>();
    }
    (
        timing(core, frames, bytes),
        timing(floor, frames, bytes),
        timing(typed, frames, bytes),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // Any other argument that is not a flag filters cases by name.
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let budget = if quick {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(3)
    };
    println!(
        "{:<36} {:>7} {:>12} {:>10} {:>12} {:>10} {:>7} {:>12}",
        "frame",
        "era",
        "core/frame",
        "core MB/s",
        "floor/frame",
        "floor MB/s",
        "ratio",
        "typed/frame"
    );
    for case in cases() {
        if !filter.is_empty() && !filter.iter().any(|f| case.name.contains(f.as_str())) {
            continue;
        }
        for modern in [false, true] {
            let (core, floor, typed) = run(&case, modern, budget);
            println!(
                "{:<36} {:>7} {:>12?} {:>10.0} {:>12?} {:>10.0} {:>6.2}x {:>12?}",
                case.name,
                if modern { "modern" } else { "legacy" },
                core.per_frame,
                core.mb_per_s,
                floor.per_frame,
                floor.mb_per_s,
                core.per_frame.as_secs_f64() / floor.per_frame.as_secs_f64(),
                typed.per_frame,
            );
        }
    }
    println!("ratio = core / floor (serde_json::from_slice::<IgnoredAny> on the same bytes); 1.00x is the floor.");
}
