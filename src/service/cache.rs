//! Short-lived, bounded in-memory caches for lookups on every request: the signing key
//! rows behind admin tokens and credentials, and which environments exist.
//!
//! Why: those reads were three of the ten database round trips of an issuance flow, and
//! on SQLite each round trip is a hop to the blocking pool. What is cached changes
//! rarely and only through this server's own writes, which drop the entry at once; a
//! change made by another instance on the same PostgreSQL is seen within [`TTL`]. Only
//! positive answers are cached, so a stream of made-up ids cannot fill the cache, and a
//! full cache is emptied rather than grown.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an entry is trusted.
pub const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 10_000;

pub struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    ttl: Duration,
}

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl: TTL,
        }
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let mut entries = self.entries();
        match entries.get(key) {
            Some((stored, value)) if stored.elapsed() < self.ttl => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Drops every entry `drop` selects (after this server changed what they hold).
    pub fn forget(&self, mut drop: impl FnMut(&K) -> bool) {
        self.entries().retain(|key, _| !drop(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = TtlCache {
            entries: Mutex::new(HashMap::new()),
            ttl: Duration::from_millis(30),
        };
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.forget(|k| *k == "a");
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(cache.get(&"b"), Some(2));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&"b"), None);
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache = TtlCache::default();
        for i in 0..MAX_ENTRIES {
            cache.insert(i, i);
        }
        cache.insert(MAX_ENTRIES, 0);
        assert_eq!(cache.get(&0), None);
        assert_eq!(cache.get(&MAX_ENTRIES), Some(0));
        assert_eq!(cache.entries().len(), 1);
    }
}
