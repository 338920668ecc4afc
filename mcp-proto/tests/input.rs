//! Input the server needs, one API over both eras: legacy server-to-client
//! requests and 2026-07-28 `input_required` results surface as the same
//! event and are answered by the same call.

mod common;

use std::time::Duration;

use common::*;
use mcp_proto::methods::CallTool;
use mcp_proto::model::{
    CallToolRequestParams, ClientCapabilities, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ElicitationCapability, InputRequest, ListRootsResult, Root, RootsCapability,
    SamplingCapability,
};
use mcp_proto::testing::ServerConfig;
use mcp_proto::{
    Config, Event, InputAnswer, Limits, RequestError, RequestOptions, UsageError, ViolationKind,
};
use serde_json::{json, Value};

fn answering() -> Config {
    Config::default().with_capabilities(ClientCapabilities {
        elicitation: Some(ElicitationCapability::default()),
        sampling: Some(SamplingCapability::default()),
        roots: Some(RootsCapability::default()),
        ..ClientCapabilities::default()
    })
}

fn tool(name: &str) -> CallToolRequestParams {
    CallToolRequestParams::new(name)
}

fn accept_name(name: &str) -> InputAnswer {
    InputAnswer::Elicit(ElicitResult::accept(obj(json!({ "name": name }))))
}

fn sampled(text: &str) -> InputAnswer {
    let r: CreateMessageResult = serde_json::from_value(json!({
        "role": "assistant", "content": {"type": "text", "text": text}, "model": "test-model"
    }))
    .unwrap();
    InputAnswer::Sample(r)
}

fn roots() -> InputAnswer {
    InputAnswer::Roots(ListRootsResult::new(vec![
        Root::new("file:///work"),
        Root::new("file:///tmp"),
    ]))
}

fn eras() -> [(&'static str, ServerConfig); 2] {
    [
        ("legacy", ServerConfig::legacy()),
        ("modern", ServerConfig::modern()),
    ]
}

#[test]
fn elicitation_sampling_and_roots_are_one_event_and_one_answer_in_both_eras() {
    for (era, server) in eras() {
        let mut pair = ready(answering(), server);
        let now = pair.now;
        let name = pair
            .client
            .request::<CallTool>(now, &tool("ask_name"), RequestOptions::default())
            .unwrap();
        let sample = pair
            .client
            .request::<CallTool>(now, &tool("sample"), RequestOptions::default())
            .unwrap();
        let root = pair
            .client
            .request::<CallTool>(now, &tool("roots"), RequestOptions::default())
            .unwrap();
        pair.drive();
        let asked = inputs(pair.events());
        assert_eq!(asked.len(), 3, "{era}");
        for n in &asked {
            // Legacy requests are not tied to a call; modern ones are.
            assert_eq!(n.call.is_some(), era == "modern", "{era}");
            let answer = match &n.request {
                InputRequest::Elicit(ElicitRequestParams::Form(f)) => {
                    assert_eq!(f.message, "What is your name?");
                    accept_name("Ada")
                }
                InputRequest::Sample(_) => sampled("4"),
                InputRequest::ListRoots(_) => roots(),
                other => panic!("{other:?}"),
            };
            pair.client.provide_input(pair.now, n.id, answer).unwrap();
        }
        pair.drive();
        assert_eq!(
            tool_text(&outcome(pair.events(), name).unwrap()),
            "hello Ada",
            "{era}"
        );
        assert_eq!(
            tool_text(&outcome(pair.events(), sample).unwrap()),
            "model said 4",
            "{era}"
        );
        assert_eq!(
            tool_text(&outcome(pair.events(), root).unwrap()),
            "2 roots",
            "{era}"
        );
        assert_eq!(pair.client.pending_inputs(), 0);
    }
}

#[test]
fn a_legacy_answer_is_a_json_rpc_response_to_the_servers_id() {
    let mut pair = ready(answering(), ServerConfig::legacy());
    pair.call_tool("ask_name", json!(null));
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    pair.client
        .provide_input(pair.now, n.id, accept_name("Bo"))
        .unwrap();
    pair.drive();
    let response = pair
        .server
        .received()
        .iter()
        .find(|m| m["id"] == "s1")
        .expect("a response to s1")
        .clone();
    assert_eq!(
        response,
        json!({"jsonrpc":"2.0","id":"s1","result":{"action":"accept","content":{"name":"Bo"}}})
    );
}

#[test]
fn a_modern_answer_retries_the_call_with_a_new_id_responses_and_the_state() {
    let mut pair = ready(answering(), ServerConfig::modern());
    let params = tool("ask_name").with_arguments(obj(json!({"greeting": "hi"})));
    let id = pair.call_tool_with(&params, RequestOptions::default());
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    assert_eq!(n.call, Some(id));
    pair.client
        .provide_input(pair.now, n.id, accept_name("Cy"))
        .unwrap();
    pair.drive();
    let calls = sent(&pair, "tools/call");
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    let retry = &calls[1]["params"];
    assert_eq!(retry["name"], "ask_name");
    assert_eq!(retry["arguments"], json!({"greeting": "hi"}));
    assert_eq!(
        retry["inputResponses"],
        json!({"q": {"action": "accept", "content": {"name": "Cy"}}})
    );
    assert_eq!(retry["requestState"], "st-1");
    assert_eq!(
        retry["_meta"]["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    assert_eq!(tool_text(&outcome(pair.events(), id).unwrap()), "hello Cy");
}

#[test]
fn several_rounds_are_followed_to_the_end() {
    let mut pair = ready(answering(), ServerConfig::modern());
    let id = pair.call_tool("two_rounds", json!(null));
    pair.drive();
    let first = inputs(pair.take_events().as_slice()).remove(0);
    assert!(matches!(first.request, InputRequest::Elicit(_)));
    pair.client
        .provide_input(pair.now, first.id, accept_name("Di"))
        .unwrap();
    pair.drive();
    let second = inputs(pair.events()).remove(0);
    assert!(matches!(second.request, InputRequest::Sample(_)));
    assert_ne!(first.id, second.id);
    pair.client
        .provide_input(pair.now, second.id, sampled("yes"))
        .unwrap();
    pair.drive();
    assert_eq!(
        tool_text(&outcome(pair.events(), id).unwrap()),
        "hello Di / model said yes"
    );
    let states: Vec<Value> = sent(&pair, "tools/call")
        .iter()
        .map(|m| m["params"]["requestState"].clone())
        .collect();
    assert_eq!(
        states,
        [Value::Null, json!("round-1"), json!("round-2:hello Di")]
    );
}

#[test]
fn state_without_requests_is_retried_at_once_without_responses() {
    let mut pair = ready(answering(), ServerConfig::modern());
    let id = pair.call_tool("state_only", json!(null));
    pair.drive();
    assert!(inputs(pair.events()).is_empty());
    let retry = &sent(&pair, "tools/call")[1]["params"];
    assert_eq!(retry["requestState"], "opaque-1");
    assert!(retry.get("inputResponses").is_none());
    assert_eq!(
        tool_text(&outcome(pair.events(), id).unwrap()),
        "state was opaque-1"
    );
}

#[test]
fn input_fields_never_leak_into_other_calls() {
    let mut pair = ready(answering(), ServerConfig::modern());
    let asking = pair.call_tool("ask_name", json!(null));
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    let between = pair.call_tool("echo", json!(null));
    pair.client
        .provide_input(pair.now, n.id, accept_name("Ed"))
        .unwrap();
    let after = pair.call_tool("echo", json!(null));
    pair.drive();
    for m in sent(&pair, "tools/call")
        .iter()
        .filter(|m| m["params"]["name"] == "echo")
    {
        assert!(
            m["params"].get("inputResponses").is_none()
                && m["params"].get("requestState").is_none(),
            "{m}"
        );
    }
    for c in [asking, between, after] {
        assert!(outcome(pair.events(), c).is_ok());
    }
}

#[test]
fn without_a_declared_capability_the_core_refuses_by_itself() {
    // Legacy: the spec's error responses, and the application never hears of it.
    let mut pair = ready(Config::default(), ServerConfig::legacy());
    for t in ["ask_name", "sample", "roots"] {
        pair.client
            .request::<CallTool>(pair.now, &tool(t), RequestOptions::default())
            .unwrap();
    }
    pair.drive();
    assert!(inputs(pair.events()).is_empty());
    let answers: Vec<i64> = pair
        .server
        .received()
        .iter()
        .filter(|m| m["id"].is_string())
        .map(|m| m["error"]["code"].as_i64().unwrap())
        .collect();
    assert_eq!(answers, [-32601, -32601, -32601]);
    assert_eq!(
        pair.client.pending_calls(),
        0,
        "every call got the server's answer"
    );

    // Modern: an elicitation is declined and retried; sampling and roots end the call.
    let mut pair = ready(Config::default(), ServerConfig::modern());
    let name = pair.call_tool("ask_name", json!(null));
    let sample = pair.call_tool("sample", json!(null));
    pair.drive();
    assert!(inputs(pair.events()).is_empty());
    assert_eq!(
        tool_text(&outcome(pair.events(), name).unwrap()),
        "no name (decline)"
    );
    assert!(matches!(
        outcome(pair.events(), sample),
        Err(RequestError::InputRefused {
            method: "sampling/createMessage",
            ..
        })
    ));
}

#[test]
fn refusals_take_the_form_each_era_and_kind_needs() {
    let mut pair = ready(answering(), ServerConfig::legacy());
    for t in ["ask_name", "sample", "roots"] {
        pair.client
            .request::<CallTool>(pair.now, &tool(t), RequestOptions::default())
            .unwrap();
    }
    pair.drive();
    for n in inputs(pair.events()) {
        pair.client
            .provide_input(pair.now, n.id, InputAnswer::Refuse { reason: None })
            .unwrap();
    }
    pair.drive();
    let answers: Vec<Value> = pair
        .server
        .received()
        .iter()
        .filter(|m| m["id"].is_string())
        .cloned()
        .collect();
    assert_eq!(answers[0]["result"], json!({"action": "decline"}));
    assert_eq!(
        answers[1]["error"],
        json!({"code": -1, "message": "User rejected sampling request"})
    );
    assert_eq!(
        answers[2]["error"],
        json!({"code": -1, "message": "User rejected roots request"})
    );

    let mut pair = ready(answering(), ServerConfig::modern());
    let name = pair.call_tool("ask_name", json!(null));
    let root = pair.call_tool("roots", json!(null));
    pair.drive();
    for n in inputs(pair.events()) {
        pair.client
            .provide_input(
                pair.now,
                n.id,
                InputAnswer::Refuse {
                    reason: Some("no".into()),
                },
            )
            .unwrap();
    }
    pair.drive();
    assert_eq!(
        tool_text(&outcome(pair.events(), name).unwrap()),
        "no name (decline)"
    );
    assert_eq!(
        outcome(pair.events(), root),
        Err(RequestError::InputRefused {
            method: "roots/list",
            detail: "no".into()
        })
    );
}

#[test]
fn an_answer_of_the_wrong_kind_or_for_nothing_is_a_usage_error() {
    let mut pair = ready(answering(), ServerConfig::legacy());
    pair.call_tool("ask_name", json!(null));
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    assert_eq!(
        pair.client.provide_input(pair.now, n.id, roots()),
        Err(UsageError::InputMismatch {
            input: n.id,
            expected: "elicitation/create",
            got: "a roots list"
        })
    );
    pair.client
        .provide_input(pair.now, n.id, accept_name("Fa"))
        .unwrap();
    assert_eq!(
        pair.client.provide_input(pair.now, n.id, accept_name("Fa")),
        Err(UsageError::UnknownInput(n.id))
    );
}

#[test]
fn waiting_for_the_application_does_not_count_against_the_timeout() {
    let mut pair = ready(answering(), ServerConfig::modern());
    let id = pair.call_tool("ask_name", json!(null));
    pair.drive();
    pair.advance(Duration::from_secs(300));
    assert!(!ended(pair.events(), id));
    let n = inputs(pair.events()).remove(0);
    pair.client
        .provide_input(pair.now, n.id, accept_name("Gus"))
        .unwrap();
    pair.drive();
    assert_eq!(tool_text(&outcome(pair.events(), id).unwrap()), "hello Gus");
}

#[test]
fn an_unanswered_input_request_is_refused_after_the_input_timeout() {
    let cfg = Config {
        input_timeout: Duration::from_secs(30),
        request_timeout: Duration::from_secs(3600),
        ..answering()
    };
    let mut pair = ready(cfg, ServerConfig::legacy());
    let id = pair.call_tool("sample", json!(null));
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    pair.advance(Duration::from_secs(30));
    assert!(pair
        .events()
        .iter()
        .any(|e| matches!(e, Event::InputWithdrawn { input, .. } if *input == n.id)));
    let refusal = pair
        .server
        .received()
        .iter()
        .find(|m| m["id"] == "s1")
        .unwrap()
        .clone();
    assert_eq!(refusal["error"]["code"], -1);
    assert!(tool_text(&outcome(pair.events(), id).unwrap()).starts_with("refused"));
    assert_eq!(
        pair.client.provide_input(pair.now, n.id, sampled("late")),
        Err(UsageError::UnknownInput(n.id))
    );
}

#[test]
fn a_server_cancelling_its_request_withdraws_it() {
    let mut raw = Raw::new(answering());
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.feed(r#"{"jsonrpc":"2.0","id":"e1","method":"elicitation/create","params":{"message":"Name?","requestedSchema":{"type":"object","properties":{}}}}"#);
    let n = inputs(&raw.take_events()).remove(0);
    raw.feed(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"e1","reason":"no longer needed"}}"#);
    assert!(matches!(
        raw.events.as_slice(),
        [Event::InputWithdrawn { input, reason }] if *input == n.id && reason.contains("no longer needed")
    ));
    let written = raw.written.len();
    assert_eq!(
        raw.client.provide_input(raw.now, n.id, accept_name("x")),
        Err(UsageError::UnknownInput(n.id))
    );
    raw.drain();
    assert_eq!(
        raw.written.len(),
        written,
        "nothing answers a cancelled request"
    );
}

#[test]
fn cancelling_a_call_that_waits_for_input_withdraws_the_input() {
    let mut pair = ready(answering(), ServerConfig::modern());
    let id = pair.call_tool("ask_name", json!(null));
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    let before = pair.server.received().len();
    assert!(pair.client.cancel(pair.now, id, None));
    pair.drive();
    assert!(pair
        .events()
        .iter()
        .any(|e| matches!(e, Event::InputWithdrawn { input, .. } if *input == n.id)));
    assert_eq!(
        outcome(pair.events(), id),
        Err(RequestError::Cancelled { reason: None })
    );
    assert_eq!(
        pair.server.received().len(),
        before,
        "no request was out, so nothing to cancel on the wire"
    );
}

#[test]
fn a_server_that_never_stops_asking_is_cut_off() {
    let mut raw = Raw::new(Config {
        max_input_rounds: 3,
        ..answering()
    });
    raw.modern_handshake(json!({"tools": {}}));
    let id = raw
        .client
        .request::<CallTool>(raw.now, &tool("x"), RequestOptions::default())
        .unwrap();
    raw.drain();
    for _ in 0..4 {
        let wire = raw.last_id();
        raw.feed_json(json!({"jsonrpc":"2.0","id":wire,"result":{"resultType":"input_required","requestState":"again"}}));
    }
    assert_eq!(
        outcome(&raw.events, id),
        Err(RequestError::TooManyInputRounds { rounds: 3 })
    );
    assert_eq!(
        raw.written
            .iter()
            .filter(|m| m["method"] == "tools/call")
            .count(),
        4
    );
}

#[test]
fn result_types_are_checked() {
    let mut raw = Raw::new(answering());
    raw.modern_handshake(json!({"tools": {}}));
    let mut ask = |result: Value, method: &str| {
        let id = raw
            .client
            .request_raw(
                raw.now,
                method,
                obj(json!({"name": "t"})),
                RequestOptions::default(),
            )
            .unwrap();
        raw.drain();
        let wire = raw.last_id();
        raw.feed_json(json!({"jsonrpc":"2.0","id":wire,"result":result}));
        outcome(&raw.events, id)
    };
    assert!(
        ask(json!({"content": []}), "tools/call").is_ok(),
        "no resultType means complete"
    );
    assert!(matches!(
        ask(
            json!({"resultType": "input_required", "requestState": "s"}),
            "tools/list"
        ),
        Err(RequestError::InvalidResponse { .. })
    ));
    assert!(matches!(
        ask(json!({"resultType": "stream", "content": []}), "tools/call"),
        Err(RequestError::InvalidResponse { .. })
    ));
    assert!(matches!(
        ask(json!({"resultType": "task"}), "tools/call"),
        Err(RequestError::InvalidResponse { .. })
    ));
    assert!(matches!(
        ask(json!({"resultType": "input_required"}), "tools/call"),
        Err(RequestError::InvalidResponse { .. })
    ));
    assert!(matches!(
        ask(json!({"resultType": "input_required", "inputRequests": {"k": {"method": "weird/thing"}}}), "tools/call"),
        Err(RequestError::InvalidResponse { detail, .. }) if detail.contains("weird/thing")
    ));
}

#[test]
fn url_elicitation_errors_ask_for_consent_then_retry() {
    let cfg = Config::default().with_capabilities(ClientCapabilities {
        elicitation: Some(ElicitationCapability {
            url: Some(Default::default()),
            form: Some(Default::default()),
            ..Default::default()
        }),
        ..ClientCapabilities::default()
    });
    let url_error = |id: i64| {
        json!({"jsonrpc":"2.0","id":id,"error":{"code":-32042,"message":"authorization needed","data":{"elicitations":[
            {"mode":"url","elicitationId":"el-1","url":"https://example.com/auth","message":"Please sign in"}]}}})
    };
    for consent in [true, false] {
        let mut raw = Raw::new(cfg.clone());
        raw.legacy_handshake("2025-11-25", json!({"tools": {}}));
        let id = raw
            .client
            .request::<CallTool>(raw.now, &tool("t"), RequestOptions::default())
            .unwrap();
        raw.drain();
        let first = raw.last_id();
        raw.feed_json(url_error(first));
        let n = inputs(&raw.events).remove(0);
        assert_eq!(n.call, Some(id));
        match &n.request {
            InputRequest::Elicit(ElicitRequestParams::Url(u)) => {
                assert_eq!(u.url, "https://example.com/auth");
                assert_eq!(u.elicitation_id.as_deref(), Some("el-1"));
            }
            other => panic!("{other:?}"),
        }
        let answer = if consent {
            ElicitResult::accept_url()
        } else {
            ElicitResult::decline()
        };
        raw.client
            .provide_input(raw.now, n.id, InputAnswer::Elicit(answer))
            .unwrap();
        raw.drain();
        if consent {
            let retry = raw.last_id();
            assert_ne!(retry, first);
            assert_eq!(raw.last()["params"], json!({"name": "t"}), "a plain retry");
            raw.feed_json(json!({"jsonrpc":"2.0","id":retry,"result":{"content":[{"type":"text","text":"ok"}]}}));
            assert_eq!(tool_text(&outcome(&raw.events, id).unwrap()), "ok");
        } else {
            assert!(
                matches!(outcome(&raw.events, id), Err(RequestError::Server(e)) if e.code == -32042)
            );
        }
    }
    // Without URL mode declared, the error is the answer.
    let mut raw = Raw::new(answering());
    raw.legacy_handshake("2025-11-25", json!({"tools": {}}));
    let id = raw
        .client
        .request::<CallTool>(raw.now, &tool("t"), RequestOptions::default())
        .unwrap();
    raw.drain();
    let wire = raw.last_id();
    raw.feed_json(url_error(wire));
    assert!(inputs(&raw.events).is_empty());
    assert!(matches!(outcome(&raw.events, id), Err(RequestError::Server(e)) if e.code == -32042));
}

#[test]
fn undeclared_elicitation_modes_and_sampling_tools_are_refused_with_invalid_params() {
    let mut raw = Raw::new(answering());
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.feed(r#"{"jsonrpc":"2.0","id":1,"method":"elicitation/create","params":{"mode":"url","elicitationId":"e","url":"https://x","message":"m"}}"#);
    assert_eq!(raw.last()["error"]["code"], -32602);
    raw.feed(r#"{"jsonrpc":"2.0","id":2,"method":"sampling/createMessage","params":{"messages":[],"maxTokens":5,"tools":[{"name":"t","inputSchema":{"type":"object"}}]}}"#);
    assert_eq!(raw.last()["error"]["code"], -32602);
    raw.feed(r#"{"jsonrpc":"2.0","id":3,"method":"sampling/createMessage","params":{"messages":"not a list"}}"#);
    assert_eq!(raw.last()["error"]["code"], -32602);
    assert!(inputs(&raw.events).is_empty());
}

#[test]
fn too_many_waiting_input_requests_are_refused_as_busy() {
    let cfg = Config {
        limits: Limits {
            max_pending_inputs: 1,
            ..Limits::default()
        },
        ..answering()
    };
    let mut raw = Raw::new(cfg);
    raw.legacy_handshake("2025-11-25", json!({}));
    raw.feed(r#"{"jsonrpc":"2.0","id":"a","method":"roots/list"}"#);
    raw.feed(r#"{"jsonrpc":"2.0","id":"b","method":"roots/list"}"#);
    assert_eq!(inputs(&raw.events).len(), 1);
    assert_eq!(raw.last()["id"], "b");
    assert_eq!(raw.last()["error"]["code"], -32603);
}

#[test]
fn a_modern_server_may_not_send_requests() {
    let mut raw = Raw::new(answering());
    raw.modern_handshake(json!({}));
    let before = raw.written.len();
    raw.feed(r#"{"jsonrpc":"2.0","id":1,"method":"roots/list"}"#);
    assert_eq!(
        raw.written.len(),
        before,
        "the client never writes responses in the modern era"
    );
    assert!(
        matches!(raw.events.as_slice(), [Event::Violation(v)] if v.kind == ViolationKind::UnexpectedRequest)
    );
}

#[test]
fn sampling_results_keep_their_content_blocks() {
    let mut pair = ready(answering(), ServerConfig::modern());
    pair.call_tool("sample", json!(null));
    pair.drive();
    let n = inputs(pair.events()).remove(0);
    let InputRequest::Sample(p) = &n.request else {
        panic!()
    };
    assert_eq!(p.max_tokens, 10);
    assert!(matches!(
        p.messages[0].content.as_slice().first(),
        Some(mcp_proto::model::SamplingContent::Text(_))
    ));
}
