//! The driver contract:
//!
//! ```text
//! mcp-bench-client [--adapter blocking|smol] [--lift-line-cap] --workload W1|W2|W3|W4
//!     --n N [--era legacy|modern] [--blob-bytes B] -- SERVER_COMMAND...
//! ```
//!
//! `--url URL` instead of `-- SERVER_COMMAND...` runs W1 and W2 over
//! Streamable HTTP (an extension of ours, for the HTTP part of the suite).

use std::fmt;
use std::str::FromStr;

/// Which client does the I/O.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adapter {
    /// `mcp-blocking` (the default).
    Blocking,
    /// `mcp-smol`.
    Smol,
}

/// Which protocol era to speak; given, never detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// `initialize` at 2025-11-25 (the default).
    Legacy,
    /// `server/discover`, then 2026-07-28 `_meta` on every request.
    Modern,
}

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// N sequential `echo` calls.
    W1,
    /// N `echo` calls, 64 outstanding.
    W2,
    /// N sequential `blob` calls of `--blob-bytes` each.
    W3,
    /// N times: spawn, handshake, `tools/list`, close.
    W4,
}

/// How many calls W2 keeps outstanding.
pub const WINDOW: usize = 64;
/// `--blob-bytes` when not given: 16 MiB.
pub const DEFAULT_BLOB_BYTES: usize = 16 << 20;

/// The parsed command line.
#[derive(Clone, Debug)]
pub struct Args {
    /// `--adapter`.
    pub adapter: Adapter,
    /// `--lift-line-cap`.
    pub lift_line_cap: bool,
    /// `--workload`.
    pub workload: Workload,
    /// `--n`.
    pub n: u64,
    /// `--era`.
    pub era: Era,
    /// `--blob-bytes`.
    pub blob_bytes: usize,
    /// The server's argv, after `--`.
    pub server: Vec<String>,
    /// `--url`, for HTTP.
    pub url: Option<String>,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            adapter: Adapter::Blocking,
            lift_line_cap: false,
            workload: Workload::W1,
            n: 0,
            era: Era::Legacy,
            blob_bytes: DEFAULT_BLOB_BYTES,
            server: Vec::new(),
            url: None,
        }
    }
}

/// Parses the arguments after the program name. On error, the fields read
/// so far come back too, for the error line.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Args, (Args, String)> {
    let mut args = Args::default();
    let (mut have_workload, mut have_n) = (false, false);
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            args.server = it.by_ref().collect();
            break;
        }
        let step = match arg.as_str() {
            "--lift-line-cap" => {
                args.lift_line_cap = true;
                Ok(())
            }
            flag @ ("--adapter" | "--workload" | "--n" | "--era" | "--blob-bytes" | "--url") => {
                match it.next() {
                    None => Err(format!("{flag} needs a value")),
                    Some(v) => set(&mut args, flag, v, &mut have_workload, &mut have_n),
                }
            }
            other => Err(format!("unknown argument {other:?}")),
        };
        if let Err(e) = step {
            return Err((args, e));
        }
    }
    let missing = if !have_workload {
        Some("--workload is required")
    } else if !have_n {
        Some("--n is required")
    } else if args.server.is_empty() && args.url.is_none() {
        Some("give the server's command after `--` (or --url)")
    } else if args.url.is_some() && matches!(args.workload, Workload::W3 | Workload::W4) {
        Some("--url runs W1 and W2 only")
    } else {
        None
    };
    match missing {
        Some(m) => Err((args, m.to_string())),
        None => Ok(args),
    }
}

fn set(
    args: &mut Args,
    flag: &str,
    v: String,
    have_workload: &mut bool,
    have_n: &mut bool,
) -> Result<(), String> {
    match flag {
        "--adapter" => args.adapter = v.parse()?,
        "--workload" => {
            args.workload = v.parse()?;
            *have_workload = true;
        }
        "--n" => {
            args.n = v.parse().map_err(|e| format!("--n {v:?}: {e}"))?;
            *have_n = true;
        }
        "--era" => args.era = v.parse()?,
        "--blob-bytes" => {
            args.blob_bytes = v.parse().map_err(|e| format!("--blob-bytes {v:?}: {e}"))?
        }
        _ => args.url = Some(v),
    }
    Ok(())
}

impl FromStr for Adapter {
    type Err = String;
    fn from_str(s: &str) -> Result<Adapter, String> {
        match s {
            "blocking" => Ok(Adapter::Blocking),
            "smol" => Ok(Adapter::Smol),
            _ => Err(format!("--adapter is blocking or smol, not {s:?}")),
        }
    }
}

impl FromStr for Era {
    type Err = String;
    fn from_str(s: &str) -> Result<Era, String> {
        match s {
            "legacy" => Ok(Era::Legacy),
            "modern" => Ok(Era::Modern),
            _ => Err(format!("--era is legacy or modern, not {s:?}")),
        }
    }
}

impl FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Workload, String> {
        match s {
            "W1" => Ok(Workload::W1),
            "W2" => Ok(Workload::W2),
            "W3" => Ok(Workload::W3),
            "W4" => Ok(Workload::W4),
            _ => Err(format!("--workload is W1, W2, W3 or W4, not {s:?}")),
        }
    }
}

impl fmt::Display for Adapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Adapter::Blocking => "blocking",
            Adapter::Smol => "smol",
        })
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        })
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// The length of the base64 text of `bytes` bytes: what W3 checks.
pub fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_contract_parses() {
        let a = parse(argv(
            "--adapter smol --lift-line-cap --workload W3 --n 10 --era modern --blob-bytes 7 -- srv -x --n",
        ))
        .unwrap();
        assert_eq!(a.adapter, Adapter::Smol);
        assert!(a.lift_line_cap);
        assert_eq!(a.workload, Workload::W3);
        assert_eq!(a.n, 10);
        assert_eq!(a.era, Era::Modern);
        assert_eq!(a.blob_bytes, 7);
        assert_eq!(a.server, argv("srv -x --n"));
    }

    #[test]
    fn defaults_and_errors() {
        let a = parse(argv("--workload W1 --n 5 -- srv")).unwrap();
        assert_eq!(
            (a.adapter, a.era, a.blob_bytes),
            (Adapter::Blocking, Era::Legacy, 16 << 20)
        );
        let (partial, e) = parse(argv("--workload W2 --n x -- srv")).unwrap_err();
        assert_eq!(
            partial.workload,
            Workload::W2,
            "what was read is kept for the error line"
        );
        assert!(e.contains("--n"), "{e}");
        assert!(parse(argv("--workload W1 --n 5"))
            .unwrap_err()
            .1
            .contains("--"));
        assert!(parse(argv("--n 5 -- s"))
            .unwrap_err()
            .1
            .contains("--workload"));
        assert!(parse(argv("--workload W5 --n 5 -- s"))
            .unwrap_err()
            .1
            .contains("W5"));
        assert!(parse(argv("--workload W3 --n 1 --url http://x")).is_err());
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        assert_eq!(base64_len(16 << 20), 22369624);
    }
}
