//! One HTTP exchange: what it is for, and how its body is read.

use std::time::Duration;

use crate::sse::SseParser;

/// What a POST carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Posted {
    /// A request: its answer comes in the response (or on a stream).
    Request { wire: i64 },
    /// A notification (answered 202).
    Notification { method: String },
    /// An answer to a server request (answered 202).
    Response,
}

/// Why an exchange exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Purpose {
    Post(Posted),
    /// GET with `Last-Event-ID`: the rest of request `wire`'s stream.
    Resume {
        wire: i64,
        last_id: String,
    },
    /// The legacy standalone GET stream.
    Standalone,
    /// The 2024-11-05 transport's GET stream.
    SseMain,
    /// Ending the session.
    Delete,
}

impl Purpose {
    /// The request whose answer this exchange carries.
    pub(super) fn wire(&self) -> Option<i64> {
        match self {
            Purpose::Post(Posted::Request { wire }) | Purpose::Resume { wire, .. } => Some(*wire),
            _ => None,
        }
    }
}

/// How the body is being read.
#[derive(Debug)]
pub(super) enum Body {
    /// No head yet.
    Waiting,
    /// One JSON document, up to the frame limit; `over` counts what was
    /// dropped past it.
    Json { buf: Vec<u8>, over: usize },
    /// An event stream.
    Sse(Box<SseParser>),
    /// The start of an error body, for the message.
    Text(Vec<u8>),
    /// Nothing in it matters.
    Ignore,
}

#[derive(Debug)]
pub(super) struct Exchange {
    pub(super) purpose: Purpose,
    pub(super) status: Option<u16>,
    pub(super) retry_after: Option<Duration>,
    pub(super) body: Body,
    /// The body was an event stream.
    pub(super) was_sse: bool,
    /// The last event id seen on the stream.
    pub(super) last_id: Option<String>,
    /// The stream's `retry`, in ms.
    pub(super) retry: Option<u64>,
    /// JSON-RPC messages that came on it.
    pub(super) messages: u32,
    /// Bytes of an answer to a server request it carries (0 otherwise).
    pub(super) reply: usize,
}

impl Exchange {
    pub(super) fn new(purpose: Purpose) -> Exchange {
        Exchange {
            purpose,
            status: None,
            retry_after: None,
            body: Body::Waiting,
            was_sse: false,
            last_id: None,
            retry: None,
            messages: 0,
            reply: 0,
        }
    }
}
