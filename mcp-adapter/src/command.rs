//! What starts a server and how it is ended: plain data, the same for
//! every adapter.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

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

    /// The command, ready to spawn: its three pipes piped, and (on Unix)
    /// in a process group of its own, so a terminal's Ctrl-C does not reach
    /// it behind the client's back and shutdown signals reach the
    /// grandchildren that launchers such as `npx` and `uvx` leave behind.
    pub fn to_command(&self) -> std::process::Command {
        let mut c = std::process::Command::new(&self.program);
        c.args(&self.args);
        if self.env_clear {
            c.env_clear();
        }
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.cwd {
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
        c
    }

    /// The error for this command failing to start.
    pub fn spawn_error(&self, source: std::io::Error) -> crate::Error {
        crate::Error::Spawn {
            program: self.program.to_string_lossy().into_owned(),
            source,
        }
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
    pub fn worst_case(&self) -> Duration {
        self.stdin_grace + self.term_grace * 2 + Duration::from_secs(2)
    }
}
