//! Sans-IO Model Context Protocol client core.
//!
//! (Crate documentation is written with the client state machine.)

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod model;
