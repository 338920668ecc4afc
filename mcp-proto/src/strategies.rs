//! [proptest](mod@proptest) strategies that generate valid MCP messages of each protocol
//! revision, as JSON: for property-testing your own server or client (feed
//! a server generated requests, a client generated answers and
//! notifications) with inputs that are right by the book, so that a
//! failure is yours and not the generator's. Enable the `proptest` feature.
//!
//! Every message is valid against that revision's JSON schema (checked by
//! this crate's tests against the schemas the spec publishes), and uses
//! only what the revision has: audio content from 2025-03-26, resource
//! links, titles and structured output from 2025-06-18, and for 2026-07-28
//! the per-request `_meta` a request must carry and the `resultType`,
//! `ttlMs` and `cacheScope` results must carry.
//!
//! In a test suite, use them in `proptest!`; by hand, with a runner:
//!
//! ```
//! use mcp_proto::{strategies, ProtocolVersion};
//! use proptest::test_runner::TestRunner;
//!
//! let v = ProtocolVersion::V2025_11_25;
//! TestRunner::default()
//!     .run(&strategies::exchange(v), |(request, response)| {
//!         // Feed `request` to the server under test and compare; or feed
//!         // `response` to a client that sent `request`.
//!         assert_eq!(request["id"], response["id"]);
//!         Ok(())
//!     })
//!     .unwrap();
//! ```
//!
//! What is covered. Requests: `ping`, `initialize` (or `server/discover`
//! from 2026-07-28), `tools/list`, `tools/call`, `resources/list`,
//! `resources/read`, `prompts/list`, `prompts/get`. Results: the answer to
//! each of those. Notifications: progress, log messages and the three
//! list-changed notifications from a server; `initialized` (before
//! 2026-07-28) and `cancelled` from a client.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{json, Value};

use crate::ProtocolVersion;

const MODERN: ProtocolVersion = ProtocolVersion::V2026_07_28;

/// Short text without control characters.
fn text() -> BoxedStrategy<String> {
    "[a-zA-Z0-9 _.,:!?é漢-]{0,24}".boxed()
}

/// A non-empty identifier.
fn name() -> BoxedStrategy<String> {
    "[a-z][a-z0-9_-]{0,15}".boxed()
}

fn uri() -> BoxedStrategy<String> {
    "[a-z]{1,8}"
        .prop_map(|p| format!("file:///{p}.txt"))
        .boxed()
}

/// Base64 of a few bytes.
fn base64() -> BoxedStrategy<String> {
    "([A-Za-z0-9+/]{4}){0,6}".boxed()
}

fn request_id() -> BoxedStrategy<Value> {
    prop_oneof![
        (0i64..1_000_000).prop_map(Value::from),
        "[a-z0-9-]{1,12}".prop_map(Value::from),
    ]
    .boxed()
}

/// Adds `key: value` when `value` is `Some`.
fn with(mut v: Value, key: &str, value: Option<Value>) -> Value {
    if let (Some(obj), Some(x)) = (v.as_object_mut(), value) {
        obj.insert(key.to_owned(), x);
    }
    v
}

/// A content block allowed in `version`.
pub fn content_block(version: ProtocolVersion) -> BoxedStrategy<Value> {
    let text_block = text().prop_map(|t| json!({"type": "text", "text": t}));
    let image = base64().prop_map(|d| json!({"type": "image", "data": d, "mimeType": "image/png"}));
    let embedded = (uri(), text()).prop_map(
        |(u, t)| json!({"type": "resource", "resource": {"uri": u, "text": t, "mimeType": "text/plain"}}),
    );
    let mut options: Vec<BoxedStrategy<Value>> =
        vec![text_block.boxed(), image.boxed(), embedded.boxed()];
    if version >= ProtocolVersion::V2025_03_26 {
        options.push(
            base64()
                .prop_map(|d| json!({"type": "audio", "data": d, "mimeType": "audio/wav"}))
                .boxed(),
        );
    }
    if version >= ProtocolVersion::V2025_06_18 {
        options.push(
            (uri(), name())
                .prop_map(|(u, n)| json!({"type": "resource_link", "uri": u, "name": n}))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(options).boxed()
}

/// A tool definition allowed in `version`.
pub fn tool(version: ProtocolVersion) -> BoxedStrategy<Value> {
    (
        name(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(n, description, title, read_only, structured)| {
            let mut t = json!({
                "name": n,
                "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
            });
            t = with(t, "description", description.map(Value::from));
            if version >= ProtocolVersion::V2025_03_26 {
                t = with(t, "annotations", Some(json!({"readOnlyHint": read_only})));
            }
            if version >= ProtocolVersion::V2025_06_18 {
                t = with(t, "title", title.map(Value::from));
                if structured {
                    t = with(
                        t,
                        "outputSchema",
                        Some(json!({"type": "object", "properties": {"n": {"type": "integer"}}})),
                    );
                }
            }
            t
        })
        .boxed()
}

/// The `_meta` every 2026-07-28 request carries.
fn request_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN.as_str(),
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "proptest", "version": "1.0.0"},
    })
}

/// A request envelope for `method` with `params`, as `version` wants it.
fn request(version: ProtocolVersion, id: Value, method: &str, params: Option<Value>) -> Value {
    let params = if version >= MODERN {
        let mut p = params.unwrap_or_else(|| json!({}));
        p["_meta"] = request_meta();
        Some(p)
    } else {
        params
    };
    with(
        json!({"jsonrpc": "2.0", "id": id, "method": method}),
        "params",
        params,
    )
}

/// A request a client may send in `version`, with a fresh id.
pub fn client_request(version: ProtocolVersion) -> BoxedStrategy<Value> {
    let cursor = proptest::option::of("[a-z0-9]{1,8}");
    let mut options: Vec<BoxedStrategy<Value>> = vec![
        (request_id(), cursor.clone())
            .prop_map(move |(id, c)| {
                let params = c.map(|c| json!({ "cursor": c }));
                request(version, id, "tools/list", params)
            })
            .boxed(),
        (request_id(), name(), text())
            .prop_map(move |(id, tool, t)| {
                let params = json!({"name": tool, "arguments": {"text": t}});
                request(version, id, "tools/call", Some(params))
            })
            .boxed(),
        (request_id(), cursor)
            .prop_map(move |(id, c)| {
                let params = c.map(|c| json!({ "cursor": c }));
                request(version, id, "resources/list", params)
            })
            .boxed(),
        (request_id(), uri())
            .prop_map(move |(id, u)| {
                request(version, id, "resources/read", Some(json!({"uri": u})))
            })
            .boxed(),
        request_id()
            .prop_map(move |id| request(version, id, "prompts/list", None))
            .boxed(),
        (request_id(), name(), text())
            .prop_map(move |(id, p, t)| {
                let params = json!({"name": p, "arguments": {"topic": t}});
                request(version, id, "prompts/get", Some(params))
            })
            .boxed(),
    ];
    if version >= MODERN {
        options.push(
            request_id()
                .prop_map(move |id| request(version, id, "server/discover", None))
                .boxed(),
        );
    } else {
        options.push(
            request_id()
                .prop_map(move |id| request(version, id, "ping", None))
                .boxed(),
        );
        options.push(
            (request_id(), name())
                .prop_map(move |(id, n)| {
                    let params = json!({
                        "protocolVersion": version.as_str(),
                        "capabilities": {},
                        "clientInfo": {"name": n, "version": "1.0.0"},
                    });
                    request(version, id, "initialize", Some(params))
                })
                .boxed(),
        );
    }
    proptest::strategy::Union::new(options).boxed()
}

/// The fields every 2026-07-28 result carries; `cacheable` for the
/// results that say how long they may be cached.
fn finish_result(version: ProtocolVersion, mut result: Value, cacheable: bool) -> Value {
    if version >= MODERN {
        result["resultType"] = json!("complete");
        if cacheable {
            result["ttlMs"] = json!(0);
            result["cacheScope"] = json!("public");
        }
    }
    result
}

/// A result answering `method` (one of the requests
/// [`client_request`] makes) in `version`.
pub fn result_for(version: ProtocolVersion, method: &str) -> BoxedStrategy<Value> {
    let v = version;
    let server_info = json!({"name": "proptest-server", "version": "1.0.0"});
    match method {
        "initialize" => Just(json!({
            "protocolVersion": v.as_str(),
            "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
            "serverInfo": server_info,
        }))
        .boxed(),
        "server/discover" => Just(finish_result(
            v,
            json!({
                "supportedVersions": [MODERN.as_str()],
                "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
                "_meta": {"io.modelcontextprotocol/serverInfo": server_info},
            }),
            true,
        ))
        .boxed(),
        "tools/list" => proptest::collection::vec(tool(v), 0..4)
            .prop_map(move |tools| finish_result(v, json!({ "tools": tools }), true))
            .boxed(),
        "tools/call" => (
            proptest::collection::vec(content_block(v), 0..4),
            any::<bool>(),
        )
            .prop_map(move |(content, is_error)| {
                finish_result(v, json!({"content": content, "isError": is_error}), false)
            })
            .boxed(),
        "resources/list" => proptest::collection::vec((uri(), name()), 0..4)
            .prop_map(move |rs| {
                let resources: Vec<Value> = rs
                    .into_iter()
                    .map(|(u, n)| json!({"uri": u, "name": n}))
                    .collect();
                finish_result(v, json!({ "resources": resources }), true)
            })
            .boxed(),
        "resources/read" => (uri(), text(), base64(), any::<bool>())
            .prop_map(move |(u, t, b, as_text)| {
                let contents = if as_text {
                    json!([{"uri": u, "mimeType": "text/plain", "text": t}])
                } else {
                    json!([{"uri": u, "mimeType": "application/octet-stream", "blob": b}])
                };
                finish_result(v, json!({ "contents": contents }), true)
            })
            .boxed(),
        "prompts/list" => proptest::collection::vec((name(), proptest::option::of(text())), 0..4)
            .prop_map(move |ps| {
                let prompts: Vec<Value> = ps
                    .into_iter()
                    .map(|(n, d)| with(json!({ "name": n }), "description", d.map(Value::from)))
                    .collect();
                finish_result(v, json!({ "prompts": prompts }), true)
            })
            .boxed(),
        "prompts/get" => proptest::collection::vec((any::<bool>(), text()), 1..4)
            .prop_map(move |ms| {
                let messages: Vec<Value> = ms
                    .into_iter()
                    .map(|(user, t)| {
                        json!({"role": if user { "user" } else { "assistant" },
                               "content": {"type": "text", "text": t}})
                    })
                    .collect();
                finish_result(v, json!({ "messages": messages }), false)
            })
            .boxed(),
        // `ping` and anything else: the empty result.
        _ => Just(finish_result(v, json!({}), false)).boxed(),
    }
}

/// A response to `request` (as [`client_request`] makes them): the same
/// id, a result of the right shape.
pub fn response_to(version: ProtocolVersion, request: &Value) -> BoxedStrategy<Value> {
    let id = request["id"].clone();
    let method = request["method"].as_str().unwrap_or("ping").to_owned();
    result_for(version, &method)
        .prop_map(move |result| json!({"jsonrpc": "2.0", "id": id, "result": result}))
        .boxed()
}

/// A request and its response, for driving a client with a conversation.
pub fn exchange(version: ProtocolVersion) -> BoxedStrategy<(Value, Value)> {
    client_request(version)
        .prop_flat_map(move |req| {
            let resp = response_to(version, &req);
            (Just(req), resp)
        })
        .boxed()
}

fn notification(method: &str, params: Option<Value>) -> Value {
    with(
        json!({"jsonrpc": "2.0", "method": method}),
        "params",
        params,
    )
}

/// A notification a server may send in `version`.
pub fn server_notification(_version: ProtocolVersion) -> BoxedStrategy<Value> {
    let levels = [
        "debug",
        "info",
        "notice",
        "warning",
        "error",
        "critical",
        "alert",
        "emergency",
    ];
    prop_oneof![
        (
            "[a-z0-9]{1,8}",
            0u32..1000,
            proptest::option::of(1000u32..2000)
        )
            .prop_map(|(token, progress, total)| {
                let p = json!({"progressToken": token, "progress": progress});
                notification(
                    "notifications/progress",
                    Some(with(p, "total", total.map(Value::from))),
                )
            }),
        (proptest::sample::select(levels.to_vec()), text()).prop_map(|(level, t)| {
            notification(
                "notifications/message",
                Some(json!({"level": level, "data": t})),
            )
        }),
        Just(notification("notifications/tools/list_changed", None)),
        Just(notification("notifications/resources/list_changed", None)),
        Just(notification("notifications/prompts/list_changed", None)),
    ]
    .boxed()
}

/// A notification a client may send in `version`.
pub fn client_notification(version: ProtocolVersion) -> BoxedStrategy<Value> {
    let cancelled = (request_id(), proptest::option::of(text())).prop_map(|(id, reason)| {
        let p = with(
            json!({ "requestId": id }),
            "reason",
            reason.map(Value::from),
        );
        notification("notifications/cancelled", Some(p))
    });
    if version >= MODERN {
        cancelled.boxed()
    } else {
        prop_oneof![
            cancelled,
            Just(notification("notifications/initialized", None)),
        ]
        .boxed()
    }
}

/// Any message a server may send in `version`: a response to a generated
/// request, or a notification.
pub fn server_message(version: ProtocolVersion) -> BoxedStrategy<Value> {
    prop_oneof![
        exchange(version).prop_map(|(_, resp)| resp),
        server_notification(version),
    ]
    .boxed()
}

/// Any message a client may send in `version`: a request or a
/// notification.
pub fn client_message(version: ProtocolVersion) -> BoxedStrategy<Value> {
    prop_oneof![client_request(version), client_notification(version)].boxed()
}
