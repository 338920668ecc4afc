//! The driver: a thread of its own that owns the session (the core and
//! everything around it), reads the clock, and runs the connection's I/O as
//! tasks on a local executor.
//!
//! ```text
//! user tasks ──Start/Cancel/Close──┐
//! stdout task ──Bytes/Eof──────────┤
//! exit task ──Exited───────────────┼──► driver ──► session ──► writer task (stdin)
//! HTTP tasks ──Http────────────────┤                  │      └► HTTP tasks
//! input threads ──Answer───────────┘                  └─► dispatcher thread (callbacks, replies)
//! ```
//!
//! Why a thread rather than tasks on the application's executor: the
//! client then works the same under every executor (or none, inside a
//! plain `block_on`), a busy or stopped executor cannot stall the protocol's
//! timers, and a dropped client still shuts its server down. Application
//! futures only wait on channels, which any executor can poll.
//!
//! What to do is the session's business ([`mcp_adapter::session`]); this
//! file only does it. The server's stderr is read on a thread of its own
//! (see [`mcp_adapter::stderr::drain`]), so the line callback never holds
//! up the connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use async_executor::{LocalExecutor, Task};
use async_io::Timer;
use futures_lite::future;
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use mcp_adapter::dispatch::DispatchThread;
use mcp_adapter::session::{HttpMsg, Input, Io, Session};
use mcp_adapter::workers::{self, Worker};
use mcp_adapter::{ExitStatus, Status};
use mcp_proto::http::ExchangeId;

use crate::http::HttpClient;

/// Bytes read from the server at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Most bytes gathered into one write to the server.
const WRITE_BATCH: usize = 256 * 1024;

/// Inputs taken at once before doing I/O, so a burst of calls becomes a few
/// large writes rather than many small ones.
const INPUT_BATCH: usize = 1024;

/// How long the driver waits for the stderr thread once the server is gone
/// (something outside its process group may hold the pipe open).
const STDERR_JOIN_WAIT: Duration = Duration::from_secs(1);

/// A boxed reader, for any stream.
pub(crate) type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
/// A boxed writer, for any stream.
pub(crate) type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// What the connection runs over.
pub(crate) enum Link {
    /// A byte stream, maybe to a child process.
    Stream {
        reader: BoxRead,
        writer: BoxWrite,
        /// The process, when the stream is its stdio.
        child: Option<async_process::Child>,
        /// The stderr thread, for a process.
        stderr: Option<Worker>,
    },
    /// HTTP exchanges.
    Http(HttpClient),
}

pub(crate) struct Driver {
    pub(crate) session: Session,
    pub(crate) rx: Receiver<Input>,
    pub(crate) tx: Sender<Input>,
    pub(crate) status: Arc<Status>,
    pub(crate) dispatcher: DispatchThread,
}

/// Starts the driver's thread.
pub(crate) fn start(driver: Driver, link: Link) -> std::io::Result<Worker> {
    workers::spawn(move || {
        let ex: LocalExecutor<'static> = LocalExecutor::new();
        async_io::block_on(ex.run(driver.run(&ex, link)));
    })
}

/// The driver's running state.
struct Running<'r> {
    ex: &'r LocalExecutor<'static>,
    session: Session,
    tx: Sender<Input>,
    /// The writer task's queue: bytes, and how many of them answer the
    /// server.
    writer: Option<Sender<(Vec<u8>, usize)>>,
    /// Tells the stdout task it may read its next chunk.
    read_ack: Option<Sender<()>>,
    http: Option<HttpClient>,
    /// HTTP exchanges in flight, each with the sender that lets it read
    /// its next body chunk.
    exchanges: HashMap<ExchangeId, (Task<()>, Sender<()>)>,
}

impl Driver {
    async fn run(self, ex: &LocalExecutor<'static>, link: Link) {
        let Driver {
            session,
            rx,
            tx,
            status,
            dispatcher,
        } = self;
        let mut pipes: Vec<Task<()>> = Vec::new();
        let mut stderr_thread = None;
        let mut run = Running {
            ex,
            session,
            tx: tx.clone(),
            writer: None,
            read_ack: None,
            http: None,
            exchanges: HashMap::new(),
        };
        match link {
            Link::Stream {
                reader,
                writer,
                child,
                stderr,
            } => {
                let (write_tx, write_rx) = async_channel::unbounded();
                run.writer = Some(write_tx);
                pipes.push(ex.spawn(write_loop(writer, write_rx, tx.clone())));
                let (ack_tx, ack_rx) = async_channel::bounded(1);
                run.read_ack = Some(ack_tx);
                pipes.push(ex.spawn(read_loop(reader, tx.clone(), ack_rx)));
                if let Some(mut child) = child {
                    let tx = tx.clone();
                    pipes.push(ex.spawn(async move {
                        let status = child
                            .status()
                            .await
                            .map_or(ExitStatus::Unknown, ExitStatus::from);
                        let _ = tx.send(Input::Exited(status)).await;
                    }));
                }
                stderr_thread = stderr;
            }
            Link::Http(client) => run.http = Some(client),
        }
        drop(tx);

        loop {
            run.perform_io();
            run.settle_acks();
            if run.session.is_done() {
                break;
            }
            let now = Instant::now();
            let next = match run.session.poll_timeout(now) {
                Some(at) => {
                    future::or(async { Some(rx.recv().await) }, async {
                        Timer::at(at).await;
                        None
                    })
                    .await
                }
                None => Some(rx.recv().await),
            };
            match next {
                Some(Ok(input)) => {
                    run.handle(input);
                    for _ in 0..INPUT_BATCH {
                        match rx.try_recv() {
                            Ok(input) => run.handle(input),
                            Err(_) => break,
                        }
                    }
                }
                // Every sender is gone, the application's included: nobody
                // is left to care, and the session has nothing to wait for.
                Some(Err(_)) => break,
                None => {}
            }
            run.session.handle_timeout(Instant::now());
        }
        // Whatever is still waiting learns why it will never be answered,
        // and so does whatever was sent meanwhile: a closed channel keeps
        // its messages (and their reply senders) while any sender lives.
        run.session.finish();
        rx.close();
        while let Ok(input) = rx.try_recv() {
            run.session.refuse(input);
        }
        run.writer = None;
        run.exchanges.clear();
        let mut threads_left = 0;
        if let Some(t) = stderr_thread {
            let deadline = Instant::now() + STDERR_JOIN_WAIT;
            while !t.is_finished() && Instant::now() < deadline {
                Timer::after(Duration::from_millis(5)).await;
            }
            if t.is_finished() {
                t.join();
            } else {
                threads_left += 1;
            }
        }
        drop(pipes);
        status.update(|s| {
            s.threads_left = threads_left;
            s.finished = true;
        });
        // The dispatcher ends once the callbacks queued before the end ran;
        // `close` returns after that.
        if let Some(d) = dispatcher.take() {
            d.join();
        }
        status.update(|s| s.callbacks_done = true);
    }
}

impl Running<'_> {
    fn handle(&mut self, input: Input) {
        if let Input::Http(id, m) = &input {
            if m.is_last() {
                // Its task ends by itself (returning its connection to the
                // pool first); dropping it here would abort that.
                if let Some((task, _)) = self.exchanges.remove(id) {
                    task.detach();
                }
            }
        }
        self.session.handle(Instant::now(), input);
    }

    /// Lets the readers whose chunks the session acked read their next.
    fn settle_acks(&mut self) {
        let acks = self.session.take_acks();
        if acks.stdout {
            if let Some(ack) = &self.read_ack {
                let _ = ack.try_send(());
            }
        }
        for id in acks.exchanges {
            if let Some((_, ack)) = self.exchanges.get(&id) {
                let _ = ack.try_send(());
            }
        }
    }

    /// `replies` bytes of answers will never be written.
    fn dropped(&mut self, replies: usize) {
        if replies > 0 {
            self.session
                .handle(Instant::now(), Input::Written { replies });
        }
    }

    /// Does the I/O the session asks for.
    fn perform_io(&mut self) {
        while let Some(io) = self.session.poll_io() {
            match io {
                Io::Transmit { bytes, replies } => match &self.writer {
                    Some(w) => {
                        if let Err(e) = w.try_send((bytes, replies)) {
                            self.writer = None;
                            self.dropped(e.into_inner().1);
                        }
                    }
                    None => self.dropped(replies),
                },
                Io::CloseWriter => self.writer = None,
                Io::CloseTransport => {
                    self.writer = None;
                    // Dropping a task aborts its exchange.
                    self.exchanges.clear();
                }
                Io::Http(req) => {
                    if let Some(client) = self.http.clone() {
                        let tx = self.tx.clone();
                        let id = req.id;
                        // One body chunk in flight, as for stdout: the task
                        // shares the driver's thread and would otherwise
                        // read a whole large body into the channel first.
                        let (ack_tx, ack_rx) = async_channel::bounded(1);
                        let task = self.ex.spawn(async move {
                            client
                                .perform_paced(
                                    req,
                                    |event| {
                                        let _ = tx
                                            .try_send(Input::Http(id, HttpMsg::from_event(event)));
                                    },
                                    Some(&ack_rx),
                                )
                                .await;
                        });
                        self.exchanges.insert(id, (task, ack_tx));
                    }
                }
                Io::AbortHttp(id) => {
                    self.exchanges.remove(&id);
                }
            }
        }
    }
}

/// Reads the server's stdout, one chunk in flight at a time: the task
/// shares the driver's thread, and without waiting for each chunk to be
/// taken in it would read a whole large frame into the channel before the
/// driver ran (a third copy of it in memory at the peak).
async fn read_loop(mut reader: BoxRead, tx: Sender<Input>, ack: Receiver<()>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                if tx.send(Input::Bytes(buf[..n].to_vec())).await.is_err()
                    || ack.recv().await.is_err()
                {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let _ = tx.send(Input::Eof).await;
}

/// Writes what the driver queues; tells it when answers to the server
/// have left (or never will), so that it reads on.
async fn write_loop(mut writer: BoxWrite, rx: Receiver<(Vec<u8>, usize)>, tx: Sender<Input>) {
    while let Ok((mut bytes, mut replies)) = rx.recv().await {
        // Whatever else is queued goes out in the same write.
        while bytes.len() < WRITE_BATCH {
            match rx.try_recv() {
                Ok((more, r)) => {
                    bytes.extend_from_slice(&more);
                    replies += r;
                }
                Err(_) => break,
            }
        }
        let failed = writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err();
        if replies > 0 {
            let _ = tx.send(Input::Written { replies }).await;
        }
        if failed {
            // The server stopped reading (it is exiting, or broken): tell
            // the driver, and keep draining so nothing waits on this task.
            let _ = tx.send(Input::WriteFailed).await;
            while let Ok((_, replies)) = rx.recv().await {
                if replies > 0 {
                    let _ = tx.send(Input::Written { replies }).await;
                }
            }
            return;
        }
    }
    // The channel closed: closing stdin is the first step of shutdown.
    let _ = writer.close().await;
}
