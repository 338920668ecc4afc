//! mcp-blocking beyond child processes: any byte stream, the environment and
//! directory of a spawned server, and the client's thread-safety claims.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mcp_blocking::prelude::*;
use mcp_proto::methods::CallTool;
use mcp_proto::model::CallToolRequestParams;
use mcp_proto::testing::{ScriptedServer, ServerConfig};
use mcp_proto::Call;
use mcp_tests::eventually;
use serde_json::json;

#[test]
fn any_byte_stream_will_do() {
    for cfg in [ServerConfig::legacy(), ServerConfig::modern()] {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let server = mcp_tests::scripted::serve(theirs, cfg);
        let client = Client::builder().connect_stream(ours).unwrap();
        assert_eq!(client.pid(), None, "no process behind a socket");
        let r = client
            .call_tool("echo", json!({"text": "over a socket"}))
            .unwrap();
        assert_eq!(r.content.len(), 1);
        assert_eq!(client.list_tools().unwrap().tools.len(), 15);
        let closed = client.close();
        assert_eq!(closed.exit, None);
        assert_eq!(closed.threads_left, 0, "{closed:?}");
        // Closing closed our writer half; the server sees the end and stops.
        assert!(eventually(Duration::from_secs(3), || server.is_finished()));
    }
}

#[test]
fn a_reader_writer_pair_will_do_too() {
    // Two pipes, the plain Read/Write way: the server's end sees EOF when
    // the client drops its writer.
    let (client_reads, server_writes) = std::io::pipe().unwrap();
    let (server_reads, client_writes) = std::io::pipe().unwrap();
    let server = std::thread::spawn(move || {
        let mut s = ScriptedServer::new(ServerConfig::legacy(), Instant::now());
        let (mut r, mut w) = (server_reads, server_writes);
        let mut buf = [0u8; 8192];
        loop {
            while let Some(bytes) = s.poll_output(Instant::now()) {
                if w.write_all(&bytes).is_err() {
                    return;
                }
            }
            match r.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => s.handle_bytes(Instant::now(), &buf[..n]),
            }
        }
    });
    let client = Client::builder()
        .connect(client_reads, client_writes)
        .unwrap();
    assert!(client.ping().is_ok());
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    assert!(eventually(Duration::from_secs(3), || server.is_finished()));
}

#[test]
fn a_spawned_server_gets_the_environment_and_directory_asked_for() {
    let server = env!("CARGO_BIN_EXE_mcp-fault-server");
    let script = format!("echo \"HOME=[$HOME] X=[$X] PWD=[$(pwd)]\" >&2; exec {server} normal");
    std::env::set_var("X_FROM_PARENT", "inherited");
    let inherit = Client::spawn(&ServerCommand::new("/bin/sh").args([
        "-c",
        &format!("echo \"parent=[$X_FROM_PARENT]\" >&2; exec {server} normal"),
    ]))
    .unwrap();
    assert!(
        eventually(Duration::from_secs(3), || inherit
            .stderr_tail()
            .iter()
            .any(|l| l == "parent=[inherited]")),
        "{:?}",
        inherit.stderr_tail()
    );
    inherit.close();
    let clean = Client::spawn(
        &ServerCommand::new("/bin/sh")
            .args(["-c", &script])
            .env_clear()
            .env("X", "42")
            .cwd("/tmp"),
    )
    .unwrap();
    assert!(
        eventually(Duration::from_secs(3), || clean
            .stderr_tail()
            .iter()
            .any(|l| l == "HOME=[] X=[42] PWD=[/tmp]")),
        "{:?}",
        clean.stderr_tail()
    );
    clean.close();
}

#[test]
fn the_client_is_send_and_sync_and_works_in_drop() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_send<T: Send + 'static>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<mcp_blocking::Canceller>();
    assert_send_sync::<Error>();
    // One thread waits on a pending call; others cancel it with a Canceller.
    assert_send::<mcp_blocking::PendingCall>();

    struct Farewell(Client, mpsc::Sender<String>);
    impl Drop for Farewell {
        fn drop(&mut self) {
            // A blocking call in Drop: no runtime to be missing, no executor
            // to block.
            let text = self
                .0
                .call_tool("echo", json!({"text": "goodbye"}))
                .map(|r| format!("{:?}", r.content));
            let _ = self.1.send(text.unwrap_or_else(|e| e.to_string()));
        }
    }
    let (tx, rx) = mpsc::channel();
    let client =
        Client::spawn(&ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg("normal"))
            .unwrap();
    drop(Farewell(client, tx));
    assert!(rx.recv().unwrap().contains("goodbye"));
}

#[test]
fn every_progress_callback_runs_before_its_call_returns() {
    for cfg in [ServerConfig::legacy(), ServerConfig::modern()] {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let server = mcp_tests::scripted::serve(theirs, cfg);
        let client = Client::builder().connect_stream(ours).unwrap();
        // Steps of 0 ms put the last report and the result back to back,
        // which is where a reply could overtake its callbacks.
        for round in 0..30 {
            let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let log = seen.clone();
            client
                .with_progress(move |p| log.lock().unwrap().push(p.progress.to_string()))
                .call_tool("slow", json!({"steps": 5, "step_ms": 0}))
                .unwrap();
            assert_eq!(
                *seen.lock().unwrap(),
                ["1", "2", "3", "4", "5"],
                "round {round} of {:?}",
                client.era()
            );
        }
        client.close();
        server.thread.join().unwrap();
    }
}

#[test]
fn a_panicking_callback_loses_only_its_own_report() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let server = mcp_tests::scripted::serve(theirs, ServerConfig::legacy());
    let (tx, rx) = mpsc::channel();
    let client = Client::builder()
        .notification_handler(OnNotification(move |n: &Notification| {
            let _ = tx.send(format!("{n:?}"));
        }))
        .connect_stream(ours)
        .unwrap();
    // The callback panics on every report; the call still gets its answer.
    let r = client
        .with_progress(|_| panic!("a callback bug"))
        .call_tool("slow", json!({"steps": 2, "step_ms": 0}))
        .unwrap();
    assert!(format!("{:?}", r.content).contains("done"), "{r:?}");
    // Later callbacks, and the notification handler, still run.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(0));
    let count = seen.clone();
    client
        .with_progress(move |_| *count.lock().unwrap() += 1)
        .call_tool("slow", json!({"steps": 3, "step_ms": 0}))
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), 3);
    client.call_tool("touch", ()).unwrap();
    let note = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        note.contains("ListChanged") || note.contains("Updated"),
        "{note}"
    );
    client.close();
    server.thread.join().unwrap();
}

#[test]
fn a_panicking_input_handler_refuses_instead_of_hanging() {
    for cfg in [ServerConfig::legacy(), ServerConfig::modern()] {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let server = mcp_tests::scripted::serve(theirs, cfg);
        let client = Client::builder()
            .input_handler(InputHandlers::new().on_elicit(|_| panic!("a handler bug")))
            .connect_stream(ours)
            .unwrap();
        let started = Instant::now();
        let outcome = client.call_tool("ask_name", ());
        // Well within the default timeouts: the refusal went out at once.
        assert!(started.elapsed() < Duration::from_secs(5));
        let text = format!("{outcome:?}");
        assert!(
            text.contains("decline") || text.contains("Refused"),
            "{:?}: {text}",
            client.era()
        );
        client.close();
        server.thread.join().unwrap();
    }
}

/// Counts the writes that reach the server's stdin.
struct CountingWriter<W> {
    inner: W,
    writes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn calls_started_in_a_burst_share_writes_and_none_is_held_back() {
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-fault-server"))
        .arg("normal")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let writes = Arc::new(AtomicUsize::new(0));
    let writer = CountingWriter {
        inner: child.stdin.take().unwrap(),
        writes: writes.clone(),
    };
    let client = Client::builder()
        .connect(child.stdout.take().unwrap(), writer)
        .unwrap();
    let call = |name: &str, args: serde_json::Value| {
        let params = CallToolRequestParams::new(name)
            .with_arguments(args.as_object().cloned().unwrap_or_default());
        client
            .start(
                Call::request::<CallTool>(&params).unwrap(),
                Default::default(),
            )
            .unwrap()
    };

    // A call that answers in 5 s keeps the others company.
    let slow = call("slow", json!({"steps": 1, "step_ms": 5000}));
    let before = writes.load(Ordering::SeqCst);
    let burst: Vec<_> = (0..20)
        .map(|i| call("echo", json!({"text": format!("n{i}")})))
        .collect();
    for p in burst {
        p.wait().unwrap();
    }
    let burst_writes = writes.load(Ordering::SeqCst) - before;
    assert!(
        burst_writes <= 5,
        "20 calls started together took {burst_writes} writes"
    );

    // Started and not waited on: it still goes out (within the driver's
    // one-second turn), long before `slow` answers.
    let lone = call("echo", json!({"text": "lone"}));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        lone.wait_timeout(Duration::ZERO).is_some(),
        "a started call was not sent while another was in flight"
    );
    drop(slow);
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts `name` on `client` without waiting, with `opts`.
fn start_tool(
    client: &Client,
    name: &str,
    args: serde_json::Value,
    opts: mcp_proto::api::CallOptions,
) -> mcp_blocking::PendingCall {
    let params = CallToolRequestParams::new(name)
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    client
        .start(Call::request::<CallTool>(&params).unwrap(), opts)
        .unwrap()
}

fn text_of(reply: mcp_proto::Reply) -> String {
    let result: mcp_proto::model::CallToolResult = reply.decode().unwrap();
    match &result.content[0] {
        mcp_proto::model::ContentBlock::Text(t) => t.text.clone(),
        other => panic!("not text: {other:?}"),
    }
}

fn fault_server() -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg("normal")
}

#[test]
fn callers_that_read_the_servers_output_themselves_lose_nothing() {
    // A spawned server's stdout is read by whichever thread waits on a
    // call; many waiting at once hand the pipe on without losing a byte.
    let client = Client::spawn(&fault_server()).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..150 {
                    let text = format!("t{t}-{i}");
                    let call =
                        start_tool(&client, "echo", json!({ "text": text }), Default::default());
                    let reply = if i % 2 == 0 {
                        call.wait().unwrap()
                    } else {
                        call.wait_timeout(Duration::from_secs(20))
                            .expect("answered within 20 s")
                            .unwrap()
                    };
                    assert_eq!(text_of(reply), text);
                }
            })
        })
        .collect();
    // A call whose answer goes through the callback thread (it has
    // progress callbacks) returns after all of them, whether it waits
    // while others read the pipe or reads it itself.
    let with_progress = || {
        for _ in 0..10 {
            let seen = std::sync::Arc::new(std::sync::Mutex::new(0));
            let log = seen.clone();
            let call = start_tool(
                &client,
                "slow",
                json!({"steps": 4, "step_ms": 1}),
                mcp_proto::api::CallOptions {
                    on_progress: Some(std::sync::Arc::new(move |_: &_| {
                        *log.lock().unwrap() += 1;
                    })),
                    ..Default::default()
                },
            );
            let started = Instant::now();
            let reply = call
                .wait_timeout(Duration::from_secs(30))
                .expect("answered")
                .unwrap();
            assert!(started.elapsed() < Duration::from_secs(15), "not woken");
            assert_eq!(text_of(reply), "done after 4 steps");
            assert_eq!(*seen.lock().unwrap(), 4);
        }
    };
    with_progress();
    for t in threads {
        t.join().unwrap();
    }
    with_progress();
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
}

#[test]
fn a_caller_reading_for_its_answer_hears_of_answers_from_elsewhere() {
    let client = Client::spawn(&fault_server()).unwrap();
    // Each answer below comes from another thread than the one reading the
    // pipe; the waiter must hear of it then, not at the end of its own
    // (much longer) wait.
    let woken = |call: &mcp_blocking::PendingCall, what: &str| {
        let started = Instant::now();
        let answer = call
            .wait_timeout(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{what}: not woken"));
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what}: woken only by its own deadline"
        );
        answer
    };

    // The call's own timeout, which the driver thread enforces.
    let mut opts = mcp_proto::api::CallOptions::default();
    opts.request.timeout = Some(Duration::from_millis(300));
    let never = start_tool(&client, "never", json!({}), opts);
    let answer = woken(&never, "the call's timeout");
    assert!(matches!(answer, Err(Error::Timeout { .. })), "{answer:?}");

    // A cancel from another thread.
    let never = start_tool(&client, "never", json!({}), Default::default());
    let canceller = never.canceller();
    let cancel = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        canceller.cancel();
    });
    let answer = woken(&never, "a cancel");
    assert!(matches!(answer, Err(Error::Cancelled)), "{answer:?}");
    cancel.join().unwrap();

    // A wait that runs out leaves the call going, and lets go of the pipe.
    let slow = start_tool(
        &client,
        "slow",
        json!({"steps": 1, "step_ms": 400}),
        Default::default(),
    );
    assert!(slow.wait_timeout(Duration::from_millis(50)).is_none());
    let echo = client
        .call_tool("echo", json!({"text": "meanwhile"}))
        .unwrap();
    assert!(format!("{:?}", echo.content).contains("meanwhile"));
    assert_eq!(text_of(slow.wait().unwrap()), "done after 1 steps");

    // Closing while a thread waits on a call that never ends.
    let never = start_tool(&client, "never", json!({}), Default::default());
    let waiter = std::thread::spawn(move || woken(&never, "a close"));
    std::thread::sleep(Duration::from_millis(100));
    let closed = client.close();
    let answer = waiter.join().unwrap();
    assert!(matches!(answer, Err(Error::Closed(_))), "{answer:?}");
    assert_eq!(closed.threads_left, 0, "{closed:?}");
}

#[test]
fn output_that_no_caller_waits_for_is_still_read() {
    let client = Client::spawn(&fault_server()).unwrap();
    // Progress reports and a request from the server (for the client's
    // roots) arrive while no thread waits on any call: the background
    // reader must take them in for the callbacks to run and the server to
    // be answered.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(0));
    let log = seen.clone();
    let opts = mcp_proto::api::CallOptions {
        on_progress: Some(std::sync::Arc::new(move |_: &_| {
            *log.lock().unwrap() += 1;
        })),
        ..Default::default()
    };
    let slow = start_tool(&client, "slow", json!({"steps": 3, "step_ms": 30}), opts);
    let roots = start_tool(&client, "roots", json!({}), Default::default());
    assert!(
        eventually(Duration::from_secs(10), || *seen.lock().unwrap() == 3),
        "progress reports were not read: {} of 3",
        seen.lock().unwrap()
    );
    assert!(
        eventually(Duration::from_secs(10), || roots
            .wait_timeout(Duration::ZERO)
            .is_some()),
        "the server's roots request was not answered"
    );
    assert_eq!(text_of(slow.wait().unwrap()), "done after 3 steps");
    client.close();
}
