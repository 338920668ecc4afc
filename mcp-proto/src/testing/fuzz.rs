//! Entry points for fuzz targets and property tests, and the invariants
//! they check.
//!
//! Each entry point takes arbitrary bytes and must return normally for every
//! input: a panic is either a bug in the client or a broken invariant (the
//! `assert!`s below), which is exactly what a fuzzer should find. The same
//! functions replay the committed corpora under plain `cargo test`.
//!
//! Time is a parameter here as everywhere in the core: callers pass the
//! start instant (any will do; only differences matter).
//!
//! The invariants:
//! - no input panics the client;
//! - every call ends in at most one `Event::Response` while running, and in
//!   exactly one once the connection is closed;
//! - `Event::Closed` appears once and is the last event; nothing follows it;
//! - `handle_timeout` at the same instant twice does nothing the second time;
//! - after closing, nothing is pending and no deadline is armed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::framing::{Frame, LineDeframer};
use crate::methods::{CallTool, ListTools};
use crate::model::{
    CallToolRequestParams, ClientCapabilities, ElicitResult, ElicitationCapability, JsonObject,
    ListRootsResult, LoggingLevel, PaginatedRequestParams, RootsCapability, SamplingCapability,
};
use crate::{
    CallId, Client, Config, Event, InputAnswer, InputId, Limits, Output, RequestOptions,
    Subscription, Tolerance,
};

use super::{Pair, ProbeReply, ServerConfig};

/// The scripted server's tools a fuzzed call may use (see `server.rs`).
const TOOLS: [&str; 15] = [
    "echo",
    "add",
    "fail",
    "boom",
    "slow",
    "never",
    "big",
    "ask_name",
    "sample",
    "roots",
    "two_rounds",
    "state_only",
    "touch",
    "log",
    "weather",
];

/// Which peer a sequence of operations runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// A legacy server (2025-11-25 down to 2024-11-05).
    Legacy,
    /// A modern (2026-07-28) server.
    Modern,
    /// A dual-era server.
    Dual,
    /// A legacy server that never answers the probe.
    SilentProbe,
}

/// Something that happens during a fuzzed conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Call a scripted tool (index into the tool table), perhaps with progress
    /// and a short timeout.
    CallTool {
        /// Tool index (taken modulo the table size).
        tool: u8,
        /// Ask for progress.
        progress: bool,
        /// A timeout in milliseconds instead of the default.
        timeout_ms: Option<u16>,
    },
    /// List tools, all pages or the first.
    ListTools {
        /// Only the first page.
        first_page_only: bool,
    },
    /// `ping`.
    Ping,
    /// Set the log level.
    SetLogLevel,
    /// Subscribe to one of four things.
    Subscribe(u8),
    /// Unsubscribe from one of four things.
    Unsubscribe(u8),
    /// Cancel the n-th call issued so far (modulo their number).
    Cancel(u8),
    /// Answer the n-th open input request: accept, decline, refuse or a
    /// mismatched kind.
    Answer {
        /// Which open input request (modulo their number).
        input: u8,
        /// How to answer.
        how: u8,
    },
    /// Make the server send a message of its own.
    Inject(Inject),
    /// Let virtual time pass.
    Advance(Duration),
    /// The server exits.
    ServerExit,
    /// The client closes.
    Close,
}

/// A message the server sends on its own, aimed at what the client did.
#[derive(Debug, Clone, PartialEq)]
pub enum Inject {
    /// A result for the n-th most recent id the client sent.
    Result {
        /// Which id, counted back from the newest.
        nth: u8,
        /// Which result body.
        body: u8,
    },
    /// An error for the n-th most recent id the client sent.
    Error {
        /// Which id, counted back from the newest.
        nth: u8,
        /// The error code.
        code: i32,
    },
    /// An error with `id: null`.
    IdNullError,
    /// A response to an id the client never used.
    UnknownId(i64),
    /// A notification (progress for the newest token, list changes, log,
    /// cancellation of a server request, unknown).
    Notification(u8),
    /// A server-to-client request.
    Request(u8),
    /// Bytes that are not a message.
    Garbage(Vec<u8>),
    /// A line over the frame limit, answering the newest id.
    Huge,
    /// Two responses in one batch.
    Batch,
    /// A line that names the n-th most recent id but cannot be read.
    Broken {
        /// Which id, counted back from the newest.
        nth: u8,
        /// How it is broken: invalid UTF-8, a raw NUL, a duplicate id, a
        /// duplicate result, the id with 2,000 leading zeros.
        how: u8,
    },
    /// Many lines at once: bad lines, or `ping` requests.
    Flood {
        /// `ping` requests rather than lines that are not JSON.
        pings: bool,
        /// How many, in units of 32 lines.
        count: u8,
    },
}

/// The frame limit of fuzzed clients: small enough that `big` and `Huge`
/// cross it.
const FRAME_LIMIT: usize = 8 * 1024;

fn fuzz_config(tolerance: Tolerance) -> Config {
    Config {
        capabilities: ClientCapabilities {
            elicitation: Some(ElicitationCapability::default()),
            sampling: Some(SamplingCapability::default()),
            roots: Some(RootsCapability::default()),
            ..ClientCapabilities::default()
        },
        tolerance,
        max_input_rounds: 4,
        max_pages: 8,
        limits: Limits {
            max_frame_size: FRAME_LIMIT,
            max_pending_calls: 64,
            max_queued_events: 256,
            max_pending_inputs: 8,
            ..Limits::default()
        },
        ..Config::default()
    }
}

/// The fuzz config with the tolerance (bit 0) and era preference
/// (`head / 2 % 3`: auto, legacy, modern) a target's first byte picks.
fn config_from(head: u8) -> Config {
    let mut cfg = fuzz_config(if head & 1 == 1 {
        Tolerance::Strict
    } else {
        Tolerance::Lenient
    });
    cfg.era = match (head >> 1) % 3 {
        0 => crate::EraPreference::Auto,
        1 => crate::EraPreference::Legacy,
        _ => crate::EraPreference::Modern,
    };
    cfg
}

fn server_for(peer: Peer) -> ServerConfig {
    let mut s = match peer {
        Peer::Legacy => ServerConfig::legacy(),
        Peer::Modern => ServerConfig::modern(),
        Peer::Dual => ServerConfig::dual(),
        Peer::SilentProbe => ServerConfig::legacy().with_probe_reply(ProbeReply::Silent),
    };
    s.page_size = Some(5);
    s.ttl_ms = 30_000;
    s
}

/// Tracks every call and the events seen, checking the invariants as they
/// come.
#[derive(Debug, Default)]
struct Ledger {
    issued: Vec<CallId>,
    ended: BTreeMap<CallId, usize>,
    inputs: Vec<InputId>,
    closed: bool,
    events: usize,
    ready: bool,
    answered: usize,
}

impl Ledger {
    fn record(&mut self, events: &[Event]) {
        for e in events {
            assert!(!self.closed, "an event after Event::Closed: {e:?}");
            self.events += 1;
            match e {
                Event::Response { call, result } => {
                    self.answered += usize::from(result.is_ok());
                    assert!(
                        self.issued.contains(call),
                        "a response for a call never issued: {call}"
                    );
                    let n = self.ended.entry(*call).or_default();
                    *n += 1;
                    assert_eq!(*n, 1, "{call} ended twice");
                }
                Event::InputNeeded(n) => self.inputs.push(n.id),
                Event::InputWithdrawn { input, .. } => self.inputs.retain(|i| i != input),
                Event::Closed(_) => self.closed = true,
                Event::Ready(_) => self.ready = true,
                _ => {}
            }
        }
    }

    fn check_complete(&self) {
        assert!(self.closed, "the connection did not close");
        for call in &self.issued {
            assert_eq!(
                self.ended.get(call),
                Some(&1),
                "{call} did not end exactly once"
            );
        }
    }
}

/// Runs `ops` against a scripted peer from virtual time `start`, checking
/// the invariants after every step and at the end. Panics (with the reason)
/// if one breaks.
pub fn run_ops(start: Instant, peer: Peer, tolerance: Tolerance, ops: &[Op]) {
    let mut pair = Pair::new(fuzz_config(tolerance), server_for(peer), start);
    let mut ledger = Ledger::default();
    pair.drive();
    ledger.record(&pair.take_events());
    for op in ops {
        apply(&mut pair, &mut ledger, op);
        pair.drive();
        ledger.record(&pair.take_events());
        // handle_timeout is idempotent: a second call at the same instant
        // has nothing left to do.
        pair.client.handle_timeout(pair.now);
        let mut again = Vec::new();
        while let Some(out) = pair.client.poll_output() {
            if let Output::Event(e) = out {
                again.push(e);
            }
        }
        assert!(
            again.is_empty(),
            "a repeated handle_timeout produced {again:?}"
        );
    }
    // Let every deadline pass, then close: every call must have ended.
    pair.settle();
    ledger.record(&pair.take_events());
    pair.client.close(pair.now);
    pair.settle();
    ledger.record(&pair.take_events());
    ledger.check_complete();
    assert_eq!(pair.client.pending_calls(), 0);
    assert_eq!(pair.client.pending_inputs(), 0);
    assert!(pair.client.poll_timeout().is_none());
    assert!(pair.client.poll_output().is_none());
}

fn apply(pair: &mut Pair, ledger: &mut Ledger, op: &Op) {
    let now = pair.now;
    let issued = match op {
        Op::CallTool {
            tool,
            progress,
            timeout_ms,
        } => {
            let name = TOOLS[usize::from(*tool) % TOOLS.len()];
            let args = match name {
                "big" => json!({"n": 9000}),
                "slow" => json!({"steps": 3, "step_ms": 700}),
                "echo" => json!({"text": "fuzz"}),
                _ => json!({}),
            };
            let params = CallToolRequestParams::new(name).with_arguments(as_object(args));
            let opts = RequestOptions {
                progress: *progress,
                timeout: timeout_ms.map(|ms| Duration::from_millis(u64::from(ms))),
                ..RequestOptions::default()
            };
            pair.client.request::<CallTool>(now, &params, opts).ok()
        }
        Op::ListTools { first_page_only } => {
            let opts = RequestOptions {
                first_page_only: *first_page_only,
                ..RequestOptions::default()
            };
            pair.client
                .request::<ListTools>(now, &PaginatedRequestParams::default(), opts)
                .ok()
        }
        Op::Ping => pair.client.ping(now, RequestOptions::default()).ok(),
        Op::SetLogLevel => pair.client.set_log_level(now, LoggingLevel::Debug).ok(),
        Op::Subscribe(n) => pair.client.subscribe(now, subscription(*n)).ok(),
        Op::Unsubscribe(n) => pair.client.unsubscribe(now, subscription(*n)).ok(),
        Op::Cancel(n) => {
            if !ledger.issued.is_empty() {
                let call = ledger.issued[usize::from(*n) % ledger.issued.len()];
                pair.client.cancel(now, call, Some("fuzz".into()));
            }
            None
        }
        Op::Answer { input, how } => {
            if !ledger.inputs.is_empty() {
                let id = ledger.inputs[usize::from(*input) % ledger.inputs.len()];
                let answer = match how % 5 {
                    0 => InputAnswer::Elicit(ElicitResult::accept(as_object(
                        json!({"name": "fuzz"}),
                    ))),
                    1 => InputAnswer::Elicit(ElicitResult::decline()),
                    2 => InputAnswer::Refuse { reason: None },
                    3 => InputAnswer::Roots(ListRootsResult::new(Vec::new())),
                    _ => match serde_json::from_value(
                        json!({"role":"assistant","content":{"type":"text","text":"4"},"model":"m"}),
                    ) {
                        Ok(r) => InputAnswer::Sample(r),
                        Err(_) => InputAnswer::Refuse { reason: None },
                    },
                };
                // A mismatched kind is a usage error that must change nothing.
                if pair.client.provide_input(now, id, answer).is_ok() {
                    ledger.inputs.retain(|i| *i != id);
                }
            }
            None
        }
        Op::Inject(inject) => {
            let bytes = injected(pair, inject);
            pair.server.send_raw(now, bytes);
            None
        }
        Op::Advance(d) => {
            pair.advance(*d);
            None
        }
        Op::ServerExit => {
            pair.server.exit();
            None
        }
        Op::Close => {
            pair.client.close(now);
            None
        }
    };
    if let Some(call) = issued {
        ledger.issued.push(call);
    }
}

fn subscription(n: u8) -> Subscription {
    match n % 4 {
        0 => Subscription::ToolsListChanged,
        1 => Subscription::PromptsListChanged,
        2 => Subscription::ResourcesListChanged,
        _ => Subscription::Resource("file:///a.txt".into()),
    }
}

fn as_object(v: Value) -> JsonObject {
    match v {
        Value::Object(m) => m,
        _ => JsonObject::new(),
    }
}

/// The ids of the requests the client sent, newest last.
fn client_ids(pair: &Pair) -> Vec<Value> {
    pair.server
        .received()
        .iter()
        .filter(|m| m.get("method").is_some() && m.get("id").is_some())
        .map(|m| m["id"].clone())
        .collect()
}

fn nth_back(ids: &[Value], nth: u8) -> Value {
    if ids.is_empty() {
        return json!(1);
    }
    ids[ids.len() - 1 - usize::from(nth) % ids.len()].clone()
}

fn line(v: Value) -> Vec<u8> {
    let mut b = v.to_string().into_bytes();
    b.push(b'\n');
    b
}

fn injected(pair: &Pair, inject: &Inject) -> Vec<u8> {
    let ids = client_ids(pair);
    match inject {
        Inject::Result { nth, body } => {
            let id = nth_back(&ids, *nth);
            let result = match body % 8 {
                0 => json!({"content": [{"type": "text", "text": "injected"}]}),
                1 => json!({"resultType": "input_required", "requestState": "fz",
                    "inputRequests": {"k": {"method": "elicitation/create", "params": {"message": "?",
                    "requestedSchema": {"type": "object", "properties": {}}}}}}),
                2 => json!({"resultType": "input_required"}),
                3 => json!({"resultType": "mystery"}),
                4 => json!({"tools": [], "nextCursor": "again"}),
                5 => json!("not an object"),
                6 => json!({"supportedVersions": ["2026-07-28"], "capabilities": {}}),
                _ => {
                    json!({"protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": {"name": "x", "version": "1"}})
                }
            };
            line(json!({"jsonrpc": "2.0", "id": id, "result": result}))
        }
        Inject::Error { nth, code } => {
            let id = nth_back(&ids, *nth);
            let mut error = json!({"code": code, "message": "injected"});
            match code {
                -32022 => {
                    error["data"] = json!({"supported": ["2026-07-28"], "requested": "2026-07-28"})
                }
                -32042 => {
                    error["data"] = json!({"elicitations": [{"mode": "url", "elicitationId": "e", "url": "https://x.test", "message": "m"}]})
                }
                _ => {}
            }
            line(json!({"jsonrpc": "2.0", "id": id, "error": error}))
        }
        Inject::IdNullError => line(
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse"}}),
        ),
        Inject::UnknownId(id) => line(json!({"jsonrpc": "2.0", "id": id, "result": {}})),
        Inject::Notification(n) => {
            let token = pair
                .server
                .received()
                .iter()
                .rev()
                .find_map(|m| m.pointer("/params/_meta/progressToken").cloned())
                .unwrap_or(json!(1));
            let listen = pair
                .server
                .received()
                .iter()
                .rev()
                .find(|m| m["method"] == "subscriptions/listen")
                .map(|m| m["id"].clone())
                .unwrap_or(json!(1));
            let (method, params) = match n % 9 {
                0 => (
                    "notifications/progress",
                    json!({"progressToken": token, "progress": 1}),
                ),
                1 => (
                    "notifications/tools/list_changed",
                    json!({"_meta": {"io.modelcontextprotocol/subscriptionId": listen}}),
                ),
                2 => (
                    "notifications/resources/updated",
                    json!({"uri": "file:///a.txt"}),
                ),
                3 => (
                    "notifications/message",
                    json!({"level": "info", "data": "x"}),
                ),
                4 => ("notifications/cancelled", json!({"requestId": "s1"})),
                5 => ("notifications/cancelled", json!({"requestId": listen})),
                6 => (
                    "notifications/subscriptions/acknowledged",
                    json!({"_meta": {"io.modelcontextprotocol/subscriptionId": listen}, "notifications": {}}),
                ),
                7 => ("notifications/progress", json!({"progress": "bad"})),
                _ => ("vendor/unknown", json!({})),
            };
            line(json!({"jsonrpc": "2.0", "method": method, "params": params}))
        }
        Inject::Request(n) => {
            let (method, params) = match n % 6 {
                0 => ("ping", json!({})),
                1 => ("roots/list", json!({})),
                2 => (
                    "elicitation/create",
                    json!({"message": "?", "requestedSchema": {"type": "object", "properties": {}}}),
                ),
                3 => (
                    "sampling/createMessage",
                    json!({"messages": [], "maxTokens": 1}),
                ),
                4 => (
                    "elicitation/create",
                    json!({"mode": "url", "url": "https://x.test", "elicitationId": "e", "message": "m"}),
                ),
                _ => ("unknown/method", json!({})),
            };
            line(
                json!({"jsonrpc": "2.0", "id": format!("fz{n}"), "method": method, "params": params}),
            )
        }
        Inject::Garbage(bytes) => {
            let mut b: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'\n').collect();
            b.push(b'\n');
            b
        }
        Inject::Huge => {
            let id = nth_back(&ids, 0);
            let text = "h".repeat(FRAME_LIMIT);
            line(
                json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}]}}),
            )
        }
        Inject::Batch => {
            let a = nth_back(&ids, 0);
            let b = nth_back(&ids, 1);
            line(
                json!([{"jsonrpc": "2.0", "id": a, "result": {}}, {"jsonrpc": "2.0", "id": b, "error": {"code": -1, "message": "x"}}]),
            )
        }
        Inject::Broken { nth, how } => {
            let id = nth_back(&ids, *nth);
            let mut b = match how % 5 {
                0 => {
                    let mut b =
                        format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"t":""#).into_bytes();
                    b.extend_from_slice(b"\xff\xfe\"}}");
                    b
                }
                1 => {
                    format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"t\":\"a\u{0}b\"}}}}")
                        .into_bytes()
                }
                2 => {
                    format!(r#"{{"jsonrpc":"2.0","id":{id},"id":{id},"result":{{}}}}"#).into_bytes()
                }
                3 => format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}},"result":{{}}}}"#)
                    .into_bytes(),
                _ => format!(
                    r#"{{"jsonrpc":"2.0","id":{}{id},"result":{{}}}}"#,
                    "0".repeat(2000)
                )
                .into_bytes(),
            };
            b.push(b'\n');
            b
        }
        Inject::Flood { pings, count } => {
            let n = usize::from(*count) * 32;
            if *pings {
                (0..n)
                    .flat_map(|i| {
                        format!("{{\"jsonrpc\":\"2.0\",\"id\":\"p{i}\",\"method\":\"ping\"}}\n")
                            .into_bytes()
                    })
                    .collect()
            } else {
                b"not json\n".repeat(n)
            }
        }
    }
}

/// Reads bytes one at a time, yielding zeros once they run out.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn more(&self) -> bool {
        self.at < self.data.len()
    }

    /// The next `n` bytes, fewer at the end.
    fn take(&mut self, n: usize) -> &[u8] {
        let from = self.at.min(self.data.len());
        let to = from.saturating_add(n).min(self.data.len());
        self.at = to;
        &self.data[from..to]
    }
}

/// Decodes bytes into a peer, a tolerance and operations (the fuzz
/// target's input format; every byte string decodes to something).
pub fn decode_ops(data: &[u8]) -> (Peer, Tolerance, Vec<Op>) {
    let mut b = Bytes { data, at: 0 };
    let head = b.byte();
    let peer = match head % 4 {
        0 => Peer::Legacy,
        1 => Peer::Modern,
        2 => Peer::Dual,
        _ => Peer::SilentProbe,
    };
    let tolerance = if head & 0x80 != 0 {
        Tolerance::Strict
    } else {
        Tolerance::Lenient
    };
    let mut ops = Vec::new();
    // Bounded: a fuzz input of any length runs a bounded conversation.
    while b.more() && ops.len() < 64 {
        let op = match b.byte() % 14 {
            0 => Op::CallTool {
                tool: b.byte(),
                progress: b.byte() & 1 == 1,
                timeout_ms: match b.u16() {
                    0 => None,
                    ms => Some(ms),
                },
            },
            1 => Op::ListTools {
                first_page_only: b.byte() & 1 == 1,
            },
            2 => Op::Ping,
            3 => Op::SetLogLevel,
            4 => Op::Subscribe(b.byte()),
            5 => Op::Unsubscribe(b.byte()),
            6 => Op::Cancel(b.byte()),
            7 => Op::Answer {
                input: b.byte(),
                how: b.byte(),
            },
            8 => Op::Advance(Duration::from_millis(u64::from(b.u16()) * 8)),
            9 => Op::ServerExit,
            10 => Op::Close,
            _ => Op::Inject(match b.byte() % 11 {
                0 => Inject::Result {
                    nth: b.byte(),
                    body: b.byte(),
                },
                1 => Inject::Error {
                    nth: b.byte(),
                    code: match b.byte() % 6 {
                        0 => -32022,
                        1 => -32042,
                        2 => -32601,
                        3 => -32602,
                        4 => -32603,
                        _ => -32000,
                    },
                },
                2 => Inject::IdNullError,
                3 => Inject::UnknownId(i64::from(b.u16())),
                4 => Inject::Notification(b.byte()),
                5 => Inject::Request(b.byte()),
                6 => {
                    let n = usize::from(b.byte() % 32);
                    Inject::Garbage((0..n).map(|_| b.byte()).collect())
                }
                7 => Inject::Huge,
                8 => Inject::Batch,
                9 => Inject::Broken {
                    nth: b.byte(),
                    how: b.byte(),
                },
                _ => Inject::Flood {
                    pings: b.byte() & 1 == 1,
                    count: b.byte(),
                },
            }),
        };
        ops.push(op);
    }
    (peer, tolerance, ops)
}

/// Encodes a conversation in the byte format [`decode_ops`] reads, for
/// writing seed corpora. `decode_ops(&encode_ops(p, t, ops)) == (p, t, ops)`
/// for up to 64 operations with in-range values.
pub fn encode_ops(peer: Peer, tolerance: Tolerance, ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::new();
    let head = match peer {
        Peer::Legacy => 0,
        Peer::Modern => 1,
        Peer::Dual => 2,
        Peer::SilentProbe => 3,
    } | if tolerance == Tolerance::Strict {
        0x80
    } else {
        0
    };
    out.push(head);
    let u16le = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    for op in ops {
        match op {
            Op::CallTool {
                tool,
                progress,
                timeout_ms,
            } => {
                out.extend_from_slice(&[0, *tool, u8::from(*progress)]);
                u16le(&mut out, timeout_ms.unwrap_or(0));
            }
            Op::ListTools { first_page_only } => {
                out.extend_from_slice(&[1, u8::from(*first_page_only)])
            }
            Op::Ping => out.push(2),
            Op::SetLogLevel => out.push(3),
            Op::Subscribe(n) => out.extend_from_slice(&[4, *n]),
            Op::Unsubscribe(n) => out.extend_from_slice(&[5, *n]),
            Op::Cancel(n) => out.extend_from_slice(&[6, *n]),
            Op::Answer { input, how } => out.extend_from_slice(&[7, *input, *how]),
            Op::Advance(d) => {
                out.push(8);
                u16le(
                    &mut out,
                    u16::try_from(d.as_millis() / 8).unwrap_or(u16::MAX),
                );
            }
            Op::ServerExit => out.push(9),
            Op::Close => out.push(10),
            Op::Inject(i) => {
                out.push(11);
                match i {
                    Inject::Result { nth, body } => out.extend_from_slice(&[0, *nth, *body]),
                    Inject::Error { nth, code } => {
                        let k = match code {
                            -32022 => 0,
                            -32042 => 1,
                            -32601 => 2,
                            -32602 => 3,
                            -32603 => 4,
                            _ => 5,
                        };
                        out.extend_from_slice(&[1, *nth, k]);
                    }
                    Inject::IdNullError => out.push(2),
                    Inject::UnknownId(id) => {
                        out.push(3);
                        u16le(&mut out, u16::try_from(*id).unwrap_or(0));
                    }
                    Inject::Notification(n) => out.extend_from_slice(&[4, *n]),
                    Inject::Request(n) => out.extend_from_slice(&[5, *n]),
                    Inject::Garbage(bytes) => {
                        let n = bytes.len().min(31);
                        out.extend_from_slice(&[6, n as u8]);
                        out.extend_from_slice(&bytes[..n]);
                    }
                    Inject::Huge => out.push(7),
                    Inject::Batch => out.push(8),
                    Inject::Broken { nth, how } => out.extend_from_slice(&[9, *nth, *how]),
                    Inject::Flood { pings, count } => {
                        out.extend_from_slice(&[10, u8::from(*pings), *count])
                    }
                }
            }
        }
    }
    out
}

/// Fuzz target: a conversation of operations decoded from `data`, in
/// virtual time from `start` (any instant: only differences matter).
pub fn client_ops(start: Instant, data: &[u8]) {
    let (peer, tolerance, ops) = decode_ops(data);
    run_ops(start, peer, tolerance, &ops);
}

/// Fuzz target: `data` as everything a server writes, in chunks, to a client
/// that has a few calls pending, in virtual time from `start`. The first
/// byte picks the era preference, tolerance and chunk size.
pub fn jsonrpc_client(start: Instant, data: &[u8]) {
    let (head, rest) = data.split_first().unwrap_or((&0, &[]));
    let cfg = config_from(*head);
    let chunk = usize::from(head >> 3).max(1) * 7;
    let mut client = Client::new(cfg, start);
    let mut ledger = Ledger::default();
    let mut now = start;
    for _ in 0..3 {
        if let Ok(c) = client.request::<ListTools>(
            now,
            &PaginatedRequestParams::default(),
            RequestOptions::default(),
        ) {
            ledger.issued.push(c);
        }
    }
    let drain = |client: &mut Client, ledger: &mut Ledger| {
        let mut events = Vec::new();
        while let Some(out) = client.poll_output() {
            if let Output::Event(e) = out {
                events.push(e);
            }
        }
        ledger.record(&events);
    };
    drain(&mut client, &mut ledger);
    for piece in rest.chunks(chunk) {
        now += Duration::from_millis(250);
        // The queue limit may push back: drain and hand the bytes in again.
        for _ in 0..4 {
            match client.handle_bytes(now, piece) {
                Ok(()) => break,
                Err(_) => drain(&mut client, &mut ledger),
            }
        }
        drain(&mut client, &mut ledger);
        client.handle_timeout(now);
        drain(&mut client, &mut ledger);
    }
    client.handle_eof(now);
    drain(&mut client, &mut ledger);
    ledger.check_complete();
    assert_eq!(client.pending_calls(), 0);
    assert!(client.poll_timeout().is_none());
}

/// Fuzz target: the deframer fed `data` in chunks whose sizes come from the
/// data itself, against the same bytes fed at once.
pub fn deframer(data: &[u8]) {
    let (head, rest) = data.split_first().unwrap_or((&0, &[]));
    let max = usize::from(*head) * 4 + 1;
    let whole = {
        let mut d = LineDeframer::new(max);
        d.push(rest);
        let mut frames = Vec::new();
        while let Some(f) = d.next_frame() {
            frames.push(f);
        }
        frames.extend(d.finish());
        while let Some(f) = d.next_frame() {
            frames.push(f);
        }
        frames
    };
    let mut d = LineDeframer::new(max);
    let mut chunked = Vec::new();
    let mut at = 0;
    let mut sizes = rest.iter().cycle();
    while at < rest.len() {
        let n = (usize::from(*sizes.next().unwrap_or(&1)) % 17 + 1).min(rest.len() - at);
        d.push(&rest[at..at + n]);
        at += n;
        assert!(
            d.buffered_len() <= max + n + 1,
            "the deframer holds more than a frame and a chunk"
        );
        while let Some(f) = d.next_frame() {
            chunked.push(f);
        }
    }
    chunked.extend(d.finish());
    while let Some(f) = d.next_frame() {
        chunked.push(f);
    }
    assert_eq!(whole, chunked, "chunking changed the frames");
    for f in &whole {
        if let Frame::Line(l) = f {
            assert!(
                !l.is_empty() && l.len() <= max && !l.contains(&b'\n'),
                "bad frame {l:?}"
            );
        }
    }
}

/// The SSE parser on arbitrary bytes: it never panics, holds no more than an
/// event and a chunk, and chunking never changes the events. The first byte
/// picks the event size limit (4..=1024 bytes) and seeds the chunk sizes.
pub fn sse(data: &[u8]) {
    use crate::sse::SseParser;
    let (head, rest) = data.split_first().unwrap_or((&0, &[]));
    let max = usize::from(*head) * 4 + 4;
    let drain = |p: &mut SseParser, out: &mut Vec<_>| {
        while let Some(e) = p.next_event() {
            out.push(e);
        }
    };
    let mut whole_parser = SseParser::new(max);
    let mut whole = Vec::new();
    whole_parser.push(rest);
    drain(&mut whole_parser, &mut whole);

    let mut p = SseParser::new(max);
    let mut chunked = Vec::new();
    let mut at = 0;
    let mut sizes = rest.iter().cycle();
    while at < rest.len() {
        let n = (usize::from(*sizes.next().unwrap_or(&1)) % 13 + 1).min(rest.len() - at);
        p.push(&rest[at..at + n]);
        at += n;
        // An event's data, plus one line being read: at most a `data: `
        // prefix and the limit.
        assert!(
            p.buffered_len() <= 2 * max + 6,
            "the SSE parser holds more than an event and a line"
        );
        drain(&mut p, &mut chunked);
    }
    assert_eq!(whole, chunked, "chunking changed the events");
    assert_eq!(whole_parser.last_event_id(), p.last_event_id());
    assert_eq!(whole_parser.retry(), p.retry());
    for e in whole.iter().flatten() {
        assert!(e.data.len() <= max, "an event over the limit got through");
    }
    p.finish();
}

/// Statuses an MCP server over HTTP answers with, good and bad.
const STATUSES: [u16; 12] = [200, 200, 200, 202, 400, 404, 405, 409, 429, 500, 502, 503];

/// What a fuzzed response head says.
fn fuzz_head(b: &mut Bytes<'_>) -> crate::http::HttpHead {
    let pick = b.byte();
    let status = STATUSES[usize::from(pick) % STATUSES.len()];
    let mut headers = Vec::new();
    match b.byte() % 4 {
        0 => headers.push(("content-type".into(), "application/json".into())),
        1 => headers.push(("content-type".into(), "text/event-stream".into())),
        2 => headers.push(("content-type".into(), "text/plain; charset=utf-8".into())),
        _ => {}
    }
    let extra = b.byte();
    if extra & 1 == 1 {
        headers.push(("mcp-session-id".into(), format!("s{}", extra >> 4)));
    }
    if extra & 2 == 2 {
        headers.push(("retry-after".into(), format!("{}", extra >> 5)));
    }
    if extra & 4 == 4 {
        headers.push(("mcp-protocol-version".into(), "2025-11-25".into()));
    }
    crate::http::HttpHead { status, headers }
}

/// What an [`http_client`] run reached, for seeds that must reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpRun {
    /// The handshake completed.
    pub ready: bool,
    /// Calls answered with a result.
    pub answered: usize,
}

/// The client over HTTP, its open exchanges and the ledger of its events.
struct HttpHarness {
    client: Client,
    open: Vec<crate::http::HttpRequest>,
    ledger: Ledger,
    now: Instant,
}

impl HttpHarness {
    /// Takes the client's output: events into the ledger, exchanges opened
    /// and aborted.
    fn drain(&mut self) {
        let mut events = Vec::new();
        while let Some(out) = self.client.poll_output() {
            match out {
                Output::Event(e) => events.push(e),
                Output::Http(req) => self.open.push(req),
                Output::AbortHttp(id) => self.open.retain(|r| r.id != id),
                Output::Transmit(_) | Output::CloseTransport => {}
            }
        }
        self.ledger.record(&events);
    }

    /// Hands `event` in, draining and retrying while the queue pushes back;
    /// an exchange that ends is no longer open.
    fn feed(&mut self, id: crate::http::ExchangeId, event: crate::http::HttpEvent<'_>) {
        use crate::http::HttpEvent;
        let ends = matches!(event, HttpEvent::End | HttpEvent::Failed(_));
        for _ in 0..4 {
            match self.client.handle_http(self.now, id, event.clone()) {
                Ok(()) => break,
                Err(_) => self.drain(),
            }
        }
        if ends {
            self.open.retain(|r| r.id != id);
        }
        self.drain();
    }

    /// A well-formed answer to `req` from `server`: JSON when it is one
    /// message and `json` is asked for, an event stream otherwise, its body
    /// cut in two after `cut` bytes.
    fn answer(
        &mut self,
        server: &mut super::ScriptedServer,
        req: &crate::http::HttpRequest,
        json: bool,
        cut: usize,
    ) {
        use crate::http::{HttpEvent, HttpHead};
        let mut body = req.body.clone();
        body.push(b'\n');
        server.handle_bytes(self.now, &body);
        let mut lines = Vec::new();
        while let Some(l) = server.poll_output(self.now) {
            lines.push(l);
        }
        let (status, ctype, payload) = if lines.is_empty() {
            (202, "application/json", Vec::new())
        } else if json && lines.len() == 1 {
            (200, "application/json", lines.concat())
        } else {
            let mut sse = Vec::new();
            for l in &lines {
                sse.extend_from_slice(b"data: ");
                sse.extend_from_slice(l.strip_suffix(b"\n").unwrap_or(l));
                sse.extend_from_slice(b"\n\n");
            }
            (200, "text/event-stream", sse)
        };
        let headers = vec![("content-type".to_string(), ctype.to_string())];
        self.feed(req.id, HttpEvent::Head(HttpHead { status, headers }));
        let (a, rest) = payload.split_at(cut.min(payload.len()));
        for piece in [a, rest] {
            if !piece.is_empty() {
                self.feed(req.id, HttpEvent::Body(piece));
            }
        }
        self.feed(req.id, HttpEvent::End);
    }
}

/// Fuzz target: a client over HTTP whose exchanges are answered as `data`
/// says, in virtual time from `start`. Each step either starts a call,
/// moves the clock, or acts on one open exchange: a well-formed answer
/// from the scripted server (JSON or an event stream), or any head, body
/// bytes, end or failure, in any order. The first byte picks tolerance,
/// era preference, the standalone stream and the scripted server's era.
/// Then the client is closed and every exchange left fails, and the usual
/// invariants must hold.
pub fn http_client(start: Instant, data: &[u8]) -> HttpRun {
    use crate::http::{HttpEvent, HttpFailure, HttpFailureKind, HttpOptions, RetryPolicy};

    let mut b = Bytes { data, at: 0 };
    let head = b.byte();
    let mut opts = HttpOptions::new("http://127.0.0.1:9/mcp");
    opts.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    opts.max_reconnects = 2;
    opts.max_session_restarts = 1;
    opts.standalone_stream = head & 8 == 8;
    let client = Client::new_http(config_from(head), opts, start).expect("a valid URL");
    let server_config = if head & 16 == 16 {
        ServerConfig::modern()
    } else {
        ServerConfig::legacy()
    };
    let mut server = super::ScriptedServer::new(server_config, start);
    let mut h = HttpHarness {
        client,
        open: Vec::new(),
        ledger: Ledger::default(),
        now: start,
    };
    h.drain();
    for _ in 0..256 {
        if !b.more() {
            break;
        }
        match b.byte() % 8 {
            0 => {
                let call = h.client.request::<ListTools>(
                    h.now,
                    &PaginatedRequestParams::default(),
                    RequestOptions::default(),
                );
                if let Ok(c) = call {
                    h.ledger.issued.push(c);
                }
                h.drain();
            }
            1 => {
                h.now += Duration::from_millis(u64::from(b.byte()) * 40);
                h.client.handle_timeout(h.now);
                h.drain();
            }
            kind if !h.open.is_empty() => {
                let req = h.open[usize::from(b.byte()) % h.open.len()].clone();
                match kind {
                    2 | 3 => {
                        let cut = usize::from(b.byte()) * 8;
                        h.answer(&mut server, &req, kind == 2, cut);
                    }
                    4 => {
                        let head = fuzz_head(&mut b);
                        h.feed(req.id, HttpEvent::Head(head));
                    }
                    5 => {
                        let n = usize::from(b.byte()) * 4;
                        let piece = b.take(n).to_vec();
                        h.feed(req.id, HttpEvent::Body(&piece));
                    }
                    6 => h.feed(req.id, HttpEvent::End),
                    _ => {
                        let kinds = [
                            HttpFailureKind::Connect,
                            HttpFailureKind::Tls,
                            HttpFailureKind::Io,
                            HttpFailureKind::TimedOut,
                            HttpFailureKind::Other,
                        ];
                        let k = kinds[usize::from(b.byte()) % kinds.len()];
                        h.feed(req.id, HttpEvent::Failed(HttpFailure::new(k, "fuzzed")));
                    }
                }
            }
            _ => {}
        }
    }

    // The end: close, and fail whatever the client still waits on (its
    // DELETE included) until it has closed; each round moves the clock.
    h.client.close(h.now);
    h.drain();
    for _ in 0..64 {
        if h.ledger.closed && h.open.is_empty() && h.client.poll_timeout().is_none() {
            break;
        }
        for req in h.open.clone() {
            let gone = HttpFailure::new(HttpFailureKind::Connect, "gone");
            h.feed(req.id, HttpEvent::Failed(gone));
        }
        h.now += Duration::from_secs(1);
        h.client.handle_timeout(h.now);
        h.drain();
    }
    h.ledger.check_complete();
    assert_eq!(h.client.pending_calls(), 0);
    assert!(
        h.open.is_empty(),
        "exchanges left open after close: {:?}",
        h.open
    );
    assert!(h.client.poll_timeout().is_none());
    HttpRun {
        ready: h.ledger.ready,
        answered: h.ledger.answered,
    }
}
