//! Prints the wire transcript of a client talking to the scripted in-memory
//! server in each era: era detection, a tool call with progress, and an
//! input-needed round. No I/O, simulated time.
//!
//! `cargo run -p mcp-proto --features testing --example transcript`

use std::time::Instant;

use mcp_proto::methods::{CallTool, ListTools};
use mcp_proto::model::{
    CallToolRequestParams, ClientCapabilities, ElicitResult, ElicitationCapability,
    PaginatedRequestParams,
};
use mcp_proto::testing::{Pair, ServerConfig};
use mcp_proto::{Config, Event, InputAnswer, RequestOptions};

fn main() {
    for (title, server) in [
        ("legacy server (2025-11-25)", ServerConfig::legacy()),
        ("modern server (2026-07-28)", ServerConfig::modern()),
    ] {
        println!("=== {title}");
        let config = Config::default().with_capabilities(ClientCapabilities {
            elicitation: Some(ElicitationCapability::default()),
            ..ClientCapabilities::default()
        });
        let mut pair = Pair::new(config, server, Instant::now());
        pair.settle();
        let now = pair.now;
        pair.client
            .request::<ListTools>(
                now,
                &PaginatedRequestParams::default(),
                RequestOptions::default(),
            )
            .expect("request");
        let slow = CallToolRequestParams::new("slow").with_arguments(
            serde_json::json!({"steps": 2})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        pair.client
            .request::<CallTool>(now, &slow, RequestOptions::default().with_progress())
            .expect("request");
        pair.client
            .request::<CallTool>(
                now,
                &CallToolRequestParams::new("ask_name"),
                RequestOptions::default(),
            )
            .expect("request");
        pair.drive();
        let input = pair.events().iter().find_map(|e| match e {
            Event::InputNeeded(n) => Some(n.id),
            _ => None,
        });
        if let Some(id) = input {
            let mut content = serde_json::Map::new();
            content.insert("name".into(), "Ada".into());
            pair.client
                .provide_input(
                    pair.now,
                    id,
                    InputAnswer::Elicit(ElicitResult::accept(content)),
                )
                .expect("answer");
        }
        pair.settle();
        pair.client.close(pair.now);
        pair.settle();
        for line in pair.transcript().lines() {
            // Whole frames are in the snapshot tests; here a line is enough.
            match line.char_indices().nth(160) {
                Some((cut, _)) => println!("{}…", &line[..cut]),
                None => println!("{line}"),
            }
        }
    }
}
