//! The typed operations of an MCP client, written once for every adapter.
//!
//! An adapter implements one method, [`Operations::run`], which starts a
//! [`Call`] and hands back its outcome decoded into the type asked for; what
//! an outcome is depends on the adapter (`Result<T, Error>` for a blocking
//! client, a future of one for an async client). Everything else here, from
//! `list_tools` to `complete`, is a default method on top of `run`, so the
//! adapters cannot drift apart.
//!
//! Per-call options go through a scope: `client.with_timeout(d).call_tool(..)`
//! or `client.with_progress(|p| ..).call_tool(..)`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::call::{to_object, Call};
use crate::client::{SubscribeOutcome, Subscription};
use crate::config::{CachePolicy, RequestOptions};
use crate::error::UsageError;
use crate::methods::{self, Method};
use crate::model::{
    CallToolRequestParams, CallToolResult, CompleteRequestParams, CompleteResult, EmptyResult,
    GetPromptRequestParams, GetPromptResult, JsonObject, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedRequestParams, ProgressNotificationParams, ReadResourceRequestParams,
    ReadResourceResult, Reference,
};

/// A callback for the progress of one call.
pub type ProgressFn = Arc<dyn Fn(&ProgressNotificationParams) + Send + Sync>;

/// Options of one call: the core's request options plus a progress callback.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Timeout, cache policy, pagination, extra `_meta`.
    pub request: RequestOptions,
    /// Called with each progress notification of the call (also sets
    /// `request.progress`).
    pub on_progress: Option<ProgressFn>,
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("request", &self.request)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// The typed operations every adapter offers; see the module docs.
pub trait Operations {
    /// What an operation hands back: `Result<T, Error>` for a blocking
    /// client, a future of one for an async client.
    type Outcome<T: DeserializeOwned + Send + 'static>;

    /// Starts `call` with `opts` and hands back its result decoded into `T`.
    /// A `call` that could not be built (`Err`) becomes a failed outcome.
    fn run<T: DeserializeOwned + Send + 'static>(
        &self,
        call: Result<Call, UsageError>,
        opts: CallOptions,
    ) -> Self::Outcome<T>;

    /// The options this handle's operations use (defaults, or a scope's).
    fn call_options(&self) -> CallOptions {
        CallOptions::default()
    }

    /// Operations with these options.
    fn with_options(&self, opts: CallOptions) -> Scoped<'_, Self>
    where
        Self: Sized,
    {
        Scoped { inner: self, opts }
    }

    /// Operations with this timeout instead of the configured one.
    fn with_timeout(&self, timeout: Duration) -> Scoped<'_, Self>
    where
        Self: Sized,
    {
        let mut opts = self.call_options();
        opts.request.timeout = Some(timeout);
        Scoped { inner: self, opts }
    }

    /// Operations that report their progress to `f`.
    fn with_progress(
        &self,
        f: impl Fn(&ProgressNotificationParams) + Send + Sync + 'static,
    ) -> Scoped<'_, Self>
    where
        Self: Sized,
    {
        let mut opts = self.call_options();
        opts.request.progress = true;
        opts.on_progress = Some(Arc::new(f));
        Scoped { inner: self, opts }
    }

    /// Operations that skip the result cache.
    fn fresh(&self) -> Scoped<'_, Self>
    where
        Self: Sized,
    {
        let mut opts = self.call_options();
        opts.request.cache = CachePolicy::Refresh;
        Scoped { inner: self, opts }
    }

    /// Any typed request.
    fn request<M: Method>(&self, params: &M::Params) -> Self::Outcome<M::Result>
    where
        M::Result: Send + 'static,
    {
        self.run(Call::request::<M>(params), self.call_options())
    }

    /// A request by method name; the result as JSON.
    ///
    /// A method the negotiated revision does not have (`ping` at
    /// 2026-07-28, say) fails with `RequestError::NotInRevision` without
    /// being sent, unless `Config::enforce_revision` is off.
    fn request_raw(&self, method: &str, params: JsonObject) -> Self::Outcome<Value> {
        self.run(Ok(Call::raw(method, params)), self.call_options())
    }

    /// Checks the server is alive: `ping` in the legacy era; in the
    /// 2026-07-28 era, which removed `ping`, a `server/discover` (its
    /// result is not kept: read the handshake's from `ready()`). To send a
    /// literal `ping` to a modern server, turn `Config::enforce_revision`
    /// off and use `request_raw("ping", ..)`.
    fn ping(&self) -> Self::Outcome<EmptyResult> {
        self.run(Ok(Call::Ping), self.call_options())
    }

    /// Every tool (all pages).
    fn list_tools(&self) -> Self::Outcome<ListToolsResult> {
        self.request::<methods::ListTools>(&PaginatedRequestParams::default())
    }

    /// Calls a tool with arguments (anything that serializes to a JSON
    /// object; `()` for none).
    fn call_tool(&self, name: &str, arguments: impl Serialize) -> Self::Outcome<CallToolResult> {
        let call = to_object(methods::CallTool::NAME, &arguments).and_then(|args| {
            let mut params = CallToolRequestParams::new(name);
            params.arguments = (!args.is_empty()).then_some(args);
            Call::request::<methods::CallTool>(&params)
        });
        self.run(call, self.call_options())
    }

    /// Every resource (all pages).
    fn list_resources(&self) -> Self::Outcome<ListResourcesResult> {
        self.request::<methods::ListResources>(&PaginatedRequestParams::default())
    }

    /// Every resource template (all pages).
    fn list_resource_templates(&self) -> Self::Outcome<ListResourceTemplatesResult> {
        self.request::<methods::ListResourceTemplates>(&PaginatedRequestParams::default())
    }

    /// Reads a resource.
    fn read_resource(&self, uri: &str) -> Self::Outcome<ReadResourceResult> {
        self.request::<methods::ReadResource>(&ReadResourceRequestParams::new(uri))
    }

    /// Subscribes to change notifications (see
    /// [`Client::subscribe`](crate::Client::subscribe)).
    fn subscribe(&self, what: Subscription) -> Self::Outcome<SubscribeOutcome> {
        self.run(Ok(Call::Subscribe(what)), self.call_options())
    }

    /// Ends a subscription.
    fn unsubscribe(&self, what: Subscription) -> Self::Outcome<EmptyResult> {
        self.run(Ok(Call::Unsubscribe(what)), self.call_options())
    }

    /// Every prompt (all pages).
    fn list_prompts(&self) -> Self::Outcome<ListPromptsResult> {
        self.request::<methods::ListPrompts>(&PaginatedRequestParams::default())
    }

    /// Renders a prompt with string arguments.
    fn get_prompt<K: Into<String>, V: Into<String>>(
        &self,
        name: &str,
        arguments: impl IntoIterator<Item = (K, V)>,
    ) -> Self::Outcome<GetPromptResult> {
        let args: BTreeMap<String, String> = arguments
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let mut params = GetPromptRequestParams::new(name);
        params.arguments = (!args.is_empty()).then_some(args);
        self.request::<methods::GetPrompt>(&params)
    }

    /// Completes the value of `argument` of a prompt or resource template,
    /// typed so far as `value`.
    fn complete(
        &self,
        reference: impl Into<Reference>,
        argument: &str,
        value: &str,
    ) -> Self::Outcome<CompleteResult> {
        self.request::<methods::Complete>(&CompleteRequestParams::new(reference, argument, value))
    }

    /// Sets the server's log level.
    fn set_log_level(&self, level: LoggingLevel) -> Self::Outcome<EmptyResult> {
        self.run(Ok(Call::SetLogLevel(level)), self.call_options())
    }
}

/// An adapter handle with per-call options; made by
/// [`Operations::with_timeout`] and friends.
pub struct Scoped<'a, O> {
    inner: &'a O,
    opts: CallOptions,
}

impl<O> fmt::Debug for Scoped<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped").field("opts", &self.opts).finish()
    }
}

impl<O: Operations> Operations for Scoped<'_, O> {
    type Outcome<T: DeserializeOwned + Send + 'static> = O::Outcome<T>;

    fn run<T: DeserializeOwned + Send + 'static>(
        &self,
        call: Result<Call, UsageError>,
        opts: CallOptions,
    ) -> Self::Outcome<T> {
        self.inner.run(call, opts)
    }

    fn call_options(&self) -> CallOptions {
        self.opts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// An adapter that records what it was asked to run.
    #[derive(Default)]
    struct Recorder(RefCell<Vec<(Call, RequestOptions, bool)>>);

    impl Operations for Recorder {
        type Outcome<T: DeserializeOwned + Send + 'static> = Result<(), UsageError>;
        fn run<T: DeserializeOwned + Send + 'static>(
            &self,
            call: Result<Call, UsageError>,
            opts: CallOptions,
        ) -> Result<(), UsageError> {
            self.0
                .borrow_mut()
                .push((call?, opts.request, opts.on_progress.is_some()));
            Ok(())
        }
    }

    #[test]
    fn typed_operations_build_calls_and_scopes_carry_options() {
        let r = Recorder::default();
        r.call_tool("echo", serde_json::json!({"text": "hi"}))
            .unwrap();
        r.call_tool("noargs", ()).unwrap();
        r.with_timeout(Duration::from_secs(2))
            .with_progress(|_| {})
            .list_tools()
            .unwrap();
        r.get_prompt("greet", [("who", "Ada")]).unwrap();
        r.ping().unwrap();
        assert!(matches!(
            r.call_tool("bad", vec![1, 2]),
            Err(UsageError::ParamsNotObject { .. })
        ));
        let seen = r.0.borrow();
        match &seen[0].0 {
            Call::Request { method, params } => {
                assert_eq!(method, "tools/call");
                assert_eq!(params["arguments"]["text"], "hi");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&seen[1].0, Call::Request { params, .. } if !params.contains_key("arguments"))
        );
        assert_eq!(seen[2].1.timeout, Some(Duration::from_secs(2)));
        assert!(seen[2].1.progress && seen[2].2);
        assert!(
            matches!(&seen[3].0, Call::Request { params, .. } if params["arguments"]["who"] == "Ada")
        );
        assert_eq!(seen[4].0, Call::Ping);
        assert_eq!(seen[0].1, RequestOptions::default());
    }
}
