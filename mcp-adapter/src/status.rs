//! What every handle can see of a connection, and waiting for it to change,
//! from a thread (blocking) or a task (async) alike.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use event_listener::{Event, Listener};
use mcp_proto::{CloseReason, HttpTransport, Ready};

use crate::ExitStatus;

/// The connection as the driver last reported it.
#[derive(Debug, Default, Clone)]
pub struct State {
    /// What the server said when it became ready.
    pub ready: Option<Ready>,
    /// Over HTTP, the transport the server turned out to speak.
    pub http_transport: Option<HttpTransport>,
    /// Why the connection closed, once it has.
    pub closed: Option<CloseReason>,
    /// How the server process ended, once it has.
    pub exit: Option<ExitStatus>,
    /// The driver has stopped: nothing will change any more.
    pub finished: bool,
    /// Threads (HTTP exchanges) that had not ended when the driver stopped.
    pub threads_left: usize,
    /// After `finished`: every callback queued before the end has run.
    pub callbacks_done: bool,
}

impl State {
    /// Whether the handshake is over, one way or the other.
    pub fn settled(&self) -> bool {
        self.ready.is_some() || self.closed.is_some() || self.finished
    }

    /// Once settled: why the client never became ready (`None` if it did).
    pub fn startup_failure(&self) -> Option<CloseReason> {
        match (&self.ready, &self.closed) {
            (Some(_), _) => None,
            (None, Some(reason)) => Some(reason.clone()),
            (None, None) => Some(CloseReason::ClosedByUser),
        }
    }
}

/// [`State`] behind a lock, with an event to wait for changes on.
#[derive(Debug, Default)]
pub struct Status {
    state: Mutex<State>,
    changed: Event,
}

impl Status {
    /// Changes the state and wakes everyone waiting on it.
    pub fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify(usize::MAX);
    }

    /// Reads the state.
    pub fn with<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Blocks until `done(state)` or `limit` passes; returns the final check.
    pub fn wait_blocking(&self, limit: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            // Listen before the check, so a change between the two is seen.
            let listener = self.changed.listen();
            if self.with(&done) {
                return true;
            }
            if listener.wait_deadline(deadline).is_none() {
                return self.with(&done);
            }
        }
    }

    /// Waits until `done(state)`, without blocking a thread.
    pub async fn wait(&self, done: impl Fn(&State) -> bool) {
        loop {
            let listener = self.changed.listen();
            if self.with(&done) {
                return;
            }
            listener.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_waiter_wakes_on_the_change_it_waits_for_and_not_before() {
        let status = Arc::new(Status::default());
        let s = status.clone();
        let t = std::thread::spawn(move || {
            s.update(|st| st.threads_left = 1);
            std::thread::sleep(Duration::from_millis(20));
            s.update(|st| st.finished = true);
        });
        assert!(status.wait_blocking(Duration::from_secs(10), |s| s.finished));
        assert_eq!(status.with(|s| s.threads_left), 1);
        t.join().unwrap();
        assert!(!status.wait_blocking(Duration::from_millis(10), |s| s.ready.is_some()));
    }

    #[test]
    fn an_async_waiter_wakes_too() {
        let status = Arc::new(Status::default());
        let s = status.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            s.update(|st| st.finished = true);
        });
        futures_lite::future::block_on(status.wait(State::settled));
        assert!(status.with(State::settled));
        t.join().unwrap();
    }
}
