//! What the client does in each scenario.
//!
//! Most scenarios need nothing special: the client connects, lists what the
//! server offers and uses each of it once ([`exercise`]), and the server
//! checks how it was done. Where the harness hands over a context with the
//! calls to make (`toolCalls`), those are made instead of made-up ones. Only
//! scenarios that need a particular sequence have their own function.

use mcp_switch::mcp_proto::example;
use mcp_switch::mcp_proto::model::{JsonObject, Tool};
use mcp_switch::prelude::*;
use serde_json::{json, Value};

/// Runs `scenario` on a connected client; `Err` names the step that failed.
pub(crate) fn run(scenario: &str, client: &Client, context: &Value) -> Result<(), String> {
    match scenario {
        // The server looks at the tool list and at nothing else.
        "json-schema-ref-no-deref" => list_tools(client).map(drop),
        "json-schema-2020-12-preservation" => echo_schema(client),
        _ => exercise(client, context),
    }
}

fn list_tools(client: &Client) -> Result<Vec<Tool>, String> {
    let tools = client
        .list_tools()
        .map_err(|e| format!("tools/list: {e}"))?
        .tools;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    eprintln!("tools/list: {names:?}");
    Ok(tools)
}

/// Uses every tool, resource and prompt the server declares (asking for
/// what it does not declare would be refused by the client itself).
fn exercise(client: &Client, context: &Value) -> Result<(), String> {
    let caps = client.capabilities().unwrap_or_default();
    let tools = match caps.tools {
        Some(_) => list_tools(client)?,
        None => Vec::new(),
    };
    match context.get("toolCalls").and_then(Value::as_array) {
        Some(calls) => {
            for call in calls {
                let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
                let args = call.get("arguments").cloned().unwrap_or_else(|| json!({}));
                call_tool(client, name, args)?;
            }
        }
        None => {
            for tool in &tools {
                call_tool(
                    client,
                    &tool.name,
                    Value::Object(example::arguments(&tool.input_schema)),
                )?;
            }
        }
    }
    if caps.resources.is_some() {
        let resources = client
            .list_resources()
            .map_err(|e| format!("resources/list: {e}"))?
            .resources;
        for r in resources.iter().take(20) {
            let read = client
                .read_resource(&r.uri)
                .map_err(|e| format!("resources/read {}: {e}", r.uri))?;
            eprintln!(
                "resources/read {}: {} content item(s)",
                r.uri,
                read.contents.len()
            );
        }
    }
    if caps.prompts.is_some() {
        let prompts = client
            .list_prompts()
            .map_err(|e| format!("prompts/list: {e}"))?
            .prompts;
        for p in prompts.iter().take(20) {
            let args: Vec<(String, String)> = p
                .arguments
                .iter()
                .flatten()
                .filter(|a| a.required == Some(true))
                .map(|a| (a.name.clone(), "test".to_owned()))
                .collect();
            let got = client
                .get_prompt(&p.name, args)
                .map_err(|e| format!("prompts/get {}: {e}", p.name))?;
            eprintln!("prompts/get {}: {} message(s)", p.name, got.messages.len());
        }
    }
    Ok(())
}

fn call_tool(client: &Client, name: &str, args: Value) -> Result<(), String> {
    eprintln!("tools/call {name} {args}");
    let result = client
        .call_tool(name, args)
        .map_err(|e| format!("tools/call {name}: {e}"))?;
    eprintln!(
        "tools/call {name}: {} content item(s){}",
        result.content.len(),
        if result.is_error == Some(true) {
            " (tool error)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Hands the focal tool's input schema back, as the client received it.
fn echo_schema(client: &Client) -> Result<(), String> {
    let tools = list_tools(client)?;
    let focal = tools
        .iter()
        .find(|t| t.name == "json_schema_2020_12_tool")
        .ok_or("the focal tool json_schema_2020_12_tool is not listed")?;
    let schema = Value::Object(focal.input_schema.clone());
    call_tool(client, "json_schema_echo", json!({ "schema": schema }))
}

/// The answers of a scripted user: accept every form with its defaults
/// applied, sample a fixed reply, offer one root.
pub(crate) fn input_handlers() -> InputHandlers {
    use mcp_switch::mcp_proto::model::{
        CreateMessageResult, ElicitRequestParams, ElicitResult, Root,
    };
    InputHandlers::new()
        .on_elicit(|req| match req {
            ElicitRequestParams::Form(form) => {
                let schema = serde_json::to_value(&form.requested_schema)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_else(JsonObject::new);
                let answer = example::form_answer(&schema);
                eprintln!(
                    "elicitation {:?}: accept {}",
                    form.message,
                    Value::Object(answer.clone())
                );
                ElicitResult::accept(answer)
            }
            _ => ElicitResult::decline(),
        })
        .on_sample(|_| {
            serde_json::from_value::<CreateMessageResult>(json!({
                "role": "assistant",
                "content": {"type": "text", "text": "A reply from the conformance client."},
                "model": "conformance-client",
                "stopReason": "endTurn"
            }))
            .map_err(|e| e.to_string())
        })
        .on_roots(|| vec![Root::new("file:///tmp/conformance")])
}
