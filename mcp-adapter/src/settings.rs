//! How a client is set up (configuration, handlers, stderr, shutdown,
//! HTTP), and what closing it found: the same for every adapter.

use std::sync::Arc;
use std::time::Duration;

use mcp_proto::handler::{InputHandler, NotificationHandler};
use mcp_proto::Config;

use crate::{ExitStatus, Shutdown, StderrTail};

/// A callback for each line the server writes to stderr.
pub type StderrFn = Arc<dyn Fn(&str) + Send + Sync>;

/// Stderr lines kept for error reports unless the builder says otherwise.
pub const DEFAULT_STDERR_LINES: usize = 200;

/// Lines of stderr put into error reports.
pub const STDERR_TAIL_LINES: usize = 20;

/// How the HTTP client behaves; the defaults verify certificates against
/// the Mozilla roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Trust only these root certificates (DER), instead of the Mozilla
    /// roots. See [`certificates_from_pem`](crate::certificates_from_pem).
    pub root_certificates: Vec<Vec<u8>>,
    /// How long connecting (name resolution, TCP, TLS) may take. Default 10 s.
    pub connect_timeout: Duration,
    /// The `User-Agent` header; by default the adapter's name and version
    /// (`mcp-blocking/0.1.0`, `mcp-smol/0.1.0`).
    pub user_agent: Option<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            root_certificates: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            user_agent: None,
        }
    }
}

/// Everything a builder collects before it connects.
#[derive(Clone, Default)]
pub struct Settings {
    /// The core's configuration.
    pub config: Config,
    /// Who answers the server's input requests.
    pub input: Option<Arc<dyn InputHandler>>,
    /// Who hears notifications, progress, violations and wire records.
    pub notifications: Option<Arc<dyn NotificationHandler>>,
    /// Called with each stderr line.
    pub on_stderr: Option<StderrFn>,
    /// Stderr lines kept for error reports.
    pub stderr_lines: Option<usize>,
    /// How long each shutdown step may take.
    pub shutdown: Shutdown,
    /// The HTTP client's settings.
    pub http: HttpSettings,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("config", &self.config)
            .field("input", &self.input.is_some())
            .field("notifications", &self.notifications.is_some())
            .field("on_stderr", &self.on_stderr.is_some())
            .field("stderr_lines", &self.stderr_lines)
            .field("shutdown", &self.shutdown)
            .field("http", &self.http)
            .finish()
    }
}

impl Settings {
    /// The configuration with the capabilities the client declares, by
    /// the one rule of [`mcp_proto::handler::declared_capabilities`]: the
    /// configuration's, with elicitation, sampling and roots from the
    /// input handler only when the configuration declares none of them.
    pub fn effective_config(&self) -> Config {
        let mut config = self.config.clone();
        config.capabilities = mcp_proto::handler::declared_capabilities(
            &self.config.capabilities,
            self.input.as_deref(),
        );
        config
    }

    /// How many stderr lines to keep.
    pub fn stderr_capacity(&self) -> usize {
        self.stderr_lines.unwrap_or(DEFAULT_STDERR_LINES)
    }
}

/// The longest a handshake can take under `config`; the core bounds it
/// itself, so waiting longer only guards against a driver that died.
pub fn handshake_limit(config: &Config) -> Duration {
    config.probe_timeout + config.handshake_timeout * 2
}

/// What closing a client found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// How the server process ended (`None` for streams that are not a
    /// process, or if it could not be waited for).
    pub exit: Option<ExitStatus>,
    /// The last lines of its stderr.
    pub stderr: StderrTail,
    /// Threads that had not ended when `close` returned (a reader held by a
    /// stream that stays open, an HTTP exchange that did not stop); 0
    /// normally.
    pub threads_left: usize,
}

/// The setters every adapter's `Builder` has, written once. The builder is
/// a struct with a `settings: mcp_adapter::Settings` field; expand this in
/// its `impl` block.
#[macro_export]
macro_rules! builder_setters {
    () => {
        /// The core's configuration (client info, timeouts, limits, ...).
        /// Its capabilities are declared as they are; if it declares none
        /// of elicitation, sampling and roots, those come from the input
        /// handler (see `mcp_proto::handler::declared_capabilities`).
        pub fn config(mut self, config: $crate::__private::Config) -> Self {
            self.settings.config = config;
            self
        }

        /// Who answers the server's input requests (elicitation, sampling,
        /// roots). Without one they are refused, as the spec says. Each
        /// request is answered on a thread of its own, since a human may be
        /// typing, and is told which call it is for and how it arrived
        /// (`mcp_proto::InputNeeded`). The handler's capabilities are
        /// declared unless the configuration declares input capabilities
        /// itself.
        pub fn input_handler(
            mut self,
            handler: impl $crate::__private::InputHandler + 'static,
        ) -> Self {
            self.settings.input = Some(::std::sync::Arc::new(handler));
            self
        }

        /// Who hears notifications, progress, violations and wire records.
        /// Called on one thread, in order.
        pub fn notification_handler(
            mut self,
            handler: impl $crate::__private::NotificationHandler + 'static,
        ) -> Self {
            self.settings.notifications = Some(::std::sync::Arc::new(handler));
            self
        }

        /// Called with each line the server writes to stderr (on the thread
        /// or task that reads it).
        pub fn on_stderr(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
            self.settings.on_stderr = Some(::std::sync::Arc::new(f));
            self
        }

        /// How many stderr lines to keep for error reports (default 200).
        pub fn stderr_lines(mut self, n: usize) -> Self {
            self.settings.stderr_lines = Some(n);
            self
        }

        /// How long each shutdown step may take.
        pub fn shutdown(mut self, shutdown: $crate::Shutdown) -> Self {
            self.settings.shutdown = shutdown;
            self
        }

        /// How the HTTP client behaves (trusted roots, timeouts, user agent).
        pub fn http_settings(mut self, settings: $crate::HttpSettings) -> Self {
            self.settings.http = settings;
            self
        }
    };
}

/// The read-only accessors every adapter's `Client` has, written once. The
/// client has `self.inner.status: Arc<mcp_adapter::Status>`,
/// `self.inner.stderr: Arc<mcp_adapter::stderr::Ring>` and
/// `self.inner.pid: Option<u32>`; expand this in its `impl` block.
#[macro_export]
macro_rules! client_accessors {
    () => {
        /// What the server said when it became ready.
        pub fn ready(&self) -> Option<$crate::__private::Ready> {
            self.inner.status.with(|s| s.ready.clone())
        }

        /// The server's answer that made the connection ready, as it was
        /// sent: the `initialize` result of a legacy server, the
        /// `server/discover` result of a 2026-07-28 one, raw and typed
        /// (everything `ready()` leaves out: `supportedVersions`, `ttlMs`,
        /// `cacheScope`, `_meta`, ...).
        pub fn handshake(&self) -> Option<$crate::__private::HandshakeResult> {
            self.ready().map(|r| r.handshake)
        }

        /// Over HTTP, once ready: Streamable HTTP, or the 2024-11-05 HTTP+SSE
        /// transport the client fell back to. `None` for stdio and streams.
        pub fn http_transport(&self) -> Option<$crate::__private::HttpTransport> {
            self.inner.status.with(|s| s.http_transport)
        }

        /// The server's era.
        pub fn era(&self) -> Option<$crate::__private::Era> {
            self.ready().map(|r| r.era)
        }

        /// The protocol revision in use.
        pub fn version(&self) -> Option<$crate::__private::ProtocolVersion> {
            self.ready().map(|r| r.version)
        }

        /// The server's identity, if it gave one.
        pub fn server_info(&self) -> Option<$crate::__private::Implementation> {
            self.ready().and_then(|r| r.server_info)
        }

        /// The server's capabilities.
        pub fn capabilities(&self) -> Option<$crate::__private::ServerCapabilities> {
            self.ready().map(|r| r.capabilities)
        }

        /// The server's process id (for spawned servers).
        pub fn pid(&self) -> Option<u32> {
            self.inner.pid
        }

        /// The last lines the server wrote to stderr.
        pub fn stderr_tail(&self) -> Vec<String> {
            self.inner.stderr.tail(usize::MAX).0
        }

        /// Whether the connection is closed.
        pub fn is_closed(&self) -> bool {
            self.inner.status.with(|s| s.closed.is_some() || s.finished)
        }
    };
}
