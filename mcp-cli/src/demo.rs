//! `mcp demo`: a guided walk through every feature of the demo server.
//! Each step says what MCP does, does it, and shows the result.

use std::sync::mpsc;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use mcp_switch::mcp_proto::model::{LoggingLevel, PromptReference};
use mcp_switch::prelude::*;
use serde_json::json;

use crate::render;
use crate::session::Printer;
use crate::term::Term;
use crate::Failure;

/// How long the walk waits for the clock's updates.
const CLOCK_WAIT: Duration = Duration::from_secs(5);

pub(crate) fn run(client: &Client, term: &Arc<Term>, printer: &Printer) -> Result<(), Failure> {
    let mut failed = Vec::new();
    let mut step =
        |n: usize, title: &str, what: &str, f: &mut dyn FnMut() -> Result<String, Failure>| {
            println!("\n── {n}. {title}");
            println!("   {what}\n");
            match f() {
                Ok(out) => {
                    for line in out.lines() {
                        println!("   {line}");
                    }
                }
                Err(e) => {
                    println!("   failed: {e:?}");
                    failed.push(title.to_owned());
                }
            }
        };

    step(
        1,
        "Connecting",
        "The client probed the server's protocol era and found a common version.",
        &mut || {
            let r = client
                .ready()
                .ok_or_else(|| Failure::Connect("not ready".into()))?;
            Ok(format!(
                "server:   {}\nprotocol: {} ({} era)\noffers:   {}",
                r.server_info
                    .map(|i| format!("{} {}", i.name, i.version))
                    .unwrap_or_default(),
                r.version,
                r.era,
                render::capabilities(&r.capabilities)
            ))
        },
    );
    step(
        2,
        "Listing tools",
        "tools/list, followed to the last page.",
        &mut || Ok(render::tools(&client.list_tools()?.tools)),
    );
    step(
        3,
        "Calling a tool",
        "tools/call echo text=\"Hello, MCP!\"",
        &mut || {
            Ok(render::tool_result(
                &client.call_tool("echo", json!({"text": "Hello, MCP!"}))?,
            ))
        },
    );
    step(
        4,
        "Structured output",
        "tools/call weather city=Lisbon: typed data next to the text.",
        &mut || {
            let r = client.call_tool("weather", json!({"city": "Lisbon"}))?;
            Ok(format!(
                "structuredContent: {}",
                serde_json::to_string_pretty(&r.structured_content).unwrap_or_default()
            ))
        },
    );
    step(
        5,
        "Progress",
        "tools/call slow steps=5: the server reports each step (a progress bar on a terminal).",
        &mut || {
            let mut seen = Vec::new();
            let (tx, rx) = mpsc::channel();
            let bar = term.clone();
            let r = client
                .with_progress(move |p| {
                    let _ = tx.send(p.progress.to_string());
                    bar.progress(
                        p.progress.as_f64().unwrap_or(0.0),
                        p.total.as_ref().and_then(|t| t.as_f64()),
                        p.message.as_deref(),
                    );
                })
                .call_tool("slow", json!({"steps": 5, "step_ms": 150}))?;
            term.finish_progress();
            seen.extend(rx.try_iter());
            Ok(format!(
                "progress reported: {}\n{}",
                seen.join(" "),
                render::tool_result(&r)
            ))
        },
    );
    step(
        6,
        "A tool error",
        "tools/call fail: tool errors are results with isError, for the model to see.",
        &mut || {
            let r = client.call_tool("fail", ())?;
            Ok(format!(
                "isError: {}\n{}",
                r.is_error.unwrap_or(false),
                render::tool_result(&r)
            ))
        },
    );
    step(
        7,
        "Resources",
        "resources/list, then reads of a text, a binary and a templated resource.",
        &mut || {
            let list = render::resources(&client.list_resources()?.resources);
            let text = render::read_result(&client.read_resource("file:///a.txt")?);
            let binary = render::read_result(&client.read_resource("file:///b.bin")?);
            let templates =
                render::templates(&client.list_resource_templates()?.resource_templates);
            let note = render::read_result(&client.read_resource("demo://notes/ideas")?);
            Ok(format!("{list}\nfile:///a.txt → {text}\nfile:///b.bin → {binary}\n\n{templates}\ndemo://notes/ideas → {note}"))
        },
    );
    step(8, "Subscriptions", "Subscribe to demo://clock and wait for three updates (resources/subscribe or subscriptions/listen, by era).", &mut || {
        let (tx, rx) = mpsc::channel();
        *printer.updates.lock().unwrap_or_else(PoisonError::into_inner) = Some(tx);
        let outcome = client.subscribe(Subscription::Resource("demo://clock".into()))?;
        let mut lines = vec![format!("subscribed (honored: {})", outcome.honored)];
        for _ in 0..3 {
            match rx.recv_timeout(CLOCK_WAIT) {
                Ok(uri) => lines.push(format!("updated: {uri}")),
                Err(_) => return Err(Failure::Server("no update from the clock".into())),
            }
        }
        client.unsubscribe(Subscription::Resource("demo://clock".into()))?;
        *printer.updates.lock().unwrap_or_else(PoisonError::into_inner) = None;
        lines.push("unsubscribed".into());
        Ok(lines.join("\n"))
    });
    step(
        9,
        "Prompts",
        "prompts/list, then prompts/get greet who=Ada style=formal.",
        &mut || {
            let list = render::prompts(&client.list_prompts()?.prompts);
            let got =
                render::prompt(&client.get_prompt("greet", [("who", "Ada"), ("style", "formal")])?);
            Ok(format!("{list}\n{got}"))
        },
    );
    step(
        10,
        "Completion",
        "completion/complete for greet's `who`, having typed \"A\".",
        &mut || {
            Ok(client
                .complete(PromptReference::new("greet"), "who", "A")?
                .completion
                .values
                .join(", "))
        },
    );
    step(11, "Logging", "Set the level to debug, then call a tool that logs (logging/setLevel or per-request _meta, by era).", &mut || {
        client.set_log_level(LoggingLevel::Debug)?;
        let r = client.call_tool("log", json!({"level": "notice", "text": "a message from the server"}))?;
        // Notifications are printed on their own thread; let it catch up.
        std::thread::sleep(Duration::from_millis(50));
        Ok(format!("{} (the log line itself went to stderr)", render::tool_result(&r)))
    });
    step(
        12,
        "Elicitation",
        "tools/call ask_name: the server asks you for your name (declined with --no-input).",
        &mut || Ok(render::tool_result(&client.call_tool("ask_name", ())?)),
    );
    step(13, "Sampling", "tools/call sample: the server asks for a model reply; you play the model (refused with --no-input).", &mut || {
        match client.call_tool("sample", ()) {
            Ok(r) => Ok(render::tool_result(&r)),
            // A refused sampling ends the call in the modern era.
            Err(e) => Ok(format!("the call ended: {e}")),
        }
    });
    println!();
    if failed.is_empty() {
        println!("All 13 steps done.");
        Ok(())
    } else {
        Err(Failure::Server(format!(
            "{} steps failed: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}
