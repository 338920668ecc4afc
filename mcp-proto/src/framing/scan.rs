//! A best-effort look at the top-level keys of a line that cannot be
//! decoded: too long to buffer, not valid JSON, not valid UTF-8, or not a
//! JSON-RPC message. What it finds (the `"id"`, the `"method"`, whether a
//! `"result"` or `"error"` is there) lets the client end the call such a
//! line answers at once instead of letting it wait for its timeout.
//!
//! The scanner runs in O(1) memory over bytes fed in any pieces. It never
//! fails: whatever is not a JSON object leaves every field unset. It is
//! forgiving where a strict parser would give up, because the line is
//! broken anyway and the question is only which request it was for:
//! control characters and invalid UTF-8 inside strings are skipped over,
//! and an integer id is read whatever its length (leading zeros, a
//! fraction of zeros), so `0…03` and `3.000…` both name request 3.

use crate::model::RequestId;

/// Longest raw text captured for a string `"id"` or a `"method"`, quotes
/// and escapes included.
const CAPTURE_CAP: usize = 256;

/// Longest key the scanner needs to recognise (`"method"`, `"result"`).
const KEY_CAP: usize = 6;

/// What a scan found among the top-level keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Peek {
    /// The `"id"`: a string of at most [`CAPTURE_CAP`] bytes as written, or
    /// an integer in `i64`. Unset when an id given more than once had
    /// different values: it then names no request for sure.
    pub(crate) id: Option<RequestId>,
    /// The `"method"`, a string of at most [`CAPTURE_CAP`] bytes as written
    /// (the last readable one, if there are several).
    pub(crate) method: Option<String>,
    /// A top-level `"result"` key was seen.
    pub(crate) has_result: bool,
    /// A top-level `"error"` key was seen.
    pub(crate) has_error: bool,
}

/// Scans one whole line.
pub(crate) fn peek(line: &[u8]) -> Peek {
    let mut s = Scanner::new();
    s.feed(line);
    s.finish().map(|(_, p)| p).unwrap_or_default()
}

/// Where the scanner is in the outermost JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the opening `{`.
    Start,
    /// After `{` or a top-level `,`: a key or `}` comes next.
    ExpectKey,
    /// Inside a top-level key string.
    InKey,
    /// After a top-level key: `:` comes next.
    ExpectColon,
    /// After `:`, before the value's first byte.
    BeforeValue,
    /// Inside a top-level value (at any depth).
    InValue,
    /// The object ended, or the input is not an object: nothing more to learn.
    Done,
}

/// Which top-level value is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Other,
    Id,
    Method,
}

/// An integer read digit by digit, in constant memory.
#[derive(Debug, Clone, Copy, Default)]
struct Integer {
    negative: bool,
    value: u64,
    digits: bool,
    /// After a `.`: only zeros may follow.
    fraction: bool,
    /// Whitespace ended the number: nothing but the value's end may follow.
    ended: bool,
    /// Not an integer that fits (an exponent, a non-zero fraction, too big).
    bad: bool,
}

impl Integer {
    fn byte(&mut self, b: u8) {
        if self.bad {
            return;
        }
        if self.ended {
            self.bad = !is_json_ws(b);
            return;
        }
        match b {
            b'-' if !self.digits && !self.negative && !self.fraction => self.negative = true,
            b'0'..=b'9' if self.fraction => self.bad = b != b'0',
            b'0'..=b'9' => {
                self.digits = true;
                match self
                    .value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                {
                    Some(v) if v <= i64::MAX as u64 => self.value = v,
                    _ => self.bad = true,
                }
            }
            b'.' if self.digits && !self.fraction => self.fraction = true,
            _ if is_json_ws(b) && self.digits => self.ended = true,
            _ => self.bad = true,
        }
    }

    fn get(&self) -> Option<i64> {
        if self.bad || !self.digits {
            return None;
        }
        // `value <= i64::MAX` was kept while reading.
        let v = i64::try_from(self.value).ok()?;
        Some(if self.negative { -v } else { v })
    }
}

/// What a top-level `"id"` turned out to be, over all its occurrences.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum IdSeen {
    #[default]
    None,
    /// Every occurrence so far had this value (`None`: unreadable).
    One(Option<RequestId>),
    /// Occurrences disagreed.
    Conflict,
}

/// An O(1)-memory scanner over the bytes of one line.
///
/// It tracks nesting depth, strings and escapes, recognises the keys of the
/// outermost object and captures the `"id"` and `"method"` values (strings
/// up to [`CAPTURE_CAP`] bytes, integers of any length).
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    /// Bytes fed.
    len: usize,
    /// The last byte fed was `"\r"`.
    last_cr: bool,
    /// A byte other than space, tab or CR was fed.
    nonblank: bool,
    phase: Phase,
    depth: usize,
    in_string: bool,
    escape: bool,
    /// The current top-level key, as written; `key_len > KEY_CAP` means it
    /// is longer than any key of interest.
    key: [u8; KEY_CAP],
    key_len: usize,
    /// The key whose value is being read.
    field: Field,
    /// Raw text of the current `"id"`/`"method"` string value.
    capture: Vec<u8>,
    /// `capture` is being filled (false once the value passed the cap).
    capturing: bool,
    /// The current `"id"` value, when it is a number.
    number: Option<Integer>,
    id: IdSeen,
    out: Peek,
}

impl Scanner {
    pub(crate) fn new() -> Self {
        Scanner {
            len: 0,
            last_cr: false,
            nonblank: false,
            phase: Phase::Start,
            depth: 0,
            in_string: false,
            escape: false,
            key: [0; KEY_CAP],
            key_len: 0,
            field: Field::Other,
            capture: Vec::new(),
            capturing: false,
            number: None,
            id: IdSeen::None,
            out: Peek::default(),
        }
    }

    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        let Some(&last) = bytes.last() else {
            return;
        };
        self.len = self.len.saturating_add(bytes.len());
        self.last_cr = last == b'\r';
        if !self.nonblank {
            self.nonblank = bytes.iter().any(|&b| !super::is_blank_byte(b));
        }
        while !bytes.is_empty() {
            if self.phase == Phase::Done {
                return;
            }
            if self.in_string && !self.escape && !self.recording() {
                // Skip string content up to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', bytes) {
                    Some(i) => bytes = bytes.get(i..).unwrap_or_default(),
                    None => return,
                }
            }
            let Some((&b, rest)) = bytes.split_first() else {
                return;
            };
            self.step(b);
            bytes = rest;
        }
    }

    /// Bytes fed so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The line ended: its length (without a final `"\r"`) and what was
    /// found; `None` if it was blank.
    pub(crate) fn finish(mut self) -> Option<(usize, Peek)> {
        if !self.nonblank {
            return None;
        }
        // A line cut short right after a scalar value (`{"id":5`) still
        // tells which request it was.
        if self.phase == Phase::InValue && !self.in_string {
            self.end_value();
        }
        let mut out = self.out;
        if let IdSeen::One(id) = self.id {
            out.id = id;
        }
        Some((self.len.saturating_sub(usize::from(self.last_cr)), out))
    }

    /// Whether string bytes are being recorded (a key, or a captured value).
    fn recording(&self) -> bool {
        match self.phase {
            Phase::InKey => self.key_len <= KEY_CAP,
            Phase::InValue => self.capturing,
            _ => false,
        }
    }

    fn step(&mut self, b: u8) {
        if self.in_string {
            let closing = !self.escape && b == b'"';
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            match self.phase {
                Phase::InKey if closing => self.end_key(),
                Phase::InKey => self.push_key(b),
                Phase::InValue => self.capture_byte(b),
                _ => {}
            }
            return;
        }
        match self.phase {
            Phase::Start => {
                if b == b'{' {
                    self.depth = 1;
                    self.phase = Phase::ExpectKey;
                } else if !is_json_ws(b) {
                    self.phase = Phase::Done;
                }
            }
            Phase::ExpectKey => match b {
                b'"' => {
                    self.in_string = true;
                    self.key_len = 0;
                    self.phase = Phase::InKey;
                }
                b'}' => {
                    self.depth = 0;
                    self.phase = Phase::Done;
                }
                _ if is_json_ws(b) => {}
                _ => self.phase = Phase::Done,
            },
            Phase::ExpectColon => {
                if b == b':' {
                    self.phase = Phase::BeforeValue;
                } else if !is_json_ws(b) {
                    self.phase = Phase::Done;
                }
            }
            Phase::BeforeValue => {
                if !is_json_ws(b) {
                    self.phase = Phase::InValue;
                    self.capture.clear();
                    let number = b == b'-' || b.is_ascii_digit();
                    self.number = (self.field == Field::Id && number).then(Integer::default);
                    self.capturing = self.field != Field::Other && self.number.is_none();
                    self.value_byte(b);
                }
            }
            Phase::InValue => self.value_byte(b),
            // A key is always a string; reaching here means a bug, not bad
            // input, but giving up is the safe answer either way.
            Phase::InKey => self.phase = Phase::Done,
            Phase::Done => {}
        }
    }

    /// A byte of a top-level value, outside any string.
    fn value_byte(&mut self, b: u8) {
        if self.depth <= 1 && matches!(b, b',' | b'}' | b']') {
            self.end_value();
            if b == b',' {
                self.phase = Phase::ExpectKey;
            } else {
                self.depth = 0;
                self.phase = Phase::Done;
            }
            return;
        }
        if let Some(n) = self.number.as_mut() {
            n.byte(b);
        }
        self.capture_byte(b);
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth = self.depth.saturating_add(1),
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    fn push_key(&mut self, b: u8) {
        if let Some(slot) = self.key.get_mut(self.key_len) {
            *slot = b;
        }
        self.key_len = self.key_len.saturating_add(1).min(KEY_CAP + 1);
    }

    fn end_key(&mut self) {
        let key = self.key.get(..self.key_len).unwrap_or_default();
        self.field = Field::Other;
        match key {
            b"id" => self.field = Field::Id,
            b"method" => self.field = Field::Method,
            b"result" => self.out.has_result = true,
            b"error" => self.out.has_error = true,
            _ => {}
        }
        self.phase = Phase::ExpectColon;
    }

    fn capture_byte(&mut self, b: u8) {
        if !self.capturing {
            return;
        }
        if self.capture.len() < CAPTURE_CAP {
            self.capture.push(b);
        } else {
            // Too long to be an id or method worth reporting: give up on it.
            self.capturing = false;
            self.capture = Vec::new();
        }
    }

    /// The current top-level value ended: read it if it was captured.
    fn end_value(&mut self) {
        match self.field {
            Field::Id => {
                let id = match self.number.take() {
                    Some(n) => n.get().map(RequestId::Number),
                    None if self.capturing => serde_json::from_slice::<String>(&self.capture)
                        .ok()
                        .map(RequestId::String),
                    None => None,
                };
                self.id = match std::mem::take(&mut self.id) {
                    IdSeen::None => IdSeen::One(id),
                    IdSeen::One(first) if first == id => IdSeen::One(first),
                    _ => IdSeen::Conflict,
                };
            }
            Field::Method if self.capturing => {
                if let Ok(method) = serde_json::from_slice::<String>(&self.capture) {
                    self.out.method = Some(method);
                }
            }
            Field::Method | Field::Other => {}
        }
        self.capturing = false;
        self.capture.clear();
        self.number = None;
        self.field = Field::Other;
    }
}

/// JSON's insignificant whitespace.
fn is_json_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(line: &[u8]) -> Option<RequestId> {
        peek(line).id
    }

    #[test]
    fn integer_ids_of_any_length_are_read() {
        let zeros = "0".repeat(1_000_000);
        let leading = format!("{{\"id\":{zeros}3,\"result\":{{}}}}");
        assert_eq!(id(leading.as_bytes()), Some(RequestId::Number(3)));
        let fraction = format!("{{\"id\":3.{zeros},\"result\":{{}}}}");
        assert_eq!(id(fraction.as_bytes()), Some(RequestId::Number(3)));
        assert_eq!(
            id(br#"{"id": -12 ,"error":{}}"#),
            Some(RequestId::Number(-12))
        );
        assert_eq!(
            id(format!("{{\"id\":{}}}", i64::MAX).as_bytes()),
            Some(RequestId::Number(i64::MAX))
        );
        for unusable in [
            format!("{{\"id\":1{zeros},\"result\":{{}}}}"),
            "{\"id\":9223372036854775808}".into(),
            "{\"id\":1.5}".into(),
            "{\"id\":1e3}".into(),
            "{\"id\":--1}".into(),
            "{\"id\":1 2}".into(),
            "{\"id\":1-}".into(),
            "{\"id\":-}".into(),
        ] {
            assert_eq!(
                id(unusable.as_bytes()),
                None,
                "{}",
                &unusable[..40.min(unusable.len())]
            );
        }
    }

    #[test]
    fn broken_lines_still_name_their_request() {
        let cases: [&[u8]; 4] = [
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"text\":\"\xff\xfe\"}}",
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"text\":\"a\x00b\"}}",
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{},\"result\":{}}",
            b"{\"jsonrpc\":\"2.0\",\"id\":7,\"id\":7,\"result\":{}}",
        ];
        for line in cases {
            let p = peek(line);
            assert_eq!(p.id, Some(RequestId::Number(7)), "{line:?}");
            assert!(p.has_result && !p.has_error && p.method.is_none());
        }
    }

    #[test]
    fn an_id_given_twice_with_different_values_names_nothing() {
        assert_eq!(id(br#"{"id":7,"id":8,"result":{}}"#), None);
        assert_eq!(id(br#"{"id":7,"id":"7","result":{}}"#), None);
        assert_eq!(id(br#"{"id":7,"id":[7],"result":{}}"#), None);
        assert_eq!(
            id(br#"{"id":"a","id":"a"}"#),
            Some(RequestId::String("a".into()))
        );
    }

    #[test]
    fn a_scan_fed_in_pieces_finds_what_a_whole_one_does() {
        let line = br#"{ "jsonrpc":"2.0", "method":"ping", "id" : 00042 , "params":{"id":1}}"#;
        let whole = peek(line);
        assert_eq!(whole.id, Some(RequestId::Number(42)));
        assert_eq!(whole.method.as_deref(), Some("ping"));
        for cut in 0..line.len() {
            let mut s = Scanner::new();
            s.feed(&line[..cut]);
            s.feed(&line[cut..]);
            assert_eq!(
                s.finish().map(|(_, p)| p),
                Some(whole.clone()),
                "cut at {cut}"
            );
        }
    }
}
