//! The JSON schema of each protocol revision, vendored from `spec/` and
//! built into the binary, and what a message must match in it.
//!
//! Which definition a message must match is read from the schema itself: a
//! request or notification definition is the one whose `method` is that
//! constant, and a request's result is the definition named after it
//! (`CallToolRequest` → `CallToolResult`, `EmptyResult` when there is none).
//! So a new revision needs only its schema file here.

use std::collections::HashMap;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use mcp_switch::mcp_proto::ProtocolVersion;
use serde_json::{json, Value};

/// The schema text of a revision (`None` for one newer than this build).
fn text(version: ProtocolVersion) -> Option<&'static str> {
    Some(match version {
        ProtocolVersion::V2024_11_05 => include_str!("../../../spec/2024-11-05/schema/schema.json"),
        ProtocolVersion::V2025_03_26 => include_str!("../../../spec/2025-03-26/schema/schema.json"),
        ProtocolVersion::V2025_06_18 => include_str!("../../../spec/2025-06-18/schema/schema.json"),
        ProtocolVersion::V2025_11_25 => include_str!("../../../spec/2025-11-25/schema/schema.json"),
        ProtocolVersion::V2026_07_28 => include_str!("../../../spec/2026-07-28/schema/schema.json"),
        _ => return None,
    })
}

/// Longest error text kept; longer ones (which quote the whole value) are
/// cut, since the report shows the message anyway.
const MAX_ERROR: usize = 240;

/// One revision's schema, with validators compiled as they are needed.
pub(crate) struct Schema {
    version: ProtocolVersion,
    root: Value,
    /// `$defs` (2020-12) or `definitions` (draft-07).
    defs_key: &'static str,
    requests: HashMap<String, String>,
    notifications: HashMap<String, String>,
    compiled: HashMap<String, Validator>,
}

/// What a message broke, by where in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// JSON pointer into the message (`""` for the message itself).
    pub(crate) at: String,
    /// What is wrong there.
    pub(crate) error: String,
}

impl Schema {
    /// The schema of `version`, if this build has it.
    pub(crate) fn load(version: ProtocolVersion) -> Option<Schema> {
        // The vendored schemas are checked by this crate's tests, so a
        // failure here is a build defect, not a user's problem.
        let root: Value =
            serde_json::from_str(text(version)?).expect("the vendored schema is JSON");
        let defs_key = if root.get("$defs").is_some() {
            "$defs"
        } else {
            "definitions"
        };
        let mut requests = HashMap::new();
        let mut notifications = HashMap::new();
        if let Some(defs) = root[defs_key].as_object() {
            for (name, def) in defs {
                let Some(method) = def
                    .pointer("/properties/method/const")
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                // Unions (`ClientNotification`) repeat a member's method.
                if name.starts_with("Client") || name.starts_with("Server") {
                    continue;
                }
                if name.ends_with("Request") {
                    requests.insert(method.to_owned(), name.clone());
                } else if name.ends_with("Notification") {
                    notifications.insert(method.to_owned(), name.clone());
                }
            }
        }
        Some(Schema {
            version,
            root,
            defs_key,
            requests,
            notifications,
            compiled: HashMap::new(),
        })
    }

    /// The revision.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Whether the schema has definition `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.root[self.defs_key].get(name).is_some()
    }

    /// The definition of request `method`, if this revision has one.
    pub(crate) fn request(&self, method: &str) -> Option<&str> {
        self.requests.get(method).map(String::as_str)
    }

    /// The definition of notification `method`, if this revision has one.
    pub(crate) fn notification(&self, method: &str) -> Option<&str> {
        self.notifications.get(method).map(String::as_str)
    }

    /// The definition a result of request `method` must match, given the
    /// result itself (a 2026-07-28 server may answer any request with an
    /// `InputRequiredResult`).
    pub(crate) fn result(&self, method: &str, result: &Value) -> Option<String> {
        if result.get("resultType").and_then(Value::as_str) == Some("input_required")
            && self.has("InputRequiredResult")
        {
            return Some("InputRequiredResult".into());
        }
        let request = self.request(method)?;
        let named = format!("{}Result", request.strip_suffix("Request")?);
        Some(if self.has(&named) {
            named
        } else {
            "EmptyResult".into()
        })
    }

    /// The envelope definitions: request, notification, result response,
    /// error response.
    pub(crate) fn envelope(&self, kind: Envelope) -> &'static str {
        let modern = self.has("JSONRPCResultResponse");
        match kind {
            Envelope::Request => "JSONRPCRequest",
            Envelope::Notification => "JSONRPCNotification",
            Envelope::Result if modern => "JSONRPCResultResponse",
            Envelope::Result => "JSONRPCResponse",
            Envelope::Error if modern => "JSONRPCErrorResponse",
            Envelope::Error => "JSONRPCError",
        }
    }

    /// Checks `value` against definition `def`; what it breaks, most
    /// specific first. Paths are relative to `value`.
    pub(crate) fn check(&mut self, def: &str, value: &Value) -> Vec<Problem> {
        let (root, key) = (&self.root, self.defs_key);
        let validator = self.compiled.entry(def.to_owned()).or_insert_with(|| {
            let mut schema = root.clone();
            schema["$ref"] = json!(format!("#/{key}/{def}"));
            // Formats are checked in every revision (draft-07 checks them by
            // default, 2020-12 does not), by the RFCs' rules.
            jsonschema::options()
                .should_validate_formats(true)
                .with_format("uri-template", super::formats::uri_template)
                .with_format("byte", super::formats::base64)
                .build(&schema)
                // As above: the vendored schemas compile (tested).
                .expect("the vendored schema compiles")
        });
        let mut out = Vec::new();
        for e in validator.iter_errors(value) {
            explain(&e, &mut out, 0);
        }
        out
    }
}

/// The JSON-RPC envelope kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    Request,
    Notification,
    Result,
    Error,
}

/// Turns a validation error into problems. An `anyOf` failure (a content
/// block matching no kind of block, say) is explained by the alternative
/// that came closest, so the report says "`text` is missing" rather than
/// "matches none of 5 schemas".
fn explain(e: &ValidationError<'_>, out: &mut Vec<Problem>, depth: usize) {
    let branches = match e.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            Some(context)
        }
        _ => None,
    };
    let here = e.instance_path().to_string();
    if let Some(best) = branches
        .and_then(|b| closest(b, &here))
        .filter(|_| depth < 8)
    {
        for inner in best {
            explain(inner, out, depth + 1);
        }
        return;
    }
    let problem = Problem {
        at: here,
        error: cut(&e.to_string(), MAX_ERROR),
    };
    if !out.contains(&problem) {
        out.push(problem);
    }
}

/// The alternative with the fewest errors among those whose discriminator
/// (`type` or `method`, when it has one) matched; `None` when every
/// alternative fails on its discriminator, since then no one of them is
/// what the sender meant.
fn closest<'a, 'b>(
    branches: &'a [Vec<ValidationError<'b>>],
    at: &str,
) -> Option<&'a [ValidationError<'b>]> {
    let discriminator_fails = |errors: &[ValidationError<'_>]| {
        errors.iter().any(|e| {
            matches!(
                e.kind(),
                ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. }
            ) && [format!("{at}/type"), format!("{at}/method")]
                .contains(&e.instance_path().to_string())
        })
    };
    branches
        .iter()
        .filter(|b| !b.is_empty() && !discriminator_fails(b))
        .min_by_key(|b| b.len())
        .map(Vec::as_slice)
}

/// `s` cut to at most `max` bytes, on a character boundary, marked with `…`.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_revision_loads_and_maps_its_methods() {
        for version in ProtocolVersion::ALL {
            let s = Schema::load(version).expect("every revision's schema");
            assert_eq!(
                s.request("tools/call"),
                Some("CallToolRequest"),
                "{version}"
            );
            assert_eq!(
                s.result("tools/call", &json!({})).as_deref(),
                Some("CallToolResult")
            );
            assert_eq!(
                s.notification("notifications/message"),
                Some("LoggingMessageNotification")
            );
            for kind in [
                Envelope::Request,
                Envelope::Notification,
                Envelope::Result,
                Envelope::Error,
            ] {
                assert!(s.has(s.envelope(kind)), "{version} {kind:?}");
            }
        }
        let legacy = Schema::load(ProtocolVersion::V2025_06_18).unwrap();
        assert_eq!(
            legacy.result("ping", &json!({})).as_deref(),
            Some("EmptyResult")
        );
        assert_eq!(legacy.request("server/discover"), None);
        let modern = Schema::load(ProtocolVersion::V2026_07_28).unwrap();
        assert_eq!(
            modern.result("server/discover", &json!({})).as_deref(),
            Some("DiscoverResult")
        );
        assert_eq!(
            modern
                .result("tools/call", &json!({"resultType": "input_required"}))
                .as_deref(),
            Some("InputRequiredResult")
        );
        assert_eq!(
            modern.notification("notifications/cancelled"),
            Some("CancelledNotification")
        );
    }

    #[test]
    fn a_bad_content_block_is_explained_by_its_own_kind() {
        let mut s = Schema::load(ProtocolVersion::V2025_06_18).unwrap();
        let ok = json!({"content": [{"type": "text", "text": "hi"}]});
        assert_eq!(s.check("CallToolResult", &ok), vec![]);
        let missing = json!({"content": [{"type": "text", "txt": "hi"}]});
        let problems = s.check("CallToolResult", &missing);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].at, "/content/0");
        assert!(
            problems[0]
                .error
                .contains("\"text\" is a required property"),
            "{problems:?}"
        );
        // No kind of block is called "txt": the union's own error stays.
        let unknown = json!({"content": [{"type": "txt", "text": "hi"}]});
        let problems = s.check("CallToolResult", &unknown);
        assert_eq!(problems[0].at, "/content/0", "{problems:?}");
        assert!(problems[0].error.contains("anyOf"), "{problems:?}");
    }

    #[test]
    fn formats_are_checked_in_every_revision_by_the_rfcs() {
        for version in [ProtocolVersion::V2025_03_26, ProtocolVersion::V2026_07_28] {
            let mut s = Schema::load(version).unwrap();
            // What a modern result must carry besides.
            let modern = |mut v: Value, cacheable: bool| {
                if version == ProtocolVersion::V2026_07_28 {
                    v["resultType"] = json!("complete");
                    if cacheable {
                        v["ttlMs"] = json!(0);
                        v["cacheScope"] = json!("public");
                    }
                }
                v
            };
            let template = |t: &str| {
                modern(
                    json!({"resourceTemplates": [{"name": "n", "uriTemplate": t}]}),
                    true,
                )
            };
            let problems = s.check(
                "ListResourceTemplatesResult",
                &template("demo://x/{resourceId}"),
            );
            assert_eq!(problems, vec![], "{version}");
            let problems = s.check(
                "ListResourceTemplatesResult",
                &template("demo://x/{resource Id}"),
            );
            assert_eq!(problems.len(), 1, "{version}: {problems:?}");
            let image = |data: &str| {
                modern(
                    json!({"content": [{"type": "image", "data": data, "mimeType": "image/png"}]}),
                    false,
                )
            };
            assert_eq!(s.check("CallToolResult", &image("iVBORw0KGgo=")), vec![]);
            let problems = s.check("CallToolResult", &image("not base64!"));
            assert_eq!(problems.len(), 1, "{version}: {problems:?}");
            assert_eq!(problems[0].at, "/content/0/data");
        }
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("ééé", 3), "é…");
    }
}
