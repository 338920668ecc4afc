//! Decode benchmark (written with the client core).
fn main() {}
