//! The driver: one thread that owns the core and is the only place that
//! reads the clock. Everything else talks to it through one channel.
//!
//! ```text
//! user threads ──Start/Cancel/Close──┐
//! stdout reader ──Bytes/Eof──────────┤
//! waiter ──Exited────────────────────┼──► driver ──► core ──► writer (stdin)
//! input threads ──Answer─────────────┘              │      └► dispatcher (callbacks)
//!                                                    └─► replies to user threads
//! ```
//!
//! No thread here blocks on something another one needs: the writer may wait
//! on a slow server, callbacks may take their time, the driver never waits
//! for either. Deadlines come from the core (`poll_timeout`), from the wait
//! for an exit status after end of file, and from the shutdown steps.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SendError, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mcp_proto::api::ProgressFn;
use mcp_proto::handler::{dispatch, InputHandler, NotificationHandler};
use mcp_proto::http::{ExchangeId, HttpEvent, HttpFailure, HttpHead};
use mcp_proto::model::ProgressNotificationParams;
use mcp_proto::{
    Call, CallId, CloseReason, Event, InputAnswer, InputId, Output, Ready, Reply, RequestError,
    RequestOptions,
};

use crate::stderr::Ring;
use mcp_adapter::group::Group;
use mcp_adapter::lifecycle::Lifecycle;
use mcp_adapter::{Error, ExitStatus};

/// Lines of stderr put into error reports.
pub(crate) const STDERR_TAIL_LINES: usize = 20;

/// A message to the driver.
pub(crate) enum Msg {
    Start {
        ticket: u64,
        call: Call,
        opts: RequestOptions,
        progress: Option<ProgressFn>,
        reply: Sender<Result<Reply, Error>>,
    },
    Cancel {
        ticket: u64,
    },
    Answer {
        input: InputId,
        answer: InputAnswer,
    },
    RootsChanged,
    Bytes(Vec<u8>),
    Eof,
    WriteFailed,
    Exited(ExitStatus),
    Close,
    /// What happened to an HTTP exchange.
    Http(ExchangeId, HttpMsg),
    /// An HTTP exchange's thread finished.
    HttpDone(ExchangeId),
}

/// An HTTP exchange's progress, as the engine reports it.
pub(crate) enum HttpMsg {
    Head(HttpHead),
    Body(Vec<u8>),
    End,
    Failed(HttpFailure),
}

/// Work for the dispatcher thread, which runs application callbacks.
pub(crate) enum Dispatch {
    Event(Event),
    Progress(ProgressFn, ProgressNotificationParams),
    /// The answer to a call with a progress callback, delivered after the
    /// callbacks queued before it, so none runs after the caller has moved on.
    Reply(Sender<Result<Reply, Error>>, Result<Reply, Error>),
}

/// What user threads can see of the connection.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) ready: Option<Ready>,
    /// Over HTTP, the transport the server turned out to speak.
    pub(crate) http_transport: Option<mcp_proto::HttpTransport>,
    pub(crate) closed: Option<CloseReason>,
    pub(crate) exit: Option<ExitStatus>,
    pub(crate) finished: bool,
    /// HTTP threads that had not ended when the driver stopped.
    pub(crate) http_threads_left: usize,
}

/// `State` with a condition variable to wait on it.
#[derive(Debug, Default)]
pub(crate) struct Status {
    pub(crate) state: Mutex<State>,
    pub(crate) changed: Condvar,
}

impl Status {
    fn update(&self, f: impl FnOnce(&mut State)) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s);
        self.changed.notify_all();
    }

    /// Waits until `done(state)` or `limit` passes; returns the final check.
    pub(crate) fn wait_for(&self, limit: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !done(&s) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            s = self
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A call waiting for its answer.
struct Waiting {
    ticket: u64,
    reply: Sender<Result<Reply, Error>>,
    progress: Option<ProgressFn>,
}

pub(crate) struct Driver {
    pub(crate) core: mcp_proto::Client,
    pub(crate) rx: Receiver<Msg>,
    pub(crate) self_tx: Sender<Msg>,
    pub(crate) writer: Option<Sender<Vec<u8>>>,
    pub(crate) dispatcher: Option<Sender<Dispatch>>,
    pub(crate) status: Arc<Status>,
    pub(crate) stderr: Arc<Ring>,
    pub(crate) input: Option<Arc<dyn InputHandler>>,
    pub(crate) notifications: Option<Arc<dyn NotificationHandler>>,
    /// The server process's end of file, exit and shutdown.
    life: Lifecycle,
    calls: HashMap<CallId, Waiting>,
    tickets: HashMap<u64, CallId>,
    /// The HTTP client, for a connection over HTTP.
    http: Option<crate::http::Engine>,
    /// The core said the transport is done (`CloseTransport`).
    transport_closed: bool,
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        core: mcp_proto::Client,
        rx: Receiver<Msg>,
        self_tx: Sender<Msg>,
        writer: Option<Sender<Vec<u8>>>,
        dispatcher: Sender<Dispatch>,
        status: Arc<Status>,
        stderr: Arc<Ring>,
        input: Option<Arc<dyn InputHandler>>,
        notifications: Option<Arc<dyn NotificationHandler>>,
        group: Option<Group>,
        shutdown: mcp_adapter::Shutdown,
        http: Option<crate::http::Engine>,
    ) -> Driver {
        Driver {
            core,
            rx,
            self_tx,
            writer,
            dispatcher: Some(dispatcher),
            status,
            stderr,
            input,
            notifications,
            life: Lifecycle::new(group, shutdown),
            calls: HashMap::new(),
            tickets: HashMap::new(),
            http,
            transport_closed: false,
        }
    }

    /// Runs until the connection is closed and the process is gone.
    pub(crate) fn run(mut self) {
        loop {
            self.drain();
            // Over HTTP, closing may still be ending the session (DELETE).
            let transport_done = self.http.is_none() || self.transport_closed;
            if (self.life.stopped() || (self.core.is_closed() && !self.life.has_process()))
                && self.life.stopping()
                && transport_done
            {
                break;
            }
            let now = Instant::now();
            let next = [self.core.poll_timeout(), self.life.deadline(now)]
                .into_iter()
                .flatten()
                .min();
            let msg = match next {
                Some(at) => match self.rx.recv_timeout(at.saturating_duration_since(now)) {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                },
                None => match self.rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => break,
                },
            };
            if let Some(m) = msg {
                self.handle(m);
            }
            let now = Instant::now();
            self.core.handle_timeout(now);
            if self.life.take_eof(now) {
                self.core.handle_eof(now);
            }
            self.life.step(now);
        }
        // Whatever is still waiting learns why it will never be answered.
        self.drain();
        let reason = self
            .core
            .close_reason()
            .cloned()
            .unwrap_or(CloseReason::ClosedByUser);
        for (_, w) in std::mem::take(&mut self.calls) {
            self.deliver(w, Err(Error::closed(reason.clone())));
        }
        self.writer = None;
        self.dispatcher = None;
        if let Some(mut engine) = self.http.take() {
            let left = engine.shutdown(Duration::from_secs(2));
            self.status.update(|s| s.http_threads_left = left);
        }
        self.status.update(|s| s.finished = true);
    }

    fn handle(&mut self, msg: Msg) {
        let now = Instant::now();
        match msg {
            Msg::Start {
                ticket,
                call,
                opts,
                progress,
                reply,
            } => match self.core.start(now, call, opts) {
                Ok(id) => {
                    self.tickets.insert(ticket, id);
                    self.calls.insert(
                        id,
                        Waiting {
                            ticket,
                            reply,
                            progress,
                        },
                    );
                }
                Err(e) => {
                    let e = if self.core.is_closed() {
                        Error::closed(
                            self.core
                                .close_reason()
                                .cloned()
                                .unwrap_or(CloseReason::ClosedByUser),
                        )
                    } else {
                        Error::from(e)
                    };
                    let _ = reply.send(Err(e));
                }
            },
            Msg::Cancel { ticket } => {
                if let Some(id) = self.tickets.get(&ticket).copied() {
                    self.core.cancel(now, id, None);
                }
            }
            Msg::Answer { input, answer } => {
                // Withdrawn meanwhile (server cancelled, call ended): fine.
                let _ = self.core.provide_input(now, input, answer);
            }
            Msg::RootsChanged => {
                let _ = self.core.notify_roots_list_changed(now);
            }
            Msg::Bytes(bytes) => self.feed(now, &bytes),
            Msg::Eof => self.life.on_eof(now),
            Msg::WriteFailed => {
                if !self.core.is_closed() {
                    self.life.on_write_failed(now);
                }
            }
            Msg::Exited(status) => {
                self.status.update(|s| s.exit = Some(status.clone()));
                self.life.on_exited(status, now);
            }
            Msg::Close => self.core.close(now),
            Msg::Http(id, m) => self.on_http(now, id, m),
            Msg::HttpDone(id) => {
                if let Some(engine) = self.http.as_mut() {
                    engine.done(id);
                }
            }
        }
    }

    fn on_http(&mut self, now: Instant, id: ExchangeId, m: HttpMsg) {
        if !self.http.as_ref().is_some_and(|e| e.is_running(id)) {
            return; // aborted meanwhile
        }
        let event = match &m {
            HttpMsg::Head(h) => HttpEvent::Head(h.clone()),
            HttpMsg::Body(b) => HttpEvent::Body(b),
            HttpMsg::End => HttpEvent::End,
            HttpMsg::Failed(f) => HttpEvent::Failed(f.clone()),
        };
        // As for bytes: a full event queue refuses the chunk until drained.
        for _ in 0..1000 {
            match self.core.handle_http(now, id, event.clone()) {
                Ok(()) => return,
                Err(mcp_proto::UsageError::Backlogged { .. }) => self.drain(),
                Err(_) => return,
            }
        }
    }

    fn feed(&mut self, now: Instant, bytes: &[u8]) {
        // The core pauses input when its event queue is full; draining
        // makes room, so this ends.
        for _ in 0..1000 {
            match self.core.handle_bytes(now, bytes) {
                Ok(()) => return,
                Err(_) => self.drain(),
            }
        }
    }

    /// Acts on everything the core has to say.
    fn drain(&mut self) {
        while let Some(out) = self.core.poll_output() {
            match out {
                Output::Transmit(bytes) => {
                    if let Some(w) = &self.writer {
                        if w.send(bytes).is_err() {
                            self.writer = None;
                        }
                    }
                }
                Output::CloseTransport => {
                    self.writer = None;
                    self.transport_closed = true;
                    if let Some(engine) = self.http.as_mut() {
                        engine.abort_all();
                    }
                }
                Output::Http(req) => {
                    if let Some(engine) = self.http.as_mut() {
                        engine.start(req);
                    }
                }
                Output::AbortHttp(id) => {
                    if let Some(engine) = self.http.as_mut() {
                        engine.abort(id);
                    }
                }
                Output::Event(e) => self.on_event(e),
            }
        }
    }

    /// Answers a waiting call. Calls with a progress callback are answered
    /// through the dispatcher, behind their last progress report.
    fn deliver(&self, w: Waiting, result: Result<Reply, Error>) {
        let result = match (&w.progress, &self.dispatcher) {
            (Some(_), Some(d)) => match d.send(Dispatch::Reply(w.reply, result)) {
                Ok(()) => return,
                // The dispatcher is gone (it could not be started): answer directly.
                Err(SendError(Dispatch::Reply(reply, result))) => {
                    let _ = reply.send(result);
                    return;
                }
                Err(_) => return,
            },
            _ => result,
        };
        let _ = w.reply.send(result);
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Ready(r) => {
                let transport = self.core.http_transport();
                self.status.update(|s| {
                    s.ready = Some(*r);
                    s.http_transport = transport;
                })
            }
            Event::Response { call, result } => {
                if let Some(w) = self.calls.remove(&call) {
                    self.tickets.remove(&w.ticket);
                    let result = result.map_err(|e| self.convert(e));
                    self.deliver(w, result);
                }
            }
            Event::Progress { call, progress } => {
                if let (Some(cb), Some(d)) = (
                    self.calls.get(&call).and_then(|w| w.progress.clone()),
                    &self.dispatcher,
                ) {
                    let _ = d.send(Dispatch::Progress(cb, progress.clone()));
                }
                self.forward(Event::Progress { call, progress });
            }
            Event::InputNeeded(n) => match self.input.clone() {
                Some(handler) => {
                    // A human may take minutes: answer on a thread of its own.
                    let tx = self.self_tx.clone();
                    let id = n.id;
                    let spawned =
                        std::thread::Builder::new()
                            .name("mcp-input".into())
                            .spawn(move || {
                                // A panicking handler refuses, rather than
                                // leaving the call waiting for an answer.
                                let answer = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                    handler.answer(&n.request)
                                }))
                                .unwrap_or_else(|_| InputAnswer::Refuse {
                                    reason: Some("the client's input handler failed".into()),
                                });
                                let _ = tx.send(Msg::Answer {
                                    input: n.id,
                                    answer,
                                });
                            });
                    if spawned.is_err() {
                        let _ = self.core.provide_input(
                            Instant::now(),
                            id,
                            InputAnswer::Refuse { reason: None },
                        );
                    }
                }
                None => {
                    let _ = self.core.provide_input(
                        Instant::now(),
                        n.id,
                        InputAnswer::Refuse { reason: None },
                    );
                }
            },
            Event::Closed(reason) => {
                self.status.update(|s| s.closed = Some(reason));
                self.writer = None;
                self.life.begin_stop(Instant::now());
            }
            other => self.forward(other),
        }
    }

    fn forward(&mut self, event: Event) {
        if self.notifications.is_some() {
            if let Some(d) = &self.dispatcher {
                let _ = d.send(Dispatch::Event(event));
            }
        }
    }

    /// Names a failure in the application's terms, with what is known of
    /// the process.
    fn convert(&self, e: RequestError) -> Error {
        Error::from_request(e, self.life.exit_status().cloned(), || {
            self.stderr.tail(STDERR_TAIL_LINES)
        })
    }
}

/// Runs application callbacks, in order, off the driver thread.
pub(crate) fn dispatcher(rx: Receiver<Dispatch>, handler: Option<Arc<dyn NotificationHandler>>) {
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
            Dispatch::Reply(reply, result) => {
                let _ = reply.send(result);
            }
        }
    }
}
