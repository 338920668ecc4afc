//! The benchmark driver: the contract in `mcp_bench::cli`, run on our
//! client (`--adapter blocking`, the default, or `--adapter smol`).
//!
//! It uses the client the way a user does: `Client::spawn`, the typed
//! operations (`call_tool`, `list_tools`) or `start` for calls kept in
//! flight, every result decoded into its type and checked.

use std::collections::VecDeque;

use mcp_bench::cli::{self, Adapter, Args, Workload, WINDOW};
use mcp_bench::report::{self, Measured, Timer};
use mcp_bench::watchdog::{Watchdog, STALL};
use mcp_bench::wire;
use mcp_proto::api::Operations;
use mcp_proto::http::HttpOptions;
use mcp_proto::methods::CallTool;
use mcp_proto::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use mcp_proto::Call;

const CLIENT: &str = "mcp-rs";

fn main() {
    let parsed = cli::parse(std::env::args().skip(1)).map(|args| {
        let dog = Watchdog::start(
            STALL,
            report::failure(CLIENT, &args, "no progress for 60 s"),
        );
        let result = match args.adapter {
            Adapter::Blocking => blocking::run(&args, &dog),
            Adapter::Smol => smol::run(&args, &dog),
        };
        (args, result)
    });
    report::finish(CLIENT, parsed)
}

/// What the server command is, for either adapter.
fn command(args: &Args) -> mcp_adapter_command::ServerCommand {
    mcp_adapter_command::ServerCommand::new(&args.server[0]).args(&args.server[1..])
}

// Both adapters take the same `ServerCommand` type.
use mcp_blocking::process as mcp_adapter_command;

/// The `echo` call's parameters.
fn echo_params() -> CallToolRequestParams {
    let mut p = CallToolRequestParams::new("echo");
    p.arguments = wire::echo_args().as_object().cloned();
    p
}

/// Checks a W1/W2 result.
fn check_echo(r: &CallToolResult) -> Result<(), String> {
    match r.content.first() {
        Some(ContentBlock::Text(t)) if t.text == "hello" => Ok(()),
        other => Err(format!("echo answered {other:?}, not text \"hello\"")),
    }
}

/// Checks a W3 result.
fn check_blob(r: &CallToolResult, bytes: usize) -> Result<(), String> {
    let want = cli::base64_len(bytes);
    match r.content.first() {
        Some(ContentBlock::Image(i)) if i.data.len() == want => Ok(()),
        Some(ContentBlock::Image(i)) => Err(format!(
            "blob answered {} base64 bytes, not {want}",
            i.data.len()
        )),
        _ => Err("blob's first content item is not an image".into()),
    }
}

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

mod blocking {
    use super::*;
    use mcp_blocking::Client;

    fn connect(args: &Args) -> Result<Client, String> {
        let builder = Client::builder()
            .config(wire::config(args.era, args.lift_line_cap))
            .on_stderr(|line| eprintln!("{line}"));
        match &args.url {
            Some(url) => builder.connect_http(HttpOptions::new(url.as_str())),
            None => builder.spawn(&command(args)),
        }
        .map_err(text)
    }

    pub(super) fn run(args: &Args, dog: &Watchdog) -> Result<Measured, String> {
        if args.workload == Workload::W4 {
            let timer = Timer::start();
            for _ in 0..args.n {
                let client = connect(args)?;
                let tools = client.list_tools().map_err(text)?;
                if tools.tools.len() != 2 {
                    return Err(format!(
                        "tools/list gave {} tools, not 2",
                        tools.tools.len()
                    ));
                }
                client.close();
                dog.tick();
            }
            return Ok(timer.stop());
        }
        let client = connect(args)?;
        let timer = Timer::start();
        match args.workload {
            Workload::W2 => {
                let call = Call::request::<CallTool>(&echo_params()).map_err(text)?;
                let mut window = VecDeque::with_capacity(WINDOW);
                let mut sent = 0;
                while sent < args.n || !window.is_empty() {
                    while sent < args.n && window.len() < WINDOW {
                        window.push_back(
                            client
                                .start(call.clone(), Default::default())
                                .map_err(text)?,
                        );
                        sent += 1;
                    }
                    if let Some(p) = window.pop_front() {
                        let reply = p.wait().map_err(text)?;
                        check_echo(&reply.decode().map_err(text)?)?;
                        dog.tick();
                    }
                }
            }
            Workload::W3 => {
                let blob = wire::blob_args(args.blob_bytes);
                for _ in 0..args.n {
                    let r = client.call_tool("blob", &blob).map_err(text)?;
                    check_blob(&r, args.blob_bytes)?;
                    dog.tick();
                }
            }
            _ => {
                let echo = wire::echo_args();
                for _ in 0..args.n {
                    check_echo(&client.call_tool("echo", &echo).map_err(text)?)?;
                    dog.tick();
                }
            }
        }
        let measured = timer.stop();
        client.close();
        Ok(measured)
    }
}

mod smol {
    use super::*;
    use futures_lite::future::block_on;
    use mcp_smol::Client;

    async fn connect(args: &Args) -> Result<Client, String> {
        let builder = Client::builder()
            .config(wire::config(args.era, args.lift_line_cap))
            .on_stderr(|line| eprintln!("{line}"));
        match &args.url {
            Some(url) => builder.connect_http(HttpOptions::new(url.as_str())).await,
            None => builder.spawn(&command(args)).await,
        }
        .map_err(text)
    }

    pub(super) fn run(args: &Args, dog: &Watchdog) -> Result<Measured, String> {
        block_on(run_async(args, dog))
    }

    async fn run_async(args: &Args, dog: &Watchdog) -> Result<Measured, String> {
        if args.workload == Workload::W4 {
            let timer = Timer::start();
            for _ in 0..args.n {
                let client = connect(args).await?;
                let tools = client.list_tools().await.map_err(text)?;
                if tools.tools.len() != 2 {
                    return Err(format!(
                        "tools/list gave {} tools, not 2",
                        tools.tools.len()
                    ));
                }
                client.close().await;
                dog.tick();
            }
            return Ok(timer.stop());
        }
        let client = connect(args).await?;
        let timer = Timer::start();
        match args.workload {
            Workload::W2 => {
                let call = Call::request::<CallTool>(&echo_params()).map_err(text)?;
                let mut window = VecDeque::with_capacity(WINDOW);
                let mut sent = 0;
                while sent < args.n || !window.is_empty() {
                    while sent < args.n && window.len() < WINDOW {
                        window.push_back(
                            client
                                .start(call.clone(), Default::default())
                                .map_err(text)?,
                        );
                        sent += 1;
                    }
                    if let Some(p) = window.pop_front() {
                        let reply = p.await.map_err(text)?;
                        check_echo(&reply.decode().map_err(text)?)?;
                        dog.tick();
                    }
                }
            }
            Workload::W3 => {
                let blob = wire::blob_args(args.blob_bytes);
                for _ in 0..args.n {
                    let r = client.call_tool("blob", &blob).await.map_err(text)?;
                    check_blob(&r, args.blob_bytes)?;
                    dog.tick();
                }
            }
            _ => {
                let echo = wire::echo_args();
                for _ in 0..args.n {
                    check_echo(&client.call_tool("echo", &echo).await.map_err(text)?)?;
                    dog.tick();
                }
            }
        }
        let measured = timer.stop();
        client.close().await;
        Ok(measured)
    }
}
