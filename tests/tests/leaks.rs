//! No leaks over many connections: file descriptors, threads and child
//! processes return to where they were. One test in its own binary, so no
//! other test's threads or pipes blur the counts.

use std::time::Duration;

use mcp_blocking::prelude::*;
use mcp_tests::{children_of, eventually};
use serde_json::json;

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn fds() -> usize {
    count("/proc/self/fd")
}

fn threads() -> usize {
    count("/proc/self/task")
}

#[test]
fn many_connections_leave_no_threads_descriptors_or_processes() {
    let me = std::process::id();
    let cmd = |mode: &str| ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg(mode);
    let quick = Shutdown {
        stdin_grace: Duration::from_millis(300),
        term_grace: Duration::from_millis(300),
    };
    // One warm-up round, so one-time allocations (thread-local buffers, the
    // stderr of the test harness) are not counted as leaks.
    Client::builder()
        .shutdown(quick)
        .spawn(&cmd("normal"))
        .unwrap()
        .close();
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
    for round in 0..21 {
        let mode = modes[round % modes.len()];
        let client = Client::builder().shutdown(quick).spawn(&cmd(mode)).unwrap();
        let _ = client.call_tool("echo", json!({"text": "x"}));
        let _ = client
            .with_timeout(Duration::from_millis(50))
            .call_tool("never", ());
        if round % 2 == 0 {
            let closed = client.close();
            assert_eq!(closed.threads_left, 0, "round {round} ({mode}): {closed:?}");
        } else {
            drop(client);
        }
    }

    assert!(
        eventually(Duration::from_secs(5), || children_of(me).is_empty()),
        "children left: {:?}",
        children_of(me)
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
