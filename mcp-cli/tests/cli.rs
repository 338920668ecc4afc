//! The `mcp` command against its bundled demo server: output pinned with
//! insta snapshots, exit codes checked. Each run starts a real `mcp`
//! process, which starts the demo server as its own child.
//!
//! Every test runs once per client adapter (`blocking::*`, `smol::*`), each
//! run with `--adapter` given; both compare against the same snapshots, since
//! the adapter must not change what `mcp` prints.

use std::io::Write;
use std::process::{Command, Stdio};

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn mcp(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mcp starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// `mcp` on one adapter.
struct Mcp {
    adapter: &'static str,
}

impl Mcp {
    /// Runs `mcp --adapter ADAPTER ARGS...`.
    fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut all = vec!["--adapter", self.adapter];
        all.extend_from_slice(args);
        mcp(&all, stdin)
    }

    /// Runs `mcp` and snapshots its stdout (and its exit code).
    fn snap(&self, name: &str, args: &[&str], stdin: &str, code: i32) -> Run {
        let r = self.run(args, stdin);
        assert_eq!(
            r.code, code,
            "mcp --adapter {} {args:?}\nstdout:\n{}\nstderr:\n{}",
            self.adapter, r.stdout, r.stderr
        );
        snapshot(name, args, &r.stdout);
        r
    }

    /// A scratch directory of this test's own (the adapters' runs of a test
    /// go at once).
    fn scratch(&self, what: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mcp-cli-{what}-{}-{}",
            self.adapter,
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

/// One snapshot file for both adapters, so the description leaves the
/// adapter out.
fn snapshot(name: &str, args: &[&str], stdout: &str) {
    insta::with_settings!({ description => format!("mcp {}", args.join(" ")), omit_expression => true }, {
        insta::assert_snapshot!(name, stdout);
    });
}

/// Registers each test once per adapter, as `blocking::NAME` and `smol::NAME`.
macro_rules! on_each_adapter {
    ($($test:ident)*) => {
        mod blocking {
            $(#[test]
            fn $test() {
                super::$test(&super::Mcp { adapter: "blocking" });
            })*
        }
        mod smol {
            $(#[test]
            fn $test() {
                super::$test(&super::Mcp { adapter: "smol" });
            })*
        }
    };
}

on_each_adapter! {
    info
    tools
    resources_prompts_completion
    ping_and_subscribe
    elicitation_and_sampling_at_the_terminal
    the_guided_demo
    targets_stdio_env_cwd_and_config
    usage_and_connection_errors_have_their_exit_codes
    targets_over_http
    check_passes_the_demo_in_every_revision
    check_reports_each_violation_with_its_message
    check_real_servers
}

#[test]
fn an_unknown_adapter_is_refused_with_the_choices() {
    let r = mcp(&["--adapter", "tokio", "info"], "");
    assert_eq!(r.code, 2, "clap's usage errors exit 2: {}", r.stderr);
    assert!(
        r.stderr.contains("'tokio'")
            && r.stderr.contains("--adapter")
            && r.stderr.contains("[possible values: blocking, smol]"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn the_adapter_is_blocking_unless_chosen() {
    let help = mcp(&["--help"], "");
    assert_eq!(help.code, 0, "{}", help.stderr);
    let adapter = help
        .stdout
        .split("--adapter <ADAPTER>")
        .nth(1)
        .expect("--help lists --adapter");
    assert!(
        adapter.contains("[default: blocking]")
            && adapter.contains("blocking:")
            && adapter.contains("smol:"),
        "{adapter}"
    );
    // With no --adapter the default one runs, to the same output.
    let r = mcp(&["info"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    snapshot("info", &["info"], &r.stdout);
}

fn info(m: &Mcp) {
    m.snap("info", &["info"], "", 0);
    m.snap("info_legacy", &["--era", "legacy", "info"], "", 0);
}

fn tools(m: &Mcp) {
    m.snap("tools_list", &["tools", "list"], "", 0);
    m.snap(
        "tools_call_echo",
        &["tools", "call", "echo", "text=hello there"],
        "",
        0,
    );
    m.snap(
        "tools_call_add_json_values",
        &["tools", "call", "add", "a=2", "b=40.5"],
        "",
        0,
    );
    m.snap(
        "tools_call_args_json",
        &[
            "tools",
            "call",
            "echo",
            "--args",
            r#"{"text": "from --args"}"#,
        ],
        "",
        0,
    );
    m.snap(
        "tools_call_weather",
        &["tools", "call", "weather", "city=Lisbon"],
        "",
        0,
    );
    m.snap(
        "tools_call_weather_json",
        &["--json", "tools", "call", "weather", "city=Lisbon"],
        "",
        0,
    );
    m.snap(
        "tools_call_slow",
        &["tools", "call", "slow", "steps=3", "step_ms=20"],
        "",
        0,
    );
    let failed = m.snap("tools_call_fail", &["tools", "call", "fail"], "", 1);
    assert!(
        failed.stderr.contains("the tool fail reported an error"),
        "{}",
        failed.stderr
    );
    let boom = m.run(&["tools", "call", "boom"], "");
    assert_eq!(boom.code, 1);
    assert!(
        boom.stderr.contains("error -32603: boom"),
        "{}",
        boom.stderr
    );
}

fn resources_prompts_completion(m: &Mcp) {
    m.snap("resources_list", &["resources", "list"], "", 0);
    m.snap(
        "resources_read_text",
        &["resources", "read", "file:///a.txt"],
        "",
        0,
    );
    m.snap(
        "resources_read_binary",
        &["resources", "read", "file:///b.bin"],
        "",
        0,
    );
    m.snap("resources_templates", &["resources", "templates"], "", 0);
    m.snap("prompts_list", &["prompts", "list"], "", 0);
    m.snap(
        "prompts_get",
        &["prompts", "get", "greet", "who=Ada", "style=formal"],
        "",
        0,
    );
    m.snap(
        "complete_prompt",
        &["complete", "--prompt", "greet", "who", "A"],
        "",
        0,
    );
    m.snap(
        "complete_template",
        &["complete", "--resource", "demo://notes/{name}", "name", "j"],
        "",
        0,
    );
}

fn ping_and_subscribe(m: &Mcp) {
    let r = m.run(&["ping"], "");
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("pong in ") && r.stdout.trim_end().ends_with(" ms"),
        "{}",
        r.stdout
    );
    m.snap(
        "subscribe_clock",
        &["subscribe", "demo://clock", "--count", "2"],
        "",
        0,
    );
}

fn elicitation_and_sampling_at_the_terminal(m: &Mcp) {
    let r = m.snap(
        "elicit_answered",
        &["tools", "call", "ask_name"],
        "y\nAda Lovelace\n",
        0,
    );
    assert!(
        r.stderr.contains("The server asks: What is your name?"),
        "{}",
        r.stderr
    );
    m.snap(
        "elicit_answered_legacy",
        &["--era", "legacy", "tools", "call", "ask_name"],
        "\nGrace\n",
        0,
    );
    m.snap("elicit_declined", &["tools", "call", "ask_name"], "n\n", 0);
    let r = m.snap(
        "elicit_no_input",
        &["--no-input", "tools", "call", "ask_name"],
        "",
        0,
    );
    assert!(r.stderr.contains("--no-input"), "{}", r.stderr);
    m.snap(
        "sample_answered",
        &["tools", "call", "sample"],
        "Four.\n",
        0,
    );
    let refused = m.run(
        &["--era", "legacy", "--no-input", "tools", "call", "sample"],
        "",
    );
    assert_eq!(
        refused.code, 0,
        "a legacy server gets the refusal and answers: {}",
        refused.stderr
    );
    assert!(refused.stdout.contains("refused"), "{}", refused.stdout);
}

fn the_guided_demo(m: &Mcp) {
    let r = m.snap("demo", &["--no-input", "demo"], "", 0);
    assert!(
        r.stderr
            .contains("[server log: notice mcp-demo] a message from the server"),
        "{}",
        r.stderr
    );
}

fn targets_stdio_env_cwd_and_config(m: &Mcp) {
    let me = env!("CARGO_BIN_EXE_mcp");
    // --stdio with --env and --cwd: the server sees both.
    let stdio = format!("sh -c 'echo \"X=$X in $(pwd)\" >&2; exec {me} serve-demo'");
    let r = m.run(
        &[
            "--stdio",
            &stdio,
            "--env",
            "X=42",
            "--cwd",
            "/tmp",
            "--server-stderr",
            "ping",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("[server stderr] X=42 in /tmp"),
        "{}",
        r.stderr
    );

    // --config with ${VAR} interpolation.
    let dir = m.scratch("test");
    let config = dir.join("servers.json");
    std::fs::write(
        &config,
        format!(r#"{{"mcpServers": {{"demo": {{"command": "{me}", "args": ["serve-demo"], "env": {{"GREETING": "${{HOME}}"}}}},
                    "broken": {{"command": "{me}", "args": ["serve-demo", 7]}},
                    "remote": {{"url": "https://example.com/mcp"}}}}}}"#),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let r = m.run(&["--config", cfg, "--server", "demo", "info"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("mcp-demo"));
    let r = m.run(&["--config", cfg, "--server", "broken", "info"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("mcpServers.broken.args[1] must be a string"),
        "{}",
        r.stderr
    );
    let r = m.run(&["--config", cfg, "--server", "nope", "info"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no server named \"nope\"") && r.stderr.contains("demo"),
        "{}",
        r.stderr
    );
    let r = m.run(&["--config", cfg, "--server", "remote", "info"], "");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("HTTP"), "{}", r.stderr);
}

fn usage_and_connection_errors_have_their_exit_codes(m: &Mcp) {
    let r = m.run(&["tools", "call", "echo", "not-a-pair"], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expected KEY=VALUE"), "{}", r.stderr);
    let r = m.run(&["--stdio", "/nonexistent/server", "ping"], "");
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("could not connect") && r.stderr.contains("/nonexistent/server"),
        "{}",
        r.stderr
    );
    let r = m.run(&["--stdio", "sh -c 'echo not mcp >&2; exit 9'", "ping"], "");
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("exit code 9") && r.stderr.contains("not mcp"),
        "{}",
        r.stderr
    );
    let r = m.run(&["frobnicate"], "");
    assert_eq!(r.code, 2, "clap's usage errors exit 2");
    let r = m.run(&["--timeout", "0.2", "tools", "call", "never"], "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no answer within"), "{}", r.stderr);
}

/// `--url` and `url` config entries, against the real server-everything
/// over Streamable HTTP and over the 2024-11-05 HTTP+SSE transport.
fn targets_over_http(m: &Mcp) {
    use mcp_tests::{EverythingHttp, HttpMode};
    let server = EverythingHttp::start(HttpMode::Streamable);
    let url = server.url();
    let r = m.run(
        &["--url", &url, "--header", "X-Trace: cli-test", "info"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("mcp-servers/everything"), "{}", r.stdout);
    assert!(r.stdout.contains("2025-11-25"), "{}", r.stdout);
    let r = m.run(
        &["--url", &url, "tools", "call", "echo", "message=over http"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Echo: over http"), "{}", r.stdout);

    let dir = m.scratch("http");
    let config = dir.join("servers.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"mcpServers": {{"remote": {{"url": "{url}", "headers": {{"X-Trace": "cli"}}}}}}}}"#
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let r = m.run(
        &["--config", cfg, "--server", "remote", "tools", "list"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("echo"), "{}", r.stdout);
    std::fs::remove_dir_all(&dir).ok();

    let sse = EverythingHttp::start(HttpMode::Sse);
    let r = m.run(
        &[
            "--url",
            &sse.url(),
            "tools",
            "call",
            "echo",
            "message=old transport",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Echo: old transport"), "{}", r.stdout);

    let r = m.run(&["--url", "ftp://example.com/mcp", "info"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = m.run(&["--url", &url, "--header", "no-colon", "info"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("NAME:VALUE"), "{}", r.stderr);
}

/// `mcp check --json`'s report.
fn report(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("--json prints JSON ({e}):\n{}\n{}", r.stdout, r.stderr))
}

/// The demo server breaks nothing, in either era and in every revision it
/// speaks; the report of a plain run is pinned.
fn check_passes_the_demo_in_every_revision(m: &Mcp) {
    let r = m.snap("check_modern", &["check"], "", 0);
    assert!(r.stdout.contains("passed: "), "{}", r.stdout);
    m.snap("check_legacy", &["--era", "legacy", "check"], "", 0);
    for version in [
        "2024-11-05",
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
        "2026-07-28",
    ] {
        let r = m.run(&["check", "--protocol-version", version, "--json"], "");
        assert_eq!(r.code, 0, "{version}: {}\n{}", r.stdout, r.stderr);
        let j = report(&r);
        assert_eq!(j["protocolVersion"], version);
        assert_eq!(j["passed"], true);
        assert_eq!(j["violations"], serde_json::json!([]));
        assert!(j["checked"].as_u64().unwrap() >= 10, "{j}");
        assert_eq!(j["checked"], j["received"]);
    }
    // Every tool: a tool error and a JSON-RPC error are answers, a tool
    // that never answers is a failed step; still no violation.
    let r = m.run(
        &["--timeout", "1", "check", "--call-tools", "all", "--json"],
        "",
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let j = report(&r);
    assert_eq!(j["violations"], serde_json::json!([]));
    let outcome = |step: &str| {
        j["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == step)
            .map(|s| s["outcome"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no step {step}: {j}"))
    };
    assert_eq!(outcome("tools/call never"), "failed");
    assert_eq!(outcome("tools/call boom"), "refused");
    assert_eq!(outcome("tools/call fail"), "ok");
    assert_eq!(outcome("tools/call slow"), "ok");
    // An input request the check declines is not the server's fault.
    assert_eq!(outcome("tools/call sample"), "refused");
    let r = m.run(&["check", "--protocol-version", "1999-01-01"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("2026-07-28"), "{}", r.stderr);
}

/// A server that breaks the schema in known ways: each breach is reported
/// with the message that carried it, and the exit code is 1.
fn check_reports_each_violation_with_its_message(m: &Mcp) {
    let server = |mode: &str| format!("'{}' {mode}", mcp_tests::fault_server().display());
    let r = m.run(&["--stdio", &server("off-schema"), "check"], "");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let out = &r.stdout;
    for expected in [
        // A tool list whose first tool lacks its input schema.
        "result of tools/list, as ListToolsResult",
        "at /result/tools/0: \"inputSchema\" is a required property",
        // Tool results whose text block has `txt` for `text`: the content
        // union is explained by the text block's own definition.
        "result of tools/call, as CallToolResult",
        "at /result/content/0: \"text\" is a required property",
        "message: {\"id\":",
        "\"txt\":",
        // A log message without its level.
        "notification notifications/message, as LoggingMessageNotification",
        "at /params: \"level\" is a required property",
        // A line that is not JSON, from the client's core.
        "line is not JSON",
        // Alike messages are grouped (three read-only tools were called).
        "2 more messages broke it the same way",
        // A notification no revision has is noted, not counted.
        "notification notifications/vendor/custom: not a notification of 2025-11-25",
        "FAILED: ",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    // The core's own word on the log message would repeat the schema's.
    assert!(!out.contains("notification params do not decode"), "{out}");

    let r = m.run(&["--stdio", &server("off-schema"), "check", "--json"], "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j = report(&r);
    assert_eq!(j["passed"], false);
    let violations = j["violations"].as_array().unwrap();
    // tools/list, 3 tool results, 3 log messages, 3 lines not JSON.
    assert_eq!(violations.len(), 10, "{j:#}");
    let calls: Vec<_> = violations
        .iter()
        .filter(|v| v["what"] == "result of tools/call, as CallToolResult")
        .collect();
    assert_eq!(calls.len(), 3, "{j:#}");
    for c in calls {
        assert_eq!(c["kind"], "schema");
        let message: serde_json::Value =
            serde_json::from_str(c["message"].as_str().unwrap()).unwrap();
        assert_eq!(message["id"].to_string(), c["id"].as_str().unwrap());
        assert!(message.pointer("/result/content/0/txt").is_some(), "{c}");
    }
    let protocol = violations
        .iter()
        .filter(|v| v["kind"] == "protocol")
        .count();
    assert_eq!(protocol, 3, "{j:#}");

    // A handshake answer no client can start with: the report still shows
    // it, checked against the revision it named; exit 1, not 3.
    let r = m.run(&["--stdio", &server("off-schema-init"), "check"], "");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for expected in [
        "FAILED   handshake",
        "result of initialize, as InitializeResult (id ",
        "at /result/capabilities: \"none\" is not of type \"object\"",
        "checked against the 2025-11-25 schema",
    ] {
        assert!(
            r.stdout.contains(expected),
            "{expected:?} missing from:\n{}",
            r.stdout
        );
    }
    // No server at all is still a connection failure.
    let r = m.run(&["--stdio", "/nonexistent/server", "check"], "");
    assert_eq!(r.code, 3, "{}", r.stderr);
}

/// The real server-everything: clean over stdio; over Streamable HTTP it
/// answers the client's `server/discover` probe (sent before a session
/// exists) with an error whose id is null, which the MCP schema does not
/// allow, and the check says so.
fn check_real_servers(m: &Mcp) {
    let deps = mcp_tests::js_deps();
    let stdio = format!(
        "'{}' '{}' stdio",
        mcp_tests::node().display(),
        deps.join("@modelcontextprotocol/server-everything/dist/index.js")
            .display()
    );
    let r = m.run(&["--stdio", &stdio, "check", "--json"], "");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let j = report(&r);
    assert_eq!(j["protocolVersion"], "2025-11-25");
    let ok = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "ok")
        .count();
    assert!(ok >= 30, "{j:#}");
    // It offers the task list of 2025-11-25, which is checked too.
    assert!(
        j["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["step"] == "tasks/list" && s["outcome"] == "ok"),
        "{j:#}"
    );

    use mcp_tests::{EverythingHttp, HttpMode};
    let server = EverythingHttp::start(HttpMode::Streamable);
    let r = m.run(
        &["--url", &server.url(), "check", "--call-tools", "none"],
        "",
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("1 violation:")
            && r.stdout.contains("error response, as JSONRPCErrorResponse")
            && r.stdout.contains("at /id: null is not of types")
            && r.stdout.contains("Server not initialized"),
        "{}",
        r.stdout
    );
    // Offering a legacy revision only, there is no probe and nothing to
    // find.
    let r = m.run(
        &[
            "--url",
            &server.url(),
            "check",
            "--call-tools",
            "none",
            "--protocol-version",
            "2025-06-18",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}
