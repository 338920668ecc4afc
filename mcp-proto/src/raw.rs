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
    fn subrange_rejects_foreign_slices() {
        let a = "abc".to_owned();
        let b = "abc".to_owned();
        assert!(subrange(&a, &b).is_none() || std::ptr::eq(a.as_ptr(), b.as_ptr()));
    }
}
