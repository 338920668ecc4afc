//! Input the server needs from the application, one API for both eras.
//!
//! Three origins end up as the same [`Event::InputNeeded`]:
//! - a legacy server-to-client request (`elicitation/create`,
//!   `sampling/createMessage`, `roots/list`), answered with a JSON-RPC
//!   response;
//! - an entry of a 2026-07-28 `input_required` result, answered by retrying
//!   the call with `inputResponses`;
//! - a 2025-11-25 URL-elicitation error, answered by retrying the call.
//!
//! Requests for capabilities the configuration does not declare never reach
//! the application: the core sends the spec's refusal itself, so nothing
//! ever waits on an answer that cannot come.

use crate::error::{RequestError, UsageError};
use crate::event::{CallId, Event, InputId, InputNeeded, InputVia};
use crate::model::{
    codes, CreateMessageResult, ElicitAction, ElicitRequestParams, ElicitResult, ErrorObject,
    InputRequest, InputResponse, ListRootsResult, RequestId,
};
use crate::raw::RawJson;

use super::calls::CallState;
use super::timers::Timer;
use super::Client;

/// The application's answer to an [`InputNeeded`] request.
// A sampling result is much larger than the other answers, but an answer is
// built once and moved once; boxing it would only make it clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum InputAnswer {
    /// The user's answer to an elicitation (accept, decline or cancel).
    Elicit(ElicitResult),
    /// The model's answer to a sampling request.
    Sample(CreateMessageResult),
    /// The client's roots.
    Roots(ListRootsResult),
    /// Refuse the request. For an elicitation this is a `decline`; for
    /// sampling and roots a legacy server gets a JSON-RPC error, and a
    /// 2026-07-28 call that needed the input fails with
    /// `RequestError::InputRefused`.
    Refuse {
        /// Why, for the server's logs.
        reason: Option<String>,
    },
}

impl InputAnswer {
    fn kind(&self) -> &'static str {
        match self {
            InputAnswer::Elicit(_) => "an elicitation result",
            InputAnswer::Sample(_) => "a sampling result",
            InputAnswer::Roots(_) => "a roots list",
            InputAnswer::Refuse { .. } => "a refusal",
        }
    }
}

/// Where an input request came from, which decides how the answer travels.
#[derive(Debug, Clone)]
pub(super) enum Origin {
    /// A legacy server-to-client request with this id.
    Legacy { server_id: RequestId },
    /// An `inputRequests` entry of a call's `input_required` result.
    Mrtr { call: CallId, key: String },
    /// A URL elicitation from a 2025-11-25 `-32042` error on a call.
    UrlRequired { call: CallId, error: ErrorObject },
}

#[derive(Debug)]
pub(super) struct PendingInput {
    pub(super) method: &'static str,
    pub(super) origin: Origin,
}

impl Client {
    /// Routes an input request: refused by the core if the capability is not
    /// declared, otherwise handed to the application.
    pub(super) fn ask(&mut self, origin: Origin, request: InputRequest) {
        if let Some(refusal) = self.undeclared(&request) {
            return self.auto_refuse(origin, request.method(), refusal);
        }
        if self.inputs.len() >= self.cfg.limits.max_pending_inputs {
            let why = format!(
                "{} input requests are already waiting (Limits::max_pending_inputs)",
                self.inputs.len()
            );
            return self.auto_refuse(origin, request.method(), Refusal::Busy(why));
        }
        let id = InputId(self.next_input);
        self.next_input += 1;
        let (call, via) = match &origin {
            Origin::Legacy { server_id } => {
                self.server_requests.insert(server_id.clone(), id);
                let via = InputVia::ServerRequest {
                    id: server_id.clone(),
                };
                (self.http_context_call(), via)
            }
            Origin::Mrtr { call, key } => {
                if let Some(m) = self.calls.get_mut(call).and_then(|c| c.mrtr.as_mut()) {
                    m.waiting.insert(id);
                }
                let round = self.calls.get(call).map_or(0, |c| c.rounds);
                let via = InputVia::InputRequired {
                    key: key.clone(),
                    round,
                };
                (Some(*call), via)
            }
            Origin::UrlRequired { call, .. } => {
                if let Some(m) = self.calls.get_mut(call).and_then(|c| c.mrtr.as_mut()) {
                    m.waiting.insert(id);
                }
                (Some(*call), InputVia::UrlElicitationRequired)
            }
        };
        let call_method = call
            .and_then(|c| self.calls.get(&c))
            .map(|c| c.method.clone());
        self.inputs.insert(
            id,
            PendingInput {
                method: request.method(),
                origin,
            },
        );
        self.timers
            .set(Timer::Input(id), self.now + self.cfg.input_timeout);
        self.events
            .push_back(Event::InputNeeded(Box::new(InputNeeded {
                id,
                call,
                call_method,
                via,
                request,
            })));
    }

    /// Answers an input request from [`Event::InputNeeded`].
    ///
    /// The answer must match the request's kind (an elicitation result for an
    /// elicitation, and so on); any request may be refused.
    pub fn provide_input(
        &mut self,
        now: std::time::Instant,
        input: InputId,
        answer: InputAnswer,
    ) -> Result<(), UsageError> {
        self.advance(now);
        if self.closed.is_some() {
            return Err(UsageError::Closed);
        }
        let Some(pending) = self.inputs.get(&input) else {
            return Err(UsageError::UnknownInput(input));
        };
        let fits = matches!(
            (pending.method, &answer),
            (_, InputAnswer::Refuse { .. })
                | ("elicitation/create", InputAnswer::Elicit(_))
                | ("sampling/createMessage", InputAnswer::Sample(_))
                | ("roots/list", InputAnswer::Roots(_))
        );
        if !fits {
            return Err(UsageError::InputMismatch {
                input,
                expected: pending.method,
                got: answer.kind(),
            });
        }
        let Some(pending) = self.take_input(input) else {
            return Err(UsageError::UnknownInput(input));
        };
        self.deliver(pending, answer);
        Ok(())
    }

    /// Sends an answer where its origin needs it.
    fn deliver(&mut self, pending: PendingInput, answer: InputAnswer) {
        match pending.origin {
            Origin::Legacy { server_id } => match answer {
                InputAnswer::Elicit(r) => self.write_response(&server_id, &r),
                InputAnswer::Sample(r) => self.write_response(&server_id, &r),
                InputAnswer::Roots(r) => self.write_response(&server_id, &r),
                InputAnswer::Refuse { reason } => match pending.method {
                    "elicitation/create" => {
                        self.write_response(&server_id, ElicitResult::decline())
                    }
                    method => {
                        let what = if method == "roots/list" {
                            "roots"
                        } else {
                            "sampling"
                        };
                        let msg = reason.unwrap_or_else(|| format!("User rejected {what} request"));
                        self.write_error_response(
                            &server_id,
                            &ErrorObject::new(codes::USER_REJECTED, msg),
                        );
                    }
                },
            },
            Origin::Mrtr { call, key } => {
                let response = match answer {
                    InputAnswer::Elicit(r) => InputResponse::Elicit(r),
                    InputAnswer::Sample(r) => InputResponse::Sample(r),
                    InputAnswer::Roots(r) => InputResponse::ListRoots(r),
                    InputAnswer::Refuse { .. } if pending.method == "elicitation/create" => {
                        InputResponse::Elicit(ElicitResult::decline())
                    }
                    InputAnswer::Refuse { reason } => {
                        // No error slot exists in inputResponses: a refused
                        // sampling or roots request ends the call here.
                        return self.finish(
                            call,
                            Err(RequestError::InputRefused {
                                method: pending.method,
                                detail: reason
                                    .unwrap_or_else(|| "refused by the application".into()),
                            }),
                        );
                    }
                };
                if let Some(m) = self.calls.get_mut(&call).and_then(|c| c.mrtr.as_mut()) {
                    m.responses.insert(key, response);
                }
                self.retry_if_answered(call);
            }
            Origin::UrlRequired { call, error } => {
                let consented =
                    matches!(&answer, InputAnswer::Elicit(r) if r.action == ElicitAction::Accept);
                if consented {
                    self.retry_if_answered(call);
                } else {
                    self.finish(call, Err(RequestError::Server(error)));
                }
            }
        }
    }

    /// Removes a pending input and everything that points at it.
    fn take_input(&mut self, input: InputId) -> Option<PendingInput> {
        let pending = self.inputs.remove(&input)?;
        self.timers.clear(Timer::Input(input));
        match &pending.origin {
            Origin::Legacy { server_id } => {
                self.server_requests.remove(server_id);
            }
            Origin::Mrtr { call, .. } | Origin::UrlRequired { call, .. } => {
                if let Some(m) = self.calls.get_mut(call).and_then(|c| c.mrtr.as_mut()) {
                    m.waiting.remove(&input);
                }
            }
        }
        Some(pending)
    }

    /// Tells the application an input request no longer needs an answer.
    pub(super) fn withdraw_input(&mut self, input: InputId, reason: &str) {
        if self.take_input(input).is_some() {
            self.events.push_back(Event::InputWithdrawn {
                input,
                reason: reason.to_owned(),
            });
        }
    }

    /// The application did not answer in time: refuse on its behalf.
    pub(super) fn on_input_timeout(&mut self, input: InputId) {
        let Some(pending) = self.take_input(input) else {
            return;
        };
        self.events.push_back(Event::InputWithdrawn {
            input,
            reason: format!(
                "no answer within {:?} (Config::input_timeout); refused",
                self.cfg.input_timeout
            ),
        });
        self.deliver(
            pending,
            InputAnswer::Refuse {
                reason: Some("the client did not answer in time".into()),
            },
        );
    }

    /// A legacy server cancelled one of its requests.
    pub(super) fn on_server_cancelled(
        &mut self,
        server_id: &RequestId,
        reason: Option<String>,
    ) -> bool {
        let Some(&input) = self.server_requests.get(server_id) else {
            return false;
        };
        let reason = reason.map(|r| format!("cancelled by the server: {r}"));
        self.withdraw_input(
            input,
            reason.as_deref().unwrap_or("cancelled by the server"),
        );
        true
    }

    /// A request from the server (legacy). `ping` is answered here; input
    /// requests go to [`ask`](Client::ask); anything else is "method not
    /// found".
    pub(super) fn on_server_request(
        &mut self,
        id: RequestId,
        method: &str,
        params: Option<RawJson>,
    ) {
        if self.modern() {
            self.violation(
                crate::ViolationKind::UnexpectedRequest,
                format!("{method} (id {id}) from a 2026-07-28 server, which may not send requests; not answered"),
            );
            return;
        }
        if method == "ping" {
            return self.write_response(&id, serde_json::json!({}));
        }
        if self.server_requests.contains_key(&id) {
            // A server reusing an id it is still waiting on: answering twice
            // would confuse it more than an error does.
            let err = ErrorObject::new(
                codes::INVALID_REQUEST,
                format!("request id {id} is already in use"),
            );
            return self.write_error_response(&id, &err);
        }
        let params = match params.map(|p| p.to_value()).transpose() {
            Ok(p) => p,
            Err(e) => {
                let err =
                    ErrorObject::new(codes::INVALID_PARAMS, format!("params are not JSON: {e}"));
                return self.write_error_response(&id, &err);
            }
        };
        match InputRequest::from_method(method, params) {
            Ok(Some(request)) => self.ask(Origin::Legacy { server_id: id }, request),
            Ok(None) => {
                let err = ErrorObject::new(
                    codes::METHOD_NOT_FOUND,
                    format!("method not found: {method}"),
                );
                self.write_error_response(&id, &err);
            }
            Err(e) => {
                let err = ErrorObject::new(
                    codes::INVALID_PARAMS,
                    format!("invalid params for {method}: {e}"),
                );
                self.write_error_response(&id, &err);
            }
        }
    }

    /// Why the configuration cannot answer `request`, if it cannot.
    fn undeclared(&self, request: &InputRequest) -> Option<Refusal> {
        let caps = &self.cfg.capabilities;
        match request {
            InputRequest::ListRoots(_) if caps.roots.is_none() => {
                Some(Refusal::NotDeclared("roots"))
            }
            InputRequest::Sample(_) if caps.sampling.is_none() => {
                Some(Refusal::NotDeclared("sampling"))
            }
            InputRequest::Sample(p)
                if (p.tools.is_some() || p.tool_choice.is_some())
                    && caps.sampling.as_ref().is_some_and(|s| s.tools.is_none()) =>
            {
                Some(Refusal::Invalid(
                    "sampling with tools needs the sampling.tools capability".into(),
                ))
            }
            InputRequest::Elicit(p) => match (&caps.elicitation, p) {
                (None, _) => Some(Refusal::NotDeclared("elicitation")),
                (Some(e), ElicitRequestParams::Form(_)) if !e.supports_form() => Some(
                    Refusal::Invalid("form-mode elicitation is not declared".into()),
                ),
                (Some(e), ElicitRequestParams::Url(_)) if !e.supports_url() => Some(
                    Refusal::Invalid("URL-mode elicitation is not declared".into()),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    /// Refuses without asking the application, in the way each origin and
    /// request kind requires.
    fn auto_refuse(&mut self, origin: Origin, method: &'static str, refusal: Refusal) {
        match origin {
            Origin::Legacy { server_id } => {
                let err = match refusal {
                    Refusal::NotDeclared(cap) => ErrorObject::new(
                        codes::METHOD_NOT_FOUND,
                        format!("{method} is not supported: the client does not declare {cap}"),
                    ),
                    Refusal::Invalid(why) => ErrorObject::new(codes::INVALID_PARAMS, why),
                    Refusal::Busy(why) => ErrorObject::new(codes::INTERNAL_ERROR, why),
                };
                self.write_error_response(&server_id, &err);
            }
            Origin::Mrtr { call, key } => {
                if method == "elicitation/create" {
                    if let Some(m) = self.calls.get_mut(&call).and_then(|c| c.mrtr.as_mut()) {
                        m.responses
                            .insert(key, InputResponse::Elicit(ElicitResult::decline()));
                    }
                    return;
                }
                self.finish(
                    call,
                    Err(RequestError::InputRefused {
                        method,
                        detail: refusal.to_string(),
                    }),
                );
            }
            Origin::UrlRequired { call, error } => {
                if self
                    .calls
                    .get(&call)
                    .is_some_and(|c| c.state == CallState::WaitingInput)
                {
                    self.finish(call, Err(RequestError::Server(error)));
                }
            }
        }
    }
}

/// Why the core refused an input request by itself.
#[derive(Debug)]
enum Refusal {
    NotDeclared(&'static str),
    Invalid(String),
    Busy(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotDeclared(cap) => {
                write!(f, "the client does not declare the {cap} capability")
            }
            Refusal::Invalid(why) | Refusal::Busy(why) => f.write_str(why),
        }
    }
}
