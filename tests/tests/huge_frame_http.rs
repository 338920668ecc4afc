//! A 100 MiB answer over HTTP, from a server in a child process, alone in
//! its test binary so that the peak memory measured is the client's own: as
//! a JSON body and as one server-sent event, the call fails with a clear
//! error, the session goes on, and the client holds no more of the answer
//! than the configured frame limit, give or take a buffer's growth.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mcp_blocking::mcp_proto::http::HttpOptions;
use mcp_blocking::mcp_proto::Config;
use mcp_blocking::prelude::Operations;
use mcp_switch::{Adapter, Client};
use mcp_tests::{assert_dropped_within_limit, peak_rss};
use serde_json::json;

const ANSWER: usize = 100 * 1024 * 1024;

/// The `http-sized` fault server, and its URL.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(shape: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-fault-server"))
            .args(["http-sized", &ANSWER.to_string(), shape])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fault server starts");
        let mut url = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut url)
            .expect("the fault server says its URL");
        Server {
            child,
            url: url.trim().to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Its stdin ends: it exits.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[test]
fn a_100_mib_answer_over_http_fails_its_call_and_memory_stays_within_the_frame_limit() {
    let servers = [
        ("json", Server::start("json")),
        ("sse", Server::start("sse")),
    ];
    let baseline = peak_rss();
    // The small limit first: the peak is a high-water mark.
    for limit in [8 * 1024 * 1024, Config::default().limits.max_frame_size] {
        for (shape, server) in &servers {
            for adapter in Adapter::ALL {
                let mut config = Config::default();
                config.limits.max_frame_size = limit;
                let client = Client::builder(adapter)
                    .config(config)
                    .connect_http(HttpOptions::new(server.url.clone()))
                    .unwrap();
                let err = client
                    .with_timeout(Duration::from_secs(120))
                    .call_tool("echo", json!({"text": "huge"}))
                    .unwrap_err();
                let what = format!("{shape}, {adapter:?}");
                assert_dropped_within_limit(&client, &err, None, limit, baseline, &what);
            }
        }
    }
}
