//! `conformance-client`: the client under test of the official MCP
//! conformance suite (`@modelcontextprotocol/conformance`).
//!
//! The harness contract: the server URL is the last argument; the scenario
//! comes in `MCP_CONFORMANCE_SCENARIO`, its data (if any) as JSON in
//! `MCP_CONFORMANCE_CONTEXT`, and the protocol revision to speak in
//! `MCP_CONFORMANCE_PROTOCOL_VERSION` (default 2025-11-25). A 2026-07-28
//! run goes straight to `server/discover`; an earlier one straight to
//! `initialize` at that revision. The client exits 0 when the scenario ran
//! to its end, 1 when a step failed, 2 on bad usage, 3 when it ran out of
//! time (it never waits for the harness to kill it).
//!
//! ```text
//! conformance-client [--adapter blocking|smol] URL
//! ```
//!
//! `--adapter` picks the I/O under the client (`mcp_switch`): `blocking`
//! (the default) or `smol`. The scenarios are written once against
//! `mcp_switch::Client`, so both adapters are held to the same suite.

use std::process::ExitCode;
use std::time::Duration;

use mcp_switch::mcp_proto::model::Implementation;
use mcp_switch::mcp_proto::EraPreference;
use mcp_switch::mcp_proto::ProtocolVersion;
use mcp_switch::prelude::*;
use serde_json::Value;

mod scenario;

/// The whole run must end well inside the harness's 30 s default.
const DEADLINE: Duration = Duration::from_secs(25);

const USAGE: &str = "usage: conformance-client [--adapter blocking|smol] URL";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Args {
    adapter: Adapter,
    url: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Args { adapter, url } = match parse_args(&args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("conformance-client: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let version_name = std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION")
        .unwrap_or_else(|_| "2025-11-25".to_owned());
    let Some(version) = ProtocolVersion::parse(&version_name) else {
        eprintln!("conformance-client: unknown protocol version {version_name:?}");
        return ExitCode::from(2);
    };
    let context: Value = match std::env::var("MCP_CONFORMANCE_CONTEXT") {
        Ok(raw) => match serde_json::from_str(&raw) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("conformance-client: MCP_CONFORMANCE_CONTEXT is not JSON: {e}");
                return ExitCode::from(2);
            }
        },
        Err(_) => Value::Null,
    };
    std::thread::spawn(|| {
        std::thread::sleep(DEADLINE);
        eprintln!("conformance-client: gave up after {DEADLINE:?}");
        std::process::exit(3);
    });
    eprintln!(
        "conformance-client: scenario {scenario:?} at {version} against {url} on the {adapter} adapter"
    );
    match run(adapter, &url, &scenario, version, &context) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-client: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    // The harness appends the URL to whatever command it was given.
    let (url, flags) = args.split_last().ok_or("the server URL is missing")?;
    let mut adapter = Adapter::default();
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "--adapter" => {
                let name = flags.next().ok_or("--adapter needs a value")?;
                adapter = name.parse().map_err(|e| format!("--adapter: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        adapter,
        url: url.clone(),
    })
}

fn run(
    adapter: Adapter,
    url: &str,
    scenario: &str,
    version: ProtocolVersion,
    context: &Value,
) -> Result<(), String> {
    let mut config = Config::new(Implementation::new(
        "mcp-rs-conformance-client",
        env!("CARGO_PKG_VERSION"),
    ))
    .with_request_timeout(Duration::from_secs(10));
    config = if version == ProtocolVersion::V2026_07_28 {
        config.with_era(EraPreference::Modern)
    } else {
        // Initialize at the run's revision; older ones stay acceptable.
        config
            .with_era(EraPreference::Legacy)
            .with_versions(ProtocolVersion::ALL.into_iter().filter(|v| *v <= version))
    };
    let client = Client::builder(adapter)
        .config(config)
        .input_handler(scenario::input_handlers())
        .connect_http(HttpOptions::new(url))
        .map_err(|e| format!("connect: {e}"))?;
    if let Some(ready) = client.ready() {
        let server = ready.server_info.map(|i| i.name).unwrap_or_default();
        eprintln!("ready: {} ({server})", ready.version);
    }
    let outcome = scenario::run(scenario, &client, context);
    let closed = client.close();
    if closed.threads_left > 0 {
        eprintln!(
            "conformance-client: {} thread(s) still running at close",
            closed.threads_left
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::{parse_args, Adapter, Args};

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn ok(adapter: Adapter, url: &str) -> Result<Args, String> {
        Ok(Args {
            adapter,
            url: url.to_owned(),
        })
    }

    #[test]
    fn the_url_is_the_last_argument_and_blocking_the_default() {
        assert_eq!(
            parse_args(&args(&["http://h/mcp"])),
            ok(Adapter::Blocking, "http://h/mcp")
        );
        assert!(parse_args(&[]).unwrap_err().contains("URL is missing"));
    }

    #[test]
    fn either_adapter_is_chosen_by_name() {
        assert_eq!(
            parse_args(&args(&["--adapter", "blocking", "http://h/mcp"])),
            ok(Adapter::Blocking, "http://h/mcp")
        );
        assert_eq!(
            parse_args(&args(&["--adapter", "smol", "http://h/mcp"])),
            ok(Adapter::Smol, "http://h/mcp")
        );
    }

    #[test]
    fn bad_flags_are_refused_with_the_choices() {
        let unknown = parse_args(&args(&["--adapter", "tokio", "http://h"])).unwrap_err();
        assert!(
            unknown.contains("\"tokio\"")
                && unknown.contains("\"blocking\"")
                && unknown.contains("\"smol\""),
            "{unknown}"
        );
        assert!(parse_args(&args(&["--adapter", "http://h"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse_args(&args(&["--verbose", "http://h"]))
            .unwrap_err()
            .contains("unknown argument"));
    }
}
