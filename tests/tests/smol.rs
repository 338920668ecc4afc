//! What is mcp-smol's own: it runs under any executor (smol's, a
//! multi-threaded `async-executor`, a plain `futures_lite` block_on),
//! dropping a call's future cancels it on the wire, dropping the client
//! shuts the server down, and ten thousand calls can be in flight on one
//! connection. The behaviour both adapters share is tested on both in
//! everything.rs, http_everything.rs and faults.rs.

use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use futures_lite::future;
use mcp_smol::mcp_proto::methods::CallTool;
use mcp_smol::mcp_proto::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use mcp_smol::mcp_proto::testing::{ScriptedServer, ServerConfig};
use mcp_smol::mcp_proto::Call;
use mcp_smol::prelude::*;
use mcp_tests::{eventually, group_gone, process_gone};
use serde_json::{json, Value};

fn fault(mode: &str) -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg(mode)
}

/// Short grace periods keep the tests quick; the behaviour is the same.
fn quick() -> Shutdown {
    Shutdown {
        stdin_grace: Duration::from_millis(300),
        term_grace: Duration::from_millis(300),
    }
}

fn text(r: &CallToolResult) -> &str {
    match &r.content[0] {
        ContentBlock::Text(t) => &t.text,
        other => panic!("not text: {other:?}"),
    }
}

fn echo_call(text: &str) -> Call {
    let mut params = CallToolRequestParams::new("echo");
    params.arguments = json!({ "text": text }).as_object().cloned();
    Call::request::<CallTool>(&params).unwrap()
}

/// A well-behaved server.
async fn start() -> Client {
    Client::builder()
        .shutdown(quick())
        .spawn(&fault("normal"))
        .await
        .unwrap()
}

/// A few calls, one at a time and several at once, then a clean close:
/// the same workout under each executor.
async fn workout(client: Client) {
    client.ping().await.unwrap();
    assert!(!client.list_tools().await.unwrap().tools.is_empty());
    let r = client
        .call_tool("echo", json!({"text": "hi"}))
        .await
        .unwrap();
    assert_eq!(text(&r), "hi");
    let (a, b) = future::zip(
        client.call_tool("echo", json!({"text": "a"})),
        client.call_tool("add", json!({"a": 2, "b": 3})),
    )
    .await;
    assert_eq!((text(&a.unwrap()), text(&b.unwrap())), ("a", "5"));
    // The protocol's own timers run while the application waits.
    let err = client
        .with_timeout(Duration::from_millis(200))
        .call_tool("never", ())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let pid = client.pid().unwrap();
    let closed = client.close().await;
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(closed.exit.is_some(), "{closed:?}");
    assert!(eventually(Duration::from_secs(3), || process_gone(pid)));
    assert!(group_gone(pid));
    assert!(matches!(client.ping().await, Err(Error::Closed(_))));
}

#[test]
fn runs_under_smol_block_on() {
    smol::block_on(async { workout(start().await).await });
}

#[test]
fn runs_under_a_plain_futures_lite_block_on() {
    future::block_on(async { workout(start().await).await });
}

#[test]
fn runs_under_a_multithreaded_async_executor_with_calls_from_every_thread() {
    let ex = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (ex, stopped) = (ex.clone(), stopped.clone());
            std::thread::spawn(move || future::block_on(ex.run(stopped.recv())))
        })
        .collect();
    let client =
        future::block_on(ex.run(Client::builder().shutdown(quick()).spawn(&fault("normal"))))
            .unwrap();
    // Tasks on several threads share one client; each checks its answers.
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let client = client.clone();
            ex.spawn(async move {
                for i in 0..20 {
                    let msg = format!("t{t}-{i}");
                    let r = client.call_tool("echo", json!({ "text": msg })).await;
                    assert_eq!(text(&r.unwrap()), msg);
                }
                std::thread::current().id()
            })
        })
        .collect();
    let ran_on: std::collections::HashSet<_> = future::block_on(async {
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await);
        }
        ids
    })
    .into_iter()
    .collect();
    eprintln!("the tasks ran on {} threads", ran_on.len());
    future::block_on(ex.run(workout(client)));
    drop(stop);
    for t in threads {
        let _ = t.join().unwrap();
    }
}

#[test]
fn the_client_and_its_futures_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_send<T: Send + 'static>() {}
    assert_send_sync::<Client>();
    assert_send::<mcp_smol::Request<CallToolResult>>();
    assert_send::<mcp_smol::PendingCall>();
    fn spawn_future<F: std::future::Future + Send>(_: &F) {}
    spawn_future(&Client::builder().spawn(&fault("normal")));
}

/// A client over a socket pair to a shared scripted server.
async fn connected(cfg: ServerConfig) -> (Client, Arc<Mutex<ScriptedServer>>) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let server = mcp_tests::scripted::serve(theirs, cfg).server;
    let reader = Async::new(ours.try_clone().unwrap()).unwrap();
    let writer = Async::new(ours).unwrap();
    let client = Client::builder().connect(reader, writer).await.unwrap();
    (client, server)
}

/// The `tools/call` requests the server received, by tool name.
fn calls_received(server: &Mutex<ScriptedServer>, tool: &str) -> Vec<Value> {
    server
        .lock()
        .unwrap()
        .received()
        .iter()
        .filter(|m| m["method"] == "tools/call" && m["params"]["name"] == tool)
        .map(|m| m["id"].clone())
        .collect()
}

#[test]
fn dropping_a_calls_future_cancels_it_on_the_wire() {
    for cfg in [ServerConfig::legacy(), ServerConfig::modern()] {
        future::block_on(async {
            let (client, server) = connected(cfg).await;
            // A future never polled sends nothing.
            drop(client.call_tool("never", ()));
            client.ping().await.unwrap();
            assert!(calls_received(&server, "never").is_empty());

            // Polled once (the request is out), then dropped when the timer
            // wins the race.
            let raced = future::or(async { Some(client.call_tool("never", ()).await) }, async {
                Timer::after(Duration::from_millis(100)).await;
                None
            })
            .await;
            assert!(raced.is_none(), "{raced:?}");
            assert!(eventually(Duration::from_secs(5), || !calls_received(
                &server, "never"
            )
            .is_empty()));
            let ids = calls_received(&server, "never");
            assert_eq!(ids.len(), 1, "the call went out once");
            assert!(
                eventually(Duration::from_secs(5), || server
                    .lock()
                    .unwrap()
                    .cancelled()
                    .contains(&ids[0])),
                "the server was told: {:?}",
                server.lock().unwrap().cancelled()
            );
            // The connection goes on.
            let r = client.call_tool("echo", json!({"text": "after"})).await;
            assert_eq!(text(&r.unwrap()), "after");

            // A started call's handle cancels the same way.
            let pending = client.start(echo_call("x"), Default::default()).unwrap();
            drop(pending);
            let pending = client
                .start(
                    Call::raw(
                        "tools/call",
                        json!({"name": "never"}).as_object().cloned().unwrap(),
                    ),
                    Default::default(),
                )
                .unwrap();
            pending.cancel();
            assert!(matches!(pending.await, Err(Error::Cancelled)));
            client.close().await;
        });
    }
}

#[test]
fn dropping_the_client_shuts_the_server_and_its_group_down() {
    // A grandchild in the server's group; and a server that ignores the
    // end of its input and SIGTERM, which only SIGKILL ends.
    for mode in ["grandchild", "ignore-sigterm"] {
        let pid = future::block_on(async {
            let client = Client::builder()
                .shutdown(quick())
                .spawn(&fault(mode))
                .await
                .unwrap();
            client.ping().await.unwrap();
            let pid = client.pid().unwrap();
            let other = client.clone();
            drop(client);
            // One handle left: nothing happens yet.
            other.ping().await.unwrap();
            drop(other);
            pid
        });
        assert!(
            eventually(Duration::from_secs(5), || process_gone(pid)),
            "{mode}: server {pid} still there after the client was dropped"
        );
        assert!(
            eventually(Duration::from_secs(2), || group_gone(pid)),
            "{mode}: something is left in the group of {pid}"
        );
    }
}

#[test]
fn ten_thousand_calls_in_flight_on_one_connection() {
    const CALLS: usize = 10_000;
    smol::block_on(async {
        let client = Client::builder()
            .shutdown(quick())
            .spawn(&fault("normal"))
            .await
            .unwrap();
        let started = Instant::now();
        // Every request is out before the first answer is awaited.
        let pending: Vec<_> = (0..CALLS)
            .map(|i| client.start(echo_call(&format!("call {i}")), Default::default()))
            .collect::<Result<_, _>>()
            .unwrap();
        let sent = started.elapsed();
        for (i, p) in pending.into_iter().enumerate() {
            let r: CallToolResult = p.await.unwrap().decode().unwrap();
            assert_eq!(
                text(&r),
                format!("call {i}"),
                "call {i} got another's answer"
            );
        }
        eprintln!(
            "{CALLS} calls: sent in {sent:?}, all answered after {:?}",
            started.elapsed()
        );
        let closed = client.close().await;
        assert_eq!(closed.threads_left, 0, "{closed:?}");
    });
}
