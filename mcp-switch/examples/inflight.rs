//! Many calls in flight on one connection, on either adapter: every request
//! is sent before the first answer is awaited, then each answer is checked.
//! Prints the wall time and the process's peak memory.
//!
//! ```text
//! cargo build --release -p mcp-demo --bin mcp-demo-server
//! cargo run --release -p mcp-switch --example inflight -- smol 10000 target/release/mcp-demo-server
//! cargo run --release -p mcp-switch --example inflight -- blocking 10000 target/release/mcp-demo-server
//! ```
//!
//! Run each adapter in a process of its own: the peak is the process's.

use std::time::Instant;

use mcp_switch::mcp_proto::methods::CallTool;
use mcp_switch::mcp_proto::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use mcp_switch::mcp_proto::Call;
use mcp_switch::{Adapter, Client, Error, ServerCommand};
use serde_json::json;

fn main() -> Result<(), Error> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (Some(adapter), Some(calls), Some((program, args))) = (
        argv.first().and_then(|a| a.parse::<Adapter>().ok()),
        argv.get(1).and_then(|n| n.parse::<usize>().ok()),
        argv.get(2..).and_then(|rest| rest.split_first()),
    ) else {
        eprintln!("usage: inflight blocking|smol CALLS SERVER_COMMAND [ARGS...]");
        std::process::exit(2);
    };
    let client = Client::builder(adapter).spawn(&ServerCommand::new(program).args(args))?;
    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let pending = (0..calls)
        .map(|i| {
            let mut params = CallToolRequestParams::new("echo");
            params.arguments = json!({ "text": format!("call {i}") }).as_object().cloned();
            client.start(Call::request::<CallTool>(&params)?, Default::default())
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let sent = started.elapsed();
    for (i, p) in pending.into_iter().enumerate() {
        let r: CallToolResult = p.wait()?.decode().map_err(Error::Decode)?;
        let ok = matches!(&r.content[0], ContentBlock::Text(t) if t.text == format!("call {i}"));
        assert!(ok, "call {i} got the wrong answer: {r:?}");
    }
    let all = started.elapsed();
    println!(
        "{adapter}: {calls} calls in flight, all sent after {:.1} ms, all answered and checked after {:.1} ms ({:.0} calls/s); peak RSS {} MiB (after connecting: {} MiB)",
        sent.as_secs_f64() * 1e3,
        all.as_secs_f64() * 1e3,
        calls as f64 / all.as_secs_f64(),
        peak_rss_kib() / 1024,
        rss_before / 1024,
    );
    client.close();
    Ok(())
}

/// The process's peak resident set (VmHWM), in KiB; 0 where /proc is not.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
