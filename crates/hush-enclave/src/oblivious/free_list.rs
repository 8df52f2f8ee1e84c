//! An oblivious stack of free indices (message slots or mailboxes).
//!
//! The top element is cached in enclave memory and the rest live in an
//! oblivious array, so a pop, a push, or neither costs exactly one access:
//! a pop refills the cache from the array, a push spills the cache into it.
//! Entries are stored XOR their position, so the never-written array reads
//! as "position i holds index i": no start-up writes, whatever the capacity.

use super::blocks::{INDICES_PER_BLOCK, IndexBlock};
use super::ct::{as_u32, eq_u32, lt_u32, sel_u32};
use crate::cluster::snapshot::{Visit, visit_array, visit_u32};
use crate::mask;
use crate::oram::{ObliviousArray, OramFactory};
use subtle::Choice;

/// A stack holding a subset of `0..capacity`, initially all of it.
pub(crate) struct FreeList {
    array: Box<dyn ObliviousArray<IndexBlock>>,
    capacity: u32,
    /// How many indices are free (the cached top included).
    count: u32,
    /// The top of the stack, meaningful when `count > 0`.
    top: u32,
}

impl FreeList {
    /// Its state, for a snapshot.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        visit_array(v, &mut *self.array);
        visit_u32(v, &mut self.count);
        visit_u32(v, &mut self.top);
    }

    pub(crate) fn new(factory: &impl OramFactory, name: &'static str, capacity: u32) -> Self {
        assert!(capacity > 0, "a free list needs a capacity");
        let blocks = (capacity as usize).div_ceil(INDICES_PER_BLOCK).max(1);
        Self {
            array: factory.array(name, blocks),
            capacity,
            count: capacity,
            top: capacity - 1,
        }
    }

    /// The index a pop would return, and whether the stack is non-empty.
    pub(crate) fn peek(&self) -> (u32, Choice) {
        (self.top, !eq_u32(self.count, 0))
    }

    /// How many indices are free.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Pops (when `pop`), pushes `value` (when `push`), or neither, in one
    /// oblivious access. `pop` must imply non-empty, `push` must imply not
    /// full, and they must not both be set.
    pub(crate) fn step(&mut self, pop: Choice, push: Choice, value: u32) {
        debug_assert!(!bool::from(pop & push));
        debug_assert!(!bool::from(pop) || self.count > 0);
        debug_assert!(!bool::from(push) || self.count < self.capacity);
        let has_one = !eq_u32(self.count, 0);
        let has_two = lt_u32(1, self.count);
        // Array position touched: count-2 for a pop (the next top), count-1
        // for a push (where the current top spills), 0 otherwise.
        let pop_pos = sel_u32(0, self.count.wrapping_sub(2), has_two);
        let push_pos = sel_u32(0, self.count.wrapping_sub(1), has_one);
        let pos = sel_u32(sel_u32(0, pop_pos, pop), push_pos, push);
        let block = (pos as usize) / INDICES_PER_BLOCK;
        let lane = pos % INDICES_PER_BLOCK as u32;
        let spill = mask::from_choice(push & has_one);
        let top = self.top;
        let mut read = 0u32;
        self.array.access(block, &mut |b: &mut IndexBlock| {
            // Every lane, on plain masks (a `Choice` per lane cost an
            // out-of-line call each).
            for (l, raw) in b.raw.iter_mut().enumerate() {
                let here = mask::eq(l as u32, lane);
                read = mask::sel(read, *raw ^ pos, here);
                *raw = mask::sel(*raw, top ^ pos, here & spill);
            }
        });
        self.top = sel_u32(self.top, read, pop & has_two);
        self.top = sel_u32(self.top, value, push);
        self.count = self.count - as_u32(pop) + as_u32(push);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oram::DefaultFactory;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn behaves_like_a_stack(cap in 1u32..300, ops in proptest::collection::vec(any::<bool>(), 0..700)) {
            let mut fl = FreeList::new(&DefaultFactory, "t", cap);
            let mut model: Vec<u32> = (0..cap).collect();
            let mut taken: Vec<u32> = Vec::new();
            for want_pop in ops {
                if want_pop && !model.is_empty() {
                    let (top, nonempty) = fl.peek();
                    prop_assert!(bool::from(nonempty));
                    prop_assert_eq!(Some(top), model.pop());
                    fl.step(Choice::from(1), Choice::from(0), 0);
                    taken.push(top);
                } else if let Some(v) = taken.pop() {
                    fl.step(Choice::from(0), Choice::from(1), v);
                    model.push(v);
                } else {
                    fl.step(Choice::from(0), Choice::from(0), 0);
                }
                prop_assert_eq!(fl.count() as usize, model.len());
                prop_assert_eq!(bool::from(fl.peek().1), !model.is_empty());
                if let Some(&t) = model.last() { prop_assert_eq!(fl.peek().0, t); }
            }
        }
    }
}
