//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Talk to any MCP server from the terminal.
///
/// With no target, `mcp` runs its bundled demo server, which shows every
/// feature in both protocol eras: try `mcp demo`.
#[derive(Debug, Parser)]
#[command(name = "mcp", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) opts: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Which server to talk to.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// Start this server and talk to it over stdio ("CMD ARGS", quoted as
    /// in a shell).
    #[arg(long, value_name = "COMMAND", global = true, conflicts_with_all = ["config", "url"])]
    pub(crate) stdio: Option<String>,
    /// Set an environment variable for the server (repeatable).
    #[arg(long, value_name = "KEY=VALUE", global = true)]
    pub(crate) env: Vec<String>,
    /// The server's working directory.
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) cwd: Option<PathBuf>,
    /// A desktop-client style configuration file (`{"mcpServers": {...}}`).
    #[arg(long, value_name = "FILE", global = true, requires = "server")]
    pub(crate) config: Option<PathBuf>,
    /// The entry of `--config` to use.
    #[arg(long, value_name = "NAME", global = true, requires = "config")]
    pub(crate) server: Option<String>,
    /// A remote server over HTTP.
    #[arg(long, value_name = "URL", global = true)]
    pub(crate) url: Option<String>,
    /// An HTTP header for `--url` (repeatable).
    #[arg(long, value_name = "NAME:VALUE", global = true)]
    pub(crate) header: Vec<String>,
}

/// Options for every command.
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// Print machine-readable JSON instead of tables and text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Never ask at the terminal: elicitations are declined, sampling refused.
    #[arg(long, global = true)]
    pub(crate) no_input: bool,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECONDS", global = true, default_value_t = 60.0)]
    pub(crate) timeout: f64,
    /// Which protocol era to speak (default: detect it).
    #[arg(long, value_enum, global = true, default_value_t = EraArg::Auto)]
    pub(crate) era: EraArg,
    /// Print every frame sent and received on stderr (secrets redacted).
    #[arg(long, global = true)]
    pub(crate) wire: bool,
    /// Show the server's stderr as it comes (always kept for error reports).
    #[arg(long, global = true)]
    pub(crate) server_stderr: bool,
    /// Which client adapter does the I/O (the output is the same on both).
    #[arg(long, value_enum, global = true, default_value_t = AdapterArg::Blocking)]
    pub(crate) adapter: AdapterArg,
}

/// The client adapter, as `mcp_switch` offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AdapterArg {
    /// Std threads (mcp-blocking).
    Blocking,
    /// Async I/O on smol's building blocks, no tokio (mcp-smol).
    Smol,
}

impl From<AdapterArg> for mcp_switch::Adapter {
    fn from(a: AdapterArg) -> Self {
        match a {
            AdapterArg::Blocking => mcp_switch::Adapter::Blocking,
            AdapterArg::Smol => mcp_switch::Adapter::Smol,
        }
    }
}

/// The protocol era to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EraArg {
    /// Probe with `server/discover`, fall back to `initialize`.
    Auto,
    /// `initialize` (2025-11-25 and earlier).
    Legacy,
    /// Per-request metadata (2026-07-28).
    Modern,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Who the server is, which protocol revision it speaks, what it offers.
    Info,
    /// Tools: list them or call one.
    #[command(subcommand)]
    Tools(Tools),
    /// Resources: list, read, templates.
    #[command(subcommand)]
    Resources(Resources),
    /// Prompts: list them or render one.
    #[command(subcommand)]
    Prompts(Prompts),
    /// Complete an argument value of a prompt or resource template.
    Complete {
        /// Complete an argument of this prompt.
        #[arg(
            long,
            value_name = "NAME",
            conflicts_with = "resource",
            required_unless_present = "resource"
        )]
        prompt: Option<String>,
        /// Complete a variable of this resource template.
        #[arg(long, value_name = "URI_TEMPLATE")]
        resource: Option<String>,
        /// The argument (or template variable) to complete.
        argument: String,
        /// What has been typed so far.
        #[arg(default_value = "")]
        value: String,
    },
    /// Check the server answers.
    Ping,
    /// Print change notifications for a resource until Ctrl-C.
    Subscribe {
        /// The resource.
        uri: String,
        /// Stop after this many notifications.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// A guided walk through every feature of the demo server.
    Demo,
    /// Check a server: drive every feature it advertises and validate every
    /// message it sends against the negotiated revision's JSON schema.
    ///
    /// Reports each violation with the message that caused it, and exits 1
    /// if there is any, or if a step the spec says must work fails (a list
    /// the server advertises, reading a resource it lists, ping). With
    /// `--wire`, frames are printed unredacted.
    Check(CheckArgs),
    /// Serve the bundled demo server on stdio (what `mcp` runs with no target).
    #[command(hide = true, name = "serve-demo")]
    ServeDemo,
}

/// Options of `mcp check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Which tools to call, with arguments made from their input schemas.
    #[arg(long, value_enum, default_value_t = ToolCalls::ReadOnly)]
    pub(crate) call_tools: ToolCalls,
    /// Most tools called, resources read, prompts rendered and templates
    /// completed (each).
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub(crate) limit: usize,
    /// Offer only this protocol revision (default: every one, and the
    /// server picks).
    #[arg(long, value_name = "REVISION", value_parser = crate::check::parse_version)]
    pub(crate) protocol_version: Option<mcp_switch::mcp_proto::ProtocolVersion>,
}

/// Which tools `mcp check` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ToolCalls {
    /// Only tools annotated `readOnlyHint: true` (calls cannot change
    /// anything, if the server tells the truth).
    ReadOnly,
    /// Every tool: use on a server whose tools are safe to call.
    All,
    /// None; the tool list is still checked.
    None,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Tools {
    /// List the tools.
    List,
    /// Call a tool.
    ///
    /// Arguments are KEY=VALUE pairs whose values are JSON (text that is not
    /// JSON is taken as a string: `city=Lisbon`, `n=3`, `flag=true`,
    /// `tags=["a","b"]`), or one JSON object with --args.
    Call {
        /// The tool.
        name: String,
        /// KEY=VALUE arguments.
        #[arg(value_name = "KEY=VALUE")]
        arguments: Vec<String>,
        /// All arguments as one JSON object.
        #[arg(long, value_name = "JSON", conflicts_with = "arguments")]
        args: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Resources {
    /// List the resources.
    List,
    /// Read a resource.
    Read {
        /// The resource.
        uri: String,
    },
    /// List the resource templates.
    Templates,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Prompts {
    /// List the prompts.
    List,
    /// Render a prompt.
    Get {
        /// The prompt.
        name: String,
        /// KEY=VALUE arguments (values are strings).
        #[arg(value_name = "KEY=VALUE")]
        arguments: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::AdapterArg;

    /// clap's names for the adapters are the ones `mcp_switch` parses, and
    /// every adapter it has can be chosen.
    #[test]
    fn adapter_names_match_mcp_switch() {
        let names: Vec<String> = AdapterArg::value_variants()
            .iter()
            .map(|a| {
                let name = a.to_possible_value().unwrap().get_name().to_owned();
                assert_eq!(name.parse(), Ok(mcp_switch::Adapter::from(*a)), "{name}");
                name
            })
            .collect();
        let all: Vec<String> = mcp_switch::Adapter::ALL
            .iter()
            .map(|a| a.name().to_owned())
            .collect();
        assert_eq!(names, all);
        assert_eq!(
            mcp_switch::Adapter::from(AdapterArg::Blocking),
            mcp_switch::Adapter::default()
        );
    }
}
