//! The raw pipe floor: the driver contract of `mcp-bench-client`, done
//! with no JSON work at all. It writes the bytes our client writes (made
//! by the core, see `mcp_bench::wire`) to the same server and reads the
//! reply lines without parsing them: what no client can beat.
//!
//! W2 keeps 64 requests outstanding and batches its writes: as many new
//! requests per write as replies arrived in the last read.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use mcp_bench::cli::{self, Args, Workload, WINDOW};
use mcp_bench::report::{self, Measured, Timer};
use mcp_bench::watchdog::{Watchdog, STALL};
use mcp_bench::wire::{self, Script};

const CLIENT: &str = "floor";

fn main() {
    let parsed = cli::parse(std::env::args().skip(1)).map(|args| {
        let dog = Watchdog::start(
            STALL,
            report::failure(CLIENT, &args, "no progress for 60 s"),
        );
        let result = run(&args, &dog);
        (args, result)
    });
    report::finish(CLIENT, parsed)
}

fn run(args: &Args, dog: &Watchdog) -> Result<Measured, String> {
    if args.url.is_some() {
        return Err("the floor runs over stdio only".into());
    }
    let script = match args.workload {
        Workload::W1 | Workload::W2 => wire::script(args.era, "echo", &wire::echo_args())?,
        Workload::W3 => wire::script(args.era, "blob", &wire::blob_args(args.blob_bytes))?,
        Workload::W4 => wire::script(args.era, "echo", &wire::echo_args())?,
    };
    if args.workload == Workload::W4 {
        let timer = Timer::start();
        for _ in 0..args.n {
            let mut s = Server::spawn(args, &script)?;
            s.send(&script.list.frame(script.list.id))?;
            s.read_lines(1)?;
            s.close()?;
            dog.tick();
        }
        return Ok(timer.stop());
    }
    let mut s = Server::spawn(args, &script)?;
    let first = script.call.id;
    let mut buf = Vec::with_capacity(4096);
    let timer = Timer::start();
    match args.workload {
        Workload::W2 => {
            let (mut sent, mut received) = (0u64, 0u64);
            while received < args.n {
                let room = (WINDOW as u64).saturating_sub(sent - received);
                let batch = room.min(args.n - sent);
                if batch > 0 {
                    buf.clear();
                    for i in sent..sent + batch {
                        script.call.write(first + i, &mut buf);
                    }
                    s.send(&buf)?;
                    sent += batch;
                }
                received += s.read_available_lines()?;
                dog.tick();
            }
        }
        _ => {
            for i in 0..args.n {
                buf.clear();
                script.call.write(first + i, &mut buf);
                s.send(&buf)?;
                s.read_lines(1)?;
                dog.tick();
            }
        }
    }
    let measured = timer.stop();
    s.close()?;
    Ok(measured)
}

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: Vec<u8>,
}

impl Server {
    fn spawn(args: &Args, script: &Script) -> Result<Server, String> {
        let mut child = Command::new(&args.server[0])
            .args(&args.server[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("could not start {:?}: {e}", args.server[0]))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the child's pipes were not set up".into());
        };
        let mut s = Server {
            child,
            stdin: Some(stdin),
            stdout: BufReader::with_capacity(1 << 16, stdout),
            line: Vec::new(),
        };
        for step in &script.handshake {
            s.send(&step.bytes)?;
            s.read_lines(step.replies)?;
        }
        Ok(s)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let w = self.stdin.as_mut().ok_or("stdin is closed")?;
        w.write_all(bytes)
            .map_err(|e| format!("writing to the server: {e}"))
    }

    /// Reads `n` whole lines, unparsed.
    fn read_lines(&mut self, n: usize) -> Result<(), String> {
        for _ in 0..n {
            self.line.clear();
            match self.stdout.read_until(b'\n', &mut self.line) {
                Ok(0) => return Err("the server closed its stdout".into()),
                Ok(_) => {}
                Err(e) => return Err(format!("reading from the server: {e}")),
            }
        }
        Ok(())
    }

    /// Reads what is there (waiting for at least one byte) and counts the
    /// line ends in it.
    fn read_available_lines(&mut self) -> Result<u64, String> {
        let chunk = self
            .stdout
            .fill_buf()
            .map_err(|e| format!("reading from the server: {e}"))?;
        if chunk.is_empty() {
            return Err("the server closed its stdout".into());
        }
        let lines = memchr::memchr_iter(b'\n', chunk).count() as u64;
        let len = chunk.len();
        self.stdout.consume(len);
        Ok(lines)
    }

    fn close(mut self) -> Result<(), String> {
        self.stdin = None;
        self.child
            .wait()
            .map_err(|e| format!("waiting for the server: {e}"))?;
        Ok(())
    }
}
