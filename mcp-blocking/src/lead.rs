//! Who reads the server's stdout: a thread waiting on a call reads it
//! itself, and a background thread only when no caller has for a while.
//!
//! A dedicated reader thread costs every call a third context switch (the
//! server, the reader, then the caller), which on one CPU was most of a
//! sequential call's time. So the pipe is a token: a thread about to block
//! on its call takes it if it is free and reads until its own answer is in
//! (it *leads*; the answers it reads for other calls go to their waiters as
//! usual). A thread that finds the token taken waits for its answer or for
//! the token to come free, whichever is first.
//!
//! The background thread takes the token only when no caller has led for
//! [`IDLE`] (someone must read notifications, server requests and the end
//! of the stream while the program does something else), or at once when
//! the client is closing; it lets go as soon as a caller waits. The delay
//! keeps it from grabbing the pipe in the short gaps between a program's
//! calls.
//!
//! A leader blocks in `poll` on the pipe and on a wake pipe: an answer
//! delivered by another thread (a timeout, a cancel, a close, the
//! dispatcher after progress callbacks) writes a byte to it.

use std::cell::Cell;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mcp_adapter::session::Input;
use mcp_adapter::Error;
use mcp_proto::Reply;
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use crate::driver::{Conn, Msg};

/// How long the pipe must have gone unread by callers before the
/// background thread reads it.
pub(crate) const IDLE: Duration = Duration::from_millis(2);

/// A pipe a leader can poll.
pub(crate) trait Pipe: Read + AsFd + Send {}
impl<T: Read + AsFd + Send> Pipe for T {}

type Answer = Result<Reply, Error>;

thread_local! {
    /// The call this thread is leading for, as (the `Lead`'s address,
    /// ticket): its own answer needs no wake-up.
    static LEADING: Cell<(usize, u64)> = const { Cell::new((0, 0)) };
}

/// The token and the means to wait for it.
pub(crate) struct Lead {
    state: Mutex<State>,
    /// Signalled when the token comes free, an answer arrives for a thread
    /// waiting here, or the stream ends.
    turn: Condvar,
    /// Interrupts whoever polls the pipe.
    wake_rx: OwnedFd,
    wake_tx: OwnedFd,
}

struct State {
    /// The pipe, when nobody reads it; gone for good once it ended.
    token: Option<Token>,
    ended: bool,
    /// The call whose waiter holds the token, if a caller holds it.
    leader: Option<u64>,
    /// Threads waiting on `turn`.
    waiting: usize,
    /// When a caller last let go of the token (`None`: never, so the
    /// background thread reads the handshake's answers at once).
    last_led: Option<Instant>,
    /// The client is closing: the background thread reads from now on.
    closing: bool,
}

struct Token {
    pipe: Box<dyn Pipe>,
    buf: Vec<u8>,
    /// The session has not acked the last chunk: nothing more is read
    /// until it does (see `mcp_adapter::backlog`).
    paused: bool,
}

/// What one look at the pipe found.
enum Step {
    /// Bytes, handed to the session.
    Read,
    /// Woken, or the wait ran out: look at the answer again.
    Woken,
    /// The stream ended (or failed).
    End,
}

impl std::fmt::Debug for Lead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lead").finish_non_exhaustive()
    }
}

impl Lead {
    /// A token for `pipe`; `None` if the wake pipe cannot be made (the
    /// client then reads on a thread of its own, as for any stream).
    pub(crate) fn new(pipe: Box<dyn Pipe>) -> Result<Lead, Box<dyn Pipe>> {
        let Ok((wake_rx, wake_tx)) = wake_pipe() else {
            return Err(pipe);
        };
        // Only this process reads this end: non-blocking affects no one else.
        if rustix::io::ioctl_fionbio(&pipe, true).is_err() {
            return Err(pipe);
        }
        Ok(Lead {
            state: Mutex::new(State {
                token: Some(Token {
                    pipe,
                    buf: vec![0; crate::READ_CHUNK],
                    paused: false,
                }),
                ended: false,
                leader: None,
                waiting: 0,
                last_led: None,
                closing: false,
            }),
            turn: Condvar::new(),
            wake_rx,
            wake_tx,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Interrupts whoever polls the pipe (an answer came for the leader,
    /// a caller wants the token, the session acked the last chunk).
    pub(crate) fn wake(&self) {
        // Non-blocking: a full pipe already holds a wake-up.
        let _ = rustix::io::write(&self.wake_tx, &[1]);
    }

    /// Called once the answer to `ticket` has been sent (or dropped
    /// unsent), on whatever thread did it.
    pub(crate) fn answered(&self, ticket: u64) {
        if LEADING.with(Cell::get) == (self.id(), ticket) {
            return;
        }
        let st = self.lock();
        if st.leader == Some(ticket) {
            self.wake();
        }
        if st.waiting > 0 {
            self.turn.notify_all();
        }
    }

    /// The client is closing: the background thread reads to the end.
    pub(crate) fn closing(&self) {
        let mut st = self.lock();
        st.closing = true;
        self.turn.notify_all();
    }

    /// Waits for the answer on `rx` until `deadline`, reading the pipe
    /// whenever nobody else does. `None` when the deadline passed first.
    pub(crate) fn wait(
        &self,
        conn: &Conn,
        ticket: u64,
        rx: &Receiver<Answer>,
        deadline: Option<Instant>,
    ) -> Option<Answer> {
        loop {
            if let Some(answer) = received(rx) {
                return Some(answer);
            }
            let mut st = self.lock();
            // An answer sent before the lock was taken is in the channel
            // now; one sent later notifies `turn`.
            if let Some(answer) = received(rx) {
                return Some(answer);
            }
            if let Some(token) = st.token.take() {
                st.leader = Some(ticket);
                drop(st);
                let (answer, token) = self.lead(conn, ticket, token, rx, deadline);
                let ended = token.is_none();
                let mut st = self.lock();
                st.leader = None;
                st.last_led = Some(Instant::now());
                match token {
                    Some(t) => st.token = Some(t),
                    None => st.ended = true,
                }
                if st.waiting > 0 || ended || st.closing {
                    self.turn.notify_all();
                }
                drop(st);
                match answer {
                    Some(a) => return Some(a),
                    // The stream ended: the answer comes from the driver.
                    None if ended => continue,
                    None => return None,
                }
            }
            if st.leader.is_none() && !st.ended {
                // The background thread reads: ask it to let go.
                self.wake();
            }
            st.waiting += 1;
            st = match deadline {
                None => self.turn.wait(st).unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        st.waiting -= 1;
                        drop(st);
                        return received(rx);
                    }
                    self.turn
                        .wait_timeout(st, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            st.waiting -= 1;
        }
    }

    /// Reads the pipe until the answer is in, the deadline passes or the
    /// stream ends (the token is then gone).
    fn lead(
        &self,
        conn: &Conn,
        ticket: u64,
        mut token: Token,
        rx: &Receiver<Answer>,
        deadline: Option<Instant>,
    ) -> (Option<Answer>, Option<Token>) {
        LEADING.with(|l| l.set((self.id(), ticket)));
        let out = loop {
            if let Some(answer) = received(rx) {
                break (Some(answer), Some(token));
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break (None, Some(token)),
                },
            };
            if let Step::End = self.read(conn, &mut token, left) {
                self.end(conn);
                break (received(rx), None);
            }
        };
        LEADING.with(|l| l.set((0, 0)));
        out
    }

    /// One look at the pipe: what is there, or else one wait on the pipe
    /// and the wake pipe, at most `limit`. While the session has not acked
    /// the last chunk, only the wake pipe is waited on.
    fn read(&self, conn: &Conn, token: &mut Token, limit: Option<Duration>) -> Step {
        if token.paused {
            if !conn.may_read() {
                return self.nap(limit);
            }
            token.paused = false;
        }
        // The pipe is non-blocking: when the server has answered already
        // (on one CPU it ran as soon as the request was written), the
        // answer is read without a `poll` first.
        if let Some(step) = self.take_in(conn, token) {
            return step;
        }
        let timeout = limit.map(timespec);
        let mut fds = [
            PollFd::new(&token.pipe, PollFlags::IN),
            PollFd::new(&self.wake_rx, PollFlags::IN),
        ];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Step::Woken,
            Err(_) => return Step::End,
        }
        let pipe_ready = !fds[0].revents().is_empty();
        if !fds[1].revents().is_empty() {
            self.drain_wakes();
        }
        if !pipe_ready {
            return Step::Woken;
        }
        self.take_in(conn, token).unwrap_or(Step::Woken)
    }

    /// Waits on the wake pipe alone, at most `limit`.
    fn nap(&self, limit: Option<Duration>) -> Step {
        let timeout = limit.map(timespec);
        let mut fds = [PollFd::new(&self.wake_rx, PollFlags::IN)];
        if poll(&mut fds, timeout.as_ref()).is_ok() && !fds[0].revents().is_empty() {
            self.drain_wakes();
        }
        Step::Woken
    }

    /// Empties the wake pipe: the wake-ups in it have been seen.
    fn drain_wakes(&self) {
        let mut sink = [0u8; 64];
        while matches!(rustix::io::read(&self.wake_rx, &mut sink), Ok(n) if n > 0) {}
    }

    /// Reads what the pipe holds now; `None` if it holds nothing.
    fn take_in(&self, conn: &Conn, token: &mut Token) -> Option<Step> {
        match token.pipe.read(&mut token.buf) {
            Ok(0) => Some(Step::End),
            Ok(n) => {
                token.paused = !conn.received(token.buf[..n].to_vec());
                Some(Step::Read)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Some(Step::Woken),
            Err(_) => Some(Step::End),
        }
    }

    fn end(&self, conn: &Conn) {
        let _ = conn.tx.send(Msg::Session(Input::Eof));
    }

    /// The background thread: reads while no caller does, until the
    /// stream ends.
    pub(crate) fn background(&self, conn: &Conn) {
        loop {
            let mut token = {
                let mut st = self.lock();
                loop {
                    if st.ended {
                        return;
                    }
                    let idle = st.last_led.map_or(IDLE, |t| t.elapsed());
                    if st.token.is_some() && (st.closing || idle >= IDLE) {
                        break st.token.take().expect("checked above");
                    }
                    let nap = if st.token.is_some() {
                        IDLE - idle
                    } else {
                        IDLE
                    };
                    st = self
                        .turn
                        .wait_timeout(st, nap)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            };
            loop {
                if let Step::End = self.read(conn, &mut token, None) {
                    self.lock().ended = true;
                    self.turn.notify_all();
                    self.end(conn);
                    return;
                }
                let mut st = self.lock();
                if st.waiting > 0 {
                    // A caller wants the pipe: it reads its own answer.
                    st.token = Some(token);
                    st.last_led = Some(Instant::now());
                    self.turn.notify_all();
                    break;
                }
            }
        }
    }
}

fn received(rx: &Receiver<Answer>) -> Option<Answer> {
    match rx.try_recv() {
        Ok(a) => Some(a),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Disconnected) => {
            Some(Err(Error::closed(mcp_proto::CloseReason::ClosedByUser)))
        }
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// A non-blocking, close-on-exec pipe.
fn wake_pipe() -> rustix::io::Result<(OwnedFd, OwnedFd)> {
    let (rx, tx) = rustix::pipe::pipe()?;
    for fd in [&rx, &tx] {
        rustix::io::ioctl_fionbio(fd, true)?;
        rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
    }
    Ok((rx, tx))
}

/// Sends a call's answer, then tells the token's holders; dropped unsent
/// (the session gave up on the call), it tells them too, so no waiter is
/// left waiting on a channel nobody will write.
pub(crate) struct AnswerTo {
    tx: Option<Sender<Answer>>,
    lead: Arc<Lead>,
    ticket: u64,
}

impl AnswerTo {
    pub(crate) fn new(tx: Sender<Answer>, lead: Arc<Lead>, ticket: u64) -> AnswerTo {
        AnswerTo {
            tx: Some(tx),
            lead,
            ticket,
        }
    }

    pub(crate) fn send(self, answer: Answer) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(answer);
        }
    }
}

impl Drop for AnswerTo {
    fn drop(&mut self) {
        // Gone before the waiters look: a call dropped unsent reads as
        // disconnected, not as not-yet-answered.
        drop(self.tx.take());
        self.lead.answered(self.ticket);
    }
}
