//! The public API as a new user meets it, on both adapters against the
//! bundled demo server as a child process, in each era: the handshake
//! result as received, the raw wire tap, callbacks attributed to their
//! calls and ordered before the calls return, input handlers told the call
//! and the way the request came, exactly the declared capabilities on the
//! wire, and a method outside the negotiated revision on request.

use std::sync::{Arc, Mutex};

use mcp_blocking::mcp_proto::api::CallOptions;
use mcp_blocking::mcp_proto::handler::{InputHandlers, NotificationHandler};
use mcp_blocking::mcp_proto::methods::CallTool;
use mcp_blocking::mcp_proto::model::{
    CallToolRequestParams, ClientCapabilities, ElicitResult, ElicitationCapability, JsonObject,
    ProgressNotificationParams,
};
use mcp_blocking::mcp_proto::{
    Call, CallId, Config, Direction, Era, HandshakeResult, InputVia, RequestError, RequestOptions,
    WireRecord,
};
use mcp_blocking::prelude::{Error, Operations, ServerCommand};
use mcp_switch::{Adapter, Client};
use serde_json::{json, Value};

mcp_tests::on_both_adapters!(
    the_handshake_result_is_there_as_the_server_sent_it,
    the_raw_wire_tap_shows_every_frame_whole_and_unredacted,
    input_handlers_are_told_the_call_and_the_way_the_request_came,
    the_capabilities_on_the_wire_are_exactly_the_declared_ones,
    a_method_the_revision_lacks_is_sent_only_when_asked,
);

/// The demo server speaking one era.
fn demo(era: Era) -> ServerCommand {
    let flag = match era {
        Era::Legacy => "--legacy-only",
        Era::Modern => "--modern-only",
    };
    ServerCommand::new(mcp_tests::demo_server()).arg(flag)
}

const ERAS: [Era; 2] = [Era::Legacy, Era::Modern];

fn the_handshake_result_is_there_as_the_server_sent_it(adapter: Adapter) {
    for era in ERAS {
        let client = Client::builder(adapter).spawn(&demo(era)).unwrap();
        let handshake = client.handshake().expect("ready");
        assert_eq!(client.ready().unwrap().handshake, handshake);
        let raw: Value = serde_json::from_str(handshake.raw().unwrap().get()).unwrap();
        match era {
            Era::Legacy => {
                assert!(matches!(handshake, HandshakeResult::Initialize(_)));
                let typed = handshake.initialize().unwrap();
                assert_eq!(typed.server_info.name, "mcp-demo");
                assert_eq!(raw["protocolVersion"], json!(typed.protocol_version));
            }
            Era::Modern => {
                assert_eq!(handshake.method(), "server/discover");
                // What `Ready` has no field for.
                assert!(raw["supportedVersions"].is_array(), "{raw}");
                assert!(raw.get("ttlMs").is_some(), "{raw}");
                assert!(raw["_meta"].is_object(), "{raw}");
                let typed = handshake.discover().unwrap();
                assert!(typed.supported_versions.contains(&"2026-07-28".to_owned()));
            }
        }
        client.close();
    }
}

/// Keeps the wire records.
#[derive(Default)]
struct Wire(Mutex<Vec<WireRecord>>);

impl NotificationHandler for Wire {
    fn wire(&self, record: &WireRecord) {
        self.0.lock().unwrap().push(record.clone());
    }
}

fn the_raw_wire_tap_shows_every_frame_whole_and_unredacted(adapter: Adapter) {
    let secret = "hunter2-do-not-log";
    let long = "x".repeat(100_000);
    for raw in [false, true] {
        let wire = Arc::new(Wire::default());
        let config = if raw {
            Config::default().with_raw_wire_tap()
        } else {
            Config::default().with_wire_tap(true)
        };
        let client = Client::builder(adapter)
            .config(config)
            .notification_handler(wire.clone())
            .spawn(&demo(Era::Legacy))
            .unwrap();
        // The tap's record of `notifications/initialized` has reached the
        // handler by the time the client is handed over.
        assert!(
            wire.0
                .lock()
                .unwrap()
                .iter()
                .any(|r| r.direction == Direction::Out
                    && r.text.contains("notifications/initialized"))
        );
        client
            .call_tool("echo", json!({"text": long, "password": secret}))
            .unwrap();
        let records = wire.0.lock().unwrap().clone();
        let sent = records
            .iter()
            .find(|r| r.direction == Direction::Out && r.text.contains("tools/call"))
            .expect("the call's frame");
        if raw {
            assert!(sent.text.contains(secret), "the raw tap redacts nothing");
            assert_eq!(sent.text.len(), sent.len, "nor shortens anything");
        } else {
            assert!(!sent.text.contains(secret), "the default tap redacts");
            assert!(sent.text.len() < sent.len, "and shortens");
        }
        client.close();
    }
}

/// What one input request was told.
#[derive(Debug, Clone)]
struct Asked {
    call: Option<CallId>,
    call_method: Option<String>,
    via: InputVia,
}

/// Progress reports, by call.
#[derive(Default)]
struct Progress(Mutex<Vec<(CallId, f64)>>);

impl NotificationHandler for Progress {
    fn progress(&self, call: CallId, p: &ProgressNotificationParams) {
        self.0
            .lock()
            .unwrap()
            .push((call, p.progress.as_f64().unwrap_or(-1.0)));
    }
}

fn call_tool(name: &str, args: Value) -> Call {
    let params = CallToolRequestParams::new(name)
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    Call::request::<CallTool>(&params).unwrap()
}

fn input_handlers_are_told_the_call_and_the_way_the_request_came(adapter: Adapter) {
    for era in ERAS {
        let asked = Arc::new(Mutex::new(Vec::<Asked>::new()));
        let log = asked.clone();
        let handlers = InputHandlers::new().on_elicit_with_context(move |_, input| {
            log.lock().unwrap().push(Asked {
                call: input.call,
                call_method: input.call_method.clone(),
                via: input.via.clone(),
            });
            ElicitResult::decline()
        });
        let progress = Arc::new(Progress::default());
        let client = Client::builder(adapter)
            .input_handler(handlers)
            .notification_handler(progress.clone())
            .spawn(&demo(era))
            .unwrap();
        // Two calls in flight: each callback names its own.
        let slow = client
            .start(
                call_tool("slow", json!({"steps": 3})),
                CallOptions {
                    request: RequestOptions::default().with_progress(),
                    ..CallOptions::default()
                },
            )
            .unwrap();
        let ask = client
            .start(call_tool("ask_name", json!({})), CallOptions::default())
            .unwrap();
        let (slow_id, ask_id) = (slow.id(), ask.id());
        assert_ne!(slow_id, ask_id);
        slow.wait().unwrap();
        ask.wait().unwrap();
        // Every progress report is the slow call's, and all of them have
        // been heard by the time it returned.
        let reports = progress.0.lock().unwrap().clone();
        assert_eq!(reports.len(), 3, "{era:?}: {reports:?}");
        assert!(reports.iter().all(|(c, _)| *c == slow_id));
        let asked = asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 1, "{era:?}: {asked:?}");
        let a = &asked[0];
        match era {
            // Over stdio a legacy server's request names no call.
            Era::Legacy => {
                assert!(matches!(a.via, InputVia::ServerRequest { .. }), "{a:?}");
                assert_eq!(a.call, None);
            }
            Era::Modern => {
                assert_eq!(a.call, Some(ask_id), "{a:?}");
                assert_eq!(a.call_method.as_deref(), Some("tools/call"));
                assert!(
                    matches!(a.via, InputVia::InputRequired { round: 1, .. }),
                    "{a:?}"
                );
            }
        }
        client.close();
    }
}

/// The client capabilities of the first message the client sent that
/// carries them (`initialize`, or any modern request's `_meta`).
fn declared_on_the_wire(records: &[WireRecord]) -> Value {
    records
        .iter()
        .filter(|r| r.direction == Direction::Out)
        .filter_map(|r| serde_json::from_str::<Value>(&r.text).ok())
        .find_map(|m| {
            let legacy = m.pointer("/params/capabilities").cloned();
            let modern = m
                .pointer("/params/_meta/io.modelcontextprotocol~1clientCapabilities")
                .cloned();
            legacy.or(modern)
        })
        .expect("a frame that declares capabilities")
}

fn the_capabilities_on_the_wire_are_exactly_the_declared_ones(adapter: Adapter) {
    let handler = || {
        InputHandlers::new()
            .on_elicit(|_| ElicitResult::decline())
            .with_url_elicitation()
            .on_sample(|_| Err("no model here".into()))
            .on_roots(Vec::new)
    };
    let form_only = ClientCapabilities {
        elicitation: Some(ElicitationCapability {
            form: Some(JsonObject::new()),
            ..ElicitationCapability::default()
        }),
        ..ClientCapabilities::default()
    };
    let declared = |era: Era, config: Config| {
        let wire = Arc::new(Wire::default());
        let client = Client::builder(adapter)
            .config(config.with_raw_wire_tap())
            .input_handler(handler())
            .notification_handler(wire.clone())
            .spawn(&demo(era))
            .unwrap();
        client.list_tools().unwrap();
        client.close();
        let records = wire.0.lock().unwrap();
        declared_on_the_wire(&records)
    };
    for era in ERAS {
        // The configuration's declaration, exactly, though the handler
        // could answer more.
        let exact = declared(era, Config::default().with_capabilities(form_only.clone()));
        assert_eq!(exact, json!({"elicitation": {"form": {}}}), "{era:?}");
        // None of the three in the configuration: the handler's.
        let theirs = declared(era, Config::default());
        assert!(
            theirs["elicitation"]["url"].is_object(),
            "{era:?}: {theirs}"
        );
        assert!(theirs["sampling"].is_object(), "{era:?}: {theirs}");
        assert!(theirs.get("roots").is_some(), "{era:?}: {theirs}");
    }
}

fn a_method_the_revision_lacks_is_sent_only_when_asked(adapter: Adapter) {
    // `ping` does not exist at 2026-07-28.
    let client = Client::builder(adapter).spawn(&demo(Era::Modern)).unwrap();
    match client.request_raw("ping", JsonObject::new()) {
        Err(Error::Request(e)) => {
            assert!(matches!(*e, RequestError::NotInRevision { .. }), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // `ping()` speaks the era's way: `server/discover`.
    assert!(client.ping().is_ok());
    client.close();
    let config = Config {
        enforce_revision: false,
        ..Config::default()
    };
    let wire = Arc::new(Wire::default());
    let client = Client::builder(adapter)
        .config(config.with_wire_tap(true))
        .notification_handler(wire.clone())
        .spawn(&demo(Era::Modern))
        .unwrap();
    // Sent, and answered (the demo still knows `ping`).
    let answer = client.request_raw("ping", JsonObject::new());
    assert!(
        !matches!(&answer, Err(Error::Request(e)) if matches!(**e, RequestError::NotInRevision { .. })),
        "{answer:?}"
    );
    client.flush_callbacks();
    let sent_ping = wire.0.lock().unwrap().iter().any(|r| {
        r.direction == Direction::Out
            && serde_json::from_str::<Value>(&r.text).is_ok_and(|m| m["method"] == "ping")
    });
    assert!(sent_ping, "the ping went out");
    client.close();
}
