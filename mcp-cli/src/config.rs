//! The `mcpServers` configuration format desktop MCP clients use:
//!
//! ```json
//! { "mcpServers": {
//!     "files": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "${HOME}"],
//!                "env": { "TOKEN": "${MY_TOKEN}" }, "cwd": "/tmp" },
//!     "remote": { "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer ${API_KEY}" } } } }
//! ```
//!
//! `${VAR}` is replaced by the environment variable (an error names it if
//! it is not set); `${VAR:-default}` falls back to `default`. Errors name
//! the file and the key (`mcpServers.files.args[2]`).

use std::path::{Path, PathBuf};

use mcp_switch::ServerCommand;
use serde_json::{Map, Value};

/// A configured server.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    /// A local process over stdio.
    Stdio(ServerCommand),
    /// A remote server over HTTP.
    Http {
        url: String,
        headers: Vec<(String, String)>,
    },
}

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: {key} {problem}")]
    Bad {
        path: PathBuf,
        key: String,
        problem: String,
    },
    #[error("{path}: no server named {name:?} in mcpServers (it has: {available})")]
    NoSuchServer {
        path: PathBuf,
        name: String,
        available: String,
    },
}

/// Keys other clients put in entries that mean nothing here; ignored
/// without a word. Anything else unknown gets a warning.
const HARMLESS: [&str; 7] = [
    "type",
    "disabled",
    "autoApprove",
    "alwaysAllow",
    "timeout",
    "description",
    "transport",
];

/// Loads entry `name` of the configuration at `path`, reading variables
/// through `var`. Warnings (unknown keys) go to `warn`.
pub(crate) fn load(
    path: &Path,
    name: &str,
    var: &dyn Fn(&str) -> Option<String>,
    warn: &mut dyn FnMut(String),
) -> Result<Entry, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    let root: Value = serde_json::from_str(&text).map_err(|source| ConfigError::Json {
        path: path.into(),
        source,
    })?;
    let bad = |key: String, problem: &str| ConfigError::Bad {
        path: path.into(),
        key,
        problem: problem.to_owned(),
    };
    let servers = root
        .get("mcpServers")
        .ok_or_else(|| {
            bad(
                "mcpServers".into(),
                "is missing (expected {\"mcpServers\": {\"name\": {...}}})",
            )
        })?
        .as_object()
        .ok_or_else(|| bad("mcpServers".into(), "must be an object of servers by name"))?;
    let entry = servers.get(name).ok_or_else(|| ConfigError::NoSuchServer {
        path: path.into(),
        name: name.into(),
        available: if servers.is_empty() {
            "none".into()
        } else {
            servers.keys().cloned().collect::<Vec<_>>().join(", ")
        },
    })?;
    let at = |k: &str| format!("mcpServers.{name}.{k}");
    let entry = entry
        .as_object()
        .ok_or_else(|| bad(format!("mcpServers.{name}"), "must be an object"))?;
    for key in entry.keys() {
        if !["command", "args", "env", "cwd", "url", "headers"].contains(&key.as_str())
            && !HARMLESS.contains(&key.as_str())
        {
            warn(format!(
                "{}: {} is not a setting mcp knows; ignored",
                path.display(),
                at(key)
            ));
        }
    }
    let expand = |key: String, s: &str| interpolate(s, var).map_err(|problem| bad(key, &problem));
    let string = |k: &str| -> Result<Option<String>, ConfigError> {
        match entry.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => expand(at(k), s).map(Some),
            Some(_) => Err(bad(at(k), "must be a string")),
        }
    };
    let pairs = |k: &str| -> Result<Vec<(String, String)>, ConfigError> {
        match entry.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(m)) => string_map(m, &at(k), &expand, &bad),
            Some(_) => Err(bad(at(k), "must be an object of strings")),
        }
    };
    match (string("command")?, string("url")?) {
        (Some(_), Some(_)) => Err(bad(
            format!("mcpServers.{name}"),
            "has both command and url; pick one",
        )),
        (None, None) => Err(bad(
            format!("mcpServers.{name}"),
            "needs a command (a local server) or a url (a remote one)",
        )),
        (Some(command), None) => {
            let args = match entry.get("args") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::String(s) => expand(format!("{}[{i}]", at("args")), s),
                        _ => Err(bad(format!("{}[{i}]", at("args")), "must be a string")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(bad(at("args"), "must be an array of strings")),
            };
            let mut cmd = ServerCommand::new(command).args(args);
            for (k, v) in pairs("env")? {
                cmd = cmd.env(k, v);
            }
            if let Some(dir) = string("cwd")? {
                cmd = cmd.cwd(dir);
            }
            Ok(Entry::Stdio(cmd))
        }
        (None, Some(url)) => Ok(Entry::Http {
            url,
            headers: pairs("headers")?,
        }),
    }
}

fn string_map(
    m: &Map<String, Value>,
    at: &str,
    expand: &dyn Fn(String, &str) -> Result<String, ConfigError>,
    bad: &dyn Fn(String, &str) -> ConfigError,
) -> Result<Vec<(String, String)>, ConfigError> {
    m.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), expand(format!("{at}.{k}"), s)?)),
            _ => Err(bad(format!("{at}.{k}"), "must be a string")),
        })
        .collect()
}

/// Replaces `${VAR}` and `${VAR:-default}`.
pub(crate) fn interpolate(s: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("has an unclosed ${{ in {s:?}"))?;
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("has ${{{inner}}}, which is not a variable name"));
        }
        match (var(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(format!(
                    "uses ${{{name}}}, but {name} is not set in the environment"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/ada".into()),
            "TOKEN" => Some("s3cret".into()),
            _ => None,
        }
    }

    fn load_str(json: &str, name: &str) -> (Result<Entry, ConfigError>, Vec<String>) {
        let dir =
            std::env::temp_dir().join(format!("mcp-cli-config-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.json", json.len()));
        std::fs::write(&path, json).unwrap();
        let mut warnings = Vec::new();
        let r = load(&path, name, &vars, &mut |w| warnings.push(w));
        (r, warnings)
    }

    #[test]
    fn stdio_and_http_entries_with_interpolation() {
        let json = r#"{"mcpServers": {
            "fs": {"command": "npx", "args": ["-y", "server", "${HOME}/docs"], "env": {"T": "${TOKEN}", "D": "${NOPE:-fallback}"}, "cwd": "${HOME}", "disabled": false},
            "remote": {"url": "https://x.test/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}}}}"#;
        let (fs, warnings) = load_str(json, "fs");
        let Entry::Stdio(cmd) = fs.unwrap() else {
            panic!()
        };
        assert_eq!(cmd.display(), "npx -y server /home/ada/docs");
        let env = |k: &str| {
            cmd.env
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.to_string_lossy().into_owned())
        };
        assert_eq!(env("T").as_deref(), Some("s3cret"));
        assert_eq!(env("D").as_deref(), Some("fallback"));
        assert_eq!(cmd.cwd.as_deref(), Some(Path::new("/home/ada")));
        assert!(warnings.is_empty());
        let (remote, _) = load_str(json, "remote");
        assert_eq!(
            remote.unwrap(),
            Entry::Http {
                url: "https://x.test/mcp".into(),
                headers: vec![("Authorization".into(), "Bearer s3cret".into())]
            }
        );
    }

    #[test]
    fn errors_name_the_bad_key() {
        let cases = [
            (r#"{"servers": {}}"#, "x", "mcpServers is missing"),
            (
                r#"{"mcpServers": {"a": {"command": "x"}}}"#,
                "b",
                "no server named \"b\" in mcpServers (it has: a)",
            ),
            (
                r#"{"mcpServers": {"x": {"command": "y", "args": ["ok", 3]}}}"#,
                "x",
                "mcpServers.x.args[1] must be a string",
            ),
            (
                r#"{"mcpServers": {"x": {"command": "y", "env": {"K": "${MISSING}"}}}}"#,
                "x",
                "mcpServers.x.env.K uses ${MISSING}, but MISSING is not set",
            ),
            (
                r#"{"mcpServers": {"x": {"args": []}}}"#,
                "x",
                "mcpServers.x needs a command",
            ),
            (
                r#"{"mcpServers": {"x": {"command": "a", "url": "b"}}}"#,
                "x",
                "has both command and url",
            ),
            (
                r#"{"mcpServers": {"x": {"command": 5}}}"#,
                "x",
                "mcpServers.x.command must be a string",
            ),
            (
                r#"{"mcpServers": {"x": {"command": "a", "args": ["${HOME"]}}}"#,
                "x",
                "unclosed",
            ),
            ("{", "x", "is not valid JSON"),
        ];
        for (json, name, want) in cases {
            let err = load_str(json, name).0.unwrap_err().to_string();
            assert!(err.contains(want), "{json}: {err}");
        }
        let (ok, warnings) = load_str(
            r#"{"mcpServers": {"x": {"command": "a", "comand": "typo"}}}"#,
            "x",
        );
        assert!(ok.is_ok());
        assert!(warnings[0].contains("mcpServers.x.comand"), "{warnings:?}");
    }
}
