//! The events waiting for `poll_output`: counted, weighed, and with repeated
//! violations merged while the queue is backed up, so that what it holds
//! follows the limits rather than what the server sends.

use std::collections::VecDeque;

use crate::config::Limits;
use crate::error::Violation;
use crate::event::Event;

/// From this many waiting events on, a violation of the same kind as the
/// last waiting one is merged into it (see [`Violation::repeats`]). An
/// application that drains after every input sees each breach on its own
/// unless one input holds more than this many.
pub(crate) const MERGE_BEHIND: usize = 256;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct EventQueue {
    /// Each event with what it weighed when queued.
    items: VecDeque<(Event, usize)>,
    bytes: usize,
}

impl EventQueue {
    pub(crate) fn push_back(&mut self, event: Event) {
        let size = event.heap_size();
        self.bytes = self.bytes.saturating_add(size);
        self.items.push_back((event, size));
    }

    /// Queues a violation, or merges it into the last waiting event when
    /// that is one of the same kind and the queue is backed up.
    pub(crate) fn push_violation(&mut self, v: Violation) {
        let backed_up = self.items.len() >= MERGE_BEHIND;
        let v = match self.items.back_mut() {
            Some((Event::Violation(last), _)) if backed_up => match last.absorb(v) {
                Ok(()) => return,
                Err(v) => v,
            },
            _ => v,
        };
        self.push_back(Event::Violation(v));
    }

    pub(crate) fn pop_front(&mut self) -> Option<Event> {
        let (event, size) = self.items.pop_front()?;
        self.bytes = self.bytes.saturating_sub(size);
        Some(event)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether input must pause until some events are taken: the count or
    /// the weight limit is reached (one event always fits).
    pub(crate) fn full(&self, limits: &Limits) -> bool {
        self.items.len() >= limits.max_queued_events
            || (!self.items.is_empty() && self.bytes >= limits.max_queued_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ViolationKind;

    fn bad_line(n: usize) -> Violation {
        Violation::new(ViolationKind::NotJson, format!("line {n}"))
    }

    #[test]
    fn a_backed_up_queue_merges_a_flood_of_alike_violations() {
        let mut q = EventQueue::default();
        for n in 0..MERGE_BEHIND + 10_000 {
            q.push_violation(bad_line(n));
        }
        // Each on its own until the queue is backed up, then one for the rest.
        assert_eq!(q.len(), MERGE_BEHIND);
        let mut last = None;
        while let Some(e) = q.pop_front() {
            last = Some(e);
        }
        match last {
            Some(Event::Violation(v)) => {
                assert_eq!(v.detail, format!("line {}", MERGE_BEHIND - 1));
                assert_eq!(v.repeats, 10_000);
                assert!(v.to_string().ends_with("(and 10000 more like it)"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(q.bytes, 0);
    }

    #[test]
    fn other_kinds_and_other_events_are_never_merged() {
        let mut q = EventQueue::default();
        for _ in 0..MERGE_BEHIND {
            q.push_back(Event::SessionExpired);
        }
        q.push_violation(bad_line(1));
        q.push_violation(Violation::new(ViolationKind::InvalidUtf8, "x"));
        q.push_violation(bad_line(2));
        q.push_back(Event::SessionExpired);
        q.push_violation(bad_line(3));
        assert_eq!(q.len(), MERGE_BEHIND + 5);
    }

    #[test]
    fn fullness_counts_events_and_their_weight_and_always_admits_one() {
        let limits = Limits {
            max_queued_events: 4,
            max_queued_bytes: 1000,
            ..Limits::default()
        };
        let mut q = EventQueue::default();
        assert!(!q.full(&limits));
        q.push_back(Event::Violation(Violation::new(
            ViolationKind::NotJson,
            "x".repeat(5000),
        )));
        assert!(q.full(&limits), "over the weight");
        q.pop_front();
        assert!(!q.full(&limits));
        for _ in 0..4 {
            q.push_back(Event::SessionExpired);
        }
        assert!(q.full(&limits), "at the count");
    }
}
