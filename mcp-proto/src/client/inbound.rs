//! Receiving: frames from the deframer, decoded once, routed by kind.

use crate::error::{RequestError, ViolationKind};
use crate::event::{Direction, Event, Notification};
use crate::framing::{Frame, OversizedFrame};
use crate::jsonrpc::{self, DecodeError, Kind};
use crate::model::{
    codes, meta, CancelledNotificationParams, ErrorObject, RequestId,
    ResourceUpdatedNotificationParams, SubscriptionsAcknowledgedNotificationParams,
};
use crate::raw::{subrange, RawJson};
use crate::tap;

use super::subscriptions::Subscription;
use super::{snippet, Client, Wire};

/// How much of an offending frame goes into a violation report.
const SNIPPET: usize = 200;

/// A message after decoding, owning what it needs.
enum Inbound {
    Request {
        id: RequestId,
        method: String,
        params: Option<RawJson>,
    },
    Notification {
        method: String,
        params: Option<RawJson>,
    },
    Answer {
        id: RequestId,
        answer: Result<RawJson, ErrorObject>,
    },
    IdlessError(ErrorObject),
}

impl Client {
    /// Processes buffered frames while the event queue has room (or all of
    /// them, when `all`).
    pub(super) fn process_input(&mut self, all: bool) {
        while self.closed.is_none() {
            if !all && self.events.full(&self.cfg.limits) {
                break;
            }
            let Some(frame) = self.deframer.next_frame() else {
                break;
            };
            self.on_frame(frame);
        }
    }

    pub(super) fn on_frame(&mut self, frame: Frame) {
        let before = self.tx.len();
        self.route_frame(frame);
        // What this frame made the client write (over HTTP it became
        // exchanges of its own and `tx` did not grow).
        self.reactive = self
            .reactive
            .saturating_add(self.tx.len().saturating_sub(before));
    }

    fn route_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Oversized(o) => self.on_oversized(o),
            Frame::Line(bytes) => {
                if self.cfg.wire_tap {
                    let rec = tap::record(
                        Direction::In,
                        &bytes,
                        &self.cfg.redact_keys,
                        self.cfg.limits.max_wire_record,
                    );
                    self.events.push_back(Event::Wire(rec));
                }
                match String::from_utf8(bytes) {
                    Ok(text) => self.on_text(text),
                    Err(e) => {
                        let shown = String::from_utf8_lossy(e.as_bytes());
                        let what = format!("{} in {}", e.utf8_error(), snippet(&shown, SNIPPET));
                        self.violation(ViolationKind::InvalidUtf8, format!("{what}; line skipped"));
                        self.on_malformed(e.as_bytes(), ViolationKind::InvalidUtf8, what);
                    }
                }
            }
        }
    }

    fn on_text(&mut self, text: String) {
        let batch = match jsonrpc::decode_frame(&text) {
            Err(e) => return self.on_decode_error(e, &text),
            Ok(jsonrpc::Frame::Single(msg)) => {
                let quirks = msg.quirks;
                let owned = own(msg.kind, &text);
                self.report_quirks(quirks, &text);
                let inbound = match owned {
                    Owned::Ready(inbound) => inbound,
                    Owned::Result { id, range } => Inbound::Answer {
                        id,
                        answer: Ok(RawJson::from_frame(text, range)),
                    },
                };
                return self.on_message(inbound);
            }
            Ok(jsonrpc::Frame::Batch(items)) => {
                items.iter().map(|i| i.get().to_owned()).collect::<Vec<_>>()
            }
        };
        if !self.version.is_some_and(|v| v.allows_batches()) {
            self.violation(
                ViolationKind::UnexpectedBatch,
                format!("a batch of {} messages; processed anyway", batch.len()),
            );
        }
        for item in batch {
            if self.closed.is_some() {
                return;
            }
            match jsonrpc::decode_message(&item) {
                Err(e) => self.on_decode_error(e, &item),
                Ok(msg) => {
                    let quirks = msg.quirks;
                    let owned = own(msg.kind, &item);
                    self.report_quirks(quirks, &item);
                    let inbound = match owned {
                        Owned::Ready(inbound) => inbound,
                        Owned::Result { id, range } => Inbound::Answer {
                            id,
                            answer: Ok(RawJson::from_frame(item, range)),
                        },
                    };
                    self.on_message(inbound);
                }
            }
        }
    }

    fn on_decode_error(&mut self, e: DecodeError, text: &str) {
        let kind = match &e {
            DecodeError::NotJson(_) => ViolationKind::NotJson,
            DecodeError::Invalid(_) => ViolationKind::InvalidMessage,
        };
        let what = format!("{e}: {}", snippet(text, SNIPPET));
        self.violation(kind, format!("{what}; skipped"));
        self.on_malformed(text.as_bytes(), kind, what);
    }

    /// A line that could not be decoded (already reported as a violation).
    /// If a look at its top-level keys finds the id of a request the client
    /// is waiting on, and no method (it is an answer, not a request), that
    /// request ends now with the defect instead of waiting out its timeout.
    /// A legacy server's own request is answered with an error, so it does
    /// not wait either.
    fn on_malformed(&mut self, line: &[u8], kind: ViolationKind, detail: String) {
        if self.closed.is_some() {
            return;
        }
        let peek = crate::framing::peek(line);
        match (peek.id, peek.method) {
            (Some(RequestId::Number(n)), None) => match self.wire.get(&n).copied() {
                Some(Wire::Call(call)) | Some(Wire::HeaderRefresh { call, .. }) => {
                    self.wire.remove(&n);
                    self.finish(call, Err(RequestError::MalformedResponse { kind, detail }));
                }
                Some(Wire::Probe) | Some(Wire::Initialize) | Some(Wire::Listen) => {
                    // The handshake and the listen stream take it as the
                    // error answer it most likely was.
                    let err = ErrorObject::new(
                        codes::INTERNAL_ERROR,
                        format!("malformed answer ({kind}): {detail}"),
                    );
                    self.on_answer(RequestId::Number(n), Err(err));
                }
                None => {}
            },
            (Some(id), Some(method)) if !self.modern() => {
                let code = match kind {
                    ViolationKind::InvalidMessage => codes::INVALID_REQUEST,
                    _ => codes::PARSE_ERROR,
                };
                let err = ErrorObject::new(
                    code,
                    format!("the client could not read this {method} request ({kind})"),
                );
                self.write_error_response(&id, &err);
            }
            _ => {}
        }
    }

    fn report_quirks(&mut self, q: jsonrpc::Quirks, text: &str) {
        if q.missing_version {
            self.violation(
                ViolationKind::MissingJsonrpcVersion,
                format!("{}; processed anyway", snippet(text, SNIPPET)),
            );
        }
        if q.result_and_error {
            self.violation(
                ViolationKind::ResultAndError,
                format!("{}; treated as an error", snippet(text, SNIPPET)),
            );
        }
        if q.malformed_error {
            self.violation(
                ViolationKind::InvalidMessage,
                format!(
                    "error member is not {{code, message}}: {}; kept as text",
                    snippet(text, SNIPPET)
                ),
            );
        }
    }

    fn on_message(&mut self, inbound: Inbound) {
        if self.closed.is_some() {
            return;
        }
        match inbound {
            Inbound::Answer { id, answer } => self.on_answer(id, answer),
            Inbound::IdlessError(error) => {
                // Over HTTP the response it came in says which request it
                // answers.
                if self.http.is_some() && self.http_idless_error(error.clone()) {
                    return;
                }
                self.violation(ViolationKind::ErrorWithoutId, format!("{error}"));
                if self.closed.is_none() {
                    self.on_idless_error_while_probing(error);
                }
            }
            Inbound::Request { id, method, params } => self.on_server_request(id, &method, params),
            Inbound::Notification { method, params } => self.on_notification(&method, params),
        }
    }

    pub(super) fn on_answer(&mut self, id: RequestId, answer: Result<RawJson, ErrorObject>) {
        let RequestId::Number(n) = id else {
            return self.violation(
                ViolationKind::UnknownResponseId,
                format!("response to id {id}, which this client never uses"),
            );
        };
        match self.wire.remove(&n) {
            Some(Wire::Probe) => self.on_probe_answer(n, answer),
            Some(Wire::Initialize) => self.on_initialize_answer(answer),
            Some(Wire::Listen) => self.on_listen_answer(n, answer),
            Some(Wire::Call(call)) => self.on_call_answer(call, n, answer),
            Some(Wire::HeaderRefresh { call, page }) => {
                self.on_header_refresh(call, page, n, answer)
            }
            None if self.abandoned_set.contains(&n) => {
                // A late answer to a request the client gave up on: expected,
                // and dropped (the spec says to ignore it).
            }
            None => {
                let what = if n > 0 && n < self.next_wire {
                    "already answered"
                } else {
                    "never sent"
                };
                self.violation(
                    ViolationKind::UnknownResponseId,
                    format!("response to id {n}, which was {what}; ignored"),
                );
            }
        }
    }

    /// A frame over the size limit: drop it, and fail the request it answers
    /// rather than letting that request run into its timeout.
    fn on_oversized(&mut self, o: OversizedFrame) {
        let limit = self.cfg.limits.max_frame_size;
        let who = match (&o.id, &o.method) {
            (Some(id), Some(m)) => format!("request {m} (id {id})"),
            (Some(id), None) => format!("response to id {id}"),
            (None, Some(m)) => format!("notification {m}"),
            (None, None) => "unidentified message".to_owned(),
        };
        self.violation(
            ViolationKind::FrameTooLarge,
            format!(
                "{who} of {} bytes over the {limit}-byte limit; dropped",
                o.len
            ),
        );
        if self.closed.is_some() {
            return;
        }
        match (o.id, o.method) {
            (Some(RequestId::Number(n)), None) => match self.wire.get(&n).copied() {
                Some(Wire::Call(call)) | Some(Wire::HeaderRefresh { call, .. }) => {
                    self.wire.remove(&n);
                    self.finish(
                        call,
                        Err(RequestError::ResponseTooLarge { len: o.len, limit }),
                    );
                }
                Some(Wire::Probe) | Some(Wire::Initialize) | Some(Wire::Listen) => {
                    self.wire.remove(&n);
                    let err = ErrorObject::new(
                        codes::INTERNAL_ERROR,
                        format!("answer of {} bytes over the frame limit", o.len),
                    );
                    self.on_answer(RequestId::Number(n), Err(err));
                }
                None => {}
            },
            (Some(id), Some(method)) if !self.modern() => {
                // A legacy server waits for an answer to its request; tell it.
                let err = ErrorObject::new(
                    codes::INVALID_REQUEST,
                    format!(
                        "{method} request of {} bytes is over the client's frame limit",
                        o.len
                    ),
                );
                self.write_error_response(&id, &err);
            }
            _ => {}
        }
    }

    fn on_notification(&mut self, method: &str, params: Option<RawJson>) {
        // Only listen-stream notifications of a modern server carry a
        // subscription id; progress and logs never do.
        let on_stream = !matches!(method, "notifications/progress" | "notifications/message");
        let sub_id = (self.modern() && on_stream)
            .then(|| params.as_ref().and_then(|p| p.decode::<MetaOnly>().ok()))
            .flatten()
            .and_then(|m| m.meta)
            .and_then(|m| meta::subscription_id(&m))
            // Over HTTP the listen stream it came on identifies it too.
            .or_else(|| {
                (self.modern() && on_stream)
                    .then(|| self.http_context_listen())
                    .flatten()
                    .map(RequestId::Number)
            });
        match method {
            "notifications/progress" => self.on_progress(params),
            "notifications/message" => match decode(&params) {
                Ok(p) => self
                    .events
                    .push_back(Event::Notification(Notification::Log(p))),
                Err(e) => self.bad_notification(method, params, e),
            },
            "notifications/tools/list_changed" => {
                self.cache.invalidate_method("tools/list");
                self.list_changed(
                    sub_id,
                    Subscription::ToolsListChanged,
                    Notification::ToolsListChanged,
                );
            }
            "notifications/prompts/list_changed" => {
                self.cache.invalidate_method("prompts/list");
                self.list_changed(
                    sub_id,
                    Subscription::PromptsListChanged,
                    Notification::PromptsListChanged,
                );
            }
            "notifications/resources/list_changed" => {
                self.cache.invalidate_method("resources/list");
                self.cache.invalidate_method("resources/templates/list");
                self.list_changed(
                    sub_id,
                    Subscription::ResourcesListChanged,
                    Notification::ResourcesListChanged,
                );
            }
            "notifications/resources/updated" => {
                match decode::<ResourceUpdatedNotificationParams>(&params) {
                    Ok(p) => {
                        self.cache.invalidate_uri(&p.uri);
                        if !self.modern()
                            || self.accept_listen_notification(
                                sub_id.as_ref(),
                                &Subscription::Resource(p.uri.clone()),
                            )
                        {
                            self.events
                                .push_back(Event::Notification(Notification::ResourceUpdated(p)));
                        }
                    }
                    Err(e) => self.bad_notification(method, params, e),
                }
            }
            "notifications/cancelled" => match decode::<CancelledNotificationParams>(&params) {
                Ok(p) => {
                    let Some(id) = p.request_id else { return };
                    if let RequestId::Number(n) = &id {
                        if self.modern() && self.subs.is_listen(*n) {
                            return self.on_listen_cancelled(*n, p.reason);
                        }
                    }
                    // Unknown ids are ignored, as the spec says: the request
                    // may have finished already.
                    self.on_server_cancelled(&id, p.reason);
                }
                Err(e) => self.bad_notification(method, params, e),
            },
            "notifications/subscriptions/acknowledged" => {
                match decode::<SubscriptionsAcknowledgedNotificationParams>(&params) {
                    Ok(p) => match sub_id {
                        Some(RequestId::Number(n)) => self.on_listen_ack(n, p),
                        other => self.violation(
                            ViolationKind::UnexpectedSubscriptionMessage,
                            format!(
                                "acknowledgement with subscription id {other:?}, which is not open"
                            ),
                        ),
                    },
                    Err(e) => self.bad_notification(method, params, e),
                }
            }
            "notifications/elicitation/complete" => match decode(&params) {
                Ok(p) => self
                    .events
                    .push_back(Event::Notification(Notification::ElicitationComplete(p))),
                Err(e) => self.bad_notification(method, params, e),
            },
            "notifications/tasks/status" => match decode(&params) {
                Ok(p) => self
                    .events
                    .push_back(Event::Notification(Notification::TaskStatus(Box::new(p)))),
                Err(e) => self.bad_notification(method, params, e),
            },
            _ => {
                if self.cfg.tolerance == crate::Tolerance::Strict {
                    return self.violation(ViolationKind::UnknownNotification, method.to_owned());
                }
                self.events
                    .push_back(Event::Notification(Notification::Other {
                        method: method.to_owned(),
                        params,
                    }));
            }
        }
    }

    fn list_changed(&mut self, sub_id: Option<RequestId>, what: Subscription, n: Notification) {
        if !self.modern() || self.accept_listen_notification(sub_id.as_ref(), &what) {
            self.events.push_back(Event::Notification(n));
        }
    }

    fn on_progress(&mut self, params: Option<RawJson>) {
        let p: crate::model::ProgressNotificationParams = match decode(&params) {
            Ok(p) => p,
            Err(e) => return self.bad_notification("notifications/progress", params, e),
        };
        let Some(&call) = self.progress.get(&p.progress_token) else {
            return self.violation(
                ViolationKind::UnknownProgressToken,
                format!("token {}; ignored", p.progress_token),
            );
        };
        let now = self.now;
        if let Some(c) = self.calls.get(&call) {
            if c.reset_on_progress && matches!(c.state, super::calls::CallState::InFlight(_)) {
                let deadline = c.deadline_from(now);
                self.timers.set(super::timers::Timer::Call(call), deadline);
            }
        }
        self.events.push_back(Event::Progress { call, progress: p });
    }

    fn bad_notification(&mut self, method: &str, params: Option<RawJson>, e: serde_json::Error) {
        self.violation(
            ViolationKind::InvalidNotification,
            format!("{method}: {e}; delivered as Notification::Other"),
        );
        if self.closed.is_none() {
            self.events
                .push_back(Event::Notification(Notification::Other {
                    method: method.to_owned(),
                    params,
                }));
        }
    }
}

/// A decoded message's parts, owned, except a result which stays a range of
/// the frame until the frame can be moved.
enum Owned {
    Ready(Inbound),
    Result {
        id: RequestId,
        range: std::ops::Range<usize>,
    },
}

fn own(kind: Kind<'_>, frame: &str) -> Owned {
    let detach = |p: Option<&serde_json::value::RawValue>| {
        p.map(|p| RawJson::from_string(p.get().to_owned()))
    };
    Owned::Ready(match kind {
        Kind::Request { id, method, params } => Inbound::Request {
            id,
            method: method.into_owned(),
            params: detach(params),
        },
        Kind::Notification { method, params } => Inbound::Notification {
            method: method.into_owned(),
            params: detach(params),
        },
        Kind::Result { id, result } => match subrange(frame, result.get()) {
            Some(range) => return Owned::Result { id, range },
            None => Inbound::Answer {
                id,
                answer: Ok(RawJson::from_string(result.get().to_owned())),
            },
        },
        Kind::Error {
            id: Some(id),
            error,
        } => Inbound::Answer {
            id,
            answer: Err(error),
        },
        Kind::Error { id: None, error } => Inbound::IdlessError(error),
    })
}

/// Params with only `_meta` read.
#[derive(serde::Deserialize)]
struct MetaOnly {
    #[serde(rename = "_meta", default)]
    meta: Option<crate::model::Meta>,
}

fn decode<T: serde::de::DeserializeOwned>(
    params: &Option<RawJson>,
) -> Result<T, serde_json::Error> {
    match params {
        Some(p) => p.decode(),
        None => serde_json::from_str("{}"),
    }
}
