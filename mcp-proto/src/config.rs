//! Configuration of a client connection and of single requests.
//!
//! Everything here is plain data with safe defaults; build a [`Config`] with
//! struct-update syntax over `Config::default()` or with the `with_*`
//! helpers.

use std::time::Duration;

use crate::model::{ClientCapabilities, Implementation, JsonObject};
use crate::version::ProtocolVersion;

/// How the client finds out which era the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EraPreference {
    /// Probe with `server/discover`; fall back to `initialize` on a non-modern
    /// error or silence (the 2026-07-28 stdio backward-compatibility rule).
    #[default]
    Auto,
    /// Skip the probe: `initialize` at the newest configured legacy version.
    /// Use it for servers known to be legacy, or cached from an earlier run.
    Legacy,
    /// Skip era detection: `server/discover`, and fail if the server is not
    /// modern.
    Modern,
}

/// What to do when the server breaks the protocol in one of the ways real
/// servers do (see [`ViolationKind`](crate::ViolationKind) for the list and
/// the lenient handling of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tolerance {
    /// Report each breach as `Event::Violation` and keep the connection.
    #[default]
    Lenient,
    /// Close the connection on the first breach (`CloseReason::Protocol`).
    Strict,
}

/// Bounds on what the client holds. Each is enforced with a clear error and
/// without losing state that was already accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest line (stdio frame) accepted, in bytes. Longer lines are dropped
    /// unread and the request they answer fails with
    /// `RequestError::ResponseTooLarge`. Default 64 MiB: a 16 MiB binary blob
    /// is about 22 MiB of base64.
    pub max_frame_size: usize,
    /// Most requests pending at once; `request` returns
    /// `UsageError::TooManyPending` beyond it. Default 16384.
    pub max_pending_calls: usize,
    /// Most events queued before input processing pauses until
    /// `poll_output` drains them (nothing is dropped; while the queue is
    /// backed up, violations of one kind that follow one another are merged,
    /// see [`Violation::repeats`](crate::Violation::repeats)). The adapters
    /// apply the same bound to the events waiting for the application's
    /// callbacks. Default 65536.
    pub max_queued_events: usize,
    /// Most bytes of memory the queued events may hold (as
    /// [`Event::heap_size`](crate::Event::heap_size) weighs them) before
    /// input processing pauses the same way; one event always fits, however
    /// large. Default 16 MiB.
    pub max_queued_bytes: usize,
    /// Most server-to-client input requests waiting for an answer; further
    /// ones are refused. Default 64.
    pub max_pending_inputs: usize,
    /// Longest text kept in an `Event::Wire` record, in bytes. Default 64 KiB.
    pub max_wire_record: usize,
    /// Most bytes of what the client writes in reaction to the server
    /// (answers to its requests, the next page of a list; see
    /// [`Client::take_reactive_bytes`](crate::Client::take_reactive_bytes))
    /// that may wait to be written before the adapters stop reading from
    /// the server, so a server that writes requests and never reads the
    /// answers is paused rather than buffered without end. What the
    /// application sends does not count. Default 1 MiB.
    pub max_unwritten_replies: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: 64 * 1024 * 1024,
            max_pending_calls: 16 * 1024,
            max_queued_events: 64 * 1024,
            max_queued_bytes: 16 * 1024 * 1024,
            max_pending_inputs: 64,
            max_wire_record: 64 * 1024,
            max_unwritten_replies: 1024 * 1024,
        }
    }
}

/// Configuration of one client connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Who the client is (sent in `initialize` and on every modern request).
    pub client_info: Implementation,
    /// What the client can answer. Declaring `elicitation`, `sampling` or
    /// `roots` means the application answers the matching
    /// `Event::InputNeeded`; undeclared kinds are refused by the core itself.
    pub capabilities: ClientCapabilities,
    /// Protocol revisions to speak. Default: all of them.
    pub versions: Vec<ProtocolVersion>,
    /// How to detect the server's era.
    pub era: EraPreference,
    /// How long a `server/discover` probe may stay unanswered before the
    /// server is taken for legacy. Default 5 s.
    pub probe_timeout: Duration,
    /// How long `initialize` (or a forced-modern `server/discover`) may take.
    /// Default 30 s.
    pub handshake_timeout: Duration,
    /// Default timeout of a request, measured from when it is issued (time
    /// spent waiting for the application's input does not count). Default 60 s.
    pub request_timeout: Duration,
    /// Whether a progress notification restarts the request's timeout.
    /// Default false.
    pub reset_timeout_on_progress: bool,
    /// Hard cap on a request's total time, whatever progress says. Default 10 min.
    pub max_total_timeout: Option<Duration>,
    /// How long an input request may wait for the application's answer before
    /// the core refuses it. Default 10 min.
    pub input_timeout: Duration,
    /// Most `input_required` rounds for one request. Default 16.
    pub max_input_rounds: u32,
    /// Most pages fetched for one list request. Default 1000.
    pub max_pages: u32,
    /// Refuse to send a method the server did not advertise (the spec's
    /// "respect negotiated capabilities"). Default true.
    pub enforce_capabilities: bool,
    /// Refuse to send a method the negotiated revision does not have
    /// (`RequestError::NotInRevision`): `ping`, `resources/subscribe` or
    /// `logging/setLevel` to a 2026-07-28 server, `subscriptions/listen` to
    /// a legacy one. Default true. Turn it off to send such a method
    /// anyway with `request_raw`, for a server known to accept it (the
    /// typed operations still speak each era's way: `ping()` is
    /// `server/discover` in the modern era whatever this says).
    pub enforce_revision: bool,
    /// Honour `ttlMs`/`cacheScope` on list and read results. Default true.
    pub cache: bool,
    /// Most bytes of results kept in the cache. Default 16 MiB.
    pub cache_max_bytes: usize,
    /// How to treat protocol breaches. Default lenient.
    pub tolerance: Tolerance,
    /// Emit an `Event::Wire` for every frame in and out, with secrets
    /// redacted. Default false.
    pub wire_tap: bool,
    /// JSON keys whose values the wire tap replaces with `"[redacted]"`
    /// (compared case-insensitively).
    pub redact_keys: Vec<String>,
    /// Size and count limits.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client_info: Implementation::new("mcp-proto", env!("CARGO_PKG_VERSION")),
            capabilities: ClientCapabilities::default(),
            versions: ProtocolVersion::ALL.to_vec(),
            era: EraPreference::Auto,
            probe_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            reset_timeout_on_progress: false,
            max_total_timeout: Some(Duration::from_secs(600)),
            input_timeout: Duration::from_secs(600),
            max_input_rounds: 16,
            max_pages: 1000,
            enforce_capabilities: true,
            enforce_revision: true,
            cache: true,
            cache_max_bytes: 16 * 1024 * 1024,
            tolerance: Tolerance::Lenient,
            wire_tap: false,
            redact_keys: [
                "authorization",
                "access_token",
                "refresh_token",
                "id_token",
                "client_secret",
                "password",
                "api_key",
                "apikey",
                "token",
                "secret",
                "cookie",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// Defaults with this client identity.
    pub fn new(client_info: Implementation) -> Self {
        Config {
            client_info,
            ..Config::default()
        }
    }

    /// Sets the declared client capabilities.
    pub fn with_capabilities(mut self, capabilities: ClientCapabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Sets how the era is detected.
    pub fn with_era(mut self, era: EraPreference) -> Self {
        self.era = era;
        self
    }

    /// Restricts the spoken revisions.
    pub fn with_versions(mut self, versions: impl IntoIterator<Item = ProtocolVersion>) -> Self {
        self.versions = versions.into_iter().collect();
        self
    }

    /// Sets the default request timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the tolerance policy.
    pub fn with_tolerance(mut self, tolerance: Tolerance) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Turns the wire tap on or off.
    pub fn with_wire_tap(mut self, on: bool) -> Self {
        self.wire_tap = on;
        self
    }

    /// Turns the wire tap on with nothing left out: no key redacted, no
    /// frame shortened, so `Event::Wire` records carry every frame byte for
    /// byte. For debugging a conversation, or recording one to compare;
    /// **never for production logs**: the records then hold whatever
    /// secrets cross the wire (tokens, passwords, API keys) and frames of
    /// any size (up to `Limits::max_frame_size` each).
    ///
    /// ```
    /// use mcp_proto::Config;
    ///
    /// let cfg = Config::default().with_raw_wire_tap();
    /// assert!(cfg.wire_tap && cfg.redact_keys.is_empty());
    /// assert_eq!(cfg.limits.max_wire_record, usize::MAX);
    /// ```
    pub fn with_raw_wire_tap(mut self) -> Self {
        self.wire_tap = true;
        self.redact_keys.clear();
        self.limits.max_wire_record = usize::MAX;
        self
    }

    pub(crate) fn newest(&self, era: crate::Era) -> Option<ProtocolVersion> {
        self.versions
            .iter()
            .copied()
            .filter(|v| v.era() == era)
            .max()
    }
}

/// Whether a request may be answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CachePolicy {
    /// Serve a fresh cached result if there is one; store the answer.
    #[default]
    Use,
    /// Always ask the server; still store the answer.
    Refresh,
    /// Neither read nor write the cache.
    Bypass,
}

/// Per-request options; `RequestOptions::default()` takes everything from
/// the [`Config`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestOptions {
    /// Timeout for this request instead of `Config::request_timeout`.
    pub timeout: Option<Duration>,
    /// Whether progress restarts the timeout, instead of the config's choice.
    pub reset_timeout_on_progress: Option<bool>,
    /// Hard cap instead of `Config::max_total_timeout`.
    pub max_total_timeout: Option<Duration>,
    /// Ask the server for progress notifications (`Event::Progress`).
    pub progress: bool,
    /// For list methods called without a cursor: return only the first page
    /// instead of following `nextCursor` to the end.
    pub first_page_only: bool,
    /// Cache use for this request.
    pub cache: CachePolicy,
    /// Extra `_meta` entries (for example W3C `traceparent`).
    pub meta: Option<JsonObject>,
}

impl RequestOptions {
    /// Options with a timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Options that ask for progress notifications.
    pub fn with_progress(mut self) -> Self {
        self.progress = true;
        self
    }

    /// Options with a cache policy.
    pub fn with_cache(mut self, cache: CachePolicy) -> Self {
        self.cache = cache;
        self
    }

    /// Options that stop after the first page of a list.
    pub fn first_page_only(mut self) -> Self {
        self.first_page_only = true;
        self
    }
}
