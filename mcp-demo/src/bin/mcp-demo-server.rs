//! The bundled demo MCP server on stdio.
//!
//! `mcp-demo-server [--legacy-only | --modern-only]`

use mcp_demo::{stdio, ServerConfig, ServerEra};

fn main() -> std::process::ExitCode {
    let mut cfg = ServerConfig::demo();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--legacy-only" => cfg.era = ServerEra::Legacy,
            "--modern-only" => cfg.era = ServerEra::Modern,
            "--help" | "-h" => {
                println!("mcp-demo-server [--legacy-only | --modern-only]\n\nAn MCP server on stdio that shows every feature, in both eras.");
                return std::process::ExitCode::SUCCESS;
            }
            other => {
                eprintln!("mcp-demo-server: unknown argument {other:?} (try --help)");
                return std::process::ExitCode::from(2);
            }
        }
    }
    match stdio::run_stdio(cfg) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcp-demo-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
