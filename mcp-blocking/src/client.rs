//! The blocking client: threads around the core, a handle any thread can call.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use mcp_proto::api::{CallOptions, Operations};
use mcp_proto::{Call, Reply, UsageError};
use serde::de::DeserializeOwned;

use crate::driver::{Conn, Msg};
use crate::process::{self, ServerCommand, Shutdown};
use mcp_adapter::group::Group;
use mcp_adapter::session::{Input, Parts, Session};
use mcp_adapter::stderr::Ring;
use mcp_adapter::workers::Worker;
use mcp_adapter::{
    handshake_limit, Closed, Error, ExitStatus, Settings, Status, STDERR_TAIL_LINES,
};
use mcp_proto::http::HttpOptions;

/// How long `close` waits for reader threads stuck on a pipe that something
/// outside the server's process group still holds open.
const READER_JOIN_WAIT: Duration = Duration::from_secs(1);

/// Sets up a [`Client`]: configuration, handlers, shutdown timing.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    settings: Settings,
}

impl Builder {
    /// Defaults: every revision, lenient, no handlers (input requests are
    /// refused as the spec says), 200 lines of stderr kept.
    pub fn new() -> Self {
        Builder::default()
    }

    mcp_adapter::builder_setters!();

    /// Connects to an MCP server over HTTP and waits until it is ready.
    ///
    /// The era and transport are found as the spec says: a 2026-07-28
    /// `server/discover`, then `initialize` (Streamable HTTP, 2025-03-26 ..
    /// 2025-11-25), then the 2024-11-05 HTTP+SSE transport. Add headers
    /// (authorization, say) with [`HttpOptions::with_header`].
    pub fn connect_http(self, options: HttpOptions) -> Result<Client, Error> {
        let url = options.url.clone();
        let config = self.settings.effective_config();
        let core = mcp_proto::Client::new_http(config, options, Instant::now())
            .map_err(|e| Error::Config(Box::new(e)))?;
        self.start(core, Link::Http, Some(url))
    }

    /// Starts the server and waits until it is ready (its era found, the
    /// handshake done).
    pub fn spawn(self, cmd: &ServerCommand) -> Result<Client, Error> {
        let spawned = process::spawn(cmd)?;
        let pid = spawned.child.id();
        let mut child = spawned.child;
        let waiter = move |tx: Sender<Msg>| {
            let status = child.wait().map_or(ExitStatus::Unknown, ExitStatus::from);
            let _ = tx.send(Msg::Session(Input::Exited(status)));
        };
        let link = Link::Stream {
            reader: Source::pipe(spawned.stdout),
            writer: Box::new(spawned.stdin),
            stderr: Some(Box::new(spawned.stderr)),
            process: Some((pid, Box::new(waiter))),
        };
        self.start_stream(link)
    }

    /// Talks to a server over any byte stream (a pipe pair, an in-memory
    /// pair), and waits until it is ready. Closing drops the writer; the
    /// reader's thread ends when the stream does. For sockets use
    /// [`connect_stream`](Builder::connect_stream), which can also shut
    /// the stream down.
    pub fn connect(
        self,
        reader: impl Read + Send + 'static,
        writer: impl Write + Send + 'static,
    ) -> Result<Client, Error> {
        self.start_stream(Link::Stream {
            reader: Source::Plain(Box::new(reader)),
            writer: Box::new(writer),
            stderr: None,
            process: None,
        })
    }

    /// Talks to a server over a socket (Unix or TCP), and waits until it is
    /// ready. Closing shuts the socket down, so the server sees the end of
    /// the conversation and no thread stays blocked on it.
    pub fn connect_stream<S: Duplex>(self, stream: S) -> Result<Client, Error> {
        let reader = stream.try_clone_stream()?;
        let writer = ShutdownOnDrop(stream.try_clone_stream()?);
        let closer: Box<dyn Fn() + Send + Sync> = Box::new(move || stream.shutdown_both());
        let client = self.start_stream(Link::Stream {
            reader: Source::Plain(Box::new(reader)),
            writer: Box::new(writer),
            stderr: None,
            process: None,
        })?;
        *client
            .inner
            .closer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(closer);
        Ok(client)
    }

    fn start_stream(self, link: Link) -> Result<Client, Error> {
        let core = mcp_proto::Client::new(self.settings.effective_config(), Instant::now());
        self.start(core, link, None)
    }

    fn start(
        self,
        core: mcp_proto::Client,
        link: Link,
        url: Option<String>,
    ) -> Result<Client, Error> {
        let limit = handshake_limit(core.config());
        let settings = self.settings;
        let heard = settings.notifications.is_some();

        let (tx, rx) = mpsc::channel::<Msg>();
        let status = Arc::new(Status::default());
        let ring = Arc::new(Ring::new(settings.stderr_capacity()));

        let mut threads = Threads::default();
        // Threads of their own, reused from earlier clients when any wait.
        let spawn = |f: Box<dyn FnOnce() + Send>| -> Result<Worker, Error> {
            mcp_adapter::workers::spawn(f).map_err(Error::Io)
        };
        let room_tx = tx.clone();
        let (dispatcher, dispatch_thread) = mcp_adapter::dispatch::Dispatcher::new(
            settings.notifications.clone(),
            Box::new(move || {
                let _ = room_tx.send(Msg::Session(Input::Resume));
            }),
        );
        threads.dispatcher = Some(dispatch_thread);
        let answers_tx = tx.clone();
        let group = match &link {
            Link::Stream { process, .. } => process.as_ref().map(|(pid, _)| Group(*pid)),
            Link::Http => None,
        };
        let session = Session::new(
            core,
            Parts {
                status: status.clone(),
                stderr: ring.clone(),
                input: settings.input,
                notifications: settings.notifications,
                dispatcher,
                answers: Arc::new(move |input, answer| {
                    let _ = answers_tx.send(Msg::Session(Input::Answer { input, answer }));
                }),
                group,
                shutdown: settings.shutdown,
            },
        );
        let direct = matches!(link, Link::Stream { .. });
        #[cfg(unix)]
        let mut lead = None;
        let conn = match link {
            Link::Stream {
                reader,
                writer,
                stderr: stderr_pipe,
                process,
            } => {
                let (wake_tx, wake_rx) = mpsc::channel::<()>();
                let conn = Arc::new(Conn::new(
                    session,
                    None,
                    Some(writer),
                    Some(wake_tx),
                    tx.clone(),
                ));
                let writer_conn = conn.clone();
                threads.writer = Some(spawn(Box::new(move || writer_conn.write_loop(wake_rx)))?);
                let reader_conn = conn.clone();
                let read: Box<dyn FnOnce() + Send> = match reader {
                    Source::Plain(reader) => Box::new(move || read_loop(reader, &reader_conn)),
                    #[cfg(unix)]
                    Source::Pipe(pipe) => match crate::lead::Lead::new(pipe) {
                        Ok(l) => {
                            let l = Arc::new(l);
                            lead = Some(l.clone());
                            let woken = Arc::downgrade(&l);
                            conn.on_read_ack(Box::new(move || {
                                if let Some(l) = woken.upgrade() {
                                    l.wake();
                                }
                            }));
                            Box::new(move || l.background(&reader_conn))
                        }
                        // No wake-up pipe to be had: read as any stream.
                        Err(pipe) => Box::new(move || read_loop(pipe, &reader_conn)),
                    },
                };
                threads.readers.push(spawn(read)?);
                if let Some(pipe) = stderr_pipe {
                    let (ring, on_line) = (ring.clone(), settings.on_stderr.clone());
                    threads.readers.push(spawn(Box::new(move || {
                        mcp_adapter::stderr::drain(pipe, ring, on_line)
                    }))?);
                }
                if let Some((_, wait)) = process {
                    let waiter_tx = tx.clone();
                    threads.waiter = Some(spawn(Box::new(move || wait(waiter_tx)))?);
                }
                conn
            }
            Link::Http => {
                let engine = crate::http::Engine::new(&settings.http, tx.clone());
                Arc::new(Conn::new(session, Some(engine), None, None, tx.clone()))
            }
        };
        let (driver_conn, driver_status) = (conn.clone(), status.clone());
        threads.driver = Some(spawn(Box::new(move || driver_conn.run(rx, driver_status)))?);

        let client = Client {
            inner: Arc::new(Inner {
                tx,
                conn,
                direct,
                #[cfg(unix)]
                lead,
                status,
                stderr: ring,
                next_ticket: AtomicU64::new(1),
                threads: Mutex::new(Some(threads)),
                closer: Mutex::new(None),
                shutdown: settings.shutdown,
                pid: group.map(|g| g.0),
            }),
        };
        client
            .inner
            .status
            .wait_blocking(limit, mcp_adapter::State::settled);
        let failure = client
            .inner
            .status
            .with(mcp_adapter::State::startup_failure);
        match failure {
            None => {
                // What the handshake brought (its wire records, early logs)
                // has reached the handler by the time the client is handed
                // over.
                if heard {
                    client.flush_callbacks();
                }
                Ok(client)
            }
            Some(reason) => {
                let report = client.close();
                Err(Error::startup(reason, url, report.exit, report.stderr))
            }
        }
    }
}

/// Where the server's output comes from.
enum Source {
    /// Any stream: a thread of its own reads it.
    Plain(Box<dyn Read + Send>),
    /// A pipe that callers waiting on calls can read (see `lead`).
    #[cfg(unix)]
    Pipe(Box<dyn crate::lead::Pipe>),
}

impl Source {
    fn pipe(stdout: std::process::ChildStdout) -> Source {
        #[cfg(unix)]
        return Source::Pipe(Box::new(stdout));
        #[cfg(not(unix))]
        return Source::Plain(Box::new(stdout));
    }
}

/// What the client talks over.
enum Link {
    /// A byte stream, maybe to a child process.
    Stream {
        reader: Source,
        writer: Box<dyn Write + Send>,
        stderr: Option<Box<dyn Read + Send>>,
        #[allow(clippy::type_complexity)]
        process: Option<(u32, Box<dyn FnOnce(Sender<Msg>) + Send>)>,
    },
    /// HTTP exchanges, performed by the engine.
    Http,
}

#[derive(Default)]
struct Threads {
    driver: Option<Worker>,
    writer: Option<Worker>,
    dispatcher: Option<mcp_adapter::dispatch::DispatchThread>,
    waiter: Option<Worker>,
    readers: Vec<Worker>,
}

struct Inner {
    tx: Sender<Msg>,
    /// The connection, for starting calls on this thread.
    conn: Arc<Conn>,
    /// Calls start on the caller's thread (a byte stream), not through the
    /// driver (HTTP, whose exchanges the driver's engine runs).
    direct: bool,
    /// Callers read the server's stdout while they wait (a child's pipe).
    #[cfg(unix)]
    lead: Option<Arc<crate::lead::Lead>>,
    status: Arc<Status>,
    stderr: Arc<Ring>,
    next_ticket: AtomicU64,
    threads: Mutex<Option<Threads>>,
    /// Shuts a socket down, to unblock its reader (`connect_stream`).
    #[allow(clippy::type_complexity)]
    closer: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    shutdown: Shutdown,
    pid: Option<u32>,
}

impl Inner {
    fn close(&self) -> Closed {
        #[cfg(unix)]
        if let Some(lead) = &self.lead {
            lead.closing();
        }
        if self.direct {
            // As a call starts: on this thread, which also closes the
            // server's stdin if the writer is free (no hop through the
            // driver and the writer thread).
            self.conn.start(Input::Close);
        } else {
            let _ = self.tx.send(Msg::Session(Input::Close));
        }
        let finished = self
            .status
            .wait_blocking(self.shutdown.worst_case() + Duration::from_secs(1), |s| {
                s.finished
            });
        if let Some(close) = self
            .closer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            close();
        }
        let threads = self
            .threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let mut threads_left = usize::from(!finished);
        if let Some(t) = threads {
            let me = std::thread::current().id();
            let dispatcher = t.dispatcher.and_then(|d| d.take());
            for h in [t.driver, t.writer, dispatcher, t.waiter]
                .into_iter()
                .flatten()
            {
                // A callback may hold the last handle: never join oneself.
                if finished && h.thread() != me {
                    h.join();
                }
            }
            // A reader blocks until its pipe closes, which something outside
            // the server's process group could prevent: wait, but not forever.
            let deadline = Instant::now() + READER_JOIN_WAIT;
            for h in t.readers {
                // Usually the pipe's end is a moment away: look again soon,
                // then less and less often.
                let mut nap = Duration::from_micros(20);
                while !h.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(nap);
                    nap = (nap * 2).min(Duration::from_millis(5));
                }
                if h.is_finished() {
                    h.join();
                } else {
                    threads_left += 1;
                }
            }
        }
        self.status.with(|s| Closed {
            exit: s.exit.clone(),
            stderr: self.stderr.tail(STDERR_TAIL_LINES),
            // HTTP exchanges are aborted on close; one still running did
            // not end within the driver's wait.
            threads_left: threads_left + s.threads_left,
        })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: shut the server down and reap it.
        self.close();
    }
}

/// A blocking MCP client. `Send + Sync` and cheap to clone: any number of
/// threads may have calls in flight at once. The connection closes (and
/// the server is shut down and reaped) on [`close`](Client::close) or when
/// the last handle is dropped.
///
/// The operations (`list_tools`, `call_tool`, ...) come from
/// [`Operations`]; `use mcp_blocking::prelude::*` brings them in.
///
/// ```no_run
/// use mcp_blocking::prelude::*;
///
/// let client = Client::spawn(&ServerCommand::new("npx").args(["-y", "@modelcontextprotocol/server-everything"]))?;
/// let tools = client.list_tools()?;
/// let result = client.call_tool("echo", serde_json::json!({"message": "hi"}))?;
/// # Ok::<(), mcp_blocking::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("pid", &self.inner.pid)
            .finish()
    }
}

impl Client {
    /// Starts a server with default settings and waits until it is ready.
    pub fn spawn(cmd: &ServerCommand) -> Result<Client, Error> {
        Builder::new().spawn(cmd)
    }

    /// Connects to the MCP server at `url` over HTTP with default settings
    /// and waits until it is ready. Use [`Builder::connect_http`] for
    /// headers, handlers and TLS roots.
    pub fn connect_http(url: &str) -> Result<Client, Error> {
        Builder::new().connect_http(HttpOptions::new(url))
    }

    /// A builder for handlers, configuration and shutdown timing.
    pub fn builder() -> Builder {
        Builder::new()
    }

    mcp_adapter::client_accessors!();

    /// Starts a call without waiting for it; the handle waits, or cancels it.
    ///
    /// A call started while others are in flight may be held back briefly
    /// so that a burst of calls leaves in one write: it is sent at the
    /// latest when any thread waits on a call, when the server's next bytes
    /// arrive, or on the connection's next idle turn (within a second).
    pub fn start(&self, call: Call, opts: CallOptions) -> Result<PendingCall, Error> {
        let ticket = self.inner.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (reply, rx) = mpsc::channel();
        let mut request = opts.request;
        request.progress |= opts.on_progress.is_some();
        #[cfg(unix)]
        let lead = self.inner.lead.clone();
        #[cfg(unix)]
        let reply: mcp_adapter::dispatch::ReplyFn = match &lead {
            Some(l) => {
                let to = crate::lead::AnswerTo::new(reply, l.clone(), ticket);
                Box::new(move |r| to.send(r))
            }
            None => Box::new(move |r| {
                let _ = reply.send(r);
            }),
        };
        #[cfg(not(unix))]
        let reply: mcp_adapter::dispatch::ReplyFn = Box::new(move |r| {
            let _ = reply.send(r);
        });
        let input = Input::Start {
            ticket,
            call,
            opts: request,
            progress: opts.on_progress,
            reply,
            from_callback: mcp_adapter::dispatch::in_callback(),
        };
        if self.inner.direct {
            self.inner.conn.start(input);
        } else {
            self.inner
                .tx
                .send(Msg::Session(input))
                .map_err(|_| Error::closed(mcp_proto::CloseReason::ClosedByUser))?;
        }
        Ok(PendingCall {
            ticket,
            rx,
            tx: self.inner.tx.clone(),
            // Only a byte stream queues frames for a waiter to write.
            conn: if self.inner.direct {
                Arc::downgrade(&self.inner.conn)
            } else {
                Weak::new()
            },
            #[cfg(unix)]
            lead,
        })
    }

    /// Waits until every callback for what the client has received so far
    /// has run: notifications, progress, violations, wire records. A call
    /// already returns only after the callbacks for what arrived before its
    /// answer; this is for what arrives between calls (a log notification,
    /// the `--wire` record of `notifications/initialized`). Returns at once
    /// when called from inside a callback, which would otherwise wait for
    /// itself.
    ///
    /// ```no_run
    /// # let client: mcp_blocking::Client = todo!();
    /// client.flush_callbacks();
    /// ```
    pub fn flush_callbacks(&self) {
        if mcp_adapter::dispatch::in_callback() {
            return;
        }
        let (tx, rx) = mpsc::channel::<()>();
        let done = Box::new(move || {
            let _ = tx.send(());
        });
        let input = Input::Flush { done };
        if self.inner.direct {
            drop(self.inner.conn.direct(input));
        } else if self.inner.tx.send(Msg::Session(input)).is_err() {
            return;
        }
        // Dropped unsent when the connection is over: nothing is queued.
        let _ = rx.recv();
    }

    /// Tells the server the client's roots changed (legacy servers; a no-op
    /// for modern ones).
    pub fn notify_roots_list_changed(&self) -> Result<(), Error> {
        self.inner
            .tx
            .send(Msg::Session(Input::RootsChanged))
            .map_err(|_| Error::closed(mcp_proto::CloseReason::ClosedByUser))
    }

    /// Closes the connection: pending calls fail, the server's stdin is
    /// closed, then SIGTERM and SIGKILL follow the configured grace periods,
    /// to its whole process group. Waits for all of it, and for every
    /// notification callback already queued to run (unless called from one).
    /// Calling it again returns the same report.
    pub fn close(&self) -> Closed {
        self.inner.close()
    }
}

impl Operations for Client {
    type Outcome<T: DeserializeOwned + Send + 'static> = Result<T, Error>;

    fn run<T: DeserializeOwned + Send + 'static>(
        &self,
        call: Result<Call, UsageError>,
        opts: CallOptions,
    ) -> Result<T, Error> {
        let reply = self.start(call?, opts)?.wait()?;
        reply.decode().map_err(Error::Decode)
    }
}

/// A call in flight.
#[derive(Debug)]
pub struct PendingCall {
    ticket: u64,
    rx: Receiver<Result<Reply, Error>>,
    tx: Sender<Msg>,
    /// To write out frames queued behind this one before blocking on it.
    conn: Weak<Conn>,
    /// To read the server's stdout while waiting.
    #[cfg(unix)]
    lead: Option<Arc<crate::lead::Lead>>,
}

impl PendingCall {
    /// The call's id: the one progress reports
    /// (`NotificationHandler::progress`) and input requests
    /// (`InputNeeded::call`) name it by, so callbacks can be told apart by
    /// the call they belong to.
    pub fn id(&self) -> mcp_proto::CallId {
        mcp_proto::CallId(self.ticket)
    }

    /// Waits for the answer. Bounded by the call's timeout.
    pub fn wait(self) -> Result<Reply, Error> {
        if let Ok(r) = self.rx.try_recv() {
            return r;
        }
        #[cfg(unix)]
        if let Some(r) = self.lead_until(None) {
            return r;
        }
        self.flush();
        self.rx
            .recv()
            .unwrap_or_else(|_| Err(Error::closed(mcp_proto::CloseReason::ClosedByUser)))
    }

    /// Waits at most `limit`; `None` if the answer has not come yet (the
    /// call goes on).
    pub fn wait_timeout(&self, limit: Duration) -> Option<Result<Reply, Error>> {
        if let Ok(r) = self.rx.try_recv() {
            return Some(r);
        }
        #[cfg(unix)]
        if self.lead.is_some() {
            return self.lead_until(Some(Instant::now() + limit));
        }
        self.flush();
        match self.rx.recv_timeout(limit) {
            Ok(r) => Some(r),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                Some(Err(Error::closed(mcp_proto::CloseReason::ClosedByUser)))
            }
        }
    }

    /// Waits reading the server's stdout when nobody else does (see
    /// `lead`); `None` at the deadline, or if this call cannot lead.
    #[cfg(unix)]
    fn lead_until(&self, deadline: Option<Instant>) -> Option<Result<Reply, Error>> {
        let lead = self.lead.as_ref()?;
        let Some(conn) = self.conn.upgrade() else {
            // The client is gone: the answer is in, or will never come.
            return Some(
                self.rx
                    .try_recv()
                    .unwrap_or_else(|_| Err(Error::closed(mcp_proto::CloseReason::ClosedByUser))),
            );
        };
        conn.flush();
        lead.wait(&conn, self.ticket, &self.rx, deadline)
    }

    /// Frames started after others may still be queued (see `Client::start`).
    fn flush(&self) {
        if let Some(conn) = self.conn.upgrade() {
            conn.flush();
        }
    }

    /// Cancels the call (the server is told); `wait` then returns
    /// `Error::Cancelled`. Use [`canceller`](PendingCall::canceller) to cancel
    /// from another thread.
    pub fn cancel(&self) {
        let _ = self.tx.send(Msg::Session(Input::Cancel {
            ticket: self.ticket,
        }));
    }

    /// A handle that cancels this call from any thread.
    pub fn canceller(&self) -> Canceller {
        Canceller {
            ticket: self.ticket,
            tx: self.tx.clone(),
        }
    }
}

/// Cancels one call from any thread.
#[derive(Debug, Clone)]
pub struct Canceller {
    ticket: u64,
    tx: Sender<Msg>,
}

impl Canceller {
    /// Cancels the call (a no-op if it already ended).
    pub fn cancel(&self) {
        let _ = self.tx.send(Msg::Session(Input::Cancel {
            ticket: self.ticket,
        }));
    }
}

fn read_loop(mut reader: impl Read, conn: &Conn) {
    let mut buf = vec![0u8; crate::READ_CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if !conn.received(buf[..n].to_vec()) {
                    conn.wait_to_read();
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let _ = conn.tx.send(Msg::Session(Input::Eof));
}

/// A two-way socket the client can split into a reader and a writer and
/// shut down: `UnixStream` and `TcpStream`.
pub trait Duplex: Read + Write + Send + Sync + 'static {
    /// Another handle to the same socket.
    fn try_clone_stream(&self) -> std::io::Result<Self>
    where
        Self: Sized;
    /// Shuts the sending half down (the peer reads end of file).
    fn shutdown_write(&self);
    /// Shuts both halves down (a blocked read on any handle returns).
    fn shutdown_both(&self);
}

/// The standard sockets share `try_clone` and `shutdown` as inherent methods
/// with no common trait, so one body serves both.
macro_rules! impl_duplex {
    ($($(#[$attr:meta])* $ty:ty),*) => {$(
        $(#[$attr])*
        impl Duplex for $ty {
            fn try_clone_stream(&self) -> std::io::Result<Self> {
                self.try_clone()
            }
            fn shutdown_write(&self) {
                let _ = self.shutdown(std::net::Shutdown::Write);
            }
            fn shutdown_both(&self) {
                let _ = self.shutdown(std::net::Shutdown::Both);
            }
        }
    )*};
}

impl_duplex!(
    std::net::TcpStream,
    #[cfg(unix)]
    std::os::unix::net::UnixStream
);

/// The writer half of a socket: dropping it is closing it, as for a pipe.
struct ShutdownOnDrop<S: Duplex>(S);

impl<S: Duplex> Write for ShutdownOnDrop<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<S: Duplex> Drop for ShutdownOnDrop<S> {
    fn drop(&mut self) {
        self.0.shutdown_write();
    }
}
