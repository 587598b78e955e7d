//! Status list indexes that look random yet never repeat.
//!
//! Handing out indexes 0, 1, 2, … would tell anyone who sees two credentials which was
//! issued first, and the highest index seen would tell how many credentials a list holds,
//! which undoes the herd privacy a list exists for (Token Status List §12.4 and §13.3,
//! Bitstring Status List §2.1 `statusListIndex`). Drawing indexes at random instead needs retries
//! when one is taken, and those get slow as a list fills. So the database counts (each
//! list hands out counter values 0, 1, 2, … and never one twice) and this module maps a
//! counter to its index through a permutation of `[0, n)` chosen by a secret key: an
//! index is unique because the counter is, and without the key the order of indexes says
//! nothing about the order of issuance.
//!
//! The permutation is a balanced Feistel network over `2h` bits, `2^2h` the smallest even
//! power of two of at least `n`, with HMAC-SHA-256 under the key as its round function.
//! Each round maps `(L, R)` to `(R, L ^ F(R))`, which the next round's input undoes
//! (`L = F(R) ^ (L ^ F(R))`) whatever `F` is, so every round, and the network, is a
//! permutation of `[0, 2^2h)`. Cycle walking restricts it to `[0, n)`: an index at or past
//! `n` is encrypted again until it falls below `n`. Following a permutation from a point
//! below `n` must come back below `n` (at the latest to the point itself), and two
//! counters cannot reach the same index, since walking back from that index with the
//! inverse permutation leads to one first point below `n`. As `2^2h < 4n`, a walk takes
//! fewer than four encryptions on average.

use ring::hmac;

/// Feistel rounds. Four make a pseudo-random permutation of a pseudo-random function
/// (Luby and Rackoff); the small domains of small lists get twice that margin, at one HMAC
/// per round and one index per issued credential.
const ROUNDS: u8 = 8;

/// A keyed pseudo-random permutation of `[0, n)`.
#[derive(Clone)]
pub struct IndexPermutation {
    key: hmac::Key,
    n: u64,
    /// `h`: the bits of each half of a Feistel block, 1 to 32.
    half_bits: u32,
}

impl std::fmt::Debug for IndexPermutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexPermutation")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl IndexPermutation {
    /// The permutation of `[0, n)` that `key` selects.
    ///
    /// # Panics
    ///
    /// When `n` is less than 2.
    pub fn new(key: [u8; 32], n: u64) -> Self {
        assert!(n >= 2, "a permutation of [0, {n}) hides nothing");
        let bits = u64::BITS - (n - 1).leading_zeros();
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
            n,
            half_bits: bits.div_ceil(2).max(1),
        }
    }

    /// `n`: the number of indexes.
    pub fn size(&self) -> u64 {
        self.n
    }

    /// The index of the `counter`-th entry, or `None` when `counter` is `n` or more.
    pub fn index(&self, counter: u64) -> Option<u64> {
        if counter >= self.n {
            return None;
        }
        let mut x = counter;
        loop {
            x = self.encrypt(x);
            if x < self.n {
                return Some(x);
            }
        }
    }

    /// The Feistel network over `[0, 2^2h)`.
    fn encrypt(&self, x: u64) -> u64 {
        let mask = self.mask();
        let (mut left, mut right) = (x >> self.half_bits, x & mask);
        for round in 0..ROUNDS {
            (left, right) = (right, left ^ self.round(round, right));
        }
        (left << self.half_bits) | right
    }

    /// The round function: the first 8 bytes of HMAC(key, round || half), masked to `h`
    /// bits.
    fn round(&self, round: u8, half: u64) -> u64 {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(&[round]);
        context.update(&half.to_be_bytes());
        let tag = context.sign();
        let mut first = [0; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        u64::from_be_bytes(first) & self.mask()
    }

    fn mask(&self) -> u64 {
        (1 << self.half_bits) - 1
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn key(byte: u8) -> [u8; 32] {
        [byte; 32]
    }

    /// Every counter below `n` maps to an index below `n`, no two to the same one.
    fn assert_permutes(permutation: &IndexPermutation) {
        let n = permutation.size();
        let mut seen = vec![false; usize::try_from(n).unwrap()];
        for counter in 0..n {
            let index = permutation.index(counter).unwrap();
            assert!(
                index < n,
                "index {index} of counter {counter} is not below {n}"
            );
            let slot = &mut seen[usize::try_from(index).unwrap()];
            assert!(!*slot, "index {index} given twice (n = {n})");
            *slot = true;
        }
        assert_eq!(permutation.index(n), None);
        assert_eq!(permutation.index(u64::MAX), None);
    }

    #[test]
    fn small_lists_are_permuted() {
        for n in [2, 3, 4, 5, 17, 1000, 1024, 1025] {
            for byte in 0..4 {
                assert_permutes(&IndexPermutation::new(key(byte), n));
            }
        }
    }

    /// The smallest Bitstring Status List, in full. Checking it takes 262,144 encryptions
    /// (its domain is 2^18), about 3 s unoptimised, so a debug build checks 40,000
    /// instead: a domain of 2^16, 39% of it walked past. (65,537 would not help: 2^17
    /// takes 17 bits, so its domain is 2^18 too.)
    #[test]
    fn a_list_of_bitstring_size_is_permuted() {
        let n = if cfg!(debug_assertions) {
            40_000
        } else {
            131_072
        };
        let started = Instant::now();
        assert_permutes(&IndexPermutation::new(key(7), n));
        eprintln!("{n} indexes in {:?}", started.elapsed());
    }

    #[test]
    fn the_order_of_indexes_says_nothing_of_the_order_of_counters() {
        let permutation = IndexPermutation::new(key(1), 131_072);
        let first: Vec<u64> = (0..100).map(|c| permutation.index(c).unwrap()).collect();
        let descents = first.windows(2).filter(|w| w[1] < w[0]).count();
        // A random order has 49.5 descents in 99 pairs on average, give or take 3.
        assert!((40..=59).contains(&descents), "{descents} descents");
        // Nor do the first indexes cluster at the start of the list.
        assert!(first.iter().any(|&i| i > 65_536));
    }

    #[test]
    fn keys_choose_the_order_and_the_same_key_the_same_one() {
        let a = IndexPermutation::new(key(1), 131_072);
        let b = IndexPermutation::new(key(2), 131_072);
        let again = IndexPermutation::new(key(1), 131_072);
        let order = |p: &IndexPermutation| (0..32).map(|c| p.index(c).unwrap()).collect::<Vec<_>>();
        assert_eq!(order(&a), order(&again));
        assert_ne!(order(&a), order(&b));
        let same = (0..32).filter(|&c| a.index(c) == b.index(c)).count();
        assert!(same <= 2, "{same} of 32 indexes agree");
        // Even two indexes have both orders, depending on the key.
        let orders: std::collections::HashSet<_> = (0..16)
            .map(|byte| IndexPermutation::new(key(byte), 2).index(0))
            .collect();
        assert_eq!(orders.len(), 2);
    }

    #[test]
    fn the_largest_domains_do_not_overflow() {
        for n in [u64::MAX, 1 << 63, (1 << 32) + 1, 1 << 32] {
            let permutation = IndexPermutation::new(key(3), n);
            for counter in [0, 1, n / 2, n - 1] {
                assert!(permutation.index(counter).unwrap() < n);
            }
            assert_eq!(permutation.index(n), None);
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let printed = format!("{:?}", IndexPermutation::new(key(9), 10));
        assert_eq!(printed, "IndexPermutation { n: 10, .. }");
    }

    #[test]
    #[should_panic(expected = "hides nothing")]
    fn one_index_is_refused() {
        IndexPermutation::new(key(0), 1);
    }
}
