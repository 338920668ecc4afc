//! Performs the core's HTTP exchanges asynchronously, without tokio.
//!
//! HTTP/1.1 itself (request framing, response parsing, chunked bodies,
//! whether a connection may be kept) comes from `ureq-proto`, the sans-IO
//! engine under ureq, which the blocking adapter uses; sockets and timers
//! come from `async-io`'s reactor and TLS from `futures-rustls` (rustls with
//! ring). Nothing here spawns a task or assumes an executor: an exchange is
//! one future, driven by whoever awaits it (`smol::block_on`, an
//! `async_executor::Executor`, `futures_lite::future::block_on`, ...). Name
//! resolution, which std only offers blocking, runs on `blocking`'s thread
//! pool.
//!
//! Dropping an exchange's future aborts it: the future owns its connection,
//! so the socket closes with it. That is how a long SSE stream is closed on
//! demand, and how a 2026-07-28 request is cancelled.
//!
//! Nothing here knows MCP: requests arrive as method, URL, headers and
//! body, and the response goes out as head, body chunks and the end or a
//! failure, as [`mcp_proto::http`] defines them.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_channel::Receiver;
use async_io::{Async, Timer};
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::client::TlsStream;
use futures_rustls::TlsConnector;
use mcp_proto::http::{HttpEvent, HttpFailure, HttpFailureKind, HttpHead, HttpMethod, HttpRequest};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use ureq_proto::client::state::{Prepare, RecvBody, RecvResponse};
use ureq_proto::client::{
    Await100Result, Call, RecvBodyResult, RecvResponseResult, SendRequestResult,
};
use ureq_proto::BodyMode;

/// Bytes read from a connection at a time; also the largest response head
/// accepted (ureq's default limit too).
const READ_CHUNK: usize = 64 * 1024;

/// Idle kept-alive connections kept for reuse, over all origins.
const IDLE_CONNECTIONS: usize = 16;

/// How long an idle connection is kept (ureq's default, so both adapters
/// behave alike): servers close idle connections on timers of their own,
/// and an old one is the likeliest to be closed just as a request goes out.
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// The largest request head (request line and headers) sent.
const MAX_REQUEST_HEAD: usize = 1024 * 1024;

/// The `User-Agent` unless the settings or the request name one.
const USER_AGENT: &str = concat!("mcp-smol/", env!("CARGO_PKG_VERSION"));

pub use mcp_adapter::certificates_from_pem;
pub use mcp_adapter::HttpSettings;

/// An async HTTP/1.1 client (TLS verified by default) that performs the
/// core's exchanges, reusing kept-alive connections.
///
/// Cheap to clone: clones share the TLS configuration and the pool of idle
/// connections. It runs on `async-io`'s reactor and spawns nothing, so it
/// works under any executor.
///
/// ```no_run
/// use mcp_smol::http::{HttpClient, HttpSettings};
/// use mcp_smol::mcp_proto::http::{ExchangeId, HttpEvent, HttpMethod, HttpRequest};
///
/// let client = HttpClient::new(&HttpSettings::default())?;
/// let req = HttpRequest {
///     id: ExchangeId(1),
///     method: HttpMethod::Get,
///     url: "https://example.com/mcp".into(),
///     headers: vec![("Accept".into(), "text/event-stream".into())],
///     body: Vec::new(),
/// };
/// futures_lite::future::block_on(client.perform(req, |event| match event {
///     HttpEvent::Head(head) => println!("status {}", head.status),
///     HttpEvent::Body(chunk) => println!("{} bytes", chunk.len()),
///     HttpEvent::End => println!("done"),
///     HttpEvent::Failed(failure) => println!("{failure}"),
/// }));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpClient {
    shared: Arc<Shared>,
}

/// What the clones of one [`HttpClient`] share.
struct Shared {
    tls: TlsConnector,
    connect_timeout: Duration,
    user_agent: String,
    /// Idle connections, oldest first.
    idle: Mutex<VecDeque<Idle>>,
}

/// A kept-alive connection waiting for its next request.
struct Idle {
    origin: Origin,
    stream: Stream,
    since: Instant,
}

/// Where a connection leads: only a connection to the same origin may be
/// reused for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    tls: bool,
    /// Lower case, without the brackets of an IPv6 literal.
    host: String,
    port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("connect_timeout", &self.shared.connect_timeout)
            .field("user_agent", &self.shared.user_agent)
            .field("idle_connections", &self.idle().len())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client with `settings`. Fails if a root certificate of
    /// [`HttpSettings::root_certificates`] cannot be used.
    pub fn new(settings: &HttpSettings) -> Result<HttpClient, io::Error> {
        let mut roots = RootCertStore::empty();
        if settings.root_certificates.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        } else {
            for (i, der) in settings.root_certificates.iter().enumerate() {
                roots.add(CertificateDer::from(der.clone())).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("root certificate #{} is not usable: {e}", i + 1),
                    )
                })?;
            }
        }
        // The provider is named rather than taken from the process default,
        // so that a program linking another provider too cannot change (or
        // break) which one this client uses.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| io::Error::other(format!("no usable TLS versions: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(HttpClient {
            shared: Arc::new(Shared {
                tls: TlsConnector::from(Arc::new(config)),
                connect_timeout: settings.connect_timeout,
                user_agent: settings
                    .user_agent
                    .clone()
                    .unwrap_or_else(|| USER_AGENT.to_owned()),
                idle: Mutex::new(VecDeque::new()),
            }),
        })
    }

    /// Performs one exchange, reporting each event through `sink` in order:
    /// [`HttpEvent::Head`], any number of [`HttpEvent::Body`] chunks as they
    /// arrive, then exactly one [`HttpEvent::End`] or [`HttpEvent::Failed`]
    /// (which may also come first, or right after the head).
    ///
    /// Statuses are not failures, and redirects are not followed: a 3xx is
    /// reported like any other response. The request gets `Host`,
    /// `User-Agent` (unless it has one) and, for a body or a `POST`,
    /// `Content-Length`; its own headers go as given.
    ///
    /// Dropping the future aborts the exchange: its connection closes and is
    /// never reused, and nothing more is reported. A connection goes back to
    /// the pool only after a complete response that leaves it clean.
    pub async fn perform(&self, req: HttpRequest, sink: impl FnMut(HttpEvent<'_>)) {
        self.perform_paced(req, sink, None).await
    }

    /// [`perform`](Self::perform), reading no more from the connection
    /// after body chunks were reported until `ack` delivers (or closes): the
    /// caller takes the chunks in at its own pace, so a large body is never
    /// read ahead into memory faster than it is consumed. A body that ends
    /// within what was read never waits.
    pub async fn perform_paced(
        &self,
        req: HttpRequest,
        mut sink: impl FnMut(HttpEvent<'_>),
        ack: Option<&Receiver<()>>,
    ) {
        if let Err(failure) = self.exchange(&req, &mut sink, ack).await {
            sink(HttpEvent::Failed(failure));
        }
    }

    /// The exchange, reporting all but a failure, which it returns.
    async fn exchange(
        &self,
        req: &HttpRequest,
        sink: &mut impl FnMut(HttpEvent<'_>),
        ack: Option<&Receiver<()>>,
    ) -> Result<(), HttpFailure> {
        let (origin, call) = self.prepare(req)?;
        // The request is encoded whole before a connection is taken, so an
        // unusable request costs no connection.
        let (wire, call) = encode(call, &req.body)?;
        let mut stream = match self.take_idle(&origin) {
            Some(stream) => stream,
            None => self.connect(&origin).await?,
        };
        stream
            .send(&wire)
            .await
            .map_err(|e| failure(HttpFailureKind::Io, format!("sending the request: {e}")))?;
        // A response stream may last hours; its request need not.
        drop(wire);

        let mut input = Input::new();
        let (head, next) = recv_head(&mut stream, call, &mut input).await?;
        sink(HttpEvent::Head(head));
        let must_close = match next {
            RecvResponseResult::RecvBody(call) => {
                recv_body(&mut stream, call, &mut input, sink, ack).await?
            }
            // Not followed: the core decides what a redirect means.
            RecvResponseResult::Redirect(call) => call.must_close_connection(),
            RecvResponseResult::Cleanup(call) => call.must_close_connection(),
        };
        // Bytes beyond the response would be read as the start of the next
        // one: such a connection is not reused.
        if !must_close && input.is_empty() {
            // Pooled before `End` is reported, so a request the sink starts
            // at once can already reuse it.
            self.put_idle(origin, stream);
        }
        sink(HttpEvent::End);
        Ok(())
    }

    /// Where `req` goes, and the request as ureq-proto takes it.
    fn prepare(&self, req: &HttpRequest) -> Result<(Origin, Call<Prepare>), HttpFailure> {
        use ureq_proto::http::{Method, Request, Uri};

        let other = |m: String| failure(HttpFailureKind::Other, m);
        // A fragment never goes to the server.
        let url = req.url.split('#').next().unwrap_or_default();
        let uri: Uri = url
            .parse()
            .map_err(|e| other(format!("invalid URL {:?}: {e}", req.url)))?;
        let tls = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => false,
            Some(s) if s.eq_ignore_ascii_case("https") => true,
            _ => return Err(other(format!("not an http or https URL: {:?}", req.url))),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| other(format!("no host in the URL {:?}", req.url)))?;
        let origin = Origin {
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(if tls { 443 } else { 80 }),
        };

        let method = match req.method {
            HttpMethod::Post => Method::POST,
            HttpMethod::Get => Method::GET,
            HttpMethod::Delete => Method::DELETE,
        };
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if req.header("user-agent").is_none() {
            builder = builder.header("user-agent", self.shared.user_agent.as_str());
        }
        // A sized body, never a chunked one: servers take Content-Length
        // everywhere, and an empty POST still says it has no body.
        let sized = !req.body.is_empty() || req.method == HttpMethod::Post;
        if sized
            && req.header("content-length").is_none()
            && req.header("transfer-encoding").is_none()
        {
            builder = builder.header("content-length", req.body.len());
        }
        let request = builder
            .body(())
            .map_err(|e| other(format!("invalid request: {e}")))?;
        let call = Call::new(request).map_err(|e| other(format!("invalid request: {e}")))?;
        Ok((origin, call))
    }

    /// Opens a connection to `origin`, all within the connect timeout.
    async fn connect(&self, origin: &Origin) -> Result<Stream, HttpFailure> {
        let limit = self.shared.connect_timeout;
        let timeout = async {
            Timer::after(limit).await;
            Err(failure(
                HttpFailureKind::TimedOut,
                format!("connecting to {origin} took longer than {limit:?}"),
            ))
        };
        futures_lite::future::or(self.open(origin), timeout).await
    }

    /// Resolves, connects and (for https) completes the TLS handshake.
    async fn open(&self, origin: &Origin) -> Result<Stream, HttpFailure> {
        let addrs = resolve(origin).await?;
        let mut last_error = None;
        let mut tcp = None;
        for addr in addrs {
            match Async::<TcpStream>::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last_error = Some((addr, e)),
            }
        }
        let tcp = match (tcp, last_error) {
            (Some(tcp), _) => tcp,
            (None, Some((addr, e))) => {
                let kind = match e.kind() {
                    io::ErrorKind::TimedOut => HttpFailureKind::TimedOut,
                    // Nothing was sent, whatever the reason: the core may
                    // send the request again.
                    _ => HttpFailureKind::Connect,
                };
                return Err(failure(
                    kind,
                    format!("could not connect to {origin} ({addr}): {e}"),
                ));
            }
            (None, None) => {
                return Err(failure(
                    HttpFailureKind::Connect,
                    format!("{} has no address", origin.host),
                ))
            }
        };
        // Requests and small answers go out at once rather than waiting for
        // an acknowledgement (Nagle's algorithm against delayed ACKs).
        let _ = tcp.get_ref().set_nodelay(true);
        if !origin.tls {
            return Ok(Stream::Plain(tcp));
        }
        let name = ServerName::try_from(origin.host.clone()).map_err(|e| {
            failure(
                HttpFailureKind::Other,
                format!("{:?} is not a TLS server name: {e}", origin.host),
            )
        })?;
        // rustls reports a failed handshake (an untrusted certificate, say)
        // as an io::Error wrapping its own error, whose text names the cause.
        let tls = self.shared.tls.connect(name, tcp).await.map_err(|e| {
            failure(
                HttpFailureKind::Tls,
                format!("TLS handshake with {origin} failed: {e}"),
            )
        })?;
        Ok(Stream::Tls(Box::new(tls)))
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, VecDeque<Idle>> {
        self.shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A kept-alive connection to `origin` that still looks usable.
    fn take_idle(&self, origin: &Origin) -> Option<Stream> {
        let mut stale = Vec::new();
        let found = {
            let mut idle = self.idle();
            let now = Instant::now();
            while idle
                .front()
                .is_some_and(|c| now.duration_since(c.since) >= MAX_IDLE_AGE)
            {
                stale.extend(idle.pop_front());
            }
            let mut found = None;
            // The most recently used first: the least likely to be closed.
            while let Some(i) = idle.iter().rposition(|c| c.origin == *origin) {
                let Some(c) = idle.remove(i) else { break };
                if c.stream.looks_open() {
                    found = Some(c.stream);
                    break;
                }
                stale.push(c);
            }
            found
        };
        // Closed outside the lock.
        drop(stale);
        found
    }

    /// Keeps `stream` for the next request to `origin`.
    fn put_idle(&self, origin: Origin, stream: Stream) {
        let evicted = {
            let mut idle = self.idle();
            idle.push_back(Idle {
                origin,
                stream,
                since: Instant::now(),
            });
            if idle.len() > IDLE_CONNECTIONS {
                idle.pop_front()
            } else {
                None
            }
        };
        drop(evicted);
    }
}

/// A failure of `kind`.
fn failure(kind: HttpFailureKind, message: String) -> HttpFailure {
    HttpFailure::new(kind, message)
}

/// The addresses of `origin`: an IP literal as it is, a name through the
/// system resolver (on `blocking`'s threads, since std's is blocking).
async fn resolve(origin: &Origin) -> Result<Vec<SocketAddr>, HttpFailure> {
    if let Ok(ip) = origin.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, origin.port)]);
    }
    let (host, port) = (origin.host.clone(), origin.port);
    blocking::unblock(move || (host.as_str(), port).to_socket_addrs().map(Vec::from_iter))
        .await
        .map_err(|e| {
            failure(
                HttpFailureKind::Connect,
                format!("could not resolve {}: {e}", origin.host),
            )
        })
}

/// The request's bytes (head and body), and the call ready for the response.
fn encode(call: Call<Prepare>, body: &[u8]) -> Result<(Vec<u8>, Call<RecvResponse>), HttpFailure> {
    let invalid =
        |e: ureq_proto::Error| failure(HttpFailureKind::Other, format!("invalid request: {e}"));
    let mut call = call.proceed();
    let mut wire = Vec::with_capacity(1024 + body.len());
    let mut scratch = vec![0u8; 4096];
    while !call.can_proceed() {
        match call.write(&mut scratch) {
            Ok(n) => wire.extend_from_slice(&scratch[..n]),
            // One header longer than the scratch space: grow it.
            Err(ureq_proto::Error::OutputOverflow) if scratch.len() < MAX_REQUEST_HEAD => {
                scratch.resize(scratch.len() * 2, 0);
            }
            Err(e) => return Err(invalid(e)),
        }
    }
    let mut send_body = match call.proceed().map_err(invalid)? {
        Some(SendRequestResult::RecvResponse(call)) => return Ok((wire, call)),
        Some(SendRequestResult::SendBody(call)) => call,
        // Nothing is gained by waiting for a `100 Continue` when the whole
        // body is at hand; the server reads it or closes the connection.
        Some(SendRequestResult::Await100(call)) => match call.proceed().map_err(invalid)? {
            Await100Result::SendBody(call) => call,
            Await100Result::RecvResponse(call) => return Ok((wire, call)),
        },
        None => {
            return Err(failure(
                HttpFailureKind::Other,
                "invalid request: its head could not be written".into(),
            ))
        }
    };
    if send_body.is_chunked() {
        // Only when the request's own headers asked for chunks.
        let mut sent = 0;
        loop {
            let (used, n) = send_body
                .write(&body[sent..], &mut scratch)
                .map_err(invalid)?;
            wire.extend_from_slice(&scratch[..n]);
            sent += used;
            if sent == body.len() {
                break;
            }
        }
        let (_, n) = send_body.write(&[], &mut scratch).map_err(invalid)?;
        wire.extend_from_slice(&scratch[..n]);
    } else {
        send_body
            .consume_direct_write(body.len())
            .map_err(invalid)?;
        wire.extend_from_slice(body);
    }
    let call = send_body.proceed().ok_or_else(|| {
        failure(
            HttpFailureKind::Other,
            "invalid request: the body is shorter than its Content-Length".into(),
        )
    })?;
    Ok((wire, call))
}

/// Reads the response head (skipping any 1xx).
async fn recv_head(
    stream: &mut Stream,
    mut call: Call<RecvResponse>,
    input: &mut Input,
) -> Result<(HttpHead, RecvResponseResult), HttpFailure> {
    let malformed =
        |e: ureq_proto::Error| failure(HttpFailureKind::Other, format!("malformed response: {e}"));
    let response = loop {
        if !input.is_empty() {
            let (used, response) = call.try_response(input.data(), false).map_err(malformed)?;
            input.consume(used);
            if let Some(response) = response {
                break response;
            }
            if used > 0 {
                // An interim (1xx) response went by; the real one may
                // already be buffered behind it.
                continue;
            }
        }
        if input.is_full() {
            return Err(failure(
                HttpFailureKind::Other,
                format!("the response head is larger than {READ_CHUNK} bytes"),
            ));
        }
        let n = input
            .fill(stream)
            .await
            .map_err(|e| failure(HttpFailureKind::Io, format!("reading the response: {e}")))?;
        if n == 0 {
            return Err(failure(
                HttpFailureKind::Io,
                "the server closed the connection before responding".into(),
            ));
        }
    };
    let head = HttpHead {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let next = call.proceed().ok_or_else(|| {
        failure(
            HttpFailureKind::Other,
            "malformed response: no body framing".into(),
        )
    })?;
    Ok((head, next))
}

/// Reads the response body, reporting each piece as soon as it is
/// decoded. Returns whether the connection must close afterwards.
async fn recv_body(
    stream: &mut Stream,
    mut call: Call<RecvBody>,
    input: &mut Input,
    sink: &mut impl FnMut(HttpEvent<'_>),
    ack: Option<&Receiver<()>>,
) -> Result<bool, HttpFailure> {
    // A body without Content-Length or chunks ends when the connection
    // does; such a connection is never reused.
    let close_delimited = call.body_mode() == BodyMode::CloseDelimited;
    let mut out = vec![0u8; READ_CHUNK];
    let mut unacked = false;
    loop {
        // Bad framing mid-body counts as a broken connection, as it does in
        // the blocking adapter (ureq reports it from the body reader).
        let (used, produced) = call
            .read(input.data(), &mut out)
            .map_err(|e| failure(HttpFailureKind::Io, format!("malformed response body: {e}")))?;
        input.consume(used);
        if produced > 0 {
            sink(HttpEvent::Body(&out[..produced]));
            unacked = true;
        }
        if !close_delimited && call.can_proceed() {
            break;
        }
        if used > 0 || produced > 0 {
            continue;
        }
        // Before reading more, the chunks given are taken in (a closed
        // channel means nobody paces any more). A body that is complete
        // never waits, so a small answer costs no extra turn.
        if let (true, Some(ack)) = (unacked, ack) {
            let _ = ack.recv().await;
            unacked = false;
        }
        // Nothing more can be decoded from what is buffered.
        if input.is_full() {
            return Err(failure(
                HttpFailureKind::Io,
                "malformed response body: a chunk header too long".into(),
            ));
        }
        let n = input.fill(stream).await.map_err(|e| {
            failure(
                HttpFailureKind::Io,
                format!("reading the response body: {e}"),
            )
        })?;
        if n == 0 {
            if close_delimited {
                return Ok(true);
            }
            return Err(failure(
                HttpFailureKind::Io,
                "the connection closed before the response body ended".into(),
            ));
        }
    }
    Ok(match call.proceed() {
        Some(RecvBodyResult::Cleanup(call)) => call.must_close_connection(),
        Some(RecvBodyResult::Redirect(call)) => call.must_close_connection(),
        None => true,
    })
}

/// Bytes read from a connection and not yet taken by the HTTP engine.
struct Input {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Input {
    fn new() -> Input {
        Input {
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
        }
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// No room to read more, even after moving what is left to the front.
    fn is_full(&self) -> bool {
        self.end - self.start == self.buf.len()
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads what the connection has (waiting for at least a byte); 0 at
    /// its end.
    async fn fill(&mut self, stream: &mut Stream) -> io::Result<usize> {
        if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match stream.read(&mut self.buf[self.end..]).await {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// A connection: plain TCP, or TLS over it.
enum Stream {
    Plain(Async<TcpStream>),
    Tls(Box<TlsStream<Async<TcpStream>>>),
}

impl Stream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf).await,
            Stream::Tls(s) => s.read(buf).await,
        }
    }

    /// Writes all of `bytes` and flushes.
    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Stream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }

    /// Whether an idle connection still looks usable: the server has
    /// neither closed it nor sent anything unasked (which would be read as
    /// the next response). Checked without waiting, as ureq does; a server
    /// closing it at this very moment is still possible, and then the
    /// exchange fails as the core expects of a broken connection.
    fn looks_open(&self) -> bool {
        let tcp = match self {
            Stream::Plain(s) => s.get_ref(),
            Stream::Tls(s) => s.get_ref().0.get_ref(),
        };
        let mut probe = [0u8; 1];
        // `Async` keeps the socket non-blocking: "would block" means open
        // and quiet.
        matches!(tcp.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}
