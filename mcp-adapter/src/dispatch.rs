//! The thread that runs the application's callbacks, in the order their
//! messages arrived, off the driver's thread: a slow callback delays other
//! callbacks, never the connection.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, SendError, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use mcp_proto::api::ProgressFn;
use mcp_proto::handler::{dispatch, NotificationHandler};
use mcp_proto::model::ProgressNotificationParams;
use mcp_proto::{Event, Reply};

use crate::workers::{self, Worker};
use crate::Error;

/// Hands a call its answer (a channel's sending end, in a box).
pub type ReplyFn = Box<dyn FnOnce(Result<Reply, Error>) + Send>;

/// Work for the dispatcher.
pub enum Dispatch {
    /// A notification, violation or wire record for the notification handler.
    Event(Event),
    /// A progress report for one call's callback.
    Progress(ProgressFn, ProgressNotificationParams),
    /// The answer to a call with a progress callback, delivered after the
    /// callbacks queued before it, so none runs after the caller has moved on.
    Reply(ReplyFn, Result<Reply, Error>),
}

/// The dispatcher's queue. Its thread starts with the first item: a
/// client with no notification handler that never asks for progress
/// never starts one.
pub struct Dispatcher {
    handler: Option<Arc<dyn NotificationHandler>>,
    tx: Option<Sender<Dispatch>>,
    worker: Arc<Mutex<Option<Worker>>>,
}

/// The dispatcher's thread, to wait for once its queue is closed.
#[derive(Clone, Debug)]
pub struct DispatchThread(Arc<Mutex<Option<Worker>>>);

impl DispatchThread {
    /// The thread, if the dispatcher was started (and not taken before).
    pub fn take(&self) -> Option<Worker> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl Dispatcher {
    /// A dispatcher for `handler`, not started yet.
    pub fn new(handler: Option<Arc<dyn NotificationHandler>>) -> (Dispatcher, DispatchThread) {
        let worker = Arc::new(Mutex::new(None));
        let thread = DispatchThread(worker.clone());
        let d = Dispatcher {
            handler,
            tx: None,
            worker,
        };
        (d, thread)
    }

    /// Queues `item`, starting the thread first if need be. Gives `item`
    /// back if no thread could be started or the thread is gone.
    // The item comes back as it went in (the caller answers a reply
    // itself); boxing it would cost an allocation per send.
    #[allow(clippy::result_large_err)]
    pub fn send(&mut self, item: Dispatch) -> Result<(), Dispatch> {
        let tx = match &self.tx {
            Some(tx) => tx,
            None => {
                let (tx, rx) = mpsc::channel();
                let handler = self.handler.clone();
                match workers::spawn(move || run(rx, handler)) {
                    Ok(w) => {
                        *self.worker.lock().unwrap_or_else(PoisonError::into_inner) = Some(w);
                    }
                    Err(_) => return Err(item),
                }
                self.tx.insert(tx)
            }
        };
        tx.send(item).map_err(|SendError(item)| item)
    }
}

thread_local! {
    /// Set while this thread runs a dispatcher's queue.
    static DISPATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is a dispatcher's, that is, whether the
/// caller is inside a callback. Waiting there for the dispatcher to finish
/// would wait for oneself.
pub fn in_callback() -> bool {
    DISPATCHING.with(Cell::get)
}

fn run(rx: Receiver<Dispatch>, handler: Option<Arc<dyn NotificationHandler>>) {
    DISPATCHING.with(|d| d.set(true));
    // Pool threads run other jobs afterwards.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            DISPATCHING.with(|d| d.set(false));
        }
    }
    let _reset = Reset;
    // A panicking callback loses its own report only; the thread goes on,
    // so later callbacks and the answers queued behind them still arrive.
    let guarded = |f: &mut dyn FnMut()| {
        let _ = std::panic::catch_unwind(AssertUnwindSafe(f));
    };
    for item in rx {
        match item {
            Dispatch::Event(e) => {
                if let Some(h) = &handler {
                    guarded(&mut || {
                        dispatch(h.as_ref(), &e);
                    });
                }
            }
            Dispatch::Progress(cb, p) => guarded(&mut || cb(&p)),
            Dispatch::Reply(reply, result) => reply(result),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_starts_with_the_first_item_and_runs_it() {
        let (mut d, thread) = Dispatcher::new(None);
        assert!(thread.take().is_none(), "started before anything was sent");
        let (tx, rx) = mpsc::channel();
        let reply: ReplyFn = Box::new(move |r| tx.send(r.is_err()).unwrap());
        let err = Err(Error::Cancelled);
        assert!(d.send(Dispatch::Reply(reply, err)).is_ok());
        assert!(rx.recv().unwrap());
        assert!(!in_callback());
        let (tx, rx) = mpsc::channel();
        let reply: ReplyFn = Box::new(move |_| tx.send(in_callback()).unwrap());
        assert!(d
            .send(Dispatch::Reply(reply, Err(Error::Cancelled)))
            .is_ok());
        assert!(rx.recv().unwrap(), "a callback runs on the dispatcher");
        drop(d);
        // The queue closed: the thread ends and can be waited for.
        let worker = thread.take().expect("started by the send");
        worker.join();
        assert!(worker.is_finished());
    }
}
