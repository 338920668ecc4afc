//! Change notifications in the modern era: `subscriptions/listen`.
//!
//! The client keeps the set of things the application subscribed to and one
//! listen stream whose filter covers them. Changing the set opens a new
//! stream with the new filter; older streams are cancelled once the new one
//! is acknowledged, so no notification falls in a gap. Notifications are
//! also filtered here, so an unsubscribe takes effect at once.
//!
//! (Legacy servers use `resources/subscribe` and send list-changed
//! notifications unasked; see `outbound.rs`.)

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::RequestError;
use crate::event::{CallId, Event, Notification};
use crate::model::{
    ErrorObject, JsonObject, SubscriptionFilter, SubscriptionsAcknowledgedNotificationParams,
};
use crate::raw::RawJson;
use crate::ViolationKind;

use super::calls::{CallKind, CallState};
use super::outbound::{empty_reply, outcome_reply};
use super::timers::Timer;
use super::{Client, Wire};

/// Something to be notified about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subscription {
    /// `notifications/tools/list_changed`.
    ToolsListChanged,
    /// `notifications/prompts/list_changed`.
    PromptsListChanged,
    /// `notifications/resources/list_changed`.
    ResourcesListChanged,
    /// `notifications/resources/updated` for this URI.
    Resource(String),
}

/// The reply of [`Client::subscribe`](crate::Client::subscribe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeOutcome {
    /// Whether the server will send these notifications (for a modern server,
    /// whether its acknowledgement includes them).
    pub honored: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Set {
    tools: bool,
    prompts: bool,
    resources: bool,
    uris: BTreeSet<String>,
}

impl Set {
    fn contains(&self, s: &Subscription) -> bool {
        match s {
            Subscription::ToolsListChanged => self.tools,
            Subscription::PromptsListChanged => self.prompts,
            Subscription::ResourcesListChanged => self.resources,
            Subscription::Resource(uri) => self.uris.contains(uri),
        }
    }

    fn set(&mut self, s: &Subscription, on: bool) {
        match s {
            Subscription::ToolsListChanged => self.tools = on,
            Subscription::PromptsListChanged => self.prompts = on,
            Subscription::ResourcesListChanged => self.resources = on,
            Subscription::Resource(uri) => {
                if on {
                    self.uris.insert(uri.clone());
                } else {
                    self.uris.remove(uri);
                }
            }
        }
    }

    fn covers(&self, other: &Set) -> bool {
        (self.tools || !other.tools)
            && (self.prompts || !other.prompts)
            && (self.resources || !other.resources)
            && other.uris.is_subset(&self.uris)
    }

    fn is_empty(&self) -> bool {
        *self == Set::default()
    }

    fn to_filter(&self) -> SubscriptionFilter {
        let flag = |b: bool| b.then_some(true);
        SubscriptionFilter {
            tools_list_changed: flag(self.tools),
            prompts_list_changed: flag(self.prompts),
            resources_list_changed: flag(self.resources),
            resource_subscriptions: (!self.uris.is_empty())
                .then(|| self.uris.iter().cloned().collect()),
            extra: JsonObject::new(),
        }
    }

    fn from_filter(f: &SubscriptionFilter) -> Set {
        Set {
            tools: f.tools_list_changed.unwrap_or(false),
            prompts: f.prompts_list_changed.unwrap_or(false),
            resources: f.resources_list_changed.unwrap_or(false),
            uris: f.resource_subscriptions.iter().flatten().cloned().collect(),
        }
    }
}

#[derive(Debug)]
struct Listen {
    wire: i64,
    requested: Set,
    acked: Option<Set>,
}

#[derive(Debug, Default)]
pub(super) struct Subscriptions {
    desired: Set,
    /// Open streams, oldest first.
    listens: Vec<Listen>,
}

impl Subscriptions {
    fn listen(&self, wire: i64) -> Option<&Listen> {
        self.listens.iter().find(|l| l.wire == wire)
    }

    pub(super) fn is_listen(&self, wire: i64) -> bool {
        self.listen(wire).is_some()
    }
}

impl Client {
    pub(super) fn subscribe_modern(&mut self, id: CallId, what: Subscription) {
        self.subs.desired.set(&what, true);
        if let Some(newest) = self.subs.listens.last() {
            if newest.requested.covers(&self.subs.desired) {
                match &newest.acked {
                    Some(acked) => {
                        let honored = acked.contains(&what);
                        self.finish(id, Ok(outcome_reply("subscribe", honored)));
                    }
                    None => self.wait_for_ack(id),
                }
                return;
            }
        }
        self.open_listen();
        self.wait_for_ack(id);
    }

    pub(super) fn unsubscribe_modern(&mut self, id: CallId, what: Subscription) {
        self.subs.desired.set(&what, false);
        self.finish(id, Ok(empty_reply("unsubscribe")));
        if self.subs.desired.is_empty() {
            let wires: Vec<i64> = self.subs.listens.iter().map(|l| l.wire).collect();
            for w in wires {
                self.drop_listen(w, true);
            }
        } else if self
            .subs
            .listens
            .last()
            .is_some_and(|l| l.requested != self.subs.desired)
        {
            self.open_listen();
        }
    }

    fn wait_for_ack(&mut self, id: CallId) {
        if let Some(c) = self.calls.get_mut(&id) {
            c.state = CallState::WaitingAck;
        }
    }

    fn open_listen(&mut self) {
        let Some(version) = self.version else {
            return;
        };
        let wire = self.alloc_wire();
        let requested = self.subs.desired.clone();
        let mut params = JsonObject::new();
        params.insert(
            "notifications".into(),
            serde_json::to_value(requested.to_filter()).unwrap_or(Value::Object(JsonObject::new())),
        );
        self.wire.insert(wire, Wire::Listen);
        self.write_internal_request(wire, "subscriptions/listen", &params, version);
        self.timers
            .set(Timer::Listen(wire), self.now + self.cfg.request_timeout);
        self.subs.listens.push(Listen {
            wire,
            requested,
            acked: None,
        });
    }

    /// Closes a listen stream on our side (`notifications/cancelled` on a
    /// byte stream) and forgets it.
    fn drop_listen(&mut self, wire: i64, tell_server: bool) {
        self.subs.listens.retain(|l| l.wire != wire);
        self.timers.clear(Timer::Listen(wire));
        if self.wire.remove(&wire).is_some() {
            self.remember_abandoned(wire);
            if tell_server {
                self.send_cancelled(wire, Some("subscription no longer needed"));
            }
        }
    }

    /// `notifications/subscriptions/acknowledged`.
    pub(super) fn on_listen_ack(
        &mut self,
        wire: i64,
        params: SubscriptionsAcknowledgedNotificationParams,
    ) {
        let Some(listen) = self.subs.listens.iter_mut().find(|l| l.wire == wire) else {
            return self.violation(
                ViolationKind::UnexpectedSubscriptionMessage,
                format!("acknowledgement for subscription {wire}, which is not open"),
            );
        };
        let acked = Set::from_filter(&params.notifications);
        listen.acked = Some(acked.clone());
        let requested = listen.requested.clone();
        if self.http.is_some() {
            self.http_listen_acked();
        }
        self.timers.clear(Timer::Listen(wire));

        let waiting: Vec<(CallId, Subscription)> = self
            .calls
            .iter()
            .filter(|(_, c)| c.state == CallState::WaitingAck)
            .filter_map(|(id, c)| match &c.kind {
                CallKind::Subscribe(s) if requested.contains(s) => Some((*id, s.clone())),
                _ => None,
            })
            .collect();
        for (id, what) in waiting {
            self.finish(id, Ok(outcome_reply("subscribe", acked.contains(&what))));
        }
        // The newest stream is acknowledged: the older ones can go.
        if self.subs.listens.last().map(|l| l.wire) == Some(wire) {
            let older: Vec<i64> = self
                .subs
                .listens
                .iter()
                .map(|l| l.wire)
                .filter(|w| *w != wire)
                .collect();
            for w in older {
                self.drop_listen(w, true);
            }
        }
    }

    /// The server answered a listen request: a result ends the stream
    /// gracefully, an error means it never opened.
    pub(super) fn on_listen_answer(&mut self, wire: i64, answer: Result<RawJson, ErrorObject>) {
        self.end_listen(wire, answer.err(), None);
    }

    /// The server cancelled a listen stream (`notifications/cancelled`).
    pub(super) fn on_listen_cancelled(&mut self, wire: i64, reason: Option<String>) {
        self.wire.remove(&wire);
        self.end_listen(wire, None, reason);
    }

    /// The listen request `wire` failed at the transport: its waiting
    /// subscribers learn why, and the stream is gone.
    pub(super) fn on_listen_failed(&mut self, wire: i64, err: RequestError) {
        self.fail_waiting(wire, err);
        self.wire.remove(&wire);
        self.end_listen(wire, None, Some("the subscription stream failed".into()));
    }

    /// A listen stream broke without ending (HTTP): a new one with the
    /// filter the old one had takes its place.
    pub(super) fn replace_listen(&mut self, wire: i64) {
        let Some(pos) = self.subs.listens.iter().position(|l| l.wire == wire) else {
            return;
        };
        let newest = pos + 1 == self.subs.listens.len();
        self.subs.listens.remove(pos);
        self.timers.clear(Timer::Listen(wire));
        self.remember_abandoned(wire);
        if newest && !self.subs.desired.is_empty() {
            // Calls waiting for the old stream's acknowledgement wait for
            // the new one's instead: its filter covers theirs.
            self.open_listen();
        }
    }

    pub(super) fn on_listen_timeout(&mut self, wire: i64) {
        let after = self.cfg.request_timeout;
        self.fail_waiting(wire, RequestError::Timeout { after });
        self.drop_listen(wire, true);
    }

    fn end_listen(&mut self, wire: i64, error: Option<ErrorObject>, reason: Option<String>) {
        let Some(pos) = self.subs.listens.iter().position(|l| l.wire == wire) else {
            return;
        };
        let was_newest = pos + 1 == self.subs.listens.len();
        let listen = self.subs.listens.remove(pos);
        self.timers.clear(Timer::Listen(wire));
        match error {
            Some(err) => self.fail_waiting_for(&listen.requested, RequestError::Server(err)),
            None => {
                let requested = listen.requested.clone();
                self.fail_waiting_for(
                    &requested,
                    RequestError::InvalidResponse {
                        method: "subscriptions/listen".into(),
                        detail: "the server ended the subscription before acknowledging it".into(),
                    },
                );
            }
        }
        if was_newest && listen.acked.is_some() && self.subs.listens.is_empty() {
            self.subs.desired = Set::default();
            self.events
                .push_back(Event::Notification(Notification::SubscriptionsEnded {
                    reason,
                }));
        }
    }

    fn fail_waiting(&mut self, wire: i64, err: RequestError) {
        if let Some(requested) = self.subs.listen(wire).map(|l| l.requested.clone()) {
            self.fail_waiting_for(&requested, err);
        }
    }

    /// Fails the subscribe calls that only the stream with `requested` would
    /// have acknowledged.
    fn fail_waiting_for(&mut self, requested: &Set, err: RequestError) {
        let covered_elsewhere = |s: &Subscription, subs: &Subscriptions| {
            subs.listens.iter().any(|l| l.requested.contains(s))
        };
        let ids: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.state == CallState::WaitingAck)
            .filter(|(_, c)| matches!(&c.kind, CallKind::Subscribe(s) if requested.contains(s) && !covered_elsewhere(s, &self.subs)))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.finish(id, Err(err.clone()));
        }
    }

    /// Whether a modern listen notification should reach the application:
    /// it belongs to an open stream and to something still subscribed.
    pub(super) fn accept_listen_notification(
        &mut self,
        sub_id: Option<&crate::model::RequestId>,
        what: &Subscription,
    ) -> bool {
        if let Some(id) = sub_id {
            let open = match id {
                crate::model::RequestId::Number(n) => self.subs.is_listen(*n),
                crate::model::RequestId::String(_) => false,
            };
            if !open {
                self.violation(
                    ViolationKind::UnexpectedSubscriptionMessage,
                    format!("notification for subscription {id}, which is not open; dropped"),
                );
                return false;
            }
            return self.subs.desired.contains(what);
        }
        true
    }
}
