//! The scripted server of `mcp_proto::testing` on one end of a socket, on a
//! real clock, shared with the test so it can see what arrived.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mcp_proto::testing::{ScriptedServer, ServerConfig};

/// A scripted server being served.
pub struct Served {
    /// The server, to ask what it received.
    pub server: Arc<Mutex<ScriptedServer>>,
    /// The thread serving it; it ends when the client closes its end.
    pub thread: JoinHandle<()>,
}

impl Served {
    /// Whether the server saw the end of the conversation and stopped.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}

/// Serves a scripted server with `cfg` on `socket` until the client closes
/// its end.
pub fn serve(socket: UnixStream, cfg: ServerConfig) -> Served {
    let server = Arc::new(Mutex::new(ScriptedServer::new(cfg, Instant::now())));
    let shared = server.clone();
    let thread = std::thread::spawn(move || {
        let mut reader = socket.try_clone().expect("a second handle");
        let mut writer = socket;
        let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(None);
                        return;
                    }
                    Ok(n) => {
                        let _ = tx.send(Some(buf[..n].to_vec()));
                    }
                }
            }
        });
        loop {
            let wait = {
                let mut s = server.lock().unwrap();
                while let Some(bytes) = s.poll_output(Instant::now()) {
                    if writer.write_all(&bytes).is_err() {
                        return;
                    }
                }
                s.poll_timeout().map_or(Duration::from_secs(5), |t| {
                    t.saturating_duration_since(Instant::now())
                })
            };
            match rx.recv_timeout(wait) {
                Ok(Some(bytes)) => server.lock().unwrap().handle_bytes(Instant::now(), &bytes),
                Ok(None) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    });
    Served {
        server: shared,
        thread,
    }
}
