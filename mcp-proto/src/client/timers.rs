//! Deadlines, kept in one ordered set so the next one is always at hand.
//!
//! Each owner (a call, an input request, the handshake, a listen stream)
//! holds at most one deadline; arming again replaces it, so the set never
//! holds stale entries and `next` is exact.

use std::collections::BTreeSet;
use std::time::Instant;

use rustc_hash::FxHashMap;

use crate::event::{CallId, InputId};

/// Who a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// The handshake step in progress (probe or initialize).
    Handshake,
    /// A call's answer (or its total time cap).
    Call(CallId),
    /// An input request waiting for the application.
    Input(InputId),
    /// A `subscriptions/listen` waiting for its acknowledgement.
    Listen(i64),
    /// Reopening the legacy standalone GET stream.
    HttpStandalone,
    /// Resuming request `wire`'s broken stream with `Last-Event-ID`.
    HttpResume(i64),
    /// Sending a call again after a retryable failure.
    HttpRetry(CallId),
    /// Giving up on the `DELETE` that ends the session.
    HttpClose,
    /// Giving up waiting for a session's opening exchange to be answered.
    HttpGate,
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    queue: BTreeSet<(Instant, Timer)>,
    /// Each armed timer's deadline, to find its queue entry.
    armed: FxHashMap<Timer, Instant>,
}

impl Timers {
    /// Arms (or re-arms) `timer` at `at`.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(old) = self.armed.insert(timer, at) {
            if old == at {
                // A call is armed when issued and again when sent, usually
                // at the same instant.
                return;
            }
            self.queue.remove(&(old, timer));
        }
        self.queue.insert((at, timer));
    }

    /// Disarms `timer`; a no-op if it is not armed.
    pub(crate) fn clear(&mut self, timer: Timer) {
        if let Some(old) = self.armed.remove(&timer) {
            self.queue.remove(&(old, timer));
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.queue.first().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        let &(at, timer) = self.queue.first()?;
        if at > now {
            return None;
        }
        self.queue.remove(&(at, timer));
        self.armed.remove(&timer);
        Some(timer)
    }

    /// Disarms everything.
    pub(crate) fn clear_all(&mut self) {
        self.queue.clear();
        self.armed.clear();
    }
}
