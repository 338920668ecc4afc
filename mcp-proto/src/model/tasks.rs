//! Tasks, in their two incompatible wire forms.
//!
//! - 2025-11-25's experimental tasks: a request opts in with a `task` param,
//!   the server answers `{ "task": Task }`, and the client polls `tasks/get`,
//!   fetches the payload with `tasks/result` and may list and cancel tasks.
//!   [`Task`] uses `ttl` and `pollInterval`.
//! - 2026-07-28's tasks extension (`io.modelcontextprotocol/tasks`): the
//!   server decides, answers with a flat task marked `resultType: "task"`,
//!   and the client polls `tasks/get`, answers input requests with
//!   `tasks/update` and may cancel. [`TaskInfo`] uses `ttlMs` and
//!   `pollIntervalMs` and inlines the final result or error.

use serde::{Deserialize, Serialize};

use super::common::{Cursor, JsonObject, Meta};
use super::macros::open_enum;
use super::serde_util::nullable;
use super::{ErrorObject, InputRequests, InputResponses, ResultType};

open_enum! {
    /// The state of a task (both task forms).
    pub enum TaskStatus {
        /// Being processed.
        Working = "working",
        /// Waiting for input from the requester.
        InputRequired = "input_required",
        /// Finished; the result is available.
        Completed = "completed",
        /// Did not finish successfully.
        Failed = "failed",
        /// Cancelled before it finished.
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// Whether the task can no longer change state.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

/// The `task` param that makes a request task-augmented (2025-11-25).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskMetadata {
    /// Requested retention from creation, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The value of the `io.modelcontextprotocol/related-task` `_meta` key
/// (2025-11-25): the task a message belongs to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedTaskMetadata {
    /// The task identifier.
    pub task_id: String,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A task (2025-11-25). Also the whole result of `tasks/get` and
/// `tasks/cancel`, and the params of `notifications/tasks/status`, which is
/// why it carries `_meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task identifier.
    pub task_id: String,
    /// Current state.
    pub status: TaskStatus,
    /// Human-readable detail about the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last update.
    pub last_updated_at: String,
    /// Retention from creation in milliseconds: `Some(None)` is the wire's
    /// `null` (unlimited); `None` means the (required) field was missing.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub ttl: Option<Option<i64>>,
    /// Suggested polling interval in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval: Option<i64>,
    /// Protocol metadata (when the task is a result or notification params).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Result of `tasks/get` (2025-11-25): the task itself.
pub type GetTaskResult = Task;

/// Result of `tasks/cancel` (2025-11-25): the task after the attempt.
pub type CancelTaskResult = Task;

/// Params of `notifications/tasks/status` (2025-11-25): the task itself.
pub type TaskStatusNotificationParams = Task;

/// Result of a task-augmented request (2025-11-25): the created task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTaskResult {
    /// The new task.
    pub task: Task,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Params of the methods that name one task: `tasks/get`, `tasks/cancel`,
/// `tasks/result` (2025-11-25) and `tasks/get`, `tasks/cancel` of the
/// 2026-07-28 tasks extension.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskRequestParams {
    /// The task identifier.
    pub task_id: String,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl GetTaskRequestParams {
    /// Params naming `task_id`.
    pub fn new(task_id: impl Into<String>) -> Self {
        GetTaskRequestParams {
            task_id: task_id.into(),
            ..Default::default()
        }
    }
}

/// Result of `tasks/list` (2025-11-25).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTasksResult {
    /// The tasks on this page.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Cursor of the next page, if there may be more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Cursor>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A task of the 2026-07-28 tasks extension, with the fields of its
/// status inlined (the extension's `DetailedTask`). It is the result that
/// creates a task (`resultType: "task"`), the result of `tasks/get`
/// (`resultType: "complete"`) and the params of `notifications/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    /// `task` when a request created this task, `complete` from `tasks/get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// The task identifier.
    pub task_id: String,
    /// Current state.
    pub status: TaskStatus,
    /// Human-readable detail about the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// ISO 8601 creation time.
    pub created_at: String,
    /// ISO 8601 time of the last update.
    pub last_updated_at: String,
    /// Retention from creation in milliseconds: `Some(None)` is the wire's
    /// `null` (unlimited); `None` means the (required) field was missing.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub ttl_ms: Option<Option<i64>>,
    /// Suggested polling interval in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<i64>,
    /// What the server needs answered (status `input_required`), to be
    /// answered with `tasks/update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<InputRequests>,
    /// The original request's result (status `completed`), kept as JSON
    /// because its type depends on the request; see [`TaskInfo::result_as`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<JsonObject>,
    /// The JSON-RPC error the request failed with (status `failed`), kept as
    /// JSON so a malformed error cannot hide the task; see
    /// [`TaskInfo::error_object`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonObject>,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl TaskInfo {
    /// Decodes the inlined result as `T` (for example
    /// [`super::CallToolResult`]), if there is one.
    pub fn result_as<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Option<Result<T, serde_json::Error>> {
        let r = self.result.as_ref()?;
        Some(serde_json::from_value(serde_json::Value::Object(r.clone())))
    }

    /// The inlined error, if there is one and it has the JSON-RPC shape.
    pub fn error_object(&self) -> Option<ErrorObject> {
        let e = self.error.as_ref()?;
        serde_json::from_value(serde_json::Value::Object(e.clone())).ok()
    }
}

/// Params of `tasks/update` (2026-07-28 tasks extension): answers to the
/// task's outstanding input requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTaskRequestParams {
    /// The task identifier.
    pub task_id: String,
    /// Answers, keyed like the task's `inputRequests`.
    #[serde(default)]
    pub input_responses: InputResponses,
    /// Protocol metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Fields this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: JsonObject,
}
