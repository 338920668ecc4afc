//! The one line a benchmark run prints on stdout, and what goes in it.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::Args;

/// The process's own user + system CPU time so far (`getrusage(RUSAGE_SELF)`).
pub fn cpu_time() -> Duration {
    match nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF) {
        Ok(u) => {
            let t = |tv: nix::sys::time::TimeVal| {
                Duration::new(
                    tv.tv_sec().max(0) as u64,
                    (tv.tv_usec().max(0) as u32) * 1000,
                )
            };
            t(u.user_time()) + t(u.system_time())
        }
        Err(_) => Duration::ZERO,
    }
}

/// The process's peak resident set (`VmHWM` in /proc/self/status), in KiB;
/// 0 where there is no /proc.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Wall and CPU time of the timed part of a run.
#[derive(Clone, Copy, Debug)]
pub struct Timer {
    wall: Instant,
    cpu: Duration,
}

/// What a [`Timer`] measured.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    /// Wall time, monotonic.
    pub secs: f64,
    /// User + system CPU time of the whole process.
    pub cpu_secs: f64,
}

impl Timer {
    /// Starts timing now.
    pub fn start() -> Timer {
        Timer {
            cpu: cpu_time(),
            wall: Instant::now(),
        }
    }

    /// Stops timing.
    pub fn stop(self) -> Measured {
        let secs = self.wall.elapsed().as_secs_f64();
        let cpu_secs = cpu_time().saturating_sub(self.cpu).as_secs_f64();
        Measured { secs, cpu_secs }
    }
}

fn head(client: &str, args: &Args) -> serde_json::Map<String, Value> {
    let v = json!({
        "client": client,
        "adapter": args.adapter.to_string(),
        "era": args.era.to_string(),
        "workload": args.workload.to_string(),
        "n": args.n,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a literal object"),
    }
}

/// The success line.
pub fn success(client: &str, args: &Args, m: Measured) -> String {
    let mut line = head(client, args);
    let ops = if m.secs > 0.0 {
        args.n as f64 / m.secs
    } else {
        0.0
    };
    line.insert("secs".into(), json!(m.secs));
    line.insert("ops_per_sec".into(), json!(ops));
    line.insert("cpu_secs".into(), json!(m.cpu_secs));
    line.insert("peak_rss_kib".into(), json!(peak_rss_kib()));
    Value::Object(line).to_string()
}

/// The failure line.
pub fn failure(client: &str, args: &Args, error: &str) -> String {
    let mut line = head(client, args);
    line.insert("error".into(), json!(error));
    Value::Object(line).to_string()
}

/// Prints the line for `result` on stdout and exits: 0 on success, 1 on
/// failure, 2 for a bad command line.
pub fn finish(client: &str, parsed: Result<(Args, Result<Measured, String>), (Args, String)>) -> ! {
    let (line, code) = match parsed {
        Ok((args, Ok(m))) => (success(client, &args, m), 0),
        Ok((args, Err(e))) => (failure(client, &args, &e), 1),
        Err((args, e)) => (failure(client, &args, &format!("usage: {e}")), 2),
    };
    println!("{line}");
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_contract_fields() {
        let args =
            crate::cli::parse("--workload W2 --n 10 -- s".split(' ').map(String::from)).unwrap();
        let ok: Value = serde_json::from_str(&success(
            "mcp-rs",
            &args,
            Measured {
                secs: 0.5,
                cpu_secs: 0.25,
            },
        ))
        .unwrap();
        for key in [
            "client",
            "adapter",
            "era",
            "workload",
            "n",
            "secs",
            "ops_per_sec",
            "cpu_secs",
            "peak_rss_kib",
        ] {
            assert!(ok.get(key).is_some(), "{key} missing from {ok}");
        }
        assert_eq!(ok["ops_per_sec"], 20.0);
        assert_eq!(ok["workload"], "W2");
        assert!(ok["peak_rss_kib"].as_u64().unwrap() > 0);
        let bad: Value = serde_json::from_str(&failure("mcp-rs", &args, "boom")).unwrap();
        assert_eq!(bad["error"], "boom");
        assert!(bad.get("secs").is_none());
    }

    #[test]
    fn cpu_time_moves_with_work() {
        let t = Timer::start();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let m = t.stop();
        assert!(m.cpu_secs > 0.0 && m.secs > 0.0, "{m:?} ({x})");
    }
}
