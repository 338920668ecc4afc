//! Handlers an application plugs into an adapter: who answers the server's
//! input requests, and who hears notifications. Pure plumbing, written once
//! here so every adapter dispatches the same way.
//!
//! An adapter calls [`InputHandler::answer`] off its driving thread or task
//! (answers may take a human's time), hands the answer to
//! [`Client::provide_input`](crate::Client::provide_input), and passes events
//! to [`dispatch`].
//!
//! # Which capabilities a client declares
//!
//! One rule, in one place ([`declared_capabilities`]): the capabilities
//! in `Config::capabilities` are declared as they are. The input
//! capabilities (elicitation, sampling, roots) come from the input
//! handler's [`capabilities`](InputHandler::capabilities) only when the
//! configuration declares none of the three. So a program that wants an
//! exact declaration writes it in the configuration; one that does not
//! care declares what its handler answers.
//!
//! ```
//! use mcp_proto::handler::{declared_capabilities, InputHandlers};
//! use mcp_proto::model::{ClientCapabilities, ElicitationCapability, JsonObject};
//!
//! let handler = InputHandlers::new()
//!     .on_elicit(|_| mcp_proto::model::ElicitResult::decline())
//!     .on_roots(Vec::new);
//! // Nothing in the configuration: the handler's.
//! let caps = declared_capabilities(&ClientCapabilities::default(), Some(&handler));
//! assert!(caps.elicitation.is_some() && caps.roots.is_some());
//! // Elicitation in the configuration: exactly that, no roots.
//! let mine = ClientCapabilities {
//!     elicitation: Some(ElicitationCapability { form: Some(JsonObject::new()), ..Default::default() }),
//!     ..ClientCapabilities::default()
//! };
//! let caps = declared_capabilities(&mine, Some(&handler));
//! assert_eq!(caps, mine);
//! ```

use std::sync::Arc;

use crate::event::{CallId, Event, InputNeeded, Notification};
use crate::model::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ElicitationCapability, InputRequest, JsonObject, ListRootsResult,
    ProgressNotificationParams, Root, RootsCapability, SamplingCapability,
};
use crate::{InputAnswer, Violation, WireRecord};

/// Answers the server's input requests (elicitation, sampling, roots).
///
/// Whatever the era, the request arrives here once and the answer goes back
/// the way the era needs. [`capabilities`](InputHandler::capabilities) says
/// what to declare (see [the rule](self#which-capabilities-a-client-declares));
/// requests for anything undeclared never reach the handler.
pub trait InputHandler: Send + Sync {
    /// The client capabilities this handler answers for.
    fn capabilities(&self) -> ClientCapabilities;

    /// Answers one request: `input.request` is what the server asks;
    /// `input.call` and `input.call_method` the call it is for, when known;
    /// `input.via` how it arrived (a legacy server request, or a 2026-07-28
    /// `input_required` round). May block (for example on a human);
    /// adapters call it off their driving thread or task.
    fn answer(&self, input: &InputNeeded) -> InputAnswer;
}

/// The capabilities a client declares, by
/// [the rule](self#which-capabilities-a-client-declares): `config` as it
/// is, with elicitation, sampling and roots from `handler` only when
/// `config` declares none of them.
pub fn declared_capabilities(
    config: &ClientCapabilities,
    handler: Option<&dyn InputHandler>,
) -> ClientCapabilities {
    let mut caps = config.clone();
    let asked = caps.elicitation.is_some() || caps.sampling.is_some() || caps.roots.is_some();
    if let (false, Some(h)) = (asked, handler) {
        let theirs = h.capabilities();
        caps.elicitation = theirs.elicitation;
        caps.sampling = theirs.sampling;
        caps.roots = theirs.roots;
    }
    caps
}

type ElicitFn = dyn Fn(&ElicitRequestParams, &InputNeeded) -> ElicitResult + Send + Sync;
type SampleFn = dyn Fn(&CreateMessageRequestParams, &InputNeeded) -> Result<CreateMessageResult, String>
    + Send
    + Sync;
type RootsFn = dyn Fn(&InputNeeded) -> Vec<Root> + Send + Sync;

/// An [`InputHandler`] made of closures; each one set declares its
/// capability.
///
/// ```
/// use mcp_proto::handler::{InputHandler, InputHandlers};
/// use mcp_proto::model::{ElicitResult, Root};
///
/// let handlers = InputHandlers::new()
///     .on_elicit(|_req| ElicitResult::decline())
///     .on_roots(|| vec![Root::new("file:///work")]);
/// assert!(handlers.capabilities().roots.is_some());
/// assert!(handlers.capabilities().sampling.is_none());
/// ```
#[derive(Clone, Default)]
pub struct InputHandlers {
    elicit: Option<Arc<ElicitFn>>,
    url_elicitation: bool,
    sample: Option<Arc<SampleFn>>,
    roots: Option<Arc<RootsFn>>,
    roots_list_changed: bool,
}

impl std::fmt::Debug for InputHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputHandlers")
            .field("elicit", &self.elicit.is_some())
            .field("url_elicitation", &self.url_elicitation)
            .field("sample", &self.sample.is_some())
            .field("roots", &self.roots.is_some())
            .finish()
    }
}

impl InputHandlers {
    /// No handlers: every input request is refused as the spec says.
    pub fn new() -> Self {
        InputHandlers::default()
    }

    /// Answers form-mode elicitations (and declares `elicitation.form`).
    pub fn on_elicit(
        self,
        f: impl Fn(&ElicitRequestParams) -> ElicitResult + Send + Sync + 'static,
    ) -> Self {
        self.on_elicit_with_context(move |p, _| f(p))
    }

    /// As [`on_elicit`](Self::on_elicit), told which call the request is
    /// for and how it arrived.
    ///
    /// ```
    /// use mcp_proto::handler::InputHandlers;
    /// use mcp_proto::model::ElicitResult;
    ///
    /// let handlers = InputHandlers::new().on_elicit_with_context(|_params, input| {
    ///     eprintln!("asked during {:?} ({:?}), via {:?}", input.call, input.call_method, input.via);
    ///     ElicitResult::decline()
    /// });
    /// # let _ = handlers;
    /// ```
    pub fn on_elicit_with_context(
        mut self,
        f: impl Fn(&ElicitRequestParams, &InputNeeded) -> ElicitResult + Send + Sync + 'static,
    ) -> Self {
        self.elicit = Some(Arc::new(f));
        self
    }

    /// Also declares URL-mode elicitation: the elicit handler then gets
    /// `ElicitRequestParams::Url` requests too, and must get the user's
    /// consent and open the URL itself.
    pub fn with_url_elicitation(mut self) -> Self {
        self.url_elicitation = true;
        self
    }

    /// Answers sampling requests; `Err(reason)` refuses.
    pub fn on_sample(
        self,
        f: impl Fn(&CreateMessageRequestParams) -> Result<CreateMessageResult, String>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.on_sample_with_context(move |p, _| f(p))
    }

    /// As [`on_sample`](Self::on_sample), told which call the request is
    /// for and how it arrived.
    pub fn on_sample_with_context(
        mut self,
        f: impl Fn(&CreateMessageRequestParams, &InputNeeded) -> Result<CreateMessageResult, String>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.sample = Some(Arc::new(f));
        self
    }

    /// Answers roots requests.
    pub fn on_roots(self, f: impl Fn() -> Vec<Root> + Send + Sync + 'static) -> Self {
        self.on_roots_with_context(move |_| f())
    }

    /// As [`on_roots`](Self::on_roots), told which call the request is for
    /// and how it arrived.
    pub fn on_roots_with_context(
        mut self,
        f: impl Fn(&InputNeeded) -> Vec<Root> + Send + Sync + 'static,
    ) -> Self {
        self.roots = Some(Arc::new(f));
        self
    }

    /// Declares `roots.listChanged` (the application then calls
    /// `notify_roots_list_changed` when its roots change).
    pub fn with_roots_list_changed(mut self) -> Self {
        self.roots_list_changed = true;
        self
    }
}

impl InputHandler for InputHandlers {
    fn capabilities(&self) -> ClientCapabilities {
        ClientCapabilities {
            elicitation: self.elicit.as_ref().map(|_| ElicitationCapability {
                form: Some(JsonObject::new()),
                url: self.url_elicitation.then(JsonObject::new),
                extra: JsonObject::new(),
            }),
            sampling: self.sample.as_ref().map(|_| SamplingCapability::default()),
            roots: self.roots.as_ref().map(|_| RootsCapability {
                list_changed: self.roots_list_changed.then_some(true),
                extra: JsonObject::new(),
            }),
            ..ClientCapabilities::default()
        }
    }

    fn answer(&self, input: &InputNeeded) -> InputAnswer {
        match &input.request {
            InputRequest::Elicit(p) => match &self.elicit {
                Some(f) => InputAnswer::Elicit(f(p, input)),
                None => InputAnswer::Refuse { reason: None },
            },
            InputRequest::Sample(p) => match self.sample.as_ref().map(|f| f(p, input)) {
                Some(Ok(r)) => InputAnswer::Sample(r),
                Some(Err(reason)) => InputAnswer::Refuse {
                    reason: Some(reason),
                },
                None => InputAnswer::Refuse { reason: None },
            },
            InputRequest::ListRoots(_) => match &self.roots {
                Some(f) => InputAnswer::Roots(ListRootsResult::new(f(input))),
                None => InputAnswer::Refuse { reason: None },
            },
        }
    }
}

/// Hears what the server says besides answers. Every method defaults to
/// doing nothing; implement the ones you need.
///
/// The adapters call it on one thread, in the order the messages arrived,
/// and a call returns only after the callbacks for what arrived before its
/// answer have run. So a callback must not wait for a call another thread
/// makes on the same client (nor for anything that waits for one): that
/// call's answer would wait behind the callback. A call made from inside a
/// callback is fine; it is answered at once.
pub trait NotificationHandler: Send + Sync {
    /// A notification (logs, list changes, resource updates, ...).
    fn notification(&self, notification: &Notification) {
        let _ = notification;
    }

    /// Progress of a call that asked for it.
    fn progress(&self, call: CallId, progress: &ProgressNotificationParams) {
        let _ = (call, progress);
    }

    /// The server broke the protocol and the connection went on.
    fn violation(&self, violation: &Violation) {
        let _ = violation;
    }

    /// A frame went in or out (with `Config::wire_tap`).
    fn wire(&self, record: &WireRecord) {
        let _ = record;
    }

    /// The server forgot the HTTP session and a new one was started
    /// (2025-03-26 .. 2025-11-25 Streamable HTTP). Server-side state tied to
    /// the old session is gone: subscriptions and the log level, if the
    /// application set them, must be set again.
    fn session_expired(&self) {}
}

/// A shared handler: the program keeps an `Arc` to read what its handler
/// gathered while the client holds another.
impl<H: NotificationHandler + ?Sized> NotificationHandler for Arc<H> {
    fn notification(&self, notification: &Notification) {
        (**self).notification(notification)
    }
    fn progress(&self, call: CallId, progress: &ProgressNotificationParams) {
        (**self).progress(call, progress)
    }
    fn violation(&self, violation: &Violation) {
        (**self).violation(violation)
    }
    fn wire(&self, record: &WireRecord) {
        (**self).wire(record)
    }
    fn session_expired(&self) {
        (**self).session_expired()
    }
}

/// A [`NotificationHandler`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ignore;

impl NotificationHandler for Ignore {}

/// A [`NotificationHandler`] from one closure over notifications.
pub struct OnNotification<F>(pub F);

impl<F: Fn(&Notification) + Send + Sync> NotificationHandler for OnNotification<F> {
    fn notification(&self, notification: &Notification) {
        (self.0)(notification)
    }
}

/// Passes an event to the handler method it belongs to. Returns `false` for
/// events that are not the handler's business (responses, input requests,
/// readiness, closing), which the adapter handles itself.
pub fn dispatch(handler: &dyn NotificationHandler, event: &Event) -> bool {
    match event {
        Event::Notification(n) => handler.notification(n),
        Event::Progress { call, progress } => handler.progress(*call, progress),
        Event::Violation(v) => handler.violation(v),
        Event::Wire(w) => handler.wire(w),
        Event::SessionExpired => handler.session_expired(),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EmptyParams;

    fn roots_request() -> InputNeeded {
        InputNeeded {
            id: crate::InputId(1),
            call: Some(CallId(7)),
            call_method: Some("tools/call".into()),
            via: crate::InputVia::ServerRequest {
                id: crate::model::RequestId::Number(3),
            },
            request: InputRequest::ListRoots(EmptyParams::default()),
        }
    }

    #[test]
    fn the_context_reaches_closures_that_ask_for_it() {
        let h = InputHandlers::new().on_roots_with_context(|input| {
            vec![Root::new(format!(
                "file:///{}/{}",
                input.call.map_or(0, |c| c.0),
                input.call_method.as_deref().unwrap_or("-")
            ))]
        });
        match h.answer(&roots_request()) {
            InputAnswer::Roots(r) => assert_eq!(r.roots[0].uri, "file:///7/tools/call"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_configuration_decides_unless_it_declares_no_input_capability() {
        let handler = InputHandlers::new()
            .on_elicit(|_| ElicitResult::decline())
            .on_sample(|_| Err("no model".into()));
        let none = ClientCapabilities::default();
        let caps = declared_capabilities(&none, Some(&handler));
        assert!(caps.elicitation.is_some() && caps.sampling.is_some() && caps.roots.is_none());
        let roots_only = ClientCapabilities {
            roots: Some(RootsCapability::default()),
            ..ClientCapabilities::default()
        };
        assert_eq!(
            declared_capabilities(&roots_only, Some(&handler)),
            roots_only
        );
        assert_eq!(declared_capabilities(&none, None), none);
    }

    #[test]
    fn closures_declare_what_they_answer_and_refuse_the_rest() {
        let h = InputHandlers::new()
            .on_elicit(|_| ElicitResult::decline())
            .with_url_elicitation();
        let caps = h.capabilities();
        assert!(caps
            .elicitation
            .as_ref()
            .is_some_and(|e| e.supports_url() && e.supports_form()));
        assert!(caps.roots.is_none() && caps.sampling.is_none());
        assert!(matches!(
            h.answer(&roots_request()),
            InputAnswer::Refuse { .. }
        ));
        let h = InputHandlers::new()
            .on_roots(|| vec![Root::new("file:///x")])
            .with_roots_list_changed();
        assert_eq!(
            h.capabilities().roots.and_then(|r| r.list_changed),
            Some(true)
        );
        match h.answer(&roots_request()) {
            InputAnswer::Roots(r) => assert_eq!(r.roots[0].uri, "file:///x"),
            other => panic!("{other:?}"),
        }
        assert!(InputHandlers::new().capabilities() == ClientCapabilities::default());
    }

    /// A handler behind an `Arc` hears all it would hear alone, so a
    /// program can keep a handle to it.
    #[test]
    fn a_shared_handler_hears_every_kind_of_event() {
        use std::sync::Mutex;

        #[derive(Default)]
        struct Heard(Mutex<Vec<&'static str>>);
        impl NotificationHandler for Heard {
            fn notification(&self, _: &Notification) {
                self.0.lock().unwrap().push("notification");
            }
            fn progress(&self, _: CallId, _: &ProgressNotificationParams) {
                self.0.lock().unwrap().push("progress");
            }
            fn violation(&self, _: &Violation) {
                self.0.lock().unwrap().push("violation");
            }
            fn wire(&self, _: &WireRecord) {
                self.0.lock().unwrap().push("wire");
            }
            fn session_expired(&self) {
                self.0.lock().unwrap().push("session_expired");
            }
        }
        let heard = Arc::new(Heard::default());
        let shared: Box<dyn NotificationHandler> = Box::new(heard.clone());
        let progress: ProgressNotificationParams =
            serde_json::from_value(serde_json::json!({"progressToken": 1, "progress": 1})).unwrap();
        let events = [
            Event::Notification(Notification::ToolsListChanged),
            Event::Progress {
                call: CallId(1),
                progress,
            },
            Event::Violation(Violation::new(crate::ViolationKind::NotJson, "x")),
            Event::Wire(WireRecord {
                direction: crate::Direction::In,
                text: "{}".into(),
                len: 2,
            }),
            Event::SessionExpired,
        ];
        for e in &events {
            assert!(dispatch(shared.as_ref(), e));
        }
        assert_eq!(
            *heard.0.lock().unwrap(),
            [
                "notification",
                "progress",
                "violation",
                "wire",
                "session_expired"
            ]
        );
    }
}
