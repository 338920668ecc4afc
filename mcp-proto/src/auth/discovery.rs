//! Where metadata is looked for, in the order the MCP specification gives
//! (2025-11-25, "Authorization Server Discovery"): first the protected
//! resource's (RFC 9728), then its authorization server's (RFC 8414 and
//! OpenID Connect Discovery 1.0).
//!
//! ```
//! use mcp_proto::auth::discovery::{authorization_server_metadata_urls, protected_resource_metadata_urls};
//!
//! assert_eq!(
//!     protected_resource_metadata_urls("https://example.com/public/mcp").unwrap(),
//!     [
//!         "https://example.com/.well-known/oauth-protected-resource/public/mcp",
//!         "https://example.com/.well-known/oauth-protected-resource",
//!     ]
//! );
//! assert_eq!(
//!     authorization_server_metadata_urls("https://auth.example.com/tenant1").unwrap(),
//!     [
//!         "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
//!         "https://auth.example.com/.well-known/openid-configuration/tenant1",
//!         "https://auth.example.com/tenant1/.well-known/openid-configuration",
//!     ]
//! );
//! ```
//!
//! URLs are built from the origin and the path as written, never by
//! parsing and writing the whole URL back, which would add a `/` to a bare
//! origin. The query and fragment are not part of a well-known location.

/// Why no metadata location can be made from a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// Not an absolute `http` or `https` URL.
    #[error("{url:?} is not an absolute http(s) URL: {why}")]
    NotHttpUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        why: String,
    },
}

/// The protected resource metadata locations for the MCP endpoint
/// `resource`, in order: the path-aware one (RFC 9728 §3.1: the well-known
/// segment inserted before the path), then the one at the root. A
/// resource at the root has only the second.
pub fn protected_resource_metadata_urls(resource: &str) -> Result<Vec<String>, DiscoveryError> {
    well_known(resource, &["oauth-protected-resource"], false)
}

/// The authorization server metadata locations for `issuer`, in order:
/// with a path, RFC 8414 with the path inserted, OpenID Connect with the
/// path inserted, OpenID Connect with the path appended; without one,
/// RFC 8414 then OpenID Connect.
pub fn authorization_server_metadata_urls(issuer: &str) -> Result<Vec<String>, DiscoveryError> {
    well_known(
        issuer,
        &["oauth-authorization-server", "openid-configuration"],
        true,
    )
}

/// What a 2025-03-26 client falls back to for a server that publishes no
/// protected resource metadata: the authorization server is the MCP
/// server's origin (its path dropped), its metadata at the RFC 8414
/// location there, and, without metadata, these default endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyFallback {
    /// `{origin}/.well-known/oauth-authorization-server`.
    pub metadata: String,
    /// `{origin}/authorize`.
    pub authorization_endpoint: String,
    /// `{origin}/token`.
    pub token_endpoint: String,
    /// `{origin}/register`.
    pub registration_endpoint: String,
}

/// The 2025-03-26 fallback for the MCP endpoint `server`.
pub fn legacy_fallback(server: &str) -> Result<LegacyFallback, DiscoveryError> {
    let (origin, _) = split(server)?;
    Ok(LegacyFallback {
        metadata: format!("{origin}/.well-known/oauth-authorization-server"),
        authorization_endpoint: format!("{origin}/authorize"),
        token_endpoint: format!("{origin}/token"),
        registration_endpoint: format!("{origin}/register"),
    })
}

/// The origin (`scheme://host[:port]`, as written) and the path (without a
/// trailing `/`, `""` at the root) of an absolute http(s) URL.
pub(crate) fn split(url: &str) -> Result<(&str, &str), DiscoveryError> {
    let bad = |why: &str| DiscoveryError::NotHttpUrl {
        url: url.to_owned(),
        why: why.to_owned(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(bad("the scheme must be http or https, with a host"));
    }
    // As written: the authority ends at the first `/`, `?` or `#` after `//`.
    let after_scheme = url.find("://").map(|i| i + 3).ok_or_else(|| bad("no //"))?;
    let rest = &url[after_scheme..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = &url[..after_scheme + authority_end];
    let tail = &rest[authority_end..];
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let path = tail[..path_end].trim_end_matches('/');
    Ok((origin, path))
}

fn well_known(url: &str, names: &[&str], appended: bool) -> Result<Vec<String>, DiscoveryError> {
    let (origin, path) = split(url)?;
    let mut out = Vec::new();
    if path.is_empty() {
        for name in names {
            out.push(format!("{origin}/.well-known/{name}"));
        }
        return Ok(out);
    }
    for name in names {
        out.push(format!("{origin}/.well-known/{name}{path}"));
    }
    if appended {
        out.push(format!("{origin}{path}/.well-known/openid-configuration"));
    } else {
        for name in names {
            out.push(format!("{origin}/.well-known/{name}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_at_the_root_has_one_location() {
        for url in [
            "https://mcp.example.com",
            "https://mcp.example.com/",
            "https://mcp.example.com/?x=1",
        ] {
            assert_eq!(
                protected_resource_metadata_urls(url).unwrap(),
                ["https://mcp.example.com/.well-known/oauth-protected-resource"],
                "{url}"
            );
        }
    }

    #[test]
    fn ports_paths_and_trailing_slashes_as_written() {
        assert_eq!(
            protected_resource_metadata_urls("http://127.0.0.1:3001/mcp/").unwrap(),
            [
                "http://127.0.0.1:3001/.well-known/oauth-protected-resource/mcp",
                "http://127.0.0.1:3001/.well-known/oauth-protected-resource",
            ]
        );
        assert_eq!(
            authorization_server_metadata_urls("https://auth.example.com").unwrap(),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn the_2025_03_26_fallback_is_at_the_origin() {
        let f = legacy_fallback("https://mcp.example.com:8443/v1/mcp?k=v").unwrap();
        assert_eq!(
            f.metadata,
            "https://mcp.example.com:8443/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            f.authorization_endpoint,
            "https://mcp.example.com:8443/authorize"
        );
        assert_eq!(f.token_endpoint, "https://mcp.example.com:8443/token");
        assert_eq!(
            f.registration_endpoint,
            "https://mcp.example.com:8443/register"
        );
    }

    #[test]
    fn what_is_not_an_http_url_is_refused() {
        for url in [
            "ftp://x.example/mcp",
            "/relative/mcp",
            "mailto:a@b",
            "https://",
        ] {
            assert!(protected_resource_metadata_urls(url).is_err(), "{url}");
        }
    }
}
