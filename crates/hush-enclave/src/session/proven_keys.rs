//! The keys a session has proven: a fixed array of
//! [`MAX_KEYS_PER_SESSION`] slots, searched and merged in constant time.
//!
//! Which keys a session holds is secret (they name users), and so is how
//! many: every operation here touches every slot the same way, whatever
//! the slots and the arguments hold.

use crate::mask;
use hush_wire::consts::{KEY_LEN, MAX_KEYS_PER_SESSION};
use subtle::{Choice, ConditionallySelectable};

/// One slot's key bytes.
pub type KeyBytes = [u8; KEY_LEN];
/// Length of [`ProvenKeys::to_bytes`]: every slot's key, then every slot's
/// in-use byte.
pub const PROVEN_KEYS_LEN: usize = MAX_KEYS_PER_SESSION * (KEY_LEN + 1);

/// The proven keys of one session.
#[derive(Clone, Copy, Default)]
pub struct ProvenKeys {
    keys: [KeyBytes; MAX_KEYS_PER_SESSION],
    used: [u8; MAX_KEYS_PER_SESSION],
}

/// Shows no key: they name users.
impl std::fmt::Debug for ProvenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProvenKeys(..)")
    }
}

/// `b` if `choice`, else `a`, byte by byte in constant time.
pub(super) fn select<const N: usize>(a: &[u8; N], b: &[u8; N], choice: Choice) -> [u8; N] {
    std::array::from_fn(|i| u8::conditional_select(&a[i], &b[i], choice))
}

impl ProvenKeys {
    /// Whether `key` is one of the proven keys (constant time over every
    /// slot). Compared eight bytes at a time on masks (`crate::mask`):
    /// `subtle`'s byte-wise `ct_eq` made an out-of-line `black_box` call
    /// per byte, 128 per request, about 7% of the async worker's time
    /// under load.
    pub fn contains(&self, key: &KeyBytes) -> Choice {
        let mut found = 0u32;
        for (k, used) in self.keys.iter().zip(self.used) {
            found |= mask::from_bit(used as u32) & mask::eq_bytes(k, key);
        }
        mask::to_choice(found)
    }

    /// Every slot, in a fixed layout (for the replicated log).
    pub fn to_bytes(&self) -> [u8; PROVEN_KEYS_LEN] {
        let mut out = [0u8; PROVEN_KEYS_LEN];
        for (i, k) in self.keys.iter().enumerate() {
            out[i * KEY_LEN..(i + 1) * KEY_LEN].copy_from_slice(k);
        }
        out[MAX_KEYS_PER_SESSION * KEY_LEN..].copy_from_slice(&self.used);
        out
    }

    /// The keys [`Self::to_bytes`] wrote; `None` if an in-use byte is
    /// neither 0 nor 1.
    pub fn from_bytes(bytes: &[u8; PROVEN_KEYS_LEN]) -> Option<Self> {
        let mut k = Self::default();
        for (i, key) in k.keys.iter_mut().enumerate() {
            key.copy_from_slice(&bytes[i * KEY_LEN..(i + 1) * KEY_LEN]);
        }
        k.used
            .copy_from_slice(&bytes[MAX_KEYS_PER_SESSION * KEY_LEN..]);
        k.used.iter().all(|u| *u <= 1).then_some(k)
    }

    /// Keys proven (constant time).
    pub fn count(&self) -> u8 {
        self.used.iter().sum()
    }

    /// Adds every candidate marked `present` that is not already held,
    /// if `apply` and if they all fit. Returns whether they fit (computed
    /// whether or not `apply` holds). Same work for every input.
    pub fn merge(
        &mut self,
        candidates: &[KeyBytes; MAX_KEYS_PER_SESSION],
        present: &[Choice; MAX_KEYS_PER_SESSION],
        apply: Choice,
    ) -> Choice {
        let mut next = *self;
        let mut overflow = Choice::from(0);
        for (key, present) in candidates.iter().zip(present) {
            let add = *present & !next.contains(key);
            let mut placed = Choice::from(0);
            for slot in 0..MAX_KEYS_PER_SESSION {
                let take = add & !Choice::from(next.used[slot]) & !placed;
                next.keys[slot] = select(&next.keys[slot], key, take);
                next.used[slot] |= take.unwrap_u8();
                placed |= take;
            }
            overflow |= add & !placed;
        }
        let fits = !overflow;
        let commit = apply & fits;
        for slot in 0..MAX_KEYS_PER_SESSION {
            self.keys[slot] = select(&self.keys[slot], &next.keys[slot], commit);
            self.used[slot] = u8::conditional_select(&self.used[slot], &next.used[slot], commit);
        }
        fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn k(n: u8) -> KeyBytes {
        [n; KEY_LEN]
    }

    fn present(n: usize) -> [Choice; MAX_KEYS_PER_SESSION] {
        std::array::from_fn(|i| Choice::from((i < n) as u8))
    }

    #[test]
    fn merges_distinct_keys_and_refuses_overflow() {
        let mut p = ProvenKeys::default();
        assert_eq!(p.count(), 0);
        assert!(!bool::from(p.contains(&k(0))), "empty slots hold nothing");
        let fits = p.merge(&[k(1), k(2), k(1), k(9)], &present(3), Choice::from(1));
        assert!(bool::from(fits));
        assert_eq!(p.count(), 2, "a repeated key takes one slot");
        assert!(bool::from(p.contains(&k(1)) & p.contains(&k(2))));
        assert!(!bool::from(p.contains(&k(9))), "not present, not added");
        let fits = p.merge(&[k(3), k(4), k(5), k(0)], &present(3), Choice::from(1));
        assert!(!bool::from(fits), "2 + 3 keys do not fit in 4");
        assert_eq!(p.count(), 2, "nothing added when they do not all fit");
        let fits = p.merge(&[k(3), k(4), k(0), k(0)], &present(2), Choice::from(0));
        assert!(bool::from(fits));
        assert_eq!(p.count(), 2, "not applied");
        p.merge(&[k(3), k(2), k(4), k(0)], &present(3), Choice::from(1));
        assert_eq!(p.count(), 4);
    }

    proptest! {
        #[test]
        fn matches_a_set_model(rounds in proptest::collection::vec(
            (proptest::collection::vec(1u8..8, 4), 0usize..=4, any::<bool>()), 0..12)) {
            let mut p = ProvenKeys::default();
            let mut model: Vec<u8> = Vec::new();
            for (keys, n, apply) in rounds {
                let cands: [KeyBytes; 4] = std::array::from_fn(|i| k(keys[i]));
                let fits = p.merge(&cands, &present(n), Choice::from(apply as u8));
                let mut next = model.clone();
                for key in &keys[..n] {
                    if !next.contains(key) { next.push(*key); }
                }
                let model_fits = next.len() <= MAX_KEYS_PER_SESSION;
                prop_assert_eq!(bool::from(fits), model_fits);
                if apply && model_fits { model = next; }
                prop_assert_eq!(p.count() as usize, model.len());
                for n in 0..8u8 {
                    prop_assert_eq!(bool::from(p.contains(&k(n))), model.contains(&n));
                }
            }
        }
    }
}
