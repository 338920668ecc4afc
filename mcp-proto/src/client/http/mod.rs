//! MCP over HTTP: Streamable HTTP in both eras and the 2024-11-05 HTTP+SSE
//! transport, as exchanges the adapter performs (see [`crate::http`]).
//!
//! The rest of the core writes JSON-RPC messages as it does for a byte
//! stream; [`Client::emitted`] turns each one into a POST with the headers
//! its era needs. Responses come back as JSON bodies or SSE streams whose
//! messages go through the same decoding as stdio lines. What is
//! HTTP-specific lives here:
//!
//! - era detection: a `server/discover` POST, then `initialize`, then, when
//!   that is refused with 400/404/405 and no JSON-RPC answer, a GET for the
//!   2024-11-05 `endpoint` event;
//! - sessions (2025-03-26 .. 2025-11-25): `Mcp-Session-Id` kept from the
//!   `initialize` response and sent back, a 404 answered with a new session,
//!   `DELETE` on close;
//! - streams: the standalone GET stream, resumption of a broken response
//!   stream with `Last-Event-ID` after the server's `retry` delay (legacy),
//!   re-issuing the request with a new id (2026-07-28), closing a stream to
//!   cancel (2026-07-28);
//! - headers mirrored from the body (2026-07-28): `Mcp-Method`, `Mcp-Name`,
//!   `Mcp-Param-*` from `x-mcp-header` annotations, with tools whose
//!   annotations are invalid dropped from `tools/list`;
//! - retries of requests that are safe to repeat, with backoff and
//!   `Retry-After`.

mod exchange;
mod headers;
mod retry;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{
    CloseReason, HandshakeError, RequestError, UsageError, Violation, ViolationKind,
};
use crate::event::{CallId, Event, Reply};
use crate::framing::Frame;
use crate::http::{
    ExchangeId, HttpConfigError, HttpError, HttpEvent, HttpFailure, HttpFailureKind, HttpHead,
    HttpMethod, HttpOptions, HttpRequest,
};
use crate::model::{codes, ErrorObject};
use crate::raw::RawJson;
use crate::sse::{SseError, SseEvent};
use crate::version::Era;

use super::calls::CallState;
use super::timers::Timer;
use super::{Client, Phase, Wire};

use exchange::{Body, Exchange, Posted, Purpose};
use headers::ParamHeader;
use retry::Jitter;

/// The longest error body kept for a message.
const ERROR_BODY: usize = 512;

/// What the adapter is asked to do.
#[derive(Debug)]
pub(crate) enum HttpOut {
    Request(HttpRequest),
    Abort(ExchangeId),
}

/// Which HTTP transport the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpTransport {
    /// Streamable HTTP (2025-03-26 and later).
    Streamable,
    /// The 2024-11-05 HTTP+SSE transport: a GET stream for everything the
    /// server sends, POSTs to the endpoint it names.
    LegacySse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Streamable,
    /// GET sent, waiting for the `endpoint` event.
    SseConnecting(ExchangeId),
    Sse(ExchangeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standalone {
    /// Not opened (modern servers, or turned off).
    Off,
    Open(ExchangeId),
    /// Waiting to reconnect (timer armed).
    Waiting,
    /// The server has no such stream (405), or it kept failing.
    Unavailable,
}

/// A resumption waiting for its delay.
#[derive(Debug, Clone)]
struct Resume {
    last_id: String,
    /// Attempts in a row that brought nothing.
    fruitless: u32,
}

/// How long requests wait behind a session's opening exchange (see
/// `HttpLink::gate`) for a server that is slow to answer it.
const GATE_WAIT: Duration = Duration::from_secs(2);

/// The HTTP side of a connection.
#[derive(Debug)]
pub(crate) struct HttpLink {
    opts: HttpOptions,
    base: url::Url,
    /// Where messages are POSTed: the MCP endpoint, or the endpoint a
    /// 2024-11-05 server named.
    post_url: String,
    mode: Mode,
    session: Option<String>,
    next_exchange: u64,
    exchanges: BTreeMap<ExchangeId, Exchange>,
    pub(crate) out: VecDeque<HttpOut>,
    /// The exchange that will carry the answer to a request.
    by_wire: BTreeMap<i64, ExchangeId>,
    standalone: Standalone,
    standalone_last_id: Option<String>,
    standalone_fruitless: u32,
    resumes: BTreeMap<i64, Resume>,
    /// `x-mcp-header` annotations of the tools listed so far.
    tool_headers: BTreeMap<String, Vec<ParamHeader>>,
    /// Tools dropped from `tools/list` for invalid annotations, and why.
    rejected_tools: BTreeMap<String, String>,
    /// Tools that declare `idempotentHint: true`.
    idempotent_tools: BTreeSet<String>,
    /// Retries so far, per call.
    attempts: BTreeMap<CallId, u32>,
    session_restarts: u32,
    listen_reopens: u32,
    jitter: Jitter,
    /// The `DELETE` that ends the session while closing.
    deleting: Option<ExchangeId>,
    max_sse_event: usize,
    /// The request whose response is being read (for id-less errors and
    /// listen notifications without a subscription id).
    pub(crate) context: Option<i64>,
    /// A session's opening exchange still unanswered: the
    /// `notifications/initialized` POST, then the standalone GET. Separate
    /// HTTP exchanges can overtake one another, so what comes after waits
    /// in `held` until the server has taken each in turn (or
    /// [`GATE_WAIT`] has passed): it sees `initialized` before anything
    /// else, and has a stream for its own messages before the first
    /// request (otherwise it may send a response on the standalone
    /// stream, which the spec forbids, but which servers do).
    gate: Option<ExchangeId>,
    /// Requests waiting behind the gate, each with whether it is a gate
    /// itself.
    held: VecDeque<(HttpRequest, bool)>,
    /// Bytes of answers to server requests whose exchanges have not ended
    /// (those waiting in `replies_waiting` included).
    replies_in_flight: usize,
    /// Of those, the bytes of exchanges handed to the adapter.
    replies_sent: usize,
    /// Answers that wait for others to end before they go out, so that no
    /// more than `max_replies` bytes of them are in flight: a server that
    /// asks a lot and never finishes taking the answers costs no more
    /// exchanges (each a connection, and a thread or task in the adapter).
    replies_waiting: VecDeque<HttpRequest>,
    /// `Limits::max_unwritten_replies`.
    max_replies: usize,
}

/// The least an answer to a server request in flight counts towards
/// `Limits::max_unwritten_replies`: with the default 1 MiB, at most 64
/// such exchanges are open before reading from the server pauses.
const REPLY_EXCHANGE_WEIGHT: usize = 16 * 1024;

impl HttpLink {
    pub(crate) fn new(
        opts: HttpOptions,
        limits: &crate::Limits,
    ) -> Result<HttpLink, HttpConfigError> {
        let max_frame = limits.max_frame_size;
        let base = url::Url::parse(&opts.url).map_err(|e| HttpConfigError::InvalidUrl {
            url: opts.url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(HttpConfigError::Scheme(base.scheme().to_owned()));
        }
        for (name, value) in &opts.headers {
            check_header(name, value)?;
        }
        Ok(HttpLink {
            post_url: base.to_string(),
            base,
            mode: Mode::Streamable,
            session: None,
            next_exchange: 1,
            exchanges: BTreeMap::new(),
            out: VecDeque::new(),
            by_wire: BTreeMap::new(),
            standalone: Standalone::Off,
            standalone_last_id: None,
            standalone_fruitless: 0,
            resumes: BTreeMap::new(),
            tool_headers: BTreeMap::new(),
            rejected_tools: BTreeMap::new(),
            idempotent_tools: BTreeSet::new(),
            attempts: BTreeMap::new(),
            session_restarts: 0,
            listen_reopens: 0,
            jitter: Jitter::new(opts.retry.seed),
            deleting: None,
            max_sse_event: opts.max_sse_event.unwrap_or(max_frame).max(1),
            context: None,
            gate: None,
            held: VecDeque::new(),
            replies_in_flight: 0,
            replies_sent: 0,
            replies_waiting: VecDeque::new(),
            max_replies: limits.max_unwritten_replies,
            opts,
        })
    }

    fn exchange(&mut self, purpose: Purpose) -> ExchangeId {
        let id = ExchangeId(self.next_exchange);
        self.next_exchange += 1;
        self.exchanges.insert(id, Exchange::new(purpose));
        id
    }

    /// Drops exchange `id` from the books (it ended, or never left). The
    /// end of an answer's exchange lets answers that wait go out.
    fn forget(&mut self, id: ExchangeId) -> Option<Exchange> {
        let ex = self.exchanges.remove(&id)?;
        if ex.reply > 0 {
            self.replies_in_flight = self.replies_in_flight.saturating_sub(ex.reply);
            let before = self.replies_waiting.len();
            self.replies_waiting.retain(|r| r.id != id);
            if self.replies_waiting.len() == before {
                self.replies_sent = self.replies_sent.saturating_sub(ex.reply);
                self.release_replies();
            }
        }
        Some(ex)
    }

    /// Sends the answers that wait, while they fit.
    fn release_replies(&mut self) {
        while let Some(next) = self.replies_waiting.front() {
            let weight = self.exchanges.get(&next.id).map_or(0, |e| e.reply);
            if self.replies_sent > 0 && self.replies_sent + weight > self.max_replies {
                return;
            }
            let Some(request) = self.replies_waiting.pop_front() else {
                return;
            };
            self.replies_sent += weight;
            self.emit(request, false);
        }
    }

    /// Hands a request to the adapter, or holds it behind the gate.
    fn emit(&mut self, request: HttpRequest, gates: bool) {
        let id = request.id;
        match self.gate {
            Some(_) => self.held.push_back((request, gates)),
            None => {
                self.out.push_back(HttpOut::Request(request));
                if gates {
                    self.gate = Some(id);
                }
            }
        }
    }

    /// Headers every request carries: the user's, minus any the protocol
    /// sets itself.
    fn user_headers(&self, ours: &[(String, String)]) -> Vec<(String, String)> {
        self.opts
            .headers
            .iter()
            .filter(|(n, _)| !ours.iter().any(|(o, _)| o.eq_ignore_ascii_case(n)))
            .cloned()
            .collect()
    }

    fn request(
        &mut self,
        purpose: Purpose,
        method: HttpMethod,
        url: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> ExchangeId {
        self.request_gated(purpose, method, url, headers, body, false)
    }

    /// A request; with `gates`, later ones wait until it is answered.
    fn request_gated(
        &mut self,
        purpose: Purpose,
        method: HttpMethod,
        url: String,
        mut headers: Vec<(String, String)>,
        body: Vec<u8>,
        gates: bool,
    ) -> ExchangeId {
        // An exchange costs more than its body (a connection, a thread or a
        // task in the adapter): each answer counts at least this much.
        let reply = match purpose {
            Purpose::Post(Posted::Response) => body.len().max(REPLY_EXCHANGE_WEIGHT),
            _ => 0,
        };
        let id = self.exchange(purpose);
        if let Some(ex) = self.exchanges.get_mut(&id) {
            ex.reply = reply;
        }
        let mut all = self.user_headers(&headers);
        all.append(&mut headers);
        let request = HttpRequest {
            id,
            method,
            url,
            headers: all,
            body,
        };
        if reply > 0 {
            self.replies_in_flight = self.replies_in_flight.saturating_add(reply);
            let full = self.replies_sent > 0 && self.replies_sent + reply > self.max_replies;
            if full || !self.replies_waiting.is_empty() {
                self.replies_waiting.push_back(request);
                return id;
            }
            self.replies_sent += reply;
        }
        self.emit(request, gates);
        id
    }

    fn abort(&mut self, id: ExchangeId) {
        let waiting = self.replies_waiting.iter().any(|r| r.id == id);
        if self.forget(id).is_some() {
            let before = self.held.len();
            self.held.retain(|(r, _)| r.id != id);
            // A request still held never left: there is nothing to abort.
            if self.held.len() == before && !waiting {
                self.out.push_back(HttpOut::Abort(id));
            }
        }
        self.by_wire.retain(|_, e| *e != id);
        if self.gate == Some(id) {
            self.open_gate();
        }
    }

    /// The server has taken the gate's request (or its exchange is over,
    /// or it took too long): what waited goes out, in order, up to and
    /// including the next gate.
    fn open_gate(&mut self) {
        self.gate = None;
        while let Some((request, gates)) = self.held.pop_front() {
            let id = request.id;
            self.out.push_back(HttpOut::Request(request));
            if gates {
                self.gate = Some(id);
                break;
            }
        }
    }

    /// Remembers what a listed tool means for its calls: whether it may be
    /// retried, and (2026-07-28) its `x-mcp-header` parameters; `Err` says
    /// why its annotations are invalid (the tool must not be used).
    fn learn_tool(&mut self, tool: &Value, modern: bool) -> Result<(), String> {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
        let hint = tool
            .get("annotations")
            .and_then(|a| a.get("idempotentHint"))
            .and_then(Value::as_bool)
            == Some(true);
        if hint {
            self.idempotent_tools.insert(name.to_owned());
        } else {
            self.idempotent_tools.remove(name);
        }
        if !modern {
            return Ok(());
        }
        let schema = tool.get("inputSchema").unwrap_or(&Value::Null);
        match headers::param_headers(schema) {
            Ok(h) => {
                self.rejected_tools.remove(name);
                if h.is_empty() {
                    self.tool_headers.remove(name);
                } else {
                    self.tool_headers.insert(name.to_owned(), h);
                }
                Ok(())
            }
            Err(reason) => {
                self.tool_headers.remove(name);
                self.rejected_tools.insert(name.to_owned(), reason.clone());
                Err(reason)
            }
        }
    }

    /// The session id as a header, when there is one.
    fn session_header(&self) -> Option<(String, String)> {
        self.session
            .as_ref()
            .map(|s| ("Mcp-Session-Id".to_owned(), s.clone()))
    }
}

/// What was just written, for the POST that carries it.
pub(crate) enum Outgoing<'a> {
    /// A request; `method` is `None` for a call's request (the call has it).
    Request {
        wire: i64,
        method: Option<&'a str>,
        call: Option<CallId>,
    },
    Notification {
        method: &'a str,
    },
    Response,
}

fn check_header(name: &str, value: &str) -> Result<(), HttpConfigError> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(tchar) {
        return Err(HttpConfigError::InvalidHeader {
            name: name.to_owned(),
            reason: "a header name must be a token (letters, digits and !#$%&'*+-.^_`|~)",
        });
    }
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(HttpConfigError::InvalidHeader {
            name: name.to_owned(),
            reason: "a header value must not contain control characters",
        });
    }
    Ok(())
}

/// Whether the client must treat a session id as valid: visible ASCII only.
fn valid_session_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl Client {
    /// A client for an MCP server over HTTP, starting its era detection at
    /// `now`. The first request is ready in
    /// [`poll_output`](Client::poll_output) as an
    /// [`Output::Http`](crate::Output::Http).
    pub fn new_http(
        config: crate::Config,
        http: HttpOptions,
        now: Instant,
    ) -> Result<Client, HttpConfigError> {
        let link = HttpLink::new(http, &config.limits)?;
        Ok(Client::with_link(config, Some(Box::new(link)), now))
    }

    /// Feeds what happened to an HTTP exchange (see [`crate::http`]).
    ///
    /// Events for exchanges the core aborted or never made are ignored. A
    /// body chunk is refused with `UsageError::Backlogged` while the event
    /// queue is full: drain `poll_output`, then hand the same chunk in
    /// again.
    pub fn handle_http(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        event: HttpEvent<'_>,
    ) -> Result<(), UsageError> {
        self.advance(now);
        let Some(link) = self.http.as_mut() else {
            return Err(UsageError::NotHttp);
        };
        if !link.exchanges.contains_key(&exchange) {
            return Ok(());
        }
        if self.closed.is_some() && link.deleting != Some(exchange) {
            if matches!(event, HttpEvent::End | HttpEvent::Failed(_)) {
                link.forget(exchange);
            }
            return Ok(());
        }
        if link.gate == Some(exchange) && !matches!(event, HttpEvent::Body(_)) {
            link.open_gate();
        }
        match event {
            HttpEvent::Head(head) => self.on_http_head(exchange, head),
            HttpEvent::Body(bytes) => {
                if self.events.full(&self.cfg.limits) {
                    return Err(UsageError::Backlogged {
                        buffered: bytes.len(),
                    });
                }
                self.on_http_body(exchange, bytes);
            }
            HttpEvent::End => self.on_http_end(exchange, None),
            HttpEvent::Failed(f) => self.on_http_end(exchange, Some(f)),
        }
        Ok(())
    }

    /// The HTTP transport in use, once known (`None` for byte streams).
    pub fn http_transport(&self) -> Option<HttpTransport> {
        self.http.as_ref().map(|l| match l.mode {
            Mode::Streamable => HttpTransport::Streamable,
            Mode::Sse(_) | Mode::SseConnecting(_) => HttpTransport::LegacySse,
        })
    }

    /// Bytes of answers to the server's own requests whose HTTP exchanges
    /// have not ended (sent, or waiting for others to end before they go
    /// out), each counted as at least 16 KiB (0 over a byte
    /// stream): over HTTP, what
    /// [`Limits::max_unwritten_replies`](crate::Limits::max_unwritten_replies)
    /// bounds. A driver stops reading response bodies while it is over.
    pub fn replies_in_flight(&self) -> usize {
        self.http.as_ref().map_or(0, |l| l.replies_in_flight)
    }

    /// The current MCP session id (2025-03-26 .. 2025-11-25 Streamable HTTP),
    /// if the server assigned one.
    pub fn session_id(&self) -> Option<&str> {
        self.http.as_ref()?.session.as_deref()
    }

    // ----- sending --------------------------------------------------------

    /// Routes a message just written at `mark` in `tx`: over HTTP it becomes
    /// a POST; on a byte stream it stays where it is.
    pub(super) fn emitted(&mut self, mark: usize, what: Outgoing<'_>) {
        self.tap_out(mark);
        if self.http.is_none() {
            return;
        }
        let mut body = self.tx.split_off(mark);
        if body.last() == Some(&b'\n') {
            body.pop();
        }
        self.post(body, what);
    }

    fn post(&mut self, body: Vec<u8>, what: Outgoing<'_>) {
        let version = self.version;
        let modern = version.is_some_and(|v| v.era() == Era::Modern);
        // Header values computed before the link is borrowed.
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            (
                "Accept".to_owned(),
                "application/json, text/event-stream".to_owned(),
            ),
        ];
        let (method, wire, call) = match &what {
            Outgoing::Request { wire, method, call } => (
                method.or_else(|| {
                    call.and_then(|c| self.calls.get(&c))
                        .map(|c| c.method.as_str())
                }),
                Some(*wire),
                *call,
            ),
            Outgoing::Notification { method } => (Some(*method), None, None),
            Outgoing::Response => (None, None, None),
        };
        let Some(link) = self.http.as_ref() else {
            return;
        };
        let streamable = link.mode == Mode::Streamable;
        if streamable {
            if let Some(v) = version {
                // `initialize` goes without: a 2025-06-18+ server refuses
                // versions it does not know, and the version is what
                // `initialize` negotiates.
                if method != Some("initialize") {
                    headers.push(("MCP-Protocol-Version".into(), v.as_str().into()));
                }
            }
            if modern {
                if let Some(m) = method {
                    headers.push(("Mcp-Method".into(), m.to_owned()));
                }
                if let (Some(m), Some(call)) = (method, call.and_then(|c| self.calls.get(&c))) {
                    let key = if m == "resources/read" { "uri" } else { "name" };
                    if matches!(m, "tools/call" | "prompts/get" | "resources/read") {
                        if let Some(Value::String(name)) = call.params.get(key) {
                            headers.push(("Mcp-Name".into(), headers::encode_value(name)));
                        }
                    }
                    if m == "tools/call" {
                        let tool = call.params.get("name").and_then(Value::as_str);
                        if let Some(spec) = tool.and_then(|t| link.tool_headers.get(t)) {
                            let args = call.params.get("arguments").and_then(Value::as_object);
                            headers.extend(headers::param_header_values(spec, args));
                        }
                    }
                }
            } else if let Some(h) = link.session_header() {
                headers.push(h);
            }
        }
        let posted = match what {
            Outgoing::Request { wire, .. } => Posted::Request { wire },
            Outgoing::Notification { method } => Posted::Notification {
                method: method.to_owned(),
            },
            Outgoing::Response => Posted::Response,
        };
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let url = link.post_url.clone();
        let initialized = matches!(&posted, Posted::Notification { method } if method == "notifications/initialized");
        let ex = link.request_gated(
            Purpose::Post(posted),
            HttpMethod::Post,
            url,
            headers,
            body,
            initialized,
        );
        if let Some(w) = wire {
            link.by_wire.insert(w, ex);
        }
    }

    /// Cancels request `wire` over HTTP. A 2026-07-28 server takes the
    /// closing of the response stream as the cancellation; older ones also
    /// get `notifications/cancelled`. Returns whether the notification is
    /// still to be sent.
    pub(super) fn http_cancel(&mut self, wire: i64) -> bool {
        let modern = self.modern() || matches!(self.phase, Phase::Probing { .. });
        let Some(link) = self.http.as_mut() else {
            return true;
        };
        link.resumes.remove(&wire);
        self.timers.clear(Timer::HttpResume(wire));
        if let Some(ex) = link.by_wire.remove(&wire) {
            link.abort(ex);
        }
        !modern
    }

    // ----- receiving ------------------------------------------------------

    fn on_http_head(&mut self, id: ExchangeId, head: HttpHead) {
        let initialize_wire = self
            .wire
            .iter()
            .find(|(_, w)| **w == Wire::Initialize)
            .map(|(n, _)| *n);
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let max = link.max_sse_event;
        let Some(ex) = link.exchanges.get_mut(&id) else {
            return;
        };
        let status = head.status;
        ex.status = Some(status);
        ex.retry_after = retry::retry_after(&head);
        let ok = (200..300).contains(&status);
        let content_type = head
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let sse = content_type.starts_with("text/event-stream");
        let json = content_type.starts_with("application/json") || content_type.is_empty();

        // The session starts with the answer to `initialize`.
        let mut new_session = None;
        if let (Purpose::Post(Posted::Request { wire }), Some(init)) =
            (&ex.purpose, initialize_wire)
        {
            if *wire == init && ok {
                new_session = head.header("mcp-session-id").map(str::to_owned);
            }
        }
        ex.body = match (&ex.purpose, ok) {
            (Purpose::Delete, _) | (Purpose::Post(Posted::Notification { .. }), true) => {
                Body::Ignore
            }
            (Purpose::Post(Posted::Response), true) => Body::Ignore,
            (_, true) if status == 202 || status == 204 => Body::Ignore,
            (Purpose::Resume { last_id, .. }, true) if sse => Body::Sse(Box::new(
                crate::sse::SseParser::resuming(max, Some(last_id.clone())),
            )),
            (Purpose::Standalone, true) if sse => Body::Sse(Box::new(
                crate::sse::SseParser::resuming(max, link.standalone_last_id.clone()),
            )),
            (_, true) if sse => Body::Sse(Box::new(crate::sse::SseParser::new(max))),
            // A stream was asked for and something else came.
            (Purpose::Standalone | Purpose::SseMain | Purpose::Resume { .. }, true) => {
                Body::Text(Vec::new())
            }
            (_, true) => Body::Json {
                buf: Vec::new(),
                over: 0,
            },
            (_, false) if json => Body::Json {
                buf: Vec::new(),
                over: 0,
            },
            (_, false) => Body::Text(Vec::new()),
        };
        ex.was_sse = matches!(ex.body, Body::Sse(_));
        if let Some(s) = new_session {
            if valid_session_id(&s) {
                link.session = Some(s);
            } else {
                self.violation(
                    ViolationKind::InvalidMessage,
                    format!(
                        "session id {:?} has characters outside visible ASCII; ignored",
                        super::snippet(&s, 80)
                    ),
                );
            }
        }
    }

    fn on_http_body(&mut self, id: ExchangeId, bytes: &[u8]) {
        let max_frame = self.cfg.limits.max_frame_size;
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let Some(ex) = link.exchanges.get_mut(&id) else {
            return;
        };
        let events: Vec<Result<SseEvent, SseError>> = match &mut ex.body {
            Body::Waiting | Body::Ignore => return,
            Body::Json { buf, over } => {
                if *over > 0 || buf.len() + bytes.len() > max_frame {
                    *over = over.saturating_add(buf.len() + bytes.len());
                    *buf = Vec::new();
                } else {
                    buf.extend_from_slice(bytes);
                }
                return;
            }
            Body::Text(buf) => {
                let room = ERROR_BODY.saturating_sub(buf.len());
                buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
                return;
            }
            Body::Sse(parser) => {
                parser.push(bytes);
                std::iter::from_fn(|| parser.next_event()).collect()
            }
        };
        for e in events {
            if self.closed.is_some() {
                return;
            }
            self.on_sse_event(id, e);
        }
    }

    fn on_sse_event(&mut self, id: ExchangeId, event: Result<SseEvent, SseError>) {
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let Some(ex) = link.exchanges.get_mut(&id) else {
            return;
        };
        let wire = ex.purpose.wire();
        let event = match event {
            Ok(e) => e,
            Err(SseError::EventTooLarge { len, limit }) => {
                return self.too_large(wire, format!("SSE event of {len} bytes"), len, limit);
            }
        };
        if let Some(last) = &event.id {
            match &ex.purpose {
                Purpose::Standalone => link.standalone_last_id = Some(last.clone()),
                _ => ex.last_id = Some(last.clone()),
            }
        }
        if matches!(ex.purpose, Purpose::SseMain) && event.event == "endpoint" {
            let data = String::from_utf8_lossy(&event.data).trim().to_owned();
            return self.on_endpoint(&data);
        }
        if event.data.is_empty() || event.event != "message" {
            // A priming event (an id, no data), or a type MCP does not use.
            return;
        }
        ex.messages += 1;
        if matches!(ex.purpose, Purpose::Standalone) {
            link.standalone_fruitless = 0;
        }
        if let Some(r) = wire.and_then(|w| link.resumes.get_mut(&w)) {
            r.fruitless = 0;
        }
        self.deliver_http(wire, event.data);
    }

    /// One JSON-RPC message (or batch) from exchange output, decoded like a
    /// stdio line, with the request it came for as context.
    fn deliver_http(&mut self, wire: Option<i64>, data: Vec<u8>) {
        if let Some(link) = self.http.as_mut() {
            link.context = wire;
        }
        self.on_frame(Frame::Line(data));
        if let Some(link) = self.http.as_mut() {
            link.context = None;
        }
    }

    fn on_http_end(&mut self, id: ExchangeId, failure: Option<HttpFailure>) {
        let in_session = self.session_id().is_some()
            && self.http_transport() == Some(super::HttpTransport::Streamable);
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let Some(mut ex) = link.forget(id) else {
            return;
        };
        link.by_wire.retain(|_, e| *e != id);
        let wire = ex.purpose.wire();
        // What the body still holds.
        let mut text = String::new();
        let mut too_large = None;
        match std::mem::replace(&mut ex.body, Body::Ignore) {
            Body::Json { buf, over } => {
                // A 404 to a POST in a session says the session is gone,
                // whatever its body holds (the TypeScript SDK adds an id-less
                // JSON-RPC error): not an answer to the request.
                let session_gone =
                    in_session && ex.status == Some(404) && matches!(ex.purpose, Purpose::Post(_));
                if over > 0 {
                    too_large = Some(over);
                } else if session_gone {
                    text = String::from_utf8_lossy(&buf[..buf.len().min(ERROR_BODY)]).into_owned();
                } else if failure.is_none() && !buf.iter().all(u8::is_ascii_whitespace) {
                    let is_json = buf
                        .iter()
                        .find(|b| !b.is_ascii_whitespace())
                        .is_some_and(|b| *b == b'{' || *b == b'[');
                    if is_json {
                        self.deliver_http(wire, buf);
                    } else {
                        text =
                            String::from_utf8_lossy(&buf[..buf.len().min(ERROR_BODY)]).into_owned();
                    }
                }
            }
            Body::Text(buf) => text = String::from_utf8_lossy(&buf).trim().to_owned(),
            Body::Sse(mut parser) => {
                parser.finish();
                if ex.last_id.is_none() {
                    ex.last_id = parser.last_event_id().map(str::to_owned);
                }
                ex.retry = parser.retry();
            }
            Body::Waiting | Body::Ignore => {}
        }
        if self.closed.is_some() {
            if self.http.as_ref().and_then(|l| l.deleting) == Some(id) {
                self.finish_close();
            }
            return;
        }
        if let Some(len) = too_large {
            let limit = self.cfg.limits.max_frame_size;
            let what = format!("HTTP response body of {len}+ bytes");
            return self.too_large(wire, what, len, limit);
        }
        match ex.purpose.clone() {
            Purpose::Post(Posted::Request { wire }) | Purpose::Resume { wire, .. } => {
                self.conclude_request(wire, &ex, failure, text)
            }
            Purpose::Post(Posted::Notification { method }) => {
                self.conclude_notification(&method, &ex, failure, text)
            }
            Purpose::Post(Posted::Response) => {
                self.conclude_notification("a response", &ex, failure, text)
            }
            Purpose::Standalone => self.conclude_standalone(&ex, failure),
            Purpose::SseMain => self.conclude_sse_main(&ex, failure, text),
            Purpose::Delete => {}
        }
    }

    /// The exchange that should have carried the answer to `wire` is over.
    fn conclude_request(
        &mut self,
        wire: i64,
        ex: &Exchange,
        failure: Option<HttpFailure>,
        text: String,
    ) {
        if !self.wire.contains_key(&wire) {
            return; // answered, or given up on
        }
        let sse_mode = self
            .http
            .as_ref()
            .is_some_and(|l| matches!(l.mode, Mode::Sse(_) | Mode::SseConnecting(_)));
        match (ex.status, failure) {
            (Some(status), _) if !(200..300).contains(&status) => {
                self.on_error_status(wire, ex, status, text)
            }
            (None, Some(f)) => self.on_exchange_failed(wire, f),
            _ if sse_mode && matches!(ex.purpose, Purpose::Post(_)) => {
                // 2024-11-05: answers come on the GET stream, not here.
            }
            (_, failure) => self.on_stream_ended(wire, ex, failure),
        }
    }

    /// A 2xx response ended (or broke) without the answer.
    fn on_stream_ended(&mut self, wire: i64, ex: &Exchange, failure: Option<HttpFailure>) {
        let modern = self.modern();
        let was_sse = ex.was_sse;
        let default_delay = self.http.as_ref().map(|l| l.opts.default_reconnect);
        let Some(link) = self.http.as_mut() else {
            return;
        };
        if was_sse && !modern {
            // Legacy: resume the stream where it broke, if the server gave
            // an event id to resume from.
            if let Some(last_id) = ex.last_id.clone() {
                let entry = link.resumes.entry(wire).or_insert(Resume {
                    last_id: last_id.clone(),
                    fruitless: 0,
                });
                entry.last_id = last_id;
                if ex.messages == 0 {
                    entry.fruitless += 1;
                }
                if entry.fruitless <= link.opts.max_reconnects {
                    let delay = ex
                        .retry
                        .map(Duration::from_millis)
                        .or(default_delay)
                        .unwrap_or(Duration::from_secs(1));
                    self.timers.set(Timer::HttpResume(wire), self.now + delay);
                    return;
                }
                link.resumes.remove(&wire);
                return self.fail_wire(
                    wire,
                    RequestError::Http(HttpError::StreamEnded { resumable: true }),
                );
            }
            return self.fail_wire(
                wire,
                RequestError::Http(HttpError::StreamEnded { resumable: false }),
            );
        }
        if was_sse && modern {
            // 2026-07-28: a broken stream lost the request; send it again.
            return self.reissue(wire, failure);
        }
        // A JSON answer that did not answer.
        let detail = match failure {
            Some(f) => return self.on_exchange_failed(wire, f),
            None => "the HTTP response did not contain the answer".to_owned(),
        };
        self.violation(ViolationKind::InvalidMessage, detail.clone());
        if self.closed.is_none() && self.wire.contains_key(&wire) {
            self.fail_wire_with(wire, |method| RequestError::InvalidResponse {
                method,
                detail,
            });
        }
    }

    /// A message over the size limit: reported, and the request it would
    /// have answered (if known) fails rather than waiting for its timeout.
    fn too_large(&mut self, wire: Option<i64>, what: String, len: usize, limit: usize) {
        self.violation(
            ViolationKind::FrameTooLarge,
            format!("{what} over the {limit}-byte limit; dropped"),
        );
        if let Some(w) = wire {
            self.fail_wire(w, RequestError::ResponseTooLarge { len, limit });
        }
    }

    /// Sends a request again with a new id after its stream broke
    /// (2026-07-28), within the retry budget.
    fn reissue(&mut self, wire: i64, failure: Option<HttpFailure>) {
        match self.wire.get(&wire).copied() {
            Some(Wire::Call(call)) => {
                if self.take_attempt(call) {
                    self.wire.remove(&wire);
                    self.remember_abandoned(wire);
                    self.send_call(call);
                } else {
                    let err = match failure {
                        Some(f) => HttpError::Failed(f),
                        None => HttpError::StreamEnded { resumable: false },
                    };
                    self.finish(call, Err(RequestError::Http(err)));
                }
            }
            Some(Wire::Listen) => self.reopen_listen(wire),
            Some(Wire::Probe) => {
                self.wire.remove(&wire);
                self.on_probe_answer(
                    wire,
                    Err(ErrorObject::new(
                        codes::INTERNAL_ERROR,
                        "the response stream ended before the answer",
                    )),
                );
            }
            Some(Wire::Initialize) | Some(Wire::HeaderRefresh { .. }) | None => self.fail_wire(
                wire,
                RequestError::Http(HttpError::StreamEnded { resumable: false }),
            ),
        }
    }

    /// A broken `subscriptions/listen` stream opens again with the same
    /// filter, a few times in a row at most.
    fn reopen_listen(&mut self, wire: i64) {
        let Some(link) = self.http.as_mut() else {
            return;
        };
        link.listen_reopens += 1;
        let give_up = link.listen_reopens > link.opts.max_reconnects;
        self.wire.remove(&wire);
        if give_up {
            self.on_listen_cancelled(wire, Some("the stream kept breaking".into()));
        } else {
            self.replace_listen(wire);
        }
    }

    /// An error status without a JSON-RPC answer.
    fn on_error_status(&mut self, wire: i64, ex: &Exchange, status: u16, text: String) {
        let session = self.session_id().is_some();
        let streamable = self.http_transport() == Some(super::HttpTransport::Streamable);
        if status == 404 && session && streamable && matches!(ex.purpose, Purpose::Post(_)) {
            return self.session_expired(Some(wire));
        }
        let error = HttpError::Status {
            status,
            body: super::snippet(&text, 200),
        };
        match self.wire.get(&wire).copied() {
            Some(Wire::Probe) => {
                if matches!(status, 401 | 403) {
                    self.wire.remove(&wire);
                    return self.close_with(CloseReason::Handshake(HandshakeError::Http {
                        method: "server/discover",
                        error,
                    }));
                }
                // Not a modern server (400/404/405 and the like): initialize.
                self.wire.remove(&wire);
                self.on_probe_answer(
                    wire,
                    Err(ErrorObject::new(codes::INTERNAL_ERROR, error.to_string())),
                );
            }
            Some(Wire::Initialize) => {
                self.wire.remove(&wire);
                let streamable_mode = self
                    .http
                    .as_ref()
                    .is_some_and(|l| l.mode == Mode::Streamable);
                if matches!(status, 400 | 404 | 405) && streamable_mode {
                    self.fall_back_to_sse();
                } else {
                    self.close_with(CloseReason::Handshake(HandshakeError::Http {
                        method: "initialize",
                        error,
                    }));
                }
            }
            Some(Wire::Listen) => {
                self.wire.remove(&wire);
                self.on_listen_failed(wire, RequestError::Http(error));
            }
            Some(Wire::Call(call)) => {
                let after = ex.retry_after;
                if retry::retryable_status(status) && self.may_retry(call, false) {
                    if let Some(delay) = self.retry_delay(call, after) {
                        return self.schedule_retry(call, wire, delay);
                    }
                }
                self.finish(call, Err(RequestError::Http(error)));
            }
            Some(Wire::HeaderRefresh { .. }) => self.fail_wire(wire, RequestError::Http(error)),
            None => {}
        }
    }

    /// An exchange that failed before its response began.
    fn on_exchange_failed(&mut self, wire: i64, f: HttpFailure) {
        match self.wire.get(&wire).copied() {
            Some(Wire::Probe) => {
                self.wire.remove(&wire);
                self.close_with(CloseReason::Handshake(HandshakeError::Http {
                    method: "server/discover",
                    error: HttpError::Failed(f),
                }))
            }
            Some(Wire::Initialize) => {
                self.wire.remove(&wire);
                self.close_with(CloseReason::Handshake(HandshakeError::Http {
                    method: "initialize",
                    error: HttpError::Failed(f),
                }))
            }
            Some(Wire::Listen) => self.reopen_listen(wire),
            Some(Wire::Call(call)) => {
                let unsent = f.kind == HttpFailureKind::Connect;
                if self.may_retry(call, unsent) {
                    if let Some(delay) = self.retry_delay(call, None) {
                        return self.schedule_retry(call, wire, delay);
                    }
                }
                self.finish(call, Err(RequestError::Http(HttpError::Failed(f))));
            }
            Some(Wire::HeaderRefresh { .. }) => {
                self.fail_wire(wire, RequestError::Http(HttpError::Failed(f)))
            }
            None => {}
        }
    }

    fn conclude_notification(
        &mut self,
        what: &str,
        ex: &Exchange,
        failure: Option<HttpFailure>,
        text: String,
    ) {
        let detail = match (ex.status, failure) {
            (Some(s), _) if (200..300).contains(&s) => return,
            (Some(404), _)
                if self.session_id().is_some()
                    && self.http_transport() == Some(super::HttpTransport::Streamable) =>
            {
                return self.session_expired(None);
            }
            (Some(s), _) => format!(
                "HTTP {s}{}",
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {}", super::snippet(&text, 200))
                }
            ),
            (None, Some(f)) => f.to_string(),
            (None, None) => "no response".to_owned(),
        };
        // The server refusing what the client sent is not a protocol breach
        // that should close a strict connection; it is reported, no more.
        self.report(Violation::new(
            ViolationKind::MessageRefused,
            format!("the server did not accept {what}: {detail}"),
        ));
    }

    // ----- streams --------------------------------------------------------

    /// After a legacy Streamable HTTP session is ready: the standalone GET.
    pub(super) fn http_ready(&mut self) {
        let legacy = !self.modern();
        let Some(link) = self.http.as_mut() else {
            return;
        };
        if legacy
            && link.mode == Mode::Streamable
            && link.opts.standalone_stream
            && matches!(link.standalone, Standalone::Off)
        {
            self.open_standalone(true);
        }
    }

    fn stream_headers(&self, last_id: Option<&str>) -> Vec<(String, String)> {
        let mut h = vec![("Accept".to_owned(), "text/event-stream".to_owned())];
        if let Some(v) = self.version {
            h.push(("MCP-Protocol-Version".into(), v.as_str().into()));
        }
        if let Some(s) = self.http.as_ref().and_then(|l| l.session_header()) {
            h.push(s);
        }
        if let Some(id) = last_id {
            h.push(("Last-Event-ID".into(), id.to_owned()));
        }
        h
    }

    /// Opens the standalone GET stream; `first` at a session's start, when
    /// requests wait for it (see `HttpLink::gate`).
    fn open_standalone(&mut self, first: bool) {
        let last = self
            .http
            .as_ref()
            .and_then(|l| l.standalone_last_id.clone());
        let headers = self.stream_headers(last.as_deref());
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let url = link.base.to_string();
        let ex = link.request_gated(
            Purpose::Standalone,
            HttpMethod::Get,
            url,
            headers,
            Vec::new(),
            first,
        );
        link.standalone = Standalone::Open(ex);
    }

    fn conclude_standalone(&mut self, ex: &Exchange, failure: Option<HttpFailure>) {
        let now = self.now;
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let refused = ex
            .status
            .is_some_and(|s| !(200..300).contains(&s) && s != 429 && s < 500)
            || (ex.status.is_some_and(|s| (200..300).contains(&s)) && !ex.was_sse);
        if refused {
            // 405 (no such stream), 404 and the like: the server has none.
            link.standalone = Standalone::Unavailable;
            return;
        }
        if ex.messages == 0 {
            link.standalone_fruitless += 1;
        }
        if link.standalone_fruitless > link.opts.max_reconnects {
            link.standalone = Standalone::Unavailable;
            let detail = match failure {
                Some(f) => f.to_string(),
                None => format!("HTTP {}", ex.status.unwrap_or(0)),
            };
            self.report(Violation::new(
                ViolationKind::MessageRefused,
                format!("the standalone SSE stream keeps failing ({detail}); no longer reopened"),
            ));
            return;
        }
        let delay = match ex.retry.map(Duration::from_millis) {
            Some(d) => d,
            None if ex.messages > 0 => link.opts.default_reconnect,
            None => {
                let policy = link.opts.retry.clone();
                let n = link.standalone_fruitless;
                link.jitter
                    .backoff(&policy, n)
                    .max(link.opts.default_reconnect)
            }
        };
        link.standalone = Standalone::Waiting;
        self.timers.set(Timer::HttpStandalone, now + delay);
    }

    pub(super) fn on_http_timer(&mut self, timer: Timer) {
        match timer {
            Timer::HttpStandalone if self.is_ready() && !self.modern() => {
                self.open_standalone(false)
            }
            Timer::HttpGate => {
                if let Some(link) = self.http.as_mut() {
                    if link.gate.is_some() {
                        link.open_gate();
                    }
                }
            }
            Timer::HttpResume(wire) => self.resume(wire),
            Timer::HttpRetry(call) => {
                if let Some(c) = self.calls.get(&call) {
                    if c.state == CallState::Backoff {
                        self.send_call(call);
                    }
                }
            }
            Timer::HttpClose => self.finish_close(),
            _ => {}
        }
    }

    /// GET with `Last-Event-ID`: the rest of request `wire`'s stream.
    fn resume(&mut self, wire: i64) {
        if !self.wire.contains_key(&wire) {
            if let Some(l) = self.http.as_mut() {
                l.resumes.remove(&wire);
            }
            return;
        }
        let Some(last_id) = self
            .http
            .as_ref()
            .and_then(|l| l.resumes.get(&wire))
            .map(|r| r.last_id.clone())
        else {
            return;
        };
        let headers = self.stream_headers(Some(&last_id));
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let url = link.base.to_string();
        let ex = link.request(
            Purpose::Resume { wire, last_id },
            HttpMethod::Get,
            url,
            headers,
            Vec::new(),
        );
        link.by_wire.insert(wire, ex);
    }

    // ----- the 2024-11-05 transport ---------------------------------------

    /// `initialize` was refused with 400/404/405: try the old transport.
    fn fall_back_to_sse(&mut self) {
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let url = link.base.to_string();
        let headers = vec![("Accept".to_owned(), "text/event-stream".to_owned())];
        let ex = link.request(Purpose::SseMain, HttpMethod::Get, url, headers, Vec::new());
        link.mode = Mode::SseConnecting(ex);
        // The handshake timer still runs and bounds the wait for `endpoint`.
        if let Phase::Initializing { .. } = self.phase {
        } else {
            self.phase = Phase::Initializing {
                late_discover: None,
            };
        }
    }

    fn on_endpoint(&mut self, data: &str) {
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let Mode::SseConnecting(stream) = link.mode else {
            return; // a second endpoint event: ignored
        };
        let endpoint = match link.base.join(data) {
            Ok(u) if u.origin() == link.base.origin() => u,
            Ok(u) => {
                let detail = format!(
                    "the server named an endpoint on another origin ({}); refused",
                    u.origin().ascii_serialization()
                );
                return self.close_with(CloseReason::Handshake(HandshakeError::Http {
                    method: "initialize",
                    error: HttpError::NotMcp(detail),
                }));
            }
            Err(e) => {
                let detail = format!("the endpoint event {data:?} is not a URL: {e}");
                return self.close_with(CloseReason::Handshake(HandshakeError::Http {
                    method: "initialize",
                    error: HttpError::NotMcp(detail),
                }));
            }
        };
        link.post_url = endpoint.to_string();
        link.mode = Mode::Sse(stream);
        let version = self
            .cfg
            .newest(Era::Legacy)
            .or(self.version)
            .unwrap_or(crate::ProtocolVersion::V2024_11_05);
        self.send_initialize(version);
    }

    fn conclude_sse_main(&mut self, ex: &Exchange, failure: Option<HttpFailure>, text: String) {
        let connecting = self
            .http
            .as_ref()
            .is_some_and(|l| matches!(l.mode, Mode::SseConnecting(_)));
        if connecting {
            let error = match (ex.status, failure) {
                (Some(s), _) if !(200..300).contains(&s) => HttpError::NotMcp(format!(
                    "POST initialize and GET both failed (GET: HTTP {s}{})",
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", super::snippet(&text, 200))
                    }
                )),
                (_, Some(f)) => HttpError::Failed(f),
                _ if !ex.was_sse => HttpError::NotMcp(
                    "POST initialize was refused, and GET did not open an event stream".into(),
                ),
                _ => HttpError::NotMcp("the event stream ended without an endpoint event".into()),
            };
            return self.close_with(CloseReason::Handshake(HandshakeError::Http {
                method: "initialize",
                error,
            }));
        }
        let error = match failure {
            Some(f) => HttpError::Failed(f),
            None => HttpError::StreamEnded { resumable: false },
        };
        self.close_with(CloseReason::Http(error));
    }

    // ----- sessions -------------------------------------------------------

    /// HTTP 404 with a session id: the server forgot the session. Start a
    /// new one; the request that got the 404 goes again in it.
    fn session_expired(&mut self, wire: Option<i64>) {
        let Some(link) = self.http.as_mut() else {
            return;
        };
        link.session_restarts += 1;
        if link.session_restarts > link.opts.max_session_restarts {
            return self.close_with(CloseReason::Http(HttpError::SessionExpired {
                may_have_run: false,
            }));
        }
        link.session = None;
        // The old session's own stream goes; requests still being answered
        // on their POST streams are left to finish (their answers count).
        if let Standalone::Open(ex) = link.standalone {
            link.abort(ex);
        }
        link.standalone = Standalone::Off;
        link.standalone_last_id = None;
        link.standalone_fruitless = 0;
        let resuming: Vec<i64> = std::mem::take(&mut link.resumes).into_keys().collect();
        self.timers.clear(Timer::HttpStandalone);
        self.events.push_back(Event::SessionExpired);

        // The request that got the 404 never ran: it goes again in the new
        // session. Streams waiting to be resumed cannot be, in a new
        // session: their calls go again if safe to repeat, or fail.
        let again = |w: i64| Some(w) == wire;
        let lost: Vec<(i64, CallId)> = self
            .wire
            .iter()
            .filter_map(|(w, k)| match k {
                Wire::Call(c) if again(*w) || resuming.contains(w) => Some((*w, *c)),
                _ => None,
            })
            .collect();
        for (w, call) in lost {
            self.wire.remove(&w);
            self.remember_abandoned(w);
            self.timers.clear(Timer::HttpResume(w));
            let repeat = again(w) || self.idempotent(call);
            match self.calls.get_mut(&call) {
                Some(c) if repeat => {
                    c.state = CallState::WaitingReady;
                    self.waiting_ready.push_back(call);
                }
                Some(_) => self.finish(
                    call,
                    Err(RequestError::Http(HttpError::SessionExpired {
                        may_have_run: true,
                    })),
                ),
                None => {}
            }
        }
        self.wire.retain(|_, k| !matches!(k, Wire::Initialize));
        let version = match self.version {
            Some(v) if v.era() == Era::Legacy => v,
            _ => match self.cfg.newest(Era::Legacy) {
                Some(v) => v,
                None => return,
            },
        };
        self.send_initialize(version);
    }

    // ----- retries --------------------------------------------------------

    /// Whether `call` may be sent again: safe to repeat (or never sent) and
    /// within the attempt budget. Does not count the attempt.
    fn may_retry(&self, call: CallId, unsent: bool) -> bool {
        let Some(link) = self.http.as_ref() else {
            return false;
        };
        let used = link.attempts.get(&call).copied().unwrap_or(0);
        used + 1 < link.opts.retry.max_attempts && (unsent || self.idempotent(call))
    }

    fn take_attempt(&mut self, call: CallId) -> bool {
        let Some(link) = self.http.as_mut() else {
            return false;
        };
        let used = link.attempts.entry(call).or_insert(0);
        if *used + 1 >= link.opts.retry.max_attempts {
            return false;
        }
        *used += 1;
        true
    }

    /// The wait before the next attempt, or `None` if the server asks for
    /// longer than the policy allows.
    fn retry_delay(&mut self, call: CallId, after: Option<Duration>) -> Option<Duration> {
        let link = self.http.as_mut()?;
        let n = link.attempts.get(&call).copied().unwrap_or(0) + 1;
        let policy = link.opts.retry.clone();
        match after {
            Some(d) if d > policy.max_delay => None,
            Some(d) => Some(d),
            None => Some(link.jitter.backoff(&policy, n)),
        }
    }

    fn schedule_retry(&mut self, call: CallId, wire: i64, delay: Duration) {
        if !self.take_attempt(call) {
            return;
        }
        self.wire.remove(&wire);
        self.remember_abandoned(wire);
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::Backoff;
        }
        self.timers.set(Timer::HttpRetry(call), self.now + delay);
    }

    /// Whether a call is safe to send twice: all methods this client knows
    /// except `tools/call` of tools that do not declare `idempotentHint`.
    fn idempotent(&self, call: CallId) -> bool {
        let Some(c) = self.calls.get(&call) else {
            return false;
        };
        let Some(link) = self.http.as_ref() else {
            return false;
        };
        match c.method.as_str() {
            "tools/call" => {
                link.opts.retry.retry_tool_calls
                    || c.params
                        .get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|t| link.idempotent_tools.contains(t))
            }
            m => matches!(
                m,
                "ping"
                    | "server/discover"
                    | "tools/list"
                    | "prompts/list"
                    | "prompts/get"
                    | "resources/list"
                    | "resources/templates/list"
                    | "resources/read"
                    | "resources/subscribe"
                    | "resources/unsubscribe"
                    | "completion/complete"
                    | "logging/setLevel"
                    | "tasks/get"
                    | "tasks/list"
                    | "tasks/result"
                    | "tasks/cancel"
            ),
        }
    }

    /// Forgets per-call retry state when a call ends. A call answered in a
    /// session shows the session works: the restart budget is restored.
    pub(super) fn http_call_ended(&mut self, call: CallId, answered: bool) {
        if let Some(link) = self.http.as_mut() {
            link.attempts.remove(&call);
            if answered {
                link.session_restarts = 0;
            }
        }
        self.timers.clear(Timer::HttpRetry(call));
    }

    /// A request (of any kind) failed for good.
    fn fail_wire(&mut self, wire: i64, err: RequestError) {
        self.fail_wire_with(wire, |_| err);
    }

    fn fail_wire_with(&mut self, wire: i64, err: impl FnOnce(String) -> RequestError) {
        let Some(kind) = self.wire.remove(&wire) else {
            return;
        };
        match kind {
            Wire::Call(call) => {
                let method = self
                    .calls
                    .get(&call)
                    .map(|c| c.method.clone())
                    .unwrap_or_default();
                self.finish(call, Err(err(method)));
            }
            Wire::HeaderRefresh { call, .. } => self.finish(call, Err(err("tools/list".into()))),
            Wire::Listen => self.on_listen_failed(wire, err("subscriptions/listen".into())),
            Wire::Probe | Wire::Initialize => {
                let method = if kind == Wire::Probe {
                    "server/discover"
                } else {
                    "initialize"
                };
                let error = match err(method.to_owned()) {
                    RequestError::Http(e) => e,
                    other => HttpError::NotMcp(other.to_string()),
                };
                self.close_with(CloseReason::Handshake(HandshakeError::Http {
                    method,
                    error,
                }));
            }
        }
    }

    // ----- tools/list over modern HTTP --------------------------------------

    /// Fetches a page of `tools/list` for `call`, refused with
    /// `HeaderMismatch`: the call is in flight as that request (a timeout
    /// or a cancel ends it as usual) until its tool is found.
    pub(super) fn refresh_tool_headers(&mut self, call: CallId, cursor: Option<String>, page: u32) {
        let Some(version) = self.version else {
            return;
        };
        let wire = self.alloc_wire();
        let mut params = crate::model::JsonObject::new();
        if let Some(c) = cursor {
            params.insert("cursor".into(), Value::String(c));
        }
        self.wire.insert(wire, Wire::HeaderRefresh { call, page });
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::InFlight(wire);
        }
        self.write_internal_request(wire, "tools/list", &params, version);
    }

    /// A page of the refresh: the tool's annotations are learned again and
    /// the call retried once, or the next page fetched; a tool that is gone,
    /// or a list that fails, ends the call with the original error.
    pub(super) fn on_header_refresh(
        &mut self,
        call: CallId,
        page: u32,
        wire: i64,
        answer: Result<RawJson, ErrorObject>,
    ) {
        let modern = self.modern();
        let max_pages = self.cfg.max_pages;
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        if c.state != CallState::InFlight(wire) {
            return;
        }
        let tool = c
            .params
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let original = c.header_mismatch.clone();
        let listed: Option<crate::model::JsonObject> = answer.ok().and_then(|r| r.decode().ok());
        let found = listed.as_ref().and_then(|l| {
            l.get("tools")?
                .as_array()?
                .iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(tool.as_str()))
        });
        if let (Some(t), Some(link)) = (found, self.http.as_mut()) {
            let _ = link.learn_tool(t, modern);
            match self.http_rejected_tool("tools/call", &self.calls[&call].params) {
                Some(e) => self.finish(call, Err(e)),
                None => self.send_call(call),
            }
            return;
        }
        let next = listed
            .as_ref()
            .and_then(|l| l.get("nextCursor"))
            .and_then(Value::as_str);
        match next {
            Some(cursor) if page < max_pages => {
                self.refresh_tool_headers(call, Some(cursor.to_owned()), page + 1)
            }
            _ => {
                let err = original
                    .unwrap_or_else(|| ErrorObject::new(codes::HEADER_MISMATCH, "header mismatch"));
                self.finish(call, Err(RequestError::Server(err)));
            }
        }
    }

    /// Applies the `x-mcp-header` rules to a `tools/list` reply: tools with
    /// invalid annotations are dropped (and reported), the others' headers
    /// remembered for their calls.
    pub(super) fn http_filter_tools(&mut self, reply: &mut Reply) {
        let modern = self.modern();
        let Some(link) = self.http.as_mut() else {
            return;
        };
        let mut page: crate::model::JsonObject = match reply.result.decode() {
            Ok(p) => p,
            Err(_) => return,
        };
        let Some(Value::Array(tools)) = page.get_mut("tools") else {
            return;
        };
        let mut rejected = Vec::new();
        tools.retain(|tool| match link.learn_tool(tool, modern) {
            Ok(()) => true,
            Err(reason) => {
                let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
                rejected.push((name.to_owned(), reason));
                false
            }
        });
        if rejected.is_empty() {
            return;
        }
        if let Ok(raw) = RawJson::from_serialize(&page) {
            reply.result = raw;
        }
        for (name, reason) in rejected {
            self.report(Violation::new(
                ViolationKind::InvalidTool,
                format!("tool {name:?} left out of tools/list: {reason}"),
            ));
        }
    }

    /// A `tools/call` of a tool that was dropped for invalid annotations.
    pub(super) fn http_rejected_tool(
        &self,
        method: &str,
        params: &crate::model::JsonObject,
    ) -> Option<RequestError> {
        if method != "tools/call" {
            return None;
        }
        let link = self.http.as_ref()?;
        let name = params.get("name")?.as_str()?;
        let reason = link.rejected_tools.get(name)?;
        Some(RequestError::ToolRejected {
            tool: name.to_owned(),
            reason: reason.clone(),
        })
    }

    // ----- closing ----------------------------------------------------------

    /// Starts closing the HTTP side: every exchange is aborted and a
    /// session is ended with `DELETE`. Returns true if the transport closes
    /// later (when the `DELETE` is answered or times out).
    pub(super) fn http_begin_close(&mut self) -> bool {
        let headers = self.stream_headers(None);
        let now = self.now;
        let Some(link) = self.http.as_mut() else {
            return false;
        };
        // What never left is dropped without a word to the adapter.
        for r in std::mem::take(&mut link.replies_waiting) {
            link.exchanges.remove(&r.id);
        }
        link.replies_in_flight = link.replies_sent;
        for (r, _) in std::mem::take(&mut link.held) {
            link.forget(r.id);
        }
        link.gate = None;
        let open: Vec<ExchangeId> = link.exchanges.keys().copied().collect();
        for ex in open {
            link.abort(ex);
        }
        link.resumes.clear();
        if link.mode != Mode::Streamable || link.session.is_none() {
            return false;
        }
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("accept"))
            .collect();
        let url = link.base.to_string();
        let ex = link.request(
            Purpose::Delete,
            HttpMethod::Delete,
            url,
            headers,
            Vec::new(),
        );
        link.deleting = Some(ex);
        let wait = link.opts.close_timeout;
        self.timers.set(Timer::HttpClose, now + wait);
        true
    }

    fn finish_close(&mut self) {
        if let Some(link) = self.http.as_mut() {
            if let Some(ex) = link.deleting.take() {
                link.abort(ex);
            }
        }
        self.timers.clear(Timer::HttpClose);
        if self.transport == super::TransportClose::Open {
            self.transport = super::TransportClose::Pending;
        }
    }

    /// The id-less error in a response to request `wire` is its answer.
    pub(super) fn http_idless_error(&mut self, error: ErrorObject) -> bool {
        let Some(wire) = self.http.as_ref().and_then(|l| l.context) else {
            return false;
        };
        if !self.wire.contains_key(&wire) {
            return false;
        }
        self.on_answer(crate::model::RequestId::Number(wire), Err(error));
        true
    }

    /// The listen stream a notification without a subscription id came on.
    /// The call whose response stream the message being read came on.
    pub(super) fn http_context_call(&self) -> Option<CallId> {
        let wire = self.http.as_ref()?.context?;
        match self.wire.get(&wire)? {
            Wire::Call(call) | Wire::HeaderRefresh { call, .. } => Some(*call),
            _ => None,
        }
    }

    pub(super) fn http_context_listen(&self) -> Option<i64> {
        let wire = self.http.as_ref()?.context?;
        self.subs.is_listen(wire).then_some(wire)
    }

    /// The listen stream was acknowledged: reopening budget restored.
    pub(super) fn http_listen_acked(&mut self) {
        if let Some(link) = self.http.as_mut() {
            link.listen_reopens = 0;
        }
    }

    /// The next request to perform or abort.
    pub(super) fn poll_http(&mut self) -> Option<crate::Output> {
        let link = self.http.as_mut()?;
        Some(match link.out.pop_front()? {
            HttpOut::Request(r) => {
                if link.gate == Some(r.id) {
                    // Leaving now: it has until then to be answered.
                    self.timers.set(Timer::HttpGate, self.now + GATE_WAIT);
                }
                crate::Output::Http(r)
            }
            HttpOut::Abort(id) => crate::Output::AbortHttp(id),
        })
    }
}
