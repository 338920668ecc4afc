//! The server's stderr: always drained (a chatty server must never block on
//! a full pipe), its last lines kept for error reports, each line handed to
//! the application if it asked. The splitting and keeping are
//! `mcp_adapter::stderr`'s; this is the reading thread.

use std::io::Read;
use std::sync::Arc;

use mcp_adapter::stderr::{Lines, Ring};
use mcp_adapter::StderrFn;

/// Reads stderr to its end. Runs on its own thread.
pub(crate) fn drain(mut stderr: impl Read, ring: Arc<Ring>, on_line: Option<StderrFn>) {
    let mut lines = Lines::new();
    let each = |line: &str| {
        if let Some(f) = &on_line {
            f(line);
        }
        ring.push(line);
    };
    let mut buf = vec![0u8; 8192];
    loop {
        match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => lines.push(&buf[..n], each),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    lines.finish(each);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_line_reaches_the_callback_and_the_ring() {
        let ring = Arc::new(Ring::new(3));
        let mut input = String::new();
        for i in 0..10 {
            input.push_str(&format!("line {i}\n"));
        }
        input.push_str("last without newline");
        let seen = Arc::new(Mutex::new(0));
        let counter = seen.clone();
        drain(
            input.as_bytes(),
            ring.clone(),
            Some(Arc::new(move |_| *counter.lock().unwrap() += 1)),
        );
        assert_eq!(*seen.lock().unwrap(), 11);
        assert_eq!(ring.tail(2).0, ["line 9", "last without newline"]);
    }
}
