//! A misbehaving MCP server for fault tests: the scripted server of
//! `mcp_proto::testing` on a real clock, with one fault injected.
//!
//! `mcp-fault-server MODE`, where MODE is one of:
//! - `normal`: a well-behaved legacy server;
//! - `exit-mid-request`: exits with code 3 (after a line on stderr) when the
//!   first `tools/call` arrives;
//! - `flood-stderr`: writes 16 MiB to stderr while serving;
//! - `ignore-sigterm`: ignores SIGTERM and the end of its stdin;
//! - `grandchild`: starts a grandchild that sleeps forever, says its pid on
//!   stderr, then serves;
//! - `banner`: prints a banner line on stdout before speaking MCP;
//! - `sleeper`: sleeps forever (the grandchild);
//! - `setsid-grandchild`: starts a grandchild that leaves the process group
//!   and session (`setsid()`) and holds the server's stdout open, says its
//!   pid on stderr, then serves;
//! - `setsid-sleeper`: calls `setsid()`, then sleeps forever (that
//!   grandchild);
//! - `ping-storm N`: writes N `ping` requests at once and never reads its
//!   stdin (nor answers anything).
//!
//! And faults in what it writes, injected when a `tools/call` arrives (the
//! handshake goes as usual):
//! - `garbage`: two lines that are not JSON first;
//! - `invalid-utf8`: a notification that is not valid UTF-8 first;
//! - `sized N`: answers with a frame of exactly N bytes (without the line
//!   end), text of `x`s;
//! - `flood N`: N log notifications first, as fast as the pipe takes them;
//! - `flood-after N`: the answer (`answered`) first, then N log
//!   notifications;
//! - `flood-kib N`: N log notifications of 1 KiB each first (`data` is
//!   `{"seq": i, "pad": ...}`);
//! - `bad-lines N`: N short lines that are not JSON first;
//! - `broken-answer CASE`: answers with a line that names the call's id but
//!   cannot be read: `utf8` (invalid UTF-8 in a string), `nul` (a raw NUL
//!   in a string), `dup-id`, `dup-result`, `long-id` (the id written with a
//!   million digits);
//! - `duplicate-ids`: answers twice, `first` then `second`;
//! - `unknown-ids`: responses to ids the client never used first;
//! - `early-response`: a response to the next request's id (this id + 1)
//!   first, before the client has sent it;
//! - `trickle`: answers one byte every 100 ms;
//! - `off-schema`: a log notification without its level, a notification
//!   no revision has and a line that is not JSON first; and all along, a
//!   tool list whose first tool lacks its `inputSchema` and tool results
//!   whose first text block has `txt` for `text` (what `mcp check` must
//!   find);
//! - `off-schema-init`: answers `initialize` with capabilities that are a
//!   string, which no client can start with.
//!
//! And over HTTP, for what must be measured in the client's process alone:
//! - `http-sized N json|sse`: a 2025-11-25 Streamable HTTP server on
//!   127.0.0.1 (its URL is the first line on stdout; it runs until stdin
//!   ends) whose `tools/call` answer is N bytes of JSON, as the body or as
//!   one server-sent event.

use std::io::{Read, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use mcp_proto::testing::{ScriptedServer, ServerConfig};
use serde_json::json;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "normal".into());
    match mode.as_str() {
        "sleeper" => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
        #[cfg(unix)]
        "setsid-sleeper" => {
            rustix::process::setsid().expect("setsid: not a group leader");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        "setsid-grandchild" => {
            // Deliberately never waited for; its stdout is the server's.
            #[allow(clippy::zombie_processes)]
            let child = std::process::Command::new(std::env::current_exe().expect("own path"))
                .arg("setsid-sleeper")
                .stdin(std::process::Stdio::null())
                .spawn()
                .expect("the grandchild starts");
            eprintln!("grandchild pid {}", child.id());
        }
        "ping-storm" => return ping_storm(),
        "ignore-sigterm" => ignore_sigterm(),
        "grandchild" => {
            // Deliberately never waited for: the grandchild is the orphan
            // the client must clean up.
            #[allow(clippy::zombie_processes)]
            let child = std::process::Command::new(std::env::current_exe().expect("own path"))
                .arg("sleeper")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("the grandchild starts");
            eprintln!("grandchild pid {}", child.id());
        }
        "flood-stderr" => {
            std::thread::spawn(|| {
                let line = format!("{}\n", "e".repeat(1023));
                let mut err = std::io::stderr().lock();
                for _ in 0..16 * 1024 {
                    if err.write_all(line.as_bytes()).is_err() {
                        return;
                    }
                }
                let _ = writeln!(err, "flood done");
            });
        }
        "banner" => println!("*** Welcome to the fault server! ***"),
        "http-sized" => return serve_http(),
        _ => {}
    }
    serve(&mode);
}

#[cfg(unix)]
fn ignore_sigterm() {
    // A handler that only sets a flag replaces the default action, which is
    // to die.
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGTERM, flag).expect("SIGTERM handler");
}

#[cfg(not(unix))]
fn ignore_sigterm() {}

/// A `tools/call` request among `bytes`, by id.
fn tool_call_id(bytes: &[u8]) -> Option<serde_json::Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .find(|m| m["method"] == "tools/call")
        .map(|m| m["id"].clone())
}

/// `bytes` without the first `tools/call` line.
fn without_tool_call(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut dropped = false;
    for l in bytes.split_inclusive(|b| *b == b'\n') {
        let is_call = !dropped
            && serde_json::from_slice::<serde_json::Value>(l)
                .is_ok_and(|m| m["method"] == "tools/call");
        if is_call {
            dropped = true;
        } else {
            out.extend_from_slice(l);
        }
    }
    out
}

fn line(v: &serde_json::Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(v).expect("serialisable");
    out.push(b'\n');
    out
}

fn text_result(id: &serde_json::Value, text: &str) -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}]}})
}

/// Writes what `mode` injects before a `tools/call` with `id` is handled;
/// `true` if that answered it.
fn inject(
    mode: &str,
    arg: usize,
    id: &serde_json::Value,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    match mode {
        "garbage" => {
            out.write_all(b"\x00\x01 this is not json {{{\n]]]\n")?;
        }
        "invalid-utf8" => {
            out.write_all(
                b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"\xff\xfe\"}}\n",
            )?;
        }
        "sized" => {
            let empty = serde_json::to_vec(&text_result(id, "")).expect("serialisable");
            let text = "x".repeat(arg.saturating_sub(empty.len()));
            let frame = line(&text_result(id, &text));
            assert_eq!(frame.len(), arg.max(empty.len()) + 1, "sized frame");
            out.write_all(&frame)?;
            return Ok(true);
        }
        "flood" => write_logs(out, arg, |i| json!(i))?,
        "flood-after" => {
            // One write, so the logs arrive with the answer.
            let mut all = line(&text_result(id, "answered"));
            write_logs(&mut all, arg, |i| json!(i))?;
            out.write_all(&all)?;
            out.flush()?;
            return Ok(true);
        }
        "flood-kib" => {
            let pad = "x".repeat(1000);
            write_logs(out, arg, |i| json!({"seq": i, "pad": pad}))?;
        }
        "bad-lines" => {
            let chunk = b"this is not json\n".repeat(4096);
            for _ in 0..arg / 4096 {
                out.write_all(&chunk)?;
            }
            out.write_all(&b"this is not json\n".repeat(arg % 4096))?;
        }
        "duplicate-ids" => {
            out.write_all(&line(&text_result(id, "first")))?;
            out.write_all(&line(&text_result(id, "second")))?;
            return Ok(true);
        }
        "unknown-ids" => {
            out.write_all(&line(&text_result(&json!(987_654), "unasked")))?;
            out.write_all(&line(&text_result(&json!("nope"), "unasked")))?;
            out.write_all(&line(&json!({"jsonrpc": "2.0", "id": 424_242,
                "error": {"code": -32603, "message": "for nobody"}})))?;
        }
        "off-schema" => {
            out.write_all(&line(
                &json!({"jsonrpc": "2.0", "method": "notifications/message",
                "params": {"data": "a log message without a level"}}),
            ))?;
            out.write_all(&line(
                &json!({"jsonrpc": "2.0", "method": "notifications/vendor/custom",
                "params": {}}),
            ))?;
            out.write_all(b"debug: this line is not JSON\n")?;
        }
        "early-response" => {
            if let Some(n) = id.as_u64() {
                out.write_all(&line(&text_result(&json!(n + 1), "early")))?;
            }
        }
        _ => {}
    }
    out.flush()?;
    Ok(false)
}

/// Writes `n` log notifications whose `data` is `data(i)`.
fn write_logs(
    out: &mut impl Write,
    n: usize,
    data: impl Fn(usize) -> serde_json::Value,
) -> std::io::Result<()> {
    write_lines(out, n, |i| {
        line(&json!({"jsonrpc": "2.0",
            "method": "notifications/message",
            "params": {"level": "info", "data": data(i)}}))
    })
}

/// Writes the `n` lines `line(i)`, a megabyte at a time.
fn write_lines(
    out: &mut impl Write,
    n: usize,
    line: impl Fn(usize) -> Vec<u8>,
) -> std::io::Result<()> {
    let mut batch = Vec::with_capacity(1 << 20);
    for i in 0..n {
        batch.extend_from_slice(&line(i));
        if batch.len() >= 1 << 20 {
            out.write_all(&batch)?;
            batch.clear();
        }
    }
    out.write_all(&batch)
}

/// The `broken-answer` line for the call `id`.
fn broken_answer(case: &str, id: &serde_json::Value) -> Vec<u8> {
    let mut line = match case {
        "utf8" => {
            let mut l = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":""#)
                .into_bytes();
            l.extend_from_slice(b"\xff\xfe\"}]}}");
            l
        }
        "nul" => format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":\"a\u{0}b\"}}]}}}}"
        )
        .into_bytes(),
        "dup-id" => format!(r#"{{"jsonrpc":"2.0","id":{id},"id":{id},"result":{{"content":[]}}}}"#)
            .into_bytes(),
        "dup-result" => format!(
            r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[]}},"result":{{"content":[]}}}}"#
        )
        .into_bytes(),
        "long-id" => {
            let digits = format!("{id}");
            let zeros = "0".repeat(1_000_000 - digits.len());
            format!(r#"{{"jsonrpc":"2.0","id":{zeros}{digits},"result":{{"content":[]}}}}"#)
                .into_bytes()
        }
        other => panic!("no broken-answer case {other:?}"),
    };
    line.push(b'\n');
    line
}

/// The `ping-storm` server: see the module docs.
fn ping_storm() {
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .expect("ping-storm N");
    let mut out = std::io::stdout().lock();
    // Blocks once the client stops reading: the point of the mode.
    let ping = |i| format!("{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"ping\"}}\n").into_bytes();
    if write_lines(&mut out, n, ping)
        .and_then(|()| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// What `off-schema` does to the server's output: the first tool of a tool
/// list loses its input schema; a tool result's first text block has `txt`
/// for `text`.
fn off_schema(mode: &str, bytes: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for l in bytes.split_inclusive(|b| *b == b'\n') {
        let Ok(mut m) = serde_json::from_slice::<serde_json::Value>(l) else {
            out.extend_from_slice(l);
            continue;
        };
        if mode == "off-schema-init" {
            if let Some(r) = m
                .get_mut("result")
                .filter(|r| r.get("protocolVersion").is_some())
            {
                r["capabilities"] = json!("none");
            }
        }
        if let Some(tool) = m
            .pointer_mut("/result/tools/0")
            .and_then(|t| t.as_object_mut())
        {
            tool.remove("inputSchema");
        }
        if let Some(block) = m
            .pointer_mut("/result/content/0")
            .and_then(|b| b.as_object_mut())
        {
            if let Some(text) = block.remove("text") {
                block.insert("txt".into(), text);
            }
        }
        out.extend_from_slice(&line(&m));
    }
    out
}

/// The `http-sized` server: see the module docs.
fn serve_http() {
    let size: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .expect("http-sized N json|sse");
    let sse = std::env::args().nth(3).as_deref() == Some("sse");
    let server = mcp_tests::httpd::TestServer::start(move |req| {
        use mcp_tests::httpd::Reply;
        let Some(msg) = req.json() else {
            return Reply::status(405);
        };
        let id = msg["id"].clone();
        let reply =
            |result: serde_json::Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
        match msg["method"].as_str() {
            _ if id.is_null() => Reply::status(202),
            Some("initialize") => Reply::json(
                200,
                &reply(
                    json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                              "serverInfo": {"name": "http-sized", "version": "1"}}),
                ),
            )
            .header("Mcp-Session-Id", "s-1"),
            Some("ping") => Reply::json(200, &reply(json!({}))),
            Some("tools/call") => {
                // Made as text: a 100 MiB value through serde_json takes a
                // while in a debug build.
                let frame = |text: &str| {
                    format!(
                        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"{text}"}}]}}}}"#
                    )
                };
                let body = frame(&"x".repeat(size.saturating_sub(frame("").len())));
                if sse {
                    Reply::sse(200).event(&body)
                } else {
                    Reply::text(200, &body).header("Content-Type", "application/json")
                }
            }
            _ => Reply::json(
                200,
                &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no such method"}}),
            ),
        }
    });
    println!("{}", server.url("/mcp"));
    let _ = std::io::stdout().flush();
    // Until the test is done with it.
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}

fn serve(mode: &str) {
    let arg: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let mut trickling = false;
    let start = Instant::now();
    let mut server = ScriptedServer::new(ServerConfig::legacy(), start);
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 65536];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut stdout = std::io::stdout().lock();
    loop {
        let now = Instant::now();
        while let Some(mut bytes) = server.poll_output(now) {
            if mode.starts_with("off-schema") {
                bytes = off_schema(mode, bytes);
            }
            if trickling {
                for b in &bytes {
                    std::thread::sleep(Duration::from_millis(100));
                    if stdout
                        .write_all(&[*b])
                        .and_then(|()| stdout.flush())
                        .is_err()
                    {
                        return;
                    }
                }
                continue;
            }
            if stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return;
            }
        }
        let wait = server
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now));
        let msg = match wait {
            Some(d) => match rx.recv_timeout(d) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => rx.recv().ok(),
        };
        match msg.flatten() {
            Some(bytes) => {
                if mode == "exit-mid-request"
                    && String::from_utf8_lossy(&bytes).contains("\"tools/call\"")
                {
                    eprintln!("fatal: injected crash while handling tools/call");
                    std::process::exit(3);
                }
                if let Some(id) = tool_call_id(&bytes) {
                    trickling |= mode == "trickle";
                    if mode == "broken-answer" {
                        let case = std::env::args().nth(2).unwrap_or_default();
                        if stdout
                            .write_all(&broken_answer(&case, &id))
                            .and_then(|()| stdout.flush())
                            .is_err()
                        {
                            return;
                        }
                        let rest = without_tool_call(&bytes);
                        server.handle_bytes(Instant::now(), &rest);
                        continue;
                    }
                    match inject(mode, arg, &id, &mut stdout) {
                        // Answered here: the server sees the other lines.
                        Ok(true) => {
                            let rest = without_tool_call(&bytes);
                            server.handle_bytes(Instant::now(), &rest);
                            continue;
                        }
                        Ok(false) => {}
                        Err(_) => return,
                    }
                }
                server.handle_bytes(Instant::now(), &bytes);
            }
            None if mode == "ignore-sigterm" => loop {
                // Deaf to the end of stdin too: only SIGKILL ends it.
                std::thread::sleep(Duration::from_secs(3600));
            },
            None => return,
        }
    }
}
