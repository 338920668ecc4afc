//! The report of `mcp check`: the steps, then each violation with the
//! message that caused it, then a one-line verdict; or all of it as JSON.

use mcp_switch::mcp_proto::{ProtocolVersion, Ready};
use serde_json::{json, Value};

use super::inspect::{Finding, FindingKind, Gathered};
use super::schema::cut;

/// How much of a message the text report shows (JSON shows more).
const SHOWN: usize = 600;
/// How much of a message the JSON report keeps.
const KEPT: usize = 64 * 1024;

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// One thing the check did.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) outcome: Outcome,
}

impl Step {
    pub(crate) fn new(name: impl Into<String>, outcome: Outcome) -> Step {
        Step {
            name: name.into(),
            outcome,
        }
    }
}

/// How a step went.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// It worked (with a detail, possibly empty).
    Ok(String),
    /// The server refused made-up arguments with an error: fine.
    Refused(String),
    /// It should have worked and did not.
    Failed(String),
    /// Not done, and why.
    Skipped(String),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::Refused(_) => "refused",
            Outcome::Failed(_) => "FAILED",
            Outcome::Skipped(_) => "skipped",
        }
    }

    fn detail(&self) -> &str {
        match self {
            Outcome::Ok(d) | Outcome::Refused(d) | Outcome::Failed(d) | Outcome::Skipped(d) => d,
        }
    }
}

/// Everything `mcp check` found.
pub(crate) struct Report {
    ready: Option<Ready>,
    /// The revision the messages were checked against.
    version: Option<ProtocolVersion>,
    gathered: Gathered,
    pub(crate) steps: Vec<Step>,
}

impl Report {
    pub(crate) fn new(
        ready: Option<Ready>,
        version: Option<ProtocolVersion>,
        gathered: Gathered,
    ) -> Report {
        Report {
            ready,
            version,
            gathered,
            steps: Vec::new(),
        }
    }

    /// The violations found.
    pub(crate) fn violations(&self) -> &[Finding] {
        &self.gathered.findings
    }

    fn failed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed(_)))
            .count()
    }

    /// No violation and no failed step.
    pub(crate) fn passed(&self) -> bool {
        self.gathered.findings.is_empty() && self.failed_steps() == 0
    }

    /// The verdict in one line.
    pub(crate) fn verdict(&self) -> String {
        let c = &self.gathered.counts;
        let version = self
            .version
            .map_or("negotiated".to_owned(), |v| v.to_string());
        let violations = self.gathered.total();
        let failed = self.failed_steps();
        let unchecked = c.received.saturating_sub(c.checked);
        format!(
            "{} message{} from the server checked against the {version} schema{}: {violations} violation{}, {failed} failed step{}",
            c.checked,
            plural(c.checked),
            if unchecked > 0 { format!(" ({unchecked} more were not JSON)") } else { String::new() },
            plural(violations as usize),
            plural(failed),
        )
    }

    /// Prints the report on stdout.
    pub(crate) fn print(&self, json: bool) {
        if json {
            let text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
            println!("{text}");
        } else {
            print!("{}", self.text());
        }
    }

    fn to_json(&self) -> Value {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| json!({"step": s.name, "outcome": s.outcome.label().to_lowercase(), "detail": s.outcome.detail()}))
            .collect();
        let findings: Vec<Value> = self
            .gathered
            .findings
            .iter()
            .map(|f| {
                json!({
                    "kind": match f.kind { FindingKind::Schema => "schema", FindingKind::Protocol => "protocol" },
                    "what": f.what,
                    "id": f.id,
                    "problems": f.problems.iter().map(|p| json!({"at": p.at, "error": p.error})).collect::<Vec<_>>(),
                    "message": f.message.as_deref().map(|m| cut(m, KEPT)),
                })
            })
            .collect();
        json!({
            "passed": self.passed(),
            "protocolVersion": self.version.map(ProtocolVersion::as_str),
            "era": self.ready.as_ref().map(|r| r.era.to_string()),
            "serverInfo": self.ready.as_ref().and_then(|r| r.server_info.clone()),
            "steps": steps,
            "violations": findings,
            "unlisted": self.gathered.unlisted,
            "notes": self.gathered.unknown,
            "received": self.gathered.counts.received,
            "checked": self.gathered.counts.checked,
            "verdict": self.verdict(),
        })
    }

    /// The findings with alike ones together (the same definition broken
    /// the same way by several messages): the first of each, and how many.
    fn groups(&self) -> Vec<(&Finding, usize)> {
        let mut groups: Vec<(&Finding, usize)> = Vec::new();
        for f in &self.gathered.findings {
            let alike = |g: &Finding| {
                g.kind == f.kind
                    && g.what == f.what
                    && (f.kind == FindingKind::Protocol || g.problems == f.problems)
            };
            match groups.iter_mut().find(|(g, _)| alike(g)) {
                Some((_, n)) => *n += 1,
                None => groups.push((f, 1)),
            }
        }
        groups
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let width = self
            .steps
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(48);
        for s in &self.steps {
            let detail = s.outcome.detail();
            let line = format!("{:<8} {:<width$}  {}", s.outcome.label(), s.name, detail);
            out.push_str(line.trim_end());
            out.push('\n');
        }
        let groups = self.groups();
        if !groups.is_empty() {
            let n = self.gathered.total();
            out.push_str(&format!("\n{n} violation{}:\n", plural(n as usize)));
            for (i, (f, count)) in groups.iter().enumerate() {
                let id =
                    f.id.as_ref()
                        .map(|id| format!(" (id {id})"))
                        .unwrap_or_default();
                out.push_str(&format!("\n{}. {}{id}\n", i + 1, f.what));
                for p in &f.problems {
                    let at = if p.at.is_empty() {
                        "(the message)"
                    } else {
                        &p.at
                    };
                    out.push_str(&format!("   at {at}: {}\n", p.error));
                }
                if let Some(m) = &f.message {
                    out.push_str(&format!("   message: {}\n", cut(m, SHOWN)));
                }
                if *count > 1 {
                    out.push_str(&format!(
                        "   ({} more messages broke it the same way; --json lists each)\n",
                        count - 1
                    ));
                }
            }
        }
        if self.gathered.unlisted > 0 {
            out.push_str(&format!(
                "\n({} more violations were counted, not listed)\n",
                self.gathered.unlisted
            ));
        }
        if !self.gathered.unknown.is_empty() {
            out.push_str("\nnotes:\n");
            for n in &self.gathered.unknown {
                out.push_str(&format!("   {n}\n"));
            }
        }
        out.push_str(&format!(
            "\n{}: {}\n",
            if self.passed() { "passed" } else { "FAILED" },
            self.verdict()
        ));
        out
    }
}
