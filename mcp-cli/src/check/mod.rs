//! `mcp check`: drives a server through every feature it advertises and
//! checks every message it sends against the JSON schema of the negotiated
//! revision. A tool for people who write servers.
//!
//! What is driven, in order: the handshake, `ping`, the log level (when
//! `logging` is offered), the tool list and calls (read-only tools unless
//! told otherwise, each with arguments made from its input schema), the
//! resource list, reads, templates and a subscription, the prompt list and
//! renderings, the task list (2025-11-25), and completions of every prompt
//! argument and template variable. Every message the server sends meanwhile (answers, requests,
//! notifications) is checked as it comes, by [`inspect`].
//!
//! The exit code is 1 when a message breaks the schema, the client's core
//! saw a breach of the protocol, or a step the spec says must work did not
//! (a list the server advertises, a read of a resource it listed, a ping).
//! A tool or prompt refusing made-up arguments is reported, not counted.

mod formats;
mod inspect;
mod report;
mod schema;

use std::sync::Arc;

use mcp_switch::mcp_proto::example;
use mcp_switch::mcp_proto::model::{JsonObject, LoggingLevel, ServerCapabilities};
use mcp_switch::mcp_proto::{EraPreference, ProtocolVersion, RequestError, Subscription};
use mcp_switch::prelude::*;
use serde_json::{json, Value};

use crate::cli::{CheckArgs, Global, Target, ToolCalls};
use crate::term::Term;
use crate::Failure;

pub(crate) use inspect::Inspector;
use report::{Outcome, Report, Step};

/// Runs `mcp check` and prints its report.
pub(crate) fn run(
    target: &Target,
    opts: &Global,
    args: &CheckArgs,
    term: Arc<Term>,
) -> Result<(), Failure> {
    // A check never stops to ask: elicitations are declined, sampling
    // refused (the server's requests are checked all the same).
    let opts = &Global {
        no_input: true,
        ..opts.clone()
    };
    let inspector = Arc::new(Inspector::new(opts.wire));
    let version = args.protocol_version;
    let connected = crate::session::connect_with(target, opts, term, inspector.clone(), |cfg| {
        // Whole frames, unredacted: the schema needs every byte.
        cfg.wire_tap = true;
        cfg.redact_keys.clear();
        cfg.limits.max_wire_record = cfg.limits.max_frame_size;
        // Every read goes to the server, so every answer is checked.
        cfg.cache = false;
        if let Some(v) = version {
            cfg.versions = vec![v];
            cfg.era = match v.era() {
                mcp_switch::mcp_proto::Era::Legacy => EraPreference::Legacy,
                mcp_switch::mcp_proto::Era::Modern => EraPreference::Modern,
            };
        }
    });
    let client = match connected {
        Ok(c) => c,
        Err(failure) => {
            // The handshake's own messages may be why: show what was found.
            // A server that answered, wrongly, failed the check (exit 1); one
            // that could not be reached is a connection failure (exit 3).
            if let Some(v) = inspector.guess_version() {
                inspector.negotiated(v);
                let mut report = Report::new(None, Some(v), inspector.gathered());
                report.steps.push(Step::new(
                    "handshake",
                    Outcome::Failed(failure_text(&failure)),
                ));
                report.print(opts.json);
                if !report.violations().is_empty() {
                    return Err(Failure::Server(
                        "the server's handshake broke the protocol (the report is above)".into(),
                    ));
                }
            }
            return Err(failure);
        }
    };
    let ready = client.ready();
    if let Some(r) = &ready {
        inspector.negotiated(r.version);
    }
    let mut driver = Driver {
        client: &client,
        steps: Vec::new(),
        limit: args.limit,
        tools: args.call_tools,
    };
    if let Some(r) = &ready {
        let who = r.server_info.as_ref().map_or("the server".to_owned(), |i| {
            format!("{} {}", i.name, i.version)
        });
        driver.steps.push(Step::new(
            "handshake",
            Outcome::Ok(format!("{who} speaks {} ({} era)", r.version, r.era)),
        ));
        driver.all(&r.capabilities);
    }
    let steps = std::mem::take(&mut driver.steps);
    client.close();
    let version = ready.as_ref().map(|r| r.version);
    let mut report = Report::new(ready, version, inspector.gathered());
    report.steps = steps;
    report.print(opts.json);
    if report.passed() {
        Ok(())
    } else {
        Err(Failure::Server(
            "the server did not pass the check (the report is above)".into(),
        ))
    }
}

fn failure_text(f: &Failure) -> String {
    match f {
        Failure::Server(m) | Failure::Usage(m) | Failure::Connect(m) => m.clone(),
    }
}

/// Whether an error answer fails the check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The spec says this works when the feature is advertised.
    Success,
    /// Made-up arguments may be refused; only no answer at all fails.
    Answer,
}

/// Runs the steps and records their outcomes.
struct Driver<'a> {
    client: &'a Client,
    steps: Vec<Step>,
    limit: usize,
    tools: ToolCalls,
}

impl Driver<'_> {
    fn all(&mut self, caps: &ServerCapabilities) {
        self.step("ping", Expect::Success, |c| c.ping().map(|_| Value::Null));
        if caps.logging.is_some() {
            self.step("logging/setLevel debug", Expect::Success, |c| {
                c.set_log_level(LoggingLevel::Debug).map(|_| Value::Null)
            });
        }
        if caps.tools.is_some() {
            self.tools();
        }
        let mut templates = Vec::new();
        if let Some(resources) = &caps.resources {
            templates = self.resources(resources.subscribe == Some(true));
        }
        let mut prompts = Vec::new();
        if caps.prompts.is_some() {
            prompts = self.list("prompts/list", "prompts");
        }
        // Tasks (2025-11-25): the list, when offered.
        if caps.tasks.as_ref().is_some_and(|t| t.contains_key("list")) {
            self.list("tasks/list", "tasks");
        }
        let completions = caps.completions.is_some();
        self.prompts(&prompts, completions);
        if completions {
            self.complete_templates(&templates);
        }
    }

    /// Runs one step; the result when there was one.
    fn step(
        &mut self,
        name: impl Into<String>,
        expect: Expect,
        f: impl FnOnce(&Client) -> Result<Value, Error>,
    ) -> Option<Value> {
        let name = name.into();
        let (outcome, value) = match f(self.client) {
            Ok(v) => (Outcome::Ok(String::new()), Some(v)),
            Err(e @ Error::Server(_)) if expect == Expect::Answer => {
                (Outcome::Refused(e.to_string()), None)
            }
            // The check answers no input request; a call that needs one
            // ends here, through no fault of the server.
            Err(Error::Request(r)) if matches!(*r, RequestError::InputRefused { .. }) => {
                (Outcome::Refused(r.to_string()), None)
            }
            Err(e) => (Outcome::Failed(e.to_string()), None),
        };
        self.steps.push(Step::new(name, outcome));
        value
    }

    /// Adds a detail to the last step, if it went well.
    fn detail(&mut self, text: String) {
        if let Some(Step {
            outcome: Outcome::Ok(d),
            ..
        }) = self.steps.last_mut()
        {
            *d = text;
        }
    }

    fn request(
        &mut self,
        name: String,
        expect: Expect,
        method: &str,
        params: Value,
    ) -> Option<Value> {
        let params = match params {
            Value::Object(m) => m,
            _ => JsonObject::new(),
        };
        let method = method.to_owned();
        self.step(name, expect, move |c| c.request_raw(&method, params))
    }

    /// A whole list (the core follows the cursors); its items.
    fn list(&mut self, method: &str, key: &str) -> Vec<Value> {
        let got = self.request(method.to_owned(), Expect::Success, method, json!({}));
        let items = got
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if got.is_some() {
            self.detail(format!("{key}: {}", items.len()));
        }
        items
    }

    /// Notes the items past the limit that were not tried.
    fn past_limit(&mut self, what: &str, total: usize) {
        if total > self.limit {
            self.steps.push(Step::new(
                what,
                Outcome::Skipped(format!(
                    "{} more not tried (--limit {})",
                    total - self.limit,
                    self.limit
                )),
            ));
        }
    }

    fn tools(&mut self) {
        let tools = self.list("tools/list", "tools");
        if self.tools == ToolCalls::None {
            let why = format!("{} tools not called (--call-tools none)", tools.len());
            self.steps
                .push(Step::new("tools/call", Outcome::Skipped(why)));
            return;
        }
        for tool in tools.iter().take(self.limit) {
            let name = tool["name"].as_str().unwrap_or_default().to_owned();
            let step = format!("tools/call {name}");
            let read_only = tool.pointer("/annotations/readOnlyHint") == Some(&Value::Bool(true));
            if self.tools == ToolCalls::ReadOnly && !read_only {
                let why = "not annotated read-only (--call-tools all calls it)".to_owned();
                self.steps.push(Step::new(step, Outcome::Skipped(why)));
                continue;
            }
            let arguments = match tool.get("inputSchema") {
                Some(Value::Object(schema)) => Value::Object(example::arguments(schema)),
                _ => json!({}),
            };
            let got = self.request(
                step,
                Expect::Answer,
                "tools/call",
                json!({"name": name, "arguments": arguments}),
            );
            if got.is_some_and(|r| r["isError"] == json!(true)) {
                self.detail("the tool reported an error (isError)".into());
            }
        }
        self.past_limit("tools/call", tools.len());
    }

    /// The resource steps; the templates, for completion.
    fn resources(&mut self, subscribe: bool) -> Vec<Value> {
        let resources = self.list("resources/list", "resources");
        for r in resources.iter().take(self.limit) {
            let uri = r["uri"].as_str().unwrap_or_default().to_owned();
            self.request(
                format!("resources/read {uri}"),
                Expect::Success,
                "resources/read",
                json!({"uri": uri}),
            );
        }
        self.past_limit("resources/read", resources.len());
        let templates = self.list("resources/templates/list", "resourceTemplates");
        let first = resources.first().and_then(|r| r["uri"].as_str());
        if let (true, Some(uri)) = (subscribe, first) {
            let uri = uri.to_owned();
            let what = Subscription::Resource(uri.clone());
            self.step(format!("subscribe {uri}"), Expect::Success, |c| {
                c.subscribe(what).map(|o| json!(o.honored))
            });
            let what = Subscription::Resource(uri.clone());
            self.step(format!("unsubscribe {uri}"), Expect::Success, |c| {
                c.unsubscribe(what).map(|_| Value::Null)
            });
        }
        templates
    }

    /// Completes every argument of the prompts (when offered), then renders
    /// each prompt with a completed or made-up value for its required ones.
    fn prompts(&mut self, prompts: &[Value], completions: bool) {
        for p in prompts.iter().take(self.limit) {
            let name = p["name"].as_str().unwrap_or_default().to_owned();
            let mut arguments = JsonObject::new();
            for a in p["arguments"].as_array().into_iter().flatten() {
                let arg = a["name"].as_str().unwrap_or_default().to_owned();
                let mut value = None;
                if completions {
                    let got = self.request(
                        format!("completion/complete {name} {arg}"),
                        Expect::Answer,
                        "completion/complete",
                        json!({"ref": {"type": "ref/prompt", "name": name},
                               "argument": {"name": arg, "value": ""}}),
                    );
                    value = got
                        .as_ref()
                        .and_then(|r| r.pointer("/completion/values/0"))
                        .cloned();
                }
                if a["required"] == json!(true) {
                    arguments.insert(arg, value.unwrap_or_else(|| json!("example")));
                }
            }
            self.request(
                format!("prompts/get {name}"),
                Expect::Answer,
                "prompts/get",
                json!({"name": name, "arguments": arguments}),
            );
        }
        self.past_limit("prompts/get", prompts.len());
    }

    fn complete_templates(&mut self, templates: &[Value]) {
        for t in templates.iter().take(self.limit) {
            let uri = t["uriTemplate"].as_str().unwrap_or_default().to_owned();
            for var in variables(&uri) {
                self.request(
                    format!("completion/complete {uri} {var}"),
                    Expect::Answer,
                    "completion/complete",
                    json!({"ref": {"type": "ref/resource", "uri": uri},
                           "argument": {"name": var, "value": ""}}),
                );
            }
        }
        self.past_limit("completion/complete", templates.len());
    }
}

/// The variable names of a URI template (RFC 6570): `{a}`, `{+a}`,
/// `{?a,b*}`, `{a:3}`.
fn variables(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner =
            rest[start + 1..start + len].trim_start_matches(['+', '#', '.', '/', ';', '?', '&']);
        for v in inner.split(',') {
            let name = v
                .split(':')
                .next()
                .unwrap_or_default()
                .trim_end_matches('*');
            if !name.is_empty() && !out.iter().any(|o| o == name) {
                out.push(name.to_owned());
            }
        }
        rest = &rest[start + len + 1..];
    }
    out
}

/// The revisions `--protocol-version` accepts.
pub(crate) fn parse_version(s: &str) -> Result<ProtocolVersion, String> {
    s.parse().map_err(|_| {
        let known: Vec<&str> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
        format!(
            "{s:?} is not a revision this client knows ({})",
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_variables_in_every_form() {
        assert_eq!(variables("file:///{path}"), ["path"]);
        assert_eq!(
            variables("https://x/{+base}/items{?page,size*}{#frag}{id:3}{page}"),
            ["base", "page", "size", "frag", "id"]
        );
        assert!(variables("plain://uri").is_empty());
        assert!(variables("broken://{open").is_empty());
    }

    #[test]
    fn protocol_versions_are_parsed_with_the_choices_in_the_error() {
        assert_eq!(
            parse_version("2025-06-18"),
            Ok(ProtocolVersion::V2025_06_18)
        );
        let e = parse_version("2023-01-01").unwrap_err();
        assert!(e.contains("2024-11-05") && e.contains("2026-07-28"), "{e}");
    }
}
