//! One user call from issue to its terminal event.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::CachePolicy;
use crate::event::InputId;
use crate::methods::MethodInfo;
use crate::model::{InputResponses, JsonObject, LoggingLevel, RequestId};

use super::subscriptions::Subscription;

/// What a call does once the server is ready; the era decides how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CallKind {
    /// A request sent as given.
    Request,
    /// `ping` (legacy) or `server/discover` (modern).
    Ping,
    /// `logging/setLevel` (legacy) or the per-request `_meta` level (modern).
    SetLogLevel(LoggingLevel),
    /// `resources/subscribe` (legacy) or a `subscriptions/listen` filter (modern).
    Subscribe(Subscription),
    /// The reverse of `Subscribe`.
    Unsubscribe(Subscription),
}

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallState {
    /// Issued before the handshake finished.
    WaitingReady,
    /// A request with this wire id is out.
    InFlight(i64),
    /// Waiting for the application to answer input requests.
    WaitingInput,
    /// Waiting for a `subscriptions/listen` acknowledgement.
    WaitingAck,
    /// Waiting to be sent again after a retryable HTTP failure.
    Backoff,
}

/// A list being fetched page by page.
#[derive(Debug, Default)]
pub(crate) struct Pages {
    /// The first page's fields other than the items and `nextCursor`.
    pub(crate) first: Option<JsonObject>,
    /// Items of every page so far.
    pub(crate) items: Vec<Value>,
    /// Pages fetched.
    pub(crate) count: u32,
    /// Cursors seen, to stop a server that loops.
    pub(crate) seen: BTreeSet<String>,
    /// The cursor of the page being fetched (`None` for the first).
    pub(crate) cursor: Option<String>,
}

/// A call between `input_required` (or a URL-elicitation error) and its retry.
#[derive(Debug, Default)]
pub(crate) struct Mrtr {
    /// Answers gathered so far, by the server's keys.
    pub(crate) responses: InputResponses,
    /// The state to echo, exactly as received.
    pub(crate) request_state: Option<String>,
    /// Input requests still waiting for the application.
    pub(crate) waiting: BTreeSet<InputId>,
    /// Retry with the original params only (legacy URL-elicitation errors).
    pub(crate) plain_retry: bool,
}

#[derive(Debug)]
pub(crate) struct CallEntry {
    pub(crate) kind: CallKind,
    /// The method on the wire (set at dispatch for era-dependent kinds).
    pub(crate) method: String,
    pub(crate) params: JsonObject,
    pub(crate) info: MethodInfo,
    pub(crate) state: CallState,
    pub(crate) timeout: Duration,
    pub(crate) reset_on_progress: bool,
    pub(crate) hard_deadline: Option<Instant>,
    pub(crate) cache: CachePolicy,
    pub(crate) extra_meta: Option<JsonObject>,
    pub(crate) progress_token: Option<RequestId>,
    /// The token came from the caller's own `_meta` and is already in params.
    pub(crate) user_token: bool,
    pub(crate) started: Instant,
    pub(crate) pages: Option<Pages>,
    pub(crate) mrtr: Option<Mrtr>,
    pub(crate) rounds: u32,
    pub(crate) version_retried: bool,
    /// The `HeaderMismatch` error that made the client list tools again
    /// before one retry (2026-07-28 HTTP); reported if the retry is not
    /// possible.
    pub(crate) header_mismatch: Option<crate::model::ErrorObject>,
}

impl CallEntry {
    /// The deadline for an answer to a request sent at `now`.
    pub(crate) fn deadline_from(&self, now: Instant) -> Instant {
        let soft = now + self.timeout;
        match self.hard_deadline {
            Some(hard) if hard < soft => hard,
            _ => soft,
        }
    }

    /// Whether the request being sent carries MRTR fields (never cached).
    pub(crate) fn is_retry_with_input(&self) -> bool {
        self.mrtr.as_ref().is_some_and(|m| {
            !m.plain_retry && (!m.responses.is_empty() || m.request_state.is_some())
        })
    }

    /// The cache key param value of the request being sent.
    pub(crate) fn cache_key(&self) -> Option<String> {
        use crate::methods::CacheKeyParam;
        match self.info.cache_key? {
            CacheKeyParam::Cursor => Some(
                self.pages
                    .as_ref()
                    .and_then(|p| p.cursor.clone())
                    .or_else(|| {
                        self.params
                            .get("cursor")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .unwrap_or_default(),
            ),
            CacheKeyParam::Uri => self
                .params
                .get("uri")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}
