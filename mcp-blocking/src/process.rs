//! Starting a server process and ending it, with everything it started.
//!
//! The server runs in a process group of its own: a terminal's Ctrl-C does
//! not reach it behind the client's back, and the shutdown signals reach the
//! grandchildren that launchers such as `npx` and `uvx` leave behind.

use std::process::{Child, ChildStderr, ChildStdin, ChildStdout};

pub use mcp_adapter::{ServerCommand, Shutdown};

use crate::Error;

/// A started server: the process and its three pipes.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    pub(crate) stdout: ChildStdout,
    pub(crate) stderr: ChildStderr,
}

pub(crate) fn spawn(cmd: &ServerCommand) -> Result<Spawned, Error> {
    let mut child = cmd.to_command().spawn().map_err(|e| cmd.spawn_error(e))?;
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
