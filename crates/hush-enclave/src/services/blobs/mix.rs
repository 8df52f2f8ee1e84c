//! The blobs of one size class waiting in the enclave for their mix, and
//! the oblivious steps on them: a blob's bytes are only ever moved by
//! constant-time swaps and selections over the whole mix, so the order
//! the host sees blobs written in, and which one a download is served
//! from, are hidden from an observer of the enclave's memory accesses.

use subtle::Choice;

/// A slot number that names no table entry: a blob that will be written
/// but that nobody can download (a refused upload, kept so that the mix
/// grows by one whatever an upload's outcome).
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// One blob in the mix.
pub(crate) struct Held {
    /// Its table entry, or [`NO_SLOT`].
    pub(crate) slot: u32,
    /// Its bytes, as 64-bit words (the class's length / 8).
    pub(crate) words: Vec<u64>,
}

/// `m` as a 64-bit mask: all ones when `c` is set.
fn mask64(c: Choice) -> u64 {
    (c.unwrap_u8() as u64).wrapping_neg()
}

/// Swaps `a` and `b` when `c` is set, touching every word either way.
pub(crate) fn cswap(a: &mut Held, b: &mut Held, c: Choice) {
    let m = mask64(c);
    let t = (a.slot ^ b.slot) & (m as u32);
    a.slot ^= t;
    b.slot ^= t;
    for (x, y) in a.words.iter_mut().zip(b.words.iter_mut()) {
        let t = (*x ^ *y) & m;
        *x ^= t;
        *y ^= t;
    }
}

/// Copies `src` into `dst` when `c` is set, touching every word either way.
pub(crate) fn cmov_words(dst: &mut [u64], src: &[u64], c: Choice) {
    let m = mask64(c);
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= (*d ^ *s) & m;
    }
}

/// Puts `items` in the order of `tags` (ascending) with a bitonic network
/// in which every comparator puts the smaller tag first: the same
/// compare-and-swap steps whatever the tags, each moving whole blobs. A
/// count that is not a power of two is padded, in thought, with tags that
/// sort last; comparators that would touch padding never move anything
/// (the smaller tag is already first) and are left out.
pub(crate) fn oblivious_sort(items: &mut [Held], tags: &mut [u64]) {
    let n = items.len();
    debug_assert_eq!(n, tags.len());
    let size = n.next_power_of_two();
    let mut compare = |i: usize, l: usize| {
        if l > i && l < n {
            let swap = Choice::from((tags[i] > tags[l]) as u8);
            let (lo, hi) = items.split_at_mut(l);
            cswap(&mut lo[i], &mut hi[0], swap);
            let m = mask64(swap);
            let t = (tags[i] ^ tags[l]) & m;
            tags[i] ^= t;
            tags[l] ^= t;
        }
    };
    let mut k = 2;
    while k <= size {
        // Merge two sorted runs of k/2: mirror, then half-cleaners.
        for i in 0..size {
            compare(i, i ^ (k - 1));
        }
        let mut j = k / 4;
        while j > 0 {
            for i in 0..size {
                compare(i, i ^ j);
            }
            j /= 2;
        }
        k *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(slot: u32, v: u64) -> Held {
        Held {
            slot,
            words: vec![v; 4],
        }
    }

    #[test]
    fn the_network_sorts_any_count_and_keeps_each_blob_whole() {
        for n in 1..=20usize {
            for seed in 0..20u64 {
                let mut tags: Vec<u64> = (0..n as u64)
                    .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed).rotate_left(7))
                    .collect();
                let mut items: Vec<Held> =
                    (0..n as u32).map(|i| held(i, tags[i as usize])).collect();
                oblivious_sort(&mut items, &mut tags);
                assert!(tags.windows(2).all(|w| w[0] <= w[1]), "n {n}: {tags:?}");
                for (h, t) in items.iter().zip(&tags) {
                    assert!(
                        h.words.iter().all(|w| w == t),
                        "a blob moved without its tag"
                    );
                }
                let mut slots: Vec<u32> = items.iter().map(|h| h.slot).collect();
                slots.sort_unstable();
                assert_eq!(slots, (0..n as u32).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn swaps_and_moves_happen_only_when_asked() {
        let (mut a, mut b) = (held(1, 10), held(2, 20));
        cswap(&mut a, &mut b, Choice::from(0));
        assert_eq!((a.slot, a.words[0], b.slot, b.words[3]), (1, 10, 2, 20));
        cswap(&mut a, &mut b, Choice::from(1));
        assert_eq!((a.slot, a.words[0], b.slot, b.words[3]), (2, 20, 1, 10));
        let mut d = vec![0u64; 4];
        cmov_words(&mut d, &a.words, Choice::from(0));
        assert_eq!(d, vec![0; 4]);
        cmov_words(&mut d, &a.words, Choice::from(1));
        assert_eq!(d, vec![20; 4]);
    }
}
