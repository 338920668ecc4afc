//! The protocol model: serde types for everything a client sends or receives,
//! the union of revisions 2024-11-05 through 2026-07-28.
//!
//! Conventions, the same in every file:
//! - Rust names are the schema's names; fields are the schema's fields in
//!   snake case (`#[serde(rename_all = "camelCase")]`).
//! - Every object type keeps fields this crate does not know in `extra`
//!   (`#[serde(flatten)]`), and `_meta` in `meta`, so a decode/encode round
//!   trip loses nothing.
//! - Numbers the spec types as `number` are [`serde_json::Number`], so `50`
//!   comes back as `50` and not `50.0`; integers are `i64`/`u64`.
//! - String unions are open enums (`Other(String)` keeps unknown values).
//! - Fields that only some revisions have are `Option`s documented with the
//!   revision that introduced (or removed) them.
//!
//! These types are for decoding results and building params. The client core
//! itself keeps results as raw JSON until the caller asks for a type (see
//! [`crate::RawJson`]).

pub(crate) mod macros;

mod capabilities;
mod common;
mod completion;
mod content;
mod elicitation;
mod envelope;
mod errors;
mod lifecycle;
mod logging;
pub mod meta;
mod mrtr;
mod notifications;
mod pagination;
mod prompts;
mod resources;
mod roots;
mod sampling;
mod serde_util;
mod subscriptions;
mod tasks;
mod tools;

pub use capabilities::*;
pub use common::*;
pub use completion::*;
pub use content::*;
pub use elicitation::*;
pub use envelope::*;
pub use errors::*;
pub use lifecycle::*;
pub use logging::*;
pub use mrtr::*;
pub use notifications::*;
pub use pagination::*;
pub use prompts::*;
pub use resources::*;
pub use roots::*;
pub use sampling::*;
pub use subscriptions::*;
pub use tasks::*;
pub use tools::*;

use macros::open_enum;

open_enum! {
    /// The kind of a result (2026-07-28). Absent on the wire means `Complete`.
    pub enum ResultType {
        /// The request finished; the result holds its data.
        Complete = "complete",
        /// The server needs input before it can finish (MRTR).
        InputRequired = "input_required",
        /// A task was created (tasks extension only).
        Task = "task",
    }
}

open_enum! {
    /// Who may cache a result (2026-07-28).
    pub enum CacheScope {
        /// No user-specific data: any cache may store it.
        Public = "public",
        /// Only for the same authorization context.
        Private = "private",
    }
}
