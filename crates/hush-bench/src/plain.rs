//! A plain vector posing as an oblivious array: NOT oblivious. For
//! measurements only: the store's own work without an ORAM under it
//! (`hush-bench store --backends hush-plain`), and instruction counting
//! of hush's own code (`hush-trace plain`).

use hush_enclave::oram::{Block, ObliviousArray, OramFactory};

/// Makes [`PlainArray`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainFactory;

/// A vector of blocks, accessed directly.
pub struct PlainArray<T>(Vec<T>);

impl<T: Block> ObliviousArray<T> for PlainArray<T> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn access(&mut self, index: usize, f: &mut dyn FnMut(&mut T)) {
        f(&mut self.0[index]);
    }
}

impl OramFactory for PlainFactory {
    fn array<T: Block>(&self, _name: &'static str, len: usize) -> Box<dyn ObliviousArray<T>> {
        Box::new(PlainArray(vec![T::default(); len]))
    }
}
