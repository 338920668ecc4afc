//! Client-to-server methods: a trait tying each method to its params and
//! result types, and the facts about each method the core acts on.
//!
//! The facts are looked up by method name, so a request sent through the
//! untyped path ([`Client::request_raw`](crate::Client::request_raw)) gets the
//! same pagination, MRTR, caching and capability handling as a typed one.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::model::{self, ServerCapabilities};
use crate::version::ProtocolVersion;

/// A client-to-server request method with its params and result types.
///
/// ```
/// use mcp_proto::methods::{CallTool, Method};
/// assert_eq!(CallTool::NAME, "tools/call");
/// ```
pub trait Method {
    /// The JSON-RPC method name.
    const NAME: &'static str;
    /// What the request carries.
    type Params: Serialize;
    /// What a successful answer decodes into.
    type Result: DeserializeOwned;
}

macro_rules! methods {
    ($( $(#[$doc:meta])* $name:ident = $wire:literal, $params:ty => $result:ty; )+) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct $name;
            impl Method for $name {
                const NAME: &'static str = $wire;
                type Params = $params;
                type Result = $result;
            }
        )+
    };
}

methods! {
    /// `tools/list`: the server's tools (all pages unless a cursor is given).
    ListTools = "tools/list", model::PaginatedRequestParams => model::ListToolsResult;
    /// `tools/call`: run a tool.
    CallTool = "tools/call", model::CallToolRequestParams => model::CallToolResult;
    /// `resources/list`: the server's resources.
    ListResources = "resources/list", model::PaginatedRequestParams => model::ListResourcesResult;
    /// `resources/templates/list`: the server's resource templates.
    ListResourceTemplates = "resources/templates/list", model::PaginatedRequestParams => model::ListResourceTemplatesResult;
    /// `resources/read`: read a resource.
    ReadResource = "resources/read", model::ReadResourceRequestParams => model::ReadResourceResult;
    /// `prompts/list`: the server's prompts.
    ListPrompts = "prompts/list", model::PaginatedRequestParams => model::ListPromptsResult;
    /// `prompts/get`: render a prompt.
    GetPrompt = "prompts/get", model::GetPromptRequestParams => model::GetPromptResult;
    /// `completion/complete`: complete an argument value.
    Complete = "completion/complete", model::CompleteRequestParams => model::CompleteResult;
    /// `tasks/get` (2025-11-25 tasks, or the 2026-07-28 tasks extension).
    GetTask = "tasks/get", model::GetTaskRequestParams => model::JsonObject;
    /// `tasks/result` (2025-11-25 tasks): the underlying request's result.
    GetTaskPayload = "tasks/result", model::GetTaskRequestParams => model::JsonObject;
    /// `tasks/list` (2025-11-25 tasks).
    ListTasks = "tasks/list", model::PaginatedRequestParams => model::ListTasksResult;
    /// `tasks/cancel` (2025-11-25 tasks, or the 2026-07-28 tasks extension).
    CancelTask = "tasks/cancel", model::GetTaskRequestParams => model::JsonObject;
}

/// What the core needs to know about a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MethodInfo {
    /// For paginated lists: the result field holding the items.
    pub(crate) list_key: Option<&'static str>,
    /// May answer `input_required` (2026-07-28 MRTR).
    pub(crate) input_required_ok: bool,
    /// Results carry `ttlMs`/`cacheScope` and may be cached; the param that,
    /// besides the method, keys the cache entry.
    pub(crate) cache_key: Option<CacheKeyParam>,
    /// The server capability the method needs.
    pub(crate) capability: Option<Capability>,
    /// Exists only in legacy revisions.
    pub(crate) legacy_only: bool,
    /// Exists only in modern revisions.
    pub(crate) modern_only: bool,
}

/// Which request param keys a cache entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheKeyParam {
    Cursor,
    Uri,
}

/// A server capability a method depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capability {
    Tools,
    Resources,
    ResourcesSubscribe,
    Prompts,
    Completions,
    Logging,
    Tasks,
}

impl Capability {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Capability::Tools => "tools",
            Capability::Resources => "resources",
            Capability::ResourcesSubscribe => "resources.subscribe",
            Capability::Prompts => "prompts",
            Capability::Completions => "completions",
            Capability::Logging => "logging",
            Capability::Tasks => "tasks",
        }
    }

    /// Whether `caps` advertises this capability, given the revision (2024-11-05
    /// has no `completions` flag, so completion is always allowed there).
    pub(crate) fn advertised(self, caps: &ServerCapabilities, version: ProtocolVersion) -> bool {
        match self {
            Capability::Tools => caps.tools.is_some(),
            Capability::Resources => caps.resources.is_some(),
            Capability::ResourcesSubscribe => caps
                .resources
                .as_ref()
                .and_then(|r| r.subscribe)
                .unwrap_or(false),
            Capability::Prompts => caps.prompts.is_some(),
            Capability::Completions => !version.gates_completions() || caps.completions.is_some(),
            Capability::Logging => caps.logging.is_some(),
            Capability::Tasks => {
                caps.tasks.is_some()
                    || caps
                        .extensions
                        .as_ref()
                        .is_some_and(|e| e.contains_key("io.modelcontextprotocol/tasks"))
            }
        }
    }
}

/// The facts about `method`; unknown methods get none.
pub(crate) fn info(method: &str) -> MethodInfo {
    use CacheKeyParam::*;
    use Capability::*;
    let list = |key, cap| MethodInfo {
        list_key: Some(key),
        cache_key: Some(Cursor),
        capability: Some(cap),
        ..MethodInfo::default()
    };
    match method {
        "tools/list" => list("tools", Tools),
        "prompts/list" => list("prompts", Prompts),
        "resources/list" => list("resources", Resources),
        "resources/templates/list" => list("resourceTemplates", Resources),
        "tasks/list" => MethodInfo {
            list_key: Some("tasks"),
            capability: Some(Tasks),
            ..MethodInfo::default()
        },
        "tools/call" => MethodInfo {
            input_required_ok: true,
            capability: Some(Tools),
            ..MethodInfo::default()
        },
        "prompts/get" => MethodInfo {
            input_required_ok: true,
            capability: Some(Prompts),
            ..MethodInfo::default()
        },
        "resources/read" => MethodInfo {
            input_required_ok: true,
            cache_key: Some(Uri),
            capability: Some(Resources),
            ..MethodInfo::default()
        },
        "resources/subscribe" | "resources/unsubscribe" => MethodInfo {
            capability: Some(ResourcesSubscribe),
            legacy_only: true,
            ..MethodInfo::default()
        },
        "completion/complete" => MethodInfo {
            capability: Some(Completions),
            ..MethodInfo::default()
        },
        "logging/setLevel" => MethodInfo {
            capability: Some(Logging),
            legacy_only: true,
            ..MethodInfo::default()
        },
        "tasks/get" | "tasks/result" | "tasks/cancel" => MethodInfo {
            capability: Some(Tasks),
            ..MethodInfo::default()
        },
        "ping" | "initialize" => MethodInfo {
            legacy_only: true,
            ..MethodInfo::default()
        },
        "server/discover" | "subscriptions/listen" => MethodInfo {
            modern_only: true,
            ..MethodInfo::default()
        },
        _ => MethodInfo::default(),
    }
}
