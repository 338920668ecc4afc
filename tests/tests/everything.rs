//! Both adapters against the real `@modelcontextprotocol/server-everything`
//! (pinned in tests/js), over stdio: every feature it offers, and its
//! server-to-client requests answered through the callbacks. Each test runs
//! once per adapter (`mcp_switch`).

use std::collections::BTreeMap;
use std::time::Duration;

use mcp_blocking::mcp_proto::model::LoggingLevel;
use mcp_blocking::mcp_proto::{Era, ProtocolVersion};
use mcp_blocking::prelude::{Error, Notification, Operations};
use mcp_switch::{Adapter, Client};
use mcp_tests::everything_walk::{self as walk, Notes};
use mcp_tests::{eventually, everything, group_gone, process_gone};

#[test]
fn every_feature_of_server_everything_blocking() {
    every_feature_of_server_everything(Adapter::Blocking);
}

#[test]
fn every_feature_of_server_everything_smol() {
    every_feature_of_server_everything(Adapter::Smol);
}

fn every_feature_of_server_everything(adapter: Adapter) {
    let (handlers, seen, roots_asked) = walk::handlers();
    let (notes, notes_rx, violations) = Notes::new();
    let client = Client::builder(adapter)
        .input_handler(handlers)
        .notification_handler(notes)
        .spawn(&everything())
        .expect("server-everything starts");
    let pid = client.pid().expect("a spawned server has a pid");

    // Handshake: a legacy server, found by the probe.
    assert_eq!(client.era(), Some(Era::Legacy));
    assert_eq!(client.version(), Some(ProtocolVersion::V2025_11_25));
    assert_eq!(client.http_transport(), None);
    assert_eq!(client.server_info().unwrap().name, "mcp-servers/everything");
    let caps = client.capabilities().unwrap();
    assert!(
        caps.tools.is_some()
            && caps.prompts.is_some()
            && caps.logging.is_some()
            && caps.completions.is_some()
    );
    client.ping().expect("ping");

    walk::tools(&client);
    walk::progress(&client);
    walk::server_requests(&client, &seen);
    let resources = walk::resources(&client);
    walk::subscription(&client, &notes_rx, &resources[0].uri);

    // Logging at the level set.
    client.set_log_level(LoggingLevel::Debug).unwrap();
    client.call_tool("toggle-simulated-logging", ()).unwrap();
    assert!(
        walk::wait_note(&notes_rx, |n| matches!(n, Notification::Log(_))),
        "no log message"
    );
    client.call_tool("toggle-simulated-logging", ()).unwrap();

    walk::prompts_and_completion(&client);
    walk::roots_changed(&client, &roots_asked);
    walk::many_threads(&client, 8, 25);
    assert!(
        violations.lock().unwrap().is_empty(),
        "{:#?}",
        violations.lock().unwrap()
    );

    // A clean close: the server exits, nothing is left behind.
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(closed.exit.is_some(), "{closed:?}");
    assert!(
        eventually(Duration::from_secs(5), || process_gone(pid)),
        "server {pid} still there"
    );
    assert!(
        group_gone(pid),
        "something is left in the server's process group"
    );
    assert!(
        matches!(client.ping(), Err(Error::Closed(_))),
        "calls after close fail clearly"
    );
}

#[test]
fn without_handlers_server_requests_are_refused_and_the_tools_hidden() {
    for adapter in Adapter::ALL {
        without_handlers(adapter);
    }
}

fn without_handlers(adapter: Adapter) {
    let client = Client::builder(adapter).spawn(&everything()).unwrap();
    let names: Vec<String> = client
        .list_tools()
        .unwrap()
        .tools
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(
        !names.iter().any(|n| n == "trigger-sampling-request"),
        "{names:?}"
    );
    assert_eq!(names.len(), 13);
    let empty: BTreeMap<&str, &str> = BTreeMap::new();
    assert!(client.get_prompt("simple-prompt", empty).is_ok());
    client.close();
}
