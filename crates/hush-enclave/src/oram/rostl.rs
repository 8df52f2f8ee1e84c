//! [`ObliviousArray`] on `rostl-datastructures`' `DynamicArray` (Circuit ORAM
//! with a recursive position map). Only `DynamicArray::update` is used: it is
//! one ORAM access that reads, modifies and re-inserts a block, and inserts a
//! zero block when the index was never written.

use super::{Block, ObliviousArray, OramFactory};
use rostl_datastructures::array::DynamicArray;

/// The smallest ORAM rostl accepts.
const MIN_ORAM_BLOCKS: usize = 2;

/// Makes ORAM-backed arrays.
#[derive(Debug, Clone, Copy, Default)]
pub struct RostlFactory;

struct RostlArray<T: Block> {
    inner: DynamicArray<T>,
    len: usize,
}

impl<T: Block> ObliviousArray<T> for RostlArray<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn access(&mut self, index: usize, f: &mut dyn FnMut(&mut T)) {
        assert!(index < self.len, "oblivious array index out of range");
        self.inner.update(index, |block| f(block));
    }
}

impl OramFactory for RostlFactory {
    fn array<T: Block>(&self, _name: &'static str, len: usize) -> Box<dyn ObliviousArray<T>> {
        assert!(len > 0, "an oblivious array needs at least one block");
        // Circuit ORAM needs at least two blocks; a one-block array simply
        // never uses the second.
        Box::new(RostlArray {
            inner: DynamicArray::new(len.max(MIN_ORAM_BLOCKS)),
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_writes_and_zero_defaults() {
        let mut a = RostlFactory.array::<u64>("t", 37);
        let mut seen = 1;
        a.access(5, &mut |b| seen = *b);
        assert_eq!(seen, 0);
        for i in 0..37 {
            a.access(i, &mut |b| *b = (i as u64) * 3 + 1);
        }
        for i in (0..37).rev() {
            a.access(i, &mut |b| seen = *b);
            assert_eq!(seen, (i as u64) * 3 + 1);
        }
    }
}
