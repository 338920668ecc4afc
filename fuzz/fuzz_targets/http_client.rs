#![no_main]
use std::sync::OnceLock;
use std::time::Instant;

// The core never reads the clock; the target picks the start of virtual time.
static START: OnceLock<Instant> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mcp_proto::testing::fuzz::http_client(*START.get_or_init(Instant::now), data);
});
