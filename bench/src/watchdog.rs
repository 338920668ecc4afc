//! Every wait of a benchmark run is bounded: a run that stops making
//! progress for [`STALL`] prints its failure line and exits, whatever it
//! was waiting for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long a run may go without progress.
pub const STALL: Duration = Duration::from_secs(60);

/// Progress seen by the watchdog thread.
#[derive(Clone)]
pub struct Watchdog {
    progress: Arc<AtomicU64>,
}

impl Watchdog {
    /// Starts the watchdog: if [`Watchdog::tick`] is not called for
    /// `stall`, `line` is printed on stdout and the process exits with 1.
    pub fn start(stall: Duration, line: String) -> Watchdog {
        let progress = Arc::new(AtomicU64::new(0));
        let seen = progress.clone();
        std::thread::spawn(move || {
            let mut last = u64::MAX;
            loop {
                std::thread::sleep(stall);
                let now = seen.load(Ordering::Relaxed);
                if now == last {
                    println!("{line}");
                    std::process::exit(1);
                }
                last = now;
            }
        });
        Watchdog { progress }
    }

    /// Records progress.
    pub fn tick(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }
}
