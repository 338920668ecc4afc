//! What happens when a call's request is answered.
//!
//! In order: version retries (`UnsupportedProtocolVersion`), URL-elicitation
//! errors (2025-11-25), `resultType` (2026-07-28: `input_required` starts an
//! input round), pagination (follow `nextCursor`, merge the pages), caching
//! (`ttlMs`), and finally the terminal event.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::CachePolicy;
use crate::error::RequestError;
use crate::event::{CallId, Reply};
use crate::model::{codes, ErrorObject, InputRequest, JsonObject};
use crate::raw::RawJson;
use crate::version::Era;

use super::calls::{CallKind, CallState, Mrtr};
use super::input::Origin;
use super::outbound::outcome_reply;
use super::Client;

/// `InputRequiredResult` with its requests still undecoded, so that one bad
/// entry can be named instead of failing the whole result.
#[derive(Deserialize)]
struct InputRequired {
    #[serde(rename = "inputRequests", default)]
    input_requests: Option<BTreeMap<String, Value>>,
    #[serde(rename = "requestState", default)]
    request_state: Option<String>,
}

impl Client {
    /// An answer to the request `wire` of call `id`.
    pub(super) fn on_call_answer(
        &mut self,
        id: CallId,
        wire: i64,
        answer: Result<RawJson, ErrorObject>,
    ) {
        match self.calls.get(&id) {
            Some(c) if c.state == CallState::InFlight(wire) => {}
            _ => return,
        }
        match answer {
            Ok(raw) => self.on_call_result(id, raw, false),
            Err(err) => self.on_call_error(id, err),
        }
    }

    fn on_call_error(&mut self, id: CallId, err: ErrorObject) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // A modern server that wants another version: retry once with the
        // newest one both sides list (even the same one: some servers reject
        // a first request regardless).
        if self.version.is_some_and(|v| v.era() == Era::Modern)
            && err.code == codes::UNSUPPORTED_PROTOCOL_VERSION
            && !call.version_retried
        {
            let supported = err
                .unsupported_version()
                .map(|d| d.supported)
                .unwrap_or_default();
            let pick = supported
                .iter()
                .filter_map(|s| crate::ProtocolVersion::parse(s))
                .filter(|v| v.era() == Era::Modern && self.cfg.versions.contains(v))
                .max();
            if let Some(v) = pick {
                call.version_retried = true;
                self.version = Some(v);
                self.send_call(id);
                return;
            }
        }
        // 2025-11-25: "complete these URL elicitations, then retry".
        if err.code == codes::URL_ELICITATION_REQUIRED
            && self.version.is_some_and(|v| v.era() == Era::Legacy)
        {
            if let Some(data) = err.url_elicitation_required() {
                let declared = self
                    .cfg
                    .capabilities
                    .elicitation
                    .as_ref()
                    .is_some_and(|e| e.supports_url());
                if declared && !data.elicitations.is_empty() {
                    self.start_url_round(id, data.elicitations, err);
                    return;
                }
            }
        }
        // The tool's x-mcp-header annotations may have changed since it was
        // listed: list again, then retry once (the spec's SHOULD).
        if err.code == codes::HEADER_MISMATCH
            && call.method == "tools/call"
            && call.header_mismatch.is_none()
            && self.http.is_some()
            && self.version.is_some_and(|v| v.era() == Era::Modern)
        {
            call.header_mismatch = Some(err);
            self.refresh_tool_headers(id, None, 1);
            return;
        }
        // A cursor the server no longer accepts makes every cached page of
        // that list suspect.
        if err.code == codes::INVALID_PARAMS
            && call.info.list_key.is_some()
            && call.pages.as_ref().is_some_and(|p| p.cursor.is_some())
        {
            let method = call.method.clone();
            self.cache.invalidate_method(&method);
        }
        self.finish(id, Err(RequestError::Server(err)));
    }

    /// A successful answer (from the server, or from the cache).
    pub(super) fn on_call_result(&mut self, id: CallId, raw: RawJson, from_cache: bool) {
        let modern = self.modern();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let had_input = call.is_retry_with_input();
        call.mrtr = None;
        let cacheable = call.info.cache_key.is_some()
            && call.cache != CachePolicy::Bypass
            && !had_input
            && !from_cache;

        // Read resultType (modern) and ttlMs (cacheable results) in one pass.
        let mut ttl = None;
        if modern || cacheable {
            enum Kind {
                Complete,
                InputRequired,
                Invalid(String),
            }
            let kind = match crate::raw::top_level_members(raw.get(), ["resultType", "ttlMs"]) {
                None => Kind::Invalid("the result is not a JSON object".to_owned()),
                Some([result_type, ttl_ms]) => {
                    ttl = ttl_ms.and_then(|t| t.parse::<f64>().ok());
                    let result_type = result_type.map(json_str);
                    match result_type.as_ref().map(|t| t.as_deref()) {
                        _ if !modern => Kind::Complete,
                        None | Some(Some("complete")) => Kind::Complete,
                        Some(Some("input_required")) if call.info.input_required_ok => {
                            Kind::InputRequired
                        }
                        Some(Some("task"))
                            if call.method == "tools/call" && declares_tasks(&self.cfg) =>
                        {
                            Kind::Complete
                        }
                        Some(Some(other)) => Kind::Invalid(format!(
                            "resultType {other:?} is not valid for {}",
                            call.method
                        )),
                        Some(None) => Kind::Invalid(format!(
                            "resultType is not a string in the result of {}",
                            call.method
                        )),
                    }
                }
            };
            match kind {
                Kind::Complete => {}
                Kind::InputRequired => return self.start_input_round(id, raw),
                Kind::Invalid(detail) => {
                    let method = call.method.clone();
                    return self.finish(id, Err(RequestError::InvalidResponse { method, detail }));
                }
            }
        }

        if cacheable {
            if let (Some(ttl), Some(key)) =
                (ttl.filter(|t| *t > 0.0 && t.is_finite()), call.cache_key())
            {
                let ttl = Duration::from_millis(ttl.min(u64::MAX as f64) as u64);
                let method = call.method.clone();
                let now = self.now;
                self.cache.put(&method, &key, raw.get(), ttl, now);
            }
        }

        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.pages.is_some() {
            return self.on_page(id, raw, from_cache);
        }
        if matches!(call.kind, CallKind::Subscribe(_)) {
            // Both eras answer `subscribe` with a SubscribeOutcome.
            let method = call.method.clone();
            return self.finish(id, Ok(outcome_reply(&method, true)));
        }
        // The call ends here, so its method moves into the reply.
        let method = std::mem::take(&mut call.method);
        self.finish(
            id,
            Ok(Reply {
                method,
                result: raw,
                from_cache,
            }),
        );
    }

    /// One page of a list fetched to the end.
    fn on_page(&mut self, id: CallId, raw: RawJson, from_cache: bool) {
        let max_pages = self.cfg.max_pages;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let method = call.method.clone();
        let key = call.info.list_key.unwrap_or("items");
        let mut page: JsonObject = match raw.decode() {
            Ok(p) => p,
            Err(e) => {
                return self.finish(
                    id,
                    Err(RequestError::InvalidResponse {
                        method,
                        detail: format!("the list page is not a JSON object: {e}"),
                    }),
                )
            }
        };
        let Some(pages) = call.pages.as_mut() else {
            return;
        };
        let items = match page.remove(key) {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                return self.finish(
                    id,
                    Err(RequestError::InvalidResponse {
                        method,
                        detail: format!("{key:?} is not an array"),
                    }),
                )
            }
        };
        let next = page.remove("nextCursor");
        pages.count += 1;
        pages.items.extend(items);
        if pages.first.is_none() {
            pages.first = Some(page);
        }
        match next {
            Some(Value::String(cursor)) => {
                if pages.count >= max_pages {
                    let count = pages.count;
                    return self.finish(id, Err(RequestError::TooManyPages { pages: count }));
                }
                if !pages.seen.insert(cursor.clone()) {
                    return self.finish(id, Err(RequestError::InvalidResponse {
                        method,
                        detail: format!("the server returned cursor {cursor:?} twice; stopping a pagination loop"),
                    }));
                }
                pages.cursor = Some(cursor);
                self.send_call(id);
            }
            _ => {
                let mut merged = pages.first.take().unwrap_or_default();
                merged.insert(
                    key.to_owned(),
                    Value::Array(std::mem::take(&mut pages.items)),
                );
                let result = match RawJson::from_serialize(&merged) {
                    Ok(r) => r,
                    Err(e) => {
                        return self.finish(
                            id,
                            Err(RequestError::InvalidResponse {
                                method,
                                detail: e.to_string(),
                            }),
                        )
                    }
                };
                // A list assembled from pages is "from the cache" only if
                // every page was; the first page's flag stands for it here.
                let single_cached = from_cache && pages.count == 1;
                self.finish(
                    id,
                    Ok(Reply {
                        method,
                        result,
                        from_cache: single_cached,
                    }),
                );
            }
        }
    }

    /// `resultType: "input_required"`: ask the application for each input
    /// request, then retry (new id, `inputResponses`, echoed `requestState`).
    fn start_input_round(&mut self, id: CallId, raw: RawJson) {
        let max_rounds = self.cfg.max_input_rounds;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let method = call.method.clone();
        let ir: InputRequired = match raw.decode() {
            Ok(ir) => ir,
            Err(e) => {
                return self.finish(
                    id,
                    Err(RequestError::InvalidResponse {
                        method,
                        detail: format!("invalid input_required result: {e}"),
                    }),
                )
            }
        };
        let requests = ir.input_requests.unwrap_or_default();
        if requests.is_empty() && ir.request_state.is_none() {
            return self.finish(
                id,
                Err(RequestError::InvalidResponse {
                    method,
                    detail: "input_required without inputRequests or requestState".into(),
                }),
            );
        }
        call.rounds += 1;
        if call.rounds > max_rounds {
            let rounds = call.rounds - 1;
            return self.finish(id, Err(RequestError::TooManyInputRounds { rounds }));
        }
        // The call waits for the application, not the server: its timeout is
        // off until the retry goes out.
        call.state = CallState::WaitingInput;
        call.mrtr = Some(Mrtr {
            request_state: ir.request_state,
            ..Mrtr::default()
        });
        self.timers.clear(super::timers::Timer::Call(id));

        let mut decoded = Vec::with_capacity(requests.len());
        for (key, value) in requests {
            let method_name = value
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let params = value.get("params").cloned();
            match InputRequest::from_method(&method_name, params) {
                Ok(Some(req)) => decoded.push((key, req)),
                Ok(None) => {
                    return self.finish(
                        id,
                        Err(RequestError::InvalidResponse {
                            method,
                            detail: format!(
                                "input request {key:?} has unknown method {method_name:?}"
                            ),
                        }),
                    )
                }
                Err(e) => {
                    return self.finish(
                        id,
                        Err(RequestError::InvalidResponse {
                            method,
                            detail: format!(
                                "input request {key:?} ({method_name}) does not decode: {e}"
                            ),
                        }),
                    )
                }
            }
        }
        for (key, req) in decoded {
            if !self.calls.contains_key(&id) {
                return;
            }
            self.ask(Origin::Mrtr { call: id, key }, req);
        }
        self.retry_if_answered(id);
    }

    /// A 2025-11-25 URL-elicitation error: ask for consent to each URL, then
    /// retry the call as it was.
    fn start_url_round(
        &mut self,
        id: CallId,
        elicitations: Vec<crate::model::ElicitRequestUrlParams>,
        err: ErrorObject,
    ) {
        let max_rounds = self.cfg.max_input_rounds;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.rounds += 1;
        if call.rounds > max_rounds {
            return self.finish(id, Err(RequestError::Server(err)));
        }
        call.state = CallState::WaitingInput;
        call.mrtr = Some(Mrtr {
            plain_retry: true,
            ..Mrtr::default()
        });
        self.timers.clear(super::timers::Timer::Call(id));
        for e in elicitations {
            if !self.calls.contains_key(&id) {
                return;
            }
            let req = InputRequest::Elicit(crate::model::ElicitRequestParams::Url(e));
            self.ask(
                Origin::UrlRequired {
                    call: id,
                    error: err.clone(),
                },
                req,
            );
        }
        self.retry_if_answered(id);
    }

    /// Retries a call whose input requests are all answered.
    pub(super) fn retry_if_answered(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state != CallState::WaitingInput
            || call.mrtr.as_ref().is_some_and(|m| !m.waiting.is_empty())
        {
            return;
        }
        self.send_call(id);
    }
}

/// Whether the client declares the 2026-07-28 tasks extension (which makes
/// `resultType: "task"` valid for `tools/call`).
fn declares_tasks(cfg: &crate::Config) -> bool {
    cfg.capabilities
        .extensions
        .as_ref()
        .is_some_and(|e| e.contains_key("io.modelcontextprotocol/tasks"))
}

/// The value of a JSON string given as its raw text (`"abc"`), if it is one.
fn json_str(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}
