//! Exact wire transcripts, pinned with insta: each era's handshake, the
//! fallback after a silent probe, and a tool call with progress next to an
//! input-needed round. Virtual time and sequential ids make them stable.
//!
//! After an intended change: `cargo insta review` (or INSTA_UPDATE=always).

mod common;

use std::time::{Duration, Instant};

use common::*;
use mcp_proto::methods::CallTool;
use mcp_proto::model::{
    CallToolRequestParams, ClientCapabilities, ElicitResult, ElicitationCapability, Implementation,
};
use mcp_proto::testing::{Pair, ProbeReply, ServerConfig};
use mcp_proto::{Config, InputAnswer, RequestOptions};
use serde_json::json;

fn client() -> Config {
    Config::new(Implementation::new("snapshot-client", "1.0.0")).with_capabilities(
        ClientCapabilities {
            elicitation: Some(ElicitationCapability::default()),
            ..ClientCapabilities::default()
        },
    )
}

fn handshake(server: ServerConfig) -> String {
    let mut pair = Pair::new(client(), server, Instant::now());
    pair.settle();
    pair.transcript()
}

#[test]
fn legacy_handshake() {
    insta::assert_snapshot!(handshake(ServerConfig::legacy()));
}

#[test]
fn modern_handshake() {
    insta::assert_snapshot!(handshake(ServerConfig::modern()));
}

#[test]
fn legacy_fallback_after_a_silent_probe() {
    insta::assert_snapshot!(handshake(
        ServerConfig::legacy().with_probe_reply(ProbeReply::Silent)
    ));
}

fn progress_and_input(server: ServerConfig) -> String {
    let mut pair = Pair::new(client(), server, Instant::now());
    pair.drive();
    pair.note("the application calls `slow` with progress and `ask_name`");
    let slow =
        CallToolRequestParams::new("slow").with_arguments(obj(json!({"steps": 2, "step_ms": 250})));
    pair.call_tool_with(&slow, RequestOptions::default().with_progress());
    pair.client
        .request::<CallTool>(
            pair.now,
            &CallToolRequestParams::new("ask_name"),
            RequestOptions::default(),
        )
        .unwrap();
    pair.drive();
    pair.advance(Duration::from_millis(100));
    let input = inputs(pair.events()).remove(0);
    pair.note("the user types a name");
    pair.client
        .provide_input(
            pair.now,
            input.id,
            InputAnswer::Elicit(ElicitResult::accept(obj(json!({"name": "Ada"})))),
        )
        .unwrap();
    pair.settle();
    pair.note("the application closes the connection");
    pair.client.close(pair.now);
    pair.settle();
    pair.transcript()
}

#[test]
fn legacy_tool_call_with_progress_and_an_input_round() {
    insta::assert_snapshot!(progress_and_input(ServerConfig::legacy()));
}

#[test]
fn modern_tool_call_with_progress_and_an_input_round() {
    insta::assert_snapshot!(progress_and_input(ServerConfig::modern()));
}
