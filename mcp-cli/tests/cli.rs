//! The `mcp` command against its bundled demo server: output pinned with
//! insta snapshots, exit codes checked. Each run starts a real `mcp`
//! process, which starts the demo server as its own child.

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

/// Runs `mcp` and snapshots its stdout (and its exit code).
fn snap(name: &str, args: &[&str], stdin: &str, code: i32) -> Run {
    let r = mcp(args, stdin);
    assert_eq!(
        r.code, code,
        "mcp {args:?}\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
    insta::with_settings!({ description => format!("mcp {}", args.join(" ")), omit_expression => true }, {
        insta::assert_snapshot!(name, r.stdout);
    });
    r
}

#[test]
fn info() {
    snap("info", &["info"], "", 0);
    snap("info_legacy", &["--era", "legacy", "info"], "", 0);
}

#[test]
fn tools() {
    snap("tools_list", &["tools", "list"], "", 0);
    snap(
        "tools_call_echo",
        &["tools", "call", "echo", "text=hello there"],
        "",
        0,
    );
    snap(
        "tools_call_add_json_values",
        &["tools", "call", "add", "a=2", "b=40.5"],
        "",
        0,
    );
    snap(
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
    snap(
        "tools_call_weather",
        &["tools", "call", "weather", "city=Lisbon"],
        "",
        0,
    );
    snap(
        "tools_call_weather_json",
        &["--json", "tools", "call", "weather", "city=Lisbon"],
        "",
        0,
    );
    snap(
        "tools_call_slow",
        &["tools", "call", "slow", "steps=3", "step_ms=20"],
        "",
        0,
    );
    let failed = snap("tools_call_fail", &["tools", "call", "fail"], "", 1);
    assert!(
        failed.stderr.contains("the tool fail reported an error"),
        "{}",
        failed.stderr
    );
    let boom = mcp(&["tools", "call", "boom"], "");
    assert_eq!(boom.code, 1);
    assert!(
        boom.stderr.contains("error -32603: boom"),
        "{}",
        boom.stderr
    );
}

#[test]
fn resources_prompts_completion() {
    snap("resources_list", &["resources", "list"], "", 0);
    snap(
        "resources_read_text",
        &["resources", "read", "file:///a.txt"],
        "",
        0,
    );
    snap(
        "resources_read_binary",
        &["resources", "read", "file:///b.bin"],
        "",
        0,
    );
    snap("resources_templates", &["resources", "templates"], "", 0);
    snap("prompts_list", &["prompts", "list"], "", 0);
    snap(
        "prompts_get",
        &["prompts", "get", "greet", "who=Ada", "style=formal"],
        "",
        0,
    );
    snap(
        "complete_prompt",
        &["complete", "--prompt", "greet", "who", "A"],
        "",
        0,
    );
    snap(
        "complete_template",
        &["complete", "--resource", "demo://notes/{name}", "name", "j"],
        "",
        0,
    );
}

#[test]
fn ping_and_subscribe() {
    let r = mcp(&["ping"], "");
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("pong in ") && r.stdout.trim_end().ends_with(" ms"),
        "{}",
        r.stdout
    );
    snap(
        "subscribe_clock",
        &["subscribe", "demo://clock", "--count", "2"],
        "",
        0,
    );
}

#[test]
fn elicitation_and_sampling_at_the_terminal() {
    let r = snap(
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
    snap(
        "elicit_answered_legacy",
        &["--era", "legacy", "tools", "call", "ask_name"],
        "\nGrace\n",
        0,
    );
    snap("elicit_declined", &["tools", "call", "ask_name"], "n\n", 0);
    let r = snap(
        "elicit_no_input",
        &["--no-input", "tools", "call", "ask_name"],
        "",
        0,
    );
    assert!(r.stderr.contains("--no-input"), "{}", r.stderr);
    snap(
        "sample_answered",
        &["tools", "call", "sample"],
        "Four.\n",
        0,
    );
    let refused = mcp(
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

#[test]
fn the_guided_demo() {
    let r = snap("demo", &["--no-input", "demo"], "", 0);
    assert!(
        r.stderr
            .contains("[server log: notice mcp-demo] a message from the server"),
        "{}",
        r.stderr
    );
}

#[test]
fn targets_stdio_env_cwd_and_config() {
    let me = env!("CARGO_BIN_EXE_mcp");
    // --stdio with --env and --cwd: the server sees both.
    let stdio = format!("sh -c 'echo \"X=$X in $(pwd)\" >&2; exec {me} serve-demo'");
    let r = mcp(
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
    let dir = std::env::temp_dir().join(format!("mcp-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("servers.json");
    std::fs::write(
        &config,
        format!(r#"{{"mcpServers": {{"demo": {{"command": "{me}", "args": ["serve-demo"], "env": {{"GREETING": "${{HOME}}"}}}},
                    "broken": {{"command": "{me}", "args": ["serve-demo", 7]}},
                    "remote": {{"url": "https://example.com/mcp"}}}}}}"#),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let r = mcp(&["--config", cfg, "--server", "demo", "info"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("mcp-demo"));
    let r = mcp(&["--config", cfg, "--server", "broken", "info"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("mcpServers.broken.args[1] must be a string"),
        "{}",
        r.stderr
    );
    let r = mcp(&["--config", cfg, "--server", "nope", "info"], "");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no server named \"nope\"") && r.stderr.contains("demo"),
        "{}",
        r.stderr
    );
    let r = mcp(&["--config", cfg, "--server", "remote", "info"], "");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("HTTP"), "{}", r.stderr);
}

#[test]
fn usage_and_connection_errors_have_their_exit_codes() {
    let r = mcp(&["tools", "call", "echo", "not-a-pair"], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expected KEY=VALUE"), "{}", r.stderr);
    let r = mcp(&["--stdio", "/nonexistent/server", "ping"], "");
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("could not connect") && r.stderr.contains("/nonexistent/server"),
        "{}",
        r.stderr
    );
    let r = mcp(&["--stdio", "sh -c 'echo not mcp >&2; exit 9'", "ping"], "");
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("exit code 9") && r.stderr.contains("not mcp"),
        "{}",
        r.stderr
    );
    let r = mcp(&["frobnicate"], "");
    assert_eq!(r.code, 2, "clap's usage errors exit 2");
    let r = mcp(&["--timeout", "0.2", "tools", "call", "never"], "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no answer within"), "{}", r.stderr);
}

/// `--url` and `url` config entries, against the real server-everything
/// over Streamable HTTP and over the 2024-11-05 HTTP+SSE transport.
#[test]
fn targets_over_http() {
    use mcp_tests::{EverythingHttp, HttpMode};
    let server = EverythingHttp::start(HttpMode::Streamable);
    let url = server.url();
    let r = mcp(
        &["--url", &url, "--header", "X-Trace: cli-test", "info"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("mcp-servers/everything"), "{}", r.stdout);
    assert!(r.stdout.contains("2025-11-25"), "{}", r.stdout);
    let r = mcp(
        &["--url", &url, "tools", "call", "echo", "message=over http"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Echo: over http"), "{}", r.stdout);

    let dir = std::env::temp_dir().join(format!("mcp-cli-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("servers.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"mcpServers": {{"remote": {{"url": "{url}", "headers": {{"X-Trace": "cli"}}}}}}}}"#
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let r = mcp(
        &["--config", cfg, "--server", "remote", "tools", "list"],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("echo"), "{}", r.stdout);
    std::fs::remove_dir_all(&dir).ok();

    let sse = EverythingHttp::start(HttpMode::Sse);
    let r = mcp(
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

    let r = mcp(&["--url", "ftp://example.com/mcp", "info"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = mcp(&["--url", &url, "--header", "no-colon", "info"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("NAME:VALUE"), "{}", r.stderr);
}
