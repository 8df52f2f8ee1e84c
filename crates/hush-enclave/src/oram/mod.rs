//! The ORAM boundary: the only way trusted code touches bulk storage.
//!
//! Everything the store keeps in untrusted memory goes through
//! [`ObliviousArray`]: a fixed-length array of fixed-size blocks whose single
//! operation, [`ObliviousArray::access`], reads and writes one block. An
//! implementation must hide which index was accessed and whether the block
//! changed; the host may learn only which array was accessed and when.
//!
//! The services run on hush's own Circuit ORAM ([`CircuitFactory`], re-exported
//! as [`DefaultFactory`]), tuned for large blocks; rostl's Circuit ORAM
//! ([`RostlFactory`], from the maintained `rostl-oram` crate) stays as the
//! baseline the benchmarks compare against. [`RecordingFactory`] wraps any
//! factory and records what the host sees, for the obliviousness tests.

mod circuit;
mod recorder;
mod rostl;

/// The ORAM the enclave's services run on.
pub use circuit::CircuitFactory as DefaultFactory;
pub use circuit::{CircuitFactory, SeededCircuitFactory};
pub use recorder::{Access, RecordingFactory, Transcript};
pub use rostl::RostlFactory;

use bytemuck::Pod;
use rostl_primitives::traits::Cmov;

/// A fixed-size block an oblivious array can hold.
pub trait Block: Pod + Cmov + Default + std::fmt::Debug + Send + 'static {}
impl<T: Pod + Cmov + Default + std::fmt::Debug + Send + 'static> Block for T {}

/// A fixed-length array of blocks with oblivious access.
pub trait ObliviousArray<T>: Send {
    /// Number of blocks (public).
    fn len(&self) -> usize;

    /// Whether the array has no blocks.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads block `index` into `f`, which may modify it; the block is then
    /// written back. Every call looks the same to the host, whatever the
    /// index and whatever `f` does. Blocks never written read as zero.
    ///
    /// # Panics
    /// If `index >= self.len()` (a bug in the caller, never secret-driven:
    /// callers reduce indices into range with constant-time arithmetic).
    fn access(&mut self, index: usize, f: &mut dyn FnMut(&mut T));
}

/// Makes oblivious arrays; the store is generic over it so tests can record.
pub trait OramFactory {
    /// A new array named `name` (for transcripts) of `len` zeroed blocks.
    fn array<T: Block>(&self, name: &'static str, len: usize) -> Box<dyn ObliviousArray<T>>;
}
