//! Faults with real child processes: each test starts `mcp-fault-server` in
//! one misbehaving mode and checks the documented behaviour, then that no
//! process, process-group member or thread is left behind. Each runs on
//! both adapters (`mcp_switch`): a module per test, a test per adapter.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_blocking::mcp_proto::{RequestError, Violation, ViolationKind};
use mcp_blocking::prelude::{Error, NotificationHandler, Operations, ServerCommand, Shutdown};
use mcp_blocking::{Closed, ExitStatus};
use mcp_switch::{Adapter, Client};
use mcp_tests::{eventually, group_gone, process_gone};
use serde_json::json;

fn fault(mode: &str) -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg(mode)
}

/// A mode that takes a number (`sized N`, `flood N`).
fn fault_n(mode: &str, n: usize) -> ServerCommand {
    fault(mode).arg(n.to_string())
}

/// A client of the fault server in `mode`, with the quick shutdown.
fn spawn(adapter: Adapter, mode: &str) -> Client {
    Client::builder(adapter)
        .shutdown(quick())
        .spawn(&fault(mode))
        .unwrap()
}

/// Short grace periods keep the tests quick; the behaviour is the same.
fn quick() -> Shutdown {
    Shutdown {
        stdin_grace: Duration::from_millis(300),
        term_grace: Duration::from_millis(300),
    }
}

mcp_tests::on_both_adapters!(
    a_server_that_exits_mid_request_fails_the_call_with_its_status_and_stderr,
    a_server_that_never_answers_times_out_and_the_connection_goes_on,
    a_server_flooding_stderr_never_blocks,
    a_server_that_ignores_sigterm_is_killed_after_the_grace_period,
    a_grandchild_goes_with_the_server,
    a_grandchild_that_left_the_group_and_session_goes_too,
    a_broken_answer_ends_its_call_at_once_and_the_connection_goes_on,
    a_banner_on_stdout_is_reported_and_the_session_goes_on,
    dropping_the_last_handle_shuts_the_server_down,
    a_program_that_does_not_exist_is_a_clear_error,
    a_program_that_is_not_an_mcp_server_fails_the_handshake_with_its_stderr,
    garbage_and_invalid_utf8_on_stdout_are_reported_and_skipped,
    a_frame_at_the_limit_passes_and_one_byte_over_fails_its_call_clearly,
    a_flood_of_notifications_is_delivered_in_full_and_the_call_completes,
    duplicate_unknown_and_early_responses_are_reported_and_ignored,
    a_trickling_server_times_out_and_close_does_not_wait_for_it,
    close_returns_after_every_queued_callback_ran,
    a_call_returns_after_the_callbacks_for_what_came_before_its_answer,
    flush_callbacks_waits_for_what_came_between_calls,
);

/// Closes and checks that nothing is left: the server and its group are
/// gone, and no thread of the client is still running.
fn close_clean(client: &Client) -> Closed {
    let pid = client.pid().expect("a spawned server");
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "threads left behind: {closed:?}");
    assert!(
        eventually(Duration::from_secs(3), || process_gone(pid)),
        "server {pid} not reaped"
    );
    assert!(
        group_gone(pid),
        "processes left in the server's group {pid}"
    );
    closed
}

fn a_server_that_exits_mid_request_fails_the_call_with_its_status_and_stderr(adapter: Adapter) {
    let client = spawn(adapter, "exit-mid-request");
    assert!(client.ping().is_ok());
    let started = Instant::now();
    // The call's own timeout is far away: the error must come from the exit.
    let err = client
        .with_timeout(Duration::from_secs(30))
        .call_tool("echo", json!({"text": "x"}))
        .unwrap_err();
    let took = started.elapsed();
    match &err {
        Error::ServerExited { status, stderr } => {
            assert_eq!(*status, ExitStatus::Code(3));
            assert!(
                stderr.0.iter().any(|l| l.contains("injected crash")),
                "{stderr}"
            );
        }
        other => panic!("{other}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("exit code 3") && message.contains("injected crash"),
        "{message}"
    );
    eprintln!("exit-mid-request: the call failed {took:?} after it was made");
    // Later calls fail at once too, and clearly.
    assert!(matches!(client.ping(), Err(Error::Closed(_))));
    let closed = close_clean(&client);
    assert_eq!(closed.exit, Some(ExitStatus::Code(3)));
}

fn a_server_that_never_answers_times_out_and_the_connection_goes_on(adapter: Adapter) {
    let client = spawn(adapter, "normal");
    let err = client
        .with_timeout(Duration::from_millis(300))
        .call_tool("never", ())
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(
        err.to_string().contains("with_timeout"),
        "the message says what to do: {err}"
    );
    assert_eq!(
        client
            .call_tool("echo", json!({"text": "still here"}))
            .unwrap()
            .content
            .len(),
        1
    );
    close_clean(&client);
}

fn a_server_flooding_stderr_never_blocks(adapter: Adapter) {
    let lines = Arc::new(AtomicUsize::new(0));
    let counter = lines.clone();
    let client = Client::builder(adapter)
        .shutdown(quick())
        .on_stderr(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        })
        .spawn(&fault("flood-stderr"))
        .unwrap();
    for i in 0..50 {
        let r = client
            .call_tool("echo", json!({ "text": format!("{i}") }))
            .unwrap();
        assert_eq!(r.content.len(), 1);
    }
    assert!(eventually(Duration::from_secs(10), || client
        .stderr_tail()
        .last()
        .is_some_and(|l| l == "flood done")));
    assert_eq!(
        lines.load(Ordering::Relaxed),
        16 * 1024 + 1,
        "every stderr line was handed over"
    );
    assert!(
        client.stderr_tail().len() <= 200,
        "the kept tail stays bounded"
    );
    close_clean(&client);
}

fn a_server_that_ignores_sigterm_is_killed_after_the_grace_period(adapter: Adapter) {
    let client = spawn(adapter, "ignore-sigterm");
    assert!(client.ping().is_ok());
    let closed = close_clean(&client);
    assert_eq!(closed.exit, Some(ExitStatus::Signal(9)), "{closed:?}");
}

fn a_grandchild_goes_with_the_server(adapter: Adapter) {
    let client = spawn(adapter, "grandchild");
    let grandchild = grandchild_pid(&client);
    assert!(!process_gone(grandchild), "the grandchild runs");
    close_clean(&client);
    // The grandchild was reparented when the server exited; it is gone, not
    // orphaned (init reaps it).
    assert!(
        eventually(Duration::from_secs(3), || process_gone(grandchild)),
        "grandchild {grandchild} outlived the close"
    );
}

/// The pid a fault server's grandchild said it has.
fn grandchild_pid(client: &Client) -> u32 {
    assert!(eventually(Duration::from_secs(5), || client
        .stderr_tail()
        .iter()
        .any(|l| l.starts_with("grandchild pid"))));
    let line = client
        .stderr_tail()
        .into_iter()
        .find(|l| l.starts_with("grandchild pid"))
        .unwrap();
    line.trim_start_matches("grandchild pid ").parse().unwrap()
}

fn a_grandchild_that_left_the_group_and_session_goes_too(adapter: Adapter) {
    let client = spawn(adapter, "setsid-grandchild");
    let server = client.pid().unwrap();
    let grandchild = grandchild_pid(&client);
    // It has left: signalling the server's group would not reach it.
    assert!(
        eventually(Duration::from_secs(5), || mcp_tests::session_of(grandchild)
            == Some(grandchild)),
        "the grandchild did not call setsid"
    );
    assert_ne!(mcp_tests::session_of(server), Some(grandchild));
    assert!(client.ping().is_ok());
    // It holds the server's stdout open, so the end of that pipe does not
    // tell the client the server is gone either.
    close_clean(&client);
    assert!(
        eventually(Duration::from_secs(3), || process_gone(grandchild)),
        "grandchild {grandchild} outlived the close"
    );
}

fn a_broken_answer_ends_its_call_at_once_and_the_connection_goes_on(adapter: Adapter) {
    for case in ["utf8", "nul", "dup-id", "dup-result", "long-id"] {
        let client = Client::builder(adapter)
            .shutdown(quick())
            .spawn(&fault("broken-answer").arg(case))
            .unwrap();
        let started = Instant::now();
        // Far from the call's timeout: a timeout would be the old defect.
        let err = client
            .with_timeout(Duration::from_secs(60))
            .call_tool("echo", json!({"text": "x"}))
            .unwrap_err();
        let took = started.elapsed();
        match &err {
            Error::Request(e) => assert!(
                matches!(**e, RequestError::MalformedResponse { .. }),
                "{case}: {err}"
            ),
            other => panic!("{case}: {other}"),
        }
        assert!(err.to_string().contains("malformed"), "{case}: {err}");
        eprintln!("{adapter:?} {case}: the call ended after {took:?}: {err:.120}");
        // The connection goes on.
        assert!(client.ping().is_ok(), "{case}");
        close_clean(&client);
    }
}

struct Violations(Arc<Mutex<Vec<Violation>>>);

impl NotificationHandler for Violations {
    fn violation(&self, v: &Violation) {
        self.0.lock().unwrap().push(v.clone());
    }
}

fn a_banner_on_stdout_is_reported_and_the_session_goes_on(adapter: Adapter) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = Client::builder(adapter)
        .shutdown(quick())
        .notification_handler(Violations(seen.clone()))
        .spawn(&fault("banner"))
        .unwrap();
    assert_eq!(
        client
            .call_tool("echo", json!({"text": "after the banner"}))
            .unwrap()
            .content
            .len(),
        1
    );
    assert!(eventually(Duration::from_secs(2), || !seen
        .lock()
        .unwrap()
        .is_empty()));
    assert_eq!(seen.lock().unwrap()[0].kind, ViolationKind::NotJson);
    close_clean(&client);
}

fn dropping_the_last_handle_shuts_the_server_down(adapter: Adapter) {
    let client = spawn(adapter, "grandchild");
    let pid = client.pid().unwrap();
    let clone = client.clone();
    drop(client);
    assert!(!process_gone(pid), "a clone keeps the connection open");
    assert!(clone.ping().is_ok());
    drop(clone);
    assert!(
        eventually(Duration::from_secs(3), || process_gone(pid)),
        "not reaped on drop"
    );
    // The blocking adapter's drop waits for the whole shutdown; mcp-smol's
    // carries it out in the background (a drop must not block a task).
    assert!(
        eventually(Duration::from_secs(3), || group_gone(pid)),
        "the grandchild outlived the drop"
    );
}

fn a_program_that_does_not_exist_is_a_clear_error(adapter: Adapter) {
    let err = Client::builder(adapter)
        .spawn(&ServerCommand::new("/nonexistent/mcp-server"))
        .unwrap_err();
    assert!(matches!(err, Error::Spawn { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/mcp-server"), "{err}");
}

fn a_program_that_is_not_an_mcp_server_fails_the_handshake_with_its_stderr(adapter: Adapter) {
    let cmd = ServerCommand::new("sh").args(["-c", "echo 'usage: not-a-server' >&2; exit 64"]);
    let err = Client::builder(adapter)
        .shutdown(quick())
        .spawn(&cmd)
        .unwrap_err();
    match &err {
        Error::ServerExited { status, stderr } => {
            assert_eq!(*status, ExitStatus::Code(64));
            assert!(
                stderr.0.iter().any(|l| l.contains("usage: not-a-server")),
                "{stderr}"
            );
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_cancelled_call_from_another_thread_ends_with_cancelled() {
    // Blocking only: mcp-smol cancels by dropping the call's future (see
    // smol.rs), and a future has no other thread to be cancelled from.
    let client = mcp_blocking::Client::builder()
        .shutdown(quick())
        .spawn(&fault("normal"))
        .unwrap();
    let pending = client
        .start(
            mcp_blocking::mcp_proto::Call::raw(
                "tools/call",
                json!({"name": "never"}).as_object().cloned().unwrap(),
            ),
            Default::default(),
        )
        .unwrap();
    let canceller = pending.canceller();
    std::thread::spawn(move || canceller.cancel());
    assert!(matches!(pending.wait(), Err(Error::Cancelled)));
    close_clean(&Client::Blocking(client));
}

/// Records violations and counts log notifications.
#[derive(Clone, Default)]
struct Watch {
    violations: Arc<Mutex<Vec<ViolationKind>>>,
    logs: Arc<AtomicUsize>,
}

impl NotificationHandler for Watch {
    fn violation(&self, v: &Violation) {
        self.violations.lock().unwrap().push(v.kind);
    }
    fn notification(&self, n: &mcp_blocking::mcp_proto::Notification) {
        if matches!(n, mcp_blocking::mcp_proto::Notification::Log(_)) {
            self.logs.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Watch {
    fn saw(&self, kind: ViolationKind) -> bool {
        eventually(Duration::from_secs(5), || {
            self.violations.lock().unwrap().contains(&kind)
        })
    }
}

fn echo_text(client: &Client, text: &str) -> Result<String, Error> {
    let r = client
        .with_timeout(Duration::from_secs(20))
        .call_tool("echo", json!({ "text": text }))?;
    Ok(match &r.content[0] {
        mcp_blocking::mcp_proto::model::ContentBlock::Text(t) => t.text.clone(),
        other => panic!("not text: {other:?}"),
    })
}

fn garbage_and_invalid_utf8_on_stdout_are_reported_and_skipped(adapter: Adapter) {
    for (mode, kind) in [
        ("garbage", ViolationKind::NotJson),
        ("invalid-utf8", ViolationKind::InvalidUtf8),
    ] {
        let watch = Watch::default();
        let client = Client::builder(adapter)
            .shutdown(quick())
            .notification_handler(watch.clone())
            .spawn(&fault(mode))
            .unwrap();
        assert_eq!(echo_text(&client, "one").unwrap(), "one", "{mode}");
        assert_eq!(echo_text(&client, "two").unwrap(), "two", "{mode}");
        assert!(
            watch.saw(kind),
            "{mode}: {:?}",
            watch.violations.lock().unwrap()
        );
        close_clean(&client);
    }
}

fn a_frame_at_the_limit_passes_and_one_byte_over_fails_its_call_clearly(adapter: Adapter) {
    const LIMIT: usize = 64 * 1024;
    let mut config = mcp_blocking::mcp_proto::Config::default();
    config.limits.max_frame_size = LIMIT;
    for size in [LIMIT - 1, LIMIT, LIMIT + 1] {
        let watch = Watch::default();
        let client = Client::builder(adapter)
            .config(config.clone())
            .shutdown(quick())
            .notification_handler(watch.clone())
            .spawn(&fault_n("sized", size))
            .unwrap();
        let started = Instant::now();
        let answer = client
            .with_timeout(Duration::from_secs(20))
            .call_tool("echo", json!({"text": "sized"}));
        if size <= LIMIT {
            let r = answer.unwrap_or_else(|e| panic!("{size} bytes: {e}"));
            assert_eq!(r.content.len(), 1);
        } else {
            let err = answer.unwrap_err();
            match &err {
                Error::Request(e) => assert!(
                    matches!(
                        **e,
                        mcp_blocking::mcp_proto::RequestError::ResponseTooLarge { len, limit }
                            if len == LIMIT + 1 && limit == LIMIT
                    ),
                    "{err}"
                ),
                other => panic!("{size} bytes: {other}"),
            }
            assert!(err.to_string().contains("max_frame_size"), "{err}");
            // Failed at once, not by its timeout; the connection goes on.
            assert!(started.elapsed() < Duration::from_secs(10));
            assert!(watch.saw(ViolationKind::FrameTooLarge));
            assert!(client.ping().is_ok());
        }
        close_clean(&client);
    }
}

fn a_flood_of_notifications_is_delivered_in_full_and_the_call_completes(adapter: Adapter) {
    const N: usize = 100_000;
    let watch = Watch::default();
    let client = Client::builder(adapter)
        .shutdown(quick())
        .notification_handler(watch.clone())
        .spawn(&fault_n("flood", N))
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        echo_text(&client, "after the flood").unwrap(),
        "after the flood"
    );
    assert!(
        eventually(Duration::from_secs(30), || watch
            .logs
            .load(Ordering::Relaxed)
            == N),
        "{} of {N} notifications",
        watch.logs.load(Ordering::Relaxed)
    );
    eprintln!("flood of {N}: delivered in {:?}", started.elapsed());
    assert!(watch.violations.lock().unwrap().is_empty());
    close_clean(&client);
}

/// A handler that takes 2 ms a log notification.
struct Slow(Arc<AtomicUsize>);

impl NotificationHandler for Slow {
    fn notification(&self, n: &mcp_blocking::mcp_proto::Notification) {
        if matches!(n, mcp_blocking::mcp_proto::Notification::Log(_)) {
            std::thread::sleep(Duration::from_millis(2));
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A client of the fault server in `mode` with `n`, heard by [`Slow`]; and
/// how many logs it has heard.
fn slow_client(adapter: Adapter, mode: &str, n: usize) -> (Client, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let client = Client::builder(adapter)
        .shutdown(quick())
        .notification_handler(Slow(seen.clone()))
        .spawn(&fault_n(mode, n))
        .unwrap();
    (client, seen)
}

/// A slow handler and notifications that come after the answer: callbacks
/// still queued when the call returns have all run once `close` returns,
/// so a program can read what its handler gathered right after closing.
fn close_returns_after_every_queued_callback_ran(adapter: Adapter) {
    const N: usize = 300;
    let (client, seen) = slow_client(adapter, "flood-after", N);
    assert_eq!(echo_text(&client, "done").unwrap(), "answered");
    let at_answer = seen.load(Ordering::SeqCst);
    // The logs came with the answer: once one has run, all are in.
    assert!(eventually(Duration::from_secs(5), || seen
        .load(Ordering::SeqCst)
        >= 1));
    close_clean(&client);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        N,
        "{at_answer} had run at the answer"
    );
    // Otherwise this test shows nothing.
    assert!(at_answer < N, "every callback had run before close");
}

/// A slow handler and notifications that come before the answer: the call
/// returns only once the handler has heard every one of them.
fn a_call_returns_after_the_callbacks_for_what_came_before_its_answer(adapter: Adapter) {
    const N: usize = 300;
    let (client, seen) = slow_client(adapter, "flood", N);
    assert_eq!(echo_text(&client, "done").unwrap(), "done");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        N,
        "heard when the call returned"
    );
    close_clean(&client);
}

/// Notifications between calls: `flush_callbacks` returns once the
/// handler has heard all that the client had received.
fn flush_callbacks_waits_for_what_came_between_calls(adapter: Adapter) {
    const N: usize = 200;
    let (client, seen) = slow_client(adapter, "flood-after", N);
    assert_eq!(echo_text(&client, "x").unwrap(), "answered");
    // The logs came with the answer: once one has run, all are in.
    assert!(eventually(Duration::from_secs(5), || seen
        .load(Ordering::SeqCst)
        >= 1));
    let before = seen.load(Ordering::SeqCst);
    client.flush_callbacks();
    assert_eq!(seen.load(Ordering::SeqCst), N);
    // Otherwise this test shows nothing (the handler takes 2 ms each).
    assert!(before < N, "every callback had run before the flush");
    close_clean(&client);
}

fn duplicate_unknown_and_early_responses_are_reported_and_ignored(adapter: Adapter) {
    for mode in ["duplicate-ids", "unknown-ids", "early-response"] {
        let watch = Watch::default();
        let client = Client::builder(adapter)
            .shutdown(quick())
            .notification_handler(watch.clone())
            .spawn(&fault(mode))
            .unwrap();
        let first = echo_text(&client, "one").unwrap();
        let second = echo_text(&client, "two").unwrap();
        if mode == "duplicate-ids" {
            // The first answer counts; the second is for a call that ended.
            assert_eq!((first.as_str(), second.as_str()), ("first", "first"));
        } else {
            // Each call gets its own answer, not one sent for an id the
            // client had not used (yet).
            assert_eq!((first.as_str(), second.as_str()), ("one", "two"), "{mode}");
        }
        assert!(
            watch.saw(ViolationKind::UnknownResponseId),
            "{mode}: {:?}",
            watch.violations.lock().unwrap()
        );
        assert!(client.ping().is_ok());
        close_clean(&client);
    }
}

fn a_trickling_server_times_out_and_close_does_not_wait_for_it(adapter: Adapter) {
    let client = spawn(adapter, "trickle");
    let started = Instant::now();
    let err = client
        .with_timeout(Duration::from_millis(500))
        .call_tool("echo", json!({"text": "slowly"}))
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The server is still dripping its answer: close ends it on the
    // shutdown's schedule, not on the drip's.
    let closing = Instant::now();
    close_clean(&client);
    assert!(
        closing.elapsed() < Duration::from_secs(5),
        "close took {:?}",
        closing.elapsed()
    );
}
