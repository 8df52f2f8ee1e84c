//! Constant-time block moves for the tree: `if m { *dst = *src }` and
//! `if m { swap(a, b) }`, reading and writing every byte of both blocks
//! whatever the mask.
//!
//! Almost all of an access's work is these moves (every slot of three
//! paths and the stash). For large blocks they are plain loops of masked
//! 64-bit words, so the compiler vectorises them for whatever the calling
//! code is compiled for: AVX2 in the portable build, AVX-512 inside
//! [`super::simd`]'s wide copy of an access. Small blocks use rostl's
//! moves.

use crate::mask::{is, wide};
use crate::oram::Block;

/// Smallest block moved as 64-bit words here: below it, rostl's moves
/// (a loop for each small size) were faster (a free list of 256-byte
/// blocks: 4.7 us per access with word loops, 4.1 with rostl's).
const WORDS_MIN: usize = 512;

/// Whether blocks of `T` move as 64-bit words here (else with rostl's
/// moves): a property of the type, never of the data.
#[inline(always)]
fn in_words<T>() -> bool {
    std::mem::size_of::<T>() >= WORDS_MIN
        && std::mem::size_of::<T>().is_multiple_of(8)
        && std::mem::align_of::<T>() >= 8
}

/// `if m { *dst = *src }` (`m` a mask: all ones or zero).
#[inline(always)]
pub(super) fn cmov<T: Block>(dst: &mut T, src: &T, m: u32) {
    if in_words::<T>() {
        let m = wide(m);
        let d: &mut [u64] = bytemuck::cast_slice_mut(bytemuck::bytes_of_mut(dst));
        let s: &[u64] = bytemuck::cast_slice(bytemuck::bytes_of(src));
        for (d, s) in d.iter_mut().zip(s) {
            *d ^= (*d ^ *s) & m;
        }
    } else {
        dst.cmov(src, is(m));
    }
}

/// `if m { swap(a, b) }`.
#[inline(always)]
pub(super) fn cxchg<T: Block>(a: &mut T, b: &mut T, m: u32) {
    if in_words::<T>() {
        let m = wide(m);
        let x: &mut [u64] = bytemuck::cast_slice_mut(bytemuck::bytes_of_mut(a));
        let y: &mut [u64] = bytemuck::cast_slice_mut(bytemuck::bytes_of_mut(b));
        for (x, y) in x.iter_mut().zip(y.iter_mut()) {
            let d = (*x ^ *y) & m;
            *x ^= d;
            *y ^= d;
        }
    } else {
        a.cxchg(b, is(m));
    }
}

#[cfg(test)]
mod tests {
    use super::super::blocks::WideBlock;
    use super::*;

    fn both<T: Block + PartialEq>(x: T, y: T) {
        for m in [0u32, u32::MAX] {
            let (mut a, mut b) = (x, y);
            cmov(&mut a, &b, m);
            assert!(a == if m == 0 { x } else { y });
            let mut a = x;
            cxchg(&mut a, &mut b, m);
            assert!((a, b) == if m == 0 { (x, y) } else { (y, x) });
        }
    }

    #[test]
    fn moves_whole_blocks_only_under_a_true_mask() {
        // In words (1 KiB) and by rostl's moves (8 and 4 bytes).
        let x = WideBlock {
            words: std::array::from_fn(|i| i as u64 * 3 + 1),
        };
        let y = WideBlock {
            words: std::array::from_fn(|i| !(i as u64)),
        };
        both(x, y);
        both(7u64, u64::MAX - 9);
        both(0x0102_0304u32, 0xf0e0_d0c0u32);
        // Both paths of an access, on this machine.
        let (mut a, mut b) = (x, y);
        super::super::simd::run(|| cxchg(&mut a, &mut b, u32::MAX));
        assert!((a, b) == (y, x));
    }
}
