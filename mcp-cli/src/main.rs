//! `mcp`: talk to any MCP server from the terminal.
//!
//! Exit codes: 0 ok, 1 the server or a tool reported an error, 2 usage,
//! 3 could not connect.

mod answer;
mod check;
mod cli;
mod config;
mod demo;
mod render;
mod session;
mod term;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use mcp_switch::mcp_proto::model::{
    CallToolResult, JsonObject, PromptReference, ResourceTemplateReference,
};
use mcp_switch::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{Cli, Command, Prompts, Resources, Tools};
use crate::session::Printer;
use crate::term::Term;

/// Why `mcp` failed, which decides its exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server or a tool reported an error (exit 1).
    Server(String),
    /// The command line was wrong (exit 2).
    Usage(String),
    /// No connection to the server (exit 3).
    Connect(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // Connecting is checked apart; anything after that (the server going
        // away included) is the server's failure.
        Failure::Server(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::ServeDemo) {
        return match mcp_demo::stdio::run_stdio(mcp_demo::ServerConfig::demo()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mcp serve-demo: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Server(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Connect(m)) => {
            eprintln!("error: could not connect: {m}");
            ExitCode::from(3)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let term = Arc::new(Term::new(Box::new(std::io::BufReader::new(
        std::io::stdin(),
    ))));
    let printer = Arc::new(Printer {
        term: term.clone(),
        updates: Mutex::new(None),
    });
    // Settings and paths are checked before anything is started.
    session::server(&cli.target)?;
    if let Command::Check(args) = &cli.command {
        return check::run(&cli.target, &cli.opts, args, term);
    }
    let client = session::connect(&cli.target, &cli.opts, term.clone(), printer.clone())?;
    let json = cli.opts.json;
    let result = match cli.command {
        Command::Info => info(&client, json),
        Command::Tools(Tools::List) => {
            let r = client.list_tools()?;
            print(json, &r, || render::tools(&r.tools))
        }
        Command::Tools(Tools::Call {
            name,
            arguments,
            args,
        }) => {
            let arguments = match args {
                Some(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(m)) => m,
                    _ => {
                        return Err(Failure::Usage(format!(
                            "--args {text:?}: expected a JSON object"
                        )))
                    }
                },
                None => pairs(&arguments, true)?,
            };
            call_tool(&client, &term, &name, arguments, json)
        }
        Command::Resources(Resources::List) => {
            let r = client.list_resources()?;
            print(json, &r, || render::resources(&r.resources))
        }
        Command::Resources(Resources::Read { uri }) => {
            let r = client.read_resource(&uri)?;
            print(json, &r, || render::read_result(&r))
        }
        Command::Resources(Resources::Templates) => {
            let r = client.list_resource_templates()?;
            print(json, &r, || render::templates(&r.resource_templates))
        }
        Command::Prompts(Prompts::List) => {
            let r = client.list_prompts()?;
            print(json, &r, || render::prompts(&r.prompts))
        }
        Command::Prompts(Prompts::Get { name, arguments }) => {
            let args: Vec<(String, String)> = pairs(&arguments, false)?
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect();
            let r = client.get_prompt(&name, args)?;
            print(json, &r, || render::prompt(&r))
        }
        Command::Complete {
            prompt,
            resource,
            argument,
            value,
        } => {
            let r = match (prompt, resource) {
                (Some(p), _) => client.complete(PromptReference::new(p), &argument, &value)?,
                (None, Some(uri)) => {
                    client.complete(ResourceTemplateReference::new(uri), &argument, &value)?
                }
                (None, None) => {
                    return Err(Failure::Usage(
                        "complete needs --prompt or --resource".into(),
                    ))
                }
            };
            print(json, &r, || r.completion.values.join("\n"))
        }
        Command::Ping => {
            let started = Instant::now();
            client.ping()?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            print(json, &serde_json::json!({"ok": true, "ms": ms}), || {
                format!("pong in {ms:.1} ms")
            })
        }
        Command::Subscribe { uri, count } => subscribe(&client, &printer, &uri, count, json),
        Command::Demo => demo::run(&client, &term, &printer),
        Command::ServeDemo | Command::Check(_) => Ok(()),
    };
    term.finish_progress();
    client.close();
    result
}

/// Prints a result as JSON, or as text for people.
fn print<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<(), Failure> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        let t = text();
        if !t.is_empty() {
            println!("{t}");
        }
    }
    Ok(())
}

/// `KEY=VALUE` pairs; values are JSON when they parse as JSON (and `json`
/// is set), strings otherwise.
fn pairs(items: &[String], json: bool) -> Result<JsonObject, Failure> {
    let mut out = JsonObject::new();
    for item in items {
        let (k, v) = item.split_once('=').ok_or_else(|| {
            Failure::Usage(format!(
                "{item:?}: expected KEY=VALUE (the value may be JSON)"
            ))
        })?;
        if k.is_empty() {
            return Err(Failure::Usage(format!("{item:?}: the key is empty")));
        }
        let value = if json {
            serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()))
        } else {
            Value::String(v.to_owned())
        };
        out.insert(k.to_owned(), value);
    }
    Ok(out)
}

fn info(client: &Client, json: bool) -> Result<(), Failure> {
    let ready = client
        .ready()
        .ok_or_else(|| Failure::Connect("the server is not ready".into()))?;
    let value = serde_json::json!({
        "serverInfo": ready.server_info,
        "era": ready.era.to_string(),
        "protocolVersion": ready.version.as_str(),
        "capabilities": ready.capabilities,
        "instructions": ready.instructions,
    });
    print(json, &value, || {
        let who = ready
            .server_info
            .as_ref()
            .map_or("(it did not say)".into(), |i| {
                let title = i
                    .title
                    .as_ref()
                    .map(|t| format!(" \"{t}\""))
                    .unwrap_or_default();
                format!("{} {}{title}", i.name, i.version)
            });
        let mut lines = vec![
            format!("server:       {who}"),
            format!("protocol:     {} ({} era)", ready.version, ready.era),
            format!(
                "offers:       {}",
                render::capabilities(&ready.capabilities)
            ),
        ];
        if let Some(i) = &ready.instructions {
            lines.push(format!("instructions: {i}"));
        }
        lines.join("\n")
    })
}

/// Calls a tool with a progress bar; a tool error is exit 1.
pub(crate) fn call_tool(
    client: &Client,
    term: &Arc<Term>,
    name: &str,
    arguments: JsonObject,
    json: bool,
) -> Result<(), Failure> {
    let bar = term.clone();
    let r: CallToolResult = client
        .with_progress(move |p| {
            bar.progress(
                p.progress.as_f64().unwrap_or(0.0),
                p.total.as_ref().and_then(|t| t.as_f64()),
                p.message.as_deref(),
            )
        })
        .call_tool(name, arguments)?;
    term.finish_progress();
    print(json, &r, || render::tool_result(&r))?;
    if r.is_error == Some(true) {
        return Err(Failure::Server(format!(
            "the tool {name} reported an error"
        )));
    }
    Ok(())
}

fn subscribe(
    client: &Client,
    printer: &Printer,
    uri: &str,
    count: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    let (tx, rx) = mpsc::channel();
    *printer
        .updates
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C ends the subscription cleanly (unsubscribe, close) instead of
    // killing mcp with the server still running.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let outcome = client.subscribe(Subscription::Resource(uri.to_owned()))?;
    if !outcome.honored {
        return Err(Failure::Server(format!(
            "the server does not offer updates for {uri}"
        )));
    }
    if !json {
        eprintln!("subscribed to {uri}; waiting for updates (Ctrl-C to stop)");
    }
    let mut seen = 0u64;
    while !stop.load(Ordering::SeqCst) && count.is_none_or(|c| seen < c) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(updated) => {
                seen += 1;
                print(json, &serde_json::json!({"updated": updated}), || {
                    format!("updated: {updated}")
                })?;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if client.is_closed() {
                    return Err(Failure::Server("the connection closed".into()));
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = client.unsubscribe(Subscription::Resource(uri.to_owned()));
    Ok(())
}
