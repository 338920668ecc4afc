//! The server's stderr, without the reading: bytes in, lines out (each cut
//! to a bounded length, so a binary blob on stderr cannot balloon memory),
//! and the last lines kept for error reports; and [`drain`], which reads a
//! pipe to its end on the thread that calls it (a blocking reader, or an
//! async one behind `futures_lite::io::BlockOn`), so that the application's
//! line callback never holds up the connection.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{StderrFn, StderrTail};

/// Longest stderr line kept, in bytes; a longer one is cut (its tail is
/// dropped).
pub const MAX_LINE: usize = 4096;

/// Splits stderr into lines as it arrives in chunks of any size.
#[derive(Debug, Default)]
pub struct Lines {
    buf: Vec<u8>,
    /// The current line was cut at `MAX_LINE`: drop the rest of it.
    cutting: bool,
}

impl Lines {
    /// A splitter at the start of the stream.
    pub fn new() -> Lines {
        Lines::default()
    }

    /// Feeds `bytes`; hands each complete line (without its line end) to
    /// `each`.
    pub fn push(&mut self, mut bytes: &[u8], mut each: impl FnMut(&str)) {
        while !bytes.is_empty() {
            let (part, end) = match memchr::memchr(b'\n', bytes) {
                Some(i) => (&bytes[..i], Some(i + 1)),
                None => (bytes, None),
            };
            if !self.cutting {
                let room = MAX_LINE - self.buf.len();
                self.buf.extend_from_slice(&part[..part.len().min(room)]);
                if self.buf.len() == MAX_LINE && end.is_none() {
                    // The line goes on past the limit: report it now, cut.
                    self.emit(&mut each);
                    self.cutting = true;
                }
            }
            match end {
                Some(e) => {
                    if !std::mem::take(&mut self.cutting) {
                        self.emit(&mut each);
                    }
                    bytes = &bytes[e..];
                }
                None => break,
            }
        }
    }

    /// The end of the stream: a last line without a line end still counts.
    pub fn finish(&mut self, mut each: impl FnMut(&str)) {
        if !self.buf.is_empty() && !self.cutting {
            self.emit(&mut each);
        }
        self.buf.clear();
        self.cutting = false;
    }

    fn emit(&mut self, each: &mut impl FnMut(&str)) {
        let text = String::from_utf8_lossy(&self.buf);
        each(text.trim_end_matches('\r'));
        self.buf.clear();
    }
}

/// The last lines of stderr, shared between the reader and error reports.
#[derive(Debug)]
pub struct Ring {
    lines: Mutex<VecDeque<String>>,
    capacity: usize,
    /// The reader reached the end of stderr: no more lines will come.
    ended: AtomicBool,
}

impl Ring {
    /// Keeps the last `capacity` lines.
    pub fn new(capacity: usize) -> Ring {
        Ring {
            lines: Mutex::new(VecDeque::new()),
            capacity,
            ended: AtomicBool::new(false),
        }
    }

    /// Stderr has ended; every line is in.
    pub fn end(&self) {
        self.ended.store(true, Ordering::Release);
    }

    /// Whether stderr has ended.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Adds a line, dropping the oldest when full.
    pub fn push(&self, line: &str) {
        if self.capacity == 0 {
            return;
        }
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == self.capacity {
            lines.pop_front();
        }
        lines.push_back(line.to_owned());
    }

    /// The last `n` lines kept (all of them with `usize::MAX`).
    pub fn tail(&self, n: usize) -> StderrTail {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let skip = lines.len().saturating_sub(n);
        StderrTail(lines.iter().skip(skip).cloned().collect())
    }
}

/// Reads a server's stderr to its end, handing each line to `on_line`
/// and keeping it in `ring`. Blocks: run it on a thread of its own.
pub fn drain(mut stderr: impl Read, ring: Arc<Ring>, on_line: Option<StderrFn>) {
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
    ring.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut lines = Lines::new();
        let mut out = Vec::new();
        for c in chunks {
            lines.push(c, |l| out.push(l.to_owned()));
        }
        lines.finish(|l| out.push(l.to_owned()));
        out
    }

    #[test]
    fn lines_in_any_chunking_with_long_ones_cut() {
        let mut input = Vec::new();
        for i in 0..3 {
            input.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        input.extend_from_slice(&[b'x'; MAX_LINE * 3]);
        input.extend_from_slice(b"\n\nlast without newline");
        let whole = split(&[&input]);
        assert_eq!(whole.len(), 6);
        assert_eq!(whole[..3], ["line 0", "line 1", "line 2"]);
        assert_eq!(whole[3].len(), MAX_LINE);
        assert_eq!(whole[4], "");
        assert_eq!(whole[5], "last without newline");
        for size in [1, 7, MAX_LINE - 1, MAX_LINE, MAX_LINE + 1] {
            let chunks: Vec<&[u8]> = input.chunks(size).collect();
            assert_eq!(split(&chunks), whole, "chunks of {size}");
        }
    }

    #[test]
    fn the_ring_keeps_the_last_lines() {
        let ring = Ring::new(2);
        for l in ["a", "b", "c"] {
            ring.push(l);
        }
        assert_eq!(ring.tail(usize::MAX).0, ["b", "c"]);
        assert_eq!(ring.tail(1).0, ["c"]);
        Ring::new(0).push("dropped");
    }

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
