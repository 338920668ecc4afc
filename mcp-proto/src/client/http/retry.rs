//! When to try a failed HTTP request again, and after how long.

use std::time::Duration;

use crate::http::{HttpHead, RetryPolicy};

/// Statuses that say "later": rate limiting and overloaded or unreachable
/// upstreams. A 500 is the server's own failure and is reported at once.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// `Retry-After` in delay-seconds. The HTTP-date form needs a wall clock,
/// which the core does not have: such responses get the usual backoff.
pub(crate) fn retry_after(head: &HttpHead) -> Option<Duration> {
    let v = head.header("retry-after")?.trim();
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().map(Duration::from_secs)
}

/// A small seeded generator (xorshift64*): reproducible jitter without a
/// global random source.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Jitter {
        Jitter(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The delay before retry number `retry` (1 for the first): the base
    /// doubled per retry, plus up to half again, capped by the policy.
    pub(crate) fn backoff(&mut self, policy: &RetryPolicy, retry: u32) -> Duration {
        let base = policy
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let half = base.as_millis().min(u128::from(u64::MAX)) as u64 / 2;
        let extra = if half == 0 {
            0
        } else {
            self.next() % (half + 1)
        };
        (base + Duration::from_millis(extra)).min(policy.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_only() {
        let head = |v: &str| HttpHead {
            status: 503,
            headers: vec![("Retry-After".into(), v.into())],
        };
        assert_eq!(retry_after(&head("3")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&head(" 0 ")), Some(Duration::ZERO));
        assert_eq!(retry_after(&head("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(&head("-1")), None);
        assert_eq!(retry_after(&head("99999999999999")), None);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_is_reproducible() {
        let policy = RetryPolicy::default();
        let mut a = Jitter::new(policy.seed);
        let mut b = Jitter::new(policy.seed);
        for retry in 1..=10 {
            let d = a.backoff(&policy, retry);
            assert_eq!(d, b.backoff(&policy, retry));
            let base = policy.base_delay * (1 << (retry - 1));
            assert!(d >= base.min(policy.max_delay) && d <= (base * 3 / 2).min(policy.max_delay));
        }
    }
}
