//! Newline-delimited framing for the stdio transport.
//!
//! MCP's stdio transport sends one UTF-8 JSON-RPC message per line. The
//! adapter hands the core whatever chunks the pipe produced; a
//! [`LineDeframer`] buffers them and cuts them into [`Frame`]s.
//!
//! Rules, in the order they apply to each line:
//!
//! - A line ends at `"\n"`. Exactly one `"\r"` before it is stripped, so
//!   `"\r\n"` endings are accepted.
//! - A line that is empty or holds only spaces, tabs and carriage returns is
//!   not a frame and is skipped silently.
//! - The size limit applies to the frame as it would be handed out: the line
//!   without its `"\n"` and without the stripped `"\r"`. A line of exactly
//!   `max_frame_size` bytes is accepted; one byte more and it is
//!   [`Frame::Oversized`]. An oversized line is never buffered past the limit:
//!   as soon as the partial line is known to be too long its bytes are run
//!   through a small scanner (which looks for the top-level `"id"`,
//!   `"method"`, `"result"` and `"error"` keys, so the caller can still fail
//!   the request it answers) and dropped.
//! - Every other line is handed out as [`Frame::Line`], byte for byte; the
//!   deframer does not check that it is UTF-8 or JSON.
//!
//! The work is linear in the input: every byte is searched for a newline
//! once, consumed bytes are reclaimed lazily, and a large frame that is the
//! whole front of the buffer is handed out by moving the buffer rather than
//! copying it.

use std::collections::VecDeque;
use std::fmt;
use std::mem;

use memchr::memchr;

use crate::model::RequestId;

mod scan;

pub(crate) use scan::peek;
use scan::Scanner;

/// Frames at least this long that start the buffer are handed out by moving
/// the buffer instead of copying them out of it.
const HANDOFF_MIN: usize = 16 * 1024;

/// A fully consumed buffer whose capacity exceeds this is freed instead of
/// being kept for the next line.
const KEEP_CAPACITY_MAX: usize = 1024 * 1024;

/// One unit of input cut by a [`LineDeframer`].
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// One complete line, without the trailing `"\n"` or `"\r\n"`. Never
    /// empty and never whitespace-only.
    Line(Vec<u8>),
    /// A line longer than the limit. Its bytes were dropped as they arrived
    /// (never buffered past the limit).
    Oversized(OversizedFrame),
}

/// What is known about a line that was dropped for being longer than the
/// limit.
///
/// The fields other than `len` come from a best-effort scan of the line as a
/// JSON object: only keys of the outermost object count, keys are compared
/// byte for byte as written (an escaped spelling such as `"\u0069d"` is not
/// recognised), a `"method"` that appears more than once reports its last
/// readable value, and an `"id"` given more than once with different values
/// is not reported.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OversizedFrame {
    /// Length of the dropped line in bytes, without the `"\n"` and without a
    /// stripped `"\r"` (the length the frame would have had).
    pub len: usize,
    /// The top-level `"id"`, if the scanner found one that is a string
    /// written in at most 256 bytes or an integer (of any length: leading
    /// zeros and a fraction of zeros are read through).
    pub id: Option<RequestId>,
    /// The top-level `"method"`, if the scanner found one that is a string
    /// written in at most 256 bytes (quotes and escapes included).
    pub method: Option<String>,
    /// A top-level `"result"` key was seen.
    pub has_result: bool,
    /// A top-level `"error"` key was seen.
    pub has_error: bool,
}

/// Cuts a byte stream into newline-delimited frames (see the
/// [module documentation](self) for the rules).
///
/// Pull model: [`push`](Self::push) only takes bytes in; frames are taken
/// with [`next_frame`](Self::next_frame), as many at a time as the caller
/// likes. At end of input, [`finish`](Self::finish) yields a final line that
/// lacked its newline.
///
/// Memory: the partial (unterminated) line is never held past
/// `max_frame_size + 1` bytes (the extra byte being a possible `"\r"` of a
/// `"\r\n"`). Complete frames that were pushed but not yet taken are held
/// until taken.
#[derive(Clone)]
pub struct LineDeframer {
    /// The frame size limit.
    max: usize,
    /// Held bytes. `buf[..start]` is consumed and awaits compaction.
    buf: Vec<u8>,
    /// First byte not yet handed out.
    start: usize,
    /// Start of the partial line: `buf[line_start..]` holds no `"\n"` and
    /// has already been searched. Equal to `buf.len()` in skip mode.
    line_start: usize,
    /// Complete frames, in order. When empty, `start == line_start`.
    queue: VecDeque<Entry>,
    /// Skip mode: the partial line is oversized and is being scanned and
    /// dropped until its newline.
    skip: Option<Scanner>,
}

/// A complete frame waiting in the buffer.
#[derive(Debug, Clone)]
enum Entry {
    /// `buf[start..end]` is the frame; `buf[next..]` follows its newline.
    Line {
        start: usize,
        end: usize,
        next: usize,
    },
    /// A dropped line that sat just before `buf[next..]`.
    Oversized { frame: OversizedFrame, next: usize },
}

impl Entry {
    fn shift_down(&mut self, by: usize) {
        match self {
            Entry::Line { start, end, next } => {
                *start = start.saturating_sub(by);
                *end = end.saturating_sub(by);
                *next = next.saturating_sub(by);
            }
            Entry::Oversized { next, .. } => *next = next.saturating_sub(by),
        }
    }
}

impl fmt::Debug for LineDeframer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineDeframer")
            .field("max_frame_size", &self.max)
            .field("buffered_len", &self.buffered_len())
            .field("queued_frames", &self.queue.len())
            .field("partial_len", &(self.buf.len() - self.line_start))
            .field("skipping", &self.skip.as_ref().map(Scanner::len))
            .finish_non_exhaustive()
    }
}

/// Whitespace a blank line may consist of.
fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

impl LineDeframer {
    /// A deframer that accepts frames of up to `max_frame_size` bytes (not
    /// counting the line ending).
    #[must_use]
    pub fn new(max_frame_size: usize) -> Self {
        LineDeframer {
            max: max_frame_size,
            buf: Vec::new(),
            start: 0,
            line_start: 0,
            queue: VecDeque::new(),
            skip: None,
        }
    }

    /// The frame size limit this deframer was built with.
    #[must_use]
    pub fn max_frame_size(&self) -> usize {
        self.max
    }

    /// Accepts all of `bytes` (a line that grows past the limit stops being
    /// buffered and is scanned instead).
    pub fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if let Some(scanner) = self.skip.as_mut() {
                match memchr(b'\n', bytes) {
                    None => {
                        scanner.feed(bytes);
                        return;
                    }
                    Some(i) => {
                        let (line, rest) = bytes.split_at(i);
                        scanner.feed(line);
                        bytes = rest.get(1..).unwrap_or_default();
                        self.end_oversized();
                    }
                }
                continue;
            }
            self.compact();
            match memchr(b'\n', bytes) {
                None => {
                    self.extend_partial(bytes);
                    return;
                }
                Some(i) => {
                    let (line, rest) = bytes.split_at(i);
                    self.complete_line(line);
                    bytes = rest.get(1..).unwrap_or_default();
                }
            }
        }
    }

    /// The next complete frame, if one is buffered.
    pub fn next_frame(&mut self) -> Option<Frame> {
        let entry = self.queue.pop_front()?;
        let frame = match entry {
            Entry::Oversized { frame, next } => {
                self.start = next;
                Frame::Oversized(frame)
            }
            Entry::Line { start, end, next } => {
                let len = end.saturating_sub(start);
                let rest = self.buf.len().saturating_sub(next);
                let line = if start == 0 && len >= HANDOFF_MIN && rest < len {
                    // The frame is the front of the buffer: move the
                    // remainder into a fresh buffer and hand this one out.
                    let mut fresh = Vec::with_capacity(rest);
                    fresh.extend_from_slice(self.buf.get(next..).unwrap_or_default());
                    let mut line = mem::replace(&mut self.buf, fresh);
                    line.truncate(end);
                    self.start = next;
                    self.shift_down(next);
                    line
                } else {
                    self.start = next;
                    self.buf.get(start..end).unwrap_or_default().to_vec()
                };
                debug_assert!(!line.is_empty());
                Frame::Line(line)
            }
        };
        if self.queue.is_empty() {
            // Blank lines between the last frame and the partial line.
            self.start = self.line_start;
            if self.start == self.buf.len() {
                self.buf.clear();
                self.start = 0;
                self.line_start = 0;
                if self.buf.capacity() > KEEP_CAPACITY_MAX {
                    self.buf = Vec::new();
                }
            }
        }
        Some(frame)
    }

    /// At end of input: the final unterminated line, if it holds anything but
    /// whitespace (servers sometimes omit the last newline). Resets the
    /// deframer.
    ///
    /// The final line is treated as if its newline had arrived, so it may
    /// also come out as [`Frame::Oversized`]. Call [`next_frame`](Self::next_frame)
    /// until it returns `None` before calling this: if complete frames are
    /// still waiting, nothing is dropped; `finish` returns the first of them
    /// and the rest, the final line last, stay queued for `next_frame`. Once
    /// they are taken the deframer is as new (same limit) and can take a new
    /// stream.
    pub fn finish(&mut self) -> Option<Frame> {
        if self.skip.is_some() {
            self.end_oversized();
        } else if self.line_start < self.buf.len() {
            self.complete_line(&[]);
        }
        let frame = self.next_frame();
        if self.queue.is_empty() {
            self.buf = Vec::new();
            self.start = 0;
            self.line_start = 0;
        }
        frame
    }

    /// Bytes currently held (complete frames not yet taken plus the partial
    /// line).
    ///
    /// Blank lines that sit between frames not yet taken are counted too; the
    /// bytes of an oversized line are not, since they are never held.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Whether a complete frame is ready to be taken without more input.
    #[must_use]
    pub fn has_frame(&self) -> bool {
        !self.queue.is_empty()
    }

    /// A newline arrived: `buf[line_start..]` followed by `tail` is a
    /// complete line.
    fn complete_line(&mut self, tail: &[u8]) {
        let partial = self.buf.get(self.line_start..).unwrap_or_default();
        let last_cr = match tail.last() {
            Some(&b) => b == b'\r',
            None => partial.last() == Some(&b'\r'),
        };
        let content =
            (partial.len().saturating_add(tail.len())).saturating_sub(usize::from(last_cr));
        if content > self.max {
            let mut scanner = Scanner::new();
            scanner.feed(partial);
            scanner.feed(tail);
            self.buf.truncate(self.line_start);
            self.skip = Some(scanner);
            self.end_oversized();
            return;
        }
        let start = self.line_start;
        // Room for the newline too: pushing it into a buffer filled to
        // capacity would copy the whole frame once more.
        self.buf.reserve(tail.len().saturating_add(1));
        self.buf.extend_from_slice(tail);
        let end = self.buf.len().saturating_sub(usize::from(last_cr));
        self.buf.push(b'\n');
        self.line_start = self.buf.len();
        let blank = self
            .buf
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .all(|&b| is_blank_byte(b));
        if !blank {
            self.queue.push_back(Entry::Line {
                start,
                end,
                next: self.line_start,
            });
        } else if self.queue.is_empty() {
            self.start = self.line_start;
        }
    }

    /// `bytes` (non-empty, no newline) continue the partial line.
    fn extend_partial(&mut self, bytes: &[u8]) {
        let partial = self.buf.get(self.line_start..).unwrap_or_default();
        let len = partial.len().saturating_add(bytes.len());
        let last = bytes.last().copied();
        // A partial line of `max + 1` bytes ending in "\r" may still be a
        // frame of `max` bytes followed by "\r\n".
        if len > self.max && (len - 1 > self.max || last != Some(b'\r')) {
            let mut scanner = Scanner::new();
            scanner.feed(partial);
            scanner.feed(bytes);
            self.buf.truncate(self.line_start);
            self.skip = Some(scanner);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The newline of the oversized line being skipped arrived.
    fn end_oversized(&mut self) {
        let Some(scanner) = self.skip.take() else {
            return;
        };
        if let Some((len, peek)) = scanner.finish() {
            let frame = OversizedFrame {
                len,
                id: peek.id,
                method: peek.method,
                has_result: peek.has_result,
                has_error: peek.has_error,
            };
            self.queue.push_back(Entry::Oversized {
                frame,
                next: self.buf.len(),
            });
        }
        // In skip mode the partial line is not held: `line_start` is already
        // `buf.len()`, and so is `start` if nothing is queued.
        self.line_start = self.buf.len();
        if self.queue.is_empty() {
            self.start = self.line_start;
        }
    }

    /// Reclaims the consumed prefix when that is cheap enough to stay linear
    /// overall: when everything is consumed, when the consumed prefix is at
    /// least as long as what remains, or when only the partial line remains
    /// (each byte is moved this way at most once; at offset 0 a big frame can
    /// later be handed out without a copy).
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        let remaining = self.buf.len().saturating_sub(self.start);
        if self.start >= remaining || self.queue.is_empty() {
            if remaining == 0 {
                self.buf.clear();
            } else {
                self.buf.drain(..self.start);
            }
            self.shift_down(self.start);
        }
    }

    /// Removes nothing; subtracts `by` from every buffer position.
    fn shift_down(&mut self, by: usize) {
        self.start = self.start.saturating_sub(by);
        self.line_start = self.line_start.saturating_sub(by);
        for entry in &mut self.queue {
            entry.shift_down(by);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(d: &mut LineDeframer) -> Vec<Frame> {
        std::iter::from_fn(|| d.next_frame()).collect()
    }

    fn line(s: &str) -> Frame {
        Frame::Line(s.as_bytes().to_vec())
    }

    fn oversized(d: &mut LineDeframer, text: &[u8]) -> OversizedFrame {
        d.push(text);
        d.push(b"\n");
        match d.next_frame() {
            Some(Frame::Oversized(o)) => {
                assert!(d.next_frame().is_none());
                o
            }
            other => panic!("expected an oversized frame, got {other:?}"),
        }
    }

    /// A string of `n` bytes of `x`, quoted.
    fn filler(n: usize) -> String {
        format!("\"{}\"", "x".repeat(n))
    }

    #[test]
    fn partial_lines_across_pushes() {
        let mut d = LineDeframer::new(1024);
        d.push(b"{\"a\"");
        assert!(!d.has_frame());
        assert_eq!(d.next_frame(), None);
        d.push(b":1}");
        assert_eq!(d.next_frame(), None);
        d.push(b"\n{\"b\":");
        assert!(d.has_frame());
        assert_eq!(d.next_frame(), Some(line("{\"a\":1}")));
        assert_eq!(d.next_frame(), None);
        assert_eq!(d.buffered_len(), 5);
        d.push(b"2}\n");
        assert_eq!(d.next_frame(), Some(line("{\"b\":2}")));
        assert_eq!(d.next_frame(), None);
        assert_eq!(d.buffered_len(), 0);
    }

    #[test]
    fn several_lines_in_one_push() {
        let mut d = LineDeframer::new(1024);
        d.push(b"one\ntwo\nthree\nfour");
        assert_eq!(drain(&mut d), vec![line("one"), line("two"), line("three")]);
        assert_eq!(d.buffered_len(), 4);
        assert_eq!(d.finish(), Some(line("four")));
        assert_eq!(d.buffered_len(), 0);
    }

    #[test]
    fn pull_after_many_pushes() {
        let mut d = LineDeframer::new(1024);
        for i in 0..100 {
            d.push(format!("{{\"n\":{i}}}\n").as_bytes());
        }
        let frames = drain(&mut d);
        assert_eq!(frames.len(), 100);
        assert_eq!(frames[42], line("{\"n\":42}"));
        assert_eq!(d.buffered_len(), 0);
    }

    #[test]
    fn crlf_is_stripped_once() {
        let mut d = LineDeframer::new(1024);
        d.push(b"a\r\nb\r\r\nc\r");
        d.push(b"\n");
        assert_eq!(drain(&mut d), vec![line("a"), line("b\r"), line("c")]);
    }

    #[test]
    fn blank_lines_are_skipped() {
        let mut d = LineDeframer::new(1024);
        d.push(b"\n\r\n  \t \r\na\n\n \n\tb \n\r\r\n");
        assert_eq!(drain(&mut d), vec![line("a"), line("\tb ")]);
        assert_eq!(d.buffered_len(), 0);
        // Blank lines alone never make a frame ready.
        d.push(b"   \n\n\t\r\n");
        assert!(!d.has_frame());
        assert_eq!(d.buffered_len(), 0);
    }

    #[test]
    fn finish_with_and_without_partial_line() {
        let mut d = LineDeframer::new(1024);
        assert_eq!(d.finish(), None);
        d.push(b"a\n");
        assert_eq!(d.next_frame(), Some(line("a")));
        assert_eq!(d.finish(), None);

        d.push(b"{\"last\":true}");
        assert_eq!(d.next_frame(), None);
        assert_eq!(d.finish(), Some(line("{\"last\":true}")));
        assert_eq!(d.finish(), None);
        assert_eq!(d.buffered_len(), 0);

        // Whitespace-only and lone-CR remnants are not frames.
        d.push(b"  \t ");
        assert_eq!(d.finish(), None);
        d.push(b"x\r");
        assert_eq!(d.finish(), Some(line("x")));

        // The deframer is reusable after finish.
        d.push(b"again\n");
        assert_eq!(d.next_frame(), Some(line("again")));
    }

    #[test]
    fn finish_keeps_queued_frames() {
        let mut d = LineDeframer::new(1024);
        d.push(b"a\nb\nc");
        assert_eq!(d.finish(), Some(line("a")));
        assert_eq!(drain(&mut d), vec![line("b"), line("c")]);
        assert_eq!(d.buffered_len(), 0);
    }

    #[test]
    fn finish_of_oversized_partial_line() {
        let mut d = LineDeframer::new(8);
        let text = b"{\"id\":3,\"result\":\"long\"";
        d.push(text);
        assert!(!d.has_frame());
        let Some(Frame::Oversized(o)) = d.finish() else {
            panic!("expected an oversized frame");
        };
        assert_eq!(o.len, text.len());
        assert_eq!(o.id, Some(RequestId::Number(3)));
        assert!(o.has_result);
        assert_eq!(d.finish(), None);
    }

    #[test]
    fn exactly_max_is_accepted_max_plus_one_is_oversized() {
        let mut d = LineDeframer::new(5);
        d.push(b"12345\n123456\n12345\r\n123456\r\n");
        assert_eq!(
            drain(&mut d),
            vec![
                line("12345"),
                Frame::Oversized(OversizedFrame {
                    len: 6,
                    ..Default::default()
                }),
                line("12345"),
                Frame::Oversized(OversizedFrame {
                    len: 6,
                    ..Default::default()
                }),
            ]
        );

        // Same, one byte at a time.
        let mut d = LineDeframer::new(5);
        let mut got = Vec::new();
        for &b in b"12345\r\n123456\n12345\r" {
            d.push(&[b]);
            got.extend(drain(&mut d));
            // The partial line is held up to max + 1 bytes (a possible CR).
            assert!(d.buffered_len() <= 6);
        }
        got.extend(d.finish());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], line("12345"));
        assert!(matches!(
            got[1],
            Frame::Oversized(OversizedFrame { len: 6, .. })
        ));
        assert_eq!(got[2], line("12345"));
    }

    #[test]
    fn zero_limit() {
        let mut d = LineDeframer::new(0);
        d.push(b"\n\r\n  \na\n");
        assert_eq!(
            drain(&mut d),
            vec![Frame::Oversized(OversizedFrame {
                len: 1,
                ..Default::default()
            })]
        );
    }

    #[test]
    fn oversized_whitespace_line_is_skipped() {
        let mut d = LineDeframer::new(4);
        d.push(b"        \t      \r\nok\n");
        assert_eq!(drain(&mut d), vec![line("ok")]);
    }

    #[test]
    fn oversized_id_first() {
        let mut d = LineDeframer::new(64);
        let text = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":{}}}]}}}}",
            filler(1000)
        );
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(
            o,
            OversizedFrame {
                len: text.len(),
                id: Some(RequestId::Number(5)),
                method: None,
                has_result: true,
                has_error: false,
            }
        );
    }

    #[test]
    fn oversized_id_last() {
        let mut d = LineDeframer::new(64);
        let text = format!(
            "{{\"result\":{{\"a\":[1,2,{{\"b\":{}}}],\"c\":\"}}\"}},\"jsonrpc\":\"2.0\",\"id\":17}}",
            filler(500)
        );
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(o.id, Some(RequestId::Number(17)));
        assert!(o.has_result);
        assert!(!o.has_error);
        assert_eq!(o.method, None);
    }

    #[test]
    fn oversized_string_id_and_error() {
        let mut d = LineDeframer::new(64);
        let text = format!(
            "{{ \"jsonrpc\" : \"2.0\" , \"error\" : {{\"code\":-32603,\"message\":{}}} , \"id\" : \"req-\\\"7\\\"\" }}",
            filler(200)
        );
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(o.id, Some(RequestId::String("req-\"7\"".into())));
        assert!(o.has_error);
        assert!(!o.has_result);
    }

    #[test]
    fn oversized_notification_method() {
        let mut d = LineDeframer::new(64);
        let text = format!(
            "{{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{{\"data\":{}}}}}",
            filler(300)
        );
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(o.method.as_deref(), Some("notifications/message"));
        assert_eq!(o.id, None);
        assert!(!o.has_result && !o.has_error);
    }

    #[test]
    fn oversized_request_with_escaped_method() {
        let mut d = LineDeframer::new(16);
        let text = br#"{"method":"a\"b\\","id":"x","params":{}}"#;
        let o = oversized(&mut d, text);
        assert_eq!(o.method.as_deref(), Some("a\"b\\"));
        assert_eq!(o.id, Some(RequestId::String("x".into())));
    }

    #[test]
    fn tricky_strings_inside_the_huge_part() {
        let mut d = LineDeframer::new(64);
        // Escaped quotes, escaped backslashes before quotes, braces and
        // brackets and fake keys inside strings, nested objects.
        let noise =
            r#"{"x":"}\"}],\"id\":99,{","y":"\\","z":["\\\"","{\"result\":1}"],"id":{"id":1}}"#;
        let text = format!(
            "{{\"jsonrpc\":\"2.0\",\"result\":{noise},\"k\":{},\"id\":\"a}}b\"}}",
            filler(200)
        );
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(o.id, Some(RequestId::String("a}b".into())));
        assert!(o.has_result);
        assert!(!o.has_error);
    }

    #[test]
    fn nested_keys_do_not_count() {
        let mut d = LineDeframer::new(8);
        let text = br#"{"params":{"id":1,"method":"m","result":2,"error":3},"x":[{"id":4}]}"#;
        let o = oversized(&mut d, text);
        assert_eq!(
            o,
            OversizedFrame {
                len: text.len(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn unusable_ids_are_not_reported() {
        for text in [
            r#"{"id":null,"result":{}}"#,
            r#"{"id":1.5,"result":{}}"#,
            r#"{"id":[1],"result":{}}"#,
            r#"{"id":"unterminated"#,
            r#"{"method":5,"params":{}}"#,
        ] {
            let mut d = LineDeframer::new(4);
            let o = oversized(&mut d, text.as_bytes());
            assert_eq!(o.id, None, "{text}");
            assert_eq!(o.method, None, "{text}");
        }
        // An id longer than the capture cap is given up on.
        let mut d = LineDeframer::new(4);
        let text = format!("{{\"id\":\"{}\",\"result\":1}}", "i".repeat(300));
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(o.id, None);
        assert!(o.has_result);
        // One that fits is kept.
        let text = format!("{{\"id\":\"{}\",\"result\":1}}", "i".repeat(250));
        let o = oversized(&mut d, text.as_bytes());
        assert_eq!(o.id, Some(RequestId::String("i".repeat(250))));
    }

    #[test]
    fn truncated_line_still_reports_a_leading_id() {
        let mut d = LineDeframer::new(4);
        let o = oversized(&mut d, br#"{"id":12"#);
        assert_eq!(o.id, Some(RequestId::Number(12)));
    }

    #[test]
    fn not_an_object() {
        for text in [
            &b"[1,2,3,4,5]"[..],
            b"garbage\"id\":1",
            b"\"string\"",
            b"{{{{{{",
        ] {
            let mut d = LineDeframer::new(4);
            let o = oversized(&mut d, text);
            assert_eq!(
                o,
                OversizedFrame {
                    len: text.len(),
                    ..Default::default()
                }
            );
        }
    }

    #[test]
    fn frames_around_an_oversized_frame_are_intact() {
        let mut d = LineDeframer::new(32);
        let big = format!("{{\"id\":1,\"result\":{}}}", filler(100));
        let input = format!("{{\"before\":1}}\n{big}\r\n{{\"after\":2}}\n");
        // All at once.
        d.push(input.as_bytes());
        let all = drain(&mut d);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], line("{\"before\":1}"));
        assert!(matches!(
            &all[1],
            Frame::Oversized(o) if o.len == big.len() && o.id == Some(RequestId::Number(1))
        ));
        assert_eq!(all[2], line("{\"after\":2}"));
        // Byte by byte, pulling in between.
        let mut got = Vec::new();
        for &b in input.as_bytes() {
            d.push(&[b]);
            got.extend(drain(&mut d));
        }
        assert_eq!(got, all);
    }

    #[test]
    fn buffered_len_bounded_during_huge_oversized_line() {
        const MAX: usize = 1024 * 1024;
        const CHUNK: usize = 4096;
        let mut d = LineDeframer::new(MAX);
        let body_len = 10 * 1024 * 1024;
        let mut input = Vec::with_capacity(body_len + 64);
        input.extend_from_slice(b"{\"small\":true}\n{\"jsonrpc\":\"2.0\",\"result\":\"");
        input.resize(input.len() + body_len, b'a');
        input.extend_from_slice(b"\",\"id\":77}\n{\"small\":false}\n");
        let mut frames = Vec::new();
        for chunk in input.chunks(CHUNK) {
            d.push(chunk);
            assert!(d.buffered_len() <= MAX + CHUNK, "{}", d.buffered_len());
            frames.extend(drain(&mut d));
        }
        assert_eq!(d.finish(), None);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], line("{\"small\":true}"));
        match &frames[1] {
            Frame::Oversized(o) => {
                assert_eq!(o.id, Some(RequestId::Number(77)));
                assert!(o.has_result);
                assert_eq!(o.len, input.len() - 15 - 16 - 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(frames[2], line("{\"small\":false}"));
    }

    #[test]
    fn big_frame_is_handed_out_without_copy() {
        let mut d = LineDeframer::new(usize::MAX);
        let big = vec![b'x'; 100_000];
        for chunk in big.chunks(777) {
            d.push(chunk);
        }
        d.push(b"\nrest");
        // The frame is handed the buffer itself, so its capacity exceeds
        // its length (a copy would be exact).
        let Some(Frame::Line(frame)) = d.next_frame() else {
            panic!("expected a line");
        };
        assert_eq!(frame, big);
        assert!(frame.capacity() > frame.len());
        assert_eq!(d.buffered_len(), 4);
        assert_eq!(d.finish(), Some(line("rest")));
    }

    #[test]
    fn compaction_keeps_positions() {
        let mut d = LineDeframer::new(1024);
        let mut expected = Vec::new();
        let mut got = Vec::new();
        for i in 0..1000 {
            let text = format!("{{\"n\":{i}}}");
            d.push(text.as_bytes());
            d.push(b"\n");
            expected.push(line(&text));
            if i % 7 == 0 {
                got.extend(d.next_frame());
            }
        }
        got.extend(drain(&mut d));
        assert_eq!(got, expected);
    }

    #[test]
    fn debug_does_not_dump_the_buffer() {
        let mut d = LineDeframer::new(10);
        d.push(b"abc");
        let s = format!("{d:?}");
        assert!(s.contains("partial_len: 3"), "{s}");
        assert_eq!(d.max_frame_size(), 10);
    }
}
