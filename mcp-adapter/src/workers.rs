//! Threads for the clients' background work, kept a moment after each job
//! and reused by the next client.
//!
//! A client needs a handful of threads (driver, writer, readers, ...) for
//! its whole life. Starting and ending them cost a program that talks to
//! one short-lived server after another (a test suite, a script looping
//! over servers) a fifth of each connection: stacks mapped and faulted in,
//! then unmapped. A thread whose job ended waits [`KEEP`] for another one,
//! at most [`MAX_IDLE`] of them, then ends; so a program that stops
//! starting clients is back to its own threads shortly after.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

/// How long a thread without a job waits for one before it ends.
pub const KEEP: Duration = Duration::from_secs(2);

/// The most threads kept waiting for a job.
pub const MAX_IDLE: usize = 32;

/// A job, and what to tell once it has ended.
type Job = (Box<dyn FnOnce() + Send>, Arc<Done>);

/// Threads waiting for a job, the latest first out (its stack is warm).
static IDLE: Mutex<Vec<(ThreadId, Sender<Job>)>> = Mutex::new(Vec::new());

fn idle() -> std::sync::MutexGuard<'static, Vec<(ThreadId, Sender<Job>)>> {
    IDLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A job running on a worker: wait for it, or see whether it has ended.
#[derive(Debug)]
pub struct Worker {
    done: Arc<Done>,
    thread: ThreadId,
}

#[derive(Debug, Default)]
struct Done {
    ended: Mutex<bool>,
    signal: Condvar,
}

impl Worker {
    /// Waits until the job has ended (returned or panicked).
    pub fn join(&self) {
        let mut ended = self
            .done
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*ended {
            ended = self
                .done
                .signal
                .wait(ended)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Whether the job has ended.
    pub fn is_finished(&self) -> bool {
        *self
            .done
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The thread the job runs on (a job must never wait for itself).
    pub fn thread(&self) -> ThreadId {
        self.thread
    }
}

/// Runs `job` on a waiting thread, or on a new one (`mcp-worker`) if none
/// waits. A panic in `job` ends the job, not the thread.
pub fn spawn(job: impl FnOnce() + Send + 'static) -> std::io::Result<Worker> {
    let done = Arc::new(Done::default());
    let mut job: Job = (Box::new(job), done.clone());
    loop {
        let Some((thread, tx)) = idle().pop() else {
            break;
        };
        // A thread taken off the list waits for this send (see `work`).
        match tx.send(job) {
            Ok(()) => return Ok(Worker { done, thread }),
            Err(mpsc::SendError(j)) => job = j,
        }
    }
    let handle = std::thread::Builder::new()
        .name("mcp-worker".into())
        .spawn(move || work(job))?;
    Ok(Worker {
        done,
        thread: handle.thread().id(),
    })
}

fn work(first: Job) {
    let me = std::thread::current().id();
    let (tx, rx) = mpsc::channel::<Job>();
    let mut job = first;
    loop {
        let (run, done) = job;
        let _ = std::panic::catch_unwind(AssertUnwindSafe(run));
        // Back on the list before the job is seen to have ended: whoever
        // waited for it and starts the next job finds this thread.
        let keep = {
            let mut idle = idle();
            let keep = idle.len() < MAX_IDLE;
            if keep {
                idle.push((me, tx.clone()));
            }
            keep
        };
        *done.ended.lock().unwrap_or_else(PoisonError::into_inner) = true;
        done.signal.notify_all();
        drop(done);
        if !keep {
            return;
        }
        job = match rx.recv_timeout(KEEP) {
            Ok(j) => j,
            Err(RecvTimeoutError::Timeout) => {
                let mut idle = idle();
                match idle.iter().position(|(t, _)| *t == me) {
                    // Still listed: nobody can hand it a job any more.
                    Some(i) => {
                        idle.swap_remove(i);
                        return;
                    }
                    // Taken off the list a moment ago: the job is on its way.
                    None => {
                        drop(idle);
                        match rx.recv() {
                            Ok(j) => j,
                            Err(_) => return,
                        }
                    }
                }
            }
            // Unreachable while `tx` lives; ends the thread if it ever is.
            Err(RecvTimeoutError::Disconnected) => return,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_are_waited_for_and_threads_are_reused() {
        let (tx, rx) = mpsc::channel();
        let first = spawn(move || tx.send(std::thread::current().id()).unwrap()).unwrap();
        first.join();
        assert!(first.is_finished());
        assert_eq!(rx.recv().unwrap(), first.thread());

        // The next job, started after the first ended, finds a thread
        // waiting (tests in this binary may share the list, so look for
        // reuse over a few rounds rather than in one).
        let mut reused = false;
        for _ in 0..5 {
            let a = spawn(|| {}).unwrap();
            a.join();
            let b = spawn(|| {}).unwrap();
            b.join();
            reused |= a.thread() == b.thread();
        }
        assert!(reused, "no thread was reused");
    }

    #[test]
    fn a_panicking_job_still_ends_and_its_thread_goes_on() {
        let w = spawn(|| panic!("job failed on purpose")).unwrap();
        w.join();
        assert!(w.is_finished());
        let (tx, rx) = mpsc::channel();
        let after = spawn(move || tx.send(()).unwrap()).unwrap();
        after.join();
        rx.recv().unwrap();
    }

    #[test]
    fn a_job_that_has_not_ended_is_not_finished() {
        let (go, wait) = mpsc::channel::<()>();
        let w = spawn(move || {
            let _ = wait.recv();
        })
        .unwrap();
        assert!(!w.is_finished());
        go.send(()).unwrap();
        w.join();
        assert!(w.is_finished());
    }
}
