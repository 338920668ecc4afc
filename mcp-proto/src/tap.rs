//! The wire tap: frames as text for debugging, with secrets taken out.
//!
//! Redaction replaces the value of every JSON object member whose key is in
//! the configured list (case-insensitively), at any depth. Text that is not
//! JSON is kept as is, since there is no structure to redact by.

use serde_json::Value;

use crate::event::{Direction, WireRecord};

/// Builds a wire record of `frame`, redacted and shortened to `max` bytes.
pub(crate) fn record(
    direction: Direction,
    frame: &[u8],
    redact_keys: &[String],
    max: usize,
) -> WireRecord {
    let frame = frame.strip_suffix(b"\n").unwrap_or(frame);
    let len = frame.len();
    let text = String::from_utf8_lossy(frame);
    let parsed = (!redact_keys.is_empty())
        .then(|| serde_json::from_str::<Value>(&text).ok())
        .flatten();
    let mut text = match parsed {
        Some(mut v) => {
            if redact(&mut v, redact_keys) {
                v.to_string()
            } else {
                text.into_owned()
            }
        }
        None => text.into_owned(),
    };
    if text.len() > max {
        let mut cut = max;
        while cut > 0 && !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    WireRecord {
        direction,
        text,
        len,
    }
}

/// Redacts in place; returns whether anything was replaced.
fn redact(v: &mut Value, keys: &[String]) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for (k, val) in map.iter_mut() {
                if keys.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                    *val = Value::String("[redacted]".into());
                    changed = true;
                } else {
                    changed |= redact(val, keys);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |acc, i| redact(i, keys) | acc),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_long_frames_are_cut() {
        let keys = vec!["access_token".to_string(), "password".to_string()];
        let r = record(
            Direction::Out,
            br#"{"a":{"Access_Token":"s3cret","list":[{"password":"p"}],"progressToken":1}}"#,
            &keys,
            1000,
        );
        assert!(!r.text.contains("s3cret"));
        assert!(!r.text.contains("\"p\""));
        assert!(r.text.contains("progressToken"));
        let r = record(Direction::In, &[b'x'; 100], &keys, 10);
        assert_eq!(r.len, 100);
        assert!(r.text.starts_with("xxxxxxxxxx") && r.text.ends_with('…'));
    }
}
