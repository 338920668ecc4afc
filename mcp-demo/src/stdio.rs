//! The demo server on real stdin and stdout: the only place in this crate
//! that reads the clock or does I/O.

use std::io::{Read, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;

use crate::{ScriptedServer, ServerConfig};

/// Serves MCP on this process's stdin and stdout until stdin ends (or the
/// server exits). A line on stderr says so at start; the protocol leaves
/// stderr free for logs.
///
/// A thread reads stdin into a channel; the loop waits on the channel until
/// the server's next deadline (a progress step, a clock tick), so it sleeps
/// when there is nothing to do.
pub fn run_stdio(cfg: ServerConfig) -> std::io::Result<()> {
    let speaks = match cfg.era {
        crate::ServerEra::Legacy => "legacy revisions only",
        crate::ServerEra::Modern => "2026-07-28 only",
        crate::ServerEra::Dual => "legacy revisions and 2026-07-28",
    };
    eprintln!("{}: serving MCP on stdio ({speaks})", cfg.server_name);
    let mut server = ScriptedServer::new(cfg, Instant::now());
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let msg = match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => None,
                    Ok(n) => Some(buf[..n].to_vec()),
                };
                let end = msg.is_none();
                if tx.send(msg).is_err() || end {
                    return;
                }
            }
        })?;
    let mut stdout = std::io::stdout().lock();
    loop {
        let now = Instant::now();
        while let Some(bytes) = server.poll_output(now) {
            stdout.write_all(&bytes)?;
        }
        stdout.flush()?;
        if server.is_done() {
            return Ok(());
        }
        let msg = match server.poll_timeout() {
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => None,
            },
            None => rx.recv().ok().flatten(),
        };
        match msg {
            Some(bytes) => server.handle_bytes(Instant::now(), &bytes),
            None => {
                // Stdin ended: the client is done. Send what is due, then go.
                server.handle_eof(Instant::now());
                let now = Instant::now();
                while let Some(bytes) = server.poll_output(now) {
                    stdout.write_all(&bytes)?;
                }
                stdout.flush()?;
                return Ok(());
            }
        }
    }
}
