//! No leaks over many connections: file descriptors, threads and child
//! processes return to where they were. One test in its own binary, so no
//! other test's threads or pipes blur the counts.
//!
//! Rounds over stdio with servers that misbehave in every way the fault
//! server knows, and over HTTP against an in-process server that answers
//! some calls with a 500, a cut stream or a reset connection; on both
//! adapters.

use std::time::Duration;

use mcp_blocking::prelude::{Operations, ServerCommand, Shutdown};
use mcp_proto::http::{HttpOptions, RetryPolicy};
use mcp_switch::{Adapter, Client};
use mcp_tests::httpd::{Reply, Request, TestServer};
use mcp_tests::{children_of, eventually};
use serde_json::{json, Value};

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn fds() -> usize {
    count("/proc/self/fd")
}

fn threads() -> usize {
    count("/proc/self/task")
}

fn quick() -> Shutdown {
    Shutdown {
        stdin_grace: Duration::from_millis(300),
        term_grace: Duration::from_millis(300),
    }
}

fn cmd(mode: &str) -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg(mode)
}

/// A 2026-07-28 server over HTTP; `tools/call` of `fault` misbehaves.
fn mcp_over_http(req: &Request) -> Reply {
    let body = req.json().unwrap_or(Value::Null);
    let id = body.get("id").cloned();
    let answer =
        |result: Value| Reply::json(200, &json!({"jsonrpc": "2.0", "id": id, "result": result}));
    match body["method"].as_str() {
        _ if req.method != "POST" => Reply::status(405),
        None => Reply::status(202),
        Some(_) if id.is_none() => Reply::status(202),
        Some("server/discover") => answer(json!({
            "supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}},
            "resultType": "complete", "ttlMs": 0, "cacheScope": "public",
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "leaks", "version": "1"}}
        })),
        Some("tools/call") => match body["params"]["arguments"]["fault"].as_str() {
            Some("500") => Reply::text(500, "broken"),
            Some("cut") => Reply::sse(200).chunk(": working\n\n").cut(),
            Some("reset") => Reply::sse(200).chunk(": working\n\n").reset(),
            _ => answer(
                json!({"content": [{"type": "text", "text": "ok"}], "resultType": "complete"}),
            ),
        },
        Some(_) => Reply::json(
            200,
            &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no such method"}}),
        ),
    }
}

fn http_round(adapter: Adapter, server: &TestServer, fault: &str, close: bool) {
    let mut opts = HttpOptions::new(server.url("/mcp"));
    opts.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let client = Client::builder(adapter).connect_http(opts).unwrap();
    let _ = client.call_tool("echo", json!({ "fault": fault }));
    assert!(
        client.call_tool("echo", json!({})).is_ok(),
        "{adapter:?} after {fault}"
    );
    if close {
        let closed = client.close();
        assert_eq!(closed.threads_left, 0, "{adapter:?} {fault}: {closed:?}");
    } else {
        drop(client);
    }
}

#[test]
fn many_connections_leave_no_threads_descriptors_or_processes() {
    let me = std::process::id();
    let server = TestServer::start(mcp_over_http);
    // One warm-up round of each kind, so one-time allocations (thread-local
    // buffers, the stderr of the test harness, smol's reactor thread) are
    // not counted as leaks.
    for adapter in Adapter::ALL {
        Client::builder(adapter)
            .shutdown(quick())
            .spawn(&cmd("normal"))
            .unwrap()
            .close();
        http_round(adapter, &server, "none", true);
    }
    assert!(eventually(Duration::from_secs(5), || server
        .open_connections()
        == 0));
    let (fds0, threads0) = (fds(), threads());

    let modes = [
        "normal",
        "grandchild",
        "ignore-sigterm",
        "flood-stderr",
        "exit-mid-request",
        "garbage",
        "duplicate-ids",
    ];
    for round in 0..28 {
        let adapter = Adapter::ALL[round % 2];
        let mode = modes[round % modes.len()];
        let client = Client::builder(adapter)
            .shutdown(quick())
            .spawn(&cmd(mode))
            .unwrap();
        let _ = client.call_tool("echo", json!({"text": "x"}));
        let _ = client
            .with_timeout(Duration::from_millis(50))
            .call_tool("never", json!({}));
        if round % 3 == 0 {
            drop(client);
        } else {
            let closed = client.close();
            assert_eq!(
                closed.threads_left, 0,
                "round {round} ({adapter:?}, {mode}): {closed:?}"
            );
        }
    }
    let faults = ["none", "500", "cut", "reset"];
    for round in 0..16 {
        http_round(
            Adapter::ALL[round % 2],
            &server,
            faults[round % faults.len()],
            round % 3 != 0,
        );
    }

    assert!(
        eventually(Duration::from_secs(5), || children_of(me).is_empty()),
        "children left: {:?}",
        children_of(me)
    );
    assert!(
        eventually(Duration::from_secs(5), || server.open_connections() == 0),
        "{} HTTP connections left open",
        server.open_connections()
    );
    assert!(
        eventually(Duration::from_secs(5), || threads() <= threads0),
        "threads: {} before, {} after",
        threads0,
        threads()
    );
    assert!(
        eventually(Duration::from_secs(5), || fds() <= fds0),
        "descriptors: {} before, {} after",
        fds0,
        fds()
    );
}
