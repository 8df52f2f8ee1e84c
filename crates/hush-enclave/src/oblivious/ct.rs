//! Constant-time helpers: the only way store code chooses between values.
//!
//! Decisions are [`subtle::Choice`]s; values are picked with
//! `conditional_select`, blocks moved with rostl's `Cmov`. Nothing here
//! branches or indexes on its inputs.

use rostl_primitives::traits::Cmov;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeLess};

/// `if c { b } else { a }` for u32.
#[inline]
pub(crate) fn sel_u32(a: u32, b: u32, c: Choice) -> u32 {
    u32::conditional_select(&a, &b, c)
}

/// `if c { b } else { a }` for u8.
#[inline]
pub(crate) fn sel_u8(a: u8, b: u8, c: Choice) -> u8 {
    u8::conditional_select(&a, &b, c)
}

/// `if c { *dst = *src }` for any block.
#[inline]
pub(crate) fn cmov<T: Cmov>(dst: &mut T, src: &T, c: Choice) {
    dst.cmov(src, bool::from(c));
}

/// An all-ones mask when `c`, else zero.
#[inline]
fn mask(c: Choice) -> u64 {
    0u64.wrapping_sub(c.unwrap_u8() as u64)
}

/// `if c { dst.copy_from_slice(src) }` for byte arrays, eight bytes at a
/// time (a masked XOR: no branch, no secret-dependent address).
#[inline]
pub(crate) fn cmov_bytes<const N: usize>(dst: &mut [u8; N], src: &[u8; N], c: Choice) {
    let m = mask(c);
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let x = u64::from_ne_bytes((&*d).try_into().expect("8 bytes"));
        let y = u64::from_ne_bytes(s.try_into().expect("8 bytes"));
        d.copy_from_slice(&(x ^ ((x ^ y) & m)).to_ne_bytes());
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d ^= (*d ^ *s) & (m as u8);
    }
}

/// Byte-string equality (lengths are public), eight bytes at a time
/// ([`crate::mask::eq_bytes`], as a choice).
#[inline]
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> Choice {
    crate::mask::to_choice(crate::mask::eq_bytes(a, b))
}

/// Whether all bytes are zero.
#[inline]
pub(crate) fn is_zero(a: &[u8]) -> Choice {
    let mut acc = 0u64;
    let mut x = a.chunks_exact(8);
    for w in &mut x {
        acc |= u64::from_ne_bytes(w.try_into().expect("8 bytes"));
    }
    for b in x.remainder() {
        acc |= *b as u64;
    }
    acc.ct_eq(&0)
}

/// `a == b` for u32.
#[inline]
pub(crate) fn eq_u32(a: u32, b: u32) -> Choice {
    a.ct_eq(&b)
}

/// `a < b` for u32.
#[inline]
pub(crate) fn lt_u32(a: u32, b: u32) -> Choice {
    a.ct_lt(&b)
}

/// `a <= b` for u64.
#[inline]
pub(crate) fn le_u64(a: u64, b: u64) -> Choice {
    !b.ct_lt(&a)
}

/// 1 if `c`, else 0.
#[inline]
pub(crate) fn as_u32(c: Choice) -> u32 {
    c.unwrap_u8() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_and_compares() {
        assert_eq!(sel_u32(1, 2, Choice::from(0)), 1);
        assert_eq!(sel_u32(1, 2, Choice::from(1)), 2);
        assert!(bool::from(is_zero(&[0, 0])));
        assert!(!bool::from(is_zero(&[0, 1])));
        assert!(bool::from(lt_u32(1, 2)) && !bool::from(lt_u32(2, 2)));
        assert!(bool::from(le_u64(2, 2)) && !bool::from(le_u64(3, 2)));
        let mut d = [1u8; 4];
        cmov_bytes(&mut d, &[2; 4], Choice::from(0));
        assert_eq!(d, [1; 4]);
        cmov_bytes(&mut d, &[2; 4], Choice::from(1));
        assert_eq!(d, [2; 4]);
        // Lengths that are and are not multiples of eight.
        for n in [0usize, 7, 8, 13, 32, 224] {
            let a: Vec<u8> = (0..n as u8).collect();
            let mut b = a.clone();
            assert!(bool::from(eq_bytes(&a, &b)));
            assert_eq!(bool::from(is_zero(&a)), n <= 1);
            if n > 0 {
                b[n - 1] ^= 0x80;
                assert!(!bool::from(eq_bytes(&a, &b)));
                b[n - 1] ^= 0x80;
                b[0] ^= 1;
                assert!(!bool::from(eq_bytes(&a, &b)));
            }
        }
        assert!(!bool::from(eq_bytes(&[1, 2], &[1, 2, 3])));
        let mut big = [7u8; 224];
        let src: [u8; 224] = std::array::from_fn(|i| i as u8);
        cmov_bytes(&mut big, &src, Choice::from(0));
        assert_eq!(big, [7u8; 224]);
        cmov_bytes(&mut big, &src, Choice::from(1));
        assert_eq!(big, src);
        let mut odd = [7u8; 13];
        let src13: [u8; 13] = std::array::from_fn(|i| i as u8);
        cmov_bytes(&mut odd, &src13, Choice::from(1));
        assert_eq!(odd, src13);
    }
}
