//! The fixed bench server over stdio (see `mcp_bench::server`): one line
//! in, one line out, responses written in one go when no further request
//! is already waiting in the input buffer.
//!
//! `mcp-bench-server --http 127.0.0.1:0` serves it over HTTP instead
//! (`mcp_bench::httpd`) and prints its URL on the first line of stdout.

use std::io::{BufRead, BufReader, Write};

use mcp_bench::server::BenchServer;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, addr] = argv.as_slice() {
        if flag == "--http" {
            return http(addr);
        }
    }
    if !argv.is_empty() {
        eprintln!("usage: mcp-bench-server [--http ADDRESS]");
        std::process::exit(2);
    }
    let mut input = BufReader::with_capacity(1 << 16, std::io::stdin());
    let stdout = std::io::stdout();
    let mut output = stdout.lock();
    let mut server = BenchServer::new();
    let mut line = Vec::with_capacity(1 << 12);
    let mut out = Vec::with_capacity(1 << 16);
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        server.handle(body, &mut out);
        // Answer now unless another whole request is already here: replies
        // to requests that came together leave together.
        if !input.buffer().contains(&b'\n') || out.len() >= 1 << 20 {
            if output
                .write_all(&out)
                .and_then(|()| output.flush())
                .is_err()
            {
                break;
            }
            out.clear();
        }
    }
}

fn http(addr: &str) {
    let listener = match std::net::TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mcp-bench-server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(a) => println!("http://{a}/mcp"),
        Err(e) => {
            eprintln!("mcp-bench-server: {e}");
            std::process::exit(1);
        }
    }
    // The URL must reach the parent before the first connection.
    let _ = std::io::stdout().flush();
    mcp_bench::httpd::serve(listener);
}
