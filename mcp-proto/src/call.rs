//! What a user call asks for, as data: the one thing an adapter hands to
//! [`Client::start`](crate::Client::start).

use serde::Serialize;

use crate::client::Subscription;
use crate::error::UsageError;
use crate::methods::Method;
use crate::model::{JsonObject, LoggingLevel};

/// A user call. Most are requests; the others map to different methods in
/// each era, which is why they are not spelled as requests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Call {
    /// A request by method name, with params as a JSON object.
    Request {
        /// The method, e.g. `tools/call`.
        method: String,
        /// The params (the core adds `_meta` and the era's fields).
        params: JsonObject,
    },
    /// Liveness check: `ping` (legacy) or `server/discover` (modern).
    Ping,
    /// The server's log level: `logging/setLevel` (legacy) or per-request
    /// metadata (modern).
    SetLogLevel(LoggingLevel),
    /// Start change notifications: `resources/subscribe` (legacy) or a
    /// `subscriptions/listen` stream (modern).
    Subscribe(Subscription),
    /// Stop change notifications.
    Unsubscribe(Subscription),
}

impl Call {
    /// A typed request. Fails if the params do not serialize to an object.
    pub fn request<M: Method>(params: &M::Params) -> Result<Call, UsageError> {
        Ok(Call::Request {
            method: M::NAME.to_owned(),
            params: to_object(M::NAME, params)?,
        })
    }

    /// A request by name with params already in hand.
    pub fn raw(method: impl Into<String>, params: JsonObject) -> Call {
        Call::Request {
            method: method.into(),
            params,
        }
    }

    /// A short name for messages and logs (`tools/call`, `ping`, ...).
    pub fn name(&self) -> &str {
        match self {
            Call::Request { method, .. } => method,
            Call::Ping => "ping",
            Call::SetLogLevel(_) => "set_log_level",
            Call::Subscribe(_) => "subscribe",
            Call::Unsubscribe(_) => "unsubscribe",
        }
    }
}

/// Serializes request params, which must be a JSON object (or nothing).
pub(crate) fn to_object<P: Serialize + ?Sized>(
    method: &str,
    params: &P,
) -> Result<JsonObject, UsageError> {
    use serde_json::Value;
    match serde_json::to_value(params) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(JsonObject::new()),
        Ok(other) => Err(UsageError::ParamsNotObject {
            method: method.to_owned(),
            got: match other {
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                _ => "an object",
            },
        }),
        Err(e) => Err(UsageError::Serialize {
            method: method.to_owned(),
            message: e.to_string(),
        }),
    }
}
