//! A model-based test of the client state machine: random sequences of
//! calls, cancels and clock moves run against the scripted server (in
//! memory, virtual time) and, side by side, against a small reference
//! model that says when each call must end and how. After every step the
//! client's answers and its count of pending calls must be the model's.
//!
//! The model knows the scripted server's tools: `echo` answers at once
//! with its text, `fail` with a tool error, `boom` with a JSON-RPC error,
//! `slow` after its step time, `never` not at all. A call ends with its
//! answer, or with `Timeout` at its deadline, or with `Cancelled` when
//! cancelled while pending: whichever comes first.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mcp_proto::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use mcp_proto::testing::{Pair, ServerConfig};
use mcp_proto::{CallId, Config, Event, RequestError, RequestOptions};
use proptest::prelude::*;
use serde_json::json;

/// What a step does.
#[derive(Debug, Clone)]
enum Step {
    /// Calls `echo` with a fresh text.
    Echo,
    /// Calls `fail`.
    Fail,
    /// Calls `boom`.
    Boom,
    /// Calls `slow` (one step of `ms`), with a call timeout of `timeout_ms`.
    Slow { ms: u64, timeout_ms: u64 },
    /// Calls `never`, with a call timeout of `timeout_ms`.
    Never { timeout_ms: u64 },
    /// Cancels the `nth` (modulo) call the model has pending.
    Cancel { nth: usize },
    /// Moves the clock.
    Advance { ms: u64 },
}

fn step() -> impl Strategy<Value = Step> {
    // Deadlines and answer times sit on a 10 ms grid offset by 5 ms from
    // each other, so no answer and deadline fall on the same instant.
    prop_oneof![
        3 => Just(Step::Echo),
        1 => Just(Step::Fail),
        1 => Just(Step::Boom),
        2 => (1u64..150, 1u64..150).prop_map(|(a, b)| Step::Slow { ms: a * 10, timeout_ms: b * 10 + 5 }),
        1 => (1u64..150).prop_map(|t| Step::Never { timeout_ms: t * 10 + 5 }),
        2 => any::<usize>().prop_map(|nth| Step::Cancel { nth }),
        3 => (0u64..200).prop_map(|t| Step::Advance { ms: t * 10 }),
    ]
}

/// How the model expects a call to end.
#[derive(Debug, Clone, PartialEq)]
enum End {
    Text(String),
    ToolError,
    ServerError,
    Timeout,
    Cancelled,
}

/// A call the model has pending: its answer, if one will come, and when;
/// its deadline.
#[derive(Debug, Clone)]
struct Pending {
    answer: Option<(Instant, End)>,
    deadline: Option<Instant>,
}

impl Pending {
    /// How it ends if nothing happens before `now`, and whether by `now`.
    fn due(&self, now: Instant) -> Option<End> {
        let answer = self.answer.as_ref().filter(|(at, _)| *at <= now);
        let timed_out = self.deadline.filter(|d| *d <= now);
        match (answer, timed_out) {
            (Some((at, end)), Some(d)) => Some(if *at < d { end.clone() } else { End::Timeout }),
            (Some((_, end)), None) => Some(end.clone()),
            (None, Some(_)) => Some(End::Timeout),
            (None, None) => None,
        }
    }
}

fn observed(result: &Result<mcp_proto::Reply, RequestError>) -> End {
    match result {
        Ok(reply) => {
            let r: CallToolResult = reply.decode().expect("a CallToolResult");
            if r.is_error == Some(true) {
                return End::ToolError;
            }
            match &r.content[0] {
                ContentBlock::Text(t) => End::Text(t.text.clone()),
                other => panic!("unexpected content {other:?}"),
            }
        }
        Err(RequestError::Server(_)) => End::ServerError,
        Err(RequestError::Timeout { .. }) => End::Timeout,
        Err(RequestError::Cancelled { .. }) => End::Cancelled,
        Err(other) => panic!("an end the model does not know: {other}"),
    }
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let mut pair = Pair::new(Config::default(), ServerConfig::legacy(), start);
    pair.drive();
    pair.take_events();
    let mut model: BTreeMap<CallId, Pending> = BTreeMap::new();
    let mut texts = 0u32;

    let call = |pair: &mut Pair, name: &str, args: serde_json::Value, timeout_ms: Option<u64>| {
        let params = CallToolRequestParams::new(name)
            .with_arguments(args.as_object().cloned().unwrap_or_default());
        let opts = RequestOptions {
            timeout: Some(Duration::from_millis(timeout_ms.unwrap_or(3_600_000))),
            ..RequestOptions::default()
        };
        pair.call_tool_with(&params, opts)
    };

    for step in steps {
        let now = pair.now;
        match step {
            Step::Echo => {
                texts += 1;
                let text = format!("t{texts}");
                let id = call(&mut pair, "echo", json!({ "text": text }), None);
                model.insert(
                    id,
                    Pending {
                        answer: Some((now, End::Text(text))),
                        deadline: None,
                    },
                );
            }
            Step::Fail => {
                let id = call(&mut pair, "fail", json!({}), None);
                model.insert(
                    id,
                    Pending {
                        answer: Some((now, End::ToolError)),
                        deadline: None,
                    },
                );
            }
            Step::Boom => {
                let id = call(&mut pair, "boom", json!({}), None);
                model.insert(
                    id,
                    Pending {
                        answer: Some((now, End::ServerError)),
                        deadline: None,
                    },
                );
            }
            Step::Slow { ms, timeout_ms } => {
                let id = call(
                    &mut pair,
                    "slow",
                    json!({"steps": 1, "step_ms": ms}),
                    Some(*timeout_ms),
                );
                let answer = (
                    now + Duration::from_millis(*ms),
                    End::Text("done after 1 steps".into()),
                );
                let deadline = now + Duration::from_millis(*timeout_ms);
                model.insert(
                    id,
                    Pending {
                        answer: Some(answer),
                        deadline: Some(deadline),
                    },
                );
            }
            Step::Never { timeout_ms } => {
                let id = call(&mut pair, "never", json!({}), Some(*timeout_ms));
                let deadline = now + Duration::from_millis(*timeout_ms);
                model.insert(
                    id,
                    Pending {
                        answer: None,
                        deadline: Some(deadline),
                    },
                );
            }
            Step::Cancel { nth } => {
                if model.is_empty() {
                    continue;
                }
                let id = *model.keys().nth(nth % model.len()).expect("in range");
                prop_assert!(pair.client.cancel(now, id, None), "{id} was pending");
                model.insert(
                    id,
                    Pending {
                        answer: Some((now, End::Cancelled)),
                        deadline: None,
                    },
                );
            }
            Step::Advance { ms } => pair.advance(Duration::from_millis(*ms)),
        }
        pair.drive();
        check(&mut pair, &mut model, step)?;
    }
    // Everything ends by itself: the longest deadline is a few seconds.
    pair.advance(Duration::from_secs(10));
    check(&mut pair, &mut model, &Step::Advance { ms: 10_000 })?;
    prop_assert!(model.is_empty(), "the model still waits for {model:?}");
    Ok(())
}

/// The client's answers since the last step must be exactly the calls the
/// model says are due, each ended the way the model says.
fn check(
    pair: &mut Pair,
    model: &mut BTreeMap<CallId, Pending>,
    step: &Step,
) -> Result<(), TestCaseError> {
    let now = pair.now;
    for e in pair.take_events() {
        if let Event::Response { call, result } = e {
            let Some(p) = model.remove(&call) else {
                return Err(TestCaseError::fail(format!(
                    "{call} ended, but the model had it ended or unknown"
                )));
            };
            let want = p.due(now);
            prop_assert_eq!(Some(observed(&result)), want, "{} after {:?}", call, step);
        }
    }
    let overdue: Vec<_> = model
        .iter()
        .filter(|(_, p)| p.due(now).is_some())
        .map(|(c, _)| *c)
        .collect();
    prop_assert!(
        overdue.is_empty(),
        "due but not ended after {:?}: {:?}",
        step,
        overdue
    );
    prop_assert_eq!(pair.client.pending_calls(), model.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_client_ends_every_call_as_the_model_says(steps in prop::collection::vec(step(), 1..40)) {
        run(&steps)?;
    }
}
