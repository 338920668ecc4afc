//! A Server-Sent Events parser, complete to the WHATWG HTML standard's
//! "event stream interpretation", fed in chunks of any size.
//!
//! What the standard says, and this parser does:
//! - lines end in CRLF, LF or CR, also when the CR and the LF arrive in
//!   different chunks;
//! - a leading byte-order mark is skipped;
//! - `data:` lines append to the event's data, joined with LF;
//! - `event:` names the event's type (default `message`);
//! - `id:` sets the last event id, unless the value contains NUL; it carries
//!   over to later events and is what a reconnection sends as `Last-Event-ID`;
//! - `retry:` with only ASCII digits sets the reconnection time;
//! - lines starting with `:` are comments; unknown fields are ignored;
//! - one space after the colon is dropped; a line without a colon is a field
//!   name with an empty value;
//! - a blank line dispatches the event, unless its data is empty (then only
//!   the type is reset); an event cut off by the end of the stream is dropped.
//!
//! Data stays bytes: MCP puts JSON in it, and the JSON decoder reports
//! invalid UTF-8 with context, which a lossy decode here would hide.
//!
//! An event whose data grows past the configured maximum is skipped up to
//! its terminating blank line, with memory bounded by the maximum, and is
//! reported as [`SseError::EventTooLarge`] in its place.

use memchr::memchr2;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type: the last `event:` field, or `message`.
    pub event: String,
    /// The data lines joined with LF.
    pub data: Vec<u8>,
    /// The last event id as of this event (set by this or an earlier event).
    pub id: Option<String>,
}

/// What can go wrong in an event stream. The stream goes on after either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// An event's data (or one line) exceeded the limit; the event was skipped.
    #[error("an SSE event of {len} bytes is over the {limit}-byte limit; it was skipped")]
    EventTooLarge {
        /// The event's size: its lines, field names included, with each
        /// line end counted as one byte.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
}

/// The incremental parser; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct SseParser {
    max_event: usize,
    /// Unparsed bytes: at most one incomplete line (bounded by `max_event`).
    buf: Vec<u8>,
    /// Where `buf` has already been searched for a line end.
    scanned: usize,
    /// The previous chunk ended in CR: an LF starting this one belongs to it.
    after_cr: bool,
    /// Whether the start of the stream (and a possible BOM) is behind us.
    started: bool,
    data: Vec<u8>,
    has_data: bool,
    event: Option<String>,
    /// The last event ID buffer: the latest `id` field, dispatched or not.
    last_id: Option<String>,
    /// The last event ID string: the buffer as it was when the latest event
    /// was dispatched (what a reconnection sends as `Last-Event-ID`).
    dispatched_id: Option<String>,
    retry: Option<u64>,
    /// Skipping the rest of an over-long event.
    skipping: bool,
    /// Bytes of the current event's lines so far (line ends count one).
    event_len: usize,
    /// The start of the current line was discarded (it was over the limit):
    /// its end finishes that line, even if nothing is left of it.
    mid_line: bool,
    ready: std::collections::VecDeque<Result<SseEvent, SseError>>,
}

impl SseParser {
    /// A parser that skips events whose data exceeds `max_event` bytes.
    pub fn new(max_event: usize) -> SseParser {
        SseParser {
            max_event: max_event.max(1),
            buf: Vec::new(),
            scanned: 0,
            after_cr: false,
            started: false,
            data: Vec::new(),
            has_data: false,
            event: None,
            last_id: None,
            dispatched_id: None,
            retry: None,
            skipping: false,
            event_len: 0,
            mid_line: false,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// A parser that starts with a last event id (a resumed stream keeps the
    /// id it resumed from until the server sends a new one).
    pub fn resuming(max_event: usize, last_id: Option<String>) -> SseParser {
        SseParser {
            dispatched_id: last_id.clone(),
            last_id,
            ..SseParser::new(max_event)
        }
    }

    /// Feeds the next chunk of the stream. Events become available from
    /// [`next_event`](SseParser::next_event).
    pub fn push(&mut self, mut bytes: &[u8]) {
        if !self.started {
            // The BOM may itself be split across chunks.
            let bom = b"\xEF\xBB\xBF";
            let have = self.buf.len();
            let take = (bom.len() - have).min(bytes.len());
            if bytes[..take] == bom[have..have + take] {
                if have + take < bom.len() {
                    self.buf.extend_from_slice(&bytes[..take]);
                    return;
                }
                self.buf.clear();
                bytes = &bytes[take..];
            } else {
                // Not a BOM after all: what was held back is stream content.
                let held = std::mem::take(&mut self.buf);
                self.started = true;
                self.push(&held);
            }
            self.started = true;
        }
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        if self.buf.is_empty() {
            // The common case: parse straight from the caller's chunk and
            // keep only the incomplete tail.
            let rest = self.lines(bytes);
            self.hold(rest);
        } else {
            self.buf.extend_from_slice(bytes);
            let buf = std::mem::take(&mut self.buf);
            let rest = self.lines_from(&buf, self.scanned);
            let keep = buf.len() - rest;
            self.buf = buf;
            self.buf.drain(..keep);
            self.scanned = self.buf.len();
            self.bound_line();
        }
    }

    /// The end of the stream: an event without its blank line is dropped
    /// (the standard says so), and the parser is ready for a new stream
    /// that resumes from the same last event id.
    pub fn finish(&mut self) {
        self.buf.clear();
        self.scanned = 0;
        self.after_cr = false;
        self.started = false;
        self.data.clear();
        self.has_data = false;
        self.event = None;
        // The id of an event that was never dispatched was never received.
        self.last_id = self.dispatched_id.clone();
        self.skipping = false;
        self.event_len = 0;
        self.mid_line = false;
    }

    /// The next complete event, if any.
    pub fn next_event(&mut self) -> Option<Result<SseEvent, SseError>> {
        self.ready.pop_front()
    }

    /// The last event id seen (what `Last-Event-ID` carries on reconnection).
    pub fn last_event_id(&self) -> Option<&str> {
        self.dispatched_id.as_deref()
    }

    /// The reconnection time the server asked for with `retry:`, in ms.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Bytes held for an incomplete line or event.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() + self.data.len()
    }

    fn hold(&mut self, rest: &[u8]) {
        self.buf.extend_from_slice(rest);
        self.scanned = self.buf.len();
        self.bound_line();
    }

    /// An incomplete line longer than any line that can be kept is dropped
    /// now rather than buffered without bound, with the same outcome as if
    /// it had arrived whole (see [`SseParser::line`]).
    fn bound_line(&mut self) {
        if self.buf.len() > self.max_line() {
            // A continuation of a line already dropped is not a line start,
            // whatever its text looks like.
            let data = !self.mid_line && self.buf.starts_with(b"data:");
            // The rest of the line is counted when its end arrives.
            self.event_len = self.event_len.saturating_add(self.buf.len());
            if data {
                self.start_skip();
            }
            self.mid_line = true;
            self.buf.clear();
            self.scanned = 0;
        }
    }

    /// The longest line kept: a `data: ` prefix and a value of the limit.
    /// Longer `data` lines skip their event; other longer lines are ignored.
    fn max_line(&self) -> usize {
        self.max_event.saturating_add(6)
    }

    /// Parses the complete lines of `bytes`; returns the incomplete tail.
    fn lines<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let consumed = self.lines_from(bytes, 0);
        &bytes[bytes.len() - consumed..]
    }

    /// Parses complete lines of `bytes`, searching for line ends from
    /// `from`; returns how many bytes at the end form an incomplete line.
    fn lines_from(&mut self, bytes: &[u8], from: usize) -> usize {
        let mut start = 0;
        let mut search = from;
        while let Some(off) = memchr2(b'\n', b'\r', &bytes[search..]) {
            let end = search + off;
            self.line(&bytes[start..end]);
            let mut next = end + 1;
            if bytes[end] == b'\r' {
                if next < bytes.len() {
                    if bytes[next] == b'\n' {
                        next += 1;
                    }
                } else {
                    self.after_cr = true;
                }
            }
            start = next;
            search = next;
        }
        bytes.len() - start
    }

    fn line(&mut self, line: &[u8]) {
        if std::mem::take(&mut self.mid_line) {
            self.event_len = self.event_len.saturating_add(line.len() + 1);
            return;
        }
        if line.is_empty() {
            return self.dispatch();
        }
        self.event_len = self.event_len.saturating_add(line.len() + 1);
        if self.skipping {
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        if line.len() > self.max_line() && name != b"data" {
            // An id, event name or unknown field that long is dropped, as it
            // is when it arrives in pieces.
            return;
        }
        match name {
            b"data" => {
                let len = self.data.len() + value.len() + usize::from(self.has_data);
                if len > self.max_event {
                    return self.start_skip();
                }
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            b"id" if !value.contains(&0) => {
                self.last_id = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Absurdly long digit strings saturate instead of wrapping.
                let ms = value.iter().fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                self.retry = Some(ms);
            }
            _ => {}
        }
    }

    fn start_skip(&mut self) {
        self.skipping = true;
        self.data = Vec::new();
        self.has_data = false;
    }

    fn dispatch(&mut self) {
        // The standard sets the last event ID string first, even for an
        // event without data.
        self.dispatched_id = self.last_id.clone();
        let event = self.event.take();
        let len = std::mem::take(&mut self.event_len);
        if std::mem::take(&mut self.skipping) {
            self.ready.push_back(Err(SseError::EventTooLarge {
                len,
                limit: self.max_event,
            }));
            return;
        }
        if !self.has_data {
            return;
        }
        self.has_data = false;
        self.ready.push_back(Ok(SseEvent {
            event: event.unwrap_or_else(|| "message".to_owned()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]], max: usize) -> Vec<Result<SseEvent, SseError>> {
        let mut p = SseParser::new(max);
        let mut out = Vec::new();
        for c in chunks {
            p.push(c);
            while let Some(e) = p.next_event() {
                out.push(e);
            }
        }
        out
    }

    fn parse(text: &str) -> Vec<SseEvent> {
        parse_chunks(&[text.as_bytes()], 1 << 20)
            .into_iter()
            .map(Result::unwrap)
            .collect()
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.as_bytes().to_vec(),
            id: id.map(str::to_owned),
        }
    }

    #[test]
    fn the_standard_examples() {
        // From the HTML standard's event stream examples.
        assert_eq!(
            parse("data: YHOO\ndata: +2\ndata: 10\n\n"),
            [ev("message", "YHOO\n+2\n10", None)]
        );
        assert_eq!(
            parse(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"),
            [
                ev("message", "first event", Some("1")),
                ev("message", "second event", Some("")),
                ev("message", " third event", Some("")),
            ]
        );
        assert_eq!(
            parse("data\n\ndata\ndata\n\ndata:"),
            [ev("message", "", None), ev("message", "\n", None)]
        );
        assert_eq!(
            parse("data:test\n\ndata: test\n\n"),
            [ev("message", "test", None), ev("message", "test", None)]
        );
    }

    #[test]
    fn every_line_ending_and_split_crlf() {
        let want = [ev("message", "a", None), ev("message", "b", None)];
        assert_eq!(parse("data: a\r\n\r\ndata: b\r\n\r\n"), want);
        assert_eq!(parse("data: a\r\rdata: b\r\r"), want);
        assert_eq!(parse("data: a\n\ndata: b\n\n"), want);
        // CR at the end of one chunk, LF at the start of the next: one line end.
        let got = parse_chunks(&[b"data: a\r", b"\n\r", b"\ndata: b\r\n\r", b"\n"], 1024);
        assert_eq!(got, want.map(Ok));
    }

    #[test]
    fn byte_by_byte_equals_whole() {
        let text = "\u{feff}event: endpoint\r\ndata: /messages?x=1\r\n\r\n: keepalive\nid: 7\nretry: 500\ndata: {\"a\":1}\n\n";
        let whole = parse_chunks(&[text.as_bytes()], 1024);
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        assert_eq!(parse_chunks(&bytes, 1024), whole);
        assert_eq!(
            whole,
            [
                Ok(ev("endpoint", "/messages?x=1", None)),
                Ok(ev("message", "{\"a\":1}", Some("7")))
            ]
        );
    }

    #[test]
    fn id_retry_and_priming_events() {
        let mut p = SseParser::new(1024);
        // The 2025-11-25 priming event: an id and empty data.
        p.push(b"id: event-1\nretry: 500\ndata: \n\n");
        let e = p.next_event().unwrap().unwrap();
        assert_eq!(e.data, b"");
        assert_eq!(e.id.as_deref(), Some("event-1"));
        assert_eq!(p.retry(), Some(500));
        assert_eq!(p.last_event_id(), Some("event-1"));
        // Ignored: ids with NUL, non-numeric retry. An id alone dispatches
        // nothing but still counts.
        p.push(b"id: a\0b\nretry: 5x\nretry:\n\nid: event-2\n\n");
        assert!(p.next_event().is_none());
        assert_eq!(p.retry(), Some(500));
        assert_eq!(p.last_event_id(), Some("event-2"));
        p.push(b"retry: 99999999999999999999999999\n\n");
        assert_eq!(p.retry(), Some(u64::MAX));
    }

    #[test]
    fn unknown_fields_and_event_type_reset() {
        assert_eq!(
            parse("event: x\n\nfoo: bar\ndata: 1\n\nevent: y\ndata: 2\n\n"),
            [ev("message", "1", None), ev("y", "2", None)]
        );
    }

    #[test]
    fn an_event_cut_by_the_end_of_the_stream_is_dropped() {
        let mut p = SseParser::new(1024);
        p.push(b"data: complete\n\ndata: partial");
        assert!(p.next_event().is_some());
        p.finish();
        p.push(b"\n\n");
        assert!(p.next_event().is_none(), "a new stream starts clean");
    }

    #[test]
    fn oversized_events_are_skipped_with_bounded_memory() {
        let big = "x".repeat(100);
        let text = format!("data: {big}\ndata: {big}\n\ndata: ok\n\n");
        let got = parse_chunks(&[text.as_bytes()], 150);
        assert!(matches!(
            got[0],
            Err(SseError::EventTooLarge { limit: 150, .. })
        ));
        assert_eq!(got[1], Ok(ev("message", "ok", None)));
        // One endless line, fed in pieces, never holds more than the limit.
        let mut p = SseParser::new(64);
        p.push(b"data: ");
        for _ in 0..1000 {
            p.push(&[b'y'; 50]);
            assert!(p.buffered_len() <= 64 + 50);
        }
        p.push(b"\n\ndata: after\n\n");
        assert!(matches!(
            p.next_event(),
            Some(Err(SseError::EventTooLarge { .. }))
        ));
        assert_eq!(p.next_event(), Some(Ok(ev("message", "after", None))));
    }

    #[test]
    fn the_rest_of_a_dropped_line_is_never_a_line_start() {
        // A long comment whose continuation, after the first piece was
        // dropped, happens to begin with `data:`: still a comment.
        let comment = format!(": {}", "c".repeat(30));
        let tail = format!("data: {}", "d".repeat(40));
        let text = format!(
            "{comment}{tail}
data: ok

"
        );
        let whole = parse_chunks(&[text.as_bytes()], 16);
        assert_eq!(whole, vec![Ok(ev("message", "ok", None))]);
        let split = parse_chunks(
            &[comment.as_bytes(), tail.as_bytes(), b"\ndata: ok\n\n"],
            16,
        );
        assert_eq!(split, whole);
    }

    #[test]
    fn the_last_event_id_is_that_of_the_last_dispatched_event() {
        let mut p = SseParser::new(64);
        p.push(b"id: 1\ndata: a\n\nid: 2\ndata: b");
        assert_eq!(p.next_event().unwrap().unwrap().id.as_deref(), Some("1"));
        // Event 2 has not been dispatched: it was not received.
        assert_eq!(p.last_event_id(), Some("1"));
        p.finish();
        assert_eq!(p.last_event_id(), Some("1"));
        // An event without data (a priming event) still sets it.
        p.push(b"id: 3\ndata:\n\n");
        assert_eq!(p.last_event_id(), Some("3"));
    }

    #[test]
    fn a_bom_is_skipped_only_at_the_start() {
        assert_eq!(parse("\u{feff}data: a\n\n"), [ev("message", "a", None)]);
        // Split BOM.
        let got = parse_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"], 1024);
        assert_eq!(got, [Ok(ev("message", "a", None))]);
        // A partial BOM is content.
        let got = parse_chunks(&[b"\xEF", b"data: a\n\n"], 1024);
        assert!(got.is_empty(), "field name \\xEFdata is unknown: {got:?}");
    }

    #[test]
    fn a_resumed_stream_keeps_its_id() {
        let mut p = SseParser::resuming(1024, Some("7".into()));
        p.push(b"data: x\n\n");
        assert_eq!(p.next_event().unwrap().unwrap().id.as_deref(), Some("7"));
    }
}

#[cfg(test)]
mod splits {
    use super::*;

    /// Every way of cutting a stream in three gives the same events as the
    /// whole stream, over-long lines and split CRLFs included.
    #[test]
    fn every_two_cut_split_equals_the_whole() {
        let text = b"data: aaaaaaaaaaaaaaaaaaaaa\r\ndata: bbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\nid: 3\rdata: x\r\rdata:y\n\n";
        let run = |cuts: &[usize]| {
            let mut p = SseParser::new(12);
            let mut at = 0;
            let mut out = vec![];
            for &c in cuts.iter().chain(std::iter::once(&text.len())) {
                p.push(&text[at..c]);
                at = c;
                while let Some(e) = p.next_event() {
                    out.push(e);
                }
            }
            out
        };
        let whole = run(&[]);
        assert_eq!(whole.len(), 3, "{whole:?}");
        for i in 0..text.len() {
            for j in i..text.len() {
                assert_eq!(run(&[i, j]), whole, "cut at {i} and {j}");
            }
        }
    }
}
