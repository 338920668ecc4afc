//! Hand-written messages for what the spec's example folders do not cover:
//! 2025-11-25 and older shapes, unknown content and fields, `_meta`, null
//! handling, sloppy servers and the convenience constructors.
//!
//! Most messages are taken from the JSON blocks of the 2025-11-25 docs
//! (`docs/basic/lifecycle.mdx`, `docs/basic/utilities/tasks.mdx`,
//! `docs/client/elicitation.mdx`, `docs/client/sampling.mdx`,
//! `docs/server/tools.mdx`), with their comments removed.

use mcp_proto::model::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Decodes `v` as `T`, checks it encodes back to `v`, and returns it.
#[track_caller]
fn rt<T: Serialize + DeserializeOwned>(v: Value) -> T {
    let text = v.to_string();
    let typed: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("decode as {}: {e}\n{text}", std::any::type_name::<T>()));
    let back = serde_json::to_value(&typed).expect("encode");
    assert_eq!(
        back,
        v,
        "{} does not round-trip",
        std::any::type_name::<T>()
    );
    typed
}

fn obj(v: Value) -> JsonObject {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn initialize_request_and_result_2025_11_25() {
    let req = rt::<JsonRpcRequest<InitializeRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {
                "roots": { "listChanged": true },
                "sampling": {},
                "elicitation": { "form": {}, "url": {} },
                "tasks": {
                    "requests": {
                        "elicitation": { "create": {} },
                        "sampling": { "createMessage": {} }
                    }
                }
            },
            "clientInfo": {
                "name": "ExampleClient",
                "title": "Example Client Display Name",
                "version": "1.0.0",
                "description": "An example MCP client application",
                "icons": [
                    { "src": "https://example.com/icon.png", "mimeType": "image/png", "sizes": ["48x48"] }
                ],
                "websiteUrl": "https://example.com"
            }
        }
    }));
    let params = req.params.unwrap();
    assert!(params.capabilities.elicitation.unwrap().supports_url());
    assert!(params.capabilities.tasks.is_some());

    let resp = rt::<JsonRpcResultResponse<InitializeResult>>(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "protocolVersion": "2025-11-25",
            "capabilities": {
                "logging": {},
                "prompts": { "listChanged": true },
                "resources": { "subscribe": true, "listChanged": true },
                "tools": { "listChanged": true },
                "tasks": {
                    "list": {},
                    "cancel": {},
                    "requests": { "tools": { "call": {} } }
                }
            },
            "serverInfo": {
                "name": "ExampleServer",
                "title": "Example Server Display Name",
                "version": "1.0.0",
                "description": "An example MCP server providing tools and resources",
                "icons": [
                    { "src": "https://example.com/server-icon.svg", "mimeType": "image/svg+xml", "sizes": ["any"] }
                ],
                "websiteUrl": "https://example.com/server"
            },
            "instructions": "Optional instructions for the client"
        }
    }));
    let r = resp.result;
    assert_eq!(r.protocol_version, "2025-11-25");
    assert_eq!(
        r.server_info.website_url.as_deref(),
        Some("https://example.com/server")
    );
    assert_eq!(
        r.server_info.icons.unwrap()[0].sizes.as_deref(),
        Some(&["any".to_owned()][..])
    );
    assert!(r.capabilities.tasks.unwrap().contains_key("requests"));
    assert_eq!(r.capabilities.resources.unwrap().subscribe, Some(true));
}

#[test]
fn initialized_notification_without_params() {
    let n = rt::<JsonRpcNotification<EmptyParams>>(json!({
        "jsonrpc": "2.0",
        "method": "notifications/initialized"
    }));
    assert!(n.params.is_none());
}

// -------------------------------------------------------------------- tasks

#[test]
fn task_augmented_call_and_create_task_result() {
    let req = rt::<JsonRpcRequest<CallToolRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "get_weather",
            "arguments": { "city": "New York" },
            "task": { "ttl": 60000 }
        }
    }));
    assert_eq!(req.params.unwrap().task.unwrap().ttl, Some(60000));

    let resp = rt::<JsonRpcResultResponse<CreateTaskResult>>(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "task": {
                "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
                "status": "working",
                "statusMessage": "The operation is now in progress.",
                "createdAt": "2025-11-25T10:30:00Z",
                "lastUpdatedAt": "2025-11-25T10:40:00Z",
                "ttl": 60000,
                "pollInterval": 5000
            }
        }
    }));
    let task = resp.result.task;
    assert_eq!(task.status, TaskStatus::Working);
    assert!(!task.status.is_terminal());
    assert_eq!(task.ttl, Some(Some(60000)));
    assert_eq!(task.poll_interval, Some(5000));
}

#[test]
fn task_ttl_null_absent_and_present_stay_distinct() {
    let unlimited = rt::<Task>(json!({
        "taskId": "t1",
        "status": "completed",
        "createdAt": "2025-11-25T10:30:00Z",
        "lastUpdatedAt": "2025-11-25T10:50:00Z",
        "ttl": null
    }));
    assert_eq!(unlimited.ttl, Some(None));
    assert!(unlimited.status.is_terminal());

    // A sloppy server that leaves the required field out: decoded, and not
    // turned into a `null` on the way back.
    let missing = rt::<Task>(json!({
        "taskId": "t2",
        "status": "failed",
        "createdAt": "2025-11-25T10:30:00Z",
        "lastUpdatedAt": "2025-11-25T10:50:00Z"
    }));
    assert_eq!(missing.ttl, None);

    let v = serde_json::to_value(&unlimited).unwrap();
    assert_eq!(v["ttl"], Value::Null);
    assert!(v.as_object().unwrap().contains_key("ttl"));
}

#[test]
fn tasks_get_list_cancel_result_and_status_notification() {
    let get = rt::<JsonRpcRequest<GetTaskRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tasks/get",
        "params": { "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840" }
    }));
    assert_eq!(
        get.params.unwrap().task_id,
        "786512e2-9e0d-44bd-8f29-789f320fe840"
    );

    rt::<JsonRpcResultResponse<GetTaskResult>>(json!({
        "jsonrpc": "2.0",
        "id": 3,
        "result": {
            "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
            "status": "working",
            "statusMessage": "The operation is now in progress.",
            "createdAt": "2025-11-25T10:30:00Z",
            "lastUpdatedAt": "2025-11-25T10:40:00Z",
            "ttl": 30000,
            "pollInterval": 5000
        }
    }));

    let list = rt::<JsonRpcResultResponse<ListTasksResult>>(json!({
        "jsonrpc": "2.0",
        "id": 5,
        "result": {
            "tasks": [
                {
                    "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
                    "status": "working",
                    "createdAt": "2025-11-25T10:30:00Z",
                    "lastUpdatedAt": "2025-11-25T10:40:00Z",
                    "ttl": 30000,
                    "pollInterval": 5000
                },
                {
                    "taskId": "abc123-def456-ghi789",
                    "status": "completed",
                    "createdAt": "2025-11-25T09:15:00Z",
                    "lastUpdatedAt": "2025-11-25T10:40:00Z",
                    "ttl": 60000
                }
            ],
            "nextCursor": "next-page-cursor"
        }
    }));
    assert_eq!(list.result.tasks.len(), 2);

    let cancelled = rt::<JsonRpcResultResponse<CancelTaskResult>>(json!({
        "jsonrpc": "2.0",
        "id": 6,
        "result": {
            "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
            "status": "cancelled",
            "statusMessage": "The task was cancelled by request.",
            "createdAt": "2025-11-25T10:30:00Z",
            "lastUpdatedAt": "2025-11-25T10:40:00Z",
            "ttl": 30000,
            "pollInterval": 5000
        }
    }));
    assert_eq!(cancelled.result.status, TaskStatus::Cancelled);

    // `tasks/result`: the original result, tied to the task through `_meta`.
    let payload = rt::<JsonRpcResultResponse<CallToolResult>>(json!({
        "jsonrpc": "2.0",
        "id": 4,
        "result": {
            "content": [
                { "type": "text", "text": "Current weather in New York:\nTemperature: 72°F\nConditions: Partly cloudy" }
            ],
            "isError": false,
            "_meta": {
                "io.modelcontextprotocol/related-task": {
                    "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840"
                }
            }
        }
    }));
    let related: RelatedTaskMetadata =
        serde_json::from_value(payload.result.meta.unwrap()[meta::RELATED_TASK].clone()).unwrap();
    assert_eq!(related.task_id, "786512e2-9e0d-44bd-8f29-789f320fe840");

    let note = rt::<JsonRpcNotification<TaskStatusNotificationParams>>(json!({
        "jsonrpc": "2.0",
        "method": "notifications/tasks/status",
        "params": {
            "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
            "status": "completed",
            "createdAt": "2025-11-25T10:30:00Z",
            "lastUpdatedAt": "2025-11-25T10:50:00Z",
            "ttl": 60000,
            "pollInterval": 5000,
            "_meta": { "com.example/trace": "abc" }
        }
    }));
    assert!(note.params.unwrap().meta.is_some());

    // A status this crate does not know stays readable.
    let future = rt::<Task>(json!({
        "taskId": "t3",
        "status": "paused",
        "createdAt": "2025-11-25T10:30:00Z",
        "lastUpdatedAt": "2025-11-25T10:50:00Z",
        "ttl": null
    }));
    assert_eq!(future.status, TaskStatus::Other("paused".into()));
}

#[test]
fn tasks_extension_shapes_2026() {
    let created = rt::<JsonRpcResultResponse<TaskInfo>>(json!({
        "jsonrpc": "2.0",
        "id": 2,
        "result": {
            "resultType": "task",
            "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
            "status": "working",
            "createdAt": "2025-11-25T10:30:00Z",
            "lastUpdatedAt": "2025-11-25T10:50:00Z",
            "ttlMs": 3600000,
            "pollIntervalMs": 5000
        }
    }));
    assert_eq!(created.result.result_type, Some(ResultType::Task));
    assert_eq!(created.result.ttl_ms, Some(Some(3_600_000)));

    // A task result where a tool result was expected is an error, not an
    // empty tool result.
    let as_tool: Result<JsonRpcResultResponse<MaybeInputRequired<CallToolResult>>, _> =
        serde_json::from_value(serde_json::to_value(&created).unwrap());
    let err = as_tool.unwrap_err().to_string();
    assert!(err.contains("TaskInfo"), "{err}");

    let waiting = rt::<TaskInfo>(json!({
        "resultType": "complete",
        "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
        "status": "input_required",
        "createdAt": "2025-11-25T10:30:00Z",
        "lastUpdatedAt": "2025-11-25T10:50:00Z",
        "ttlMs": null,
        "pollIntervalMs": 5000,
        "inputRequests": {
            "name": {
                "method": "elicitation/create",
                "params": {
                    "mode": "form",
                    "message": "Please enter your name.",
                    "requestedSchema": {
                        "type": "object",
                        "properties": { "name": { "type": "string" } },
                        "required": ["name"]
                    }
                }
            }
        }
    }));
    assert_eq!(waiting.ttl_ms, Some(None));
    assert!(matches!(
        waiting.input_requests.unwrap()["name"],
        InputRequest::Elicit(ElicitRequestParams::Form(_))
    ));

    let done = rt::<TaskInfo>(json!({
        "resultType": "complete",
        "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
        "status": "completed",
        "createdAt": "2025-11-25T10:30:00Z",
        "lastUpdatedAt": "2025-11-25T10:50:00Z",
        "ttlMs": 3600000,
        "result": {
            "content": [{ "type": "text", "text": "Hello, Luca!" }],
            "isError": false
        }
    }));
    let result: CallToolResult = done.result_as().unwrap().unwrap();
    assert_eq!(result.text_content().collect::<Vec<_>>(), ["Hello, Luca!"]);

    let failed = rt::<TaskInfo>(json!({
        "resultType": "task",
        "taskId": "786512e2-9e0d-44bd-8f29-789f820fe840",
        "status": "failed",
        "createdAt": "2025-11-25T10:30:00Z",
        "lastUpdatedAt": "2025-11-25T10:40:00Z",
        "ttlMs": 3600000,
        "statusMessage": "Tool execution failed: API rate limit exceeded",
        "error": { "code": -32603, "message": "API rate limit exceeded" }
    }));
    assert_eq!(failed.error_object().unwrap().code, codes::INTERNAL_ERROR);

    let update = rt::<JsonRpcRequest<UpdateTaskRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 6,
        "method": "tasks/update",
        "params": {
            "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
            "inputResponses": {
                "name": { "action": "accept", "content": { "input": "Luca" } }
            }
        }
    }));
    assert!(matches!(
        update.params.unwrap().input_responses["name"],
        InputResponse::Elicit(_)
    ));
}

// -------------------------------------------------------------- elicitation

#[test]
fn url_elicitation_with_id_and_completion_notification() {
    let req = rt::<JsonRpcRequest<ElicitRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 3,
        "method": "elicitation/create",
        "params": {
            "mode": "url",
            "elicitationId": "550e8400-e29b-41d4-a716-446655440000",
            "url": "https://mcp.example.com/ui/set_api_key",
            "message": "Please provide your API key to continue."
        }
    }));
    let ElicitRequestParams::Url(url) = req.params.unwrap() else {
        panic!("not URL mode");
    };
    assert_eq!(
        url.elicitation_id.as_deref(),
        Some("550e8400-e29b-41d4-a716-446655440000")
    );

    let accepted = rt::<JsonRpcResultResponse<ElicitResult>>(json!({
        "jsonrpc": "2.0", "id": 3, "result": { "action": "accept" }
    }));
    assert_eq!(accepted.result, ElicitResult::accept_url());

    let done = rt::<JsonRpcNotification<ElicitationCompleteNotificationParams>>(json!({
        "jsonrpc": "2.0",
        "method": "notifications/elicitation/complete",
        "params": { "elicitationId": "550e8400-e29b-41d4-a716-446655440000" }
    }));
    assert_eq!(
        done.params.unwrap().elicitation_id,
        url.elicitation_id.unwrap()
    );
}

#[test]
fn url_elicitation_required_error_data() {
    let resp = rt::<JsonRpcErrorResponse>(json!({
        "jsonrpc": "2.0",
        "id": 2,
        "error": {
            "code": -32042,
            "message": "This request requires more information.",
            "data": {
                "elicitations": [
                    {
                        "mode": "url",
                        "elicitationId": "550e8400-e29b-41d4-a716-446655440000",
                        "url": "https://mcp.example.com/connect?elicitationId=550e8400-e29b-41d4-a716-446655440000",
                        "message": "Authorization is required to access your Example Co files."
                    }
                ]
            }
        }
    }));
    let data = resp.error.url_elicitation_required().expect("typed data");
    assert_eq!(data.elicitations.len(), 1);
    assert_eq!(
        data.elicitations[0].elicitation_id.as_deref(),
        Some("550e8400-e29b-41d4-a716-446655440000")
    );
    assert!(!resp.error.is_modern_error());
}

#[test]
fn form_elicitation_2025_06_18_without_mode_and_with_enum_names() {
    let p = rt::<ElicitRequestParams>(json!({
        "message": "Pick a colour and agree",
        "requestedSchema": {
            "type": "object",
            "properties": {
                "colour": {
                    "type": "string",
                    "title": "Colour",
                    "enum": ["r", "g"],
                    "enumNames": ["Red", "Green"]
                },
                "agree": { "type": "boolean", "default": false },
                "count": { "type": "integer", "minimum": 1, "maximum": 10 },
                "when": { "type": "string", "format": "date-time" },
                "tags": {
                    "type": "array",
                    "items": { "type": "string", "enum": ["a", "b"] },
                    "minItems": 1
                },
                "location": { "type": "object", "properties": {} }
            },
            "required": ["colour"]
        }
    }));
    let ElicitRequestParams::Form(form) = p else {
        panic!("not a form");
    };
    assert!(form.mode.is_none());
    let props = &form.requested_schema.properties;
    use PrimitiveSchemaDefinition as P;
    assert!(
        matches!(&props["colour"], P::LegacyTitledEnum(s) if s.enum_names.as_ref().unwrap()[0] == "Red")
    );
    assert!(matches!(props["agree"], P::Boolean(_)));
    assert!(matches!(&props["count"], P::Number(n) if n.kind == NumberKind::Integer));
    assert!(matches!(&props["when"], P::String(s) if s.format == Some(StringFormat::DateTime)));
    assert!(matches!(props["tags"], P::UntitledMultiSelectEnum(_)));
    // Nested objects are not allowed in forms; kept rather than rejected.
    assert!(matches!(props["location"], P::Unknown(_)));
    assert_eq!(props["colour"].title(), Some("Colour"));

    let answer = rt::<ElicitResult>(json!({
        "action": "accept",
        "content": { "colour": "r", "agree": true, "count": 3, "tags": ["a"] }
    }));
    assert_eq!(answer.action, ElicitAction::Accept);

    let unknown_mode = rt::<ElicitRequestParams>(json!({
        "mode": "voice", "message": "Say your name"
    }));
    assert!(matches!(unknown_mode, ElicitRequestParams::Unknown(_)));
    assert_eq!(unknown_mode.message(), Some("Say your name"));
}

// ----------------------------------------------------------------- sampling

#[test]
fn sampling_message_content_single_or_array() {
    let req = rt::<JsonRpcRequest<CreateMessageRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 2,
        "method": "sampling/createMessage",
        "params": {
            "messages": [
                {
                    "role": "user",
                    "content": { "type": "text", "text": "What's the weather like in Paris and London?" }
                },
                {
                    "role": "assistant",
                    "content": [
                        { "type": "tool_use", "id": "call_abc123", "name": "get_weather", "input": { "city": "Paris" } },
                        { "type": "tool_use", "id": "call_def456", "name": "get_weather", "input": { "city": "London" } }
                    ]
                },
                {
                    "role": "user",
                    "content": [
                        { "type": "text", "text": "Here are the results:" },
                        {
                            "type": "tool_result",
                            "toolUseId": "call_abc123",
                            "content": [{ "type": "text", "text": "Result data" }]
                        }
                    ]
                }
            ],
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Get current weather for a city",
                    "inputSchema": {
                        "type": "object",
                        "properties": { "city": { "type": "string" } },
                        "required": ["city"]
                    }
                }
            ],
            "toolChoice": { "mode": "required" },
            "includeContext": "thisServer",
            "temperature": 0.7,
            "maxTokens": 1000,
            "task": { "ttl": 30000 }
        }
    }));
    let p = req.params.unwrap();
    assert!(matches!(
        p.messages[0].content,
        OneOrMany::One(SamplingContent::Text(_))
    ));
    assert_eq!(p.messages[1].content.len(), 2);
    assert!(matches!(
        p.messages[2].content.as_slice()[1],
        SamplingContent::ToolResult(_)
    ));
    assert_eq!(p.tool_choice.unwrap().mode, Some(ToolChoiceMode::Required));
    assert_eq!(p.include_context, Some(IncludeContext::ThisServer));
    assert_eq!(p.max_tokens, 1000);

    let resp = rt::<JsonRpcResultResponse<CreateMessageResult>>(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "role": "assistant",
            "content": [
                { "type": "tool_use", "id": "call_abc123", "name": "get_weather", "input": { "city": "Paris" } }
            ],
            "model": "claude-3-sonnet-20240307",
            "stopReason": "toolUse"
        }
    }));
    // An array of one stays an array.
    assert!(matches!(resp.result.content, OneOrMany::Many(ref v) if v.len() == 1));
    assert_eq!(resp.result.stop_reason, Some(StopReason::ToolUse));

    let custom_stop = rt::<CreateMessageResult>(json!({
        "role": "assistant",
        "content": { "type": "text", "text": "..." },
        "model": "m",
        "stopReason": "contentFilter"
    }));
    assert_eq!(
        custom_stop.stop_reason,
        Some(StopReason::Other("contentFilter".into()))
    );
}

// -------------------------------------------------------------------- tools

#[test]
fn tool_with_execution_task_support() {
    let resp = rt::<JsonRpcResultResponse<ListToolsResult>>(json!({
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "tools": [
                {
                    "name": "get_weather",
                    "title": "Weather Information Provider",
                    "description": "Get current weather information for a location",
                    "inputSchema": {
                        "type": "object",
                        "properties": {
                            "location": { "type": "string", "description": "City name or zip code" }
                        },
                        "required": ["location"]
                    },
                    "icons": [
                        { "src": "https://example.com/weather-icon.png", "mimeType": "image/png", "sizes": ["48x48"] }
                    ],
                    "execution": { "taskSupport": "optional" }
                }
            ],
            "nextCursor": "next-page-cursor"
        }
    }));
    let tool = &resp.result.tools[0];
    assert_eq!(
        tool.execution.as_ref().unwrap().task_support,
        Some(TaskSupport::Optional)
    );
    assert_eq!(tool.display_name(), "Weather Information Provider");
    assert!(resp.result.result_type.is_none());
    assert_eq!(resp.result.next_cursor.as_deref(), Some("next-page-cursor"));
}

#[test]
fn tool_annotations_and_audio_2025_03_26() {
    let tool = rt::<Tool>(json!({
        "name": "rm",
        "inputSchema": { "type": "object" },
        "annotations": { "title": "Remove", "readOnlyHint": false, "destructiveHint": true }
    }));
    assert_eq!(tool.display_name(), "Remove");

    let result = rt::<CallToolResult>(json!({
        "content": [
            { "type": "audio", "data": "UklGRg==", "mimeType": "audio/wav" },
            { "type": "image", "data": "iVBORw0=", "mimeType": "image/png", "annotations": { "audience": ["user"], "priority": 0.9 } }
        ]
    }));
    assert_eq!(result.content[0].type_name(), "audio");
    assert!(!result.is_error());
}

#[test]
fn input_schema_is_kept_verbatim() {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": { "id": { "type": "string", "pattern": "^[a-z]+$" } },
        "properties": {
            "id": { "$ref": "#/$defs/id", "x-mcp-header": "Mcp-Id" },
            "n": { "type": "integer", "minimum": 0, "exclusiveMaximum": 1.5 }
        },
        "if": { "required": ["id"] },
        "then": { "required": ["n"] },
        "unevaluatedProperties": false
    });
    let tool = rt::<Tool>(json!({ "name": "t", "inputSchema": schema.clone() }));
    assert_eq!(Value::Object(tool.input_schema), schema);
}

#[test]
fn structured_content_null_and_non_object_round_trip() {
    let null = rt::<CallToolResult>(json!({ "content": [], "structuredContent": null }));
    assert_eq!(null.structured_content, Some(Value::Null));
    let absent = rt::<CallToolResult>(json!({ "content": [] }));
    assert_eq!(absent.structured_content, None);
    rt::<CallToolResult>(json!({ "content": [], "structuredContent": [1, "two", 3.5] }));
    rt::<ToolResultContent>(json!({
        "type": "tool_result", "toolUseId": "x", "content": [], "structuredContent": null
    }));
}

// ------------------------------------------------- unknown data survives

#[test]
fn unknown_content_types_survive() {
    let v = json!({
        "content": [
            { "type": "text", "text": "before" },
            { "type": "hologram", "frames": [{ "t": 0, "voxels": "AAEC" }], "_meta": { "k": 1 } },
            { "text": "no type at all" },
            { "type": "text", "text": "after" }
        ]
    });
    let result = rt::<CallToolResult>(v);
    assert!(matches!(&result.content[1], ContentBlock::Unknown(m) if m["frames"][0]["t"] == 0));
    assert_eq!(result.content[1].type_name(), "hologram");
    assert!(matches!(result.content[2], ContentBlock::Unknown(_)));
    assert_eq!(
        result.text_content().collect::<Vec<_>>(),
        ["before", "after"]
    );

    let s = rt::<SamplingMessage>(json!({
        "role": "assistant",
        "content": [{ "type": "thinking", "thinking": "hmm", "signature": "sig" }]
    }));
    assert!(matches!(
        s.content.as_slice()[0],
        SamplingContent::Unknown(_)
    ));

    let contents = rt::<ReadResourceResult>(json!({
        "contents": [{ "uri": "x://y", "stream": "wss://example.com/y" }]
    }));
    assert!(matches!(contents.contents[0], ResourceContents::Unknown(_)));
    assert_eq!(contents.contents[0].uri(), Some("x://y"));

    let r = rt::<CompleteRequestParams>(json!({
        "ref": { "type": "ref/tool", "name": "t" },
        "argument": { "name": "a", "value": "" }
    }));
    assert!(matches!(r.reference, Reference::Unknown(_)));
}

#[test]
fn known_tags_are_checked() {
    let wrong = serde_json::from_value::<TextContent>(json!({ "type": "image", "text": "x" }));
    assert!(wrong.is_err());
    // A malformed block of a known type is an error, not an unknown block.
    let bad = serde_json::from_value::<ContentBlock>(json!({ "type": "text" }));
    assert!(bad.is_err());
    // Constructed values carry their tag.
    assert_eq!(
        serde_json::to_value(TextContent::new("hi")).unwrap(),
        json!({ "type": "text", "text": "hi" })
    );
}

#[test]
fn unknown_fields_survive_at_every_level() {
    rt::<JsonRpcResultResponse<ListToolsResult>>(json!({
        "jsonrpc": "2.0",
        "id": "a",
        "x-envelope": true,
        "result": {
            "x-result": [1, 2],
            "tools": [
                {
                    "name": "t",
                    "inputSchema": { "type": "object", "x-schema": { "deep": null } },
                    "annotations": { "readOnlyHint": true, "x-annotation": "kept" },
                    "execution": { "taskSupport": "forbidden", "x-exec": 1 },
                    "icons": [{ "src": "data:image/png;base64,AA==", "theme": "dark", "x-icon": 2 }],
                    "x-tool": { "nested": { "more": [true] } }
                }
            ]
        }
    }));

    rt::<JsonRpcResultResponse<CallToolResult>>(json!({
        "jsonrpc": "2.0",
        "id": 7,
        "result": {
            "content": [
                {
                    "type": "resource",
                    "resource": { "uri": "file:///a", "text": "A", "x-contents": 1 },
                    "annotations": { "priority": 1, "x-ann": "y" },
                    "x-block": "z"
                },
                {
                    "type": "resource_link",
                    "uri": "file:///b",
                    "name": "b",
                    "size": 12,
                    "x-link": {}
                }
            ],
            "isError": false,
            "x-call": 3
        }
    }));

    rt::<JsonRpcRequest<CompleteRequestParams>>(json!({
        "jsonrpc": "2.0",
        "id": 9,
        "method": "completion/complete",
        "params": {
            "ref": { "type": "ref/resource", "uri": "file:///{path}", "x-ref": 1 },
            "argument": { "name": "path", "value": "sr", "x-arg": 2 },
            "context": { "arguments": { "root": "/" }, "x-ctx": 3 },
            "x-params": 4
        }
    }));

    rt::<CreateMessageRequestParams>(json!({
        "messages": [
            { "role": "user", "content": { "type": "text", "text": "hi", "x-c": 1 }, "x-msg": 2 }
        ],
        "modelPreferences": { "hints": [{ "name": "x", "provider": "p" }], "x-pref": 3 },
        "maxTokens": 10,
        "metadata": { "anything": ["goes"] },
        "x-req": 5
    }));
}

#[test]
fn meta_survives_everywhere() {
    let m = json!({ "com.example/a": 1, "progressToken": "tok" });
    let params = rt::<CallToolRequestParams>(json!({ "name": "t", "_meta": m.clone() }));
    assert_eq!(
        meta::progress_token(params.meta.as_ref().unwrap()),
        Some(ProgressToken::from("tok"))
    );
    rt::<ReadResourceResult>(json!({
        "contents": [{ "uri": "file:///a", "blob": "AA==", "_meta": m.clone() }],
        "_meta": m.clone()
    }));
    rt::<GetPromptResult>(json!({
        "messages": [{ "role": "user", "content": { "type": "text", "text": "x", "_meta": m.clone() } }],
        "_meta": m.clone()
    }));
    rt::<ListRootsResult>(json!({
        "roots": [{ "uri": "file:///r", "_meta": m.clone() }],
        "_meta": m.clone()
    }));
    rt::<Resource>(json!({ "uri": "file:///a", "name": "a", "_meta": m.clone() }));
    rt::<Prompt>(json!({ "name": "p", "_meta": m.clone() }));
    rt::<ResourceTemplate>(
        json!({ "uriTemplate": "file:///{p}", "name": "t", "_meta": m.clone() }),
    );
    rt::<ToolUseContent>(json!({
        "type": "tool_use", "id": "i", "name": "n", "input": {}, "_meta": m.clone()
    }));
    rt::<SamplingMessage>(json!({
        "role": "user", "content": { "type": "text", "text": "x" }, "_meta": m.clone()
    }));
    rt::<ElicitResult>(json!({ "action": "decline", "_meta": m.clone() }));
    rt::<JsonRpcNotification<LoggingMessageNotificationParams>>(json!({
        "jsonrpc": "2.0",
        "method": "notifications/message",
        "params": { "level": "warning", "data": "disk almost full", "_meta": m }
    }));
}

// ---------------------------------------------------------------- legacy

#[test]
fn legacy_2024_11_05_messages() {
    let p = rt::<CompleteRequestParams>(json!({
        "ref": { "type": "ref/resource", "uri": "file:///{path}" },
        "argument": { "name": "path", "value": "/ho" }
    }));
    let Reference::Resource(r) = p.reference else {
        panic!("not a resource reference");
    };
    let _legacy_name: ResourceReference = r;

    rt::<JsonRpcRequest<SubscribeRequestParams>>(json!({
        "jsonrpc": "2.0", "id": 4, "method": "resources/subscribe",
        "params": { "uri": "file:///project/src/main.rs" }
    }));
    rt::<JsonRpcRequest<UnsubscribeRequestParams>>(json!({
        "jsonrpc": "2.0", "id": 5, "method": "resources/unsubscribe",
        "params": { "uri": "file:///project/src/main.rs" }
    }));
    rt::<JsonRpcRequest<SetLevelRequestParams>>(json!({
        "jsonrpc": "2.0", "id": 6, "method": "logging/setLevel", "params": { "level": "info" }
    }));
    rt::<JsonRpcNotification<ProgressNotificationParams>>(json!({
        "jsonrpc": "2.0", "method": "notifications/progress",
        "params": { "progressToken": 7, "progress": 0.25, "total": 1 }
    }));
    rt::<JsonRpcNotification<CancelledNotificationParams>>(json!({
        "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": { "requestId": 12, "reason": "timeout" }
    }));
    rt::<JsonRpcRequest<EmptyParams>>(json!({ "jsonrpc": "2.0", "id": "p", "method": "ping" }));
    rt::<JsonRpcResultResponse<EmptyResult>>(json!({ "jsonrpc": "2.0", "id": "p", "result": {} }));
    rt::<JsonRpcRequest<PaginatedRequestParams>>(json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": { "cursor": "optional-cursor-value" }
    }));
    rt::<JsonRpcErrorResponse>(json!({
        "jsonrpc": "2.0", "id": 3, "error": { "code": -1, "message": "User rejected sampling request" }
    }));
    rt::<PromptMessage>(json!({
        "role": "user",
        "content": { "type": "resource", "resource": { "uri": "file:///b", "mimeType": "image/png", "blob": "AA==" } }
    }));
}

// ----------------------------------------------------- numbers and leniency

#[test]
fn numbers_keep_their_spelling() {
    let n = rt::<NumberSchema>(
        json!({ "type": "number", "minimum": 0, "maximum": 2.5, "default": 50 }),
    );
    assert_eq!(serde_json::to_string(&n.default).unwrap(), "50");
    let p = rt::<ProgressNotificationParams>(
        json!({ "progressToken": "t", "progress": 50, "total": 100 }),
    );
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"progressToken":"t","progress":50,"total":100}"#
    );
}

#[test]
fn sloppy_servers_missing_arrays_decode_as_empty() {
    let tools: ListToolsResult = serde_json::from_value(json!({})).unwrap();
    assert!(tools.tools.is_empty());
    let call: CallToolResult = serde_json::from_value(json!({ "isError": true })).unwrap();
    assert!(call.content.is_empty() && call.is_error());
    let read: ReadResourceResult = serde_json::from_value(json!({})).unwrap();
    assert!(read.contents.is_empty());
    let prompt: GetPromptResult = serde_json::from_value(json!({})).unwrap();
    assert!(prompt.messages.is_empty());
    let roots: ListRootsResult = serde_json::from_value(json!({})).unwrap();
    assert!(roots.roots.is_empty());
    let tool: Tool = serde_json::from_value(json!({ "name": "no-schema" })).unwrap();
    assert!(tool.input_schema.is_empty());
}

#[test]
fn mrtr_retry_params_round_trip() {
    let p = rt::<CallToolRequestParams>(json!({
        "name": "deploy",
        "arguments": { "env": "prod" },
        "inputResponses": {
            "confirm": { "action": "accept", "content": { "ok": true } },
            "roots": { "roots": [{ "uri": "file:///srv" }] },
            "ask": {
                "role": "assistant",
                "content": { "type": "text", "text": "yes" },
                "model": "m"
            }
        },
        "requestState": "opaque-state=="
    }));
    let responses = p.input_responses.unwrap();
    assert!(matches!(responses["confirm"], InputResponse::Elicit(_)));
    assert!(matches!(responses["roots"], InputResponse::ListRoots(_)));
    assert!(matches!(responses["ask"], InputResponse::Sample(_)));
    rt::<GetPromptRequestParams>(json!({ "name": "p", "requestState": "s" }));
    rt::<ReadResourceRequestParams>(json!({ "uri": "file:///a", "requestState": "s" }));
}

// ------------------------------------------------------------ constructors

#[test]
fn constructors_build_the_expected_wire() {
    let mut args = JsonObject::new();
    args.insert("location".into(), json!("New York"));
    assert_eq!(
        serde_json::to_value(CallToolRequestParams::new("get_weather").with_arguments(args))
            .unwrap(),
        json!({ "name": "get_weather", "arguments": { "location": "New York" } })
    );
    assert_eq!(
        serde_json::to_value(GetPromptRequestParams::new("code_review").with_argument("code", "x"))
            .unwrap(),
        json!({ "name": "code_review", "arguments": { "code": "x" } })
    );
    assert_eq!(
        serde_json::to_value(ReadResourceRequestParams::new("file:///a")).unwrap(),
        json!({ "uri": "file:///a" })
    );
    assert_eq!(
        serde_json::to_value(PaginatedRequestParams::default()).unwrap(),
        json!({})
    );
    assert_eq!(
        serde_json::to_value(PaginatedRequestParams::after("c")).unwrap(),
        json!({ "cursor": "c" })
    );
    assert_eq!(
        serde_json::to_value(ListRootsResult::new(vec![
            Root::new("file:///r").with_name("R")
        ]))
        .unwrap(),
        json!({ "roots": [{ "uri": "file:///r", "name": "R" }] })
    );
    assert_eq!(
        serde_json::to_value(ElicitResult::accept(obj(json!({ "name": "octocat" })))).unwrap(),
        json!({ "action": "accept", "content": { "name": "octocat" } })
    );
    assert_eq!(
        serde_json::to_value(ElicitResult::decline()).unwrap(),
        json!({ "action": "decline" })
    );
    assert_eq!(
        serde_json::to_value(ElicitResult::cancel()).unwrap(),
        json!({ "action": "cancel" })
    );
    assert_eq!(
        serde_json::to_value(ContentBlock::text("hi")).unwrap(),
        json!({ "type": "text", "text": "hi" })
    );
    assert_eq!(
        serde_json::to_value(CreateMessageResult::text("m", "Paris")).unwrap(),
        json!({
            "role": "assistant",
            "content": { "type": "text", "text": "Paris" },
            "model": "m",
            "stopReason": "endTurn"
        })
    );
    assert_eq!(
        serde_json::to_value(CompleteRequestParams::new(
            PromptReference::new("p"),
            "lang",
            "py"
        ))
        .unwrap(),
        json!({ "ref": { "type": "ref/prompt", "name": "p" }, "argument": { "name": "lang", "value": "py" } })
    );
    assert_eq!(
        serde_json::to_value(JsonRpcRequest::new(
            1,
            "tools/list",
            Some(PaginatedRequestParams::default())
        ))
        .unwrap(),
        json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {} })
    );
}

#[test]
fn error_response_ids_keep_null_absent_and_value_apart() {
    use mcp_proto::model::JsonRpcErrorResponse;
    for text in [
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#,
        r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}}"#,
        r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"nope"}}"#,
    ] {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let decoded: JsonRpcErrorResponse = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&decoded).unwrap(), v, "{text}");
    }
}

/// Content blocks take a one-pass path when `type` is the first key and a
/// buffered one otherwise; both must give the same value and the same errors.
#[test]
fn tag_position_does_not_change_what_decodes() {
    let pairs = [
        (
            r#"{"type":"text","text":"hi","_meta":{"k":1}}"#,
            r#"{"_meta":{"k":1},"text":"hi","type":"text"}"#,
        ),
        (
            r#"{"type":"image","data":"AAEC","mimeType":"image/png"}"#,
            r#"{"data":"AAEC","type":"image","mimeType":"image/png"}"#,
        ),
        (
            r#"{"type":"resource","resource":{"uri":"x://y","text":"t"}}"#,
            r#"{"resource":{"uri":"x://y","text":"t"},"type":"resource"}"#,
        ),
        (
            r#"{"type":"hologram","frames":[1,2]}"#,
            r#"{"frames":[1,2],"type":"hologram"}"#,
        ),
        (r#"{"type":7,"text":"x"}"#, r#"{"text":"x","type":7}"#),
        (r#"{}"#, r#"{}"#),
    ];
    for (first, last) in pairs {
        let a: ContentBlock =
            serde_json::from_str(first).unwrap_or_else(|e| panic!("{first}: {e}"));
        let b: ContentBlock = serde_json::from_str(last).unwrap_or_else(|e| panic!("{last}: {e}"));
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap(),
            "{first} vs {last}"
        );
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::from_str::<Value>(first).unwrap()
        );
    }
    assert!(matches!(
        serde_json::from_str::<ContentBlock>(r#"{"type":"hologram"}"#).unwrap(),
        ContentBlock::Unknown(_)
    ));
    let s: SamplingContent =
        serde_json::from_str(r#"{"type":"tool_use","id":"u","name":"n","input":{}}"#).unwrap();
    assert!(matches!(s, SamplingContent::ToolUse(_)));

    // A known tag with bad fields fails the same way on both paths.
    for bad in [
        r#"{"type":"text"}"#,
        r#"{"text":5,"type":"text"}"#,
        r#"{"type":"text","text":5}"#,
    ] {
        assert!(serde_json::from_str::<ContentBlock>(bad).is_err(), "{bad}");
    }
    let err = serde_json::from_str::<ContentBlock>("[1]").unwrap_err();
    assert!(err.to_string().contains("a content block"), "{err}");
    // Duplicate tags are caught by the member's own decoder.
    assert!(
        serde_json::from_str::<ContentBlock>(r#"{"type":"text","text":"a","type":"image"}"#)
            .is_err()
    );
}

/// The hand-rolled one-pass decoders keep what derived ones did: unknown
/// fields kept, a missing required field named, a repeated field refused,
/// and the same result from text and from a `Value`.
#[test]
fn one_pass_decoders_behave_like_derived_ones() {
    let text = r#"{"name":"t","inputSchema":{"type":"object"},"x-vendor":[1,{"a":null}],"annotations":{"readOnlyHint":true,"z":1}}"#;
    let tool: Tool = serde_json::from_str(text).unwrap();
    assert_eq!(tool.extra["x-vendor"], json!([1, {"a": null}]));
    assert_eq!(tool.annotations.as_ref().unwrap().extra["z"], 1);
    let via_value: Tool = serde_json::from_value(serde_json::from_str(text).unwrap()).unwrap();
    assert_eq!(tool, via_value);
    assert_eq!(
        serde_json::to_value(&tool).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );

    let missing = serde_json::from_str::<Tool>(r#"{"inputSchema":{}}"#).unwrap_err();
    assert!(
        missing.to_string().contains("missing field `name`"),
        "{missing}"
    );
    let twice = serde_json::from_str::<Tool>(r#"{"name":"a","name":"b"}"#).unwrap_err();
    assert!(
        twice.to_string().contains("duplicate field `name`"),
        "{twice}"
    );
    let wrong = serde_json::from_str::<Tool>(r#"{"name":5}"#).unwrap_err();
    assert!(wrong.to_string().contains("invalid type"), "{wrong}");
    let not_object = serde_json::from_str::<CallToolResult>("[]").unwrap_err();
    assert!(
        not_object.to_string().contains("CallToolResult"),
        "{not_object}"
    );

    // `structuredContent: null` is kept as a present null, absent as absent.
    let r: CallToolResult =
        serde_json::from_str(r#"{"content":[],"structuredContent":null}"#).unwrap();
    assert_eq!(r.structured_content, Some(Value::Null));
    let r: CallToolResult = serde_json::from_str(r#"{"content":[]}"#).unwrap();
    assert_eq!(r.structured_content, None);
    // Escaped keys are still recognised.
    let r: CallToolResult = serde_json::from_str(r#"{"\u0069sError":true}"#).unwrap();
    assert_eq!(r.is_error, Some(true));
}
