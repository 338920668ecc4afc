//! Either client adapter behind one blocking face, so that a tool or a test
//! written once runs on both: `mcp --adapter smol`, `conformance-client
//! --adapter smol`, and the integration tests that must pass on each.
//!
//! [`Client`] has the operations of [`Operations`] with plain `Result`s: on
//! the blocking adapter they are its own calls; on the smol adapter each is
//! the async client's future, awaited on the calling thread with
//! `futures_lite::future::block_on` (no runtime involved, as the smol
//! adapter promises). Errors, handlers and settings are the same types in
//! both adapters, so nothing is converted.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use futures_lite::future;
use mcp_proto::api::{CallOptions, Operations};
use mcp_proto::handler::{InputHandler, NotificationHandler};
use mcp_proto::http::HttpOptions;
use mcp_proto::model::{Implementation, ServerCapabilities};
use mcp_proto::{
    Call, Config, Era, HandshakeResult, HttpTransport, ProtocolVersion, Ready, Reply, UsageError,
};
use serde::de::DeserializeOwned;

pub use mcp_blocking::mcp_proto;
pub use mcp_blocking::{Closed, Error, HttpSettings, ServerCommand, Shutdown};

/// Everything a typical program needs, as in the adapters' own preludes:
/// the client and its builder, the adapter choice, the operations trait
/// that gives the client its methods, and the handler helpers.
pub mod prelude {
    pub use crate::mcp_proto::api::Operations;
    pub use crate::mcp_proto::handler::{
        InputHandler, InputHandlers, NotificationHandler, OnNotification,
    };
    pub use crate::mcp_proto::http::HttpOptions;
    pub use crate::mcp_proto::{Config, Notification, Subscription};
    pub use crate::{Adapter, Builder, Client, Error, ServerCommand, Shutdown};
}

/// Which adapter does the I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Adapter {
    /// `mcp-blocking`: std threads.
    #[default]
    Blocking,
    /// `mcp-smol`: async I/O on a driver thread, futures for every call.
    Smol,
}

impl Adapter {
    /// Both, for tests that run on each.
    pub const ALL: [Adapter; 2] = [Adapter::Blocking, Adapter::Smol];

    /// The name used on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Adapter::Blocking => "blocking",
            Adapter::Smol => "smol",
        }
    }
}

impl fmt::Display for Adapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An adapter name that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAdapter(pub String);

impl fmt::Display for UnknownAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no adapter {:?}: use \"blocking\" or \"smol\"", self.0)
    }
}

impl std::error::Error for UnknownAdapter {}

impl FromStr for Adapter {
    type Err = UnknownAdapter;

    fn from_str(s: &str) -> Result<Adapter, UnknownAdapter> {
        match s {
            "blocking" => Ok(Adapter::Blocking),
            "smol" => Ok(Adapter::Smol),
            other => Err(UnknownAdapter(other.to_owned())),
        }
    }
}

/// Sets up a [`Client`] on the adapter chosen.
#[derive(Debug, Clone)]
pub enum Builder {
    /// The blocking adapter's builder.
    Blocking(mcp_blocking::Builder),
    /// The smol adapter's builder.
    Smol(mcp_smol::Builder),
}

/// Applies the same setter to whichever builder it is.
macro_rules! both {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            Builder::Blocking($b) => Builder::Blocking($e),
            Builder::Smol($b) => Builder::Smol($e),
        }
    };
}

impl Builder {
    /// A builder for `adapter`, with its defaults.
    pub fn new(adapter: Adapter) -> Builder {
        match adapter {
            Adapter::Blocking => Builder::Blocking(mcp_blocking::Builder::new()),
            Adapter::Smol => Builder::Smol(mcp_smol::Builder::new()),
        }
    }

    /// See `mcp_blocking::Builder::config`.
    pub fn config(self, config: Config) -> Builder {
        both!(self, b => b.config(config))
    }

    /// See `mcp_blocking::Builder::input_handler`.
    pub fn input_handler(self, handler: impl InputHandler + 'static) -> Builder {
        both!(self, b => b.input_handler(handler))
    }

    /// See `mcp_blocking::Builder::notification_handler`.
    pub fn notification_handler(self, handler: impl NotificationHandler + 'static) -> Builder {
        both!(self, b => b.notification_handler(handler))
    }

    /// See `mcp_blocking::Builder::on_stderr`.
    pub fn on_stderr(self, f: impl Fn(&str) + Send + Sync + 'static) -> Builder {
        both!(self, b => b.on_stderr(f))
    }

    /// See `mcp_blocking::Builder::stderr_lines`.
    pub fn stderr_lines(self, n: usize) -> Builder {
        both!(self, b => b.stderr_lines(n))
    }

    /// See `mcp_blocking::Builder::shutdown`.
    pub fn shutdown(self, shutdown: Shutdown) -> Builder {
        both!(self, b => b.shutdown(shutdown))
    }

    /// See `mcp_blocking::Builder::http_settings`.
    pub fn http_settings(self, settings: HttpSettings) -> Builder {
        both!(self, b => b.http_settings(settings))
    }

    /// Starts the server and waits until it is ready.
    pub fn spawn(self, cmd: &ServerCommand) -> Result<Client, Error> {
        match self {
            Builder::Blocking(b) => b.spawn(cmd).map(Client::Blocking),
            Builder::Smol(b) => future::block_on(b.spawn(cmd)).map(Client::Smol),
        }
    }

    /// Connects over HTTP and waits until the server is ready.
    pub fn connect_http(self, options: HttpOptions) -> Result<Client, Error> {
        match self {
            Builder::Blocking(b) => b.connect_http(options).map(Client::Blocking),
            Builder::Smol(b) => future::block_on(b.connect_http(options)).map(Client::Smol),
        }
    }
}

/// A client on either adapter, with blocking calls.
#[derive(Debug, Clone)]
pub enum Client {
    /// On the blocking adapter.
    Blocking(mcp_blocking::Client),
    /// On the smol adapter.
    Smol(mcp_smol::Client),
}

/// Reads the same accessor of whichever client it is.
macro_rules! read {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            Client::Blocking($c) => $e,
            Client::Smol($c) => $e,
        }
    };
}

impl Client {
    /// A builder for `adapter`.
    pub fn builder(adapter: Adapter) -> Builder {
        Builder::new(adapter)
    }

    /// Which adapter this client runs on.
    pub fn adapter(&self) -> Adapter {
        match self {
            Client::Blocking(_) => Adapter::Blocking,
            Client::Smol(_) => Adapter::Smol,
        }
    }

    /// What the server said when it became ready.
    pub fn ready(&self) -> Option<Ready> {
        read!(self, c => c.ready())
    }

    /// The server's answer that made the connection ready, as received.
    pub fn handshake(&self) -> Option<HandshakeResult> {
        read!(self, c => c.handshake())
    }

    /// The HTTP transport in use (`None` for stdio).
    pub fn http_transport(&self) -> Option<HttpTransport> {
        read!(self, c => c.http_transport())
    }

    /// The server's era.
    pub fn era(&self) -> Option<Era> {
        read!(self, c => c.era())
    }

    /// The protocol revision in use.
    pub fn version(&self) -> Option<ProtocolVersion> {
        read!(self, c => c.version())
    }

    /// The server's identity, if it gave one.
    pub fn server_info(&self) -> Option<Implementation> {
        read!(self, c => c.server_info())
    }

    /// The server's capabilities.
    pub fn capabilities(&self) -> Option<ServerCapabilities> {
        read!(self, c => c.capabilities())
    }

    /// The server's process id (for spawned servers).
    pub fn pid(&self) -> Option<u32> {
        read!(self, c => c.pid())
    }

    /// The last lines the server wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        read!(self, c => c.stderr_tail())
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        read!(self, c => c.is_closed())
    }

    /// Waits until every callback for what the client has received so far
    /// has run.
    pub fn flush_callbacks(&self) {
        match self {
            Client::Blocking(c) => c.flush_callbacks(),
            Client::Smol(c) => future::block_on(c.flush_callbacks()),
        }
    }

    /// Tells the server the client's roots changed.
    pub fn notify_roots_list_changed(&self) -> Result<(), Error> {
        read!(self, c => c.notify_roots_list_changed())
    }

    /// Starts a call without waiting for it.
    pub fn start(&self, call: Call, opts: CallOptions) -> Result<Pending, Error> {
        match self {
            Client::Blocking(c) => c.start(call, opts).map(Pending::Blocking),
            Client::Smol(c) => c.start(call, opts).map(Pending::Smol),
        }
    }

    /// Closes the connection and shuts the server down; waits for it.
    pub fn close(&self) -> Closed {
        match self {
            Client::Blocking(c) => c.close(),
            Client::Smol(c) => future::block_on(c.close()),
        }
    }
}

impl Operations for Client {
    type Outcome<T: DeserializeOwned + Send + 'static> = Result<T, Error>;

    fn run<T: DeserializeOwned + Send + 'static>(
        &self,
        call: Result<Call, UsageError>,
        opts: CallOptions,
    ) -> Result<T, Error> {
        match self {
            Client::Blocking(c) => c.run(call, opts),
            Client::Smol(c) => future::block_on(c.run(call, opts)),
        }
    }
}

/// A call in flight on either adapter.
#[derive(Debug)]
pub enum Pending {
    /// On the blocking adapter.
    Blocking(mcp_blocking::PendingCall),
    /// On the smol adapter (dropping it cancels the call).
    Smol(mcp_smol::PendingCall),
}

impl Pending {
    /// The call's id, as progress reports and input requests name it.
    pub fn id(&self) -> mcp_proto::CallId {
        match self {
            Pending::Blocking(p) => p.id(),
            Pending::Smol(p) => p.id(),
        }
    }

    /// Waits for the answer.
    pub fn wait(self) -> Result<Reply, Error> {
        match self {
            Pending::Blocking(p) => p.wait(),
            Pending::Smol(p) => future::block_on(p),
        }
    }

    /// Waits at most `limit`; `None` if the answer has not come yet (the
    /// call goes on).
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<Result<Reply, Error>> {
        match self {
            Pending::Blocking(p) => p.wait_timeout(limit),
            Pending::Smol(p) => future::block_on(future::or(async { Some(p.await) }, async {
                async_io::Timer::after(limit).await;
                None
            })),
        }
    }

    /// Cancels the call (the server is told).
    pub fn cancel(&self) {
        match self {
            Pending::Blocking(p) => p.cancel(),
            Pending::Smol(p) => p.cancel(),
        }
    }
}
