//! Shared helpers for the workspace's integration tests (`tests/tests/*.rs`).
