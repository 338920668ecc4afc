//! Sending: dispatching a call once the server is ready, and writing frames.
//!
//! Every request line is written straight from the call's params with the
//! core's fields laid over them ([`ParamsView`]); modern requests get the
//! per-request `_meta` (version, capabilities, client info, log level).

use serde::Serialize;
use serde_json::Value;

use crate::error::RequestError;
use crate::event::{CallId, Direction, Event, Reply};
use crate::jsonrpc::{self, ParamsView, Piece};
use crate::model::{meta, ErrorObject, RequestId};
use crate::raw::RawJson;
use crate::tap;
use crate::version::Era;

use super::calls::{CallKind, CallState};
use super::http::Outgoing;
use super::subscriptions::SubscribeOutcome;
use super::timers::Timer;
use super::{Client, Wire};

impl Client {
    /// Starts a call on a ready connection: era mapping, revision and
    /// capability checks, the cache, then the wire.
    pub(super) fn dispatch(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(version) = self.version else {
            return;
        };
        let modern = version.era() == Era::Modern;
        match call.kind.clone() {
            CallKind::Request => {}
            CallKind::Ping => {
                call.method = if modern { "server/discover" } else { "ping" }.to_owned();
                call.info = crate::methods::info(&call.method);
            }
            CallKind::SetLogLevel(level) => {
                if modern {
                    self.log_level = Some(level);
                    self.finish(id, Ok(empty_reply("logging/setLevel")));
                    return;
                }
                call.method = "logging/setLevel".to_owned();
                call.params
                    .insert("level".into(), Value::String(level.as_str().to_owned()));
                call.info = crate::methods::info(&call.method);
            }
            CallKind::Subscribe(what) => {
                if modern {
                    self.subscribe_modern(id, what);
                    return;
                }
                match self.legacy_subscription(id, &what, true) {
                    Some(()) => {}
                    None => return,
                }
            }
            CallKind::Unsubscribe(what) => {
                if modern {
                    self.unsubscribe_modern(id, what);
                    return;
                }
                match self.legacy_subscription(id, &what, false) {
                    Some(()) => {}
                    None => return,
                }
            }
        }

        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let foreign = call.info.legacy_only && modern || call.info.modern_only && !modern;
        if foreign && self.cfg.enforce_revision {
            let method = call.method.clone();
            self.finish(id, Err(RequestError::NotInRevision { method, version }));
            return;
        }
        if self.cfg.enforce_capabilities && self.server.capabilities_known {
            if let Some(cap) = call.info.capability {
                if !cap.advertised(&self.server.capabilities, version) {
                    let method = call.method.clone();
                    self.finish(
                        id,
                        Err(RequestError::Unsupported {
                            method,
                            capability: cap.name(),
                        }),
                    );
                    return;
                }
            }
        }
        if self.http.is_some() {
            if let Some(err) = self.http_rejected_tool(&call.method, &call.params) {
                return self.finish(id, Err(err));
            }
        }
        self.send_call(id);
    }

    /// Legacy subscriptions: resources go over the wire, list-changed
    /// notifications need no request. Returns `Some` when a request should be
    /// sent.
    fn legacy_subscription(
        &mut self,
        id: CallId,
        what: &super::Subscription,
        subscribe: bool,
    ) -> Option<()> {
        use super::Subscription as S;
        let caps = &self.server.capabilities;
        let listed = |c: Option<bool>| c.unwrap_or(false);
        let honored = match what {
            S::ToolsListChanged => listed(caps.tools.as_ref().and_then(|t| t.list_changed)),
            S::PromptsListChanged => listed(caps.prompts.as_ref().and_then(|t| t.list_changed)),
            S::ResourcesListChanged => listed(caps.resources.as_ref().and_then(|t| t.list_changed)),
            S::Resource(uri) => {
                let call = self.calls.get_mut(&id)?;
                call.method = if subscribe {
                    "resources/subscribe"
                } else {
                    "resources/unsubscribe"
                }
                .to_owned();
                call.params.insert("uri".into(), Value::String(uri.clone()));
                call.info = crate::methods::info(&call.method);
                return Some(());
            }
        };
        let method = if subscribe {
            "subscribe"
        } else {
            "unsubscribe"
        };
        let reply = if subscribe {
            outcome_reply(method, honored)
        } else {
            empty_reply(method)
        };
        self.finish(id, Ok(reply));
        None
    }

    /// Puts a call's request on the wire (or answers it from the cache).
    pub(super) fn send_call(&mut self, id: CallId) {
        let now = self.now;
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        // A fresh cached answer makes the round trip unnecessary.
        if call.cache == crate::config::CachePolicy::Use && !call.is_retry_with_input() {
            if let Some(key) = call.cache_key() {
                if let Some(text) = self.cache.get(&call.method, &key, now) {
                    let raw = RawJson::from_string(text.to_owned());
                    self.on_call_result(id, raw, true);
                    return;
                }
            }
        }
        let wire = self.alloc_wire();
        match self.write_call(id, wire) {
            Ok(()) => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.state = CallState::InFlight(wire);
                    let deadline = call.deadline_from(now);
                    self.wire.insert(wire, Wire::Call(id));
                    self.timers.set(Timer::Call(id), deadline);
                }
            }
            Err(e) => {
                let method = self
                    .calls
                    .get(&id)
                    .map(|c| c.method.clone())
                    .unwrap_or_default();
                self.finish(
                    id,
                    Err(RequestError::InvalidResponse {
                        method,
                        detail: format!("the request could not be encoded: {e}"),
                    }),
                );
            }
        }
    }

    /// Writes the request line of a call with wire id `wire`.
    fn write_call(&mut self, id: CallId, wire: i64) -> Result<(), serde_json::Error> {
        let Some(call) = self.calls.get(&id) else {
            return Ok(());
        };
        let version = self.version.map(|v| v.as_str()).unwrap_or_default();
        let modern = self.modern();

        let mut fields: Vec<(&str, Piece<'_>)> = Vec::new();
        if let Some(cursor) = call.pages.as_ref().and_then(|p| p.cursor.as_deref()) {
            fields.push(("cursor", Piece::Str(cursor)));
        }
        let responses;
        if let Some(m) = call.mrtr.as_ref().filter(|m| !m.plain_retry) {
            if !m.responses.is_empty() {
                responses = serde_json::to_value(&m.responses)?;
                fields.push(("inputResponses", Piece::Json(&responses)));
            }
            if let Some(state) = &m.request_state {
                fields.push(("requestState", Piece::Str(state)));
            }
        }

        let mut metas: Vec<(&str, Piece<'_>)> = Vec::new();
        if modern {
            metas.push((meta::PROTOCOL_VERSION, Piece::Str(version)));
            metas.push((meta::CLIENT_CAPABILITIES, Piece::Raw(&self.caps_modern)));
            metas.push((meta::CLIENT_INFO, Piece::Raw(&self.info_raw)));
            if let Some(level) = &self.log_level {
                metas.push((meta::LOG_LEVEL, Piece::Str(level.as_str())));
            }
        }
        if let (Some(token), false) = (&call.progress_token, call.user_token) {
            metas.push((meta::PROGRESS_TOKEN, Piece::Id(token)));
        }

        let mark = self.tx.len();
        jsonrpc::write_request(
            &mut self.tx,
            &RequestId::Number(wire),
            &call.method,
            ParamsView {
                base: &call.params,
                fields: &fields,
                meta: &metas,
                extra_meta: call.extra_meta.as_ref(),
            },
        )?;
        self.emitted(
            mark,
            Outgoing::Request {
                wire,
                method: None,
                call: Some(id),
            },
        );
        Ok(())
    }

    /// Writes a core-made request (probe, initialize, listen) with the
    /// modern `_meta` when `version` is modern.
    pub(super) fn write_internal_request(
        &mut self,
        wire: i64,
        method: &str,
        params: &crate::model::JsonObject,
        version: crate::ProtocolVersion,
    ) {
        let modern_meta = [
            (meta::PROTOCOL_VERSION, Piece::Str(version.as_str())),
            (meta::CLIENT_CAPABILITIES, Piece::Raw(&self.caps_modern)),
            (meta::CLIENT_INFO, Piece::Raw(&self.info_raw)),
        ];
        let metas: &[(&str, Piece<'_>)] = if version.era() == Era::Modern {
            &modern_meta
        } else {
            &[]
        };
        let mark = self.tx.len();
        // Params of our own making are plain JSON and always encode.
        let _ = jsonrpc::write_request(
            &mut self.tx,
            &RequestId::Number(wire),
            method,
            ParamsView {
                base: params,
                fields: &[],
                meta: metas,
                extra_meta: None,
            },
        );
        self.emitted(
            mark,
            Outgoing::Request {
                wire,
                method: Some(method),
                call: None,
            },
        );
    }

    /// `notifications/cancelled` for our request `wire` (over HTTP, closing
    /// its response stream too, or instead for a 2026-07-28 server).
    pub(super) fn send_cancelled(&mut self, wire: i64, reason: Option<&str>) {
        if self.http.is_some() && !self.http_cancel(wire) {
            return;
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Params<'a> {
            request_id: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'a str>,
        }
        self.write_notification(
            "notifications/cancelled",
            Some(&Params {
                request_id: wire,
                reason,
            }),
        );
    }

    pub(super) fn write_notification<P: Serialize>(&mut self, method: &str, params: Option<P>) {
        let mark = self.tx.len();
        if jsonrpc::write_notification(&mut self.tx, method, params).is_ok() {
            self.emitted(mark, Outgoing::Notification { method });
        }
    }

    /// Answers a server-to-client request (legacy).
    pub(super) fn write_response<R: Serialize>(&mut self, id: &RequestId, result: R) {
        let mark = self.tx.len();
        match jsonrpc::write_result(&mut self.tx, id, result) {
            Ok(()) => self.emitted(mark, Outgoing::Response),
            Err(e) => {
                // The application's answer did not encode: the server still
                // gets an answer, so it does not wait forever.
                let err = ErrorObject::new(
                    crate::model::codes::INTERNAL_ERROR,
                    format!("client could not encode its answer: {e}"),
                );
                self.write_error_response(id, &err);
            }
        }
    }

    pub(super) fn write_error_response(&mut self, id: &RequestId, error: &ErrorObject) {
        let mark = self.tx.len();
        if jsonrpc::write_error(&mut self.tx, id, error).is_ok() {
            self.emitted(mark, Outgoing::Response);
        }
    }

    pub(super) fn tap_out(&mut self, mark: usize) {
        if self.cfg.wire_tap && mark < self.tx.len() {
            let rec = tap::record(
                Direction::Out,
                &self.tx[mark..],
                &self.cfg.redact_keys,
                self.cfg.limits.max_wire_record,
            );
            self.events.push_back(Event::Wire(rec));
        }
    }
}

/// A reply with an empty result, for calls the core completes itself.
pub(super) fn empty_reply(method: &str) -> Reply {
    Reply {
        method: method.to_owned(),
        result: RawJson::from_string("{}".to_owned()),
        from_cache: false,
    }
}

/// A reply saying whether a subscription is honoured.
pub(super) fn outcome_reply(method: &str, honored: bool) -> Reply {
    Reply {
        method: method.to_owned(),
        result: RawJson::from_serialize(&SubscribeOutcome { honored })
            .unwrap_or_else(|_| RawJson::from_string("{}".into())),
        from_cache: false,
    }
}
