//! Raw JSON kept as received, decoded only when the caller asks for a type.

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A JSON value exactly as the server sent it.
///
/// It holds the frame it arrived in and the byte range of the value inside
/// it, so a 20 MiB tool result is never copied out of its frame: the only
/// parse of those bytes is the caller's [`decode`](RawJson::decode).
#[derive(Clone, PartialEq, Eq)]
pub struct RawJson {
    text: String,
    range: Range<usize>,
}

impl RawJson {
    /// Wraps `range` of `frame`. The range must hold a complete JSON value and
    /// lie on character boundaries; callers take it from a parsed `RawValue`.
    pub(crate) fn from_frame(frame: String, range: Range<usize>) -> RawJson {
        debug_assert!(frame.get(range.clone()).is_some());
        RawJson { text: frame, range }
    }

    /// Wraps a string that holds exactly one JSON value. The text is not
    /// validated here; [`decode`](RawJson::decode) reports bad JSON.
    pub fn from_string(text: String) -> RawJson {
        let range = 0..text.len();
        RawJson { text, range }
    }

    /// Serializes a value.
    pub fn from_serialize<T: serde::Serialize + ?Sized>(
        value: &T,
    ) -> Result<RawJson, serde_json::Error> {
        serde_json::to_string(value).map(RawJson::from_string)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        // The range is set from a parsed value and never changes.
        self.text.get(self.range.clone()).unwrap_or("")
    }

    /// Length of the JSON text in bytes.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// Bytes of memory held: the whole frame this is a slice of.
    pub(crate) fn held(&self) -> usize {
        self.text.capacity()
    }

    /// Whether the text is empty (never true for a received value).
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// Decodes into `T`; this is the one parse of these bytes.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// Decodes into a `T` that may borrow from this text.
    pub fn decode_borrowed<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// Decodes into a `serde_json::Value` tree.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// The JSON text as an owned string, copying only if the frame held more.
    pub fn into_string(self) -> String {
        if self.range.start == 0 && self.range.end == self.text.len() {
            self.text
        } else {
            self.get().to_owned()
        }
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 200;
        let text = self.get();
        if text.len() <= SHOWN {
            write!(f, "RawJson({text})")
        } else {
            let mut cut = SHOWN;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            write!(f, "RawJson({}… {} bytes)", &text[..cut], text.len())
        }
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(self.get()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// The raw text of the values of some top-level members of a JSON object,
/// found without parsing the rest.
///
/// `text` must be JSON that serde_json has already validated (a `RawValue`);
/// strings are skipped with `memchr`, so a 20 MiB base64 member costs a
/// vector scan, not a parse. Returns `None` if `text` is not an object. Keys
/// written with escapes are compared after decoding them.
pub(crate) fn top_level_members<'a, const N: usize>(
    text: &'a str,
    keys: [&str; N],
) -> Option<[Option<&'a str>; N]> {
    let b = text.as_bytes();
    let mut found = [None; N];
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(found);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = text.get(i..key_end)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        let value = text.get(start..end)?;
        for (slot, want) in found.iter_mut().zip(keys) {
            if key_is(key, want) {
                *slot = Some(value);
            }
        }
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(found),
            _ => return None,
        }
    }
}

/// Whether the quoted JSON string `quoted` spells `want`.
fn key_is(quoted: &str, want: &str) -> bool {
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
    if !inner.contains('\\') {
        return inner == want;
    }
    serde_json::from_str::<String>(quoted).is_ok_and(|k| k == want)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Index just past the string that starts with the quote at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let at = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[at] == b'"' {
            return Some(at + 1);
        }
        j = at + 2;
    }
}

/// Index just past the value that starts at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Byte range of `inner` inside `outer`, when `inner` is a sub-slice of it.
pub(crate) fn subrange(outer: &str, inner: &str) -> Option<Range<usize>> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start.checked_add(inner.len())?;
    (end <= outer.len()).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_inside_a_frame_decodes_without_copying_the_frame() {
        let frame = r#"{"id":1,"result":{"a":[1,2]}}"#.to_owned();
        #[derive(Deserialize)]
        struct Env<'a> {
            #[serde(borrow)]
            result: &'a RawValue,
        }
        let env: Env<'_> = serde_json::from_str(&frame).unwrap();
        let range = subrange(&frame, env.result.get()).unwrap();
        let raw = RawJson::from_frame(frame.clone(), range);
        assert_eq!(raw.get(), r#"{"a":[1,2]}"#);
        let v: Value = raw.decode().unwrap();
        assert_eq!(v["a"][1], 2);
        assert_eq!(raw.clone().into_string(), r#"{"a":[1,2]}"#);
        assert_eq!(serde_json::to_string(&raw).unwrap(), r#"{"a":[1,2]}"#);
    }

    #[test]
    fn top_level_members_are_found_without_looking_inside_values() {
        let text = r#" { "content" : [{"resultType":"no","t":"}]\"{"}], "ttlMs":60000 ,"result\u0054ype":"input_required","x":{"ttlMs":1}} "#;
        let [rt, ttl, missing] = top_level_members(text, ["resultType", "ttlMs", "nope"]).unwrap();
        assert_eq!(rt, Some("\"input_required\""));
        assert_eq!(ttl, Some("60000"));
        assert_eq!(missing, None);
        assert_eq!(top_level_members("{}", ["a"]), Some([None]));
        assert_eq!(top_level_members("[1]", ["a"]), None);
        assert_eq!(top_level_members("5", ["a"]), None);
        for bad in [
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":\"x",
            "{\"a\":1 2}",
            "{\"a\":[}",
        ] {
            let _ = top_level_members(bad, ["a"]);
        }
    }

    #[test]
    fn subrange_rejects_foreign_slices() {
        let a = "abc".to_owned();
        let b = "abc".to_owned();
        assert!(subrange(&a, &b).is_none() || std::ptr::eq(a.as_ptr(), b.as_ptr()));
    }

    mod scanner_props {
        use super::super::top_level_members;
        use proptest::prelude::*;
        use serde_json::{Map, Value};

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                (-4000i32..4000).prop_map(|n| Value::from(f64::from(n) / 4.0)),
                "[a-z\\\\\"{}\\[\\],: \\n\\u{e9}]{0,12}".prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                    prop::collection::btree_map("[a-zT\\\\\"]{0,6}", inner, 0..5)
                        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
                ]
            })
        }

        proptest! {
            #[test]
            fn agrees_with_serde_json(obj in prop::collection::btree_map("[a-zT]{0,4}", json(), 0..6), pretty in any::<bool>()) {
                let value = Value::Object(obj.clone().into_iter().collect());
                let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
                let found = top_level_members(&text, ["a", "T", "", "resultType"]).expect("an object");
                for (key, raw) in ["a", "T", "", "resultType"].into_iter().zip(found) {
                    let parsed = raw.map(|r| serde_json::from_str::<Value>(r).unwrap());
                    prop_assert_eq!(parsed.as_ref(), obj.get(key), "key {:?} in {}", key, text);
                }
            }

            #[test]
            fn never_panics(text in "[{}\\[\\]\":,a-z0-9\\\\ ]{0,40}") {
                let _ = top_level_members(&text, ["a"]);
            }
        }
    }
}
