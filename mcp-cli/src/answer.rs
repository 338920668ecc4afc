//! Answering the server's questions at the terminal: elicitation forms field
//! by field, URL elicitations by consent, sampling by asking the person to
//! play the model, and the working directory as the one root.

use std::sync::Arc;

use mcp_switch::mcp_proto::handler::InputHandler;
use mcp_switch::mcp_proto::model::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitRequestFormParams,
    ElicitRequestParams, ElicitRequestUrlParams, ElicitResult, ElicitationCapability, InputRequest,
    JsonObject, ListRootsResult, NumberKind, PrimitiveSchemaDefinition, Root, RootsCapability,
    SamplingCapability, SamplingContent,
};
use mcp_switch::mcp_proto::{InputAnswer, InputNeeded};
use serde_json::{json, Value};

use crate::term::Term;

/// How many times a field is asked again after an answer that does not fit.
const RETRIES: usize = 3;

/// Answers input requests at the terminal, or declines them all.
pub(crate) struct TerminalAnswers {
    pub(crate) term: Arc<Term>,
    pub(crate) no_input: bool,
}

impl InputHandler for TerminalAnswers {
    fn capabilities(&self) -> ClientCapabilities {
        // Declared even with --no-input, so servers show these features;
        // the answer is then a decline or a refusal.
        ClientCapabilities {
            elicitation: Some(ElicitationCapability {
                form: Some(JsonObject::new()),
                url: Some(JsonObject::new()),
                extra: JsonObject::new(),
            }),
            sampling: Some(SamplingCapability::default()),
            roots: Some(RootsCapability::default()),
            ..ClientCapabilities::default()
        }
    }

    fn answer(&self, input: &InputNeeded) -> InputAnswer {
        let request = &input.request;
        match request {
            InputRequest::ListRoots(_) => {
                let cwd = std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|_| "/".into());
                InputAnswer::Roots(ListRootsResult::new(vec![Root::new(format!(
                    "file://{cwd}"
                ))]))
            }
            _ if self.no_input => {
                let what = match request {
                    InputRequest::Elicit(_) => "a question",
                    _ => "a model reply",
                };
                self.term.say(&format!(
                    "(the server asked for {what}; declined because of --no-input)"
                ));
                InputAnswer::Refuse {
                    reason: Some("the user runs mcp with --no-input".into()),
                }
            }
            InputRequest::Elicit(ElicitRequestParams::Form(form)) => self
                .term
                .exclusive(|t| InputAnswer::Elicit(ask_form(t, form))),
            InputRequest::Elicit(ElicitRequestParams::Url(url)) => self
                .term
                .exclusive(|t| InputAnswer::Elicit(ask_url(t, url))),
            InputRequest::Elicit(_) => InputAnswer::Refuse { reason: None },
            InputRequest::Sample(req) => self.term.exclusive(|t| ask_sample(t, req)),
        }
    }
}

fn ask_form(t: &Term, form: &ElicitRequestFormParams) -> ElicitResult {
    t.say(&format!("\nThe server asks: {}", form.message));
    match t.ask("Answer? [Y/n] ").as_deref() {
        None => return ElicitResult::cancel(),
        Some(a) if a.eq_ignore_ascii_case("n") || a.eq_ignore_ascii_case("no") => {
            return ElicitResult::decline()
        }
        _ => {}
    }
    let required = form.requested_schema.required.clone().unwrap_or_default();
    let mut content = JsonObject::new();
    for (name, schema) in &form.requested_schema.properties {
        let is_required = required.contains(name);
        match ask_field(t, name, schema, is_required) {
            Field::Value(v) => {
                content.insert(name.clone(), v);
            }
            Field::Skip => {}
            Field::EndOfInput => return ElicitResult::cancel(),
        }
    }
    ElicitResult::accept(content)
}

enum Field {
    Value(Value),
    Skip,
    EndOfInput,
}

/// Asks for one field until the answer fits its schema (or gives up and
/// skips it, leaving the server to complain about a missing required one).
fn ask_field(t: &Term, name: &str, schema: &PrimitiveSchemaDefinition, required: bool) -> Field {
    use PrimitiveSchemaDefinition as P;
    let label = schema
        .title()
        .map_or(name.to_owned(), |title| format!("{title} ({name})"));
    let (kind, default, options): (String, Option<Value>, Vec<(String, String)>) = match schema {
        P::String(s) => (
            s.format
                .as_ref()
                .map_or("text".into(), |f| format!("text, {f}")),
            s.default.clone().map(Value::from),
            Vec::new(),
        ),
        P::Number(n) => (
            match n.kind {
                NumberKind::Integer => "whole number".into(),
                _ => "number".into(),
            },
            n.default.clone().map(Value::Number),
            Vec::new(),
        ),
        P::Boolean(b) => ("yes/no".into(), b.default.map(Value::from), Vec::new()),
        P::UntitledSingleSelectEnum(e) => (
            "one of".into(),
            e.default.clone().map(Value::from),
            e.r#enum.iter().map(|v| (v.clone(), v.clone())).collect(),
        ),
        P::TitledSingleSelectEnum(e) => (
            "one of".into(),
            e.default.clone().map(Value::from),
            e.one_of
                .iter()
                .map(|o| (o.r#const.clone(), o.title.clone()))
                .collect(),
        ),
        P::LegacyTitledEnum(e) => (
            "one of".into(),
            e.default.clone().map(Value::from),
            e.r#enum
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        v.clone(),
                        e.enum_names
                            .as_ref()
                            .and_then(|n| n.get(i))
                            .cloned()
                            .unwrap_or_else(|| v.clone()),
                    )
                })
                .collect(),
        ),
        P::UntitledMultiSelectEnum(e) => (
            "any of, comma separated".into(),
            e.default.clone().map(Value::from),
            e.items
                .r#enum
                .iter()
                .map(|v| (v.clone(), v.clone()))
                .collect(),
        ),
        P::TitledMultiSelectEnum(e) => (
            "any of, comma separated".into(),
            e.default.clone().map(Value::from),
            e.items
                .any_of
                .iter()
                .map(|o| (o.r#const.clone(), o.title.clone()))
                .collect(),
        ),
        P::Unknown(_) => ("text".into(), None, Vec::new()),
    };
    let multi = matches!(
        schema,
        P::UntitledMultiSelectEnum(_) | P::TitledMultiSelectEnum(_)
    );
    for (i, (_, title)) in options.iter().enumerate() {
        t.say(&format!("    {}) {title}", i + 1));
    }
    let default_note = default
        .as_ref()
        .map(|d| format!(" [{d}]"))
        .unwrap_or_default();
    let req_note = if required { ", required" } else { "" };
    for _ in 0..RETRIES {
        let Some(line) = t.ask(&format!("  {label} ({kind}{req_note}){default_note}: ")) else {
            return Field::EndOfInput;
        };
        let line = line.trim();
        if line.is_empty() {
            match (&default, required) {
                (Some(d), _) => return Field::Value(d.clone()),
                (None, false) => return Field::Skip,
                (None, true) => {
                    t.say("  (required)");
                    continue;
                }
            }
        }
        let pick = |s: &str| -> Option<String> {
            let s = s.trim();
            s.parse::<usize>()
                .ok()
                .and_then(|n| options.get(n.wrapping_sub(1)))
                .or_else(|| {
                    options
                        .iter()
                        .find(|(v, title)| v == s || title.eq_ignore_ascii_case(s))
                })
                .map(|(v, _)| v.clone())
        };
        let parsed = match schema {
            P::Number(n) => line
                .parse::<f64>()
                .ok()
                .filter(|x| !matches!(n.kind, NumberKind::Integer) || x.fract() == 0.0)
                .map(|x| {
                    if matches!(n.kind, NumberKind::Integer) {
                        json!(x as i64)
                    } else {
                        json!(x)
                    }
                }),
            P::Boolean(_) => match line.to_ascii_lowercase().as_str() {
                "y" | "yes" | "true" => Some(json!(true)),
                "n" | "no" | "false" => Some(json!(false)),
                _ => None,
            },
            _ if multi => line
                .split(',')
                .map(pick)
                .collect::<Option<Vec<_>>>()
                .map(Value::from),
            _ if !options.is_empty() => pick(line).map(Value::from),
            _ => Some(json!(line)),
        };
        match parsed {
            Some(v) => return Field::Value(v),
            None => t.say(&format!("  that is not {kind}; try again")),
        }
    }
    Field::Skip
}

fn ask_url(t: &Term, url: &ElicitRequestUrlParams) -> ElicitResult {
    t.say(&format!(
        "\nThe server asks you to open a page: {}\n  {}",
        url.message, url.url
    ));
    t.say("  (mcp does not open it for you: check the address, open it in your browser)");
    match t
        .ask("Press Enter once done, or type n to decline: ")
        .as_deref()
    {
        None => ElicitResult::cancel(),
        Some(a) if a.trim().eq_ignore_ascii_case("n") => ElicitResult::decline(),
        Some(_) => ElicitResult::accept_url(),
    }
}

fn ask_sample(t: &Term, req: &CreateMessageRequestParams) -> InputAnswer {
    t.say("\nThe server asks for a reply from a language model. The conversation:");
    if let Some(system) = &req.system_prompt {
        t.say(&format!("  [system] {system}"));
    }
    for m in &req.messages {
        for c in m.content.iter() {
            let text = match c {
                SamplingContent::Text(x) => x.text.clone(),
                other => format!("({} content)", other.type_name()),
            };
            t.say(&format!("  [{}] {text}", m.role));
        }
    }
    match t.ask("Type the reply (empty refuses): ") {
        Some(reply) if !reply.trim().is_empty() => {
            let result: Result<CreateMessageResult, _> = serde_json::from_value(json!({
                "role": "assistant",
                "content": {"type": "text", "text": reply.trim()},
                "model": "human-at-the-terminal",
                "stopReason": "endTurn"
            }));
            match result {
                Ok(r) => InputAnswer::Sample(r),
                Err(e) => InputAnswer::Refuse {
                    reason: Some(e.to_string()),
                },
            }
        }
        _ => InputAnswer::Refuse {
            reason: Some("the user gave no reply".into()),
        },
    }
}
