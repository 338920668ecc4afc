//! What a call can fail with, worded for the person reading it; the same
//! for every adapter.

use std::fmt;
use std::time::Duration;

use mcp_proto::http::{HttpConfigError, HttpError};
use mcp_proto::model::ErrorObject;
use mcp_proto::{CloseReason, HandshakeError, RequestError, UsageError};

/// How a server process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (Unix).
    Signal(i32),
    /// Not known (not a child process, or it could not be waited for).
    Unknown,
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Code(c) => write!(f, "exit code {c}"),
            ExitStatus::Signal(s) => write!(f, "signal {s}"),
            ExitStatus::Unknown => f.write_str("unknown status"),
        }
    }
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(s: std::process::ExitStatus) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = s.signal() {
                return ExitStatus::Signal(sig);
            }
        }
        s.code().map_or(ExitStatus::Unknown, ExitStatus::Code)
    }
}

/// The last lines a server wrote to stderr, for error reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StderrTail(pub Vec<String>);

impl fmt::Display for StderrTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(nothing on stderr)");
        }
        f.write_str("stderr ends with:")?;
        for line in &self.0 {
            write!(f, "\n  | {line}")?;
        }
        Ok(())
    }
}

/// Why a call (or starting the client) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server program could not be started.
    #[error("could not start {program:?}: {source} (is it installed and on PATH?)")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server exited (or closed its output) while the call was out.
    #[error("the server exited ({status}); {stderr}")]
    ServerExited {
        /// How it ended.
        status: ExitStatus,
        /// The last lines of its stderr.
        stderr: StderrTail,
    },
    /// Startup failed (no common protocol version, `initialize` rejected,
    /// no answer, ...).
    #[error("the server did not start talking MCP: {error}; {stderr}")]
    Handshake {
        /// What went wrong.
        error: Box<HandshakeError>,
        /// The last lines of its stderr.
        stderr: StderrTail,
    },
    /// The MCP server at a URL could not be reached, or refused to start a
    /// session.
    #[error("could not start MCP with {url}: {error}")]
    Connect {
        /// The server's URL.
        url: String,
        /// What went wrong.
        error: Box<HandshakeError>,
    },
    /// The URL or a header given for an HTTP server cannot be used.
    #[error(transparent)]
    Config(#[from] Box<HttpConfigError>),
    /// The call failed at the HTTP level (an error status without a
    /// JSON-RPC error, a broken connection or stream, an expired session).
    #[error("HTTP: {0}")]
    Http(Box<HttpError>),
    /// No answer within the call's timeout (the request was cancelled on
    /// the wire).
    #[error("no answer within {after:?}; the request was cancelled (raise the timeout with with_timeout)")]
    Timeout {
        /// How long the call waited.
        after: Duration,
    },
    /// The call was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The server answered with an error.
    #[error("the server answered with error {}: {}{}", .0.code, .0.message, .0.data.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Server(Box<ErrorObject>),
    /// The call failed for another protocol reason (unsupported method, bad
    /// answer, refused input, limits).
    #[error("{0}")]
    Request(Box<RequestError>),
    /// The connection is closed; make a new client.
    #[error("the connection is closed ({0}); make a new client")]
    Closed(Box<CloseReason>),
    /// The API was misused (see the message).
    #[error(transparent)]
    Usage(#[from] Box<UsageError>),
    /// The result did not decode into the type asked for.
    #[error("the result does not decode into the expected type: {0}")]
    Decode(#[source] serde_json::Error),
    /// Reading or writing the server's pipes failed.
    #[error("I/O error talking to the server: {0}")]
    Io(#[from] std::io::Error),
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(Box::new(e))
    }
}

impl Error {
    /// The connection is closed, for `reason`.
    pub fn closed(reason: CloseReason) -> Error {
        Error::Closed(Box::new(reason))
    }

    /// How a call ended, in the application's terms, with what is known of
    /// the server process: how it exited, and the end of its stderr.
    pub fn from_request(
        e: RequestError,
        exit: Option<ExitStatus>,
        stderr: impl FnOnce() -> StderrTail,
    ) -> Error {
        match e {
            RequestError::Server(o) => Error::Server(Box::new(o)),
            RequestError::Timeout { after } => Error::Timeout { after },
            RequestError::Cancelled { .. } => Error::Cancelled,
            RequestError::Closed(CloseReason::PeerClosed { .. }) => Error::ServerExited {
                status: exit.unwrap_or(ExitStatus::Unknown),
                stderr: stderr(),
            },
            RequestError::Closed(CloseReason::Handshake(error)) => Error::Handshake {
                error: Box::new(error),
                stderr: stderr(),
            },
            RequestError::Closed(reason) => Error::closed(reason),
            RequestError::Http(e) => Error::Http(Box::new(e)),
            other => Error::Request(Box::new(other)),
        }
    }

    /// Why a client never became ready, from the reason its connection
    /// closed: over HTTP (`url`) a failed connection, otherwise a failed
    /// handshake or a server that exited, with the end of its stderr.
    pub fn startup(
        reason: CloseReason,
        url: Option<String>,
        exit: Option<ExitStatus>,
        stderr: StderrTail,
    ) -> Error {
        match reason {
            CloseReason::Handshake(error) => match url {
                Some(url) => Error::Connect {
                    url,
                    error: Box::new(error),
                },
                None => Error::Handshake {
                    error: Box::new(error),
                    stderr,
                },
            },
            CloseReason::PeerClosed { .. } => Error::ServerExited {
                status: exit.unwrap_or(ExitStatus::Unknown),
                stderr,
            },
            other => Error::closed(other),
        }
    }

    /// The error code, if the server answered with an error.
    pub fn server_error(&self) -> Option<&ErrorObject> {
        match self {
            Error::Server(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the error means the server or the connection is gone (the
    /// client will not recover; start a new one).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Spawn { .. }
                | Error::ServerExited { .. }
                | Error::Handshake { .. }
                | Error::Connect { .. }
                | Error::Config(_)
                | Error::Closed(_)
                | Error::Io(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_errors_are_worded_with_what_is_known_of_the_server() {
        let tail = || StderrTail(vec!["panic: out of cheese".into()]);
        let e = Error::from_request(
            RequestError::Closed(CloseReason::PeerClosed {
                during_probe: false,
            }),
            Some(ExitStatus::Code(3)),
            tail,
        );
        let text = e.to_string();
        assert!(
            text.contains("exit code 3") && text.contains("out of cheese"),
            "{text}"
        );
        assert!(e.is_fatal());
        let e = Error::from_request(
            RequestError::Timeout {
                after: Duration::from_secs(2),
            },
            None,
            tail,
        );
        assert!(matches!(e, Error::Timeout { .. }) && !e.is_fatal());
        let e = Error::from_request(
            RequestError::Server(ErrorObject::new(-32602, "bad")),
            None,
            tail,
        );
        assert_eq!(e.server_error().map(|o| o.code), Some(-32602));
    }
}
