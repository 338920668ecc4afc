//! mcp-smol's own behaviour: runtime independence, cancellation by drop,
//! shutdown on drop, many calls in flight.

use std::time::Duration;

use mcp_smol::prelude::*;
use mcp_tests::{eventually, group_gone, process_gone};
use serde_json::json;

fn fault(mode: &str) -> ServerCommand {
    ServerCommand::new(env!("CARGO_BIN_EXE_mcp-fault-server")).arg(mode)
}

#[test]
fn smoke() {
    smol::block_on(async {
        let client = Client::spawn(&fault("normal")).await.unwrap();
        let pid = client.pid().unwrap();
        client.ping().await.unwrap();
        let r = client
            .call_tool("echo", json!({"text": "hi"}))
            .await
            .unwrap();
        eprintln!("{r:?}");
        let closed = client.close().await;
        assert_eq!(closed.threads_left, 0, "{closed:?}");
        assert!(eventually(Duration::from_secs(3), || process_gone(pid)));
        assert!(group_gone(pid));
    });
}
