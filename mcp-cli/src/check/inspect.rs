//! Watching the wire: every message the server sends is checked against
//! the negotiated revision's schema as it arrives, and every breach the
//! client's core noticed (a line that is not JSON, an answer to no request)
//! is kept too.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use mcp_switch::mcp_proto::handler::NotificationHandler;
use mcp_switch::mcp_proto::{
    Direction, Notification, ProtocolVersion, Violation, ViolationKind, WireRecord,
};
use serde_json::Value;

use super::schema::{Envelope, Problem, Schema};

/// Most frames kept while the revision is not yet known (the handshake);
/// a server that floods before it is ready has the rest counted, unchecked.
const MAX_EARLY: usize = 4096;

/// Violations kept with their messages; past these, a server that breaks
/// the schema in every message is counted, not remembered, so checking a
/// flood costs no more memory than checking a little.
const MAX_FINDINGS: usize = 1000;

/// The most of a message a finding keeps (the report shows less).
const MESSAGE_KEPT: usize = 64 * 1024;

/// Something the server did wrong.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// What kind of wrong.
    pub(crate) kind: FindingKind,
    /// Which message, in words: `result of tools/call, as CallToolResult`.
    pub(crate) what: String,
    /// Its JSON-RPC id, if it has one.
    pub(crate) id: Option<String>,
    /// What is wrong with it.
    pub(crate) problems: Vec<Problem>,
    /// The message as it came (frame text).
    pub(crate) message: Option<String>,
}

/// The kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FindingKind {
    /// The message does not match its definition in the schema.
    Schema,
    /// The client's core found a breach of the protocol (not JSON, not
    /// UTF-8, too large, an answer to no request, ...).
    Protocol,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    /// Messages received.
    pub(crate) received: usize,
    /// Messages checked against the schema (the rest were not JSON, or came
    /// in a flood before the handshake ended).
    pub(crate) checked: usize,
}

/// What the inspector gathered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gathered {
    pub(crate) findings: Vec<Finding>,
    /// Notifications whose method the revision does not have (checked only
    /// as JSON-RPC).
    pub(crate) unknown: Vec<String>,
    pub(crate) counts: Counts,
    /// Violations found past [`MAX_FINDINGS`], or merged into one the
    /// core reported: counted, not listed.
    pub(crate) unlisted: u64,
}

impl Gathered {
    /// Every violation, listed or not.
    pub(crate) fn total(&self) -> u64 {
        self.findings.len() as u64 + self.unlisted
    }

    fn add(&mut self, finding: Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(finding);
        } else {
            self.unlisted += 1;
        }
    }
}

/// The wire watcher; a notification handler for the client.
pub(crate) struct Inspector {
    state: Mutex<State>,
    /// Print frames as `mcp --wire` does.
    print_wire: bool,
}

struct State {
    schema: Option<Schema>,
    /// Inbound frames from before the revision was known.
    early: Vec<String>,
    /// Requests sent, by id (as JSON text), to know what a response answers.
    asked: HashMap<String, String>,
    gathered: Gathered,
    /// The revision is known but has no schema here.
    unchecked: bool,
    /// Breaches the client's core reported (alike ones in a row merged),
    /// up to [`MAX_FINDINGS`].
    breaches: Vec<Violation>,
    /// Breaches past that.
    breaches_unlisted: u64,
}

impl Inspector {
    /// A watcher that knows no revision yet.
    pub(crate) fn new(print_wire: bool) -> Inspector {
        Inspector {
            state: Mutex::new(State {
                schema: None,
                early: Vec::new(),
                asked: HashMap::new(),
                gathered: Gathered::default(),
                unchecked: false,
                breaches: Vec::new(),
                breaches_unlisted: 0,
            }),
            print_wire,
        }
    }

    /// The revision is known: frames kept until now are checked.
    pub(crate) fn negotiated(&self, version: ProtocolVersion) {
        let mut s = self.lock();
        s.schema = Schema::load(version);
        if s.schema.is_none() {
            let note = format!("this build has no schema of {version}; messages were not checked");
            s.gathered.unknown.push(note);
            s.early.clear();
            s.unchecked = true;
            return;
        }
        for frame in std::mem::take(&mut s.early) {
            s.inspect(&frame);
        }
    }

    /// The revision a failed handshake's answer named, if it named one this
    /// client knows (to check the handshake's messages all the same).
    pub(crate) fn guess_version(&self) -> Option<ProtocolVersion> {
        let s = self.lock();
        s.early.iter().find_map(|frame| {
            let v: Value = serde_json::from_str(frame).ok()?;
            v.pointer("/result/protocolVersion")?.as_str()?.parse().ok()
        })
    }

    /// What was found so far.
    pub(crate) fn gathered(&self) -> Gathered {
        let s = self.lock();
        let mut g = s.gathered.clone();
        g.unlisted += s.breaches_unlisted;
        for v in &s.breaches {
            // With a schema, a message that is JSON but the wrong shape is
            // already a finding of its own, with the message; the core's
            // word for it would say the same thing twice.
            let shape = matches!(
                v.kind,
                ViolationKind::InvalidNotification
                    | ViolationKind::InvalidMessage
                    | ViolationKind::MissingJsonrpcVersion
                    | ViolationKind::ResultAndError
            );
            if shape && s.schema.is_some() {
                continue;
            }
            let error = match v.repeats {
                0 => v.detail.clone(),
                n => format!("{} (and {n} more like it)", v.detail),
            };
            g.unlisted += v.repeats;
            g.add(Finding {
                kind: FindingKind::Protocol,
                what: v.kind.to_string(),
                problems: vec![Problem {
                    at: String::new(),
                    error,
                }],
                id: None,
                message: None,
            });
        }
        g
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl NotificationHandler for Inspector {
    fn notification(&self, _: &Notification) {}

    fn violation(&self, v: &Violation) {
        let mut s = self.lock();
        let v = match s.breaches.last_mut() {
            Some(last) => match last.absorb(v.clone()) {
                Ok(()) => return,
                Err(v) => v,
            },
            None => v.clone(),
        };
        if s.breaches.len() < MAX_FINDINGS {
            s.breaches.push(v);
        } else {
            s.breaches_unlisted += 1 + v.repeats;
        }
    }

    fn wire(&self, r: &WireRecord) {
        if self.print_wire {
            let arrow = match r.direction {
                Direction::Out => ">>",
                Direction::In => "<<",
            };
            eprintln!("{arrow} {}", r.text);
        }
        let mut s = self.lock();
        match r.direction {
            Direction::Out => s.sent(&r.text),
            Direction::In if s.schema.is_some() => s.inspect(&r.text),
            Direction::In if s.unchecked => s.gathered.counts.received += 1,
            Direction::In => {
                if s.early.len() < MAX_EARLY {
                    s.early.push(r.text.clone());
                } else {
                    s.gathered.counts.received += 1;
                }
            }
        }
    }
}

impl State {
    /// Notes the requests in an outbound frame.
    fn sent(&mut self, text: &str) {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let messages = match &v {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for m in messages {
            if let (Some(method), Some(id)) = (m.get("method").and_then(Value::as_str), m.get("id"))
            {
                self.asked.insert(id.to_string(), method.to_owned());
            }
        }
    }

    /// Checks an inbound frame (one message, or a batch of them).
    fn inspect(&mut self, text: &str) {
        // Not JSON at all: the core reports that as a violation.
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            self.gathered.counts.received += 1;
            return;
        };
        match &v {
            Value::Array(items) => {
                for m in items {
                    self.one(m, text);
                }
            }
            one => self.one(one, text),
        }
    }

    fn one(&mut self, m: &Value, frame: &str) {
        let Some(schema) = self.schema.as_mut() else {
            return;
        };
        self.gathered.counts.received += 1;
        let method = m.get("method").and_then(Value::as_str);
        let id = m.get("id").filter(|id| !id.is_null());
        // What it is, its envelope, and its own definition with the part of
        // the message that definition covers (and where that part is).
        let (what, envelope, specific): (String, Envelope, Option<(String, &Value, &str)>) =
            match (method, id) {
                (Some(method), Some(_)) => (
                    format!("request {method}"),
                    Envelope::Request,
                    schema.request(method).map(|d| (d.to_owned(), m, "")),
                ),
                (Some(method), None) => (
                    format!("notification {method}"),
                    Envelope::Notification,
                    schema.notification(method).map(|d| (d.to_owned(), m, "")),
                ),
                (None, _) if m.get("error").is_some() => {
                    let asked = id.and_then(|id| self.asked.get(&id.to_string()));
                    let what = match asked {
                        Some(method) => format!("error answering {method}"),
                        None => "error response".to_owned(),
                    };
                    (what, Envelope::Error, None)
                }
                (None, _) => {
                    let asked = id.and_then(|id| self.asked.get(&id.to_string()));
                    let result = m.get("result").unwrap_or(&Value::Null);
                    let what = match asked {
                        Some(method) => format!("result of {method}"),
                        None => "response".to_owned(),
                    };
                    let def = asked.and_then(|method| schema.result(method, result));
                    (what, Envelope::Result, def.map(|d| (d, result, "/result")))
                }
            };
        self.gathered.counts.checked += 1;
        let mut problems = schema.check(schema.envelope(envelope), m);
        match &specific {
            Some((def, part, prefix)) => {
                for p in schema.check(def, part) {
                    let p = Problem {
                        at: format!("{prefix}{}", p.at),
                        error: p.error,
                    };
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
            // A request the revision does not have cannot be answered as
            // the server means it: a breach. An unknown notification can be
            // ignored, so it is only noted.
            None if envelope == Envelope::Request => problems.push(Problem {
                at: "/method".into(),
                error: format!(
                    "{:?} is not a request of {}",
                    method.unwrap_or_default(),
                    schema.version()
                ),
            }),
            None => {
                if method.is_some() {
                    let note = format!("{what}: not a notification of {}", schema.version());
                    if !self.gathered.unknown.contains(&note) {
                        self.gathered.unknown.push(note);
                    }
                }
            }
        }
        if !problems.is_empty() {
            let what = match &specific {
                Some((def, ..)) => format!("{what}, as {def}"),
                None => format!("{what}, as {}", schema.envelope(envelope)),
            };
            self.gathered.add(Finding {
                kind: FindingKind::Schema,
                what,
                problems,
                id: id.map(Value::to_string),
                message: Some(super::schema::cut(frame, MESSAGE_KEPT)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_breaches_is_counted_in_full_and_kept_in_part() {
        let inspector = Inspector::new(false);
        // Alternating kinds, so nothing merges: 5,000 listed entries would
        // be kept without the cap.
        for i in 0..5000 {
            let kind = if i % 2 == 0 {
                ViolationKind::NotJson
            } else {
                ViolationKind::InvalidUtf8
            };
            inspector.violation(&Violation::new(kind, format!("line {i}")));
        }
        // Then a run of alike ones, merged as they come.
        for i in 0..3000 {
            inspector.violation(&Violation::new(
                ViolationKind::UnknownResponseId,
                format!("{i}"),
            ));
        }
        let g = inspector.gathered();
        assert_eq!(g.findings.len(), MAX_FINDINGS);
        assert_eq!(g.total(), 8000);
    }
}
