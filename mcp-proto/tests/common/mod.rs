//! Helpers shared by the conversation tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use mcp_proto::model::{CallToolResult, ContentBlock, JsonObject};
use mcp_proto::testing::{Pair, ServerConfig};
use mcp_proto::{CallId, Config, Event, InputNeeded, Reply, RequestError};
use serde_json::Value;

/// A pair after its handshake.
pub fn ready(client: Config, server: ServerConfig) -> Pair {
    let mut pair = Pair::new(client, server, Instant::now());
    pair.drive();
    assert!(
        pair.client.is_ready(),
        "handshake did not finish:\n{}",
        pair.transcript()
    );
    pair.take_events();
    pair
}

/// The terminal outcome of `call` among `events`, asserting there is exactly one.
pub fn outcome(events: &[Event], call: CallId) -> Result<Reply, RequestError> {
    let mut found: Vec<&Result<Reply, RequestError>> = events
        .iter()
        .filter_map(|e| match e {
            Event::Response { call: c, result } if *c == call => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{call} must end exactly once, events: {events:#?}"
    );
    found.remove(0).clone()
}

/// Whether `call` has ended among `events`.
pub fn ended(events: &[Event], call: CallId) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Response { call: c, .. } if *c == call))
}

/// The first text content of a tool result.
pub fn tool_text(reply: &Reply) -> String {
    let r: CallToolResult = reply.decode().expect("a CallToolResult");
    match r.content.first() {
        Some(ContentBlock::Text(t)) => t.text.clone(),
        other => panic!("first content is not text: {other:?}"),
    }
}

/// The input requests among `events`.
pub fn inputs(events: &[Event]) -> Vec<InputNeeded> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::InputNeeded(n) => Some((**n).clone()),
            _ => None,
        })
        .collect()
}

/// Builds a JSON object from a `json!` literal.
pub fn obj(v: Value) -> JsonObject {
    v.as_object().cloned().expect("an object literal")
}

/// The messages the server received with this method.
pub fn sent<'a>(pair: &'a Pair, method: &str) -> Vec<&'a Value> {
    pair.server
        .received()
        .iter()
        .filter(|m| m.get("method").and_then(Value::as_str) == Some(method))
        .collect()
}

/// A client driven by hand: feed it exact lines, read what it wrote.
pub struct Raw {
    pub client: mcp_proto::Client,
    pub now: Instant,
    pub start: Instant,
    pub written: Vec<Value>,
    pub events: Vec<Event>,
    pub transport_closed: bool,
}

impl Raw {
    pub fn new(cfg: Config) -> Raw {
        let now = Instant::now();
        let mut r = Raw {
            client: mcp_proto::Client::new(cfg, now),
            now,
            start: now,
            written: Vec::new(),
            events: Vec::new(),
            transport_closed: false,
        };
        r.drain();
        r
    }

    pub fn drain(&mut self) {
        while let Some(out) = self.client.poll_output() {
            match out {
                mcp_proto::Output::Transmit(bytes) => {
                    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                        self.written.push(
                            serde_json::from_slice(line).expect("the client writes JSON lines"),
                        );
                    }
                }
                mcp_proto::Output::Event(e) => self.events.push(e),
                mcp_proto::Output::CloseTransport => self.transport_closed = true,
                mcp_proto::Output::Http(_) | mcp_proto::Output::AbortHttp(_) => {
                    panic!("a byte-stream client asked for HTTP")
                }
            }
        }
    }

    /// Feeds one line (a newline is added).
    pub fn feed(&mut self, line: &str) {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        self.client
            .handle_bytes(self.now, &bytes)
            .expect("bytes accepted");
        self.drain();
    }

    pub fn feed_json(&mut self, v: Value) {
        self.feed(&v.to_string());
    }

    pub fn advance(&mut self, d: std::time::Duration) {
        self.now += d;
        self.client.handle_timeout(self.now);
        self.drain();
    }

    /// The last message the client wrote.
    pub fn last(&self) -> &Value {
        self.written.last().expect("the client wrote something")
    }

    /// The id of the last request the client wrote.
    pub fn last_id(&self) -> i64 {
        self.last()["id"].as_i64().expect("a numeric id")
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Answers the probe as a legacy server would (-32601) and `initialize`
    /// with `version`, leaving the client ready.
    pub fn legacy_handshake(&mut self, version: &str, capabilities: Value) {
        let probe = self.last_id();
        self.feed_json(serde_json::json!({"jsonrpc":"2.0","id":probe,"error":{"code":-32601,"message":"Method not found"}}));
        let init = self.last_id();
        assert_eq!(self.last()["method"], "initialize");
        self.feed_json(serde_json::json!({"jsonrpc":"2.0","id":init,"result":{
            "protocolVersion": version, "capabilities": capabilities,
            "serverInfo": {"name":"raw","version":"0"}}}));
        assert!(self.client.is_ready());
        self.events.clear();
    }

    /// Answers the probe with a DiscoverResult, leaving the client ready in the modern era.
    pub fn modern_handshake(&mut self, capabilities: Value) {
        let probe = self.last_id();
        self.feed_json(serde_json::json!({"jsonrpc":"2.0","id":probe,"result":{
            "resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":capabilities,
            "ttlMs":0,"cacheScope":"public"}}));
        assert!(self.client.is_ready());
        self.events.clear();
    }
}
