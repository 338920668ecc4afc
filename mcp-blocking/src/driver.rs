//! The connection: the session (the core and everything around it) behind
//! one lock, driven by whichever thread has something for it.
//!
//! ```text
//! user threads ──Start (stdio)──────► session ──► outbox ──► stdin (by the caller,
//! stdout reader ──Bytes─────────────►    ▲                    or the writer thread)
//! user threads ──Start (HTTP), Cancel,   │
//!   Close; waiter ──Exited; input ───► driver (timers, shutdown, HTTP threads)
//!   threads ──Answer; HTTP ──Http
//! ```
//!
//! The hot path has no thread in the middle: a caller starts its call on
//! the session and writes the frame to the server's stdin itself (when
//! other calls are in flight, frames wait until a caller is about to block
//! and then leave together, see [`Conn::start`]); whoever reads stdout (a
//! caller waiting on its call, or the reader thread, see `lead`) feeds the
//! server's bytes to the session, which hands each answer to its caller. Everything else goes to the driver thread, which
//! also runs the timers and the shutdown.
//!
//! No thread blocks on something another one needs while holding the
//! session: frames queue in the outbox under the session lock and are
//! written outside it, in order, by whoever holds the writer (a caller, or
//! the writer thread for frames the reader or the driver produced: those
//! two must never block on a full pipe). What to do is the session's
//! business ([`mcp_adapter::session`]); this file only does it.

use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use mcp_adapter::session::{HttpMsg, Input, Io, Session};
use mcp_adapter::Status;
use mcp_proto::http::ExchangeId;

/// The longest the driver sleeps without a timer due: a call started
/// meanwhile with a deadline later than this needs no wake-up message.
const IDLE_TICK: Duration = Duration::from_secs(1);

/// A message to the driver.
// Nearly every message is a session input: boxing it would cost an
// allocation per message to save space on the rare small ones.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Msg {
    /// Something for the session.
    Session(Input),
    /// What happened to an HTTP exchange.
    Http(ExchangeId, HttpMsg),
    /// An HTTP exchange's thread finished.
    HttpDone(ExchangeId),
    /// Look at the session again: a timer moved earlier, or it is done.
    Wake,
}

/// What the threads share under the session lock.
pub(crate) struct Shared {
    session: Session,
    /// The HTTP client, for a connection over HTTP.
    http: Option<crate::http::Engine>,
    /// Frames not yet written, in the order the session produced them.
    outbox: Vec<u8>,
    /// Bytes of the outbox written in reaction to the server.
    outbox_replies: usize,
    /// The stdout reader may read its next chunk (the session acked the
    /// last one; see `mcp_adapter::backlog`).
    reader_may_read: bool,
    /// A reader waits for that.
    reader_waiting: bool,
    /// Wakes a reader waiting on `reader_may_read` in `Conn::wait_to_read`.
    read_on: Arc<Condvar>,
    /// Wakes a reader waiting the same way in `lead` (its wake pipe).
    lead_wake: Option<Box<dyn Fn() + Send + Sync>>,
    /// Close the server's stdin once the outbox is written.
    close_writer: bool,
    /// Wakes the writer thread; gone once the driver has finished.
    writer_wake: Option<Sender<()>>,
    /// A wake-up is on its way to the writer thread: frames queued
    /// meanwhile need no other, and go out with it in one write.
    writer_signalled: bool,
    /// When the driver will next look at the timers by itself.
    driver_wakes: Option<Instant>,
    /// The driver has finished: inputs are refused.
    over: bool,
}

impl Shared {
    /// Does the I/O the session asks for, except writing (see
    /// [`Conn::write_out`]), then lets the readers read on if the session
    /// says so.
    fn perform_io(&mut self) {
        while let Some(io) = self.session.poll_io() {
            match io {
                Io::Transmit { bytes, replies } => {
                    if self.close_writer {
                        self.written(replies);
                        continue;
                    }
                    if self.outbox.is_empty() {
                        self.outbox = bytes;
                    } else {
                        self.outbox.extend_from_slice(&bytes);
                    }
                    self.outbox_replies += replies;
                }
                Io::CloseWriter => self.close_writer = true,
                Io::CloseTransport => {
                    self.close_writer = true;
                    if let Some(engine) = self.http.as_mut() {
                        engine.abort_all();
                    }
                }
                Io::Http(req) => {
                    if let Some(engine) = self.http.as_mut() {
                        engine.start(req);
                    }
                }
                Io::AbortHttp(id) => {
                    if let Some(engine) = self.http.as_mut() {
                        engine.abort(id);
                    }
                }
            }
        }
        self.settle_acks();
    }

    /// Tells the session `replies` bytes of answers left (or never will).
    fn written(&mut self, replies: usize) {
        if replies > 0 {
            self.session
                .handle(Instant::now(), Input::Written { replies });
        }
    }

    /// Acts on the acks the session gives: the stdout reader reads on,
    /// exchanges read their next body chunk.
    fn settle_acks(&mut self) {
        let acks = self.session.take_acks();
        if acks.stdout {
            self.let_reader_read();
        }
        if let Some(engine) = self.http.as_ref() {
            for id in acks.exchanges {
                engine.taken(id);
            }
        }
    }

    fn let_reader_read(&mut self) {
        self.reader_may_read = true;
        if std::mem::take(&mut self.reader_waiting) {
            self.read_on.notify_all();
            if let Some(wake) = &self.lead_wake {
                wake();
            }
        }
    }

    /// Whether the writer has something to do.
    fn writer_due(&self) -> bool {
        !self.outbox.is_empty() || self.close_writer
    }

    /// Wakes the writer thread if there is something to write and it has
    /// not been woken already.
    fn signal_writer(&mut self) {
        if self.writer_due() && !self.writer_signalled {
            if let Some(w) = &self.writer_wake {
                self.writer_signalled = w.send(()).is_ok();
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        let now = Instant::now();
        match msg {
            Msg::Session(input) => self.session.handle(now, input),
            Msg::Http(id, m) => {
                // An exchange aborted meanwhile reports nothing more.
                if self.http.as_ref().is_some_and(|e| e.is_running(id)) {
                    // A body chunk's worker reads on when the session acks it.
                    self.session.handle(now, Input::Http(id, m));
                }
            }
            Msg::HttpDone(id) => {
                if let Some(engine) = self.http.as_mut() {
                    engine.done(id);
                }
            }
            Msg::Wake => {}
        }
    }
}

/// The session, locked. Answers to calls are sent when the lock is let go,
/// not under it: a caller woken while the lock is still held would run
/// straight into it (on one CPU, two more context switches per call).
pub(crate) struct Locked<'a>(Option<MutexGuard<'a, Shared>>);

impl std::ops::Deref for Locked<'_> {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        self.0.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Shared {
        self.0.as_mut().expect("held until dropped")
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(mut guard) = self.0.take() {
            let replies = guard.session.take_replies();
            drop(guard);
            replies.send();
        }
    }
}

/// The connection, shared by the client's handles and its threads.
pub(crate) struct Conn {
    shared: Mutex<Shared>,
    /// The server's stdin; `None` once closed (or for HTTP).
    writer: Mutex<Option<Box<dyn Write + Send>>>,
    /// `Shared::read_on`, to wait on.
    read_on: Arc<Condvar>,
    /// The driver's inbox.
    pub(crate) tx: Sender<Msg>,
}

impl Conn {
    /// A connection around `session`; the writer thread (for a byte
    /// stream) waits on `writer_wake`.
    pub(crate) fn new(
        session: Session,
        http: Option<crate::http::Engine>,
        writer: Option<Box<dyn Write + Send>>,
        writer_wake: Option<Sender<()>>,
        tx: Sender<Msg>,
    ) -> Conn {
        let mut session = session;
        // Sent by `Locked` when the lock is let go.
        session.defer_replies();
        let read_on = Arc::new(Condvar::new());
        Conn {
            read_on: read_on.clone(),
            shared: Mutex::new(Shared {
                session,
                http,
                outbox: Vec::new(),
                outbox_replies: 0,
                reader_may_read: true,
                reader_waiting: false,
                read_on,
                lead_wake: None,
                close_writer: false,
                writer_wake,
                writer_signalled: false,
                driver_wakes: None,
                over: false,
            }),
            writer: Mutex::new(writer),
            tx,
        }
    }

    fn lock(&self) -> Locked<'_> {
        // A panic under the lock (a user's reply closure cannot run here;
        // the session catches handler panics) must not wedge the client.
        Locked(Some(
            self.shared.lock().unwrap_or_else(PoisonError::into_inner),
        ))
    }

    /// Hands `input` to the session on this thread, and tells the driver
    /// if its timers or its end moved. Returns the lock, for writing.
    pub(crate) fn direct(&self, input: Input) -> Locked<'_> {
        let mut s = self.lock();
        if s.over {
            s.session.refuse(input);
            return s;
        }
        let now = Instant::now();
        if matches!(input, Input::Bytes(_)) {
            s.reader_may_read = false;
        }
        s.session.handle(now, input);
        s.perform_io();
        let earlier = s
            .session
            .poll_timeout(now)
            .is_some_and(|t| s.driver_wakes.is_none_or(|w| t < w));
        if earlier || s.session.is_done() {
            let _ = self.tx.send(Msg::Wake);
        }
        s
    }

    /// Starts a call on the caller's thread. With no other call in flight
    /// the caller writes the frame itself: nothing stands between a lone
    /// call and the pipe. Otherwise the frame waits in the outbox for the
    /// first of: a thread about to block on a call ([`flush`](Conn::flush)),
    /// the server's next bytes (the reader wakes the writer), the driver's
    /// next turn. Calls started in a burst then leave in one write instead
    /// of one each, and no thread is woken per call (on one CPU, each wake
    /// was a context switch).
    pub(crate) fn start(&self, input: Input) {
        let s = self.direct(input);
        if s.session.calls_in_flight() <= 1 || s.close_writer {
            self.write_out(s);
        }
    }

    /// Writes what is queued on this thread, before it blocks.
    pub(crate) fn flush(&self) {
        let s = self.lock();
        if s.writer_due() {
            self.write_out(s);
        }
    }

    /// For the stdout reader: `bytes` from the server. Never blocks on the
    /// pipe to the server (the writer thread writes what this produced).
    /// Whether the reader may read its next chunk now; if not, it waits
    /// ([`wait_to_read`](Conn::wait_to_read), or as `lead` does).
    pub(crate) fn received(&self, bytes: Vec<u8>) -> bool {
        let mut s = self.direct(Input::Bytes(bytes));
        s.signal_writer();
        s.reader_may_read
    }

    /// Whether the stdout reader may read now; if not, the next ack wakes
    /// it through the hook set with [`on_read_ack`](Conn::on_read_ack).
    pub(crate) fn may_read(&self) -> bool {
        let mut s = self.lock();
        s.reader_waiting |= !s.reader_may_read;
        s.reader_may_read
    }

    /// Wakes a reader waiting in `lead` (which waits on its wake pipe, not
    /// on a condition variable) when it may read again.
    pub(crate) fn on_read_ack(&self, wake: Box<dyn Fn() + Send + Sync>) {
        self.lock().lead_wake = Some(wake);
    }

    /// Blocks until the stdout reader may read again.
    pub(crate) fn wait_to_read(&self) {
        let mut s = self.lock();
        while !s.reader_may_read {
            s.reader_waiting = true;
            let guard = s.0.take().expect("held until dropped");
            let guard = self
                .read_on
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
            s.0 = Some(guard);
        }
    }

    /// Writes the outbox to the server on this thread, unless another
    /// thread is writing (it then writes these frames too, in order).
    /// Called with the session lock held, which it releases.
    pub(crate) fn write_out<'a>(&'a self, mut s: Locked<'a>) {
        let mut w = match self.writer.try_lock() {
            Ok(w) => w,
            Err(TryLockError::WouldBlock) => return,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
        };
        loop {
            if s.outbox.is_empty() {
                if s.close_writer {
                    // Dropping stdin is closing it: the first step of shutdown.
                    *w = None;
                }
                // Let go of the writer while still holding the session:
                // whoever queues next finds the writer free, or is seen here.
                drop(w);
                return;
            }
            let mut bytes = std::mem::take(&mut s.outbox);
            let replies = std::mem::take(&mut s.outbox_replies);
            drop(s);
            let failed = match w.as_mut() {
                Some(out) => out.write_all(&bytes).and_then(|()| out.flush()).is_err(),
                None => false,
            };
            if failed {
                // The server stopped reading (it is exiting, or broken).
                *w = None;
                let _ = self.tx.send(Msg::Session(Input::WriteFailed));
            }
            s = self.lock();
            if replies > 0 {
                s.written(replies);
                s.settle_acks();
            }
            if s.outbox.is_empty() {
                // Keep the allocation for the next frames.
                bytes.clear();
                s.outbox = bytes;
            }
        }
    }

    /// The writer thread: writes what the reader and the driver queued,
    /// until the driver has finished; then closes the server's stdin.
    pub(crate) fn write_loop(&self, wake: Receiver<()>) {
        for () in wake.iter() {
            let mut s = self.lock();
            s.writer_signalled = false;
            self.write_out(s);
        }
        let mut s = self.lock();
        s.close_writer = true;
        self.write_out(s);
        *self.writer.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The driver thread: runs until the connection is closed and the
    /// process is gone.
    pub(crate) fn run(&self, rx: Receiver<Msg>, status: Arc<Status>) {
        loop {
            let wait = {
                let mut s = self.lock();
                s.perform_io();
                s.signal_writer();
                if s.session.is_done() {
                    break;
                }
                let now = Instant::now();
                let at = s
                    .session
                    .poll_timeout(now)
                    .map_or(now + IDLE_TICK, |t| t.min(now + IDLE_TICK));
                s.driver_wakes = Some(at);
                at.saturating_duration_since(now)
            };
            let msg = match rx.recv_timeout(wait) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut s = self.lock();
            if let Some(m) = msg {
                s.handle(m);
            }
            s.session.handle_timeout(Instant::now());
        }
        // Whatever is still waiting learns why it will never be answered.
        let mut s = self.lock();
        s.session.finish();
        s.over = true;
        // Readers read to the end of the stream from now on.
        s.reader_waiting = true;
        s.let_reader_read();
        s.close_writer = true;
        // The writer thread writes what is queued, closes stdin and ends.
        s.writer_wake = None;
        let http = s.http.take();
        drop(s);
        // Calls that reached the inbox meanwhile are refused, not lost.
        while let Ok(msg) = rx.try_recv() {
            if let Msg::Session(input) = msg {
                self.lock().session.refuse(input);
            }
        }
        let left = match http {
            Some(mut engine) => engine.shutdown(Duration::from_secs(2)),
            None => 0,
        };
        status.update(|s| {
            s.threads_left = left;
            s.finished = true;
        });
    }
}
