//! One conversation with a server, minus the I/O: the core, the calls
//! waiting for answers, the server process's lifecycle and the
//! application's handlers.
//!
//! An adapter's driver feeds it what happened ([`Input`]), asks it when to
//! wake ([`Session::poll_timeout`]) and performs the I/O it asks for
//! ([`Io`]); everything between (which caller an answer belongs to, which
//! callback hears a progress report, who answers an input request, what an
//! error is called) is decided here, once for every adapter.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use mcp_proto::api::ProgressFn;
use mcp_proto::handler::{InputHandler, NotificationHandler};
use mcp_proto::http::{ExchangeId, HttpEvent, HttpFailure, HttpHead, HttpRequest};
use mcp_proto::{
    Call, CallId, CloseReason, Event, InputAnswer, InputId, Output, Reply, RequestError,
    RequestOptions, UsageError,
};

use crate::backlog::{Acks, Backlog};
use crate::dispatch::{Dispatch, Dispatcher, ReplyFn};
use crate::group::Group;
use crate::lifecycle::Lifecycle;
use crate::settings::STDERR_TAIL_LINES;
use crate::status::Status;
use crate::stderr::Ring;
use crate::{Error, ExitStatus, Shutdown};

/// Something that happened, for the session to act on.
pub enum Input {
    /// The application starts a call.
    Start {
        /// The adapter's handle on the call, unique in the client: the
        /// call's [`CallId`] (what progress reports and input requests
        /// name), for cancelling it.
        ticket: u64,
        /// The request.
        call: Call,
        /// Its options.
        opts: RequestOptions,
        /// Its progress callback.
        progress: Option<ProgressFn>,
        /// Hands the caller its answer.
        reply: ReplyFn,
        /// Started from inside a callback ([`crate::dispatch::in_callback`]):
        /// callbacks cannot run until it returns.
        from_callback: bool,
    },
    /// The application gives up on a call.
    Cancel {
        /// The call's ticket.
        ticket: u64,
    },
    /// An input handler answered.
    Answer {
        /// The request answered.
        input: InputId,
        /// The answer.
        answer: InputAnswer,
    },
    /// The client's roots changed.
    RootsChanged,
    /// Bytes from the server (stdio, a stream). The reader reads its next
    /// chunk when [`Session::take_acks`] says so.
    Bytes(Vec<u8>),
    /// Of what was written to the server, this many bytes were in reaction
    /// to it ([`Io::Transmit`]'s `replies`): written, or never to be.
    Written {
        /// The bytes.
        replies: usize,
    },
    /// The dispatcher has room again (its hook was called).
    Resume,
    /// Call `done` once every callback for what the client has taken in so
    /// far has run (at once when no callback is queued or running).
    Flush {
        /// Called on the dispatcher's thread, or on the session's.
        done: Box<dyn FnOnce() + Send>,
    },
    /// The server's output ended.
    Eof,
    /// Writing to the server failed.
    WriteFailed,
    /// The server process exited.
    Exited(ExitStatus),
    /// The application closes the connection.
    Close,
    /// An HTTP exchange's progress. After a body chunk, the exchange reads
    /// its next one when [`Session::take_acks`] says so.
    Http(ExchangeId, HttpMsg),
}

/// An HTTP exchange's progress, owned (to cross a channel).
pub enum HttpMsg {
    /// The response head.
    Head(HttpHead),
    /// A piece of the body.
    Body(Vec<u8>),
    /// The body ended.
    End,
    /// The exchange failed.
    Failed(HttpFailure),
}

impl HttpMsg {
    /// The owned form of an engine's event.
    pub fn from_event(event: HttpEvent<'_>) -> HttpMsg {
        match event {
            HttpEvent::Head(h) => HttpMsg::Head(h),
            HttpEvent::Body(b) => HttpMsg::Body(b.to_vec()),
            HttpEvent::End => HttpMsg::End,
            HttpEvent::Failed(f) => HttpMsg::Failed(f),
        }
    }

    /// Whether this is the exchange's last report.
    pub fn is_last(&self) -> bool {
        matches!(self, HttpMsg::End | HttpMsg::Failed(_))
    }
}

/// I/O for the adapter to perform.
#[derive(Debug)]
pub enum Io {
    /// Write these bytes to the server; `replies` of them are in reaction
    /// to it: report them with [`Input::Written`] once written (or dropped).
    Transmit {
        /// The bytes.
        bytes: Vec<u8>,
        /// How many of them answer the server.
        replies: usize,
    },
    /// Stop writing: close the server's stdin (the first step of shutdown).
    CloseWriter,
    /// The transport is done: close the writer and abort every HTTP
    /// exchange.
    CloseTransport,
    /// Perform this HTTP exchange.
    Http(HttpRequest),
    /// Abort this HTTP exchange.
    AbortHttp(ExchangeId),
}

/// Where input handlers send their answers (to the driver's channel).
pub type AnswerFn = Arc<dyn Fn(InputId, InputAnswer) + Send + Sync>;

/// What a session is made of, besides the core.
pub struct Parts {
    /// What handles see; the session keeps it current.
    pub status: Arc<Status>,
    /// The server's stderr, for error reports.
    pub stderr: Arc<Ring>,
    /// Who answers input requests.
    pub input: Option<Arc<dyn InputHandler>>,
    /// Who hears notifications.
    pub notifications: Option<Arc<dyn NotificationHandler>>,
    /// The dispatcher's queue.
    pub dispatcher: Dispatcher,
    /// Where input answers go.
    pub answers: AnswerFn,
    /// The server's process group, for a spawned server.
    pub group: Option<Group>,
    /// The shutdown timing.
    pub shutdown: Shutdown,
}

/// A call waiting for its answer.
struct Waiting {
    reply: ReplyFn,
    progress: Option<ProgressFn>,
    from_callback: bool,
}

/// See the module docs.
pub struct Session {
    core: mcp_proto::Client,
    status: Arc<Status>,
    stderr: Arc<Ring>,
    input: Option<Arc<dyn InputHandler>>,
    notifications: bool,
    dispatcher: Option<Dispatcher>,
    answers: AnswerFn,
    life: Lifecycle,
    calls: HashMap<CallId, Waiting>,
    /// I/O put aside while making room in the core's event queue.
    io: VecDeque<Io>,
    http: bool,
    /// The core said the transport is done (`CloseTransport`).
    transport_closed: bool,
    /// Answers put aside for the adapter to send once it has let go of the
    /// session (see [`Session::defer_replies`]); `None`: sent at once.
    deferred: Option<Vec<(ReplyFn, Result<Reply, Error>)>>,
    /// What waits for the dispatcher, and when reading pauses.
    backlog: Backlog,
}

/// Answers taken from a session with [`Session::take_replies`], to send
/// outside its lock.
#[must_use = "the calls these answer wait until they are sent"]
pub struct Replies(Vec<(ReplyFn, Result<Reply, Error>)>);

impl Replies {
    /// Sends every answer, in the order the calls ended.
    pub fn send(self) {
        for (reply, result) in self.0 {
            reply(result);
        }
    }
}

impl Session {
    /// A session around `core`.
    pub fn new(core: mcp_proto::Client, parts: Parts) -> Session {
        Session {
            backlog: Backlog::new(&core.config().limits),
            http: core.http_transport().is_some(),
            core,
            status: parts.status,
            stderr: parts.stderr,
            input: parts.input,
            notifications: parts.notifications.is_some(),
            dispatcher: Some(parts.dispatcher),
            answers: parts.answers,
            life: Lifecycle::new(parts.group, parts.shutdown),
            calls: HashMap::new(),
            io: VecDeque::new(),
            transport_closed: false,
            deferred: None,
        }
    }

    /// From now on, answers to calls are put aside instead of being sent
    /// from inside `handle`, `handle_timeout`, `poll_io` or `finish`; send
    /// them with [`take_replies`](Session::take_replies) after letting go of
    /// the lock the session lives behind. A caller woken while that lock is
    /// still held runs straight into it: on one CPU, two context switches
    /// more per call.
    pub fn defer_replies(&mut self) {
        self.deferred.get_or_insert_with(Vec::new);
    }

    /// The answers put aside since the last call (none unless
    /// [`defer_replies`](Session::defer_replies) was called).
    pub fn take_replies(&mut self) -> Replies {
        Replies(
            self.deferred
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default(),
        )
    }

    /// Acts on `input`. Follow with [`poll_io`](Session::poll_io).
    pub fn handle(&mut self, now: Instant, input: Input) {
        match input {
            Input::Start {
                ticket,
                call,
                opts,
                progress,
                reply,
                from_callback,
            } => match self
                .core
                .start_with_id(now, Some(CallId(ticket)), call, opts)
            {
                Ok(id) => {
                    if from_callback {
                        self.backlog.nested_call(true);
                    }
                    self.calls.insert(
                        id,
                        Waiting {
                            reply,
                            progress,
                            from_callback,
                        },
                    );
                }
                Err(e) => {
                    let e = if self.core.is_closed() {
                        Error::closed(self.close_reason())
                    } else {
                        Error::from(e)
                    };
                    self.answer(reply, Err(e));
                }
            },
            Input::Cancel { ticket } => {
                let id = CallId(ticket);
                if self.calls.contains_key(&id) {
                    self.core.cancel(now, id, None);
                }
            }
            Input::Answer { input, answer } => {
                // Withdrawn meanwhile (server cancelled, call ended): fine.
                let _ = self.core.provide_input(now, input, answer);
            }
            Input::RootsChanged => {
                let _ = self.core.notify_roots_list_changed(now);
            }
            Input::Bytes(bytes) => {
                // The core refuses input while its event queue is full;
                // taking its output makes room, so this ends.
                self.retry_backlogged(|core| core.handle_bytes(now, &bytes));
                self.backlog.owe_stdout();
            }
            Input::Written { replies } => self.backlog.written(replies),
            Input::Resume => self.pump(),
            Input::Flush { done } => {
                // Whatever the core still holds goes to the callbacks first.
                self.take_output();
                if self.dispatcher.is_some() {
                    self.dispatch(Dispatch::Barrier(done), 0);
                } else {
                    done();
                }
            }
            Input::Eof => self.life.on_eof(now),
            Input::WriteFailed => {
                if !self.core.is_closed() {
                    self.life.on_write_failed(now);
                }
            }
            Input::Exited(status) => {
                self.status.update(|s| s.exit = Some(status.clone()));
                self.life.on_exited(status, now);
            }
            Input::Close => self.core.close(now),
            Input::Http(id, m) => {
                let event = match &m {
                    HttpMsg::Head(h) => HttpEvent::Head(h.clone()),
                    HttpMsg::Body(b) => HttpEvent::Body(b),
                    HttpMsg::End => HttpEvent::End,
                    HttpMsg::Failed(f) => HttpEvent::Failed(f.clone()),
                };
                self.retry_backlogged(|core| core.handle_http(now, id, event.clone()));
                if matches!(m, HttpMsg::Body(_)) {
                    self.backlog.owe_exchange(id);
                }
            }
        }
    }

    fn retry_backlogged(
        &mut self,
        mut f: impl FnMut(&mut mcp_proto::Client) -> Result<(), UsageError>,
    ) {
        for _ in 0..1000 {
            match f(&mut self.core) {
                Err(UsageError::Backlogged { .. }) => self.take_output(),
                _ => return,
            }
        }
    }

    /// Moves the core's output aside (acting on events), making room in
    /// its queue.
    fn take_output(&mut self) {
        while let Some(out) = self.core.poll_output() {
            if let Some(io) = self.on_output(out) {
                self.io.push_back(io);
            }
        }
    }

    /// The next I/O to perform; `None` once there is nothing to do until
    /// the next input or timeout. Then look at
    /// [`take_acks`](Session::take_acks).
    pub fn poll_io(&mut self) -> Option<Io> {
        if let Some(io) = self.io.pop_front() {
            return Some(io);
        }
        if !self.backlog.is_empty() {
            self.pump();
        }
        while let Some(out) = self.core.poll_output() {
            if let Some(io) = self.on_output(out) {
                return Some(io);
            }
        }
        None
    }

    /// Which readers may read their next chunk: those whose last one was
    /// taken in, unless the session holds as much for the server's sake
    /// as the limits allow (see [`crate::backlog`]). Ask after
    /// [`poll_io`](Session::poll_io) has run dry.
    pub fn take_acks(&mut self) -> Acks {
        let in_flight = self.core.replies_in_flight();
        self.backlog.take_acks(in_flight, self.core.is_closed())
    }

    fn on_output(&mut self, out: Output) -> Option<Io> {
        match out {
            Output::Transmit(bytes) => {
                let replies = self.core.take_reactive_bytes();
                self.backlog.reactive(replies);
                Some(Io::Transmit { bytes, replies })
            }
            Output::CloseTransport => {
                self.transport_closed = true;
                Some(Io::CloseTransport)
            }
            Output::Http(req) => Some(Io::Http(req)),
            Output::AbortHttp(id) => Some(Io::AbortHttp(id)),
            Output::Event(e) => self.on_event(e),
        }
    }

    /// When to call [`handle_timeout`](Session::handle_timeout) next.
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        [self.core.poll_timeout(), self.life.deadline(now)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Acts on the time: the core's timers, the wait for an exit status
    /// after end of file, the shutdown steps.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.core.handle_timeout(now);
        // Calls about to fail for the server's exit wait a moment for its
        // last stderr lines, which their errors carry.
        let hold = self.core.pending_calls() > 0 && !self.stderr.ended() && self.life.hold_eof(now);
        if !hold && self.life.take_eof(now) {
            self.core.handle_eof(now);
        }
        self.life.step(now);
    }

    /// Whether the driver may stop: the connection is closed, the process
    /// gone, and over HTTP the session ended (its `DELETE` done).
    pub fn is_done(&self) -> bool {
        let transport_done = !self.http || self.transport_closed;
        (self.life.stopped() || (self.core.is_closed() && !self.life.has_process()))
            && self.life.stopping()
            && transport_done
    }

    /// Ends the session: every call still waiting learns why it will never
    /// be answered, and the dispatcher's queue closes (what it holds still
    /// runs, barriers included).
    pub fn finish(&mut self) {
        self.take_output();
        self.io.clear();
        let reason = self.close_reason();
        for (_, w) in std::mem::take(&mut self.calls) {
            self.deliver(w, Err(Error::closed(reason.clone())));
        }
        // What waited for room goes now: the callbacks run before the
        // dispatcher's thread ends.
        while let Some((item, weight)) = self.backlog.pop() {
            self.send_to_dispatcher(item, weight);
        }
        self.dispatcher = None;
    }

    /// Answers an input that arrived after [`finish`](Session::finish): a
    /// call started meanwhile fails as the others did.
    pub fn refuse(&self, input: Input) {
        if let Input::Start { reply, .. } = input {
            reply(Err(Error::closed(self.close_reason())));
        }
    }

    /// Calls waiting for an answer.
    pub fn calls_in_flight(&self) -> usize {
        self.calls.len()
    }

    fn close_reason(&self) -> CloseReason {
        self.core
            .close_reason()
            .cloned()
            .unwrap_or(CloseReason::ClosedByUser)
    }

    /// Answers a waiting call, behind the callbacks queued before its
    /// answer (its progress reports, and what the notification handler has
    /// yet to hear), so that none runs after the caller has moved on. With
    /// nothing queued it is answered at once. A call made from inside a
    /// callback is always answered at once: the callbacks behind which it
    /// would wait cannot run until it returns.
    fn deliver(&mut self, w: Waiting, result: Result<Reply, Error>) {
        if w.from_callback {
            self.backlog.nested_call(false);
            return self.answer(w.reply, result);
        }
        let queued =
            self.dispatcher.as_ref().is_some_and(|d| !d.is_idle()) || !self.backlog.is_empty();
        if queued || (w.progress.is_some() && self.dispatcher.is_some()) {
            return self.dispatch(Dispatch::Reply(w.reply, result), 0);
        }
        self.answer(w.reply, result);
    }

    /// Hands `item` to the dispatcher, behind whatever waits for room.
    fn dispatch(&mut self, item: Dispatch, weight: usize) {
        let room = match &self.dispatcher {
            Some(d) => self.backlog.is_empty() && d.has_room(),
            // Finished: nothing waits any more.
            None => true,
        };
        if room {
            return self.send_to_dispatcher(item, weight);
        }
        self.backlog.push(item, weight);
        if let Some(d) = &self.dispatcher {
            d.want_room();
        }
        // The room may have come before the wish was seen.
        self.pump();
    }

    /// Passes on what waits, while the dispatcher has room.
    fn pump(&mut self) {
        while self.dispatcher.as_ref().is_some_and(Dispatcher::has_room) {
            let Some((item, weight)) = self.backlog.pop() else {
                return;
            };
            self.send_to_dispatcher(item, weight);
        }
        if !self.backlog.is_empty() {
            if let Some(d) = &self.dispatcher {
                d.want_room();
            }
        }
    }

    fn send_to_dispatcher(&mut self, item: Dispatch, weight: usize) {
        let refused = match &mut self.dispatcher {
            Some(d) => d.send(item, weight).err(),
            None => Some(item),
        };
        // No dispatcher to be had: a call is answered directly, a barrier
        // passed at once; callbacks are lost with the thread that would
        // have run them.
        match refused {
            Some(Dispatch::Reply(reply, result)) => self.answer(reply, result),
            Some(Dispatch::Barrier(done)) => done(),
            _ => {}
        }
    }

    fn answer(&mut self, reply: ReplyFn, result: Result<Reply, Error>) {
        match &mut self.deferred {
            Some(put_aside) => put_aside.push((reply, result)),
            None => reply(result),
        }
    }

    fn on_event(&mut self, event: Event) -> Option<Io> {
        match event {
            Event::Ready(r) => {
                let transport = self.core.http_transport();
                self.status.update(|s| {
                    s.ready = Some(*r);
                    s.http_transport = transport;
                });
            }
            Event::Response { call, result } => {
                if let Some(w) = self.calls.remove(&call) {
                    let result = result.map_err(|e| self.convert(e));
                    self.deliver(w, result);
                }
            }
            Event::Progress { call, progress } => {
                if let Some(cb) = self.calls.get(&call).and_then(|w| w.progress.clone()) {
                    let event = Event::Progress {
                        call,
                        progress: progress.clone(),
                    };
                    let weight = event.heap_size();
                    if let Event::Progress { progress, .. } = event {
                        self.dispatch(Dispatch::Progress(cb, progress), weight);
                    }
                }
                self.forward(Event::Progress { call, progress });
            }
            Event::InputNeeded(n) => {
                let id = n.id;
                let handler = self.input.clone();
                let answers = self.answers.clone();
                // A human may take minutes: answer on a thread of its own.
                let spawned = handler.map(|handler| {
                    std::thread::Builder::new()
                        .name("mcp-input".into())
                        .spawn(move || {
                            // A panicking handler refuses, rather than
                            // leaving the call waiting for an answer.
                            let answer =
                                std::panic::catch_unwind(AssertUnwindSafe(|| handler.answer(&n)))
                                    .unwrap_or_else(|_| InputAnswer::Refuse {
                                        reason: Some("the client's input handler failed".into()),
                                    });
                            answers(id, answer);
                        })
                });
                if !matches!(spawned, Some(Ok(_))) {
                    let _ = self.core.provide_input(
                        Instant::now(),
                        id,
                        InputAnswer::Refuse { reason: None },
                    );
                }
            }
            Event::Closed(reason) => {
                self.status.update(|s| s.closed = Some(reason));
                self.life.begin_stop(Instant::now());
                if !self.http {
                    return Some(Io::CloseWriter);
                }
            }
            other => self.forward(other),
        }
        None
    }

    fn forward(&mut self, event: Event) {
        if self.notifications && self.dispatcher.is_some() {
            let weight = event.heap_size();
            self.dispatch(Dispatch::Event(event), weight);
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
