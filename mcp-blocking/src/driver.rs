//! The driver: one thread that owns the session (the core and everything
//! around it) and is the only place that reads the clock. Everything else
//! talks to it through one channel.
//!
//! ```text
//! user threads ──Start/Cancel/Close──┐
//! stdout reader ──Bytes/Eof──────────┤
//! waiter ──Exited────────────────────┼──► driver ──► session ──► writer (stdin)
//! HTTP threads ──Http────────────────┤                 │       └► HTTP threads
//! input threads ──Answer─────────────┘                 └─► dispatcher (callbacks, replies)
//! ```
//!
//! No thread here blocks on something another one needs: the writer may wait
//! on a slow server, callbacks may take their time, the driver never waits
//! for either. What to do is the session's business
//! ([`mcp_adapter::session`]); this file only does it.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_adapter::session::{HttpMsg, Input, Io, Session};
use mcp_adapter::Status;
use mcp_proto::http::ExchangeId;

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
}

pub(crate) struct Driver {
    pub(crate) session: Session,
    pub(crate) rx: Receiver<Msg>,
    pub(crate) writer: Option<Sender<Vec<u8>>>,
    pub(crate) status: Arc<Status>,
    /// The HTTP client, for a connection over HTTP.
    pub(crate) http: Option<crate::http::Engine>,
}

impl Driver {
    /// Runs until the connection is closed and the process is gone.
    pub(crate) fn run(mut self) {
        loop {
            self.perform_io();
            if self.session.is_done() {
                break;
            }
            let now = Instant::now();
            let msg = match self.session.poll_timeout(now) {
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
            self.session.handle_timeout(Instant::now());
        }
        // Whatever is still waiting learns why it will never be answered.
        self.session.finish();
        self.writer = None;
        let left = match self.http.take() {
            Some(mut engine) => engine.shutdown(Duration::from_secs(2)),
            None => 0,
        };
        self.status.update(|s| {
            s.threads_left = left;
            s.finished = true;
        });
    }

    fn handle(&mut self, msg: Msg) {
        let now = Instant::now();
        match msg {
            Msg::Session(input) => self.session.handle(now, input),
            Msg::Http(id, m) => {
                // An exchange aborted meanwhile reports nothing more.
                if self.http.as_ref().is_some_and(|e| e.is_running(id)) {
                    self.session.handle(now, Input::Http(id, m));
                }
            }
            Msg::HttpDone(id) => {
                if let Some(engine) = self.http.as_mut() {
                    engine.done(id);
                }
            }
        }
    }

    /// Does the I/O the session asks for.
    fn perform_io(&mut self) {
        while let Some(io) = self.session.poll_io() {
            match io {
                Io::Transmit(bytes) => {
                    if let Some(w) = &self.writer {
                        if w.send(bytes).is_err() {
                            self.writer = None;
                        }
                    }
                }
                Io::CloseWriter => self.writer = None,
                Io::CloseTransport => {
                    self.writer = None;
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
    }
}
