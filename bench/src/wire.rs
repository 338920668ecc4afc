//! The bytes our client writes, made by the core itself, so that the raw
//! pipe floor writes exactly what the client writes and the two measure
//! the same conversation.
//!
//! [`script`] runs a core (no I/O) against the [`BenchServer`] in memory
//! and records every frame the core sends: the handshake, then one
//! `tools/call` and one `tools/list` as templates whose request id can be
//! replaced.

use std::time::Instant;

use mcp_proto::methods::{CallTool, ListTools};
use mcp_proto::model::{CallToolRequestParams, Implementation, PaginatedRequestParams};
use mcp_proto::{Client, Config, EraPreference, Output, RequestOptions};
use serde_json::{json, Value};

use crate::cli::Era;
use crate::server::BenchServer;

/// The client configuration of every benchmark run: the era is given, not
/// detected; `lift_line_cap` removes the frame size limit.
pub fn config(era: Era, lift_line_cap: bool) -> Config {
    let mut cfg = Config::new(Implementation::new(
        "mcp-bench-client",
        env!("CARGO_PKG_VERSION"),
    ));
    cfg.era = match era {
        Era::Legacy => EraPreference::Legacy,
        Era::Modern => EraPreference::Modern,
    };
    if lift_line_cap {
        cfg.limits.max_frame_size = usize::MAX;
    }
    cfg
}

/// The `tools/call` arguments of a workload.
pub fn echo_args() -> Value {
    json!({"text": "hello"})
}

/// The `blob` arguments for `bytes` bytes.
pub fn blob_args(bytes: usize) -> Value {
    json!({"n": bytes, "kind": "image"})
}

/// One request frame with a replaceable id.
#[derive(Clone, Debug)]
pub struct Template {
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    /// The id the core gave it.
    pub id: u64,
}

impl Template {
    /// Splits `frame` (one line, newline included) around its numeric id.
    pub fn from_frame(frame: &[u8]) -> Option<Template> {
        let v: Value = serde_json::from_slice(frame).ok()?;
        let id = v.get("id")?.as_u64()?;
        let needle = format!("\"id\":{id}");
        let at = memchr::memmem::find_iter(frame, needle.as_bytes())
            .find(|&at| matches!(frame.get(at + needle.len()), Some(b',' | b'}')))?;
        Some(Template {
            prefix: frame[..at + 5].to_vec(),
            suffix: frame[at + needle.len()..].to_vec(),
            id,
        })
    }

    /// Appends the frame with request id `id` to `out`.
    pub fn write(&self, id: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(itoa::Buffer::new().format(id).as_bytes());
        out.extend_from_slice(&self.suffix);
    }

    /// The frame with request id `id`.
    pub fn frame(&self, id: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.prefix.len() + self.suffix.len() + 20);
        self.write(id, &mut out);
        out
    }
}

/// One write of the handshake and how many response lines answer it.
#[derive(Clone, Debug)]
pub struct Step {
    /// The bytes written.
    pub bytes: Vec<u8>,
    /// Response lines to read before the next step.
    pub replies: usize,
}

/// The conversation our client has with the bench server, as bytes.
#[derive(Clone, Debug)]
pub struct Script {
    /// The handshake, write by write.
    pub handshake: Vec<Step>,
    /// The first `tools/call` after the handshake; later calls count up
    /// from its id.
    pub call: Template,
    /// `tools/list` as the first request after the handshake (W4).
    pub list: Template,
}

/// Records what a core configured by [`config`] writes in `era` when it
/// calls `tool` with `arguments`.
pub fn script(era: Era, tool: &str, arguments: &Value) -> Result<Script, String> {
    let now = Instant::now();
    let handshake_core = || -> Result<(Client, Vec<Step>), String> {
        let mut core = Client::new(config(era, false), now);
        let mut server = BenchServer::new();
        let mut steps = Vec::new();
        for _ in 0..8 {
            let mut wrote = Vec::new();
            while let Some(out) = core.poll_output() {
                if let Output::Transmit(bytes) = out {
                    wrote.extend_from_slice(&bytes);
                }
            }
            if wrote.is_empty() {
                break;
            }
            let mut answers = Vec::new();
            let mut replies = 0;
            for line in wrote.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let before = answers.len();
                server.handle(line, &mut answers);
                replies += usize::from(answers.len() > before);
            }
            steps.push(Step {
                bytes: wrote,
                replies,
            });
            core.handle_bytes(now, &answers)
                .map_err(|e| e.to_string())?;
        }
        if !core.is_ready() {
            return Err(format!(
                "the core did not become ready in {era} against the bench server"
            ));
        }
        Ok((core, steps))
    };

    let (mut core, handshake) = handshake_core()?;
    let mut params = CallToolRequestParams::new(tool);
    params.arguments = arguments.as_object().cloned();
    core.request::<CallTool>(now, &params, RequestOptions::default())
        .map_err(|e| e.to_string())?;
    let call = first_frame(&mut core).ok_or("the core sent no tools/call")?;

    let (mut core, _) = handshake_core()?;
    core.request::<ListTools>(
        now,
        &PaginatedRequestParams::default(),
        RequestOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let list = first_frame(&mut core).ok_or("the core sent no tools/list")?;
    Ok(Script {
        handshake,
        call,
        list,
    })
}

fn first_frame(core: &mut Client) -> Option<Template> {
    while let Some(out) = core.poll_output() {
        if let Output::Transmit(bytes) = out {
            return Template::from_frame(&bytes);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_replace_the_id_only() {
        let t = Template::from_frame(
            b"{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"m\",\"params\":{\"id\":12}}\n",
        )
        .unwrap();
        assert_eq!(t.id, 12);
        assert_eq!(
            t.frame(7),
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"m\",\"params\":{\"id\":12}}\n"
        );
    }

    #[test]
    fn scripts_of_both_eras() {
        let legacy = script(Era::Legacy, "echo", &echo_args()).unwrap();
        let first = String::from_utf8(legacy.handshake[0].bytes.clone()).unwrap();
        assert!(
            first.contains("\"initialize\"") && first.contains("2025-11-25"),
            "{first}"
        );
        assert_eq!(legacy.handshake[0].replies, 1);
        let last = legacy.handshake.last().unwrap();
        assert!(String::from_utf8_lossy(&last.bytes).contains("notifications/initialized"));
        assert_eq!(last.replies, 0);
        let call: Value = serde_json::from_slice(&legacy.call.frame(99)).unwrap();
        assert_eq!(call["id"], 99);
        assert_eq!(call["params"]["arguments"], echo_args());

        let modern = script(Era::Modern, "echo", &echo_args()).unwrap();
        assert!(String::from_utf8_lossy(&modern.handshake[0].bytes).contains("server/discover"));
        let call: Value = serde_json::from_slice(&modern.call.frame(5)).unwrap();
        assert_eq!(
            call["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        let list: Value = serde_json::from_slice(&modern.list.frame(5)).unwrap();
        assert_eq!(list["method"], "tools/list");
    }
}
