//! `WWW-Authenticate` (RFC 9110 §11.6.1): the challenges of a `401` or
//! `403`, and what a Bearer challenge (RFC 6750 §3, RFC 9728 §5.1) tells
//! an MCP client: where the resource's metadata is, which scopes to ask
//! for, and why access was refused.
//!
//! ```
//! use mcp_proto::auth::challenge::{bearer, parse};
//!
//! let challenges = parse([r#"Basic realm="x", Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read files:write", error="insufficient_scope""#]);
//! assert_eq!(challenges.len(), 2);
//! let b = bearer(&challenges).unwrap();
//! assert_eq!(b.scope.as_deref(), Some("files:read files:write"));
//! assert_eq!(b.error.as_deref(), Some("insufficient_scope"));
//! ```
//!
//! The parser is forgiving, since the header comes from the server: it
//! never fails, and what it cannot read it skips, keeping the challenges
//! and parameters around it. Scheme and parameter names compare without
//! regard to case; a parameter given twice in one challenge keeps its
//! first value (RFC 9110 says each may occur once).

/// One challenge: a scheme, and either parameters or a `token68`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth scheme as written (`Bearer`, `DPoP`, `Basic`, ...).
    pub scheme: String,
    /// The `token68` form of the challenge, if it had one instead of
    /// parameters.
    pub token68: Option<String>,
    /// The parameters, names lowercased, values unquoted, in order.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// Whether the scheme is `scheme` (case-insensitively).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// A parameter's value by name (case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a Bearer challenge tells a client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BearerChallenge {
    /// `resource_metadata`: the URL of the protected resource metadata
    /// (RFC 9728 §5.1), when the server names it.
    pub resource_metadata: Option<String>,
    /// `scope`: the scopes the request needs, space-separated.
    pub scope: Option<String>,
    /// `error`: `invalid_token`, `insufficient_scope`, `invalid_request`, ...
    pub error: Option<String>,
    /// `error_description`, for humans.
    pub error_description: Option<String>,
    /// `realm`, if any.
    pub realm: Option<String>,
}

/// Every challenge in the values of the `WWW-Authenticate` header fields
/// of one response, in order.
pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut out = Vec::new();
    for value in values {
        Parser::new(value).challenges(&mut out);
    }
    out
}

/// The first Bearer challenge, read for what an MCP client needs; `None`
/// when there is none.
pub fn bearer(challenges: &[Challenge]) -> Option<BearerChallenge> {
    let c = challenges.iter().find(|c| c.is("Bearer"))?;
    let get = |n: &str| c.param(n).map(str::to_owned);
    Some(BearerChallenge {
        resource_metadata: get("resource_metadata"),
        scope: get("scope"),
        error: get("error"),
        error_description: get("error_description"),
        realm: get("realm"),
    })
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 `token68` characters (before its trailing `=`s).
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser {
            s: s.as_bytes(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    /// Line ends count as whitespace: a header folded over lines (as the
    /// specification's own examples are written) reads the same.
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    /// Skips whitespace and commas (empty list elements are allowed).
    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n' | b',')) {
            self.at += 1;
        }
    }

    /// Skips an element that is not what was expected, a quoted string
    /// whole.
    fn skip_unreadable(&mut self) {
        if self.peek() == Some(b'"') {
            self.quoted();
        } else {
            self.at += 1;
        }
        self.skip_item();
    }

    fn token(&mut self) -> Option<String> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| String::from_utf8_lossy(&self.s[start..self.at]).into_owned())
    }

    /// A quoted string, unescaped; the opening quote is at `self.at`. An
    /// unterminated one runs to the end.
    fn quoted(&mut self) -> String {
        self.at += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(next) = self.peek() {
                        out.push(next);
                        self.at += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Skips to the next comma (something it cannot read).
    fn skip_item(&mut self) {
        let mut quoted = false;
        while let Some(b) = self.peek() {
            match b {
                b'"' => quoted = !quoted,
                b'\\' if quoted => self.at += 1,
                b',' if !quoted => return,
                _ => {}
            }
            self.at += 1;
        }
    }

    fn challenges(&mut self, out: &mut Vec<Challenge>) {
        // Bounded: every turn of the loop consumes input or ends it.
        loop {
            self.skip_separators();
            if self.peek().is_none() {
                return;
            }
            let Some(scheme) = self.token() else {
                self.skip_unreadable();
                continue;
            };
            let mut challenge = Challenge {
                scheme,
                token68: None,
                params: Vec::new(),
            };
            self.skip_ws();
            if let Some(t) = self.try_token68() {
                challenge.token68 = Some(t);
            } else {
                self.params(&mut challenge);
            }
            out.push(challenge);
        }
    }

    /// A `token68` right here, ended by the end of the value or a comma;
    /// nothing is consumed otherwise.
    fn try_token68(&mut self) -> Option<String> {
        let start = self.at;
        let mut end = start;
        while self.s.get(end).copied().is_some_and(is_token68_char) {
            end += 1;
        }
        if end == start {
            return None;
        }
        let body_end = end;
        while self.s.get(end) == Some(&b'=') {
            end += 1;
        }
        // `name=value` is a parameter, not a token68 with padding.
        let mut after = end;
        while matches!(self.s.get(after), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            after += 1;
        }
        let ends = matches!(self.s.get(after), None | Some(b','));
        let padding = end - body_end;
        let is_param = padding == 1 && !ends;
        if !ends || is_param {
            return None;
        }
        self.at = after;
        Some(String::from_utf8_lossy(&self.s[start..end]).into_owned())
    }

    /// Parameters until the next challenge starts or the value ends.
    fn params(&mut self, challenge: &mut Challenge) {
        loop {
            self.skip_separators();
            let start = self.at;
            let Some(name) = self.token() else {
                if self.peek().is_some() {
                    self.skip_unreadable();
                    continue;
                }
                return;
            };
            self.skip_ws();
            if self.peek() != Some(b'=') {
                // A token not followed by `=`: the next challenge's scheme.
                self.at = start;
                return;
            }
            self.at += 1;
            self.skip_ws();
            let value = match self.peek() {
                Some(b'"') => self.quoted(),
                _ => self.token().unwrap_or_default(),
            };
            let name = name.to_ascii_lowercase();
            if challenge.param(&name).is_none() {
                challenge.params.push((name, value));
            }
            self.skip_ws();
            match self.peek() {
                None => return,
                Some(b',') => {}
                // Junk after a value: skip to the next element.
                Some(_) => self.skip_item(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> Vec<Challenge> {
        parse([value])
    }

    #[test]
    fn a_bearer_challenge_with_quoted_and_bare_values() {
        let c = one(
            r#"Bearer realm="mcp", error=invalid_token, error_description="The access token \"expired\"""#,
        );
        assert_eq!(c.len(), 1);
        assert!(c[0].is("bearer"));
        assert_eq!(c[0].param("REALM"), Some("mcp"));
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(
            c[0].param("error_description"),
            Some(r#"The access token "expired""#)
        );
    }

    #[test]
    fn several_challenges_in_one_header_and_in_several() {
        let c = parse([
            r#"Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\"""#,
            "DPoP algs=\"ES256 RS256\", Bearer scope=\"a b\"",
        ]);
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Newauth", "DPoP", "Bearer"]);
        assert_eq!(c[1].param("type"), Some("1"));
        assert_eq!(c[1].param("title"), Some(r#"Login to "apps""#));
        assert_eq!(c[2].param("algs"), Some("ES256 RS256"));
        assert_eq!(bearer(&c).unwrap().scope.as_deref(), Some("a b"));
    }

    #[test]
    fn token68_challenges() {
        let c = one("Negotiate YIIFyQYGKwYBBQUCoIIFvTCCBbmgMDAu==, Bearer");
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].token68.as_deref(),
            Some("YIIFyQYGKwYBBQUCoIIFvTCCBbmgMDAu==")
        );
        assert!(c[1].is("Bearer") && c[1].params.is_empty());
        // One `=` then a value is a parameter, not padding.
        let c = one("Custom a=b");
        assert_eq!(c[0].token68, None);
        assert_eq!(c[0].param("a"), Some("b"));
    }

    #[test]
    fn what_the_mcp_specification_shows() {
        let c = one(
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource",
                         scope="files:read""#,
        );
        let b = bearer(&c).unwrap();
        assert_eq!(
            b.resource_metadata.as_deref(),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource")
        );
        assert_eq!(b.scope.as_deref(), Some("files:read"));
        assert_eq!(bearer(&one("Basic realm=x")), None);
    }

    #[test]
    fn duplicates_keep_the_first_and_junk_is_skipped() {
        let c = one(r#"Bearer scope="a", scope="b", =oops, "stray", error="x" junk, realm=r"#);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].param("scope"), Some("a"));
        assert_eq!(c[0].param("error"), Some("x"));
        assert_eq!(c[0].param("realm"), Some("r"));
        // Unterminated quotes run to the end; empty elements are fine.
        let c = one(r#",, Bearer ,, scope="unterminated"#);
        assert_eq!(c[0].param("scope"), Some("unterminated"));
        assert!(one("").is_empty() && one(" , ,").is_empty());
    }

    #[test]
    fn no_input_panics_or_loops() {
        // A small deterministic generator over the characters that matter.
        let alphabet = b"Bearer ,=\"\\\t abc/+.-_~realm=scope\xff";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..200 {
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let text = String::from_utf8_lossy(&bytes);
            let c = parse([text.as_ref()]);
            assert!(c.len() <= len);
        }
    }
}
