//! A host-side rate limit: a bucket of `per_minute` events per key that
//! refills continuously (bursts up to `per_minute`). The host limits what
//! it sees anyway (source addresses, session ids), so a limit tells it
//! nothing new and changes nothing inside the enclave.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys tracked at once; beyond this, buckets that have refilled are
/// forgotten first, then all of them (a flood of keys then gets one
/// fresh bucket each, which is what it would get anyway).
const MAX_TRACKED: usize = 100_000;

/// A refilling bucket.
#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// At most `per_minute` events per key per minute.
pub struct RateLimiter<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// At most `per_minute` events per key per minute; 0: no limit.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an event of `key` at `now`: `Ok`, or how long until the key
    /// may have another.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let cap = self.per_minute as f64;
        let rate = cap / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&key) {
            let full = Duration::from_secs_f64(60.0);
            buckets.retain(|_, b| now.saturating_duration_since(b.at) < full);
            if buckets.len() >= MAX_TRACKED {
                buckets.clear();
            }
        }
        let b = buckets.entry(key).or_insert(Bucket {
            tokens: cap,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(cap);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }
}
