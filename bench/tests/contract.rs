//! The driver contract, checked on the real binaries against the bench
//! server as a real child process: one JSON line on stdout, its fields,
//! the exit code, failures that end by themselves, and the floor writing
//! exactly the bytes our client writes.

use std::process::{Command, Output};

use mcp_bench::cli::Era;
use mcp_bench::wire;
use serde_json::Value;

const CLIENT: &str = env!("CARGO_BIN_EXE_mcp-bench-client");
const FLOOR: &str = env!("CARGO_BIN_EXE_mcp-bench-floor");
const SERVER: &str = env!("CARGO_BIN_EXE_mcp-bench-server");

fn run(program: &str, args: &[&str]) -> (Output, Value) {
    let out = Command::new(program).args(args).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {stdout:?}");
    let v = serde_json::from_str(lines[0]).expect("the line is JSON");
    (out, v)
}

fn ok_line(v: &Value, client: &str, adapter: &str, era: &str, workload: &str, n: u64) {
    assert_eq!(v["client"], client, "{v}");
    assert_eq!(v["adapter"], adapter, "{v}");
    assert_eq!(v["era"], era, "{v}");
    assert_eq!(v["workload"], workload, "{v}");
    assert_eq!(v["n"], n, "{v}");
    assert!(v.get("error").is_none(), "{v}");
    let secs = v["secs"].as_f64().expect("secs");
    assert!(secs > 0.0, "{v}");
    let ops = v["ops_per_sec"].as_f64().expect("ops_per_sec");
    assert!((ops - n as f64 / secs).abs() / ops < 1e-6, "{v}");
    assert!(v["cpu_secs"].as_f64().expect("cpu_secs") >= 0.0, "{v}");
    assert!(v["peak_rss_kib"].as_u64().expect("peak_rss_kib") > 0, "{v}");
}

#[test]
fn every_workload_on_both_adapters_and_the_floor_in_both_eras() {
    for era in ["legacy", "modern"] {
        for (workload, n, extra) in [
            ("W1", 50u64, vec![]),
            ("W2", 300, vec![]),
            ("W3", 2, vec!["--blob-bytes", "100001"]),
            ("W4", 3, vec![]),
        ] {
            let n_text = n.to_string();
            for (program, client, adapter) in [
                (CLIENT, "mcp-rs", "blocking"),
                (CLIENT, "mcp-rs", "smol"),
                (FLOOR, "floor", "blocking"),
            ] {
                let mut args = vec![
                    "--adapter",
                    adapter,
                    "--workload",
                    workload,
                    "--n",
                    &n_text,
                    "--era",
                    era,
                ];
                args.extend(extra.iter().copied());
                args.extend(["--", SERVER]);
                let (out, v) = run(program, &args);
                assert!(out.status.success(), "{program} {args:?}: {v}");
                ok_line(&v, client, adapter, era, workload, n);
            }
        }
    }
}

#[test]
fn the_default_cap_lets_a_16_mib_blob_through_and_lifting_it_is_accepted() {
    let (out, v) = run(CLIENT, &["--workload", "W3", "--n", "1", "--", SERVER]);
    assert!(out.status.success(), "{v}");
    ok_line(&v, "mcp-rs", "blocking", "legacy", "W3", 1);
    let (out, v) = run(
        CLIENT,
        &[
            "--lift-line-cap",
            "--adapter",
            "smol",
            "--workload",
            "W3",
            "--n",
            "1",
            "--blob-bytes",
            "1000",
            "--",
            SERVER,
        ],
    );
    assert!(out.status.success(), "{v}");
}

#[test]
fn failures_print_one_error_line_and_exit_non_zero() {
    // No such program.
    let (out, v) = run(
        CLIENT,
        &[
            "--workload",
            "W1",
            "--n",
            "5",
            "--",
            "/nonexistent/mcp-server",
        ],
    );
    assert!(!out.status.success());
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    assert_eq!(v["workload"], "W1");
    // A server that exits at once: an error, not a hang.
    for adapter in ["blocking", "smol"] {
        let (out, v) = run(
            CLIENT,
            &[
                "--adapter",
                adapter,
                "--workload",
                "W1",
                "--n",
                "5",
                "--",
                "true",
            ],
        );
        assert!(!out.status.success(), "{adapter}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    let (out, v) = run(FLOOR, &["--workload", "W1", "--n", "5", "--", "true"]);
    assert!(!out.status.success(), "{v}");
    assert!(v["error"].is_string(), "{v}");
    // Usage errors exit 2.
    let (out, v) = run(CLIENT, &["--workload", "W9", "--n", "5", "--", SERVER]);
    assert_eq!(out.status.code(), Some(2), "{v}");
    assert!(v["error"].as_str().is_some_and(|e| e.contains("W9")), "{v}");
}

/// What the client wrote, recorded by a `tee` in front of the server.
fn recorded(adapter: &str, era: &str, workload: &str, n: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!(
        "mcp-bench-wire-{}-{adapter}-{era}-{workload}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("stdin.log");
    let script = format!("tee '{}' | '{SERVER}'", file.display());
    let (out, v) = run(
        CLIENT,
        &[
            "--adapter",
            adapter,
            "--era",
            era,
            "--workload",
            workload,
            "--n",
            n,
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    assert!(out.status.success(), "{v}");
    let bytes = std::fs::read(&file).expect("the log");
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

#[test]
fn the_floor_writes_exactly_what_the_client_writes() {
    for (era, e) in [("legacy", Era::Legacy), ("modern", Era::Modern)] {
        let script = wire::script(e, "echo", &wire::echo_args()).expect("script");
        let mut expected = Vec::new();
        for step in &script.handshake {
            expected.extend_from_slice(&step.bytes);
        }
        for i in 0..3 {
            script.call.write(script.call.id + i, &mut expected);
        }
        for adapter in ["blocking", "smol"] {
            let got = recorded(adapter, era, "W1", "3");
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "{adapter} in {era}"
            );
        }
        // W4: the handshake, then tools/list.
        let mut expected = Vec::new();
        for step in &script.handshake {
            expected.extend_from_slice(&step.bytes);
        }
        script.list.write(script.list.id, &mut expected);
        let got = recorded("blocking", era, "W4", "1");
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "W4 in {era}"
        );
    }
}
