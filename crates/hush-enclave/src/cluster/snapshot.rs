//! Snapshots: a replica's whole replicated state, sealed, so that a node
//! can catch up without the entries raft has purged from its log.
//!
//! Every piece of state writes itself through one [`Visit`] function, used
//! both to save it ([`Writer`]) and to load it ([`Reader`]): the two can
//! never disagree on the layout. Oblivious arrays are written whole, in
//! index order (public), through their ordinary oblivious accesses, and
//! every field in enclave memory at its fixed size, so a snapshot's length
//! depends on the configuration alone, never on what the services hold.
//!
//! The plaintext never leaves the enclave: [`SnapshotKey`] seals it with
//! XChaCha20-Poly1305 under a key derived from the cluster secret, with a
//! random nonce. A replica installs a snapshot only if it opens under that
//! key and has exactly the length this replica's configuration gives.
//!
//! Not in a snapshot: sessions (each node has its own clients), proposals
//! waiting for their entry (their clients retry), and the directory's
//! outbox of codes to send (drained on every tick; only the leader sends).

use super::secret::ClusterSecret;
use crate::oram::{Block, ObliviousArray};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zeroize::Zeroizing;

/// Length of a sealed snapshot's nonce.
pub const SNAPSHOT_NONCE_LEN: usize = 24;
/// Length of a sealed snapshot's authentication tag.
pub const SNAPSHOT_TAG_LEN: usize = 16;
/// What the seal binds a snapshot to (its format).
/// (v2: the token service's state holds the directory's key epochs.)
const SNAPSHOT_AD: &[u8] = b"hush.cluster.snapshot.v2";
/// The purpose the snapshot key is derived for.
const SNAPSHOT_KEY_PURPOSE: &str = "hush.cluster.snapshot-key.v1";

/// Why a snapshot was not installed. Nothing changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    /// It does not open under this cluster's key.
    #[error("the snapshot is not one of this cluster's (it does not open under its key)")]
    Unsealed,
    /// It opened, but another configuration made it.
    #[error(
        "the snapshot holds {got} bytes of state where this node's configuration holds \
         {expected}: every node of a cluster needs the same limits"
    )]
    Length {
        /// This replica's state length.
        expected: usize,
        /// The snapshot's.
        got: usize,
    },
    /// This enclave is not a replica of a cluster.
    #[error("this enclave is not a replica of a cluster")]
    NotReplica,
}

/// One pass over a piece of state: each field hands its bytes in order.
pub(crate) trait Visit {
    /// The bytes of one field: a writer copies them out, a reader
    /// overwrites them.
    fn bytes(&mut self, field: &mut [u8]);

    /// Counts `len` bytes without visiting them, if this visitor only
    /// counts (arrays are then not accessed); false otherwise.
    fn count_only(&mut self, _len: usize) -> bool {
        false
    }
}

/// Visits an unsigned integer, little-endian.
macro_rules! int_visitor {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(v: &mut dyn Visit, x: &mut $t) {
            let mut b = x.to_le_bytes();
            v.bytes(&mut b);
            *x = <$t>::from_le_bytes(b);
        }
    };
}
int_visitor!(visit_u8, u8);
int_visitor!(visit_u32, u32);
int_visitor!(visit_u64, u64);

/// Visits a `usize` as 8 bytes.
pub(crate) fn visit_usize(v: &mut dyn Visit, x: &mut usize) {
    let mut wide = *x as u64;
    visit_u64(v, &mut wide);
    *x = wide as usize;
}

/// Visits plain-old-data (fixed-size records and arrays of them).
pub(crate) fn visit_pod<T: bytemuck::Pod>(v: &mut dyn Visit, x: &mut T) {
    v.bytes(bytemuck::bytes_of_mut(x));
}

/// Visits every block of an oblivious array, in index order.
pub(crate) fn visit_array<T: Block>(v: &mut dyn Visit, array: &mut dyn ObliviousArray<T>) {
    if v.count_only(array.len() * size_of::<T>()) {
        return;
    }
    for i in 0..array.len() {
        array.access(i, &mut |b: &mut T| v.bytes(bytemuck::bytes_of_mut(b)));
    }
}

/// Visits a ChaCha stream's place: its seed, stream and word position.
pub(crate) fn visit_rng(v: &mut dyn Visit, rng: &mut ChaCha20Rng) {
    let mut seed = Zeroizing::new(rng.get_seed());
    let mut stream = rng.get_stream();
    let mut word = rng.get_word_pos().to_le_bytes();
    v.bytes(&mut seed[..]);
    visit_u64(v, &mut stream);
    v.bytes(&mut word);
    let mut rebuilt = ChaCha20Rng::from_seed(*seed);
    rebuilt.set_stream(stream);
    rebuilt.set_word_pos(u128::from_le_bytes(word));
    *rng = rebuilt;
}

/// Copies every field out.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) Zeroizing<Vec<u8>>);

impl Visit for Writer {
    fn bytes(&mut self, field: &mut [u8]) {
        self.0.extend_from_slice(field);
    }
}

/// Counts the bytes a [`Writer`] would write, without accessing arrays.
#[derive(Default)]
pub(crate) struct Counter(pub(crate) usize);

impl Visit for Counter {
    fn bytes(&mut self, field: &mut [u8]) {
        self.0 += field.len();
    }
    fn count_only(&mut self, len: usize) -> bool {
        self.0 += len;
        true
    }
}

/// Overwrites every field from a snapshot's plaintext, whose length the
/// caller has checked against a [`Counter`].
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether every byte was read.
    pub(crate) fn is_done(&self) -> bool {
        self.data.is_empty()
    }
}

impl Visit for Reader<'_> {
    fn bytes(&mut self, field: &mut [u8]) {
        let (now, rest) = self.data.split_at(field.len());
        field.copy_from_slice(now);
        self.data = rest;
    }
}

/// The key snapshots are sealed under.
pub(crate) struct SnapshotKey(XChaCha20Poly1305);

impl SnapshotKey {
    pub(crate) fn new(secret: &ClusterSecret) -> Self {
        let key = secret.derive(SNAPSHOT_KEY_PURPOSE);
        Self(XChaCha20Poly1305::new((&*key).into()))
    }

    /// Seals a snapshot's plaintext: nonce, then ciphertext and tag.
    pub(crate) fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; SNAPSHOT_NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: SNAPSHOT_AD,
                },
            )
            .expect("XChaCha20-Poly1305 seals any length a Vec holds");
        let mut out = Vec::with_capacity(SNAPSHOT_NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a sealed snapshot.
    pub(crate) fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SnapshotError> {
        if sealed.len() < SNAPSHOT_NONCE_LEN + SNAPSHOT_TAG_LEN {
            return Err(SnapshotError::Unsealed);
        }
        let (nonce, body) = sealed.split_at(SNAPSHOT_NONCE_LEN);
        self.0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: SNAPSHOT_AD,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SnapshotError::Unsealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_streams_come_back_as_they_were() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let _ = rng.next_u64();
        let (mut a, mut b, mut c) = (0xabu8, 0xdead_beefu32, u64::MAX - 3);
        let mut w = Writer::default();
        visit_u8(&mut w, &mut a);
        visit_u32(&mut w, &mut b);
        visit_u64(&mut w, &mut c);
        visit_rng(&mut w, &mut rng);
        let mut counter = Counter::default();
        visit_u8(&mut counter, &mut a);
        visit_u32(&mut counter, &mut b);
        visit_u64(&mut counter, &mut c);
        visit_rng(&mut counter, &mut rng);
        assert_eq!(counter.0, w.0.len());

        let (mut a2, mut b2, mut c2) = (0u8, 0u32, 0u64);
        let mut rng2 = ChaCha20Rng::from_seed([0; 32]);
        let mut r = Reader::new(&w.0);
        visit_u8(&mut r, &mut a2);
        visit_u32(&mut r, &mut b2);
        visit_u64(&mut r, &mut c2);
        visit_rng(&mut r, &mut rng2);
        assert!(r.is_done());
        assert_eq!((a2, b2, c2), (a, b, c));
        assert_eq!(rng2.next_u64(), rng.next_u64());
    }

    #[test]
    fn a_sealed_snapshot_opens_only_under_its_clusters_key() {
        let secret = ClusterSecret::generate();
        let key = SnapshotKey::new(&secret);
        let sealed = key.seal(b"state");
        assert_eq!(sealed.len(), SNAPSHOT_NONCE_LEN + 5 + SNAPSHOT_TAG_LEN);
        assert_eq!(&key.open(&sealed).unwrap()[..], b"state");
        let other = SnapshotKey::new(&ClusterSecret::generate());
        assert_eq!(other.open(&sealed).unwrap_err(), SnapshotError::Unsealed);
        let mut flipped = sealed.clone();
        flipped[SNAPSHOT_NONCE_LEN] ^= 1;
        assert_eq!(key.open(&flipped).unwrap_err(), SnapshotError::Unsealed);
        assert_eq!(
            key.open(&sealed[..10]).unwrap_err(),
            SnapshotError::Unsealed
        );
    }
}
