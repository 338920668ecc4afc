//! Bounds on what a session holds for the server's sake, and when reading
//! from the server pauses so that they hold.
//!
//! Two things can pile up whatever the limits say, if reading from the
//! server goes on regardless:
//!
//! - callbacks the application has not run yet: what the dispatcher's short
//!   queue cannot take waits here, up to `Limits::max_queued_events` events
//!   and `Limits::max_queued_bytes` bytes of them (alike violations in a
//!   row merge into one, so a flood of bad lines costs one entry);
//! - answers to the server's own requests that it does not read: up to
//!   `Limits::max_unwritten_replies` bytes wait to be written (over HTTP:
//!   are in flight).
//!
//! Past either bound the adapter is not told to read on (see
//! [`Acks`]): each reader holds one chunk in flight and waits for its ack,
//! so the server's output stays in the pipe or socket and the server is
//! paused by it. Calls the application makes from inside a callback lift
//! the first bound while they are out: their callbacks cannot run before
//! they return, and their answers must still be read.

use std::collections::VecDeque;

use mcp_proto::http::ExchangeId;
use mcp_proto::{Event, Limits};

use crate::dispatch::Dispatch;

/// Which readers may read their next chunk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Acks {
    /// The server's stdout (a byte stream).
    pub stdout: bool,
    /// These HTTP exchanges' bodies.
    pub exchanges: Vec<ExchangeId>,
}

/// See the module docs.
pub(crate) struct Backlog {
    /// Items for the dispatcher that it had no room for, in order, with
    /// their weight.
    waiting: VecDeque<(Dispatch, usize)>,
    /// Events among them (answers to calls do not count: the calls bound
    /// them) and their weight.
    events: usize,
    bytes: usize,
    max_events: usize,
    max_bytes: usize,
    /// Bytes written in reaction to the server that are not written yet.
    unwritten: usize,
    max_unwritten: usize,
    /// The stdout reader's last chunk was taken in; its ack is owed.
    stdout_owed: bool,
    /// Exchanges whose last body chunk was taken in, their acks owed.
    exchanges_owed: Vec<ExchangeId>,
    /// Calls started from inside a callback that are still out.
    nested_calls: usize,
}

impl Backlog {
    pub(crate) fn new(limits: &Limits) -> Backlog {
        Backlog {
            waiting: VecDeque::new(),
            events: 0,
            bytes: 0,
            max_events: limits.max_queued_events,
            max_bytes: limits.max_queued_bytes,
            unwritten: 0,
            max_unwritten: limits.max_unwritten_replies,
            stdout_owed: false,
            exchanges_owed: Vec::new(),
            nested_calls: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Puts `item` aside, merging a violation into one of the same kind
    /// just before it.
    pub(crate) fn push(&mut self, item: Dispatch, weight: usize) {
        let item = match (self.waiting.back_mut(), item) {
            (
                Some((Dispatch::Event(Event::Violation(last)), _)),
                Dispatch::Event(Event::Violation(v)),
            ) => match last.absorb(v) {
                Ok(()) => return,
                Err(v) => Dispatch::Event(Event::Violation(v)),
            },
            (_, item) => item,
        };
        if !matches!(item, Dispatch::Reply(..) | Dispatch::Barrier(_)) {
            self.events += 1;
            self.bytes = self.bytes.saturating_add(weight);
        }
        self.waiting.push_back((item, weight));
    }

    /// The oldest item put aside.
    pub(crate) fn pop(&mut self) -> Option<(Dispatch, usize)> {
        let (item, weight) = self.waiting.pop_front()?;
        if !matches!(item, Dispatch::Reply(..) | Dispatch::Barrier(_)) {
            self.events = self.events.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(weight);
        }
        Some((item, weight))
    }

    /// `n` bytes written in reaction to the server are on their way.
    pub(crate) fn reactive(&mut self, n: usize) {
        self.unwritten = self.unwritten.saturating_add(n);
    }

    /// `n` of them were written (or will never be).
    pub(crate) fn written(&mut self, n: usize) {
        self.unwritten = self.unwritten.saturating_sub(n);
    }

    pub(crate) fn owe_stdout(&mut self) {
        self.stdout_owed = true;
    }

    pub(crate) fn owe_exchange(&mut self, id: ExchangeId) {
        self.exchanges_owed.push(id);
    }

    pub(crate) fn nested_call(&mut self, started: bool) {
        if started {
            self.nested_calls += 1;
        } else {
            self.nested_calls = self.nested_calls.saturating_sub(1);
        }
    }

    /// Whether reading must pause: too much waits for callbacks, or (with
    /// `in_flight` answers over HTTP) for the server to read.
    fn full(&self, in_flight: usize) -> bool {
        let callbacks = self.nested_calls == 0
            && (self.events >= self.max_events
                || (self.events > 0 && self.bytes >= self.max_bytes));
        callbacks || self.unwritten.saturating_add(in_flight) > self.max_unwritten
    }

    /// The acks owed, unless reading must pause (`closed`: the connection
    /// is over, and the server's output is read to its end).
    pub(crate) fn take_acks(&mut self, in_flight: usize, closed: bool) -> Acks {
        if !closed && self.full(in_flight) {
            return Acks::default();
        }
        Acks {
            stdout: std::mem::take(&mut self.stdout_owed),
            exchanges: std::mem::take(&mut self.exchanges_owed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_proto::{Violation, ViolationKind};

    fn limits() -> Limits {
        Limits {
            max_queued_events: 3,
            max_queued_bytes: 1000,
            max_unwritten_replies: 100,
            ..Limits::default()
        }
    }

    fn violation(kind: ViolationKind) -> Dispatch {
        Dispatch::Event(Event::Violation(Violation::new(kind, "x")))
    }

    #[test]
    fn alike_violations_in_a_row_merge_and_others_count() {
        let mut b = Backlog::new(&limits());
        for _ in 0..1000 {
            b.push(violation(ViolationKind::NotJson), 10);
        }
        b.owe_stdout();
        assert!(b.take_acks(0, false).stdout, "one entry, far from full");
        b.push(violation(ViolationKind::InvalidUtf8), 10);
        b.push(Dispatch::Event(Event::SessionExpired), 10);
        b.owe_stdout();
        assert_eq!(b.take_acks(0, false), Acks::default(), "three events");
        match b.pop() {
            Some((Dispatch::Event(Event::Violation(v)), _)) => assert_eq!(v.repeats, 999),
            _ => panic!("the merged violation comes first"),
        }
        assert!(
            b.take_acks(0, false).stdout,
            "owed acks are kept until given"
        );
    }

    #[test]
    fn weight_unwritten_answers_and_closing_decide_too() {
        let mut b = Backlog::new(&limits());
        b.push(Dispatch::Event(Event::SessionExpired), 5000);
        b.owe_exchange(ExchangeId(7));
        assert!(
            b.take_acks(0, false).exchanges.is_empty(),
            "over the weight"
        );
        assert_eq!(b.take_acks(0, true).exchanges, [ExchangeId(7)], "closed");
        b.pop();
        b.reactive(150);
        b.owe_stdout();
        assert!(!b.take_acks(0, false).stdout, "answers not written");
        b.written(100);
        assert!(!b.take_acks(60, false).stdout, "with answers in flight");
        assert!(b.take_acks(0, false).stdout);
    }

    #[test]
    fn calls_from_callbacks_lift_the_callback_bound_only() {
        let mut b = Backlog::new(&limits());
        for _ in 0..5 {
            b.push(Dispatch::Event(Event::SessionExpired), 1);
        }
        b.nested_call(true);
        b.owe_stdout();
        assert!(b.take_acks(0, false).stdout);
        b.reactive(1000);
        b.owe_stdout();
        assert!(!b.take_acks(0, false).stdout);
        b.nested_call(false);
        b.written(1000);
        assert!(!b.take_acks(0, false).stdout, "the callbacks bound is back");
    }
}
