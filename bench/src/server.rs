//! The fixed bench server: tools `echo` and `blob`, both eras, as little
//! work per request as a real server can do (one borrowed parse of the
//! request, a response written straight into the output buffer).
//!
//! Sans-IO like the client: [`BenchServer::handle`] takes one request line
//! and appends the response line. `mcp-bench-server` serves it over stdio.
//!
//! - `echo {"text": T}`: one text content item `T`.
//! - `blob {"n": B, "kind": "image"}`: one image content item whose `data`
//!   is the base64 of B fixed pseudo-random bytes (`kind: "text"` gives the
//!   same base64 as a text item).
//!
//! A request carrying the 2026-07-28 `_meta` protocol version is answered
//! the modern way (`resultType`, `ttlMs`, `cacheScope`); `server/discover`
//! and `initialize` are both answered.

use std::borrow::Cow;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The modern revision.
const MODERN: &str = "2026-07-28";
/// The legacy revisions `initialize` agrees to; the newest is the answer to
/// anything else.
const LEGACY: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
const SERVER_INFO: &str = r#"{"name":"mcp-bench-server","version":"0.1.0"}"#;
const TOOLS: &str = r#"[{"name":"echo","description":"Returns its text.","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}},{"name":"blob","description":"Returns n bytes of fixed data, base64.","inputSchema":{"type":"object","properties":{"n":{"type":"integer","minimum":0},"kind":{"type":"string","enum":["image","text"]}},"required":["n"]}}]"#;
/// The largest blob served: a request for more is refused.
pub const MAX_BLOB: usize = 1 << 30;

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<ToolArgs<'a>>,
    #[serde(rename = "protocolVersion", borrow)]
    protocol_version: Option<Cow<'a, str>>,
    #[serde(rename = "_meta", borrow)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow)]
    version: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ToolArgs<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    n: Option<usize>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
}

/// The server; it keeps the last blob it encoded, so W3 measures the
/// client and the pipe, not base64 encoding in the server.
#[derive(Default)]
pub struct BenchServer {
    blob: Option<(usize, String)>,
}

impl BenchServer {
    /// A new server.
    pub fn new() -> BenchServer {
        BenchServer::default()
    }

    /// Handles one line (without its newline) and appends the response
    /// line, if the line wants one, to `out`.
    pub fn handle(&mut self, line: &[u8], out: &mut Vec<u8>) {
        let msg: Message<'_> = match serde_json::from_slice(line) {
            Ok(m) => m,
            Err(e) => {
                error(out, "null", -32700, &format!("Parse error: {e}"));
                return;
            }
        };
        // Notifications and responses need no answer.
        let (Some(id), Some(method)) = (msg.id, msg.method) else {
            return;
        };
        let id = id.get();
        let params = msg.params;
        let modern = params
            .as_ref()
            .and_then(|p| p.meta.as_ref())
            .and_then(|m| m.version.as_deref())
            == Some(MODERN);
        match &*method {
            "initialize" => {
                let asked = params.as_ref().and_then(|p| p.protocol_version.as_deref());
                let version = LEGACY
                    .iter()
                    .find(|v| Some(**v) == asked)
                    .unwrap_or(&LEGACY[0]);
                begin(out, id);
                out.extend_from_slice(br#"{"protocolVersion":""#);
                out.extend_from_slice(version.as_bytes());
                out.extend_from_slice(br#"","capabilities":{"tools":{}},"serverInfo":"#);
                out.extend_from_slice(SERVER_INFO.as_bytes());
                end(out, false);
            }
            "server/discover" => {
                begin(out, id);
                out.extend_from_slice(br#"{"supportedVersions":[""#);
                out.extend_from_slice(MODERN.as_bytes());
                for v in LEGACY {
                    out.extend_from_slice(br#"",""#);
                    out.extend_from_slice(v.as_bytes());
                }
                out.extend_from_slice(br#""],"capabilities":{"tools":{}},"ttlMs":0,"cacheScope":"public","_meta":{"io.modelcontextprotocol/serverInfo":"#);
                out.extend_from_slice(SERVER_INFO.as_bytes());
                out.push(b'}');
                end(out, true);
            }
            "ping" => {
                begin(out, id);
                out.push(b'{');
                end(out, modern);
            }
            "tools/list" => {
                begin(out, id);
                out.extend_from_slice(br#"{"tools":"#);
                out.extend_from_slice(TOOLS.as_bytes());
                if modern {
                    out.extend_from_slice(br#","ttlMs":0,"cacheScope":"public""#);
                }
                end(out, modern);
            }
            "tools/call" => self.call(out, id, params, modern),
            other => error(out, id, -32601, &format!("Method not found: {other}")),
        }
    }

    fn call(&mut self, out: &mut Vec<u8>, id: &str, params: Option<Params<'_>>, modern: bool) {
        let (name, args) = match params {
            Some(p) => (p.name, p.arguments),
            None => (None, None),
        };
        match (name.as_deref(), args) {
            (
                Some("echo"),
                Some(ToolArgs {
                    text: Some(text), ..
                }),
            ) => {
                begin(out, id);
                out.extend_from_slice(br#"{"content":[{"type":"text","text":"#);
                // Writing JSON into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &*text);
                out.extend_from_slice(b"}]");
                end(out, modern);
            }
            (
                Some("blob"),
                Some(ToolArgs {
                    n: Some(n), kind, ..
                }),
            ) if n <= MAX_BLOB => {
                let item: &[u8] = match kind.as_deref() {
                    None | Some("image") => br#"{"content":[{"type":"image","mimeType":"application/octet-stream","data":""#,
                    Some("text") => br#"{"content":[{"type":"text","text":""#,
                    Some(other) => {
                        let msg = format!("Unknown blob kind {other:?}: image or text");
                        return error(out, id, -32602, &msg);
                    }
                };
                begin(out, id);
                out.extend_from_slice(item);
                out.extend_from_slice(self.blob(n).as_bytes());
                out.extend_from_slice(br#""}]"#);
                end(out, modern);
            }
            (Some(name @ ("echo" | "blob")), _) => {
                let msg = format!("Invalid arguments for {name}");
                error(out, id, -32602, &msg)
            }
            (name, _) => {
                let msg = format!("Unknown tool: {}", name.unwrap_or("(no name)"));
                error(out, id, -32602, &msg)
            }
        }
    }

    fn blob(&mut self, n: usize) -> &str {
        if self.blob.as_ref().is_none_or(|(len, _)| *len != n) {
            let bytes: Vec<u8> = (0..n)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect();
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            self.blob = Some((n, text));
        }
        self.blob.as_ref().map_or("", |(_, t)| t.as_str())
    }
}

fn begin(out: &mut Vec<u8>, id: &str) {
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(br#","result":"#);
}

/// Closes a result object opened after [`begin`], and the response.
fn end(out: &mut Vec<u8>, modern: bool) {
    if modern {
        out.extend_from_slice(br#","resultType":"complete"}}"#);
    } else {
        out.extend_from_slice(b"}}");
    }
    out.push(b'\n');
}

fn error(out: &mut Vec<u8>, id: &str, code: i32, message: &str) {
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(br#","error":{"code":"#);
    out.extend_from_slice(code.to_string().as_bytes());
    out.extend_from_slice(br#","message":"#);
    let _ = serde_json::to_writer(&mut *out, message);
    out.extend_from_slice(b"}}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn ask(server: &mut BenchServer, req: Value) -> Option<Value> {
        let mut out = Vec::new();
        server.handle(&serde_json::to_vec(&req).unwrap(), &mut out);
        if out.is_empty() {
            return None;
        }
        assert_eq!(out.last(), Some(&b'\n'));
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
        Some(serde_json::from_slice(&out).unwrap())
    }

    #[test]
    fn both_eras_and_both_tools() {
        let mut s = BenchServer::new();
        let init = ask(&mut s, json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})).unwrap();
        assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
        assert_eq!(
            ask(
                &mut s,
                json!({"jsonrpc":"2.0","method":"notifications/initialized"})
            ),
            None
        );
        let meta = json!({"io.modelcontextprotocol/protocolVersion": MODERN});
        let disc = ask(
            &mut s,
            json!({"jsonrpc":"2.0","id":"d","method":"server/discover","params":{"_meta":meta}}),
        )
        .unwrap();
        assert_eq!(disc["id"], "d");
        assert_eq!(disc["result"]["resultType"], "complete");
        assert_eq!(disc["result"]["supportedVersions"][0], MODERN);

        let echo = ask(&mut s, json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"he\"llo\n"}}})).unwrap();
        assert_eq!(
            echo["result"],
            json!({"content":[{"type":"text","text":"he\"llo\n"}]})
        );
        let echo = ask(&mut s, json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"},"_meta":meta}})).unwrap();
        assert_eq!(echo["result"]["resultType"], "complete");

        for n in [0usize, 1, 2, 3, 1000] {
            let blob = ask(&mut s, json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"blob","arguments":{"n":n,"kind":"image"}}})).unwrap();
            let data = blob["result"]["content"][0]["data"].as_str().unwrap();
            assert_eq!(data.len(), crate::cli::base64_len(n));
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap();
            assert_eq!(decoded.len(), n);
            assert_eq!(blob["result"]["content"][0]["type"], "image");
        }
        let tools = ask(
            &mut s,
            json!({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":meta}}),
        )
        .unwrap();
        assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 2);
        assert_eq!(tools["result"]["ttlMs"], 0);
    }

    #[test]
    fn bad_requests_get_errors() {
        let mut s = BenchServer::new();
        let mut out = Vec::new();
        s.handle(b"{not json", &mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["error"]["code"], -32700);
        let v = ask(&mut s, json!({"jsonrpc":"2.0","id":1,"method":"nope"})).unwrap();
        assert_eq!(v["error"]["code"], -32601);
        let v = ask(&mut s, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}})).unwrap();
        assert_eq!(v["error"]["code"], -32602);
        let v = ask(&mut s, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"blob","arguments":{"n":1,"kind":"audio"}}})).unwrap();
        assert_eq!(v["error"]["code"], -32602);
        let v = ask(&mut s, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"blob","arguments":{"n": MAX_BLOB + 1}}})).unwrap();
        assert_eq!(v["error"]["code"], -32602);
    }
}
