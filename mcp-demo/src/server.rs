//! A scripted MCP server for tests: speaks the legacy era, the modern era or
//! both, over newline-delimited JSON, on a virtual clock.
//!
//! Its tools exercise every client path:
//!
//! | tool | behaviour |
//! | --- | --- |
//! | `echo {text}` | text content `text` |
//! | `add {a, b}` | text content of the sum |
//! | `fail` | a tool error (`isError: true`) |
//! | `boom` | a JSON-RPC error -32603 |
//! | `slow {steps, step_ms}` | a progress notification per step (if asked), then the result |
//! | `never` | never answers |
//! | `big {n}` | text content of `n` bytes |
//! | `ask_name` | elicits a name (legacy: `elicitation/create` request; modern: `input_required`) |
//! | `sample` | asks for a sampling result the same way |
//! | `roots` | asks for the roots the same way |
//! | `two_rounds` | modern: two `input_required` rounds |
//! | `state_only` | modern: `input_required` with only `requestState` |
//! | `touch {uri}` | sends `resources/updated` and `tools/list_changed` to subscribers |
//! | `log {level, text}` | sends a log message (if the level allows) |
//!
//! plus paginated `tools/list`, resources (`resources/list`, `read`,
//! `templates/list`, legacy `subscribe`), prompts, completion, logging,
//! `ping`, and modern `subscriptions/listen`. Tests can also make it send any
//! bytes at any time ([`ScriptedServer::send_raw`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Which era(s) the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerEra {
    /// `initialize` only; `server/discover` is answered per [`ProbeReply`].
    Legacy,
    /// Per-request `_meta` only; `initialize` is rejected with the supported
    /// versions named.
    Modern,
    /// Both: `server/discover` and `initialize` are answered.
    Dual,
}

/// How a legacy server reacts to the `server/discover` probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeReply {
    /// -32601 method not found (the common case).
    MethodNotFound,
    /// -32602 invalid params.
    InvalidParams,
    /// -32603 internal error.
    InternalError,
    /// -32600 with a `null` id (could not tie it to a request).
    IdNullError,
    /// A pre-release modern code (-32004), which is not a modern error now.
    PreReleaseCode,
    /// `{}`: a result that is not a `DiscoverResult`.
    EmptyResult,
    /// No answer at all.
    Silent,
    /// Answer `MethodNotFound`, but only after this long.
    Slow(Duration),
    /// Close its output (exit) on the probe.
    Exit,
}

/// What the scripted server does.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Era(s) spoken.
    pub era: ServerEra,
    /// Legacy versions accepted by `initialize` (the newest is offered back
    /// when the client's is not among them).
    pub legacy_versions: Vec<String>,
    /// Modern versions accepted (and listed in `server/discover`).
    pub modern_versions: Vec<String>,
    /// How a legacy-only server answers the probe.
    pub probe_reply: ProbeReply,
    /// Delay before a modern server answers `server/discover`.
    pub discover_delay: Duration,
    /// Server capabilities.
    pub capabilities: Value,
    /// Items per page of `tools/list` (`None`: one page).
    pub page_size: Option<usize>,
    /// `ttlMs` on modern cacheable results.
    pub ttl_ms: u64,
    /// A non-JSON line printed first (a banner).
    pub banner: Option<String>,
    /// Modern: answer the first non-discover request with
    /// `UnsupportedProtocolVersion` even if its version is supported.
    pub reject_first_request_version: bool,
    /// Add `serverInfo` to modern results' `_meta`.
    pub server_info_meta: bool,
    /// `serverInfo.name` (default "scripted", which the tests' snapshots name).
    pub server_name: String,
    /// `serverInfo.version`.
    pub server_version: String,
    /// The usage instructions sent with `initialize` and `server/discover`.
    pub instructions: String,
    /// Keep every message received, for [`ScriptedServer::received`]
    /// (tests); off for a long-running server, whose memory it would grow.
    pub record: bool,
    /// Nothing is written before this long after start (a slow launcher);
    /// what was due earlier comes out then, in order.
    pub startup_delay: Duration,
}

impl ServerConfig {
    fn base(era: ServerEra) -> ServerConfig {
        ServerConfig {
            era,
            legacy_versions: ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
                .map(String::from)
                .to_vec(),
            modern_versions: vec!["2026-07-28".into()],
            probe_reply: ProbeReply::MethodNotFound,
            discover_delay: Duration::ZERO,
            capabilities: json!({
                "tools": {"listChanged": true},
                "resources": {"subscribe": true, "listChanged": true},
                "prompts": {"listChanged": true},
                "completions": {},
                "logging": {}
            }),
            page_size: None,
            ttl_ms: 0,
            banner: None,
            reject_first_request_version: false,
            server_info_meta: true,
            server_name: "scripted".into(),
            server_version: "1.0.0".into(),
            instructions: "A scripted test server.".into(),
            record: true,
            startup_delay: Duration::ZERO,
        }
    }

    /// The bundled demo: both eras, named `mcp-demo`, list results cacheable
    /// for a minute.
    pub fn demo() -> ServerConfig {
        let mut s = ServerConfig::base(ServerEra::Dual);
        s.server_name = "mcp-demo".into();
        s.server_version = env!("CARGO_PKG_VERSION").into();
        s.ttl_ms = 60_000;
        s.record = false;
        s.instructions = "The bundled demo of the mcp command. Every tool, resource and prompt shows one MCP feature; `mcp demo` walks through them all.".into();
        s
    }

    /// A legacy server (all four legacy revisions).
    pub fn legacy() -> ServerConfig {
        ServerConfig::base(ServerEra::Legacy)
    }

    /// A modern (2026-07-28) server.
    pub fn modern() -> ServerConfig {
        ServerConfig::base(ServerEra::Modern)
    }

    /// A dual-era server.
    pub fn dual() -> ServerConfig {
        ServerConfig::base(ServerEra::Dual)
    }

    /// Only these legacy versions.
    pub fn with_legacy_versions(mut self, versions: &[&str]) -> ServerConfig {
        self.legacy_versions = versions.iter().map(|s| s.to_string()).collect();
        self
    }

    /// This probe behaviour.
    pub fn with_probe_reply(mut self, reply: ProbeReply) -> ServerConfig {
        self.probe_reply = reply;
        self
    }
}

/// A request the server sent the client and waits on (legacy).
#[derive(Debug, Clone)]
struct Asked {
    call_id: Value,
    tool: String,
}

/// The scripted server. Feed it the client's bytes, take its output.
#[derive(Debug)]
pub struct ScriptedServer {
    cfg: ServerConfig,
    buf: Vec<u8>,
    scheduled: Vec<(Instant, u64, Vec<u8>, Option<Value>)>,
    seq: u64,
    received: Vec<Value>,
    cancelled: Vec<Value>,
    legacy_version: Option<String>,
    log_level: Option<String>,
    subscribed: BTreeSet<String>,
    listens: BTreeMap<String, (Value, Value)>,
    asked: BTreeMap<String, Asked>,
    next_ask: u64,
    output_closed: bool,
    input_closed: bool,
    rejected_once: bool,
    clock_next: Option<Instant>,
    clock_ticks: u64,
    now: Instant,
    started: Instant,
}

impl ScriptedServer {
    /// A server started at `now`.
    pub fn new(cfg: ServerConfig, now: Instant) -> ScriptedServer {
        let mut s = ScriptedServer {
            cfg,
            buf: Vec::new(),
            scheduled: Vec::new(),
            seq: 0,
            received: Vec::new(),
            cancelled: Vec::new(),
            legacy_version: None,
            log_level: None,
            subscribed: BTreeSet::new(),
            listens: BTreeMap::new(),
            asked: BTreeMap::new(),
            next_ask: 1,
            output_closed: false,
            input_closed: false,
            rejected_once: false,
            clock_next: None,
            clock_ticks: 0,
            now,
            started: now,
        };
        if let Some(b) = s.cfg.banner.clone() {
            s.send_raw(now, format!("{b}\n").into_bytes());
        }
        s
    }

    /// Every message the client sent, in order (kept only with
    /// `ServerConfig::record`, the default for tests).
    pub fn received(&self) -> &[Value] {
        &self.received
    }

    /// The `requestId`s of every `notifications/cancelled` received.
    pub fn cancelled(&self) -> &[Value] {
        &self.cancelled
    }

    /// Whether the client closed the server's input.
    pub fn input_closed(&self) -> bool {
        self.input_closed
    }

    /// Whether the server closed its output (exited).
    pub fn output_closed(&self) -> bool {
        self.output_closed
    }

    /// The legacy version negotiated by `initialize`, if any.
    pub fn legacy_version(&self) -> Option<&str> {
        self.legacy_version.as_deref()
    }

    /// Queues raw bytes to send at `at`.
    pub fn send_raw(&mut self, at: Instant, bytes: Vec<u8>) {
        self.schedule(at, bytes, None);
    }

    /// Queues a JSON message (one line) to send at `at`.
    pub fn send_json(&mut self, at: Instant, msg: Value) {
        self.schedule(at, line(&msg), None);
    }

    /// Closes the server's output after what is already queued (exit).
    pub fn exit(&mut self) {
        self.output_closed = true;
    }

    /// Bytes from the client.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        self.now = now.max(self.now);
        self.buf.extend_from_slice(bytes);
        while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let Ok(msg) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if self.cfg.record {
                self.received.push(msg.clone());
            }
            self.on_message(msg);
        }
    }

    /// The client closed the server's input: a well-behaved server exits.
    pub fn handle_eof(&mut self, now: Instant) {
        self.now = now.max(self.now);
        self.input_closed = true;
        self.output_closed = true;
    }

    /// The next output due at or before `now`. After `exit`, only what was
    /// queued before it (and due) comes out.
    pub fn poll_output(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.now = now.max(self.now);
        self.tick_clock(now);
        let idx = self
            .scheduled
            .iter()
            .enumerate()
            .filter(|(_, (at, ..))| *at <= now)
            .min_by_key(|(_, (at, seq, ..))| (*at, *seq))
            .map(|(i, _)| i)?;
        Some(self.scheduled.remove(idx).2)
    }

    /// When the next queued output is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.scheduled
            .iter()
            .map(|(at, ..)| *at)
            .chain(self.clock_next)
            .min()
    }

    /// Starts the clock if anyone listens to it and it is not running.
    fn start_clock(&mut self) {
        if self.clock_next.is_none() && self.clock_listeners() > 0 {
            self.clock_next = Some(self.now + Duration::from_secs(1));
        }
    }

    fn clock_listeners(&self) -> usize {
        let modern = self
            .listens
            .values()
            .filter(|(_, f)| {
                f.get("resourceSubscriptions")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|u| u == CLOCK))
            })
            .count();
        usize::from(self.subscribed.contains(CLOCK)) + modern
    }

    /// Sends a `resources/updated` for the clock to every subscriber each
    /// second that has passed, and stops when nobody listens.
    fn tick_clock(&mut self, now: Instant) {
        while let Some(at) = self.clock_next.filter(|at| *at <= now) {
            if self.output_closed || self.clock_listeners() == 0 {
                self.clock_next = None;
                return;
            }
            self.clock_ticks += 1;
            let saved = std::mem::replace(&mut self.now, at);
            if self.subscribed.contains(CLOCK) {
                self.notify("notifications/resources/updated", json!({"uri": CLOCK}));
            }
            let ids: Vec<Value> = self
                .listens
                .values()
                .filter(|(_, f)| {
                    f.get("resourceSubscriptions")
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.iter().any(|u| u == CLOCK))
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in ids {
                self.notify(
                    "notifications/resources/updated",
                    json!({"_meta": {"io.modelcontextprotocol/subscriptionId": id}, "uri": CLOCK}),
                );
            }
            self.now = saved.max(at);
            self.clock_next = Some(at + Duration::from_secs(1));
        }
    }

    /// Whether everything queued has been taken and the output is closed.
    pub fn is_done(&self) -> bool {
        self.output_closed && self.scheduled.is_empty()
    }

    fn schedule(&mut self, at: Instant, bytes: Vec<u8>, for_request: Option<Value>) {
        if self.output_closed {
            return;
        }
        let at = at.max(self.started + self.cfg.startup_delay);
        self.seq += 1;
        self.scheduled.push((at, self.seq, bytes, for_request));
    }

    fn reply(&mut self, id: &Value, result: Value) {
        let msg = json!({"jsonrpc": "2.0", "id": id, "result": result});
        self.schedule(self.now, line(&msg), Some(id.clone()));
    }

    fn reply_at(&mut self, at: Instant, id: &Value, result: Value) {
        let msg = json!({"jsonrpc": "2.0", "id": id, "result": result});
        self.schedule(at, line(&msg), Some(id.clone()));
    }

    fn error(&mut self, id: &Value, code: i64, message: &str, data: Option<Value>) {
        let mut err = json!({"code": code, "message": message});
        if let Some(d) = data {
            err["data"] = d;
        }
        let msg = json!({"jsonrpc": "2.0", "id": id, "error": err});
        self.schedule(self.now, line(&msg), Some(id.clone()));
    }

    fn notify(&mut self, method: &str, params: Value) {
        let msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.schedule(self.now, line(&msg), None);
    }

    fn on_message(&mut self, msg: Value) {
        let method = msg.get("method").and_then(Value::as_str).map(str::to_owned);
        let id = msg.get("id").cloned();
        let params = msg.get("params").cloned().unwrap_or_else(|| json!({}));
        match (method, id) {
            (Some(m), Some(id)) => self.on_request(id, &m, params),
            (Some(m), None) => self.on_notification(&m, params),
            (None, Some(id)) => self.on_client_response(id, msg),
            (None, None) => {}
        }
    }

    fn on_notification(&mut self, method: &str, params: Value) {
        if method == "notifications/cancelled" {
            let rid = params.get("requestId").cloned().unwrap_or(Value::Null);
            self.cancelled.push(rid.clone());
            // A cancelled request gets no answer; a cancelled listen ends.
            self.scheduled.retain(|(.., r)| r.as_ref() != Some(&rid));
            self.listens.remove(&rid.to_string());
        }
    }

    fn meta_version(params: &Value) -> Option<String> {
        params
            .get("_meta")
            .and_then(|m| m.get("io.modelcontextprotocol/protocolVersion"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn speaks_modern(&self) -> bool {
        self.cfg.era != ServerEra::Legacy
    }

    fn on_request(&mut self, id: Value, method: &str, params: Value) {
        match method {
            "server/discover" => return self.on_discover(id, &params),
            "initialize" => return self.on_initialize(id, &params),
            _ => {}
        }
        let modern = Self::meta_version(&params).is_some()
            && self.speaks_modern()
            && self.legacy_version.is_none();
        if modern {
            let v = Self::meta_version(&params).unwrap_or_default();
            if !self.cfg.modern_versions.contains(&v)
                || (self.cfg.reject_first_request_version && !self.rejected_once)
            {
                self.rejected_once = true;
                let data = json!({"supported": self.cfg.modern_versions, "requested": v});
                return self.error(&id, -32022, "Unsupported protocol version", Some(data));
            }
            if params
                .pointer("/_meta/io.modelcontextprotocol~1clientCapabilities")
                .is_none()
            {
                return self.error(&id, -32602, "missing clientCapabilities in _meta", None);
            }
        } else if self.cfg.era == ServerEra::Modern {
            return self.error(
                &id,
                -32602,
                "missing io.modelcontextprotocol/protocolVersion in _meta",
                None,
            );
        } else if self.legacy_version.is_none() && method != "ping" {
            return self.error(&id, -32600, "server not initialized", None);
        }
        self.serve(id, method, params, modern);
    }

    fn on_discover(&mut self, id: Value, params: &Value) {
        if !self.speaks_modern() {
            return match self.cfg.probe_reply.clone() {
                ProbeReply::MethodNotFound => {
                    self.error(&id, -32601, "Method not found: server/discover", None)
                }
                ProbeReply::InvalidParams => self.error(&id, -32602, "Invalid params", None),
                ProbeReply::InternalError => self.error(&id, -32603, "Internal error", None),
                ProbeReply::IdNullError => self.error(
                    &Value::Null,
                    -32600,
                    "Invalid request: not initialized",
                    None,
                ),
                ProbeReply::PreReleaseCode => {
                    self.error(&id, -32004, "unsupported protocol version", None)
                }
                ProbeReply::EmptyResult => self.reply(&id, json!({})),
                ProbeReply::Silent => {}
                ProbeReply::Slow(d) => {
                    let msg = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}});
                    self.schedule(self.now + d, line(&msg), Some(id));
                }
                ProbeReply::Exit => self.output_closed = true,
            };
        }
        let v = Self::meta_version(params).unwrap_or_default();
        if !self.cfg.modern_versions.contains(&v)
            || (self.cfg.reject_first_request_version && !self.rejected_once)
        {
            self.rejected_once = true;
            let data = json!({"supported": self.cfg.modern_versions, "requested": v});
            return self.error(&id, -32022, "Unsupported protocol version", Some(data));
        }
        let mut result = json!({
            "resultType": "complete",
            "supportedVersions": self.cfg.modern_versions,
            "capabilities": self.cfg.capabilities,
            "instructions": self.cfg.instructions,
            "ttlMs": self.cfg.ttl_ms,
            "cacheScope": "public"
        });
        if self.cfg.era == ServerEra::Dual {
            let mut all = self.cfg.modern_versions.clone();
            all.extend(self.cfg.legacy_versions.iter().cloned());
            result["supportedVersions"] = json!(all);
        }
        self.add_server_info(&mut result);
        let at = self.now + self.cfg.discover_delay;
        self.reply_at(at, &id, result);
    }

    fn on_initialize(&mut self, id: Value, params: &Value) {
        if self.cfg.era == ServerEra::Modern {
            let msg = format!(
                "initialize is not supported; this server speaks {}",
                self.cfg.modern_versions.join(", ")
            );
            return self.error(
                &id,
                -32601,
                &msg,
                Some(json!({"supported": self.cfg.modern_versions})),
            );
        }
        let asked = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let chosen = if self.cfg.legacy_versions.contains(&asked) {
            asked
        } else {
            self.cfg
                .legacy_versions
                .iter()
                .max()
                .cloned()
                .unwrap_or_default()
        };
        self.legacy_version = Some(chosen.clone());
        self.reply(
            &id,
            json!({
                "protocolVersion": chosen,
                "capabilities": self.cfg.capabilities,
                "serverInfo": {"name": self.cfg.server_name, "version": self.cfg.server_version},
                "instructions": self.cfg.instructions
            }),
        );
    }

    fn add_server_info(&self, result: &mut Value) {
        if self.cfg.server_info_meta {
            result["_meta"] = json!({"io.modelcontextprotocol/serverInfo": {"name": self.cfg.server_name, "version": self.cfg.server_version}});
        }
    }

    fn complete(&self, modern: bool, mut result: Value) -> Value {
        if modern {
            result["resultType"] = json!("complete");
            self.add_server_info(&mut result);
        }
        result
    }

    fn cacheable(&self, modern: bool, mut result: Value) -> Value {
        if modern {
            result["ttlMs"] = json!(self.cfg.ttl_ms);
            result["cacheScope"] = json!("public");
        }
        self.complete(modern, result)
    }

    fn tools() -> Vec<Value> {
        let obj = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
        let none = || json!({"type": "object", "properties": {}});
        let text = |d: &str| json!({"type": "string", "description": d});
        let int = |d: &str| json!({"type": "integer", "description": d});
        let read_only = json!({"readOnlyHint": true, "openWorldHint": false});
        vec![
            json!({"name": "echo", "title": "Echo", "description": "Returns the text it is given.",
                "inputSchema": obj(json!({"text": text("What to echo back")}), &["text"]), "annotations": read_only}),
            json!({"name": "add", "title": "Add", "description": "Adds two numbers.",
                "inputSchema": obj(json!({"a": {"type": "number", "description": "First addend"}, "b": {"type": "number", "description": "Second addend"}}), &["a", "b"]), "annotations": read_only}),
            json!({"name": "fail", "title": "Fail", "description": "Always reports a tool error (isError).", "inputSchema": none()}),
            json!({"name": "boom", "title": "Boom", "description": "Answers with a JSON-RPC error.", "inputSchema": none()}),
            json!({"name": "slow", "title": "Slow task", "description": "Works in steps, reporting progress after each.",
                "inputSchema": obj(json!({"steps": int("How many steps (default 3)"), "step_ms": int("Milliseconds per step (default 100)")}), &[])}),
            json!({"name": "never", "title": "Never", "description": "Never answers (for timeouts).", "inputSchema": none()}),
            json!({"name": "big", "title": "Big", "description": "Returns a text of n bytes.",
                "inputSchema": obj(json!({"n": int("Bytes of text")}), &["n"])}),
            json!({"name": "ask_name", "title": "Ask name", "description": "Asks the user for their name (elicitation), then greets them.", "inputSchema": none()}),
            json!({"name": "sample", "title": "Sample", "description": "Asks the client's model a question (sampling).", "inputSchema": none()}),
            json!({"name": "roots", "title": "Roots", "description": "Asks the client for its roots.", "inputSchema": none()}),
            json!({"name": "two_rounds", "title": "Two rounds", "description": "Asks for input twice (2026-07-28 only; elicitation then sampling).", "inputSchema": none()}),
            json!({"name": "state_only", "title": "State only", "description": "Asks to be called again with its state (2026-07-28 only).", "inputSchema": none()}),
            json!({"name": "touch", "title": "Touch", "description": "Changes a resource and the tool list, notifying subscribers.",
                "inputSchema": obj(json!({"uri": text("Resource to change (default file:///a.txt)")}), &[])}),
            json!({"name": "log", "title": "Log", "description": "Sends a log message at a level, if the client's level allows it.",
                "inputSchema": obj(json!({"level": {"type": "string", "enum": LEVELS, "description": "Log level (default info)"}, "text": text("The message")}), &["text"])}),
            json!({"name": "weather", "title": "Weather", "description": "Made-up weather for a city, as structured output.",
                "inputSchema": obj(json!({"city": text("City name")}), &["city"]),
                "outputSchema": obj(json!({"city": {"type": "string"}, "temperature_c": {"type": "number"}, "conditions": {"type": "string"}}), &["city", "temperature_c", "conditions"]),
                "annotations": read_only}),
        ]
    }

    fn serve(&mut self, id: Value, method: &str, params: Value, modern: bool) {
        match method {
            "ping" => self.reply(&id, json!({})),
            "tools/list" => {
                let all = Self::tools();
                let start: usize = params
                    .get("cursor")
                    .and_then(Value::as_str)
                    .and_then(|c| c.strip_prefix('c'))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let size = self.cfg.page_size.unwrap_or(all.len());
                let page: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
                let mut result = json!({"tools": page});
                if start + size < all.len() {
                    result["nextCursor"] = json!(format!("c{}", start + size));
                }
                let result = self.cacheable(modern, result);
                self.reply(&id, result);
            }
            "tools/call" => self.call_tool(id, params, modern),
            "resources/list" => {
                let r = self.cacheable(modern, json!({"resources": [
                    {"uri": "file:///a.txt", "name": "a.txt", "title": "A text file", "mimeType": "text/plain"},
                    {"uri": "file:///b.bin", "name": "b.bin", "title": "A tiny PNG image", "mimeType": "image/png", "size": TINY_PNG_LEN},
                    {"uri": CLOCK, "name": "clock", "title": "A clock", "description": "Changes every second; subscribe to hear it.", "mimeType": "text/plain"}
                ]}));
                self.reply(&id, r);
            }
            "resources/templates/list" => {
                let r = self.cacheable(
                    modern,
                    json!({"resourceTemplates": [
                        {"uriTemplate": "file:///{name}", "name": "files", "title": "Any file"},
                        {"uriTemplate": "demo://notes/{name}", "name": "notes", "title": "Notes by name", "mimeType": "text/plain"}
                    ]}),
                );
                self.reply(&id, r);
            }
            "resources/read" => {
                let uri = params
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if uri == "file:///missing" {
                    let code = if modern { -32602 } else { -32002 };
                    return self.error(&id, code, "Resource not found", Some(json!({"uri": uri})));
                }
                let contents = match uri.as_str() {
                    "file:///b.bin" => {
                        json!({"uri": uri, "mimeType": "image/png", "blob": TINY_PNG_BASE64})
                    }
                    CLOCK => {
                        json!({"uri": uri, "mimeType": "text/plain", "text": format!("tick {}", self.clock_ticks)})
                    }
                    _ => match uri.strip_prefix("demo://notes/") {
                        Some(name) => {
                            json!({"uri": uri, "mimeType": "text/plain", "text": format!("Note {name:?}: remember the milk.")})
                        }
                        None => {
                            json!({"uri": uri, "mimeType": "text/plain", "text": format!("contents of {uri}")})
                        }
                    },
                };
                let r = self.cacheable(modern, json!({"contents": [contents]}));
                self.reply(&id, r);
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                let uri = params
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if method == "resources/subscribe" {
                    self.subscribed.insert(uri);
                    self.start_clock();
                } else {
                    self.subscribed.remove(&uri);
                }
                self.reply(&id, json!({}));
            }
            "prompts/list" => {
                let r = self.cacheable(modern, json!({"prompts": [{"name": "greet", "title": "Greeting", "description": "Greets someone, formally or not.",
                    "arguments": [{"name": "who", "description": "Whom to greet", "required": true},
                                  {"name": "style", "description": "formal or casual (default casual)", "required": false}]}]}));
                self.reply(&id, r);
            }
            "prompts/get" => {
                let who = params
                    .pointer("/arguments/who")
                    .and_then(Value::as_str)
                    .unwrap_or("world")
                    .to_owned();
                let text = match params.pointer("/arguments/style").and_then(Value::as_str) {
                    Some("formal") => format!("Good day to you, {who}."),
                    _ => format!("Hello, {who}!"),
                };
                let r = self.complete(modern, json!({"description": "A greeting", "messages": [{"role": "user", "content": {"type": "text", "text": text}}]}));
                self.reply(&id, r);
            }
            "completion/complete" => {
                let prefix = params
                    .pointer("/argument/value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase();
                let candidates: &[&str] = match (
                    params
                        .pointer("/ref/name")
                        .or_else(|| params.pointer("/ref/uri"))
                        .and_then(Value::as_str),
                    params.pointer("/argument/name").and_then(Value::as_str),
                ) {
                    (Some("greet"), Some("who")) => {
                        &["Ada", "Alan", "Barbara", "Grace", "Linus", "Margaret"]
                    }
                    (Some("greet"), Some("style")) => &["casual", "formal"],
                    (Some("demo://notes/{name}"), Some("name")) => {
                        &["groceries", "ideas", "journal"]
                    }
                    _ => &["alpha", "beta"],
                };
                let values: Vec<&str> = candidates
                    .iter()
                    .copied()
                    .filter(|c| c.to_lowercase().starts_with(&prefix))
                    .collect();
                let r = self.complete(modern, json!({"completion": {"values": values, "total": values.len(), "hasMore": false}}));
                self.reply(&id, r);
            }
            "logging/setLevel" => {
                self.log_level = params
                    .get("level")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.reply(&id, json!({}));
            }
            "subscriptions/listen" if modern => {
                let filter = params
                    .get("notifications")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                // Honour everything except prompt notifications, to test
                // partial acknowledgements.
                let mut acked = filter.clone();
                if let Some(o) = acked.as_object_mut() {
                    o.remove("promptsListChanged");
                }
                self.listens
                    .insert(id.to_string(), (id.clone(), acked.clone()));
                self.start_clock();
                self.notify(
                    "notifications/subscriptions/acknowledged",
                    json!({
                        "_meta": {"io.modelcontextprotocol/subscriptionId": id},
                        "notifications": acked
                    }),
                );
            }
            _ => self.error(&id, -32601, &format!("Method not found: {method}"), None),
        }
    }

    fn call_tool(&mut self, id: Value, params: Value, modern: bool) {
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let args = params
            .get("arguments")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let token = params.pointer("/_meta/progressToken").cloned();
        let text = |s: String| json!({"content": [{"type": "text", "text": s}]});
        match name.as_str() {
            "echo" => {
                let t = args
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let r = self.complete(modern, text(t));
                self.reply(&id, r);
            }
            "add" => {
                let a = args.get("a").and_then(Value::as_f64).unwrap_or(0.0);
                let b = args.get("b").and_then(Value::as_f64).unwrap_or(0.0);
                let r = self.complete(modern, text(format!("{}", a + b)));
                self.reply(&id, r);
            }
            "fail" => {
                let mut r = text("the tool failed".into());
                r["isError"] = json!(true);
                let r = self.complete(modern, r);
                self.reply(&id, r);
            }
            "boom" => self.error(&id, -32603, "boom", None),
            "never" => {}
            "big" => {
                let n = args.get("n").and_then(Value::as_u64).unwrap_or(0) as usize;
                let r = self.complete(modern, text("x".repeat(n)));
                self.reply(&id, r);
            }
            "slow" => {
                let steps = args.get("steps").and_then(Value::as_u64).unwrap_or(3);
                let step = Duration::from_millis(
                    args.get("step_ms").and_then(Value::as_u64).unwrap_or(100),
                );
                let mut at = self.now;
                for i in 1..=steps {
                    at += step;
                    if let Some(t) = &token {
                        let msg = json!({"jsonrpc": "2.0", "method": "notifications/progress",
                            "params": {"progressToken": t, "progress": i, "total": steps, "message": format!("step {i}")}});
                        self.schedule(at, line(&msg), Some(id.clone()));
                    }
                }
                let r = self.complete(modern, text(format!("done after {steps} steps")));
                self.reply_at(at, &id, r);
            }
            "log" => {
                let level = args
                    .get("level")
                    .and_then(Value::as_str)
                    .unwrap_or("info")
                    .to_owned();
                let t = args
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let wanted = if modern {
                    params
                        .pointer("/_meta/io.modelcontextprotocol~1logLevel")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                } else {
                    self.log_level.clone()
                };
                if wanted.is_some_and(|w| level_rank(&level) >= level_rank(&w)) {
                    self.notify(
                        "notifications/message",
                        json!({"level": level, "logger": self.cfg.server_name, "data": t}),
                    );
                }
                let r = self.complete(modern, text("logged".into()));
                self.reply(&id, r);
            }
            "touch" => {
                let uri = args
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or("file:///a.txt")
                    .to_owned();
                if modern {
                    let listens: Vec<(Value, Value)> = self.listens.values().cloned().collect();
                    for (lid, filter) in listens {
                        let subscribed = filter
                            .get("resourceSubscriptions")
                            .and_then(Value::as_array)
                            .is_some_and(|a| a.iter().any(|u| u == &json!(uri)));
                        if subscribed {
                            self.notify("notifications/resources/updated", json!({"_meta": {"io.modelcontextprotocol/subscriptionId": lid}, "uri": uri}));
                        }
                        if filter.get("toolsListChanged") == Some(&json!(true)) {
                            self.notify(
                                "notifications/tools/list_changed",
                                json!({"_meta": {"io.modelcontextprotocol/subscriptionId": lid}}),
                            );
                        }
                    }
                } else {
                    if self.subscribed.contains(&uri) {
                        self.notify("notifications/resources/updated", json!({"uri": uri}));
                    }
                    self.notify("notifications/tools/list_changed", json!({}));
                }
                let r = self.complete(modern, text("touched".into()));
                self.reply(&id, r);
            }
            "weather" => {
                let city = args
                    .get("city")
                    .and_then(Value::as_str)
                    .unwrap_or("Nowhere")
                    .to_owned();
                // Made up, but the same city always gets the same weather.
                let n = city
                    .bytes()
                    .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                let conditions = ["sunny", "cloudy", "rainy", "windy", "foggy"][(n % 5) as usize];
                let data = json!({"city": city, "temperature_c": f64::from(n % 35) - 5.0, "conditions": conditions});
                let r = self.complete(modern, json!({"content": [{"type": "text", "text": data.to_string()}], "structuredContent": data}));
                self.reply(&id, r);
            }
            "ask_name" | "sample" | "roots" | "two_rounds" | "state_only" => {
                self.ask_tool(id, &name, params, modern)
            }
            _ => {
                let msg = format!("Unknown tool: {name}");
                self.error(&id, -32602, &msg, None);
            }
        }
    }

    fn input_request(tool: &str) -> (&'static str, Value) {
        match tool {
            "sample" => (
                "sampling/createMessage",
                json!({
                    "messages": [{"role": "user", "content": {"type": "text", "text": "What is 2+2?"}}],
                    "maxTokens": 10
                }),
            ),
            "roots" => ("roots/list", json!({})),
            _ => (
                "elicitation/create",
                json!({
                    "mode": "form",
                    "message": "What is your name?",
                    "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
                }),
            ),
        }
    }

    /// Turns an input response into the tool's final text.
    fn answer_text(tool: &str, response: &Value) -> String {
        match tool {
            "sample" => format!(
                "model said {}",
                response
                    .pointer("/content/text")
                    .and_then(Value::as_str)
                    .unwrap_or("nothing")
            ),
            "roots" => format!(
                "{} roots",
                response
                    .get("roots")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            ),
            _ => match response.get("action").and_then(Value::as_str) {
                Some("accept") => format!(
                    "hello {}",
                    response
                        .pointer("/content/name")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                ),
                Some(other) => format!("no name ({other})"),
                None => "no name".into(),
            },
        }
    }

    fn ask_tool(&mut self, id: Value, tool: &str, params: Value, modern: bool) {
        if !modern {
            // Legacy: a server-to-client request, then answer the call when
            // the client responds.
            let (method, p) = Self::input_request(tool);
            let ask_id = format!("s{}", self.next_ask);
            self.next_ask += 1;
            self.asked.insert(
                ask_id.clone(),
                Asked {
                    call_id: id,
                    tool: tool.to_owned(),
                },
            );
            let msg = json!({"jsonrpc": "2.0", "id": ask_id, "method": method, "params": p});
            self.schedule(self.now, line(&msg), None);
            return;
        }
        let responses = params.get("inputResponses").cloned();
        let state = params
            .get("requestState")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match (tool, responses, state.as_deref()) {
            ("state_only", _, None) => {
                let r = json!({"resultType": "input_required", "requestState": "opaque-1"});
                self.reply(&id, r);
            }
            ("state_only", _, Some(s)) => {
                let r = self.complete(
                    true,
                    json!({"content": [{"type": "text", "text": format!("state was {s}")}]}),
                );
                self.reply(&id, r);
            }
            ("two_rounds", Some(resp), Some("round-1")) => {
                let first = Self::answer_text("ask_name", resp.get("q").unwrap_or(&Value::Null));
                let (method, p) = Self::input_request("sample");
                let r = json!({"resultType": "input_required", "requestState": format!("round-2:{first}"),
                    "inputRequests": {"q2": {"method": method, "params": p}}});
                self.reply(&id, r);
            }
            ("two_rounds", Some(resp), Some(s)) if s.starts_with("round-2:") => {
                let second = Self::answer_text("sample", resp.get("q2").unwrap_or(&Value::Null));
                let t = format!("{} / {second}", &s["round-2:".len()..]);
                let r = self.complete(true, json!({"content": [{"type": "text", "text": t}]}));
                self.reply(&id, r);
            }
            ("two_rounds", _, _) => {
                let (method, p) = Self::input_request("ask_name");
                let r = json!({"resultType": "input_required", "requestState": "round-1",
                    "inputRequests": {"q": {"method": method, "params": p}}});
                self.reply(&id, r);
            }
            (_, Some(resp), Some("st-1")) if resp.get("q").is_some() => {
                let t = Self::answer_text(tool, &resp["q"]);
                let r = self.complete(true, json!({"content": [{"type": "text", "text": t}]}));
                self.reply(&id, r);
            }
            _ => {
                let (method, p) = Self::input_request(tool);
                let r = json!({"resultType": "input_required", "requestState": "st-1",
                    "inputRequests": {"q": {"method": method, "params": p}}});
                self.reply(&id, r);
            }
        }
    }

    /// A response from the client to one of the server's requests.
    fn on_client_response(&mut self, id: Value, msg: Value) {
        let Some(key) = id.as_str().map(str::to_owned) else {
            return;
        };
        let Some(asked) = self.asked.remove(&key) else {
            return;
        };
        let text = match msg.get("result") {
            Some(r) => Self::answer_text(&asked.tool, r),
            None => format!(
                "refused: {}",
                msg.pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
        };
        let r = json!({"content": [{"type": "text", "text": text}]});
        self.reply(&asked.call_id, r);
    }
}

fn line(msg: &Value) -> Vec<u8> {
    let mut v = serde_json::to_vec(msg).unwrap_or_default();
    v.push(b'\n');
    v
}

/// The clock resource: subscribers hear of it every second.
const CLOCK: &str = "demo://clock";

/// A 1x1 transparent PNG, the binary resource.
const TINY_PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const TINY_PNG_LEN: usize = 70;

/// Log levels from least to most severe (RFC 5424 order).
const LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

fn level_rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(0)
}
