//! Multi round-trip requests (2026-07-28): a server answers `tools/call`,
//! `prompts/get` or `resources/read` with `input_required`, and the client
//! retries with `inputResponses` and the echoed `requestState`.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{EmptyParams, JsonObject, Meta};
use super::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ListRootsResult, ResultType,
};

/// A request the server needs answered: an entry of `inputRequests`, or (in
/// legacy revisions) the method and params of a server-to-client request.
#[derive(Debug, Clone, PartialEq)]
pub enum InputRequest {
    /// `elicitation/create`: ask the user.
    Elicit(ElicitRequestParams),
    /// `sampling/createMessage`: ask a language model.
    Sample(CreateMessageRequestParams),
    /// `roots/list`: list filesystem roots.
    ListRoots(EmptyParams),
}

impl InputRequest {
    /// The method name of this request.
    pub fn method(&self) -> &'static str {
        match self {
            InputRequest::Elicit(_) => "elicitation/create",
            InputRequest::Sample(_) => "sampling/createMessage",
            InputRequest::ListRoots(_) => "roots/list",
        }
    }

    /// Decodes the params of `method`. `Ok(None)` for a method that is not an
    /// input request; `Err` for a known method whose params do not decode.
    pub fn from_method(
        method: &str,
        params: Option<Value>,
    ) -> Result<Option<Self>, serde_json::Error> {
        let params = params.unwrap_or_else(|| Value::Object(JsonObject::new()));
        Ok(Some(match method {
            "elicitation/create" => InputRequest::Elicit(serde_json::from_value(params)?),
            "sampling/createMessage" => InputRequest::Sample(serde_json::from_value(params)?),
            "roots/list" => InputRequest::ListRoots(serde_json::from_value(params)?),
            _ => return Ok(None),
        }))
    }
}

/// The wire shape of one `inputRequests` entry: `{method, params}` plus
/// anything else the server put there.
#[derive(Serialize, Deserialize)]
struct InputRequestWire {
    method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    params: Option<Value>,
    #[serde(flatten)]
    extra: JsonObject,
}

impl Serialize for InputRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let params = match self {
            InputRequest::Elicit(p) => serde_json::to_value(p),
            InputRequest::Sample(p) => serde_json::to_value(p),
            InputRequest::ListRoots(p) => serde_json::to_value(p),
        }
        .map_err(serde::ser::Error::custom)?;
        // `roots/list` params are optional; an empty object is left out so
        // that `{"method":"roots/list"}` round-trips.
        let params = match params {
            Value::Object(m) if m.is_empty() && matches!(self, InputRequest::ListRoots(_)) => None,
            p => Some(p),
        };
        InputRequestWire {
            method: self.method().to_owned(),
            params,
            extra: JsonObject::new(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for InputRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = InputRequestWire::deserialize(d)?;
        match InputRequest::from_method(&wire.method, wire.params) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(D::Error::custom(format!(
                "unknown input request method {:?}",
                wire.method
            ))),
            Err(e) => Err(D::Error::custom(e)),
        }
    }
}

/// A map of server-assigned keys to the requests the server needs answered.
pub type InputRequests = BTreeMap<String, InputRequest>;

/// The client's answer to one input request.
// A sampling result is much larger than the others, but answers are built
// once and sent; boxing it would only make them clumsier to construct.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum InputResponse {
    /// Answer to `elicitation/create`.
    Elicit(ElicitResult),
    /// Answer to `sampling/createMessage`.
    Sample(CreateMessageResult),
    /// Answer to `roots/list`.
    ListRoots(ListRootsResult),
}

impl<'de> Deserialize<'de> for InputResponse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The three shapes are told apart by their required fields, which
        // is stricter than trying each type in turn.
        let v = Value::deserialize(d)?;
        let obj = v
            .as_object()
            .ok_or_else(|| D::Error::custom("an input response must be an object"))?;
        if obj.contains_key("action") {
            serde_json::from_value(v).map(InputResponse::Elicit)
        } else if obj.contains_key("roots") {
            serde_json::from_value(v).map(InputResponse::ListRoots)
        } else if obj.contains_key("model") || obj.contains_key("role") {
            serde_json::from_value(v).map(InputResponse::Sample)
        } else {
            return Err(D::Error::custom(
                "input response is neither an elicitation, sampling nor roots result",
            ));
        }
        .map_err(D::Error::custom)
    }
}

/// A map of the keys of [`InputRequests`] to the client's answers.
pub type InputResponses = BTreeMap<String, InputResponse>;

/// A result saying the server needs input before it can finish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputRequiredResult {
    /// Always `input_required`.
    pub result_type: ResultType,
    /// What the server needs answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<InputRequests>,
    /// Opaque state to echo byte for byte on the retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
