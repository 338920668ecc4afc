//! The client connection state machine.
//!
//! [`Client`] is driven through three kinds of input and one drain:
//!
//! ```text
//! user calls ──► request / ping / subscribe / provide_input / cancel / close
//! bytes in   ──► handle_bytes(now, &[u8]), handle_eof(now)
//! time       ──► handle_timeout(now)
//! out        ◄── poll_output() -> Transmit(bytes) | Event(..) | CloseTransport
//! deadline   ◄── poll_timeout() -> Option<Instant>
//! ```
//!
//! After every input or command, drain `poll_output` until it returns
//! `None`, then sleep until `poll_timeout` (or the next input).

mod cache;
mod calls;
mod events;
mod handshake;
mod http;
mod inbound;
mod input;
mod outbound;
mod responses;
mod subscriptions;
mod timers;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rustc_hash::FxHashMap;
use std::time::Instant;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::call::Call;
use crate::config::{CachePolicy, Config, EraPreference, RequestOptions};
use crate::error::{
    CloseReason, HandshakeError, RequestError, UsageError, Violation, ViolationKind,
};
use crate::event::{CallId, Event, InputId, Output, Reply};
use crate::framing::LineDeframer;
use crate::methods::{self, Method};
use crate::model::{meta, Implementation, JsonObject, LoggingLevel, RequestId, ServerCapabilities};
use crate::version::{Era, ProtocolVersion};
use crate::Tolerance;

use cache::Cache;
use calls::{CallEntry, CallKind, CallState, Pages};
use events::EventQueue;
use input::PendingInput;
use subscriptions::Subscriptions;
use timers::{Timer, Timers};

pub use http::HttpTransport;
pub use input::InputAnswer;
pub use subscriptions::{SubscribeOutcome, Subscription};

/// How many abandoned (cancelled or timed-out) request ids are remembered so
/// that their late answers are dropped quietly rather than reported.
const ABANDONED_MEMORY: usize = 4096;

/// What the outstanding JSON-RPC request with a given id is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Call(CallId),
    Probe,
    Initialize,
    Listen,
    /// A `tools/list` page fetched for a call the server refused with
    /// `HeaderMismatch` (2026-07-28 HTTP): `page` counts from 1.
    HeaderRefresh {
        call: CallId,
        page: u32,
    },
}

/// Where the connection is in its life.
#[derive(Debug)]
enum Phase {
    /// `server/discover` is out; `version` is what it asked for.
    Probing {
        wire: i64,
        version: ProtocolVersion,
        retried: bool,
    },
    /// `initialize` is out. A probe may still be answered late.
    Initializing {
        late_discover: Option<Box<(crate::model::DiscoverResult, crate::RawJson)>>,
    },
    Ready,
    Closed,
}

/// What the client knows about the server once it is ready.
#[derive(Debug, Clone, Default)]
struct ServerView {
    capabilities: ServerCapabilities,
    capabilities_known: bool,
    info: Option<Implementation>,
    instructions: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportClose {
    Open,
    Pending,
    Done,
}

/// A sans-IO MCP client connection over a byte stream (stdio, or any
/// newline-delimited JSON-RPC pipe) or over HTTP ([`Client::new_http`]).
///
/// See the [crate documentation](crate) for the run loop and invariants.
#[derive(Debug)]
pub struct Client {
    cfg: Config,
    /// `clientCapabilities` as sent on modern requests, serialized once.
    caps_modern: Box<RawValue>,
    /// `clientInfo`, serialized once.
    info_raw: Box<RawValue>,

    phase: Phase,
    version: Option<ProtocolVersion>,
    server: ServerView,
    /// The answer that made the connection ready.
    handshake: Option<crate::HandshakeResult>,
    log_level: Option<LoggingLevel>,

    next_wire: i64,
    next_call: u64,
    /// The id `start_with_id` was given, for `issue` to take.
    chosen_id: Option<CallId>,
    next_input: u64,

    /// Hashed, not ordered: every call is looked up several times on its
    /// way, and a B-tree both searches slower and moves its (several
    /// hundred byte) values on each removal. Nothing iterates these maps
    /// except `close`, which sorts what it takes.
    calls: FxHashMap<CallId, CallEntry>,
    wire: FxHashMap<i64, Wire>,
    abandoned: VecDeque<i64>,
    abandoned_set: BTreeSet<i64>,
    waiting_ready: VecDeque<CallId>,
    progress: BTreeMap<RequestId, CallId>,

    inputs: BTreeMap<InputId, PendingInput>,
    server_requests: BTreeMap<RequestId, InputId>,

    subs: Subscriptions,
    cache: Cache,
    timers: Timers,

    deframer: LineDeframer,
    tx: Vec<u8>,
    /// The HTTP side, for a connection over HTTP.
    http: Option<Box<http::HttpLink>>,
    events: EventQueue,
    /// Bytes in `tx` written in reaction to frames from the server.
    reactive: usize,
    /// Of those, the bytes already handed out in `Output::Transmit`.
    reactive_out: usize,
    transport: TransportClose,
    closed: Option<CloseReason>,
    now: Instant,
}

impl Client {
    /// A client over a byte stream, starting its handshake at `now`.
    ///
    /// The first frames (the `server/discover` probe or `initialize`) are
    /// ready in [`poll_output`](Client::poll_output) straight away.
    pub fn new(config: Config, now: Instant) -> Client {
        Client::with_link(config, None, now)
    }

    fn with_link(config: Config, http: Option<Box<http::HttpLink>>, now: Instant) -> Client {
        let caps_modern = raw_of(&modern_capabilities(&config.capabilities));
        let info_raw = raw_of(&config.client_info);
        let mut client = Client {
            deframer: LineDeframer::new(config.limits.max_frame_size.max(1)),
            cache: Cache::new(config.cache_max_bytes),
            cfg: config,
            caps_modern,
            info_raw,
            phase: Phase::Closed,
            version: None,
            server: ServerView::default(),
            handshake: None,
            log_level: None,
            next_wire: 1,
            next_call: 1,
            chosen_id: None,
            next_input: 1,
            calls: FxHashMap::default(),
            wire: FxHashMap::default(),
            abandoned: VecDeque::new(),
            abandoned_set: BTreeSet::new(),
            waiting_ready: VecDeque::new(),
            progress: BTreeMap::new(),
            inputs: BTreeMap::new(),
            server_requests: BTreeMap::new(),
            subs: Subscriptions::default(),
            timers: Timers::default(),
            tx: Vec::new(),
            http,
            events: EventQueue::default(),
            reactive: 0,
            reactive_out: 0,
            transport: TransportClose::Open,
            closed: None,
            now,
        };
        client.begin_handshake();
        client
    }

    fn begin_handshake(&mut self) {
        let modern = self.cfg.newest(Era::Modern);
        let legacy = self.cfg.newest(Era::Legacy);
        match (self.cfg.era, modern, legacy) {
            (EraPreference::Auto | EraPreference::Modern, Some(v), _) => self.send_probe(v, false),
            (EraPreference::Auto | EraPreference::Legacy, _, Some(v)) => self.send_initialize(v),
            _ => self.close_with(CloseReason::Handshake(HandshakeError::NoCommonVersion {
                server: Vec::new(),
                client: self.cfg.versions.clone(),
            })),
        }
    }

    // ----- commands -------------------------------------------------------

    /// Starts a call: the one entry point the typed wrappers below use. The
    /// call ends in exactly one [`Event::Response`].
    pub fn start(
        &mut self,
        now: Instant,
        call: Call,
        opts: RequestOptions,
    ) -> Result<CallId, UsageError> {
        self.start_with_id(now, None, call, opts)
    }

    /// [`start`](Client::start), under an id the driver chose (`Some`), so
    /// that an adapter can hand its caller the call's id before the call
    /// reaches the core: events about the call (progress, input requests)
    /// carry it. Fails with [`UsageError::CallIdInUse`] while a call with
    /// that id has not ended. A driver uses one way of naming calls or the
    /// other, not both.
    pub fn start_with_id(
        &mut self,
        now: Instant,
        id: Option<CallId>,
        call: Call,
        opts: RequestOptions,
    ) -> Result<CallId, UsageError> {
        if let Some(id) = id {
            if self.calls.contains_key(&id) {
                return Err(UsageError::CallIdInUse(id));
            }
        }
        self.chosen_id = id;
        let none = JsonObject::new;
        match call {
            Call::Request { method, params } => {
                self.issue(now, CallKind::Request, method, params, opts)
            }
            // A liveness check must reach the server, whatever is cached.
            Call::Ping => self.issue(
                now,
                CallKind::Ping,
                String::new(),
                none(),
                RequestOptions {
                    cache: CachePolicy::Bypass,
                    ..opts
                },
            ),
            Call::SetLogLevel(level) => self.issue(
                now,
                CallKind::SetLogLevel(level),
                String::new(),
                none(),
                opts,
            ),
            Call::Subscribe(what) => {
                self.issue(now, CallKind::Subscribe(what), String::new(), none(), opts)
            }
            Call::Unsubscribe(what) => self.issue(
                now,
                CallKind::Unsubscribe(what),
                String::new(),
                none(),
                opts,
            ),
        }
    }

    /// Sends a typed request. The terminal [`Event::Response`] carries a
    /// [`Reply`] whose [`decode`](Reply::decode) gives `M::Result`.
    ///
    /// List methods called without a cursor fetch every page and return the
    /// merged list, unless `opts.first_page_only` is set.
    pub fn request<M: Method>(
        &mut self,
        now: Instant,
        params: &M::Params,
        opts: RequestOptions,
    ) -> Result<CallId, UsageError> {
        let call = Call::request::<M>(params)?;
        self.start(now, call, opts)
    }

    /// Sends a request by method name with params as a JSON object. The same
    /// pagination, caching, MRTR and capability rules apply as for typed
    /// requests of that method.
    pub fn request_raw(
        &mut self,
        now: Instant,
        method: &str,
        params: JsonObject,
        opts: RequestOptions,
    ) -> Result<CallId, UsageError> {
        self.start(now, Call::raw(method, params), opts)
    }

    /// Checks the server is alive: `ping` in the legacy era, `server/discover`
    /// in the modern era (which has no ping; the reply's method says which
    /// was sent). A literal `ping` to a modern server: `request_raw` with
    /// `Config::enforce_revision` off.
    pub fn ping(&mut self, now: Instant, opts: RequestOptions) -> Result<CallId, UsageError> {
        self.start(now, Call::Ping, opts)
    }

    /// Sets the server's log level: `logging/setLevel` in the legacy era; in
    /// the modern era every later request carries the level in `_meta` (the
    /// call then finishes at once).
    pub fn set_log_level(
        &mut self,
        now: Instant,
        level: LoggingLevel,
    ) -> Result<CallId, UsageError> {
        self.start(now, Call::SetLogLevel(level), RequestOptions::default())
    }

    /// Subscribes to change notifications: `resources/subscribe` in the legacy
    /// era, a `subscriptions/listen` stream in the modern one. The reply
    /// decodes as [`SubscribeOutcome`]: whether the server honours it.
    ///
    /// Legacy servers send list-changed notifications without subscribing;
    /// subscribing to them only reports whether the server advertises them.
    pub fn subscribe(&mut self, now: Instant, what: Subscription) -> Result<CallId, UsageError> {
        self.start(now, Call::Subscribe(what), RequestOptions::default())
    }

    /// Ends a subscription. Notifications for it stop at once.
    pub fn unsubscribe(&mut self, now: Instant, what: Subscription) -> Result<CallId, UsageError> {
        self.start(now, Call::Unsubscribe(what), RequestOptions::default())
    }

    /// Cancels a call: sends `notifications/cancelled` if a request is out,
    /// and ends the call with `RequestError::Cancelled`. Returns false if the
    /// call had already ended.
    pub fn cancel(&mut self, now: Instant, call: CallId, reason: Option<String>) -> bool {
        self.advance(now);
        if !self.calls.contains_key(&call) {
            return false;
        }
        self.abandon_wire(call, reason.as_deref());
        self.finish(call, Err(RequestError::Cancelled { reason }));
        true
    }

    /// Tells a legacy server that the client's roots changed
    /// (`notifications/roots/list_changed`). A no-op in the modern era, which
    /// has no such notification.
    pub fn notify_roots_list_changed(&mut self, now: Instant) -> Result<(), UsageError> {
        self.advance(now);
        if self.closed.is_some() {
            return Err(UsageError::Closed);
        }
        let declared = self
            .cfg
            .capabilities
            .roots
            .as_ref()
            .and_then(|r| r.list_changed)
            .unwrap_or(false);
        if !declared {
            return Err(UsageError::CapabilityNotDeclared {
                operation: "notify_roots_list_changed",
                capability: "roots.listChanged",
            });
        }
        if matches!(self.phase, Phase::Ready) && self.era() == Some(Era::Legacy) {
            self.write_notification("notifications/roots/list_changed", None::<&Value>);
        }
        Ok(())
    }

    /// Closes the connection: pending calls end with `RequestError::Closed`,
    /// then `Output::CloseTransport` and `Event::Closed` follow.
    pub fn close(&mut self, now: Instant) {
        self.advance(now);
        self.close_with(CloseReason::ClosedByUser);
    }

    // ----- inputs ---------------------------------------------------------

    /// Feeds bytes read from the server.
    ///
    /// All bytes are taken unless the event queue is full and more than a
    /// frame is already buffered: then nothing is taken and
    /// `UsageError::Backlogged` says to drain `poll_output` first.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) -> Result<(), UsageError> {
        self.advance(now);
        if self.closed.is_some() {
            return Ok(());
        }
        let paused = self.events.full(&self.cfg.limits);
        if paused && self.deframer.buffered_len() > self.cfg.limits.max_frame_size {
            return Err(UsageError::Backlogged {
                buffered: self.deframer.buffered_len(),
            });
        }
        self.deframer.push(bytes);
        self.process_input(false);
        Ok(())
    }

    /// The server closed its output. Buffered frames are processed, then the
    /// connection closes (`CloseReason::PeerClosed`) unless it already has.
    pub fn handle_eof(&mut self, now: Instant) {
        self.advance(now);
        if self.closed.is_some() {
            return;
        }
        self.process_input(true);
        if let Some(frame) = self.deframer.finish() {
            self.on_frame(frame);
        }
        let during_probe = matches!(self.phase, Phase::Probing { .. });
        self.close_with(CloseReason::PeerClosed { during_probe });
    }

    /// Fires every deadline at or before `now`. Safe to call early or
    /// repeatedly: with nothing due it does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        while let Some(timer) = self.timers.pop_due(self.now) {
            match timer {
                Timer::Handshake => self.on_handshake_timeout(),
                Timer::Call(call) => self.on_call_timeout(call),
                Timer::Input(input) => self.on_input_timeout(input),
                Timer::Listen(wire) => self.on_listen_timeout(wire),
                Timer::HttpStandalone
                | Timer::HttpResume(_)
                | Timer::HttpRetry(_)
                | Timer::HttpClose
                | Timer::HttpGate => self.on_http_timer(timer),
            }
            if self.closed.is_some() {
                break;
            }
        }
    }

    // ----- outputs --------------------------------------------------------

    /// The next thing to act on, or `None` when there is nothing to do until
    /// the next input or deadline.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        loop {
            if !self.tx.is_empty() {
                self.reactive_out = self.reactive_out.saturating_add(self.reactive);
                self.reactive = 0;
                return Some(Output::Transmit(std::mem::take(&mut self.tx)));
            }
            if let Some(out) = self.poll_http() {
                return Some(out);
            }
            if self.transport == TransportClose::Pending {
                self.transport = TransportClose::Done;
                return Some(Output::CloseTransport);
            }
            if let Some(ev) = self.events.pop_front() {
                return Some(Output::Event(ev));
            }
            // Input paused on a full event queue resumes once it is drained.
            if self.closed.is_none() && self.deframer.has_frame() {
                self.process_input(false);
                if !self.tx.is_empty()
                    || !self.events.is_empty()
                    || self.transport == TransportClose::Pending
                {
                    continue;
                }
            }
            return None;
        }
    }

    /// How many of the bytes handed out in [`Output::Transmit`] since the
    /// last call the client wrote in reaction to what the server sent:
    /// answers to its requests, error answers to what it sent wrong, the
    /// next page of a list, the handshake's next step. A driver counts them
    /// until they are written, and stops reading from a server that lets
    /// more than [`Limits::max_unwritten_replies`](crate::Limits::max_unwritten_replies)
    /// of them pile up (a server that writes requests and never reads the
    /// answers). Always 0 over HTTP, where each is an exchange of its own.
    pub fn take_reactive_bytes(&mut self) -> usize {
        std::mem::take(&mut self.reactive_out)
    }

    /// The next deadline; call [`handle_timeout`](Client::handle_timeout) then.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() && self.transport != TransportClose::Open {
            return None;
        }
        self.timers.next()
    }

    // ----- state ----------------------------------------------------------

    /// The negotiated protocol version, once ready.
    pub fn version(&self) -> Option<ProtocolVersion> {
        matches!(self.phase, Phase::Ready)
            .then_some(self.version)
            .flatten()
    }

    /// The server's era, once ready.
    pub fn era(&self) -> Option<Era> {
        self.version().map(ProtocolVersion::era)
    }

    /// The server's capabilities, once ready.
    pub fn server_capabilities(&self) -> Option<&ServerCapabilities> {
        matches!(self.phase, Phase::Ready).then_some(&self.server.capabilities)
    }

    /// The server's answer that made the connection ready, as received
    /// (the `initialize` or `server/discover` result).
    pub fn handshake(&self) -> Option<&crate::HandshakeResult> {
        self.handshake.as_ref()
    }

    /// The server's identity, once ready (if it gave one).
    pub fn server_info(&self) -> Option<&Implementation> {
        self.server.info.as_ref()
    }

    /// Whether the handshake finished.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready)
    }

    /// Why the connection closed, if it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// Calls that have not ended yet.
    pub fn pending_calls(&self) -> usize {
        self.calls.len()
    }

    /// Input requests waiting for an answer.
    pub fn pending_inputs(&self) -> usize {
        self.inputs.len()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    // ----- internals shared by the submodules ------------------------------

    fn advance(&mut self, now: Instant) {
        // Time never runs backwards inside the core, whatever the caller does.
        if now > self.now {
            self.now = now;
        }
    }

    fn issue(
        &mut self,
        now: Instant,
        kind: CallKind,
        method: String,
        params: JsonObject,
        opts: RequestOptions,
    ) -> Result<CallId, UsageError> {
        let chosen = self.chosen_id.take();
        self.advance(now);
        if self.closed.is_some() {
            return Err(UsageError::Closed);
        }
        let limit = self.cfg.limits.max_pending_calls;
        if self.calls.len() >= limit {
            return Err(UsageError::TooManyPending { limit });
        }
        let id = match chosen {
            Some(id) => {
                self.next_call = self.next_call.max(id.0.saturating_add(1));
                id
            }
            None => {
                let id = CallId(self.next_call);
                self.next_call += 1;
                id
            }
        };
        let info = methods::info(&method);
        let user_token = params
            .get("_meta")
            .and_then(Value::as_object)
            .and_then(meta::progress_token);
        let (progress_token, user_token_set) = match user_token {
            Some(t) => (Some(t), true),
            None if opts.progress => (Some(self.fresh_progress_token(id)), false),
            None => (None, false),
        };
        if let Some(t) = &progress_token {
            self.progress.insert(t.clone(), id);
        }
        let pages =
            (info.list_key.is_some() && !opts.first_page_only && !params.contains_key("cursor"))
                .then(Pages::default);
        let call = CallEntry {
            kind,
            method,
            params,
            info,
            state: CallState::WaitingReady,
            timeout: opts.timeout.unwrap_or(self.cfg.request_timeout),
            reset_on_progress: opts
                .reset_timeout_on_progress
                .unwrap_or(self.cfg.reset_timeout_on_progress),
            hard_deadline: opts
                .max_total_timeout
                .or(self.cfg.max_total_timeout)
                .map(|d| self.now + d),
            cache: if self.cfg.cache {
                opts.cache
            } else {
                CachePolicy::Bypass
            },
            extra_meta: opts.meta,
            progress_token,
            user_token: user_token_set,
            started: self.now,
            pages,
            mrtr: None,
            rounds: 0,
            version_retried: false,
            header_mismatch: None,
        };
        let deadline = call.deadline_from(self.now);
        self.calls.insert(id, call);
        self.timers.set(Timer::Call(id), deadline);
        if matches!(self.phase, Phase::Ready) {
            self.dispatch(id);
        } else {
            self.waiting_ready.push_back(id);
        }
        Ok(id)
    }

    fn fresh_progress_token(&self, id: CallId) -> RequestId {
        let n = RequestId::Number(id.0 as i64);
        if self.progress.contains_key(&n) {
            RequestId::String(format!("mcp-progress-{}", id.0))
        } else {
            n
        }
    }

    /// Ends a call with its one terminal event. Every path that ends a call
    /// goes through here.
    fn finish(&mut self, id: CallId, result: Result<Reply, RequestError>) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        if let CallState::InFlight(w) = call.state {
            self.wire.remove(&w);
        }
        self.timers.clear(Timer::Call(id));
        if self.http.is_some() {
            let answered = matches!(&result, Ok(r) if !r.from_cache);
            self.http_call_ended(id, answered);
        }
        if let Some(t) = &call.progress_token {
            if self.progress.get(t) == Some(&id) {
                self.progress.remove(t);
            }
        }
        if let Some(m) = &call.mrtr {
            for input in m.waiting.clone() {
                self.withdraw_input(input, "its call ended");
            }
        }
        let mut result = result;
        if let Ok(reply) = &mut result {
            if reply.method == "tools/list" && self.http.is_some() {
                self.http_filter_tools(reply);
            }
        }
        self.events.push_back(Event::Response { call: id, result });
    }

    /// Stops waiting for a call's outstanding request and tells the server
    /// (`notifications/cancelled`; `initialize` is never a call).
    fn abandon_wire(&mut self, call: CallId, reason: Option<&str>) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        if let CallState::InFlight(w) = c.state {
            self.wire.remove(&w);
            self.remember_abandoned(w);
            self.send_cancelled(w, reason);
        }
    }

    fn remember_abandoned(&mut self, wire: i64) {
        if self.abandoned.len() >= ABANDONED_MEMORY {
            if let Some(old) = self.abandoned.pop_front() {
                self.abandoned_set.remove(&old);
            }
        }
        self.abandoned.push_back(wire);
        self.abandoned_set.insert(wire);
    }

    fn on_call_timeout(&mut self, call: CallId) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        let after = self.now.saturating_duration_since(c.started);
        self.abandon_wire(call, Some("timeout"));
        self.finish(call, Err(RequestError::Timeout { after }));
    }

    /// Reports a protocol breach, or closes the connection over it when the
    /// policy is strict.
    fn violation(&mut self, kind: ViolationKind, detail: impl Into<String>) {
        let v = Violation::new(kind, capped(detail.into()));
        match self.cfg.tolerance {
            Tolerance::Lenient => self.report(v),
            Tolerance::Strict => self.close_with(CloseReason::Protocol(v)),
        }
    }

    /// Reports a breach whatever the policy (merged into the last one when
    /// the queue is backed up).
    fn report(&mut self, mut v: Violation) {
        v.detail = capped(v.detail);
        self.events.push_violation(v);
    }

    /// Ends the connection: every call and input request ends, then the
    /// transport is closed and `Event::Closed` is the last event.
    fn close_with(&mut self, reason: CloseReason) {
        if self.closed.is_some() {
            return;
        }
        self.phase = Phase::Closed;
        self.closed = Some(reason.clone());
        let mut calls: Vec<CallId> = self.calls.keys().copied().collect();
        // Oldest first, as they were issued.
        calls.sort_unstable();
        for call in calls {
            self.finish(call, Err(RequestError::Closed(reason.clone())));
        }
        let inputs: Vec<InputId> = self.inputs.keys().copied().collect();
        for input in inputs {
            self.withdraw_input(input, "the connection closed");
        }
        self.waiting_ready.clear();
        self.wire.clear();
        self.progress.clear();
        self.server_requests.clear();
        self.subs = Subscriptions::default();
        self.timers.clear_all();
        let later = self.http_begin_close();
        if self.transport == TransportClose::Open && !later {
            self.transport = TransportClose::Pending;
        }
        self.events.push_back(Event::Closed(reason));
    }

    fn alloc_wire(&mut self) -> i64 {
        let id = self.next_wire;
        self.next_wire += 1;
        id
    }

    /// Whether the server is known to be modern. While the era is still
    /// being detected the answer is no: a legacy server may ping or log
    /// before it answers the probe, and must be treated as what it is.
    fn modern(&self) -> bool {
        matches!(self.phase, Phase::Ready) && self.version.is_some_and(|v| v.era() == Era::Modern)
    }
}

/// The client capabilities as a modern request declares them: no
/// `roots.listChanged` (there is no such notification) and no legacy `tasks`.
fn modern_capabilities(
    caps: &crate::model::ClientCapabilities,
) -> crate::model::ClientCapabilities {
    let mut caps = caps.clone();
    if let Some(roots) = caps.roots.as_mut() {
        roots.list_changed = None;
    }
    caps.tasks = None;
    caps
}

fn raw_of<T: Serialize>(value: &T) -> Box<RawValue> {
    // Plain data of our own model always serializes; "{}" is the safe value
    // should that ever change.
    serde_json::value::to_raw_value(value)
        .unwrap_or_else(|_| RawValue::from_string("{}".to_owned()).expect("\"{}\" is valid JSON"))
}

/// Longest detail a violation keeps: what it quotes from the server (a
/// method name, an error message) may be as long as a frame.
const MAX_DETAIL: usize = 1024;

fn capped(detail: String) -> String {
    if detail.len() <= MAX_DETAIL {
        return detail;
    }
    snippet(&detail, MAX_DETAIL)
}

/// The first `max` characters of `text`, for error messages.
///
/// Control characters are written as escapes (`\u{1b}`): what a server
/// sends ends up on terminals and in logs, where a raw escape sequence
/// could rewrite what is shown.
fn snippet(text: &str, max: usize) -> String {
    let (head, cut) = if text.len() <= max {
        (text, false)
    } else {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        (&text[..end], true)
    };
    let mut out = String::with_capacity(head.len());
    for c in head.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    if cut {
        out.push_str(&format!("… ({} bytes)", text.len()));
    }
    out
}
