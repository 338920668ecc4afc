//! The thread that runs the application's callbacks, in the order their
//! messages arrived, off the driver's thread: a slow callback delays other
//! callbacks, never the connection.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

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

/// Starts the dispatcher (on a worker thread); it ends when every sender
/// is dropped and the queue is empty.
pub fn spawn(
    handler: Option<Arc<dyn NotificationHandler>>,
) -> std::io::Result<(Sender<Dispatch>, Worker)> {
    let (tx, rx) = mpsc::channel();
    let worker = workers::spawn(move || run(rx, handler))?;
    Ok((tx, worker))
}

fn run(rx: Receiver<Dispatch>, handler: Option<Arc<dyn NotificationHandler>>) {
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
