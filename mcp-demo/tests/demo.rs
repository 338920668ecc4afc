//! The demo server's features on virtual time, and the real binary on stdio.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_demo::{ScriptedServer, ServerConfig};
use serde_json::{json, Value};

/// A server on virtual time, spoken to in JSON lines.
struct Talk {
    server: ScriptedServer,
    now: Instant,
    next_id: i64,
    modern: bool,
}

impl Talk {
    fn legacy() -> Talk {
        let mut t = Talk {
            server: ScriptedServer::new(ServerConfig::demo(), Instant::now()),
            now: Instant::now(),
            next_id: 1,
            modern: false,
        };
        t.request("initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}));
        t.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        t
    }

    fn modern() -> Talk {
        Talk {
            server: ScriptedServer::new(ServerConfig::demo(), Instant::now()),
            now: Instant::now(),
            next_id: 1,
            modern: true,
        }
    }

    fn send(&mut self, msg: Value) {
        let mut line = msg.to_string().into_bytes();
        line.push(b'\n');
        self.server.handle_bytes(self.now, &line);
    }

    /// Everything the server wrote by now.
    fn output(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(bytes) = self.server.poll_output(self.now) {
            for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                out.push(serde_json::from_slice(line).unwrap());
            }
        }
        out
    }

    fn request(&mut self, method: &str, mut params: Value) -> Value {
        if self.modern {
            params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
        }
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.output()
            .into_iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {method}"))
    }

    fn advance(&mut self, d: Duration) -> Vec<Value> {
        self.now += d;
        self.output()
    }
}

fn clock_updates(msgs: &[Value]) -> usize {
    msgs.iter()
        .filter(|m| {
            m["method"] == "notifications/resources/updated" && m["params"]["uri"] == "demo://clock"
        })
        .count()
}

#[test]
fn the_clock_ticks_for_subscribers_only_while_they_listen() {
    // Legacy: resources/subscribe.
    let mut t = Talk::legacy();
    assert_eq!(
        t.server.poll_timeout(),
        None,
        "no clock without subscribers"
    );
    t.request("resources/subscribe", json!({"uri": "demo://clock"}));
    assert_eq!(clock_updates(&t.advance(Duration::from_millis(3500))), 3);
    t.request("resources/unsubscribe", json!({"uri": "demo://clock"}));
    assert_eq!(clock_updates(&t.advance(Duration::from_secs(5))), 0);
    assert_eq!(t.server.poll_timeout(), None, "the clock stopped");

    // Modern: subscriptions/listen, tagged with the subscription id.
    let mut t = Talk::modern();
    t.send(json!({"jsonrpc": "2.0", "id": "L", "method": "subscriptions/listen", "params": {
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}},
        "notifications": {"resourceSubscriptions": ["demo://clock"]}}}));
    let acked = t.output();
    assert_eq!(
        acked[0]["method"],
        "notifications/subscriptions/acknowledged"
    );
    let ticks = t.advance(Duration::from_secs(2));
    assert_eq!(clock_updates(&ticks), 2);
    assert!(ticks
        .iter()
        .all(|m| m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "L"));
    t.send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "L"}}));
    assert_eq!(clock_updates(&t.advance(Duration::from_secs(3))), 0);
    // Reading the clock says how far it got.
    let read = t.request("resources/read", json!({"uri": "demo://clock"}));
    assert_eq!(read["result"]["contents"][0]["text"], "tick 2");
}

#[test]
fn completion_filters_by_what_was_typed() {
    let mut t = Talk::legacy();
    let c = t.request("completion/complete", json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "who", "value": "a"}}));
    assert_eq!(c["result"]["completion"]["values"], json!(["Ada", "Alan"]));
    let c = t.request("completion/complete", json!({"ref": {"type": "ref/resource", "uri": "demo://notes/{name}"}, "argument": {"name": "name", "value": "j"}}));
    assert_eq!(c["result"]["completion"]["values"], json!(["journal"]));
}

#[test]
fn weather_is_structured_output_that_matches_its_schema_and_text() {
    let mut t = Talk::modern();
    let tools = t.request("tools/list", json!({}));
    let weather = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "weather")
        .unwrap()
        .clone();
    let required = weather["outputSchema"]["required"]
        .as_array()
        .unwrap()
        .clone();
    let r = t.request(
        "tools/call",
        json!({"name": "weather", "arguments": {"city": "Lisbon"}}),
    );
    let data = &r["result"]["structuredContent"];
    for key in required {
        assert!(
            data.get(key.as_str().unwrap()).is_some(),
            "{key} missing from {data}"
        );
    }
    let text: Value =
        serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(&text, data, "the text block carries the same data");
    let again = t.request(
        "tools/call",
        json!({"name": "weather", "arguments": {"city": "Lisbon"}}),
    );
    assert_eq!(again["result"]["structuredContent"], *data, "deterministic");
}

#[test]
fn resources_cover_text_binary_and_templates() {
    let mut t = Talk::legacy();
    let list = t.request("resources/list", json!({}));
    assert_eq!(list["result"]["resources"].as_array().unwrap().len(), 3);
    let png = t.request("resources/read", json!({"uri": "file:///b.bin"}));
    let blob = png["result"]["contents"][0]["blob"].as_str().unwrap();
    assert!(blob.starts_with("iVBORw0KGgo"), "a base64 PNG");
    assert!(
        blob.len().is_multiple_of(4)
            && blob
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    );
    let templates = t.request("resources/templates/list", json!({}));
    assert_eq!(
        templates["result"]["resourceTemplates"][1]["uriTemplate"],
        "demo://notes/{name}"
    );
    let note = t.request("resources/read", json!({"uri": "demo://notes/ideas"}));
    assert!(note["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .contains("ideas"));
}

#[test]
fn log_messages_respect_the_level() {
    let mut t = Talk::legacy();
    t.request("logging/setLevel", json!({"level": "warning"}));
    t.request(
        "tools/call",
        json!({"name": "log", "arguments": {"level": "info", "text": "quiet"}}),
    );
    t.send(json!({"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": {"name": "log", "arguments": {"level": "error", "text": "loud"}}}));
    let logs: Vec<Value> = t
        .output()
        .into_iter()
        .filter(|m| m["method"] == "notifications/message")
        .collect();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["params"]["data"], "loud");
}

#[test]
fn prompts_take_their_arguments() {
    let mut t = Talk::legacy();
    let p = t.request(
        "prompts/get",
        json!({"name": "greet", "arguments": {"who": "Grace", "style": "formal"}}),
    );
    assert_eq!(
        p["result"]["messages"][0]["content"]["text"],
        "Good day to you, Grace."
    );
}

/// Runs the real binary with `lines` on stdin and returns its stdout lines
/// and exit status; killed if it does not finish in time.
fn run_binary(lines: &[Value]) -> (Vec<Value>, std::process::ExitStatus) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-demo-server"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo server starts");
    {
        let mut stdin = child.stdin.take().unwrap();
        for l in lines {
            writeln!(stdin, "{l}").unwrap();
        }
        // Dropping stdin ends the conversation.
    }
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the demo server did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = reader
        .join()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out, status)
}

#[test]
fn the_binary_speaks_both_eras_and_exits_when_stdin_closes() {
    let (out, status) = run_binary(&[
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    ]);
    assert!(status.success(), "{status}");
    assert_eq!(out[0]["result"]["serverInfo"]["name"], "mcp-demo");
    assert_eq!(out[1]["result"]["tools"].as_array().unwrap().len(), 15);

    let (out, status) = run_binary(&[
        json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}}),
    ]);
    assert!(status.success(), "{status}");
    let versions = out[0]["result"]["supportedVersions"].as_array().unwrap();
    assert!(versions.contains(&json!("2026-07-28")) && versions.contains(&json!("2025-11-25")));
}
