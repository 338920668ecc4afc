//! A 100 MiB frame from a real child process, alone in its test binary so
//! that the peak memory measured is its own: the client fails the call it
//! answered with a clear error, goes on, and holds no more of the frame
//! than the configured limit (it cannot know a line is too long before it
//! has seen that much of it), give or take a buffer's growth.

use std::time::Duration;

use mcp_blocking::mcp_proto::Config;
use mcp_blocking::prelude::{Operations, ServerCommand, Shutdown};
use mcp_switch::{Adapter, Client};
use mcp_tests::{assert_dropped_within_limit, peak_rss};
use serde_json::json;

const FRAME: usize = 100 * 1024 * 1024;

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
            let what = format!("{adapter:?}");
            assert_dropped_within_limit(&client, &err, Some(FRAME), limit, baseline, &what);
        }
    }
}
