//! Era detection and startup, as the 2026-07-28 stdio binding says:
//!
//! 1. Probe with `server/discover` carrying the newest modern version.
//! 2. A `DiscoverResult` means modern: use the newest version both list.
//! 3. A recognized modern error means modern: `UnsupportedProtocolVersion`
//!    names the versions to retry with; never fall back to `initialize`.
//! 4. Any other error, an answer that is not a `DiscoverResult`, or silence
//!    past `Config::probe_timeout` means legacy: `initialize` with the newest
//!    legacy version, negotiated down to whatever the server answers.
//!
//! A modern server that is merely slow to start (an `npx` launcher fetching
//! packages) can miss the probe timeout. Its late `DiscoverResult` is kept,
//! and if that server then rejects `initialize`, the client goes modern
//! after all instead of failing.

use crate::config::EraPreference;
use crate::error::{CloseReason, HandshakeError};
use crate::event::{Event, HandshakeResult, Ready};
use crate::model::{
    codes, DiscoverResult, ErrorObject, InitializeRequestParams, InitializeResult, JsonObject,
};
use crate::raw::RawJson;
use crate::version::{Era, ProtocolVersion};

use super::timers::Timer;
use super::{Client, Phase, ServerView, Wire};

impl Client {
    pub(super) fn send_probe(&mut self, version: ProtocolVersion, retried: bool) {
        let wire = self.alloc_wire();
        self.version = Some(version);
        self.wire.insert(wire, Wire::Probe);
        self.write_internal_request(wire, "server/discover", &JsonObject::new(), version);
        self.phase = Phase::Probing {
            wire,
            version,
            retried,
        };
        // Over HTTP every request gets an answer, so silence says nothing
        // about the era: the probe gets the whole handshake time.
        let wait = match self.cfg.era {
            _ if self.http.is_some() => self.cfg.handshake_timeout,
            EraPreference::Modern => self.cfg.handshake_timeout,
            _ => self.cfg.probe_timeout,
        };
        self.timers.set(Timer::Handshake, self.now + wait);
    }

    pub(super) fn send_initialize(&mut self, version: ProtocolVersion) {
        self.send_initialize_keeping(version, None);
    }

    fn send_initialize_keeping(
        &mut self,
        version: ProtocolVersion,
        late_discover: Option<Box<(DiscoverResult, RawJson)>>,
    ) {
        let wire = self.alloc_wire();
        self.version = Some(version);
        let mut capabilities = self.cfg.capabilities.clone();
        // `extensions` is a 2026-07-28 field; legacy servers never see it.
        capabilities.extensions = None;
        let params = InitializeRequestParams {
            protocol_version: version.as_str().to_owned(),
            capabilities,
            client_info: self.cfg.client_info.clone(),
            meta: None,
            extra: JsonObject::new(),
        };
        let params = match serde_json::to_value(&params) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => JsonObject::new(),
        };
        self.wire.insert(wire, Wire::Initialize);
        self.write_internal_request(wire, "initialize", &params, version);
        self.phase = Phase::Initializing { late_discover };
        self.timers
            .set(Timer::Handshake, self.now + self.cfg.handshake_timeout);
    }

    /// An answer to the probe, on time or late.
    pub(super) fn on_probe_answer(&mut self, wire: i64, answer: Result<RawJson, ErrorObject>) {
        let probing = matches!(self.phase, Phase::Probing { wire: w, .. } if w == wire);
        if !probing {
            // Late: only a DiscoverResult arriving while `initialize` is out
            // matters (see the module docs). Anything else is dropped.
            if let (Phase::Initializing { late_discover, .. }, Ok(raw)) = (&mut self.phase, answer)
            {
                if let Ok(d) = raw.decode::<DiscoverResult>() {
                    *late_discover = Some(Box::new((d, raw)));
                }
            }
            return;
        }
        let Phase::Probing {
            version, retried, ..
        } = self.phase
        else {
            return;
        };
        self.timers.clear(Timer::Handshake);
        match answer {
            Ok(raw) => match raw.decode::<DiscoverResult>() {
                Ok(d) => self.adopt_discover(d, raw),
                Err(e) => self.not_modern(
                    format!("server/discover answered with something else: {e}"),
                    None,
                ),
            },
            Err(err) if err.code == codes::UNSUPPORTED_PROTOCOL_VERSION => {
                let supported = err
                    .unsupported_version()
                    .map(|d| d.supported)
                    .unwrap_or_default();
                match self.pick(&supported, Era::Modern) {
                    Some(v) if v != version || !retried => self.send_probe(v, true),
                    Some(_) => self.fail(HandshakeError::Rejected {
                        method: "server/discover",
                        error: err,
                    }),
                    None => match self.pick(&supported, Era::Legacy) {
                        Some(v) if self.cfg.era != EraPreference::Modern => self.send_initialize(v),
                        _ => self.fail(HandshakeError::NoCommonVersion {
                            server: supported,
                            client: self.cfg.versions.clone(),
                        }),
                    },
                }
            }
            Err(err) if err.is_modern_error() => {
                // Modern for sure, but the probe told nothing about the
                // server's capabilities: proceed without them.
                self.become_ready(
                    version,
                    ServerView::default(),
                    HandshakeResult::DiscoverError(err),
                );
            }
            Err(err) => self.not_modern(format!("server/discover failed: {err}"), Some(err)),
        }
    }

    /// The probe showed a legacy server: fall back, unless modern is forced.
    fn not_modern(&mut self, why: String, error: Option<ErrorObject>) {
        if self.cfg.era == EraPreference::Modern {
            let e = match error {
                Some(error) => HandshakeError::Rejected {
                    method: "server/discover",
                    error,
                },
                None => HandshakeError::InvalidResult {
                    method: "server/discover",
                    detail: why,
                },
            };
            self.fail(e);
            return;
        }
        match self.cfg.newest(Era::Legacy) {
            Some(v) => self.send_initialize(v),
            None => self.fail(HandshakeError::NoCommonVersion {
                server: Vec::new(),
                client: self.cfg.versions.clone(),
            }),
        }
    }

    fn adopt_discover(&mut self, d: DiscoverResult, raw: RawJson) {
        if let Some(v) = self.pick(&d.supported_versions, Era::Modern) {
            let info = d.server_info();
            self.become_ready(
                v,
                ServerView {
                    capabilities: d.capabilities,
                    capabilities_known: true,
                    info,
                    instructions: d.instructions,
                },
                HandshakeResult::Discover(raw),
            );
            return;
        }
        // A dual-era server listing only versions we know as legacy.
        match self.pick(&d.supported_versions, Era::Legacy) {
            Some(v) if self.cfg.era != EraPreference::Modern => self.send_initialize(v),
            _ => self.fail(HandshakeError::NoCommonVersion {
                server: d.supported_versions,
                client: self.cfg.versions.clone(),
            }),
        }
    }

    /// An answer to `initialize`.
    pub(super) fn on_initialize_answer(&mut self, answer: Result<RawJson, ErrorObject>) {
        let Phase::Initializing { late_discover, .. } = &mut self.phase else {
            return;
        };
        let late = late_discover.take();
        self.timers.clear(Timer::Handshake);
        match answer {
            Ok(raw) => {
                let result: InitializeResult = match raw.decode() {
                    Ok(r) => r,
                    Err(e) => {
                        return self.fail(HandshakeError::InvalidResult {
                            method: "initialize",
                            detail: e.to_string(),
                        })
                    }
                };
                let Some(v) = ProtocolVersion::parse(&result.protocol_version)
                    .filter(|v| v.era() == Era::Legacy && self.cfg.versions.contains(v))
                else {
                    return self.fail(HandshakeError::UnsupportedVersion(result.protocol_version));
                };
                self.version = Some(v);
                self.write_notification("notifications/initialized", None::<&serde_json::Value>);
                self.become_ready(
                    v,
                    ServerView {
                        capabilities: result.capabilities,
                        capabilities_known: true,
                        info: Some(result.server_info),
                        instructions: result.instructions,
                    },
                    HandshakeResult::Initialize(raw),
                );
            }
            Err(error) => match late.map(|b| *b) {
                Some((d, raw)) if self.pick(&d.supported_versions, Era::Modern).is_some() => {
                    self.adopt_discover(d, raw)
                }
                _ => self.fail(HandshakeError::Rejected {
                    method: "initialize",
                    error,
                }),
            },
        }
    }

    /// An error without an id while probing: a legacy server refusing a
    /// request before `initialize`, unable to say which one. With only the
    /// probe out, it can only be the probe's answer.
    pub(super) fn on_idless_error_while_probing(&mut self, error: ErrorObject) -> bool {
        let Phase::Probing { wire, .. } = self.phase else {
            return false;
        };
        self.wire.remove(&wire);
        self.on_probe_answer(wire, Err(error));
        true
    }

    pub(super) fn on_handshake_timeout(&mut self) {
        match self.phase {
            Phase::Probing { .. } => {
                // The probe stays registered so a late answer is recognized.
                if self.cfg.era == EraPreference::Modern {
                    self.fail(HandshakeError::Timeout {
                        method: "server/discover",
                        after: self.cfg.handshake_timeout,
                    });
                } else {
                    self.not_modern("no answer to server/discover".into(), None);
                }
            }
            Phase::Initializing { .. } => self.fail(HandshakeError::Timeout {
                method: "initialize",
                after: self.cfg.handshake_timeout,
            }),
            Phase::Ready | Phase::Closed => {}
        }
    }

    fn fail(&mut self, e: HandshakeError) {
        self.close_with(CloseReason::Handshake(e));
    }

    /// The newest configured version of `era` that the server lists.
    fn pick(&self, server: &[String], era: Era) -> Option<ProtocolVersion> {
        server
            .iter()
            .filter_map(|s| ProtocolVersion::parse(s))
            .filter(|v| v.era() == era && self.cfg.versions.contains(v))
            .max()
    }

    fn become_ready(
        &mut self,
        version: ProtocolVersion,
        server: ServerView,
        handshake: HandshakeResult,
    ) {
        self.version = Some(version);
        self.server = server;
        self.phase = Phase::Ready;
        self.handshake = Some(handshake.clone());
        self.events.push_back(Event::Ready(Box::new(Ready {
            era: version.era(),
            version,
            server_info: self.server.info.clone(),
            capabilities: self.server.capabilities.clone(),
            capabilities_known: self.server.capabilities_known,
            instructions: self.server.instructions.clone(),
            handshake,
        })));
        if self.http.is_some() {
            self.http_ready();
        }
        while let Some(call) = self.waiting_ready.pop_front() {
            self.dispatch(call);
            if self.closed.is_some() {
                break;
            }
        }
    }
}
