//! Finding the server and connecting to it.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mcp_switch::mcp_proto::handler::NotificationHandler;
use mcp_switch::mcp_proto::http::HttpOptions;
use mcp_switch::mcp_proto::model::Implementation;
use mcp_switch::mcp_proto::{
    Config, Direction, EraPreference, Notification, Violation, WireRecord,
};
use mcp_switch::{Client, ServerCommand};

use crate::answer::TerminalAnswers;
use crate::cli::{EraArg, Global, Target};
use crate::config::{self, Entry};
use crate::term::Term;
use crate::Failure;

/// Where a target leads: a process to start, or a URL.
pub(crate) enum Server {
    Stdio(ServerCommand),
    Http(HttpOptions),
}

impl Server {
    fn describe(&self) -> String {
        match self {
            Server::Stdio(cmd) => cmd.display(),
            Server::Http(o) => o.url.clone(),
        }
    }
}

/// The server a target names.
pub(crate) fn server(target: &Target) -> Result<Server, Failure> {
    if let Some(url) = &target.url {
        let mut opts = HttpOptions::new(url.clone());
        for h in &target.header {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| Failure::Usage(format!("--header {h:?}: expected NAME:VALUE")))?;
            opts = opts.with_header(name.trim(), value.trim());
        }
        return Ok(Server::Http(opts));
    }
    if !target.header.is_empty() {
        return Err(Failure::Usage("--header only applies to --url".into()));
    }
    let mut cmd = match (&target.stdio, &target.config, &target.server) {
        (Some(line), _, _) => {
            let words = shlex::split(line)
                .ok_or_else(|| Failure::Usage(format!("--stdio {line:?}: unbalanced quotes")))?;
            let (program, args) = words
                .split_first()
                .ok_or_else(|| Failure::Usage("--stdio needs a command".into()))?;
            ServerCommand::new(program).args(args)
        }
        (None, Some(path), Some(name)) => {
            let mut warn = |w: String| eprintln!("warning: {w}");
            match config::load(path, name, &|v| std::env::var(v).ok(), &mut warn)
                .map_err(|e| Failure::Usage(e.to_string()))?
            {
                Entry::Stdio(cmd) => cmd,
                Entry::Http { url, headers } => {
                    let mut opts = HttpOptions::new(url);
                    for (k, v) in headers {
                        opts = opts.with_header(k, v);
                    }
                    return Ok(Server::Http(opts));
                }
            }
        }
        _ => {
            // No target: the bundled demo server, which is this very program.
            let me = std::env::current_exe().map_err(|e| {
                Failure::Connect(format!(
                    "cannot find the mcp executable to run the demo server: {e}"
                ))
            })?;
            ServerCommand::new(me).arg("serve-demo")
        }
    };
    for pair in &target.env {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--env {pair:?}: expected KEY=VALUE")))?;
        cmd = cmd.env(k, v);
    }
    if let Some(dir) = &target.cwd {
        cmd = cmd.cwd(dir);
    }
    Ok(Server::Stdio(cmd))
}

/// Prints what the server says besides answers, on stderr.
pub(crate) struct Printer {
    pub(crate) term: Arc<Term>,
    pub(crate) updates: Mutex<Option<Sender<String>>>,
}

impl NotificationHandler for Printer {
    fn notification(&self, n: &Notification) {
        let line = match n {
            Notification::Log(l) => {
                let data = match &l.data {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let logger = l
                    .logger
                    .as_ref()
                    .map(|g| format!(" {g}"))
                    .unwrap_or_default();
                format!("[server log: {}{logger}] {data}", l.level)
            }
            Notification::ResourceUpdated(u) => {
                if let Some(tx) = self
                    .updates
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .as_ref()
                {
                    let _ = tx.send(u.uri.clone());
                    return;
                }
                format!("(the server says {} changed)", u.uri)
            }
            Notification::ToolsListChanged => "(the server's tools changed)".into(),
            Notification::PromptsListChanged => "(the server's prompts changed)".into(),
            Notification::ResourcesListChanged => "(the server's resources changed)".into(),
            Notification::SubscriptionsEnded { .. } => {
                "(the server ended the subscriptions)".into()
            }
            _ => return,
        };
        self.term.say(&line);
    }

    fn violation(&self, v: &Violation) {
        self.term.say(&format!(
            "warning: the server broke the protocol ({v}); going on"
        ));
    }

    fn wire(&self, r: &WireRecord) {
        let arrow = match r.direction {
            Direction::Out => ">>",
            Direction::In => "<<",
        };
        self.term.say(&format!("{arrow} {}", r.text));
    }
}

/// Starts the server and connects.
pub(crate) fn connect(
    target: &Target,
    opts: &Global,
    term: Arc<Term>,
    printer: Arc<Printer>,
) -> Result<Client, Failure> {
    let wire = opts.wire;
    // The CLI keeps a handle to the printer to feed it updates.
    connect_with(target, opts, term, printer, |cfg| {
        cfg.wire_tap = wire;
    })
}

/// Starts the server and connects with `handler`, the configuration
/// adjusted by `tune`.
pub(crate) fn connect_with(
    target: &Target,
    opts: &Global,
    term: Arc<Term>,
    handler: impl NotificationHandler + 'static,
    tune: impl FnOnce(&mut Config),
) -> Result<Client, Failure> {
    let server = server(target)?;
    let mut cfg = Config::new(Implementation::new("mcp-cli", env!("CARGO_PKG_VERSION")));
    cfg.request_timeout = Duration::from_secs_f64(opts.timeout.max(0.001));
    cfg.era = match opts.era {
        EraArg::Auto => EraPreference::Auto,
        EraArg::Legacy => EraPreference::Legacy,
        EraArg::Modern => EraPreference::Modern,
    };
    tune(&mut cfg);
    let mut builder = Client::builder(opts.adapter.into())
        .config(cfg)
        .input_handler(TerminalAnswers {
            term,
            no_input: opts.no_input,
        })
        .notification_handler(handler);
    if opts.server_stderr {
        builder = builder.on_stderr(|line| eprintln!("[server stderr] {line}"));
    }
    let result = match &server {
        Server::Stdio(cmd) => builder.spawn(cmd),
        Server::Http(opts) => builder.connect_http(opts.clone()),
    };
    result.map_err(|e| match e {
        // The error names the URL itself.
        mcp_switch::Error::Connect { .. } => Failure::Connect(e.to_string()),
        // A URL or header that cannot be used is the command line's fault.
        mcp_switch::Error::Config(_) => Failure::Usage(format!("{}: {e}", server.describe())),
        e => Failure::Connect(format!("{}: {e}", server.describe())),
    })
}
