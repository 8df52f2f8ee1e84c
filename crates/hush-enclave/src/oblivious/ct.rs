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

/// `if c { dst.copy_from_slice(src) }` for byte arrays.
#[inline]
pub(crate) fn cmov_bytes<const N: usize>(dst: &mut [u8; N], src: &[u8; N], c: Choice) {
    for (d, s) in dst.iter_mut().zip(src) {
        d.conditional_assign(s, c);
    }
}

/// Byte-string equality.
#[inline]
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> Choice {
    a.ct_eq(b)
}

/// Whether all bytes are zero.
#[inline]
pub(crate) fn is_zero(a: &[u8]) -> Choice {
    let mut acc = 0u8;
    for &b in a {
        acc |= b;
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
    }
}
