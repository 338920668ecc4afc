//! A misbehaving MCP server for fault tests: the scripted server of
//! `mcp_proto::testing` on a real clock, with one fault injected.
//!
//! `mcp-fault-server MODE`, where MODE is one of:
//! - `normal`: a well-behaved legacy server;
//! - `exit-mid-request`: exits with code 3 (after a line on stderr) when the
//!   first `tools/call` arrives;
//! - `flood-stderr`: writes 16 MiB to stderr while serving;
//! - `ignore-sigterm`: ignores SIGTERM and the end of its stdin;
//! - `grandchild`: starts a grandchild that sleeps forever, says its pid on
//!   stderr, then serves;
//! - `banner`: prints a banner line on stdout before speaking MCP;
//! - `sleeper`: sleeps forever (the grandchild).

use std::io::{Read, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use mcp_proto::testing::{ScriptedServer, ServerConfig};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "normal".into());
    match mode.as_str() {
        "sleeper" => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
        "ignore-sigterm" => ignore_sigterm(),
        "grandchild" => {
            // Deliberately never waited for: the grandchild is the orphan
            // the client must clean up.
            #[allow(clippy::zombie_processes)]
            let child = std::process::Command::new(std::env::current_exe().expect("own path"))
                .arg("sleeper")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("the grandchild starts");
            eprintln!("grandchild pid {}", child.id());
        }
        "flood-stderr" => {
            std::thread::spawn(|| {
                let line = format!("{}\n", "e".repeat(1023));
                let mut err = std::io::stderr().lock();
                for _ in 0..16 * 1024 {
                    if err.write_all(line.as_bytes()).is_err() {
                        return;
                    }
                }
                let _ = writeln!(err, "flood done");
            });
        }
        "banner" => println!("*** Welcome to the fault server! ***"),
        _ => {}
    }
    serve(&mode);
}

#[cfg(unix)]
fn ignore_sigterm() {
    // A handler that only sets a flag replaces the default action, which is
    // to die.
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGTERM, flag).expect("SIGTERM handler");
}

#[cfg(not(unix))]
fn ignore_sigterm() {}

fn serve(mode: &str) {
    let start = Instant::now();
    let mut server = ScriptedServer::new(ServerConfig::legacy(), start);
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 65536];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut stdout = std::io::stdout().lock();
    loop {
        let now = Instant::now();
        while let Some(bytes) = server.poll_output(now) {
            if stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return;
            }
        }
        let wait = server
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now));
        let msg = match wait {
            Some(d) => match rx.recv_timeout(d) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => rx.recv().ok(),
        };
        match msg.flatten() {
            Some(bytes) => {
                if mode == "exit-mid-request"
                    && String::from_utf8_lossy(&bytes).contains("\"tools/call\"")
                {
                    eprintln!("fatal: injected crash while handling tools/call");
                    std::process::exit(3);
                }
                server.handle_bytes(Instant::now(), &bytes);
            }
            None if mode == "ignore-sigterm" => loop {
                // Deaf to the end of stdin too: only SIGKILL ends it.
                std::thread::sleep(Duration::from_secs(3600));
            },
            None => return,
        }
    }
}
