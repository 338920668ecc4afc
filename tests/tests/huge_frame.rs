//! A 100 MiB frame from a real child process, alone in its test binary so
//! that the peak memory measured is its own: the client fails the call it
//! answered with a clear error, goes on, and holds no more of the frame
//! than the configured limit (it cannot know a line is too long before it
//! has seen that much of it), give or take a buffer's growth.

use std::time::Duration;

use mcp_blocking::mcp_proto::{Config, RequestError};
use mcp_blocking::prelude::{Error, Operations, ServerCommand, Shutdown};
use mcp_switch::{Adapter, Client};
use serde_json::json;

const FRAME: usize = 100 * 1024 * 1024;

/// The process's peak resident memory so far, in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .expect("VmHWM in /proc/self/status")
        * 1024
}

#[test]
fn a_100_mib_frame_fails_its_call_and_memory_stays_within_the_frame_limit() {
    let baseline = peak_rss();
    // A small limit first (the peak is a high-water mark): what the client
    // holds follows the limit, not the frame.
    for limit in [8 * 1024 * 1024, Config::default().limits.max_frame_size] {
        for adapter in Adapter::ALL {
            let mut config = Config::default();
            config.limits.max_frame_size = limit;
            let client = Client::builder(adapter)
                .config(config)
                .shutdown(Shutdown {
                    stdin_grace: Duration::from_millis(300),
                    term_grace: Duration::from_millis(300),
                })
                .spawn(
                    &ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server"))
                        .args(["sized".to_string(), FRAME.to_string()]),
                )
                .unwrap();
            let err = client
                .with_timeout(Duration::from_secs(60))
                .call_tool("echo", json!({"text": "huge"}))
                .unwrap_err();
            match &err {
                Error::Request(e) => assert!(
                    matches!(**e, RequestError::ResponseTooLarge { len, limit: l } if len == FRAME && l == limit),
                    "{adapter:?}: {err}"
                ),
                other => panic!("{adapter:?}: {other}"),
            }
            // The connection goes on after the dropped frame.
            assert!(client.ping().is_ok(), "{adapter:?}");
            let closed = client.close();
            assert_eq!(closed.threads_left, 0, "{adapter:?}: {closed:?}");
            let grown = peak_rss().saturating_sub(baseline);
            eprintln!(
                "{adapter:?}, limit {} MiB: peak RSS grew by {} MiB",
                limit >> 20,
                grown >> 20
            );
            // The line buffer grows by doubling, so for a moment it may be
            // there twice; a frame kept whole would be 100 MiB and more.
            assert!(
                grown < 2 * limit + 16 * 1024 * 1024,
                "{adapter:?}: the peak grew by {} MiB with a {} MiB frame limit",
                grown >> 20,
                limit >> 20
            );
        }
    }
}
