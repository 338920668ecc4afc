//! A quick measurement: how long a server takes from spawn to ready, and how
//! many sequential `tools/call` round trips per second a client gets.
//!
//! ```text
//! cargo build --release -p mcp-demo --bin mcp-demo-server
//! cargo run --release -p mcp-blocking --example roundtrips -- target/release/mcp-demo-server
//! cargo run --release -p mcp-blocking --example roundtrips -- http://127.0.0.1:3001/mcp
//! ```
//!
//! With a URL, the server is reached over HTTP and "spawn" is connecting.
//!
//! The tool called is `echo` with `{"text": "hello"}` (the demo server's
//! argument; servers that name it `message` get both).

use std::time::{Duration, Instant};

use mcp_blocking::prelude::*;
use serde_json::json;

fn main() -> Result<(), Error> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, args)) = argv.split_first() else {
        eprintln!("usage: roundtrips SERVER_COMMAND [ARGS...] | roundtrips URL");
        std::process::exit(2);
    };
    let cmd = ServerCommand::new(program).args(args);
    let url = program.starts_with("http://") || program.starts_with("https://");
    let connect = || match url {
        true => Client::connect_http(program),
        false => Client::spawn(&cmd),
    };

    // Spawn to ready, several times: the first run also pays for cold caches.
    let mut spawns = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let client = connect()?;
        spawns.push(t.elapsed());
        client.close();
    }
    spawns.sort();
    let client = connect()?;
    println!(
        "server: {} ({} era, {})",
        client.server_info().map(|i| i.name).unwrap_or_default(),
        client.era().map(|e| e.to_string()).unwrap_or_default(),
        client.version().map(|v| v.to_string()).unwrap_or_default()
    );
    println!(
        "spawn to ready: median {:.1} ms, p90 {:.1} ms, best {:.1} ms (20 runs)",
        ms(spawns[10]),
        ms(spawns[18]),
        ms(spawns[0])
    );

    // Sequential round trips for a few seconds, three rounds.
    let args = json!({"text": "hello", "message": "hello"});
    for _ in 0..200 {
        client.call_tool("echo", &args)?;
    }
    let mut rates = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0u32;
        while t.elapsed() < Duration::from_secs(2) {
            client.call_tool("echo", &args)?;
            n += 1;
        }
        rates.push(f64::from(n) / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "sequential tools/call: median {:.0} calls/s ({:.0} .. {:.0} over 3 rounds of 2 s)",
        rates[1], rates[0], rates[2]
    );
    client.close();
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
