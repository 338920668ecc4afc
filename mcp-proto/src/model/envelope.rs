//! Generic JSON-RPC envelopes around the model's params and results.
//!
//! These are for examples, tests and callers that want a whole typed
//! message; the client core decodes incoming frames with its own decoder.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::common::{JsonObject, RequestId};
use super::serde_util::{decode, object, str_field};
use super::{ErrorObject, InputRequiredResult, ResultType};

/// The only JSON-RPC version MCP speaks.
pub const JSONRPC_VERSION: &str = "2.0";

/// A JSON-RPC request with typed params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcRequest<P> {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// Request id.
    pub id: RequestId,
    /// Method name.
    pub method: String,
    /// Params, if any. (No `default` attribute: it would make serde demand
    /// `P: Default`, and a missing `Option` field is `None` anyway.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<P>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl<P> JsonRpcRequest<P> {
    /// A request of `method` with `params`.
    pub fn new(id: impl Into<RequestId>, method: impl Into<String>, params: Option<P>) -> Self {
        JsonRpcRequest {
            jsonrpc: JSONRPC_VERSION.to_owned(),
            id: id.into(),
            method: method.into(),
            params,
            extra: JsonObject::new(),
        }
    }
}

/// A JSON-RPC notification with typed params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcNotification<P> {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// Method name.
    pub method: String,
    /// Params, if any. (No `default` attribute: it would make serde demand
    /// `P: Default`, and a missing `Option` field is `None` anyway.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<P>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl<P> JsonRpcNotification<P> {
    /// A notification of `method` with `params`.
    pub fn new(method: impl Into<String>, params: Option<P>) -> Self {
        JsonRpcNotification {
            jsonrpc: JSONRPC_VERSION.to_owned(),
            method: method.into(),
            params,
            extra: JsonObject::new(),
        }
    }
}

/// A successful JSON-RPC response with a typed result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcResultResponse<R> {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// Id of the request answered.
    pub id: RequestId,
    /// The result.
    pub result: R,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl<R> JsonRpcResultResponse<R> {
    /// A response to `id` with `result`.
    pub fn new(id: impl Into<RequestId>, result: R) -> Self {
        JsonRpcResultResponse {
            jsonrpc: JSONRPC_VERSION.to_owned(),
            id: id.into(),
            result,
            extra: JsonObject::new(),
        }
    }
}

/// A JSON-RPC error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcErrorResponse {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// Id of the request answered. `Some(None)` is an explicit `null` (the
    /// server could not read the request's id), `None` an absent member;
    /// both are written back as they came.
    #[serde(
        default,
        deserialize_with = "super::serde_util::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<Option<RequestId>>,
    /// The error.
    pub error: ErrorObject,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl JsonRpcErrorResponse {
    /// An error response to `id` (`None` writes `"id": null`).
    pub fn new(id: Option<RequestId>, error: ErrorObject) -> Self {
        JsonRpcErrorResponse {
            jsonrpc: JSONRPC_VERSION.to_owned(),
            id: Some(id),
            error,
            extra: JsonObject::new(),
        }
    }
}

/// A request object that may lack the JSON-RPC envelope: 2026-07-28 defines
/// `sampling/createMessage`, `elicitation/create` and `roots/list` as bare
/// `{method, params}` (they travel inside `inputRequests`), and its examples
/// sometimes add an `id`. Anything else, `jsonrpc` included, stays in
/// `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodCall<P> {
    /// Request id, if the object has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
    /// Method name.
    pub method: String,
    /// Params, if any. (No `default` attribute: it would make serde demand
    /// `P: Default`, and a missing `Option` field is `None` anyway.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<P>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl<P> MethodCall<P> {
    /// A bare call of `method` with `params`.
    pub fn new(method: impl Into<String>, params: Option<P>) -> Self {
        MethodCall {
            id: None,
            method: method.into(),
            params,
            extra: JsonObject::new(),
        }
    }
}

/// The result of a request that 2026-07-28 allows to end in
/// `input_required` (`tools/call`, `prompts/get`, `resources/read`): the
/// request's own result, or a request for more input.
///
/// Decided by `resultType`: absent or `"complete"` is [`Complete`], and
/// `"input_required"` is [`InputRequired`]. Any other value is a decode
/// error, because the client cannot know its shape; in particular a
/// `"task"` result (tasks extension) belongs in [`super::TaskInfo`], and
/// reading it as `T` would wrongly succeed with empty content.
///
/// [`Complete`]: MaybeInputRequired::Complete
/// [`InputRequired`]: MaybeInputRequired::InputRequired
#[derive(Debug, Clone, PartialEq)]
pub enum MaybeInputRequired<T> {
    /// The request finished.
    Complete(T),
    /// The server needs input; retry with the answers.
    InputRequired(InputRequiredResult),
}

impl<T> MaybeInputRequired<T> {
    /// The finished result, if it is one.
    pub fn complete(self) -> Option<T> {
        match self {
            MaybeInputRequired::Complete(t) => Some(t),
            MaybeInputRequired::InputRequired(_) => None,
        }
    }

    /// Whether the server asked for input.
    pub fn is_input_required(&self) -> bool {
        matches!(self, MaybeInputRequired::InputRequired(_))
    }
}

impl<T: Serialize> Serialize for MaybeInputRequired<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MaybeInputRequired::Complete(t) => t.serialize(s),
            MaybeInputRequired::InputRequired(r) => r.serialize(s),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for MaybeInputRequired<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let obj = object(d, "a result")?;
        let kind = match obj.get("resultType") {
            None => None,
            Some(Value::String(s)) => Some(ResultType::from(s.as_str())),
            Some(_) => return Err(D::Error::custom("resultType must be a string")),
        };
        match kind {
            None | Some(ResultType::Complete) => decode(obj).map(MaybeInputRequired::Complete),
            Some(ResultType::InputRequired) => decode(obj).map(MaybeInputRequired::InputRequired),
            Some(other) => Err(D::Error::custom(format!(
                "result type {:?} is neither complete nor input_required{}",
                other.as_str(),
                if str_field(&obj, "taskId").is_some() {
                    " (a tasks-extension task: decode it as TaskInfo)"
                } else {
                    ""
                }
            ))),
        }
    }
}
