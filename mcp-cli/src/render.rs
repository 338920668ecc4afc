//! Turning results into text for people: tables for lists, content blocks
//! as readable text. (`--json` bypasses all of this.)

use comfy_table::{presets, ContentArrangement, LineStyle, Table};
use mcp_switch::mcp_proto::model::{
    CallToolResult, ContentBlock, GetPromptResult, Prompt, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, Tool,
};
use serde_json::Value;

/// Longest description shown in a table cell.
const CELL: usize = 60;

fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    // Columns and an underlined header, nothing else: easy to read and to
    // paste, and stable for tests (no wrapping to the terminal's width).
    t.load_style(presets::NOTHING.header_separator(LineStyle::new(' ', '─', ' ', ' ')))
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for r in rows {
        t.add_row(r);
    }
    t.to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line of `text`, cut to `max` characters.
fn short(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

pub(crate) fn tools(tools: &[Tool]) -> String {
    let rows = tools
        .iter()
        .map(|t| {
            let required: Vec<&str> = t
                .input_schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let args = t
                .input_schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.keys()
                        .map(|k| {
                            if required.contains(&k.as_str()) {
                                format!("{k}*")
                            } else {
                                k.clone()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            vec![
                t.name.clone(),
                args,
                short(
                    t.description
                        .as_deref()
                        .or(t.title.as_deref())
                        .unwrap_or(""),
                    CELL,
                ),
            ]
        })
        .collect();
    format!(
        "{}\n(* = required argument)",
        table(&["TOOL", "ARGUMENTS", "DESCRIPTION"], rows)
    )
}

pub(crate) fn resources(resources: &[Resource]) -> String {
    let rows = resources
        .iter()
        .map(|r| {
            vec![
                r.uri.clone(),
                r.name.clone(),
                r.mime_type.clone().unwrap_or_default(),
                short(
                    r.description
                        .as_deref()
                        .or(r.title.as_deref())
                        .unwrap_or(""),
                    CELL,
                ),
            ]
        })
        .collect();
    table(&["URI", "NAME", "TYPE", "DESCRIPTION"], rows)
}

pub(crate) fn templates(templates: &[ResourceTemplate]) -> String {
    let rows = templates
        .iter()
        .map(|r| {
            vec![
                r.uri_template.clone(),
                r.name.clone(),
                short(
                    r.description
                        .as_deref()
                        .or(r.title.as_deref())
                        .unwrap_or(""),
                    CELL,
                ),
            ]
        })
        .collect();
    table(&["URI TEMPLATE", "NAME", "DESCRIPTION"], rows)
}

pub(crate) fn prompts(prompts: &[Prompt]) -> String {
    let rows = prompts
        .iter()
        .map(|p| {
            let args = p
                .arguments
                .iter()
                .flatten()
                .map(|a| {
                    if a.required == Some(true) {
                        format!("{}*", a.name)
                    } else {
                        a.name.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            vec![
                p.name.clone(),
                args,
                short(
                    p.description
                        .as_deref()
                        .or(p.title.as_deref())
                        .unwrap_or(""),
                    CELL,
                ),
            ]
        })
        .collect();
    format!(
        "{}\n(* = required argument)",
        table(&["PROMPT", "ARGUMENTS", "DESCRIPTION"], rows)
    )
}

/// Content blocks, one after another.
pub(crate) fn content(blocks: &[ContentBlock]) -> String {
    let mut out = Vec::new();
    for b in blocks {
        out.push(match b {
            ContentBlock::Text(t) => t.text.clone(),
            ContentBlock::Image(i) => {
                format!("[image: {}, {} bytes]", i.mime_type, base64_len(&i.data))
            }
            ContentBlock::Audio(a) => {
                format!("[audio: {}, {} bytes]", a.mime_type, base64_len(&a.data))
            }
            ContentBlock::ResourceLink(l) => format!("[link: {} ({})]", l.uri, l.name),
            ContentBlock::Resource(r) => contents_one(&r.resource),
            other => format!("[{} content]", other.type_name()),
        });
    }
    out.join("\n")
}

pub(crate) fn tool_result(r: &CallToolResult) -> String {
    let mut out = content(&r.content);
    if let Some(s) = &r.structured_content {
        // Servers should repeat structured output as text; show it only
        // when they did not.
        let repeated = r.content.iter().any(|c| match c {
            ContentBlock::Text(t) => {
                serde_json::from_str::<Value>(&t.text).ok().as_ref() == Some(s)
            }
            _ => false,
        });
        if !repeated {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&serde_json::to_string_pretty(s).unwrap_or_default());
        }
    }
    out
}

fn contents_one(c: &ResourceContents) -> String {
    match c {
        ResourceContents::Text(t) => t.text.clone(),
        ResourceContents::Blob(b) => format!(
            "[binary: {}, {} bytes (--json shows the base64)]",
            b.mime_type.as_deref().unwrap_or("unknown type"),
            base64_len(&b.blob)
        ),
        ResourceContents::Unknown(m) => Value::Object(m.clone()).to_string(),
    }
}

pub(crate) fn read_result(r: &ReadResourceResult) -> String {
    r.contents
        .iter()
        .map(contents_one)
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn prompt(p: &GetPromptResult) -> String {
    let mut out = Vec::new();
    if let Some(d) = &p.description {
        out.push(format!("({d})"));
    }
    for m in &p.messages {
        out.push(format!(
            "[{}] {}",
            m.role,
            content(std::slice::from_ref(&m.content))
        ));
    }
    out.join("\n")
}

/// What a server offers, in a line.
pub(crate) fn capabilities(c: &ServerCapabilities) -> String {
    let mut parts = Vec::new();
    let changes = |on: Option<bool>| {
        if on == Some(true) {
            " (list changes)"
        } else {
            ""
        }
    };
    if let Some(t) = &c.tools {
        parts.push(format!("tools{}", changes(t.list_changed)));
    }
    if let Some(r) = &c.resources {
        let mut extras = Vec::new();
        if r.subscribe == Some(true) {
            extras.push("subscribe");
        }
        if r.list_changed == Some(true) {
            extras.push("list changes");
        }
        parts.push(if extras.is_empty() {
            "resources".into()
        } else {
            format!("resources ({})", extras.join(", "))
        });
    }
    if let Some(p) = &c.prompts {
        parts.push(format!("prompts{}", changes(p.list_changed)));
    }
    if c.completions.is_some() {
        parts.push("completions".into());
    }
    if c.logging.is_some() {
        parts.push("logging".into());
    }
    if let Some(e) = &c.extensions {
        parts.extend(e.keys().map(|k| format!("extension {k}")));
    }
    if parts.is_empty() {
        "nothing it advertises".into()
    } else {
        parts.join(", ")
    }
}

/// Bytes encoded by a base64 string.
fn base64_len(data: &str) -> usize {
    let pad = data.bytes().rev().take_while(|b| *b == b'=').count();
    (data.len() / 4 * 3).saturating_sub(pad)
}
