//! A small, scriptable HTTP/1.1 server for integration and fault-injection
//! tests of an HTTP client.
//!
//! It runs on plain std threads (no async runtime): one thread accepts
//! connections on `127.0.0.1` (an OS-chosen port), and each connection is
//! served on its own thread, where the test's handler runs. The handler
//! turns each [`Request`] into a [`Reply`], which can stream its body in
//! steps (chunks, SSE events, delays) and end in a fault: a connection cut
//! mid-stream ([`Reply::cut`]) or a response that never finishes
//! ([`Reply::hang`]). [`TestServer::start_tls`] serves HTTPS with a
//! self-signed certificate made at start, which a test can trust through
//! [`TestServer::cert_der`] or [`TestServer::cert_pem`].
//!
//! ```no_run
//! use mcp_tests::httpd::{Reply, TestServer};
//! use serde_json::json;
//!
//! let server = TestServer::start(|req| match req.path.as_str() {
//!     "/mcp" => Reply::sse(200).event(r#"{"jsonrpc":"2.0"}"#).cut(),
//!     _ => Reply::json(404, &json!({"error": "not found"})),
//! });
//! let url = server.url("/mcp");
//! // ... point the client at `url`, then:
//! assert_eq!(server.requests().len(), 1);
//! ```
//!
//! Persistent connections are supported (HTTP/1.1's default, or HTTP/1.0
//! with `Connection: keep-alive`), as is `Connection: close`. Request
//! bodies may come with `Content-Length` or `Transfer-Encoding: chunked`;
//! `Expect: 100-continue` is answered. Dropping the [`TestServer`] stops
//! it: no more connections are accepted, every open one is shut down, and
//! the threads are joined, within about two seconds whatever the replies
//! are doing (a thread still busy in the test's own handler after that is
//! left to finish on its own).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The handler's type, shared by every connection thread.
type Handler = dyn Fn(&Request) -> Reply + Send + Sync + 'static;

/// How often the accept loop looks for new connections and for the stop flag.
const ACCEPT_POLL: Duration = Duration::from_millis(5);
/// The slice in which delays and hanging replies look at the stop flag
/// and at the client.
const TICK: Duration = Duration::from_millis(20);
/// How long dropping the server waits for its threads.
const STOP_LIMIT: Duration = Duration::from_secs(2);
/// The longest request line or header line accepted.
const MAX_LINE: usize = 64 * 1024;
/// The most header lines (or trailer lines) accepted in one request.
const MAX_HEADERS: usize = 256;
/// The largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A scriptable HTTP/1.1 server on `127.0.0.1`, for tests.
///
/// Start it with [`TestServer::start`] (plain HTTP) or
/// [`TestServer::start_tls`] (HTTPS); every request is answered by the
/// handler given there, on the connection's own thread, and recorded (see
/// [`TestServer::requests`]).
///
/// Dropping it stops accepting, shuts down every open connection (hanging
/// replies and delays included) and joins the threads, waiting at most
/// about two seconds. If the handler panicked while serving a request, the
/// client got a `500` and dropping the server panics with the handler's
/// message (unless the thread is already panicking), so a failed assertion
/// inside a handler fails the test.
pub struct TestServer {
    addr: SocketAddr,
    cert: Option<Cert>,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// The self-signed certificate of a TLS server.
struct Cert {
    pem: String,
    der: Vec<u8>,
}

/// What the server's threads share.
struct Shared {
    /// Set when the server is dropped: every loop ends when it sees it.
    stop: AtomicBool,
    /// Every request received, in arrival order.
    requests: Mutex<Vec<Request>>,
    /// A handle on each open connection's socket, to shut it down on stop.
    conns: Mutex<HashMap<u64, TcpStream>>,
    /// The connection threads (finished ones are pruned now and then).
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// How many connections are open.
    open: AtomicUsize,
    /// The messages of handler panics, reported when the server is dropped.
    panics: Mutex<Vec<String>>,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Locks `m`, going on past a poisoned lock (a panicking handler must not
/// take the whole server down with it).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TestServer {
    /// Starts a plain-HTTP server on `127.0.0.1` (an OS-chosen port) that
    /// answers every request with `handler`.
    ///
    /// # Panics
    ///
    /// If the listening socket or the accept thread cannot be made.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> TestServer {
        Self::launch(Arc::new(handler), None)
    }

    /// Starts an HTTPS server on `127.0.0.1` (an OS-chosen port) that
    /// answers every request with `handler`. Its certificate is self-signed,
    /// made at start for the DNS name `localhost` and the IP address
    /// `127.0.0.1`; get it from [`TestServer::cert_der`] or
    /// [`TestServer::cert_pem`] to trust it in the client under test.
    ///
    /// # Panics
    ///
    /// If the certificate, the TLS configuration, the listening socket or
    /// the accept thread cannot be made.
    pub fn start_tls(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> TestServer {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .expect("a self-signed certificate for localhost and 127.0.0.1");
        let cert = Cert {
            pem: certified.cert.pem(),
            der: certified.cert.der().to_vec(),
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(cert.der.clone())], key)
            .expect("a TLS server configuration with the self-signed certificate");
        Self::launch(Arc::new(handler), Some((Arc::new(config), cert)))
    }

    fn launch(handler: Arc<Handler>, tls: Option<(Arc<ServerConfig>, Cert)>) -> TestServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a nonblocking listening socket");
        let addr = listener.local_addr().expect("the listening address");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            conns: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
            panics: Mutex::new(Vec::new()),
        });
        let (config, cert) = match tls {
            Some((config, cert)) => (Some(config), Some(cert)),
            None => (None, None),
        };
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("httpd-accept-{}", addr.port()))
                .spawn(move || accept_loop(&listener, &shared, &handler, config.as_ref()))
                .expect("the accept thread starts")
        };
        TestServer {
            addr,
            cert,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The URL of `path` on this server: `http://127.0.0.1:PORT{path}`, or
    /// `https://localhost:PORT{path}` for a TLS server (the certificate is
    /// also valid for `127.0.0.1`). A `/` is put before a `path` that does
    /// not start with one; `path` may carry a query.
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let port = self.addr.port();
        match self.cert {
            Some(_) => format!("https://localhost:{port}{slash}{path}"),
            None => format!("http://127.0.0.1:{port}{slash}{path}"),
        }
    }

    /// The address the server listens on (`127.0.0.1` and its port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order. A request is
    /// recorded once it has been read whole, before the handler sees it.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// The self-signed certificate of a server made by
    /// [`TestServer::start_tls`], in PEM; `None` for plain HTTP.
    pub fn cert_pem(&self) -> Option<String> {
        self.cert.as_ref().map(|c| c.pem.clone())
    }

    /// The self-signed certificate of a server made by
    /// [`TestServer::start_tls`], in DER; `None` for plain HTTP.
    pub fn cert_der(&self) -> Option<Vec<u8>> {
        self.cert.as_ref().map(|c| c.der.clone())
    }

    /// How many connections are open right now: accepted and not yet
    /// closed by either side. A connection counts from the moment it is
    /// accepted (the accept loop looks every few milliseconds) until its
    /// thread has closed it.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("tls", &self.cert.is_some())
            .field("open_connections", &self.open_connections())
            .finish()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + STOP_LIMIT;
        // The accept loop registers every connection before it ends, so
        // once it is gone the list below is complete.
        if let Some(acceptor) = self.acceptor.take() {
            join_until(acceptor, deadline);
        }
        for stream in lock(&self.shared.conns).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for t in threads {
            join_until(t, deadline);
        }
        let panics = std::mem::take(&mut *lock(&self.shared.panics));
        if !panics.is_empty() && !thread::panicking() {
            panic!("the test server's handler panicked: {}", panics.join("; "));
        }
    }
}

/// Joins `handle` if it finishes before `deadline`; otherwise leaves it.
fn join_until(handle: JoinHandle<()>, deadline: Instant) {
    while !handle.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
    if handle.is_finished() {
        let _ = handle.join();
    }
}

/// Accepts connections until the server stops, each onto its own thread.
fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    handler: &Arc<Handler>,
    tls: Option<&Arc<ServerConfig>>,
) {
    let mut next_id = 0u64;
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, _)) => {
                next_id += 1;
                spawn_connection(stream, next_id, shared, handler, tls);
            }
            // Nothing waiting, or a passing failure (such as too many open
            // files): look again shortly.
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

/// Registers `stream` as open and serves it on a new thread.
fn spawn_connection(
    stream: TcpStream,
    id: u64,
    shared: &Arc<Shared>,
    handler: &Arc<Handler>,
    tls: Option<&Arc<ServerConfig>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let Ok(tracked) = stream.try_clone() else {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    };
    lock(&shared.conns).insert(id, tracked);
    shared.open.fetch_add(1, Ordering::SeqCst);
    // From here on the guard undoes the registration, whether the thread
    // ends normally, by a panic, or never starts.
    let guard = Registered {
        shared: Arc::clone(shared),
        id,
    };
    let handler = Arc::clone(handler);
    let tls = tls.cloned();
    let shared_for_thread = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name(format!("httpd-conn-{id}"))
        .spawn(move || {
            let _guard = guard;
            serve(stream, id, &shared_for_thread, &*handler, tls);
        });
    if let Ok(handle) = spawned {
        let mut threads = lock(&shared.threads);
        threads.retain(|t| !t.is_finished());
        threads.push(handle);
    }
}

/// One open connection's registration: dropping it forgets the connection
/// (closing the server's last handle on its socket) and counts it closed.
struct Registered {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(stream) = lock(&self.shared.conns).remove(&self.id) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.shared.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's byte stream: plain TCP or TLS over it.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Conn {
    /// Ends the stream politely: a TLS `close_notify` first, if TLS.
    fn close_gracefully(&mut self) {
        if let Conn::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// How writing a reply ended, and so what becomes of the connection.
enum End {
    /// The response is complete; read the next request.
    KeepAlive,
    /// The response is complete; close the connection properly.
    Close,
    /// Close the connection abruptly ([`Reply::cut`]), or because the
    /// client went away or the server is stopping.
    Abort,
    /// Reset the connection ([`Reply::reset`]).
    Reset,
    /// Keep the connection open without writing ([`Reply::hang`]).
    Hang,
}

/// Serves one connection: requests and replies until either side closes it.
fn serve(
    stream: TcpStream,
    id: u64,
    shared: &Shared,
    handler: &Handler,
    tls: Option<Arc<ServerConfig>>,
) {
    let Ok(tcp) = stream.try_clone() else {
        return;
    };
    let conn = match tls {
        None => Conn::Plain(stream),
        Some(config) => match ServerConnection::new(config) {
            Ok(session) => Conn::Tls(Box::new(StreamOwned::new(session, stream))),
            Err(_) => return,
        },
    };
    let mut reader = BufReader::new(conn);
    let end = loop {
        if shared.stopping() {
            break End::Abort;
        }
        let incoming = match read_request(&mut reader) {
            Ok(Some(incoming)) => incoming,
            Ok(None) | Err(Malformed::Closed) => break End::Close,
            Err(Malformed::Bad(why)) => {
                let _ = write_bad_request(reader.get_mut(), &why);
                break End::Close;
            }
        };
        lock(&shared.requests).push(incoming.request.clone());
        let reply = match panic::catch_unwind(AssertUnwindSafe(|| handler(&incoming.request))) {
            Ok(reply) => reply,
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                lock(&shared.panics).push(message.clone());
                Reply::text(
                    500,
                    &format!("the test server's handler panicked: {message}"),
                )
                .header("Connection", "close")
            }
        };
        match write_reply(reader.get_mut(), &tcp, shared, &reply, &incoming) {
            Ok(End::KeepAlive) => continue,
            Ok(end) => break end,
            Err(_) => break End::Abort,
        }
    };
    match end {
        End::KeepAlive | End::Close => reader.get_mut().close_gracefully(),
        End::Abort => {}
        End::Reset => {
            // Linger 0: closing the socket's last handle sends RST, not
            // FIN; so no shutdown, and the registration's handle is
            // dropped here rather than shut down by its guard. The last
            // handle goes with `reader` when this function returns.
            let _ = rustix::net::sockopt::set_socket_linger(&tcp, Some(Duration::ZERO));
            drop(lock(&shared.conns).remove(&id));
            return;
        }
        End::Hang => hang(&tcp, shared),
    }
    let _ = tcp.shutdown(Shutdown::Both);
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Waits, reading and discarding whatever comes, until the client closes
/// the connection or the server stops.
fn hang(tcp: &TcpStream, shared: &Shared) {
    let _ = tcp.set_read_timeout(Some(TICK));
    let mut scratch = [0u8; 4096];
    let mut tcp = tcp;
    while !shared.stopping() {
        match tcp.read(&mut scratch) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(_) => break,
        }
    }
}

/// Whether `e` is a read timeout (or an interrupted read): try again.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Sleeps for `d` in short slices; false if the server stopped or the
/// client closed the connection meanwhile (seen as end of stream on the
/// socket, without reading anything).
fn pause(d: Duration, tcp: &TcpStream, shared: &Shared) -> bool {
    let end = Instant::now() + d;
    let mut probe = [0u8; 1];
    let alive = loop {
        if shared.stopping() {
            break false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break true;
        }
        let slice = left.min(TICK);
        let started = Instant::now();
        let _ = tcp.set_read_timeout(Some(slice));
        match tcp.peek(&mut probe) {
            Ok(0) => break false,
            // Data waiting, or nothing within the slice: sleep out the rest
            // of the slice (peek does not wait when data is there).
            Ok(_) => thread::sleep(slice.saturating_sub(started.elapsed())),
            Err(e) if is_timeout(&e) => thread::sleep(slice.saturating_sub(started.elapsed())),
            Err(_) => break false,
        }
    };
    let _ = tcp.set_read_timeout(None);
    alive
}

/// Why a request could not be read.
enum Malformed {
    /// The connection ended (or failed) mid-request.
    Closed,
    /// The request is not valid HTTP/1.x: answered with a 400.
    Bad(String),
}

/// A request as read, with what it says about the connection.
struct Incoming {
    request: Request,
    keep_alive: bool,
}

/// Reads one line, without its CRLF or LF. `None` at end of stream before
/// the line's first byte.
fn read_line(r: &mut impl BufRead) -> Result<Option<String>, Malformed> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf().map_err(|_| Malformed::Closed)?;
        if buf.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(Malformed::Closed)
            };
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&buf[..i]);
            r.consume(i + 1);
            break;
        }
        let n = buf.len();
        line.extend_from_slice(buf);
        r.consume(n);
        if line.len() > MAX_LINE {
            return Err(Malformed::Bad("line too long".into()));
        }
    }
    if line.len() > MAX_LINE {
        return Err(Malformed::Bad("line too long".into()));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Reads one line that must be there.
fn expect_line(r: &mut impl BufRead) -> Result<String, Malformed> {
    read_line(r)?.ok_or(Malformed::Closed)
}

/// Reads header (or trailer) lines up to the empty line that ends them.
fn read_fields(r: &mut impl BufRead) -> Result<Vec<(String, String)>, Malformed> {
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        let line = expect_line(r)?;
        if line.is_empty() {
            return Ok(fields);
        }
        if line.starts_with([' ', '\t']) {
            // An obsolete folded continuation of the previous field.
            let Some((_, value)) = fields.last_mut() else {
                return Err(Malformed::Bad("continuation line before any header".into()));
            };
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Malformed::Bad(format!(
                "header line without a colon: {line:?}"
            )));
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(Malformed::Bad(format!("bad header name: {name:?}")));
        }
        if fields.len() >= MAX_HEADERS {
            return Err(Malformed::Bad("too many header lines".into()));
        }
        fields.push((name.to_string(), value.trim().to_string()));
    }
}

/// The comma-separated tokens of every `name` header, trimmed and in
/// lower case.
fn tokens(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Reads exactly `n` bytes onto `body`.
fn read_exact_into(r: &mut impl BufRead, n: usize, body: &mut Vec<u8>) -> Result<(), Malformed> {
    let want = u64::try_from(n).map_err(|_| Malformed::Bad("body too large".into()))?;
    let got = r
        .take(want)
        .read_to_end(body)
        .map_err(|_| Malformed::Closed)?;
    if got == n {
        Ok(())
    } else {
        Err(Malformed::Closed)
    }
}

/// Reads a chunked body (its trailer fields are read and dropped).
fn read_chunked(r: &mut impl BufRead) -> Result<Vec<u8>, Malformed> {
    let mut body = Vec::new();
    loop {
        let line = expect_line(r)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| Malformed::Bad(format!("bad chunk size line: {line:?}")))?;
        if size == 0 {
            read_fields(r)?;
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(Malformed::Bad("body too large".into()));
        }
        read_exact_into(r, size, &mut body)?;
        if !expect_line(r)?.is_empty() {
            return Err(Malformed::Bad("chunk data longer than its size".into()));
        }
    }
}

/// Reads one whole request. `None` if the connection ended cleanly before it.
fn read_request(r: &mut BufReader<Conn>) -> Result<Option<Incoming>, Malformed> {
    // Empty lines before a request line are to be ignored (RFC 9112 2.2).
    let mut line = String::new();
    for _ in 0..8 {
        match read_line(r)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => {
                line = l;
                break;
            }
        }
    }
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, path, version] = parts[..] else {
        return Err(Malformed::Bad(format!("bad request line: {line:?}")));
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(Malformed::Bad(format!("bad request line: {line:?}"))),
    };
    if method.is_empty() || path.is_empty() {
        return Err(Malformed::Bad(format!("bad request line: {line:?}")));
    }
    let headers = read_fields(r)?;

    let connection = tokens(&headers, "connection");
    let keep_alive = if http10 {
        connection.iter().any(|t| t == "keep-alive")
    } else {
        !connection.iter().any(|t| t == "close")
    };

    let transfer = tokens(&headers, "transfer-encoding");
    let lengths = tokens(&headers, "content-length");
    let chunked = match transfer.last() {
        None => false,
        Some(last) if last == "chunked" => true,
        Some(_) => return Err(Malformed::Bad("a request body must end chunked".into())),
    };
    let length = if chunked {
        None
    } else {
        match lengths.first() {
            None => None,
            Some(first) => {
                if lengths.iter().any(|l| l != first) {
                    return Err(Malformed::Bad("conflicting Content-Length values".into()));
                }
                let n: usize = first
                    .parse()
                    .map_err(|_| Malformed::Bad(format!("bad Content-Length: {first:?}")))?;
                if n > MAX_BODY {
                    return Err(Malformed::Bad("body too large".into()));
                }
                Some(n)
            }
        }
    };

    let has_body = chunked || length.is_some_and(|n| n > 0);
    if has_body
        && !http10
        && tokens(&headers, "expect")
            .iter()
            .any(|t| t == "100-continue")
    {
        let out = r.get_mut();
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|()| out.flush())
            .map_err(|_| Malformed::Closed)?;
    }
    let body = if chunked {
        read_chunked(r)?
    } else {
        let mut body = Vec::new();
        read_exact_into(r, length.unwrap_or(0), &mut body)?;
        body
    };

    Ok(Some(Incoming {
        request: Request {
            method: method.to_string(),
            path: path.to_string(),
            headers,
            body,
        },
        keep_alive,
    }))
}

/// Answers a request that could not be parsed, then the connection closes.
fn write_bad_request(out: &mut Conn, why: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        why.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(why.as_bytes())?;
    out.flush()
}

/// Writes `bytes` as one chunk of a chunked body, and flushes.
fn write_chunk(out: &mut Conn, bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        // A zero-size chunk would end the body.
        return Ok(());
    }
    let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
    framed.extend_from_slice(bytes);
    framed.extend_from_slice(b"\r\n");
    out.write_all(&framed)?;
    out.flush()
}

/// Writes `reply` to `request` and plays its steps.
fn write_reply(
    out: &mut Conn,
    tcp: &TcpStream,
    shared: &Shared,
    reply: &Reply,
    incoming: &Incoming,
) -> io::Result<End> {
    let chunked = reply.chunked || !reply.steps.is_empty();
    let given = |name: &str| {
        reply
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let bodiless_status =
        (100..200).contains(&reply.status) || reply.status == 204 || reply.status == 304;
    let no_body = bodiless_status || incoming.request.method.eq_ignore_ascii_case("HEAD");
    let close = !incoming.keep_alive
        || tokens(&reply.headers, "connection")
            .iter()
            .any(|t| t == "close");

    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    if let Some(content_type) = &reply.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !bodiless_status && !given("content-length") && !given("transfer-encoding") {
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        } else {
            head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
        }
    }
    if !incoming.keep_alive && !given("connection") {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut first = head.into_bytes();
    if !no_body && !chunked {
        first.extend_from_slice(&reply.body);
    }
    out.write_all(&first)?;
    out.flush()?;
    if !no_body && chunked {
        write_chunk(out, &reply.body)?;
    }

    for step in &reply.steps {
        match step {
            Step::Chunk(bytes) if !no_body => write_chunk(out, bytes)?,
            Step::Raw(bytes) if !no_body => {
                out.write_all(bytes)?;
                out.flush()?;
            }
            Step::Chunk(_) | Step::Raw(_) => {}
            Step::Delay(d) => {
                if !pause(*d, tcp, shared) {
                    return Ok(End::Abort);
                }
            }
            Step::Cut => return Ok(End::Abort),
            Step::Reset => return Ok(End::Reset),
            Step::Hang => return Ok(End::Hang),
        }
    }
    if !no_body && chunked {
        out.write_all(b"0\r\n\r\n")?;
        out.flush()?;
    }
    Ok(if close { End::Close } else { End::KeepAlive })
}

/// The reason phrase for `status`.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The request target as sent: the path with its query, if any.
    pub path: String,
    /// The header fields in the order sent, names as sent and values
    /// trimmed (trailer fields of a chunked body are not included).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it came chunked; empty if there was none.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the first header field called `name` (in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What the server answers to a request: a status, headers, a body, and
/// steps played in order after the head (and the body, if any) is sent.
///
/// Build it with [`Reply::status`], [`Reply::json`], [`Reply::text`] or
/// [`Reply::sse`], then add headers and steps. A reply without steps (and
/// not SSE) is sent with `Content-Length`; one with steps, or SSE, uses
/// chunked transfer encoding, its body (if any) being the first chunk. A
/// reply whose steps all ran ends properly (with the terminating chunk
/// `0\r\n\r\n` if chunked) and the connection stays usable unless the
/// request or the reply said `Connection: close`.
///
/// The framing headers `Content-Length` and `Transfer-Encoding` are the
/// server's: it adds its own unless the reply sets either itself, in which
/// case the body is still written as the reply's shape says, so a test can
/// make the declared framing lie. For a `HEAD` request and for status 1xx,
/// 204 and 304, no body or chunk is written (delays, [`Reply::cut`] and
/// [`Reply::hang`] still apply), and those statuses get no framing header.
#[derive(Debug, Clone)]
#[must_use = "a Reply does nothing until the handler returns it"]
pub struct Reply {
    status: u16,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunked: bool,
    steps: Vec<Step>,
}

/// One step of a reply's body.
#[derive(Debug, Clone)]
enum Step {
    Chunk(Vec<u8>),
    Raw(Vec<u8>),
    Delay(Duration),
    Cut,
    Reset,
    Hang,
}

impl Reply {
    fn new(status: u16, content_type: Option<&str>, body: Vec<u8>, chunked: bool) -> Reply {
        Reply {
            status,
            content_type: content_type.map(str::to_string),
            headers: Vec::new(),
            body,
            chunked,
            steps: Vec::new(),
        }
    }

    /// Status `code` without a body (`Content-Length: 0`, or no framing
    /// header at all for 1xx, 204 and 304) and without `Content-Type`.
    pub fn status(code: u16) -> Reply {
        Reply::new(code, None, Vec::new(), false)
    }

    /// Status `code` with `body` as JSON (`Content-Type: application/json`).
    pub fn json(code: u16, body: &serde_json::Value) -> Reply {
        let bytes = serde_json::to_vec(body).expect("a JSON value serializes");
        Reply::new(code, Some("application/json"), bytes, false)
    }

    /// Status `code` with `body` as plain text
    /// (`Content-Type: text/plain; charset=utf-8`).
    pub fn text(code: u16, body: &str) -> Reply {
        Reply::new(
            code,
            Some("text/plain; charset=utf-8"),
            body.as_bytes().to_vec(),
            false,
        )
    }

    /// Status `code` with a server-sent-event stream
    /// (`Content-Type: text/event-stream`, chunked), whose body is made of
    /// the steps added next ([`Reply::event`], [`Reply::chunk`], ...).
    pub fn sse(code: u16) -> Reply {
        Reply::new(code, Some("text/event-stream"), Vec::new(), true)
    }

    /// Adds a header field, written as given after the status line. A
    /// `Content-Type` replaces the one the constructor set; any other name
    /// is added, even if already there. See [`Reply`] for framing headers;
    /// `Connection: close` here closes the connection after the reply.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if name.eq_ignore_ascii_case("content-type") {
            self.content_type = Some(value.to_string());
        } else {
            self.headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Step: sends `bytes` as one chunk and flushes. An empty chunk is
    /// skipped (a zero-size chunk would end the body).
    pub fn chunk(mut self, bytes: impl Into<Vec<u8>>) -> Reply {
        self.steps.push(Step::Chunk(bytes.into()));
        self
    }

    /// Step: sends one server-sent event carrying `data`, as one chunk:
    /// `data: LINE\n` for each line of `data` (split at `\n`, a `\r` before
    /// it dropped), then an empty line.
    pub fn event(self, data: &str) -> Reply {
        let mut text = String::new();
        for line in data.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            text.push_str("data: ");
            text.push_str(line);
            text.push('\n');
        }
        text.push('\n');
        self.chunk(text)
    }

    /// Step: sends `bytes` as they are, outside any chunk framing, and
    /// flushes (to inject malformed framing).
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Reply {
        self.steps.push(Step::Raw(bytes.into()));
        self
    }

    /// Step: waits `d` before the next step. The wait ends early, closing
    /// the connection, if the server is dropped, or if the client closes
    /// the connection in a way seen on the socket (a TLS client's
    /// `close_notify` hides it until the next write).
    pub fn delay(mut self, d: Duration) -> Reply {
        self.steps.push(Step::Delay(d));
        self
    }

    /// Step: closes the connection abruptly here, without the terminating
    /// chunk (nor a TLS `close_notify`): the client sees the stream end
    /// mid-body. Later steps are never played.
    pub fn cut(mut self) -> Reply {
        self.steps.push(Step::Cut);
        self
    }

    /// Step: resets the connection here (TCP RST, as when a server process
    /// dies or a middlebox drops the connection): the client's next read or
    /// write fails with "connection reset". Later steps are never played.
    pub fn reset(mut self) -> Reply {
        self.steps.push(Step::Reset);
        self
    }

    /// Step: never finishes: the connection stays open, nothing more is
    /// written, and whatever the client sends is read and dropped, until
    /// the client closes the connection or the server is dropped. Later
    /// steps are never played.
    pub fn hang(mut self) -> Reply {
        self.steps.push(Step::Hang);
        self
    }
}
