//! Floods from a hostile server, alone in their test binary so that the
//! peak memory measured is their own: what the client holds follows the
//! configured limits, not the amount the server writes.
//!
//! - 4,000,000 lines that are not JSON before the answer, with a slow
//!   violation callback: alike violations merge while the callbacks lag, so
//!   the flood is read at full speed, every line is counted, and the answer
//!   after it arrives.
//! - 100,000 valid log notifications of 1 KiB with a slow callback and a
//!   1 MiB event budget: reading pauses while the callbacks lag, and every
//!   notification is delivered, in order.
//! - 5,000,000 `ping` requests from a server that never reads its stdin:
//!   reading pauses once the answers waiting to be written reach
//!   `Limits::max_unwritten_replies`.
//!
//! Each must leave the process's peak memory within [`BOUND`] of where it
//! started; unbounded, the first and the last took `mcp` to 600 and 198 MiB.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_blocking::mcp_proto::{Config, Notification, Violation, ViolationKind};
use mcp_blocking::prelude::{Error, NotificationHandler, Operations, ServerCommand, Shutdown};
use mcp_switch::{Adapter, Client};
use mcp_tests::peak_rss;
use serde_json::json;

/// How much the peak resident memory may grow over a flood: the event
/// queues' budgets (16 MiB by default, of which little is used here),
/// the answers waiting to be written (1 MiB), the read buffers, and the
/// allocator's slack.
const BOUND: usize = 32 * 1024 * 1024;

fn fault(mode: &str, n: usize) -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server"))
        .arg(mode)
        .arg(n.to_string())
}

fn quick() -> Shutdown {
    Shutdown {
        stdin_grace: Duration::from_millis(300),
        term_grace: Duration::from_millis(300),
    }
}

fn check_peak(baseline: usize, what: &str) {
    let grown = peak_rss().saturating_sub(baseline);
    eprintln!(
        "{what}: peak RSS grew by {:.1} MiB",
        grown as f64 / 1048576.0
    );
    assert!(
        grown < BOUND,
        "{what}: peak RSS grew by {} MiB (bound {} MiB)",
        grown >> 20,
        BOUND >> 20
    );
}

/// Counts violations, slowly.
#[derive(Default)]
struct SlowCounter {
    lines: AtomicU64,
    callbacks: AtomicUsize,
    logs: Mutex<Vec<i64>>,
}

impl NotificationHandler for SlowCounter {
    fn violation(&self, v: &Violation) {
        if v.kind == ViolationKind::NotJson {
            self.lines.fetch_add(1 + v.repeats, Ordering::SeqCst);
        }
        self.callbacks.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_micros(200));
    }

    fn notification(&self, n: &Notification) {
        if let Notification::Log(l) = n {
            let seq = l.data["seq"].as_i64().unwrap_or(-1);
            let mut logs = self.logs.lock().unwrap();
            logs.push(seq);
            if logs.len().is_multiple_of(4) {
                std::thread::sleep(Duration::from_micros(20));
            }
        }
    }
}

#[test]
fn floods_from_the_server_stay_within_the_limits() {
    let baseline = peak_rss();
    for adapter in Adapter::ALL {
        bad_lines(adapter);
        check_peak(baseline, &format!("{adapter:?}, 4,000,000 bad lines"));
    }
    for adapter in Adapter::ALL {
        notifications(adapter);
        check_peak(baseline, &format!("{adapter:?}, 100,000 notifications"));
    }
    for adapter in Adapter::ALL {
        ping_storm(adapter);
        check_peak(
            baseline,
            &format!("{adapter:?}, 5,000,000 unanswered pings"),
        );
    }
}

fn bad_lines(adapter: Adapter) {
    const LINES: usize = 4_000_000;
    let seen = Arc::new(SlowCounter::default());
    let client = Client::builder(adapter)
        .shutdown(quick())
        .notification_handler(seen.clone())
        .spawn(&fault("bad-lines", LINES))
        .unwrap();
    let started = Instant::now();
    let result = client
        .with_timeout(Duration::from_secs(300))
        .call_tool("echo", json!({"text": "after the flood"}))
        .unwrap();
    assert_eq!(
        result.content[0].as_text(),
        Some("after the flood"),
        "{adapter:?}"
    );
    eprintln!(
        "{adapter:?}: the answer after the flood took {:?}",
        started.elapsed()
    );
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    // Every line was counted, in far fewer callbacks than lines.
    assert_eq!(
        seen.lines.load(Ordering::SeqCst),
        LINES as u64,
        "{adapter:?}"
    );
    let callbacks = seen.callbacks.load(Ordering::SeqCst);
    eprintln!("{adapter:?}: {LINES} bad lines reported in {callbacks} callbacks");
    assert!(callbacks < LINES / 10, "{adapter:?}: {callbacks} callbacks");
}

fn notifications(adapter: Adapter) {
    const N: usize = 100_000;
    let seen = Arc::new(SlowCounter::default());
    let mut config = Config::default();
    config.limits.max_queued_bytes = 1024 * 1024;
    let client = Client::builder(adapter)
        .config(config)
        .shutdown(quick())
        .notification_handler(seen.clone())
        .spawn(&fault("flood-kib", N))
        .unwrap();
    client
        .with_timeout(Duration::from_secs(300))
        .call_tool("echo", json!({"text": "after the flood"}))
        .unwrap();
    let closed = client.close();
    assert_eq!(closed.threads_left, 0, "{closed:?}");
    let logs = seen.logs.lock().unwrap();
    assert_eq!(logs.len(), N, "{adapter:?}: every notification delivered");
    assert!(
        logs.iter().enumerate().all(|(i, seq)| *seq == i as i64),
        "{adapter:?}: in order"
    );
}

fn ping_storm(adapter: Adapter) {
    let config = Config {
        probe_timeout: Duration::from_secs(1),
        handshake_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    let started = Instant::now();
    let err = Client::builder(adapter)
        .config(config)
        .shutdown(quick())
        .spawn(&fault("ping-storm", 5_000_000))
        .unwrap_err();
    // The server answers nothing, so the client never starts; meanwhile it
    // read pings only as fast as the server took their answers.
    assert!(matches!(err, Error::Handshake { .. }), "{adapter:?}: {err}");
    eprintln!(
        "{adapter:?}: gave up after {:?}: {err:.100}",
        started.elapsed()
    );
}
