//! The leaf randomness of hush's ORAM: a ChaCha12 stream seeded from the
//! operating system, and a keyed pseudo-random function that gives every
//! never-written position-map entry its own unpredictable leaf.

use rand::RngCore;
use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::SeedableRng;
use std::hash::Hasher;

/// Uniform leaves for one array and its position maps.
pub(super) struct LeafRng {
    stream: ChaCha12Rng,
    /// SipHash keys of [`LeafRng::mask`].
    keys: (u64, u64),
}

impl LeafRng {
    /// A stream seeded from the operating system.
    pub(super) fn new() -> Self {
        Self::from_seed(rand::random())
    }

    /// A stream from a fixed seed (tests).
    pub(super) fn from_seed(seed: [u8; 32]) -> Self {
        let mut stream = ChaCha12Rng::from_seed(seed);
        let keys = (stream.next_u64(), stream.next_u64());
        Self { stream, keys }
    }

    /// A uniform value below `n`, a power of two.
    #[inline(always)]
    pub(super) fn below_pow2(&mut self, n: u32) -> u32 {
        debug_assert!(n.is_power_of_two());
        self.stream.next_u32() & (n - 1)
    }

    /// A keyed pseudo-random 32-bit mask of `index` (SipHash-2-4 under
    /// this stream's secret keys; constant time for a fixed-size input).
    #[inline(always)]
    pub(super) fn mask(&self, index: u32) -> u32 {
        #[allow(deprecated)] // std's SipHash-2-4; no extra dependency
        let mut h = std::hash::SipHasher::new_with_keys(self.keys.0, self.keys.1);
        h.write_u32(index);
        h.finish() as u32
    }

    /// A child stream for a position map (its own keys and sequence).
    pub(super) fn child(&mut self) -> Self {
        let mut seed = [0u8; 32];
        self.stream.fill_bytes(&mut seed);
        Self::from_seed(seed)
    }
}
