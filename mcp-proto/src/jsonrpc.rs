//! JSON-RPC 2.0 on the wire: one pass over an incoming frame to classify it,
//! and the writers for outgoing requests, notifications and responses.
//!
//! Decoding borrows from the frame: `params` and `result` stay `&RawValue`
//! slices of it, so the only full parse of a result is the caller's typed
//! decode. Everything a sloppy server gets wrong that can still be understood
//! is reported in [`Message::quirks`] rather than rejected.

use std::borrow::Cow;
use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::model::{ErrorObject, RequestId};

/// What an incoming message is.
#[derive(Debug)]
pub(crate) enum Kind<'a> {
    /// A request from the server (legacy server-to-client requests).
    Request {
        id: RequestId,
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    /// A notification.
    Notification {
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    /// A successful response.
    Result { id: RequestId, result: &'a RawValue },
    /// An error response; `id` is `None` when the server sent `null` or
    /// nothing (it could not read our request's id).
    Error {
        id: Option<RequestId>,
        error: ErrorObject,
    },
}

/// Tolerated deviations found while decoding one message.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quirks {
    /// `"jsonrpc": "2.0"` was missing or wrong.
    pub(crate) missing_version: bool,
    /// Both `result` and `error` were present (and non-null).
    pub(crate) result_and_error: bool,
    /// The error object did not have the JSON-RPC shape and was rebuilt.
    pub(crate) malformed_error: bool,
}

/// One decoded message.
#[derive(Debug)]
pub(crate) struct Message<'a> {
    pub(crate) kind: Kind<'a>,
    pub(crate) quirks: Quirks,
}

/// What an incoming frame holds.
pub(crate) enum Frame<'a> {
    /// One message.
    Single(Message<'a>),
    /// A JSON-RPC batch: each element still to be decoded with
    /// [`decode_message`].
    Batch(Vec<&'a RawValue>),
}

/// Why a frame is not a JSON-RPC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but not a JSON-RPC message.
    Invalid(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotJson(e) | DecodeError::Invalid(e) => f.write_str(e),
        }
    }
}

/// The `id` member as found: absent, `null`, a valid id, or something else.
#[derive(Debug, Default)]
enum IdField {
    #[default]
    Absent,
    Null,
    Valid(RequestId),
    Invalid,
}

impl<'de> Deserialize<'de> for IdField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON-RPC id")
            }
            fn visit_unit<E>(self) -> Result<IdField, E> {
                Ok(IdField::Null)
            }
            fn visit_none<E>(self) -> Result<IdField, E> {
                Ok(IdField::Null)
            }
            fn visit_i64<E>(self, v: i64) -> Result<IdField, E> {
                Ok(IdField::Valid(RequestId::Number(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<IdField, E> {
                Ok(i64::try_from(v)
                    .map_or(IdField::Invalid, |n| IdField::Valid(RequestId::Number(n))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<IdField, E> {
                Ok(if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    IdField::Valid(RequestId::Number(v as i64))
                } else {
                    IdField::Invalid
                })
            }
            fn visit_str<E>(self, v: &str) -> Result<IdField, E> {
                Ok(IdField::Valid(RequestId::String(v.to_owned())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<IdField, E> {
                Ok(IdField::Invalid)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IdField, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IdField::Invalid)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdField, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(IdField::Invalid)
            }
        }
        d.deserialize_any(V)
    }
}

/// The envelope as found; classification happens afterwards so that every
/// deviation can be named.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(default)]
    id: IdField,
    #[serde(default, borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    params: Option<&'a RawValue>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
}

/// Decodes one frame: a message, or a batch of them.
pub(crate) fn decode_frame(text: &str) -> Result<Frame<'_>, DecodeError> {
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    if first == Some(b'[') {
        let items: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|e| classify_json_error(text, e))?;
        if items.is_empty() {
            return Err(DecodeError::Invalid("empty batch".into()));
        }
        return Ok(Frame::Batch(items));
    }
    decode_message(text).map(Frame::Single)
}

/// Decodes one JSON-RPC message.
pub(crate) fn decode_message(text: &str) -> Result<Message<'_>, DecodeError> {
    let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| classify_json_error(text, e))?;
    let mut quirks = Quirks {
        missing_version: env.jsonrpc.as_deref() != Some("2.0"),
        ..Quirks::default()
    };
    let kind =
        match (env.method, env.id) {
            (Some(method), IdField::Valid(id)) => Kind::Request {
                id,
                method,
                params: env.params,
            },
            (Some(method), IdField::Absent) => Kind::Notification {
                method,
                params: env.params,
            },
            (Some(_), IdField::Null | IdField::Invalid) => {
                return Err(DecodeError::Invalid("request with an invalid id".into()))
            }
            (None, id) => match (env.result, env.error) {
                (result, Some(raw_error)) => {
                    quirks.result_and_error = result.is_some();
                    let error = match serde_json::from_str::<ErrorObject>(raw_error.get()) {
                        Ok(e) => e,
                        Err(_) => {
                            quirks.malformed_error = true;
                            malformed_error(raw_error)
                        }
                    };
                    let id = match id {
                        IdField::Valid(id) => Some(id),
                        IdField::Absent | IdField::Null => None,
                        IdField::Invalid => {
                            return Err(DecodeError::Invalid(
                                "error response with an invalid id".into(),
                            ))
                        }
                    };
                    Kind::Error { id, error }
                }
                (Some(result), None) => match id {
                    IdField::Valid(id) => Kind::Result { id, result },
                    _ => return Err(DecodeError::Invalid("result without a valid id".into())),
                },
                (None, None) => return Err(DecodeError::Invalid(
                    "neither a request, a notification nor a response (no method, result or error)"
                        .into(),
                )),
            },
        };
    Ok(Message { kind, quirks })
}

/// An error member that is not `{code, message}`: keep what it said.
fn malformed_error(raw: &RawValue) -> ErrorObject {
    let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
    let code = value
        .get("code")
        .and_then(Value::as_i64)
        .unwrap_or(crate::model::codes::INTERNAL_ERROR);
    let message = match value.get("message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        None => match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    let mut e = ErrorObject::new(code, message);
    e.data = value.get("data").cloned();
    e
}

fn classify_json_error(text: &str, e: serde_json::Error) -> DecodeError {
    match e.classify() {
        serde_json::error::Category::Data => DecodeError::Invalid(e.to_string()),
        _ => {
            // A line that does not even start like JSON is a banner or a
            // stray print, which deserves a clearer message than serde's.
            let start = text.trim_start().as_bytes().first().copied();
            if matches!(start, Some(b'{' | b'[')) {
                DecodeError::NotJson(format!("invalid JSON: {e}"))
            } else {
                DecodeError::NotJson("not JSON (a banner or stray output on stdout?)".into())
            }
        }
    }
}

/// A value written into params or `_meta` while encoding a request.
#[derive(Clone, Copy)]
pub(crate) enum Piece<'a> {
    Str(&'a str),
    Json(&'a Value),
    Raw(&'a RawValue),
    Id(&'a RequestId),
}

impl Serialize for Piece<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Piece::Str(v) => s.serialize_str(v),
            Piece::Json(v) => v.serialize(s),
            Piece::Raw(v) => v.serialize(s),
            Piece::Id(v) => v.serialize(s),
        }
    }
}

/// Request params as sent: the caller's params, with the core's fields laid
/// over them and `_meta` merged, written without building a new tree.
pub(crate) struct ParamsView<'a> {
    /// The caller's params.
    pub(crate) base: &'a serde_json::Map<String, Value>,
    /// Top-level fields the core sets (`cursor`, `inputResponses`, ...);
    /// they replace same-named fields of `base`.
    pub(crate) fields: &'a [(&'a str, Piece<'a>)],
    /// `_meta` entries the core sets; they replace same-named entries of the
    /// caller's `_meta`.
    pub(crate) meta: &'a [(&'a str, Piece<'a>)],
    /// Extra `_meta` entries from the request options.
    pub(crate) extra_meta: Option<&'a serde_json::Map<String, Value>>,
}

impl Serialize for ParamsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.base {
            if k == "_meta" || self.fields.iter().any(|(f, _)| f == k) {
                continue;
            }
            map.serialize_entry(k, v)?;
        }
        for (k, v) in self.fields {
            map.serialize_entry(k, v)?;
        }
        let user_meta = self.base.get("_meta").and_then(Value::as_object);
        if !self.meta.is_empty()
            || user_meta.is_some_and(|m| !m.is_empty())
            || self.extra_meta.is_some_and(|m| !m.is_empty())
        {
            map.serialize_entry(
                "_meta",
                &MetaView {
                    user: user_meta,
                    extra: self.extra_meta,
                    ours: self.meta,
                },
            )?;
        }
        map.end()
    }
}

struct MetaView<'a> {
    user: Option<&'a serde_json::Map<String, Value>>,
    extra: Option<&'a serde_json::Map<String, Value>>,
    ours: &'a [(&'a str, Piece<'a>)],
}

impl Serialize for MetaView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let ours = |k: &str| self.ours.iter().any(|(o, _)| *o == k);
        for (k, v) in self.user.into_iter().flatten() {
            let in_extra = self.extra.is_some_and(|e| e.contains_key(k));
            if !ours(k) && !in_extra {
                map.serialize_entry(k, v)?;
            }
        }
        for (k, v) in self.extra.into_iter().flatten() {
            if !ours(k) {
                map.serialize_entry(k, v)?;
            }
        }
        for (k, v) in self.ours {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct OutRequest<'a, P: Serialize> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    method: &'a str,
    params: P,
}

#[derive(Serialize)]
struct OutNotification<'a, P: Serialize> {
    jsonrpc: &'static str,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<P>,
}

#[derive(Serialize)]
struct OutResult<'a, R: Serialize> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    result: R,
}

#[derive(Serialize)]
struct OutError<'a> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    error: &'a ErrorObject,
}

/// Appends a request line to `out`.
pub(crate) fn write_request<P: Serialize>(
    out: &mut Vec<u8>,
    id: &RequestId,
    method: &str,
    params: P,
) -> Result<(), serde_json::Error> {
    write_line(
        out,
        &OutRequest {
            jsonrpc: "2.0",
            id,
            method,
            params,
        },
    )
}

/// Appends a notification line to `out`.
pub(crate) fn write_notification<P: Serialize>(
    out: &mut Vec<u8>,
    method: &str,
    params: Option<P>,
) -> Result<(), serde_json::Error> {
    write_line(
        out,
        &OutNotification {
            jsonrpc: "2.0",
            method,
            params,
        },
    )
}

/// Appends a success response line to `out`.
pub(crate) fn write_result<R: Serialize>(
    out: &mut Vec<u8>,
    id: &RequestId,
    result: R,
) -> Result<(), serde_json::Error> {
    write_line(
        out,
        &OutResult {
            jsonrpc: "2.0",
            id,
            result,
        },
    )
}

/// Appends an error response line to `out`.
pub(crate) fn write_error(
    out: &mut Vec<u8>,
    id: &RequestId,
    error: &ErrorObject,
) -> Result<(), serde_json::Error> {
    write_line(
        out,
        &OutError {
            jsonrpc: "2.0",
            id,
            error,
        },
    )
}

/// Serializes one message as a line. On failure `out` is left as it was, so
/// a half-written message can never reach the wire.
fn write_line<T: Serialize>(out: &mut Vec<u8>, msg: &T) -> Result<(), serde_json::Error> {
    // The transmit buffer usually starts empty (the last one was handed
    // out); growing it from nothing took five reallocations per request.
    out.reserve(256);
    let mark = out.len();
    match serde_json::to_writer(&mut *out, msg) {
        Ok(()) => {
            out.push(b'\n');
            Ok(())
        }
        Err(e) => {
            out.truncate(mark);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Kind<'_> {
        decode_message(text).unwrap().kind
    }

    #[test]
    fn classifies_the_four_shapes_with_string_and_number_ids() {
        assert!(
            matches!(kind(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#),
            Kind::Request { id: RequestId::String(s), .. } if s == "a")
        );
        assert!(matches!(
            kind(r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#),
            Kind::Notification { .. }
        ));
        assert!(
            matches!(kind(r#"{"jsonrpc":"2.0","id":7,"result":{"x":1}}"#),
            Kind::Result { id: RequestId::Number(7), result } if result.get() == r#"{"x":1}"#)
        );
        assert!(
            matches!(kind(r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no"}}"#),
            Kind::Error { id: Some(RequestId::Number(7)), error } if error.code == -32601)
        );
        assert!(matches!(
            kind(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}"#),
            Kind::Error { id: None, .. }
        ));
    }

    #[test]
    fn reports_quirks_instead_of_rejecting() {
        let m = decode_message(r#"{"id":1,"result":{}}"#).unwrap();
        assert!(m.quirks.missing_version);
        let m = decode_message(
            r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#,
        )
        .unwrap();
        assert!(m.quirks.result_and_error);
        assert!(matches!(m.kind, Kind::Error { .. }));
        let m = decode_message(r#"{"jsonrpc":"2.0","id":1,"result":{},"error":null}"#).unwrap();
        assert!(!m.quirks.result_and_error);
        assert!(matches!(m.kind, Kind::Result { .. }));
        let m = decode_message(r#"{"jsonrpc":"2.0","id":1,"error":"boom"}"#).unwrap();
        assert!(m.quirks.malformed_error);
        assert!(matches!(m.kind, Kind::Error { error, .. } if error.message == "boom"));
    }

    #[test]
    fn rejects_what_cannot_be_understood() {
        assert!(matches!(
            decode_message("hello world"),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            decode_message("{\"id\":"),
            Err(DecodeError::NotJson(_))
        ));
        assert!(matches!(
            decode_message("[1,2]"),
            Err(DecodeError::Invalid(_))
        ));
        assert!(matches!(
            decode_message(r#"{"jsonrpc":"2.0","id":1}"#),
            Err(DecodeError::Invalid(_))
        ));
        assert!(matches!(
            decode_message(r#"{"jsonrpc":"2.0","id":{"a":1},"result":{}}"#),
            Err(DecodeError::Invalid(_))
        ));
        assert!(matches!(decode_message("42"), Err(DecodeError::Invalid(_))));
    }

    #[test]
    fn batches_split_into_raw_messages() {
        let Frame::Batch(items) = decode_frame(
            r#" [{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","method":"x"}]"#,
        )
        .unwrap() else {
            panic!("not a batch")
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(
            decode_message(items[1].get()).unwrap().kind,
            Kind::Notification { .. }
        ));
        assert!(decode_frame("[]").is_err());
    }

    #[test]
    fn params_view_merges_meta_without_duplicates() {
        let base: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{"name":"t","cursor":"old","_meta":{"progressToken":"user","traceparent":"x"}}"#,
        )
        .unwrap();
        let version = Value::String("2026-07-28".into());
        let mut out = Vec::new();
        write_request(
            &mut out,
            &RequestId::Number(3),
            "tools/list",
            ParamsView {
                base: &base,
                fields: &[("cursor", Piece::Str("new"))],
                meta: &[(
                    "io.modelcontextprotocol/protocolVersion",
                    Piece::Json(&version),
                )],
                extra_meta: None,
            },
        )
        .unwrap();
        let line = std::str::from_utf8(&out).unwrap();
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["params"]["cursor"], "new");
        assert_eq!(v["params"]["name"], "t");
        assert_eq!(v["params"]["_meta"]["progressToken"], "user");
        assert_eq!(v["params"]["_meta"]["traceparent"], "x");
        assert_eq!(
            v["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
    }
}
