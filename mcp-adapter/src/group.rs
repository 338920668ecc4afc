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

/// The server's descendants, found through the process tree while the
/// server lives, so that those that left its process group (a daemon that
/// called `setsid()`, say) are ended with the group.
///
/// A process stops being the server's descendant, as far as anyone can
/// tell, the moment its parent exits: it is then the child of init (or of
/// a subreaper). So the tree is looked at while the server still runs
/// (when the shutdown starts, and at each of its steps until the server is
/// gone) and what was found is remembered, each process with its start
/// time so that a reused process id is never signalled. What cannot be
/// caught: a descendant whose parent exited before the client started
/// closing (it was orphaned before anyone looked).
///
/// Linux only (through `/proc`); elsewhere only the process group is
/// signalled.
#[derive(Debug, Default, Clone)]
pub struct Strays {
    known: Vec<Proc>,
}

/// A process, told apart from a later one with the same id by when it
/// started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    pid: i32,
    /// Clock ticks after boot (`/proc/PID/stat` field 22).
    start: u64,
}

impl Strays {
    /// Adds the descendants of `server`, and of those already known, that
    /// are alive now.
    pub fn refresh(&mut self, server: Group) {
        #[cfg(target_os = "linux")]
        {
            let Ok(root) = i32::try_from(server.0) else {
                return;
            };
            let table = proc_table(root);
            let mut frontier: Vec<i32> = vec![root];
            frontier.extend(self.known.iter().map(|p| p.pid));
            while let Some(parent) = frontier.pop() {
                for p in table.iter().filter(|p| p.ppid == parent) {
                    let proc = Proc {
                        pid: p.pid,
                        start: p.start,
                    };
                    if !self.known.contains(&proc) {
                        self.known.push(proc);
                        frontier.push(p.pid);
                    }
                }
            }
            // Bounded by the machine's process table; forget the dead.
            self.known
                .retain(|k| table.iter().any(|p| p.pid == k.pid && p.start == k.start));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = server;
    }

    /// Sends `sig` to every known descendant that is still the process it
    /// was.
    #[cfg(unix)]
    pub fn signal(&self, sig: Signal) {
        use rustix::process::{kill_process, Pid, Signal as S};
        let s = match sig {
            Signal::Term => S::TERM,
            Signal::Kill => S::KILL,
        };
        for p in &self.known {
            if let (Some(pid), true) = (Pid::from_raw(p.pid), p.alive()) {
                let _ = kill_process(pid, s);
            }
        }
    }

    /// See the Unix version.
    #[cfg(not(unix))]
    pub fn signal(&self, _sig: Signal) {}

    /// Whether any known descendant is still alive (and not a zombie).
    pub fn alive(&self) -> bool {
        self.known.iter().any(Proc::alive)
    }
}

impl Proc {
    fn alive(&self) -> bool {
        #[cfg(target_os = "linux")]
        return read_stat(self.pid).is_some_and(|s| s.start == self.start && s.state != 'Z');
        #[cfg(not(target_os = "linux"))]
        false
    }
}

/// What `/proc/PID/stat` says of a process.
#[cfg(target_os = "linux")]
struct Stat {
    pid: i32,
    state: char,
    ppid: i32,
    start: u64,
}

#[cfg(target_os = "linux")]
fn read_stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses `pid (comm) state ppid ... starttime ...`; the command name may
/// hold spaces and parentheses, so the fields are counted from the last
/// `)`.
#[cfg(target_os = "linux")]
fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text.get(..open)?.trim().parse().ok()?;
    let mut rest = text.get(close + 1..)?.split_ascii_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    // Fields 5 to 21 lie between the parent's id and the start time.
    let start = rest.nth(17)?.parse().ok()?;
    Some(Stat {
        pid,
        state,
        ppid,
        start,
    })
}

/// Every live process (zombies left out) that may have been started after
/// `server`: a descendant's id was handed out after its parent's, and ids
/// are handed out in a circle up to `pid_max`, so only the ids from the
/// server's to the last one handed out (`ns_last_pid`) need a look. When
/// those are few (a server just started, on a quiet machine), each is
/// looked up directly; listing `/proc` and reading the stat of every
/// process on the machine cost a close about 0.3 ms for 75 of them.
/// Should the last id not be readable, every process is looked at.
#[cfg(target_os = "linux")]
fn proc_table(server: i32) -> Vec<Stat> {
    /// Ids worth looking up one by one rather than listing `/proc`.
    const PROBE_MAX: i32 = 1024;
    let read_int =
        |path: &str| -> Option<i32> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let live = |stats: Vec<Stat>| stats.into_iter().filter(|s| s.state != 'Z').collect();
    let window = read_int("/proc/sys/kernel/ns_last_pid").map(|last| {
        let pid_max = read_int("/proc/sys/kernel/pid_max").unwrap_or(i32::MAX);
        (last, pid_max)
    });
    if let Some((last, pid_max)) = window {
        let (first, wrapped) = ((server + 1)..=last, (server + 1)..pid_max);
        let count = if last >= server {
            last - server
        } else {
            (pid_max - server - 1).saturating_add(last)
        };
        if count <= PROBE_MAX {
            let ids: Vec<i32> = if last >= server {
                first.collect()
            } else {
                wrapped.chain(1..=last).collect()
            };
            return live(ids.into_iter().filter_map(read_stat).collect());
        }
    }
    let after_server = |pid: i32| match window {
        Some((last, _)) if last >= server => pid > server && pid <= last,
        Some((last, _)) => pid > server || pid <= last,
        None => true,
    };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    live(
        dir.filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| after_server(*pid))
            .filter_map(read_stat)
            .collect(),
    )
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_whatever_the_command_is_called() {
        let line = "4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 123456 1 2 3";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.pid, s.state, s.ppid, s.start), (4242, 'S', 17, 123456));
        assert!(parse_stat("garbage").is_none());
        assert!(parse_stat("1 (x) S").is_none());
    }

    #[test]
    fn a_process_finds_its_own_children_and_forgets_them_when_they_end() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut strays = Strays::default();
        strays.refresh(Group(std::process::id()));
        let pid = i32::try_from(child.id()).unwrap();
        assert!(strays.known.iter().any(|p| p.pid == pid), "{strays:?}");
        // Other tests' children are this process's too: leave them be.
        strays.known.retain(|p| p.pid == pid);
        assert!(strays.alive());
        strays.signal(Signal::Kill);
        child.wait().unwrap();
        strays.refresh(Group(std::process::id()));
        assert!(!strays.known.iter().any(|p| p.pid == pid), "forgotten");
    }
}
