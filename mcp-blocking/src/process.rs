//! Starting a server process and ending it, with everything it started.
//!
//! The server runs in a process group of its own: a terminal's Ctrl-C does
//! not reach it behind the client's back, and the shutdown signals reach the
//! grandchildren that launchers such as `npx` and `uvx` leave behind.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::error::Error;

/// How to start an MCP server: program, arguments, environment, directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCommand {
    /// The program (looked up on `PATH` unless it contains a `/`).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables to set (after clearing, if `env_clear`).
    pub env: Vec<(OsString, OsString)>,
    /// Start from an empty environment instead of inheriting this one.
    /// Remember `PATH` and `HOME` if the server needs them.
    pub env_clear: bool,
    /// Working directory (default: this process's).
    pub cwd: Option<PathBuf>,
}

impl ServerCommand {
    /// A command with no arguments.
    pub fn new(program: impl Into<OsString>) -> Self {
        ServerCommand {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            env_clear: false,
            cwd: None,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts from an empty environment.
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self
    }

    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The program and arguments as one line, for messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|s| s.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How long to wait at each step of shutting a server down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// After closing its stdin, how long the server may take to exit before
    /// it gets SIGTERM. Default 2 s.
    pub stdin_grace: Duration,
    /// After SIGTERM, how long before SIGKILL. Default 2 s.
    pub term_grace: Duration,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            stdin_grace: Duration::from_secs(2),
            term_grace: Duration::from_secs(2),
        }
    }
}

impl Shutdown {
    /// The longest a whole shutdown can take, with a margin for the kill to
    /// land.
    pub(crate) fn worst_case(&self) -> Duration {
        self.stdin_grace + self.term_grace * 2 + Duration::from_secs(2)
    }
}

/// A started server: the process and its three pipes.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    pub(crate) stdout: ChildStdout,
    pub(crate) stderr: ChildStderr,
}

pub(crate) fn spawn(cmd: &ServerCommand) -> Result<Spawned, Error> {
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args);
    if cmd.env_clear {
        c.env_clear();
    }
    c.envs(cmd.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = &cmd.cwd {
        c.current_dir(dir);
    }
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        c.process_group(0);
    }
    let mut child = c.spawn().map_err(|source| Error::Spawn {
        program: cmd.program.to_string_lossy().into_owned(),
        source,
    })?;
    // Piped above, so present; a missing one would be a bug in this function.
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::Io(std::io::Error::other(
            "the child's pipes were not set up",
        )));
    };
    Ok(Spawned {
        child,
        stdin,
        stdout,
        stderr,
    })
}

/// A signal for the server's process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Term,
    Kill,
}

/// The server's process group (its id is the server's pid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Group(pub(crate) u32);

impl Group {
    /// Sends `sig` to every process in the group. False if none is left.
    #[cfg(unix)]
    pub(crate) fn signal(self, sig: Signal) -> bool {
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
    pub(crate) fn alive(self) -> bool {
        use rustix::process::{test_kill_process_group, Pid};
        i32::try_from(self.0)
            .ok()
            .and_then(Pid::from_raw)
            .is_some_and(|pid| test_kill_process_group(pid).is_ok())
    }

    /// Process groups are a Unix notion; elsewhere the child itself is
    /// killed by its waiter.
    #[cfg(not(unix))]
    pub(crate) fn signal(self, _sig: Signal) -> bool {
        false
    }

    /// See the Unix version.
    #[cfg(not(unix))]
    pub(crate) fn alive(self) -> bool {
        false
    }
}
