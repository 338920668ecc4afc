//! The server's process group: signalled as a whole at shutdown, so the
//! grandchildren that launchers such as `npx` and `uvx` leave behind go too.

/// A signal for the server's process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Asks the processes to end (SIGTERM).
    Term,
    /// Ends them (SIGKILL).
    Kill,
}

/// The server's process group (its id is the server's pid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group(pub u32);

impl Group {
    /// Sends `sig` to every process in the group. False if none is left.
    #[cfg(unix)]
    pub fn signal(self, sig: Signal) -> bool {
        use rustix::process::{kill_process_group, Pid, Signal as S};
        let Some(pid) = i32::try_from(self.0).ok().and_then(Pid::from_raw) else {
            return false;
        };
        let s = match sig {
            Signal::Term => S::TERM,
            Signal::Kill => S::KILL,
        };
        kill_process_group(pid, s).is_ok()
    }

    /// Whether any process of the group is still alive.
    #[cfg(unix)]
    pub fn alive(self) -> bool {
        use rustix::process::{test_kill_process_group, Pid};
        i32::try_from(self.0)
            .ok()
            .and_then(Pid::from_raw)
            .is_some_and(|pid| test_kill_process_group(pid).is_ok())
    }

    /// Process groups are a Unix notion; elsewhere the child itself is
    /// killed by its waiter.
    #[cfg(not(unix))]
    pub fn signal(self, _sig: Signal) -> bool {
        false
    }

    /// See the Unix version.
    #[cfg(not(unix))]
    pub fn alive(self) -> bool {
        false
    }
}
