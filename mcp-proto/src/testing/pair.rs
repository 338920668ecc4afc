//! A client and a scripted server joined by an in-memory pipe, on a virtual
//! clock, with a transcript of everything that crossed.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::methods::CallTool;
use crate::model::{CallToolRequestParams, ElicitResult, JsonObject};
use crate::{CallId, Client, Config, Event, InputAnswer, Notification, Output, RequestOptions};

use super::{ScriptedServer, ServerConfig};

/// Upper bound on the steps of one `drive` or `settle`, so that a bug that
/// makes the two sides talk forever fails a test instead of hanging it.
const MAX_STEPS: usize = 100_000;

/// A client and a server wired together.
#[derive(Debug)]
pub struct Pair {
    /// The client under test.
    pub client: Client,
    /// Its peer.
    pub server: ScriptedServer,
    /// The virtual time now.
    pub now: Instant,
    start: Instant,
    events: Vec<Event>,
    transcript: Vec<String>,
    eof_delivered: bool,
    /// Split every client-bound write into chunks of this many bytes (tests
    /// that framing survives arbitrary chunking).
    pub chunk: Option<usize>,
}

impl Pair {
    /// A fresh client and server, both started at `start`.
    pub fn new(client: Config, server: ServerConfig, start: Instant) -> Pair {
        Pair::from_parts(
            Client::new(client, start),
            ScriptedServer::new(server, start),
            start,
        )
    }

    /// Joins an existing client and server.
    pub fn from_parts(client: Client, server: ScriptedServer, start: Instant) -> Pair {
        Pair {
            client,
            server,
            now: start,
            start,
            events: Vec::new(),
            transcript: Vec::new(),
            eof_delivered: false,
            chunk: None,
        }
    }

    fn stamp(&self) -> String {
        format!(
            "t+{}ms",
            self.now.saturating_duration_since(self.start).as_millis()
        )
    }

    /// Moves everything due now both ways until neither side has more.
    /// Time does not advance.
    pub fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            let mut progress = false;
            while let Some(out) = self.client.poll_output() {
                progress = true;
                match out {
                    Output::Transmit(bytes) => {
                        for l in String::from_utf8_lossy(&bytes).lines() {
                            self.transcript.push(format!("{} C→S {l}", self.stamp()));
                        }
                        self.server.handle_bytes(self.now, &bytes);
                    }
                    Output::CloseTransport => {
                        self.transcript
                            .push(format!("{} C closes the server's stdin", self.stamp()));
                        self.server.handle_eof(self.now);
                    }
                    Output::Event(e) => {
                        if let Some(d) = describe(&e) {
                            self.transcript.push(format!("{} event {d}", self.stamp()));
                        }
                        self.events.push(e);
                    }
                    // A byte-stream client never asks for HTTP.
                    Output::Http(r) => {
                        self.transcript
                            .push(format!("{} unexpected HTTP {}", self.stamp(), r.id))
                    }
                    Output::AbortHttp(id) => self
                        .transcript
                        .push(format!("{} unexpected abort of {id}", self.stamp())),
                }
            }
            while let Some(bytes) = self.server.poll_output(self.now) {
                progress = true;
                for l in String::from_utf8_lossy(&bytes).lines() {
                    self.transcript.push(format!("{} S→C {l}", self.stamp()));
                }
                self.feed(&bytes);
            }
            if self.server.is_done() && !self.eof_delivered {
                progress = true;
                self.eof_delivered = true;
                self.transcript
                    .push(format!("{} S closes its stdout", self.stamp()));
                self.client.handle_eof(self.now);
            }
            if !progress {
                return;
            }
        }
        panic!("Pair::drive did not settle within {MAX_STEPS} steps");
    }

    fn feed(&mut self, bytes: &[u8]) {
        let chunk = self.chunk.unwrap_or(usize::MAX).max(1);
        for piece in bytes.chunks(chunk) {
            // The client may push back when its event queue is full: drain
            // it into the event list and hand the bytes in again.
            for _ in 0..MAX_STEPS {
                match self.client.handle_bytes(self.now, piece) {
                    Ok(()) => break,
                    Err(crate::UsageError::Backlogged { .. }) => {
                        while let Some(out) = self.client.poll_output() {
                            if let Output::Event(e) = out {
                                self.events.push(e);
                            } else if let Output::Transmit(b) = out {
                                self.server.handle_bytes(self.now, &b);
                            }
                        }
                    }
                    Err(e) => panic!("handle_bytes failed: {e}"),
                }
            }
        }
    }

    /// The earliest deadline of either side.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.client.poll_timeout(), self.server.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances the clock by `d`, firing every deadline on the way in order.
    pub fn advance(&mut self, d: Duration) {
        let to = self.now + d;
        self.advance_to(to);
    }

    /// Advances the clock to `to`, firing every deadline on the way in order.
    pub fn advance_to(&mut self, to: Instant) {
        self.drive();
        for _ in 0..MAX_STEPS {
            match self.next_deadline() {
                Some(t) if t <= to => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = self.now.max(to);
        self.client.handle_timeout(self.now);
        self.drive();
    }

    /// Drives, jumping time from deadline to deadline, until nothing is
    /// left to happen. Returns the virtual time it took.
    pub fn settle(&mut self) -> Duration {
        let began = self.now;
        self.drive();
        for _ in 0..MAX_STEPS {
            let Some(t) = self.next_deadline() else {
                return self.now - began;
            };
            self.now = self.now.max(t);
            self.client.handle_timeout(self.now);
            self.drive();
        }
        panic!("Pair::settle did not settle within {MAX_STEPS} steps");
    }

    /// The client's events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The client's events so far, without taking them.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Everything that crossed, one line each, with virtual timestamps.
    pub fn transcript(&self) -> String {
        let mut s = self.transcript.join("\n");
        s.push('\n');
        s
    }

    /// Calls a tool of the scripted server with `args` (a JSON object, or
    /// `null` for none) and default options. Panics if the client refuses
    /// the call, which a test did not expect.
    pub fn call_tool(&mut self, name: &str, args: Value) -> CallId {
        let params = CallToolRequestParams::new(name).with_arguments(match args {
            Value::Object(m) => m,
            _ => JsonObject::new(),
        });
        self.call_tool_with(&params, RequestOptions::default())
    }

    /// Calls a tool with these params and options (panics as `call_tool`).
    pub fn call_tool_with(
        &mut self,
        params: &CallToolRequestParams,
        opts: RequestOptions,
    ) -> CallId {
        self.client
            .request::<CallTool>(self.now, params, opts)
            .unwrap_or_else(|e| panic!("the client refused tools/call {}: {e}", params.name))
    }

    /// A conversation that touches most paths: tools that echo, report
    /// progress, ask for a name, return a large text, fail and change the
    /// tool list, plus a paginated `tools/list`; every name question is
    /// answered with `name`. Runs until nothing is left to happen.
    pub fn sample_conversation(&mut self, name: &str) {
        let progress = RequestOptions::default().with_progress();
        for (tool, args) in [
            ("echo", serde_json::json!({"text": "x"})),
            ("slow", serde_json::json!({"steps": 2})),
            ("ask_name", Value::Null),
            ("big", serde_json::json!({"n": 300})),
            ("boom", Value::Null),
            ("touch", serde_json::json!({"uri": "file:///a.txt"})),
        ] {
            let params = CallToolRequestParams::new(tool).with_arguments(match args {
                Value::Object(m) => m,
                _ => JsonObject::new(),
            });
            self.call_tool_with(&params, progress.clone());
        }
        let now = self.now;
        self.client
            .request_raw(
                now,
                "tools/list",
                JsonObject::new(),
                RequestOptions::default(),
            )
            .unwrap_or_else(|e| panic!("the client refused tools/list: {e}"));
        self.drive();
        let asked: Vec<_> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::InputNeeded(n) => Some(n.id),
                _ => None,
            })
            .collect();
        for id in asked {
            let mut content = JsonObject::new();
            content.insert("name".into(), Value::String(name.to_owned()));
            let now = self.now;
            // An elicitation the server withdrew meanwhile is fine to miss.
            let _ = self.client.provide_input(
                now,
                id,
                InputAnswer::Elicit(ElicitResult::accept(content)),
            );
        }
        self.settle();
    }

    /// Adds a note to the transcript.
    pub fn note(&mut self, text: &str) {
        let line = format!("{} -- {text}", self.stamp());
        self.transcript.push(line);
    }
}

/// One line about an event for the transcript (wire records are left out:
/// the frames themselves are already there).
pub(crate) fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::SessionExpired => "session expired".to_owned(),
        Event::Ready(r) => format!(
            "ready: {} {} server={}",
            r.era,
            r.version,
            r.server_info.as_ref().map_or("?", |i| i.name.as_str())
        ),
        Event::Response {
            call,
            result: Ok(r),
        } => {
            format!(
                "{call} ok ({}{}): {}",
                r.method,
                if r.from_cache { ", cached" } else { "" },
                r.result.get()
            )
        }
        Event::Response {
            call,
            result: Err(e),
        } => format!("{call} failed: {e}"),
        Event::InputNeeded(n) => format!(
            "{} needed{}: {}",
            n.id,
            n.call.map(|c| format!(" by {c}")).unwrap_or_default(),
            n.request.method()
        ),
        Event::InputWithdrawn { input, reason } => format!("{input} withdrawn: {reason}"),
        Event::Progress { call, progress } => format!(
            "{call} progress {}{}{}",
            progress.progress,
            progress
                .total
                .as_ref()
                .map(|t| format!("/{t}"))
                .unwrap_or_default(),
            progress
                .message
                .as_ref()
                .map(|m| format!(" {m:?}"))
                .unwrap_or_default()
        ),
        Event::Notification(n) => match n {
            Notification::Log(l) => format!("log {}: {}", l.level, l.data),
            Notification::Other { method, .. } => format!("notification {method}"),
            other => format!("notification {other:?}"),
        },
        Event::Violation(v) => format!("violation: {v}"),
        Event::Wire(_) => return None,
        Event::Closed(r) => format!("closed: {r}"),
    })
}
