//! The async client: a handle any task can call, futures that cancel on
//! drop, a driver thread doing the I/O.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_channel::Sender;
use async_io::Timer;
use futures_channel::oneshot;
use futures_lite::future;
use futures_lite::io::{AsyncRead, AsyncWrite};
use mcp_adapter::group::{Group, Signal};
use mcp_adapter::session::{Input, Parts, Session};
use mcp_adapter::stderr::Ring;
use mcp_adapter::{
    handshake_limit, Closed, Error, ServerCommand, Settings, Shutdown, State, Status,
    STDERR_TAIL_LINES,
};
use mcp_proto::api::{CallOptions, Operations};
use mcp_proto::http::HttpOptions;
use mcp_proto::{Call, CloseReason, Reply, UsageError};
use serde::de::DeserializeOwned;

use crate::driver::{self, Driver, Link};
use crate::http::HttpClient;

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

    /// Starts the server and waits until it is ready (its era found, the
    /// handshake done).
    pub async fn spawn(self, cmd: &ServerCommand) -> Result<Client, Error> {
        let mut command = async_process::Command::from(cmd.to_command());
        command
            .stdin(async_process::Stdio::piped())
            .stdout(async_process::Stdio::piped())
            .stderr(async_process::Stdio::piped());
        let mut child = command.spawn().map_err(|e| cmd.spawn_error(e))?;
        let pid = child.id();
        // Piped above, so present; a missing one would be a bug here.
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err(Error::Io(std::io::Error::other(
                "the child's pipes were not set up",
            )));
        };
        let ring = Arc::new(Ring::new(self.settings.stderr_capacity()));
        let (r, on_line) = (ring.clone(), self.settings.on_stderr.clone());
        // A blocking read on a thread of its own: the line callback may be
        // slow without holding up anything else.
        let stderr_thread = mcp_adapter::workers::spawn(move || {
            mcp_adapter::stderr::drain(futures_lite::io::BlockOn::new(stderr), r, on_line)
        });
        let stderr_thread = match stderr_thread {
            Ok(t) => t,
            Err(e) => {
                let _ = child.kill();
                return Err(Error::Io(e));
            }
        };
        let link = Link::Stream {
            reader: Box::new(stdout),
            writer: Box::new(stdin),
            child: Some(child),
            stderr: Some(stderr_thread),
        };
        let core = mcp_proto::Client::new(self.settings.effective_config(), Instant::now());
        self.start(core, link, ring, Some(pid), None).await
    }

    /// Connects to an MCP server over HTTP and waits until it is ready.
    ///
    /// The era and transport are found as the spec says: a 2026-07-28
    /// `server/discover`, then `initialize` (Streamable HTTP, 2025-03-26 ..
    /// 2025-11-25), then the 2024-11-05 HTTP+SSE transport. Add headers
    /// (authorization, say) with [`HttpOptions::with_header`].
    pub async fn connect_http(self, options: HttpOptions) -> Result<Client, Error> {
        let url = options.url.clone();
        let core =
            mcp_proto::Client::new_http(self.settings.effective_config(), options, Instant::now())
                .map_err(|e| Error::Config(Box::new(e)))?;
        let http = HttpClient::new(&self.settings.http)?;
        let ring = Arc::new(Ring::new(self.settings.stderr_capacity()));
        self.start(core, Link::Http(http), ring, None, Some(url))
            .await
    }

    /// Talks to a server over any async byte stream (a socket's halves, a
    /// pipe pair), and waits until it is ready. Closing the client closes
    /// the writer.
    pub async fn connect(
        self,
        reader: impl AsyncRead + Send + Unpin + 'static,
        writer: impl AsyncWrite + Send + Unpin + 'static,
    ) -> Result<Client, Error> {
        let link = Link::Stream {
            reader: Box::new(reader),
            writer: Box::new(writer),
            child: None,
            stderr: None,
        };
        let core = mcp_proto::Client::new(self.settings.effective_config(), Instant::now());
        let ring = Arc::new(Ring::new(self.settings.stderr_capacity()));
        self.start(core, link, ring, None, None).await
    }

    async fn start(
        self,
        core: mcp_proto::Client,
        link: Link,
        ring: Arc<Ring>,
        pid: Option<u32>,
        url: Option<String>,
    ) -> Result<Client, Error> {
        let limit = handshake_limit(core.config());
        let settings = self.settings;
        let heard = settings.notifications.is_some();
        let group = pid.map(Group);
        let (tx, rx) = async_channel::unbounded();
        let status = Arc::new(Status::default());
        let room_tx = tx.clone();
        let (dispatcher, dispatch_thread) = mcp_adapter::dispatch::Dispatcher::new(
            settings.notifications.clone(),
            Box::new(move || {
                let _ = room_tx.try_send(Input::Resume);
            }),
        );
        let answers_tx = tx.clone();
        let session = Session::new(
            core,
            Parts {
                status: status.clone(),
                stderr: ring.clone(),
                input: settings.input,
                notifications: settings.notifications,
                dispatcher,
                answers: Arc::new(move |input, answer| {
                    let _ = answers_tx.try_send(Input::Answer { input, answer });
                }),
                group,
                shutdown: settings.shutdown,
            },
        );
        let driver = Driver {
            session,
            rx,
            tx: tx.clone(),
            status: status.clone(),
            dispatcher: dispatch_thread,
        };
        let started = driver::start(driver, link);
        if let Err(e) = started {
            // Nothing will shut the server down: end it now.
            if let Some(g) = group {
                g.signal(Signal::Kill);
            }
            return Err(Error::Io(e));
        }
        let client = Client {
            inner: Arc::new(Inner {
                tx,
                status,
                stderr: ring,
                next_ticket: AtomicU64::new(1),
                shutdown: settings.shutdown,
                pid,
            }),
        };
        // The core bounds the handshake itself; the limit here only guards
        // against a driver that died.
        within(limit, client.inner.status.wait(State::settled)).await;
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
                    client.flush_callbacks().await;
                }
                Ok(client)
            }
            Some(reason) => {
                let report = client.close().await;
                Err(Error::startup(reason, url, report.exit, report.stderr))
            }
        }
    }
}

/// Runs `f` for at most `limit`; whether it finished.
async fn within(limit: Duration, f: impl Future<Output = ()>) -> bool {
    future::or(
        async {
            f.await;
            true
        },
        async {
            Timer::after(limit).await;
            false
        },
    )
    .await
}

struct Inner {
    tx: Sender<Input>,
    status: Arc<Status>,
    stderr: Arc<Ring>,
    next_ticket: AtomicU64,
    shutdown: Shutdown,
    pid: Option<u32>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: the driver shuts the server down and
        // reaps it on its own thread, so dropping never blocks a task.
        let _ = self.tx.try_send(Input::Close);
    }
}

/// An async MCP client. `Send + Sync` and cheap to clone: any number of
/// tasks, on any executor, may have calls in flight at once.
///
/// The operations (`list_tools`, `call_tool`, ...) come from
/// [`Operations`]; `use mcp_smol::prelude::*` brings them in. Each returns a
/// [`Request`] future: it starts the call when first polled, and dropping
/// it before it is done cancels the call on the wire.
///
/// The connection closes on [`close`](Client::close), which waits for the
/// server to be shut down and reaped, or when the last handle is dropped,
/// after which the same shutdown runs in the background.
///
/// ```no_run
/// use mcp_smol::prelude::*;
///
/// smol::block_on(async {
///     let client = Client::spawn(&ServerCommand::new("npx").args(["-y", "@modelcontextprotocol/server-everything"])).await?;
///     let tools = client.list_tools().await?;
///     let result = client.call_tool("echo", serde_json::json!({"message": "hi"})).await?;
///     client.close().await;
///     Ok::<(), mcp_smol::Error>(())
/// })?;
/// # Ok::<(), mcp_smol::Error>(())
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
    pub async fn spawn(cmd: &ServerCommand) -> Result<Client, Error> {
        Builder::new().spawn(cmd).await
    }

    /// Connects to the MCP server at `url` over HTTP with default settings
    /// and waits until it is ready. Use [`Builder::connect_http`] for
    /// headers, handlers and TLS roots.
    pub async fn connect_http(url: &str) -> Result<Client, Error> {
        Builder::new().connect_http(HttpOptions::new(url)).await
    }

    /// A builder for handlers, configuration and shutdown timing.
    pub fn builder() -> Builder {
        Builder::new()
    }

    mcp_adapter::client_accessors!();

    /// Starts a call now; the handle is a future of its answer. Dropping
    /// the handle before the answer came cancels the call.
    pub fn start(&self, call: Call, opts: CallOptions) -> Result<PendingCall, Error> {
        let ticket = self.inner.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (reply, rx) = oneshot::channel();
        let mut request = opts.request;
        request.progress |= opts.on_progress.is_some();
        let input = Input::Start {
            ticket,
            call,
            opts: request,
            progress: opts.on_progress,
            reply: Box::new(move |r| {
                let _ = reply.send(r);
            }),
            from_callback: mcp_adapter::dispatch::in_callback(),
        };
        self.inner
            .tx
            .try_send(input)
            .map_err(|_| Error::closed(CloseReason::ClosedByUser))?;
        Ok(PendingCall {
            ticket,
            rx,
            tx: self.inner.tx.clone(),
            done: false,
        })
    }

    /// Waits until every callback for what the client has received so far
    /// has run: notifications, progress, violations, wire records. A call's
    /// future already resolves only after the callbacks for what arrived
    /// before its answer; this is for what arrives between calls (a log
    /// notification, the `--wire` record of `notifications/initialized`).
    /// Returns at once when called from inside a callback, which would
    /// otherwise wait for itself.
    ///
    /// ```no_run
    /// # use mcp_smol::prelude::*;
    /// # async fn f(client: mcp_smol::Client) {
    /// client.flush_callbacks().await;
    /// # }
    /// ```
    pub async fn flush_callbacks(&self) {
        if mcp_adapter::dispatch::in_callback() {
            return;
        }
        let (tx, rx) = oneshot::channel::<()>();
        let done = Box::new(move || {
            let _ = tx.send(());
        });
        if self.inner.tx.try_send(Input::Flush { done }).is_ok() {
            // Dropped unsent when the connection is over: nothing is queued.
            let _ = rx.await;
        }
    }

    /// Tells the server the client's roots changed (legacy servers; a no-op
    /// for modern ones).
    pub fn notify_roots_list_changed(&self) -> Result<(), Error> {
        self.inner
            .tx
            .try_send(Input::RootsChanged)
            .map_err(|_| Error::closed(CloseReason::ClosedByUser))
    }

    /// Closes the connection: pending calls fail, the server's stdin is
    /// closed, then SIGTERM and SIGKILL follow the configured grace periods,
    /// to its whole process group. Waits for all of it, without blocking a
    /// thread, and for every notification callback already queued to run.
    /// Calling it again returns the same report.
    pub async fn close(&self) -> Closed {
        let _ = self.inner.tx.try_send(Input::Close);
        // The driver also waits up to a second for the stderr reader.
        let limit = self.inner.shutdown.worst_case() + Duration::from_secs(2);
        // Every callback has run when close returns, unless close was
        // called from one (which would then wait for itself).
        let in_callback = mcp_adapter::dispatch::in_callback();
        within(
            limit,
            self.inner
                .status
                .wait(|s| s.finished && (s.callbacks_done || in_callback)),
        )
        .await;
        self.inner.status.with(|s| Closed {
            exit: s.exit.clone(),
            stderr: self.inner.stderr.tail(STDERR_TAIL_LINES),
            threads_left: s.threads_left + usize::from(!s.finished),
        })
    }
}

impl Operations for Client {
    type Outcome<T: DeserializeOwned + Send + 'static> = Request<T>;

    fn run<T: DeserializeOwned + Send + 'static>(
        &self,
        call: Result<Call, UsageError>,
        opts: CallOptions,
    ) -> Request<T> {
        Request {
            state: RequestState::Unstarted {
                client: self.clone(),
                call,
                opts,
            },
            _result: PhantomData,
        }
    }
}

/// A call in flight: a future of its answer. Dropping it before the answer
/// came cancels the call (the server is told).
#[derive(Debug)]
pub struct PendingCall {
    ticket: u64,
    rx: oneshot::Receiver<Result<Reply, Error>>,
    tx: Sender<Input>,
    done: bool,
}

impl PendingCall {
    /// The call's id: the one progress reports
    /// (`NotificationHandler::progress`) and input requests
    /// (`InputNeeded::call`) name it by, so callbacks can be told apart by
    /// the call they belong to.
    pub fn id(&self) -> mcp_proto::CallId {
        mcp_proto::CallId(self.ticket)
    }

    /// Cancels the call (the server is told); the future then resolves to
    /// `Error::Cancelled`.
    pub fn cancel(&self) {
        let _ = self.tx.try_send(Input::Cancel {
            ticket: self.ticket,
        });
    }
}

impl Future for PendingCall {
    type Output = Result<Reply, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(r)) => r,
            // The driver dropped the call without an answer: it is gone.
            Poll::Ready(Err(oneshot::Canceled)) => Err(Error::closed(CloseReason::ClosedByUser)),
        };
        self.done = true;
        Poll::Ready(result)
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if !self.done {
            self.cancel();
        }
    }
}

/// The future of one operation, decoded into `T`. It starts the call when
/// first polled; dropping it before it is done cancels the call.
#[must_use = "a request does nothing until awaited"]
pub struct Request<T> {
    state: RequestState,
    _result: PhantomData<fn() -> T>,
}

enum RequestState {
    Unstarted {
        client: Client,
        call: Result<Call, UsageError>,
        opts: CallOptions,
    },
    Started(PendingCall),
    Done,
}

impl<T> std::fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            RequestState::Unstarted { .. } => "unstarted",
            RequestState::Started(_) => "in flight",
            RequestState::Done => "done",
        };
        f.debug_struct("Request").field("state", &state).finish()
    }
}

impl<T: DeserializeOwned> Future for Request<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match std::mem::replace(&mut self.state, RequestState::Done) {
                RequestState::Unstarted { client, call, opts } => {
                    let started = call
                        .map_err(Error::from)
                        .and_then(|c| client.start(c, opts));
                    match started {
                        Ok(pending) => self.state = RequestState::Started(pending),
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                RequestState::Started(mut pending) => {
                    return match Pin::new(&mut pending).poll(cx) {
                        Poll::Pending => {
                            self.state = RequestState::Started(pending);
                            Poll::Pending
                        }
                        Poll::Ready(r) => {
                            Poll::Ready(r.and_then(|reply| reply.decode().map_err(Error::Decode)))
                        }
                    };
                }
                RequestState::Done => panic!("a Request was polled after it completed"),
            }
        }
    }
}
