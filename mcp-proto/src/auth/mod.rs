//! Authorization for HTTP servers (OAuth 2.1 as the MCP specification
//! profiles it), sans-IO like the connection: the pieces here read what
//! servers send and say what to ask next; they do no I/O, read no clock and
//! draw no random numbers of their own.
//!
//! Built so far:
//! - [`challenge`]: `WWW-Authenticate` headers (RFC 9110 §11.6.1), several
//!   challenges in one header and non-Bearer schemes included, and what a
//!   Bearer challenge (RFC 6750 §3) tells a client;
//! - [`discovery`]: where to look for protected resource metadata
//!   (RFC 9728) and authorization server metadata (RFC 8414, OpenID Connect
//!   Discovery), in the order the specification gives.

pub mod challenge;
pub mod discovery;
