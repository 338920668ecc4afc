//! The `proptest` feature's strategies make only valid messages: every one
//! generated for a revision validates against that revision's JSON schema
//! (`spec/<revision>/schema/schema.json`), both as a JSON-RPC envelope and
//! as the specific request, result or notification type it claims to be.

use std::collections::HashMap;
use std::path::Path;

use mcp_proto::strategies;
use mcp_proto::ProtocolVersion;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Value};

/// Validators for one revision's schema definitions, made on demand.
struct Schema {
    root: Value,
    defs_key: &'static str,
    made: HashMap<String, jsonschema::Validator>,
}

impl Schema {
    fn load(version: ProtocolVersion) -> Schema {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(version.as_str())
            .join("schema/schema.json");
        let text = std::fs::read_to_string(&path).expect("the vendored schema");
        let root: Value = serde_json::from_str(&text).expect("schema JSON");
        let defs_key = if root.get("$defs").is_some() {
            "$defs"
        } else {
            "definitions"
        };
        Schema {
            root,
            defs_key,
            made: HashMap::new(),
        }
    }

    fn has(&self, def: &str) -> bool {
        self.root[self.defs_key].get(def).is_some()
    }

    /// Checks `value` against definition `def`; the errors, if any.
    fn check(&mut self, def: &str, value: &Value) -> Result<(), String> {
        assert!(self.has(def), "no definition {def}");
        let (root, key) = (&self.root, self.defs_key);
        let validator = self.made.entry(def.to_owned()).or_insert_with(|| {
            let mut schema = root.clone();
            schema["$ref"] = json!(format!("#/{key}/{def}"));
            jsonschema::validator_for(&schema).expect("a valid schema")
        });
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{def}: {errors:?}\n{value:#}"))
        }
    }
}

fn request_def(method: &str) -> &'static str {
    match method {
        "ping" => "PingRequest",
        "initialize" => "InitializeRequest",
        "server/discover" => "DiscoverRequest",
        "tools/list" => "ListToolsRequest",
        "tools/call" => "CallToolRequest",
        "resources/list" => "ListResourcesRequest",
        "resources/read" => "ReadResourceRequest",
        "prompts/list" => "ListPromptsRequest",
        "prompts/get" => "GetPromptRequest",
        other => panic!("no definition mapped for request {other}"),
    }
}

fn result_def(method: &str) -> &'static str {
    match method {
        "ping" => "EmptyResult",
        "initialize" => "InitializeResult",
        "server/discover" => "DiscoverResult",
        "tools/list" => "ListToolsResult",
        "tools/call" => "CallToolResult",
        "resources/list" => "ListResourcesResult",
        "resources/read" => "ReadResourceResult",
        "prompts/list" => "ListPromptsResult",
        "prompts/get" => "GetPromptResult",
        other => panic!("no definition mapped for the result of {other}"),
    }
}

fn notification_def(method: &str) -> &'static str {
    match method {
        "notifications/progress" => "ProgressNotification",
        "notifications/message" => "LoggingMessageNotification",
        "notifications/tools/list_changed" => "ToolListChangedNotification",
        "notifications/resources/list_changed" => "ResourceListChangedNotification",
        "notifications/prompts/list_changed" => "PromptListChangedNotification",
        "notifications/cancelled" => "CancelledNotification",
        "notifications/initialized" => "InitializedNotification",
        other => panic!("no definition mapped for notification {other}"),
    }
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(96);
    TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    })
}

/// Runs `strategy` and checks each value with `check`, reporting the
/// shrunk failing message.
fn each<S: Strategy<Value = Value>>(
    strategy: S,
    schema: &mut Schema,
    check: impl Fn(&mut Schema, &Value) -> Result<(), String>,
) {
    let schema = std::cell::RefCell::new(schema);
    runner()
        .run(&strategy, |v| {
            check(&mut schema.borrow_mut(), &v).map_err(TestCaseError::fail)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn generated_messages_are_valid_in_every_revision() {
    for version in ProtocolVersion::ALL {
        let mut schema = Schema::load(version);
        let envelope_response = if schema.has("JSONRPCResultResponse") {
            "JSONRPCResultResponse"
        } else {
            "JSONRPCResponse"
        };
        each(strategies::client_request(version), &mut schema, |s, m| {
            s.check("JSONRPCRequest", m)?;
            s.check(request_def(m["method"].as_str().unwrap_or("")), m)
        });
        each(
            strategies::exchange(version).prop_map(|(req, resp)| json!([req, resp])),
            &mut schema,
            |s, pair| {
                let (req, resp) = (&pair[0], &pair[1]);
                assert_eq!(req["id"], resp["id"]);
                s.check(envelope_response, resp)?;
                s.check(
                    result_def(req["method"].as_str().unwrap_or("")),
                    &resp["result"],
                )
            },
        );
        for notifications in [
            strategies::server_notification(version),
            strategies::client_notification(version),
        ] {
            each(notifications, &mut schema, |s, m| {
                s.check("JSONRPCNotification", m)?;
                s.check(notification_def(m["method"].as_str().unwrap_or("")), m)
            });
        }
        each(strategies::content_block(version), &mut schema, |s, c| {
            if s.has("ContentBlock") {
                s.check("ContentBlock", c)
            } else {
                // 2024-11-05 names no union of content types.
                s.check("CallToolResult", &json!({ "content": [c] }))
            }
        });
        each(strategies::tool(version), &mut schema, |s, t| {
            s.check("Tool", t)
        });
    }
}

#[test]
fn what_a_revision_lacks_is_never_generated() {
    // Audio from 2025-03-26, resource links from 2025-06-18: none before.
    let mut runner = runner();
    for (version, banned) in [
        (
            ProtocolVersion::V2024_11_05,
            ["audio", "resource_link"].as_slice(),
        ),
        (ProtocolVersion::V2025_03_26, ["resource_link"].as_slice()),
    ] {
        runner
            .run(&strategies::content_block(version), |c| {
                prop_assert!(!banned.contains(&c["type"].as_str().unwrap_or("")), "{c}");
                Ok(())
            })
            .unwrap();
    }
    // No initialize, ping or initialized in 2026-07-28; every request
    // carries the per-request `_meta`.
    runner
        .run(&strategies::client_message(ProtocolVersion::V2026_07_28), |m| {
            let method = m["method"].as_str().unwrap_or("");
            prop_assert!(!["initialize", "ping", "notifications/initialized"].contains(&method));
            if m.get("id").is_some() {
                prop_assert_eq!(
                    &m["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
                    "2026-07-28"
                );
            }
            Ok(())
        })
        .unwrap();
}
