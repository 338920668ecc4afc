//! The thread that runs the application's callbacks, in the order their
//! messages arrived, off the driver's thread: a slow callback delays other
//! callbacks, never the connection.
//!
//! Its queue is short ([`DEPTH`] items, [`WEIGHT`] bytes of events): what
//! does not fit waits in the session's backlog, where it is bounded by the
//! configured limits and a flood of alike violations merges, and the
//! session stops reading from the server while that backlog is full. When
//! the thread has worked the queue down to half, it calls the hook it was
//! given so the session can pass on what waits.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// Called on the dispatcher's thread when its queue has room again after
/// the session found it full.
pub type RoomFn = Box<dyn Fn() + Send + Sync>;

/// Most items queued to the dispatcher's thread at once.
pub const DEPTH: usize = 256;

/// Most bytes of events (as [`Event::heap_size`] weighs them) queued to the
/// dispatcher's thread at once; one item always fits.
pub const WEIGHT: usize = 4 * 1024 * 1024;

/// What is queued to the thread, shared with it.
struct Load {
    items: AtomicUsize,
    bytes: AtomicUsize,
    /// The session found the queue full and waits to hear of room.
    wanted: AtomicBool,
    on_room: RoomFn,
}

impl Load {
    fn has_room(&self) -> bool {
        let items = self.items.load(Ordering::SeqCst);
        items == 0 || (items < DEPTH && self.bytes.load(Ordering::SeqCst) < WEIGHT)
    }

    /// One item of `weight` was run.
    fn ran(&self, weight: usize) {
        self.bytes.fetch_sub(weight, Ordering::SeqCst);
        let left = self.items.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
        // Half empty, so the session passes on a batch, not one at a time.
        let roomy = left <= DEPTH / 2 && self.bytes.load(Ordering::SeqCst) < WEIGHT / 2;
        if (roomy || left == 0) && self.wanted.swap(false, Ordering::SeqCst) {
            (self.on_room)();
        }
    }
}

/// Work for the dispatcher.
pub enum Dispatch {
    /// A notification, violation or wire record for the notification handler.
    Event(Event),
    /// A progress report for one call's callback.
    Progress(ProgressFn, ProgressNotificationParams),
    /// The answer to a call, delivered after the callbacks queued before
    /// it, so none runs after the caller has moved on.
    Reply(ReplyFn, Result<Reply, Error>),
    /// Run once every callback queued before it has run
    /// (`flush_callbacks`).
    Barrier(Box<dyn FnOnce() + Send>),
}

/// The dispatcher's queue. Its thread starts with the first item: a
/// client with no notification handler that never asks for progress
/// never starts one.
pub struct Dispatcher {
    handler: Option<Arc<dyn NotificationHandler>>,
    tx: Option<Sender<(Dispatch, usize)>>,
    worker: Arc<Mutex<Option<Worker>>>,
    load: Arc<Load>,
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
    /// A dispatcher for `handler`, not started yet; `on_room` is called
    /// (on its thread) when its queue has room again after
    /// [`want_room`](Dispatcher::want_room).
    pub fn new(
        handler: Option<Arc<dyn NotificationHandler>>,
        on_room: RoomFn,
    ) -> (Dispatcher, DispatchThread) {
        let worker = Arc::new(Mutex::new(None));
        let thread = DispatchThread(worker.clone());
        let d = Dispatcher {
            handler,
            tx: None,
            worker,
            load: Arc::new(Load {
                items: AtomicUsize::new(0),
                bytes: AtomicUsize::new(0),
                wanted: AtomicBool::new(false),
                on_room,
            }),
        };
        (d, thread)
    }

    /// Whether no callback is queued or running.
    pub fn is_idle(&self) -> bool {
        self.load.items.load(Ordering::SeqCst) == 0
    }

    /// Whether the queue takes another item now (it always takes one when
    /// empty).
    pub fn has_room(&self) -> bool {
        self.load.has_room()
    }

    /// Asks to hear (through the hook) when the queue has room again.
    /// Look at [`has_room`](Dispatcher::has_room) once more afterwards: the
    /// room may have come before the wish was seen.
    pub fn want_room(&self) {
        self.load.wanted.store(true, Ordering::SeqCst);
    }

    /// Queues `item`, which weighs `weight` bytes, starting the thread
    /// first if need be; full or not (see [`has_room`](Dispatcher::has_room)).
    /// Gives `item` back if no thread could be started or the thread is
    /// gone.
    // The item comes back as it went in (the caller answers a reply
    // itself); boxing it would cost an allocation per send.
    #[allow(clippy::result_large_err)]
    pub fn send(&mut self, item: Dispatch, weight: usize) -> Result<(), Dispatch> {
        let tx = match &self.tx {
            Some(tx) => tx,
            None => {
                let (tx, rx) = mpsc::channel();
                let handler = self.handler.clone();
                let load = self.load.clone();
                match workers::spawn(move || run(rx, handler, &load)) {
                    Ok(w) => {
                        *self.worker.lock().unwrap_or_else(PoisonError::into_inner) = Some(w);
                    }
                    Err(_) => return Err(item),
                }
                self.tx.insert(tx)
            }
        };
        self.load.items.fetch_add(1, Ordering::SeqCst);
        self.load.bytes.fetch_add(weight, Ordering::SeqCst);
        tx.send((item, weight))
            .map_err(|SendError((item, weight))| {
                self.load.bytes.fetch_sub(weight, Ordering::SeqCst);
                self.load.items.fetch_sub(1, Ordering::SeqCst);
                item
            })
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

fn run(
    rx: Receiver<(Dispatch, usize)>,
    handler: Option<Arc<dyn NotificationHandler>>,
    load: &Load,
) {
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
    for (item, weight) in rx {
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
            Dispatch::Barrier(done) => done(),
        }
        load.ran(weight);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_starts_with_the_first_item_and_runs_it() {
        let (mut d, thread) = Dispatcher::new(None, Box::new(|| {}));
        assert!(thread.take().is_none(), "started before anything was sent");
        let (tx, rx) = mpsc::channel();
        let reply: ReplyFn = Box::new(move |r| tx.send(r.is_err()).unwrap());
        let err = Err(Error::Cancelled);
        assert!(d.send(Dispatch::Reply(reply, err), 0).is_ok());
        assert!(rx.recv().unwrap());
        assert!(!in_callback());
        let (tx, rx) = mpsc::channel();
        let reply: ReplyFn = Box::new(move |_| tx.send(in_callback()).unwrap());
        assert!(d
            .send(Dispatch::Reply(reply, Err(Error::Cancelled)), 0)
            .is_ok());
        assert!(rx.recv().unwrap(), "a callback runs on the dispatcher");
        drop(d);
        // The queue closed: the thread ends and can be waited for.
        let worker = thread.take().expect("started by the send");
        worker.join();
        assert!(worker.is_finished());
    }
}
