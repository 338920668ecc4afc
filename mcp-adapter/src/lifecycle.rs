//! The end of a server process, as a schedule: when its end of file counts
//! (after a short wait for its exit status, so errors can name it), and how
//! a shutdown goes (close stdin, wait, SIGTERM to the group, wait, SIGKILL;
//! stragglers the server left in its group get the same, and so do its
//! descendants that left the group, see [`Strays`]). Time is a parameter;
//! an adapter reports what happened and acts on the deadlines.

use std::time::{Duration, Instant};

use crate::group::{Group, Signal, Strays};
use crate::{ExitStatus, Shutdown};

/// How long to wait, after the server's stdout ends, for its exit status
/// before failing the pending calls without it.
const EXIT_STATUS_WAIT: Duration = Duration::from_secs(1);

/// How long to wait, after the server process exits, for its stdout to end
/// (a grandchild may hold it open) before treating the server as gone.
const EOF_AFTER_EXIT_WAIT: Duration = Duration::from_millis(200);

/// How long the end of file may wait, once due, for the server's stderr to
/// end while calls are pending: a server that says why it fails and exits
/// has its last words in the pipe, and the calls' errors should carry them.
const STDERR_END_WAIT: Duration = Duration::from_millis(200);

/// How often the end of file looks again for the end of stderr.
const STDERR_POLL: Duration = Duration::from_millis(2);

/// How often a shutdown checks whether the process group is empty yet.
const GROUP_POLL: Duration = Duration::from_millis(20);

/// How often the process tree is looked at for the server's descendants
/// while a shutdown waits for the server to exit.
const SCAN_EVERY: Duration = Duration::from_millis(100);

/// How long to wait for an exit after SIGKILL: it cannot be ignored, so a
/// process still there is stuck in the kernel and waiting will not help.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// Where a shutdown stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Stdin is closed; the server may exit by itself until then.
    WaitExit(Instant),
    /// SIGTERM sent to the group; SIGKILL at the deadline.
    WaitTerm(Instant),
    /// SIGKILL sent; give up waiting at the deadline.
    WaitKill(Instant),
    /// The server exited; its group's stragglers got SIGTERM, and get
    /// SIGKILL at the deadline.
    Stragglers {
        kill_at: Instant,
        killed: bool,
    },
    Done,
}

/// The schedule of one server process (or of none, for streams and HTTP).
#[derive(Debug)]
pub struct Lifecycle {
    group: Option<Group>,
    shutdown: Shutdown,
    eof: bool,
    exited: Option<ExitStatus>,
    /// When to hand the core its end of file.
    eof_at: Option<Instant>,
    /// When the end of file first fell due, if it was held for stderr.
    eof_held_since: Option<Instant>,
    stop: Option<Stop>,
    /// The server's descendants outside its group, found while it lived.
    strays: Strays,
    /// When the process tree was last looked at.
    scanned: Option<Instant>,
}

impl Lifecycle {
    /// The schedule for a server in process group `group` (`None` when
    /// there is no process to end).
    pub fn new(group: Option<Group>, shutdown: Shutdown) -> Lifecycle {
        Lifecycle {
            group,
            shutdown,
            eof: false,
            exited: None,
            eof_at: None,
            eof_held_since: None,
            stop: None,
            strays: Strays::default(),
            scanned: None,
        }
    }

    /// Looks for the server's descendants (and theirs), while they can
    /// still be told apart from anyone else's.
    fn scan(&mut self, now: Instant) {
        if let Some(group) = self.group {
            self.strays.refresh(group);
            self.scanned = Some(now);
        }
    }

    /// Signals the group and the descendants that left it.
    fn signal(&mut self, sig: Signal, now: Instant) {
        if let Some(group) = self.group {
            self.scan(now);
            group.signal(sig);
            self.strays.signal(sig);
        }
    }

    /// Whether anything of the group or the strays is left.
    fn family_alive(&self) -> bool {
        self.group.is_some_and(Group::alive) || self.strays.alive()
    }

    /// The server's stdout ended.
    pub fn on_eof(&mut self, now: Instant) {
        self.eof = true;
        // Wait briefly for the exit status so errors can name it.
        self.eof_at = Some(if self.exited.is_some() || self.group.is_none() {
            now
        } else {
            now + EXIT_STATUS_WAIT
        });
    }

    /// Writing to the server failed: it is going away.
    pub fn on_write_failed(&mut self, now: Instant) {
        if self.eof_at.is_none() {
            self.eof_at = Some(now + EXIT_STATUS_WAIT);
        }
    }

    /// The server process exited.
    pub fn on_exited(&mut self, status: ExitStatus, now: Instant) {
        self.exited = Some(status);
        let due = if self.eof {
            now
        } else {
            now + EOF_AFTER_EXIT_WAIT
        };
        self.eof_at = Some(self.eof_at.map_or(due, |t| t.min(due)));
        if self.stop.is_some() {
            self.enter_stragglers(now);
        }
    }

    /// Whether there is a server process to end.
    pub fn has_process(&self) -> bool {
        self.group.is_some()
    }

    /// How the server exited, once known.
    pub fn exit_status(&self) -> Option<&ExitStatus> {
        self.exited.as_ref()
    }

    /// Whether the end of file is due: true once, at its time; the adapter
    /// then hands the core its end of file.
    pub fn take_eof(&mut self, now: Instant) -> bool {
        if self.eof_at.is_some_and(|t| t <= now) {
            self.eof_at = None;
            return true;
        }
        false
    }

    /// The end of file is due, but the server's stderr has not ended yet:
    /// holds it back a moment, within 200 ms of when it fell
    /// due. False (nothing held) when it is not due, once that wait is
    /// spent, or without a process.
    pub fn hold_eof(&mut self, now: Instant) -> bool {
        let Some(due) = self.eof_at.filter(|t| *t <= now) else {
            return false;
        };
        if self.group.is_none() {
            return false;
        }
        let limit = *self.eof_held_since.get_or_insert(due) + STDERR_END_WAIT;
        if now >= limit {
            return false;
        }
        self.eof_at = Some((now + STDERR_POLL).min(limit));
        true
    }

    /// Starts the shutdown (the connection is closed): the adapter closes
    /// the server's stdin now. A no-op after the first call.
    pub fn begin_stop(&mut self, now: Instant) {
        if self.stop.is_some() {
            return;
        }
        self.stop = Some(match (self.group, &self.exited) {
            (None, _) => Stop::Done,
            (Some(_), Some(_)) => return self.enter_stragglers(now),
            (Some(_), None) => {
                self.scan(now);
                Stop::WaitExit(now + self.shutdown.stdin_grace)
            }
        });
    }

    /// Whether a shutdown has begun.
    pub fn stopping(&self) -> bool {
        self.stop.is_some()
    }

    /// Whether the shutdown is over: the process and its group are gone, or
    /// waiting longer would not help.
    pub fn stopped(&self) -> bool {
        self.stop == Some(Stop::Done)
    }

    /// The next time something is due (`step` then acts on it).
    pub fn deadline(&self, now: Instant) -> Option<Instant> {
        let rescan = self.scanned.map_or(now, |t| t + SCAN_EVERY);
        let stop = match self.stop {
            Some(Stop::WaitExit(t) | Stop::WaitTerm(t)) => Some(t.min(rescan)),
            Some(Stop::WaitKill(t)) => Some(t),
            Some(Stop::Stragglers { kill_at, .. }) => Some(kill_at.min(now + GROUP_POLL)),
            Some(Stop::Done) | None => None,
        };
        [self.eof_at, stop].into_iter().flatten().min()
    }

    /// Takes the shutdown steps that are due: signals the group as the
    /// schedule says.
    pub fn step(&mut self, now: Instant) {
        let (Some(stop), Some(_)) = (self.stop, self.group) else {
            return;
        };
        if matches!(stop, Stop::WaitExit(_) | Stop::WaitTerm(_))
            && self.scanned.is_none_or(|t| now >= t + SCAN_EVERY)
        {
            self.scan(now);
        }
        self.stop = Some(match stop {
            Stop::WaitExit(t) if now >= t => {
                self.signal(Signal::Term, now);
                Stop::WaitTerm(now + self.shutdown.term_grace)
            }
            Stop::WaitTerm(t) if now >= t => {
                self.signal(Signal::Kill, now);
                Stop::WaitKill(now + KILL_WAIT)
            }
            Stop::WaitKill(t) if now >= t => Stop::Done,
            Stop::Stragglers { kill_at, killed } => {
                if !self.family_alive() {
                    Stop::Done
                } else if now >= kill_at && !killed {
                    self.signal(Signal::Kill, now);
                    Stop::Stragglers {
                        kill_at: now + KILL_WAIT,
                        killed: true,
                    }
                } else if now >= kill_at {
                    Stop::Done
                } else {
                    stop
                }
            }
            other => other,
        });
    }

    fn enter_stragglers(&mut self, now: Instant) {
        if self.group.is_none() {
            self.stop = Some(Stop::Done);
            return;
        }
        // The server is gone; anything left in its group was started by
        // it, and so were the descendants found while it lived.
        if self.family_alive() {
            self.signal(Signal::Term, now);
            self.stop = Some(Stop::Stragglers {
                kill_at: now + self.shutdown.term_grace,
                killed: false,
            });
        } else {
            self.stop = Some(Stop::Done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_file_waits_a_moment_for_stderr_then_goes_on() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(Some(Group(u32::MAX)), Shutdown::default());
        l.on_eof(t0);
        l.on_exited(ExitStatus::Code(3), t0);
        // Due now; held while stderr is still open, a poll at a time.
        assert!(l.hold_eof(t0));
        assert!(!l.take_eof(t0));
        assert_eq!(l.deadline(t0), Some(t0 + STDERR_POLL));
        let later = t0 + STDERR_POLL;
        assert!(l.hold_eof(later));
        // Never past the limit: then it is given, held or not.
        let end = t0 + STDERR_END_WAIT;
        assert!(l.deadline(end).is_some_and(|d| d <= end));
        assert!(!l.hold_eof(end));
        assert!(l.take_eof(end));
        // Nothing to hold without a process, or before it is due.
        let mut l = Lifecycle::new(None, Shutdown::default());
        l.on_eof(t0);
        assert!(!l.hold_eof(t0));
        let mut l = Lifecycle::new(Some(Group(u32::MAX)), Shutdown::default());
        l.on_eof(t0);
        assert!(!l.hold_eof(t0), "not due until the exit or a second");
    }

    #[test]
    fn end_of_file_waits_briefly_for_the_exit_status() {
        let t0 = Instant::now();
        // A process: the end of file waits for the exit, or a second.
        let mut l = Lifecycle::new(Some(Group(u32::MAX)), Shutdown::default());
        l.on_eof(t0);
        assert!(!l.take_eof(t0));
        assert_eq!(l.deadline(t0), Some(t0 + EXIT_STATUS_WAIT));
        l.on_exited(ExitStatus::Code(1), t0 + Duration::from_millis(10));
        assert!(l.take_eof(t0 + Duration::from_millis(10)));
        assert!(!l.take_eof(t0 + Duration::from_secs(5)), "only once");
        assert_eq!(l.exit_status(), Some(&ExitStatus::Code(1)));
        // No process: at once.
        let mut l = Lifecycle::new(None, Shutdown::default());
        l.on_eof(t0);
        assert!(l.take_eof(t0));
        // An exit before the end of file: the end of file is given 200 ms.
        let mut l = Lifecycle::new(Some(Group(u32::MAX)), Shutdown::default());
        l.on_exited(ExitStatus::Code(0), t0);
        assert!(!l.take_eof(t0));
        assert!(l.take_eof(t0 + EOF_AFTER_EXIT_WAIT));
    }

    #[test]
    fn without_a_process_stopping_is_done_at_once() {
        let mut l = Lifecycle::new(None, Shutdown::default());
        assert!(!l.stopping());
        l.begin_stop(Instant::now());
        assert!(l.stopping() && l.stopped());
    }

    #[test]
    fn a_process_that_does_not_exit_is_escalated_on_schedule() {
        // A group id no process has: signals go nowhere, the schedule runs.
        let t0 = Instant::now();
        let shutdown = Shutdown::default();
        let mut l = Lifecycle::new(Some(Group(i32::MAX as u32 - 7)), shutdown);
        l.begin_stop(t0);
        // While it waits for the exit, it looks at the process tree now
        // and then (for descendants that leave the group), nothing more.
        assert_eq!(l.deadline(t0), Some(t0 + SCAN_EVERY));
        let mut t = t0;
        while t < t0 + shutdown.stdin_grace {
            l.step(t);
            assert!(matches!(l.stop, Some(Stop::WaitExit(_))), "at {:?}", t - t0);
            t = l.deadline(t).unwrap();
        }
        let t1 = t0 + shutdown.stdin_grace;
        assert_eq!(t, t1, "escalated when the grace is over");
        l.step(t1);
        assert!(matches!(l.stop, Some(Stop::WaitTerm(_))));
        assert_eq!(l.deadline(t1), Some(t1 + SCAN_EVERY));
        let t2 = t1 + shutdown.term_grace;
        l.step(t2);
        assert_eq!(l.deadline(t2), Some(t2 + KILL_WAIT));
        l.step(t2 + KILL_WAIT);
        assert!(l.stopped());
    }
}
