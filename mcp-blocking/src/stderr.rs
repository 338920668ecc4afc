//! The server's stderr: always drained (a chatty server must never block on
//! a full pipe), its last lines kept for error reports, each line handed to
//! the application if it asked.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::StderrTail;

/// A callback for each line the server writes to stderr.
pub(crate) type StderrFn = Arc<dyn Fn(&str) + Send + Sync>;

/// Longest stderr line kept, in bytes; a longer one is cut (its tail is
/// dropped), so a binary blob on stderr cannot balloon memory.
const MAX_LINE: usize = 4096;

/// The last lines of stderr.
#[derive(Debug)]
pub(crate) struct Ring {
    lines: Mutex<VecDeque<String>>,
    capacity: usize,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Ring {
        Ring {
            lines: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    fn push(&self, line: String) {
        if self.capacity == 0 {
            return;
        }
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == self.capacity {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The last `n` lines kept (all of them with `usize::MAX`).
    pub(crate) fn tail(&self, n: usize) -> StderrTail {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let skip = lines.len().saturating_sub(n);
        StderrTail(lines.iter().skip(skip).cloned().collect())
    }
}

/// Reads stderr to its end. Runs on its own thread.
pub(crate) fn drain(stderr: impl Read, ring: Arc<Ring>, on_line: Option<StderrFn>) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // Read at most a line's worth; the rest of an overlong line is
        // consumed and dropped below.
        let n = match reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let complete = buf.last() == Some(&b'\n');
        if !complete && n == MAX_LINE {
            let mut rest = Vec::new();
            if reader.read_until(b'\n', &mut rest).is_err() {
                return;
            }
            drop(rest);
        }
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_end_matches(['\n', '\r']);
        if let Some(f) = &on_line {
            f(line);
        }
        ring.push(line.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_and_cuts_long_ones() {
        let ring = Arc::new(Ring::new(3));
        let mut input = String::new();
        for i in 0..10 {
            input.push_str(&format!("line {i}\n"));
        }
        input.push_str(&"x".repeat(MAX_LINE * 3));
        input.push_str("\nlast without newline");
        let seen = Arc::new(Mutex::new(0));
        let counter = seen.clone();
        drain(
            input.as_bytes(),
            ring.clone(),
            Some(Arc::new(move |_| *counter.lock().unwrap() += 1)),
        );
        let tail = ring.tail(usize::MAX).0;
        assert_eq!(tail.len(), 3);
        assert_eq!(tail[0], "line 9");
        assert_eq!(tail[1].len(), MAX_LINE);
        assert_eq!(tail[2], "last without newline");
        assert_eq!(*seen.lock().unwrap(), 12);
        assert_eq!(ring.tail(1).0, vec!["last without newline".to_string()]);
    }
}
