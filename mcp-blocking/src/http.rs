//! Performs the core's HTTP exchanges with `ureq`, one worker thread per
//! running exchange.
//!
//! Each running exchange has an agent of its own (taken from a small pool
//! of idle agents, so kept-alive connections are reused): aborting the
//! exchange shuts its agent down, which interrupts a blocked read at once.
//! That is how a long SSE stream is closed on demand, and how a 2026-07-28
//! request is cancelled.
//!
//! Workers outlive their exchange and wait a while for the next one:
//! starting a thread per request was most of the cost of a call on
//! 127.0.0.1. For the same reason a server named by its IP address is
//! connected to without ureq's resolver thread (the resolve timeout only
//! matters for names).
//!
//! Nothing here knows MCP: requests arrive as method, URL, headers and
//! body, and the response goes back to the driver as head, body chunks and
//! the end or a failure.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SendError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use mcp_proto::http::{
    ExchangeId, HttpFailure, HttpFailureKind, HttpHead, HttpMethod, HttpRequest,
};
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::driver::Msg;
use mcp_adapter::session::HttpMsg;
pub use mcp_adapter::HttpSettings;

/// Idle agents (each with its kept-alive connection) kept for reuse.
const IDLE_AGENTS: usize = 16;

/// Idle worker threads kept for the next exchanges.
const IDLE_WORKERS: usize = 16;

/// How long an idle worker waits for another exchange before it ends.
const WORKER_IDLE: Duration = Duration::from_secs(10);

/// The `User-Agent` unless the settings name one.
const USER_AGENT: &str = concat!("mcp-blocking/", env!("CARGO_PKG_VERSION"));

/// The certificates in a PEM file, as DER for
/// [`HttpSettings::root_certificates`]; see
/// [`mcp_adapter::certificates_from_pem`].
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, crate::Error> {
    mcp_adapter::certificates_from_pem(pem).map_err(crate::Error::Io)
}

/// Body chunks an exchange may have handed to the driver that it has not
/// taken in yet. A worker reads faster than the driver decodes when the
/// machine is busy; beyond this it waits, so a huge body is never held in
/// the channel. Two, so that a body of one chunk never waits.
const CHUNKS_IN_FLIGHT: u32 = 2;

/// How an exchange's worker and the driver keep the body chunks in flight
/// to [`CHUNKS_IN_FLIGHT`].
#[derive(Default)]
struct Pace {
    in_flight: Mutex<u32>,
    taken: Condvar,
}

impl Pace {
    /// Waits for room for one more chunk and takes it; false if the
    /// exchange was aborted meanwhile.
    fn room(&self, aborted: impl Fn() -> bool) -> bool {
        let mut n = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *n >= CHUNKS_IN_FLIGHT {
            if aborted() {
                return false;
            }
            // Woken by `taken` or by an abort; the timeout is a safety net.
            n = self
                .taken
                .wait_timeout(n, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *n += 1;
        true
    }

    /// One chunk was taken in (or will never be).
    fn release(&self) {
        let mut n = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *n = n.saturating_sub(1);
        self.taken.notify_all();
    }

    /// Wakes a waiting worker (to see its exchange aborted).
    fn wake(&self) {
        let _n = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.taken.notify_all();
    }
}

/// An exchange's thread is still running it.
const RUNNING: u8 = 0;
/// The exchange was aborted: its agent is shut down and never reused.
const ABORTED: u8 = 1;
/// The exchange's thread is done with the agent (and may have pooled it).
const FINISHED: u8 = 2;

struct Running {
    agent: ureq::Agent,
    /// `RUNNING`, then `ABORTED` or `FINISHED`, whichever comes first.
    state: Arc<AtomicU8>,
    pace: Arc<Pace>,
}

/// An exchange for a worker, with the way back to that worker once it is
/// idle again.
struct Job {
    agent: ureq::Agent,
    /// Whether the agent connects without a resolver thread.
    by_ip: bool,
    req: HttpRequest,
    state: Arc<AtomicU8>,
    pace: Arc<Pace>,
    back: Sender<Job>,
}

/// What the engine and its workers share.
#[derive(Default)]
struct Pool {
    /// Idle agents, and whether each connects without a resolver thread.
    agents: Vec<(bool, ureq::Agent)>,
    /// Idle workers, by id: the only senders to their inboxes, so clearing
    /// this ends them.
    workers: Vec<(u64, Sender<Job>)>,
    /// The engine is shutting down: workers end instead of waiting.
    closed: bool,
}

/// The exchanges in flight and the agents to run them.
pub(crate) struct Engine {
    /// For servers named by a host name: resolved with a timeout.
    config: ureq::config::Config,
    /// For servers named by an IP address: nothing to resolve.
    config_ip: ureq::config::Config,
    pool: Arc<Mutex<Pool>>,
    running: HashMap<ExchangeId, Running>,
    threads: Vec<JoinHandle<()>>,
    next_worker: u64,
    tx: Sender<Msg>,
}

impl Engine {
    pub(crate) fn new(settings: &HttpSettings, tx: Sender<Msg>) -> Engine {
        let mut tls = TlsConfig::builder();
        if !settings.root_certificates.is_empty() {
            let certs: Vec<Certificate<'static>> = settings
                .root_certificates
                .iter()
                .map(|der| Certificate::from_der(der).to_owned())
                .collect();
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        let tls = tls.build();
        let config = |resolve: Option<Duration>| {
            ureq::Agent::config_builder()
                // Statuses are the core's business, and so are redirects (an
                // MCP endpoint that redirects a POST is an error to report).
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_connect(Some(settings.connect_timeout))
                .timeout_resolve(resolve)
                .user_agent(settings.user_agent.as_deref().unwrap_or(USER_AGENT))
                .tls_config(tls.clone())
                .build()
        };
        Engine {
            config: config(Some(settings.connect_timeout)),
            // ureq starts a thread per resolve when it has a timeout.
            config_ip: config(None),
            pool: Arc::new(Mutex::new(Pool::default())),
            running: HashMap::new(),
            threads: Vec::new(),
            next_worker: 0,
            tx,
        }
    }

    /// Starts an exchange on an idle worker, or on a new one.
    pub(crate) fn start(&mut self, req: HttpRequest) {
        self.threads.retain(|t| !t.is_finished());
        let by_ip = host_is_ip(&req.url);
        let (agent, worker) = {
            let mut pool = lock(&self.pool);
            let agent = pool
                .agents
                .iter()
                .rposition(|(ip, _)| *ip == by_ip)
                .map(|i| pool.agents.remove(i).1);
            (agent, pool.workers.pop())
        };
        let agent = agent.unwrap_or_else(|| {
            if by_ip {
                self.config_ip.new_agent()
            } else {
                self.config.new_agent()
            }
        });
        let state = Arc::new(AtomicU8::new(RUNNING));
        let pace = Arc::new(Pace::default());
        let id = req.id;
        self.running.insert(
            id,
            Running {
                agent: agent.clone(),
                state: state.clone(),
                pace: pace.clone(),
            },
        );
        let job = |back| Job {
            agent,
            by_ip,
            req,
            state,
            pace,
            back,
        };
        let job = match worker {
            Some((_, inbox)) => match inbox.send(job(inbox.clone())) {
                Ok(()) => return,
                // The worker is gone (it panicked): a new one takes the job.
                Err(SendError(job)) => job,
            },
            None => {
                let (inbox, _) = mpsc::channel();
                job(inbox)
            }
        };
        self.spawn_worker(job);
    }

    fn spawn_worker(&mut self, mut job: Job) {
        let (inbox, rx) = mpsc::channel();
        job.back = inbox;
        let worker = self.next_worker;
        self.next_worker += 1;
        let (pool, tx) = (self.pool.clone(), self.tx.clone());
        let id = job.req.id;
        let spawned = std::thread::Builder::new()
            .name("mcp-http".into())
            .spawn(move || work(job, rx, worker, &pool, &tx));
        match spawned {
            Ok(t) => self.threads.push(t),
            Err(e) => {
                self.running.remove(&id);
                let failure = HttpFailure::new(
                    HttpFailureKind::Other,
                    format!("could not start a thread for the request: {e}"),
                );
                let _ = self.tx.send(Msg::Http(id, HttpMsg::Failed(failure)));
            }
        }
    }

    /// Stops an exchange: its connection closes, its thread ends, and
    /// nothing more is reported for it.
    pub(crate) fn abort(&mut self, id: ExchangeId) {
        if let Some(r) = self.running.remove(&id) {
            let first = r
                .state
                .compare_exchange(RUNNING, ABORTED, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
            // A thread that already finished left its connection idle (and
            // its agent maybe pooled): nothing to interrupt.
            if first {
                r.agent.shutdown();
            }
            r.pace.wake();
        }
    }

    /// The driver took in a body chunk of `id`: its worker may send more.
    pub(crate) fn taken(&self, id: ExchangeId) {
        if let Some(r) = self.running.get(&id) {
            r.pace.release();
        }
    }

    /// An exchange's thread is done.
    pub(crate) fn done(&mut self, id: ExchangeId) {
        self.running.remove(&id);
    }

    /// Whether an event for `id` should still reach the core.
    pub(crate) fn is_running(&self, id: ExchangeId) -> bool {
        self.running.contains_key(&id)
    }

    /// Aborts every exchange.
    pub(crate) fn abort_all(&mut self) {
        let ids: Vec<ExchangeId> = self.running.keys().copied().collect();
        for id in ids {
            self.abort(id);
        }
    }

    /// Aborts everything and waits (boundedly) for the threads; returns how
    /// many did not end in time.
    pub(crate) fn shutdown(&mut self, wait: Duration) -> usize {
        self.abort_all();
        {
            let mut pool = lock(&self.pool);
            pool.closed = true;
            // Idle workers see their inbox close and end.
            pool.workers.clear();
            for (_, agent) in pool.agents.drain(..) {
                agent.shutdown();
            }
        }
        let deadline = std::time::Instant::now() + wait;
        let mut left = 0;
        for t in self.threads.drain(..) {
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if t.is_finished() {
                let _ = t.join();
            } else {
                left += 1;
            }
        }
        left
    }
}

fn lock(pool: &Mutex<Pool>) -> MutexGuard<'_, Pool> {
    pool.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A worker: runs its exchange, then offers itself for the next one until
/// it has waited [`WORKER_IDLE`] for nothing, or the engine shuts down.
fn work(mut job: Job, inbox: Receiver<Job>, me: u64, pool: &Mutex<Pool>, tx: &Sender<Msg>) {
    loop {
        let Job {
            agent,
            by_ip,
            req,
            state,
            pace,
            back,
        } = job;
        let id = req.id;
        let clean = perform(&agent, req, tx, &state, &pace);
        // Either this worker finishes first and may pool the agent, or the
        // abort came first and the agent is shut down: never both, so no
        // shut-down agent ends up in the pool.
        let finished = state
            .compare_exchange(RUNNING, FINISHED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        let stay = {
            let mut p = lock(pool);
            if clean && finished && !p.closed && p.agents.len() < IDLE_AGENTS {
                p.agents.push((by_ip, agent));
            }
            let stay = !p.closed && p.workers.len() < IDLE_WORKERS;
            if stay {
                p.workers.push((me, back));
            }
            stay
        };
        let _ = tx.send(Msg::HttpDone(id));
        if !stay {
            return;
        }
        job = match inbox.recv_timeout(WORKER_IDLE) {
            Ok(next) => next,
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                let mut p = lock(pool);
                match p.workers.iter().position(|(w, _)| *w == me) {
                    Some(i) => {
                        p.workers.remove(i);
                        return;
                    }
                    // Taken from the pool just now: its job is on the way.
                    None => {
                        drop(p);
                        match inbox.recv() {
                            Ok(next) => next,
                            Err(_) => return,
                        }
                    }
                }
            }
        };
    }
}

/// Whether `url` names its host by an IP address (nothing to resolve).
fn host_is_ip(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6
            .split_once(']')
            .is_some_and(|(a, _)| a.parse::<std::net::Ipv6Addr>().is_ok());
    }
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Runs one exchange, reporting as it goes. Returns whether the connection
/// ended cleanly (so the agent may be reused).
fn perform(
    agent: &ureq::Agent,
    req: HttpRequest,
    tx: &Sender<Msg>,
    state: &AtomicU8,
    pace: &Pace,
) -> bool {
    let id = req.id;
    let aborted = || state.load(Ordering::SeqCst) == ABORTED;
    let send = |m: HttpMsg| {
        if !aborted() {
            let _ = tx.send(Msg::Http(id, m));
        }
    };
    let method = match req.method {
        HttpMethod::Post => ureq::http::Method::POST,
        HttpMethod::Get => ureq::http::Method::GET,
        HttpMethod::Delete => ureq::http::Method::DELETE,
    };
    let mut builder = ureq::http::Request::builder().method(method).uri(&req.url);
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let response = match builder.body(req.body) {
        Ok(request) => agent.run(request),
        Err(e) => {
            send(HttpMsg::Failed(HttpFailure::new(
                HttpFailureKind::Other,
                format!("invalid request: {e}"),
            )));
            return false;
        }
    };
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            send(HttpMsg::Failed(failure(&e)));
            return false;
        }
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    send(HttpMsg::Head(HttpHead { status, headers }));
    let mut body = response.into_body().into_reader();
    let mut buf = vec![0u8; crate::READ_CHUNK];
    loop {
        if aborted() {
            return false;
        }
        match body.read(&mut buf) {
            Ok(0) => {
                send(HttpMsg::End);
                return true;
            }
            Ok(n) => {
                if !pace.room(aborted) {
                    return false;
                }
                send(HttpMsg::Body(buf[..n].to_vec()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                send(HttpMsg::Failed(HttpFailure::new(
                    HttpFailureKind::Io,
                    e.to_string(),
                )));
                return false;
            }
        }
    }
}

/// Sorts a ureq error into the kinds the core tells apart.
fn failure(e: &ureq::Error) -> HttpFailure {
    use ureq::Error as E;
    let kind = match e {
        E::HostNotFound | E::ConnectionFailed => HttpFailureKind::Connect,
        // rustls reports a failed handshake (an untrusted certificate, say)
        // through the stream, as an io::Error wrapping its own error.
        E::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => HttpFailureKind::Tls,
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::AddrNotAvailable
            | std::io::ErrorKind::NotConnected => HttpFailureKind::Connect,
            std::io::ErrorKind::TimedOut => HttpFailureKind::TimedOut,
            _ => HttpFailureKind::Io,
        },
        E::Timeout(_) => HttpFailureKind::TimedOut,
        E::Tls(_) | E::Rustls(_) | E::Pem(_) | E::TlsRequired => HttpFailureKind::Tls,
        _ => HttpFailureKind::Other,
    };
    HttpFailure::new(kind, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::host_is_ip;

    #[test]
    fn ip_hosts_are_told_from_names() {
        for ip in [
            "http://127.0.0.1:8080/mcp",
            "http://127.0.0.1/mcp?x=1",
            "https://user:pw@10.0.0.2:443/",
            "http://[::1]:3000/mcp",
            "http://[fe80::1]/",
        ] {
            assert!(host_is_ip(ip), "{ip}");
        }
        for name in [
            "http://localhost:8080/mcp",
            "https://example.com/mcp",
            "http://127.0.0.1.example.com/",
            "http://[not-ip]/",
            "http://1.2.3/",
        ] {
            assert!(!host_is_ip(name), "{name}");
        }
    }
}
