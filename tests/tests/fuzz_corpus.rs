//! Replays every committed fuzz input (`fuzz/corpus/<target>/*` and any
//! `fuzz/artifacts/<target>/*`) through the same entry points the fuzz
//! targets call, on stable Rust, so every crash a fuzzer ever found stays a
//! regression test.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mcp_proto::testing::fuzz;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["corpus", "artifacts"] {
        let dir = fuzz_dir().join(kind).join(target);
        let Ok(entries) = fs::read_dir(&dir) else {
            assert!(kind == "artifacts", "{} is missing", dir.display());
            continue;
        };
        for e in entries {
            let path = e.expect("readable directory").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    let files = inputs(target);
    assert!(
        files.len() >= 5,
        "fuzz/corpus/{target} has only {} inputs",
        files.len()
    );
    for f in files {
        let data = fs::read(&f).expect("readable input");
        // A failing input names itself before the panic propagates.
        let name = f.display().to_string();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        if let Err(e) = result {
            eprintln!("fuzz input {name} failed");
            std::panic::resume_unwind(e);
        }
    }
}

#[test]
fn deframer_corpus() {
    replay("deframer", fuzz::deframer);
}

#[test]
fn sse_corpus() {
    replay("sse", fuzz::sse);
}

#[test]
fn jsonrpc_client_corpus() {
    replay("jsonrpc_client", |d| {
        fuzz::jsonrpc_client(Instant::now(), d)
    });
}

#[test]
fn client_ops_corpus() {
    replay("client_ops", |d| fuzz::client_ops(Instant::now(), d));
}

#[test]
fn http_client_corpus() {
    let start = Instant::now();
    replay("http_client", |data| {
        fuzz::http_client(start, data);
    });
}
