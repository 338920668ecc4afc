//! A whole session with a server through the public API alone, on either
//! adapter: the handshake result as the server sent it, exactly the
//! capabilities the program declares, every tool called at once with
//! arguments made from its schema, and every callback (progress, input
//! requests, notifications) attributed to the call it belongs to. No frame
//! is read by hand.
//!
//! ```text
//! cargo build -p mcp-demo --bin mcp-demo-server
//! cargo run -p mcp-switch --example session -- smol --skip never -- target/debug/mcp-demo-server
//! cargo run -p mcp-switch --example session -- blocking -- npx -y @modelcontextprotocol/server-everything
//! cargo run -p mcp-switch --example session -- smol --url http://127.0.0.1:3001/mcp
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_switch::mcp_proto::api::{CallOptions, Operations};
use mcp_switch::mcp_proto::handler::{InputHandlers, NotificationHandler};
use mcp_switch::mcp_proto::http::HttpOptions;
use mcp_switch::mcp_proto::methods::CallTool;
use mcp_switch::mcp_proto::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, CreateMessageResult,
    ElicitRequestParams, ElicitResult, ElicitationCapability, JsonObject,
    ProgressNotificationParams, Root, RootsCapability, SamplingCapability,
};
use mcp_switch::mcp_proto::{
    example, Call, CallId, Config, InputNeeded, InputVia, Notification, RequestOptions, Violation,
};
use mcp_switch::{Adapter, Client, Error, ServerCommand};

/// What happened, by call (`None`: between calls, or a request a legacy
/// server over stdio did not tie to one).
#[derive(Default)]
struct Journal(Mutex<BTreeMap<Option<CallId>, Vec<String>>>);

impl Journal {
    fn note(&self, call: Option<CallId>, what: String) {
        self.0.lock().unwrap().entry(call).or_default().push(what);
    }

    /// How an input request came, in words.
    fn asked(&self, input: &InputNeeded, answer: &str) {
        let via = match &input.via {
            InputVia::ServerRequest { id } => format!("a server request (id {id})"),
            InputVia::InputRequired { round, .. } => format!("input_required, round {round}"),
            InputVia::UrlElicitationRequired => "a URL elicitation error".to_owned(),
            other => format!("{other:?}"),
        };
        let what = format!("{} by {via}: {answer}", input.request.method());
        self.note(input.call, what);
    }
}

impl NotificationHandler for Journal {
    fn notification(&self, n: &Notification) {
        self.note(
            None,
            format!("notification {n:?}").chars().take(120).collect(),
        );
    }

    fn progress(&self, call: CallId, p: &ProgressNotificationParams) {
        let total = p
            .total
            .as_ref()
            .map(|t| format!("/{t}"))
            .unwrap_or_default();
        self.note(Some(call), format!("progress {}{total}", p.progress));
    }

    fn violation(&self, v: &Violation) {
        self.note(None, format!("violation: {v}"));
    }
}

fn main() -> Result<(), Error> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        eprintln!("usage: session blocking|smol [--skip TOOL]... (-- SERVER_COMMAND [ARGS...] | --url URL)");
        std::process::exit(2)
    };
    let Some(adapter) = argv.first().and_then(|a| a.parse::<Adapter>().ok()) else {
        usage()
    };
    let split = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
    let options: Vec<(&str, &str)> = argv[1..split]
        .chunks(2)
        .filter(|p| p.len() == 2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let skip: Vec<&str> = options
        .iter()
        .filter(|(k, _)| *k == "--skip")
        .map(|(_, v)| *v)
        .collect();
    let url = options.iter().find(|(k, _)| *k == "--url").map(|(_, v)| *v);
    let command = argv.get(split + 1..).and_then(|rest| rest.split_first());
    if url.is_none() && command.is_none() {
        usage()
    }

    // Exactly what this program declares: forms (not URLs), sampling and
    // roots. The configuration decides; the handlers below answer.
    let declared = ClientCapabilities {
        elicitation: Some(ElicitationCapability {
            form: Some(JsonObject::new()),
            ..ElicitationCapability::default()
        }),
        sampling: Some(SamplingCapability::default()),
        roots: Some(RootsCapability::default()),
        ..ClientCapabilities::default()
    };
    let journal = Arc::new(Journal::default());
    let (j1, j2, j3) = (journal.clone(), journal.clone(), journal.clone());
    let handlers = InputHandlers::new()
        .on_elicit_with_context(move |params, input| match params {
            ElicitRequestParams::Form(form) => {
                let schema = serde_json::to_value(&form.requested_schema)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                let answer = example::form_answer(&schema);
                j1.asked(
                    input,
                    &format!("accepted {}", serde_json::Value::Object(answer.clone())),
                );
                ElicitResult::accept(answer)
            }
            _ => {
                j1.asked(input, "declined (not a form)");
                ElicitResult::decline()
            }
        })
        .on_sample_with_context(move |_, input| {
            j2.asked(input, "answered as a made-up model");
            Ok(CreateMessageResult::text(
                "session-example",
                "A made-up answer.",
            ))
        })
        .on_roots_with_context(move |input| {
            j3.asked(input, "one root, file:///tmp");
            vec![Root::new("file:///tmp")]
        });
    let config = Config::default()
        .with_capabilities(declared.clone())
        .with_request_timeout(Duration::from_secs(30));
    let builder = Client::builder(adapter)
        .config(config)
        .input_handler(handlers)
        .notification_handler(journal.clone());
    let client = match (url, command) {
        (Some(url), _) => builder.connect_http(HttpOptions::new(url))?,
        (None, Some((program, args))) => builder.spawn(&ServerCommand::new(program).args(args))?,
        (None, None) => usage(),
    };

    let ready = client.ready().expect("ready once spawned");
    let name = ready
        .server_info
        .as_ref()
        .map_or("(unnamed)".to_owned(), |i| {
            format!("{} {}", i.name, i.version)
        });
    println!("adapter: {adapter}");
    println!(
        "server: {name}, revision {} ({:?} era)",
        ready.version, ready.era
    );
    println!(
        "handshake: {} answered with {}",
        ready.handshake.method(),
        ready
            .handshake
            .raw()
            .map_or("an error".to_owned(), |r| cut(r.get(), 400))
    );
    println!(
        "declared: {}",
        serde_json::to_string(&declared).unwrap_or_default()
    );

    // Every tool at once, each with arguments made from its schema.
    let tools = client.list_tools()?.tools;
    let mut calls = Vec::new();
    for tool in tools.iter().filter(|t| !skip.contains(&t.name.as_str())) {
        let params = CallToolRequestParams::new(&tool.name)
            .with_arguments(example::arguments(&tool.input_schema));
        let opts = CallOptions {
            request: RequestOptions::default().with_progress(),
            ..CallOptions::default()
        };
        let pending = client.start(Call::request::<CallTool>(&params)?, opts)?;
        calls.push((pending.id(), tool.name.clone(), pending));
    }
    println!(
        "tools: {} listed, {} called at once{}",
        tools.len(),
        calls.len(),
        if skip.is_empty() {
            String::new()
        } else {
            format!(" (skipped: {})", skip.join(", "))
        }
    );
    let mut outcomes = BTreeMap::new();
    for (id, name, pending) in calls {
        let outcome = match pending.wait() {
            Ok(reply) => match reply.decode::<CallToolResult>() {
                Ok(r) if r.is_error == Some(true) => "a tool error (isError)".to_owned(),
                Ok(r) => format!("ok, {} content block(s)", r.content.len()),
                Err(e) => format!("a result that does not decode: {e}"),
            },
            Err(e) => format!("failed: {}", cut(&e.to_string(), 120)),
        };
        outcomes.insert(id, (name, outcome));
    }
    // Whatever came between the calls has been heard too.
    client.flush_callbacks();
    let mut journal = std::mem::take(&mut *journal.0.lock().unwrap());
    for (id, (name, outcome)) in &outcomes {
        println!("{id} tools/call {name}: {outcome}");
        for line in journal.remove(&Some(*id)).unwrap_or_default() {
            println!("    {line}");
        }
    }
    for (call, lines) in journal {
        let whose = call.map_or("not tied to a call".to_owned(), |c| c.to_string());
        println!("{whose}: {} callback(s)", lines.len());
        for line in lines.iter().take(8) {
            println!("    {line}");
        }
    }
    client.close();
    Ok(())
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
