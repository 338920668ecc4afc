//! The 2026-07-28 result cache: `ttlMs` freshness, invalidation by change
//! notifications, one entry per page, and the switches that turn it off.

mod common;

use std::time::Duration;

use common::*;
use mcp_proto::methods::{ListTools, ReadResource};
use mcp_proto::model::{CallToolRequestParams, ListToolsResult, ReadResourceRequestParams};
use mcp_proto::testing::{Pair, ServerConfig};
use mcp_proto::{CachePolicy, Config, RequestOptions, Subscription};
use serde_json::json;

fn cached_server(ttl_ms: u64) -> ServerConfig {
    let mut s = ServerConfig::modern();
    s.ttl_ms = ttl_ms;
    s
}

fn list(pair: &mut Pair, opts: RequestOptions) -> (ListToolsResult, bool) {
    let id = pair
        .client
        .request::<ListTools>(pair.now, &Default::default(), opts)
        .unwrap();
    pair.drive();
    let reply = outcome(pair.events(), id).unwrap();
    (reply.decode().unwrap(), reply.from_cache)
}

fn read(pair: &mut Pair, uri: &str) -> bool {
    let id = pair
        .client
        .request::<ReadResource>(
            pair.now,
            &ReadResourceRequestParams::new(uri),
            RequestOptions::default(),
        )
        .unwrap();
    pair.drive();
    outcome(pair.events(), id).unwrap().from_cache
}

fn lists_sent(pair: &Pair) -> usize {
    sent(pair, "tools/list").len()
}

#[test]
fn a_fresh_result_is_served_from_the_cache_until_its_ttl_runs_out() {
    let mut pair = ready(Config::default(), cached_server(60_000));
    let (first, cached) = list(&mut pair, RequestOptions::default());
    assert!(!cached);
    let (second, cached) = list(&mut pair, RequestOptions::default());
    assert!(cached);
    assert_eq!(first.tools, second.tools);
    assert_eq!(lists_sent(&pair), 1);
    pair.advance(Duration::from_millis(59_999));
    assert!(list(&mut pair, RequestOptions::default()).1);
    pair.advance(Duration::from_millis(1));
    assert!(
        !list(&mut pair, RequestOptions::default()).1,
        "stale at exactly ttl"
    );
    assert_eq!(lists_sent(&pair), 2);
}

#[test]
fn change_notifications_make_entries_stale_at_once() {
    let mut pair = ready(Config::default(), cached_server(60_000));
    pair.client
        .subscribe(pair.now, Subscription::ToolsListChanged)
        .unwrap();
    pair.client
        .subscribe(pair.now, Subscription::Resource("file:///a.txt".into()))
        .unwrap();
    pair.drive();
    list(&mut pair, RequestOptions::default());
    read(&mut pair, "file:///a.txt");
    read(&mut pair, "file:///b.bin");
    assert!(list(&mut pair, RequestOptions::default()).1);
    assert!(read(&mut pair, "file:///a.txt"));
    // `touch` makes the server send tools/list_changed and resources/updated.
    let touch =
        CallToolRequestParams::new("touch").with_arguments(obj(json!({"uri": "file:///a.txt"})));
    pair.call_tool_with(&touch, RequestOptions::default());
    pair.drive();
    assert!(
        !list(&mut pair, RequestOptions::default()).1,
        "tools list invalidated"
    );
    assert!(
        !read(&mut pair, "file:///a.txt"),
        "updated resource invalidated"
    );
    assert!(
        read(&mut pair, "file:///b.bin"),
        "other resources untouched"
    );
}

#[test]
fn each_page_is_its_own_entry() {
    let mut server = cached_server(60_000);
    server.page_size = Some(5);
    let mut pair = ready(Config::default(), server);
    let (all, _) = list(&mut pair, RequestOptions::default());
    assert_eq!(all.tools.len(), 15);
    assert_eq!(lists_sent(&pair), 3);
    let (again, cached) = list(&mut pair, RequestOptions::default());
    assert_eq!(again.tools, all.tools);
    assert!(!cached, "a merged list is not one cached answer");
    assert_eq!(lists_sent(&pair), 3, "every page came from the cache");
}

#[test]
fn policies_and_the_switch() {
    let mut pair = ready(Config::default(), cached_server(60_000));
    list(&mut pair, RequestOptions::default());
    assert!(
        !list(
            &mut pair,
            RequestOptions::default().with_cache(CachePolicy::Refresh)
        )
        .1
    );
    assert!(
        !list(
            &mut pair,
            RequestOptions::default().with_cache(CachePolicy::Bypass)
        )
        .1
    );
    assert!(
        list(&mut pair, RequestOptions::default()).1,
        "Refresh stored its answer"
    );
    assert_eq!(lists_sent(&pair), 3);

    let mut pair = ready(
        Config {
            cache: false,
            ..Config::default()
        },
        cached_server(60_000),
    );
    list(&mut pair, RequestOptions::default());
    assert!(!list(&mut pair, RequestOptions::default()).1);
    assert_eq!(lists_sent(&pair), 2);
}

#[test]
fn nothing_is_cached_without_a_positive_ttl_or_from_a_legacy_server() {
    for server in [cached_server(0), ServerConfig::legacy()] {
        let mut pair = ready(Config::default(), server);
        list(&mut pair, RequestOptions::default());
        assert!(!list(&mut pair, RequestOptions::default()).1);
        assert_eq!(lists_sent(&pair), 2);
    }
}

#[test]
fn the_byte_budget_evicts_the_oldest_entries() {
    let cfg = Config {
        cache_max_bytes: 300,
        ..Config::default()
    };
    let mut pair = ready(cfg, cached_server(60_000));
    read(&mut pair, "file:///1");
    read(&mut pair, "file:///2");
    read(&mut pair, "file:///3");
    assert!(read(&mut pair, "file:///3"));
    assert!(!read(&mut pair, "file:///1"), "the oldest made room");
}

#[test]
fn results_of_input_rounds_are_never_cached() {
    let mut raw = Raw::new(Config::default());
    raw.modern_handshake(json!({"resources": {}}));
    let params = ReadResourceRequestParams::new("file:///secret");
    let first = raw
        .client
        .request::<ReadResource>(raw.now, &params, RequestOptions::default())
        .unwrap();
    raw.drain();
    let wire = raw.last_id();
    raw.feed_json(json!({"jsonrpc":"2.0","id":wire,"result":{"resultType":"input_required","requestState":"s"}}));
    let retry = raw.last_id();
    assert_ne!(retry, wire);
    raw.feed_json(json!({"jsonrpc":"2.0","id":retry,"result":{"resultType":"complete","ttlMs":60000,"cacheScope":"private",
        "contents":[{"uri":"file:///secret","text":"for you"}]}}));
    assert!(outcome(&raw.events, first).is_ok());
    let second = raw
        .client
        .request::<ReadResource>(raw.now, &params, RequestOptions::default())
        .unwrap();
    raw.drain();
    assert_eq!(raw.last()["method"], "resources/read", "asked again");
    assert!(!ended(&raw.events, second));
}
