//! The string formats the MCP schemas use, checked to the letter of their
//! RFCs where the validator's own checks are wrong or missing:
//! `uri-template` (RFC 6570; the validator's rejects capital letters in
//! variable names, so `{resourceId}` would fail; checked here by the
//! grammar of RFC 6570 §2, which is all a check needs of a template crate)
//! and `byte` (base64, RFC 4648 §4, as image, audio and blob data must be;
//! checked by decoding it with the `base64` crate).

/// Whether `s` is a URI template (RFC 6570, any level).
pub(crate) fn uri_template(s: &str) -> bool {
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        match c {
            '{' => {
                let Some(end) = rest.find('}') else {
                    return false;
                };
                if !expression(&rest[1..end]) {
                    return false;
                }
                rest = &rest[end + 1..];
            }
            '%' => {
                if !pct(rest) {
                    return false;
                }
                rest = &rest[3..];
            }
            _ => {
                if !literal(c) {
                    return false;
                }
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    true
}

/// A literal character: anything but controls, space and `"'<>\^`{|}`
/// (`%` is handled as percent-encoding).
fn literal(c: char) -> bool {
    !(c.is_control() || " \"'<>\\^`{|}".contains(c))
}

/// `%XX` at the start of `s`.
fn pct(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[1].is_ascii_hexdigit() && b[2].is_ascii_hexdigit()
}

/// What is between `{` and `}`: an optional operator and variables.
fn expression(inner: &str) -> bool {
    let inner = inner
        .strip_prefix(|c: char| "+#./;?&=,!@|".contains(c))
        .unwrap_or(inner);
    !inner.is_empty() && inner.split(',').all(varspec)
}

/// `name`, `name*` or `name:N` (N from 1 to 9999).
fn varspec(spec: &str) -> bool {
    let (name, ok_modifier) = if let Some(name) = spec.strip_suffix('*') {
        (name, true)
    } else if let Some((name, len)) = spec.split_once(':') {
        let digits = len.bytes().all(|b| b.is_ascii_digit());
        (
            name,
            digits && (1..=4).contains(&len.len()) && !len.starts_with('0'),
        )
    } else {
        (spec, true)
    };
    ok_modifier && varname(name)
}

/// Letters, digits, `_` and percent-encodings, dots only between them.
fn varname(name: &str) -> bool {
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return false;
    }
    let mut rest = name;
    while let Some(c) = rest.chars().next() {
        if c == '%' {
            if !pct(rest) {
                return false;
            }
            rest = &rest[3..];
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            rest = &rest[1..];
        } else {
            return false;
        }
    }
    true
}

/// Whether `s` is base64 with the standard alphabet and padding.
pub(crate) fn base64(s: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_templates_of_every_level() {
        for ok in [
            "",
            "file:///{path}",
            "demo://resource/dynamic/text/{resourceId}",
            "https://x.test/{+base}/items{?page,size*}{#frag}{id:3}",
            "{/a,b}{;c}{&d}{.e}{var.name}{%20x}",
            "https://x.test/caf%C3%A9/é",
        ] {
            assert!(uri_template(ok), "{ok:?}");
        }
        for bad in [
            "{}",
            "{open",
            "close}",
            "{a b}",
            "{a:0}",
            "{a:12345}",
            "{.}",
            "{a..b}",
            "{a,}",
            "with space",
            "100%",
            "%zz",
            "<x>",
        ] {
            assert!(!uri_template(bad), "{bad:?}");
        }
    }

    #[test]
    fn base64_needs_the_standard_alphabet_and_padding() {
        for ok in ["", "aGk=", "aGVsbG8gd29ybGQ=", "AAAA", "+/+/", "YQ=="] {
            assert!(base64(ok), "{ok:?}");
        }
        for bad in ["aGk", "a===", "-_-_", "aG=k", "aGk= ", "YQ==="] {
            assert!(!base64(bad), "{bad:?}");
        }
    }
}
