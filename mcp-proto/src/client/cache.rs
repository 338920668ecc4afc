//! The result cache of 2026-07-28: `ttlMs` says how long a result is fresh,
//! change notifications make it stale at once.
//!
//! Entries are keyed by method and the one param that changes the result
//! (`cursor` for list pages, `uri` for reads), hold the result text, and are
//! evicted oldest first past a byte budget. A byte stream has one
//! authorization context, so `private` and `public` entries are treated
//! alike here.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    text: String,
    fresh_until: Instant,
    seq: u64,
}

#[derive(Debug)]
pub(crate) struct Cache {
    entries: BTreeMap<(String, String), Entry>,
    bytes: usize,
    max_bytes: usize,
    seq: u64,
}

impl Cache {
    pub(crate) fn new(max_bytes: usize) -> Cache {
        Cache {
            entries: BTreeMap::new(),
            bytes: 0,
            max_bytes,
            seq: 0,
        }
    }

    /// The cached result text for `method` + `key`, if still fresh.
    pub(crate) fn get(&self, method: &str, key: &str, now: Instant) -> Option<&str> {
        let e = self.entries.get(&(method.to_owned(), key.to_owned()))?;
        (now < e.fresh_until).then_some(e.text.as_str())
    }

    /// Stores a result fresh for `ttl`. Results larger than the whole budget
    /// are not stored.
    pub(crate) fn put(&mut self, method: &str, key: &str, text: &str, ttl: Duration, now: Instant) {
        if ttl.is_zero() || text.len() > self.max_bytes {
            return;
        }
        self.remove(&(method.to_owned(), key.to_owned()));
        self.seq += 1;
        self.bytes += text.len();
        self.entries.insert(
            (method.to_owned(), key.to_owned()),
            Entry {
                text: text.to_owned(),
                fresh_until: now + ttl,
                seq: self.seq,
            },
        );
        while self.bytes > self.max_bytes {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.seq)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.remove(&oldest);
        }
    }

    /// Drops every entry of `method`.
    pub(crate) fn invalidate_method(&mut self, method: &str) {
        let keys: Vec<_> = self
            .entries
            .keys()
            .filter(|(m, _)| m == method)
            .cloned()
            .collect();
        for k in keys {
            self.remove(&k);
        }
    }

    /// Drops reads of `uri` and of resources under it or above it (an update
    /// may name a sub-resource of what was read).
    pub(crate) fn invalidate_uri(&mut self, uri: &str) {
        let keys: Vec<_> = self
            .entries
            .keys()
            .filter(|(m, k)| {
                m == "resources/read" && (k.starts_with(uri) || uri.starts_with(k.as_str()))
            })
            .cloned()
            .collect();
        for k in keys {
            self.remove(&k);
        }
    }

    fn remove(&mut self, key: &(String, String)) {
        if let Some(e) = self.entries.remove(key) {
            self.bytes -= e.text.len();
        }
    }
}
