//! Branch-free arithmetic on 32-bit masks for the trusted code's inner
//! loops: the ORAM's, and the store's scans of a mailbox's entries, a
//! map's records and a free list's lanes.
//!
//! A mask is all ones (true) or all zeros (false). `subtle`'s `Choice`
//! puts an out-of-line `black_box` call behind every operation, which
//! measured at 18% of an ORAM access and 21% of the store's own work
//! (without the ORAM); these are plain ALU operations
//! (XOR, OR, shifts, subtraction), and the instruction-count test of
//! `scripts/trace-check.sh` checks that hits and misses run the same
//! instructions.
//!
//! Every mask made from a comparison passes through [`opaque`], an empty
//! `asm!` block, so the compiler cannot see that it is 0 or all ones and
//! turn a selection back into a branch (LLVM's x86 pass that converts
//! CMOVs into branches did so: counts differed by a few instructions
//! between requests before it). This is the module's one `unsafe`.
#![allow(unsafe_code)]

/// `m`, hidden from the optimiser.
#[inline(always)]
fn opaque(mut m: u32) -> u32 {
    // SAFETY (both blocks): an empty assembly block that reads and writes
    // one 32-bit register and nothing else (no memory, stack or flags).
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!("/* {0:e} */", inout(reg) m, options(pure, nomem, nostack, preserves_flags));
    }
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!("/* {0:w} */", inout(reg) m, options(pure, nomem, nostack, preserves_flags));
    }
    m
}

/// The mask of `b`.
#[inline(always)]
pub(crate) fn from_bool(b: bool) -> u32 {
    opaque((b as u32).wrapping_neg())
}

/// `a == b`.
#[inline(always)]
pub(crate) fn eq(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    // The top bit of x | -x is set exactly when x != 0.
    opaque(((x | x.wrapping_neg()) >> 31).wrapping_sub(1))
}

/// `a > b`.
#[inline(always)]
pub(crate) fn gt(a: u32, b: u32) -> u32 {
    // b - a borrows exactly when a > b.
    opaque((((b as u64).wrapping_sub(a as u64) >> 63) as u32).wrapping_neg())
}

/// `if m { b } else { a }`.
#[inline(always)]
pub(crate) fn sel(a: u32, b: u32, m: u32) -> u32 {
    a ^ ((a ^ b) & m)
}

/// `a < b`.
#[inline(always)]
pub(crate) fn lt(a: u32, b: u32) -> u32 {
    gt(b, a)
}

/// `a < b` for u64.
#[inline(always)]
pub(crate) fn lt_u64(a: u64, b: u64) -> u32 {
    // a - b borrows exactly when a < b.
    opaque((((a as u128).wrapping_sub(b as u128) >> 127) as u32).wrapping_neg())
}

/// `x == 0` for u64.
#[inline(always)]
pub(crate) fn is_zero_u64(x: u64) -> u32 {
    opaque((((x | x.wrapping_neg()) >> 63) as u32).wrapping_sub(1))
}

/// Byte-string equality (lengths are public: fixed layouts), eight bytes
/// at a time: the XORs are OR-ed together and compared with zero once.
#[inline(always)]
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> u32 {
    if a.len() != b.len() {
        return 0;
    }
    let mut acc = 0u64;
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut x).zip(&mut y) {
        acc |= u64::from_ne_bytes(x.try_into().expect("8 bytes"))
            ^ u64::from_ne_bytes(y.try_into().expect("8 bytes"));
    }
    for (x, y) in x.remainder().iter().zip(y.remainder()) {
        acc |= (x ^ y) as u64;
    }
    is_zero_u64(acc)
}

/// The mask of bit 0 of `x`.
#[inline(always)]
pub(crate) fn from_bit(x: u32) -> u32 {
    opaque((x & 1).wrapping_neg())
}

/// The 64-bit mask of a 32-bit one.
#[inline(always)]
pub(crate) fn wide(m: u32) -> u64 {
    m as i32 as i64 as u64
}

/// Whether a mask is true (for the rostl block moves, which take a bool).
#[inline(always)]
pub(crate) fn is(m: u32) -> bool {
    m & 1 == 1
}

/// The mask of a `subtle` choice (one `black_box`, already paid).
#[inline(always)]
pub(crate) fn from_choice(c: subtle::Choice) -> u32 {
    opaque((c.unwrap_u8() as u32).wrapping_neg())
}

/// A mask as a `subtle` choice, for code that works with them.
#[inline(always)]
pub(crate) fn to_choice(m: u32) -> subtle::Choice {
    subtle::Choice::from((m & 1) as u8)
}

/// Lanes of [`swap_at`]'s scan (eight 32-bit values: one AVX2 register).
pub(crate) const LANES: usize = 8;

/// Returns `entries[index]` and sets it to `new`, reading and writing every
/// entry alike. Written as lane-wise arithmetic with no barrier so the
/// compiler vectorises it (compares and blends: there is no branch to
/// introduce in vector code), about five times faster than a scan of
/// barriered selections; the instruction-count check covers it like the
/// rest. `entries.len()` must be a multiple of [`LANES`].
#[inline(always)]
pub(crate) fn swap_at(entries: &mut [u32], index: u32, new: u32) -> u32 {
    assert!(
        entries.len().is_multiple_of(LANES),
        "scan length not a multiple of LANES"
    );
    let mut found = [0u32; LANES];
    for (c, chunk) in entries.chunks_exact_mut(LANES).enumerate() {
        for (l, e) in chunk.iter_mut().enumerate() {
            let x = ((c * LANES + l) as u32) ^ index;
            let hit = ((x | x.wrapping_neg()) >> 31).wrapping_sub(1);
            found[l] |= *e & hit;
            *e ^= (*e ^ new) & hit;
        }
    }
    found.iter().fold(0, |a, b| a | b)
}

#[cfg(test)]
mod tests {
    use super::*;
    const TRUE: u32 = u32::MAX;

    #[test]
    fn masks_agree_with_comparisons() {
        let values = [
            0u32,
            1,
            2,
            7,
            0x7fff_ffff,
            0x8000_0000,
            u32::MAX - 1,
            u32::MAX,
        ];
        for &a in &values {
            for &b in &values {
                assert_eq!(eq(a, b), from_bool(a == b), "{a} == {b}");
                assert_eq!(gt(a, b), from_bool(a > b), "{a} > {b}");
                assert_eq!(lt(a, b), from_bool(a < b), "{a} < {b}");
                assert_eq!(from_bit(a), from_bool(a & 1 == 1));
                for (x, y) in [(a as u64, b as u64), ((a as u64) << 32, b as u64 + 1)] {
                    assert_eq!(lt_u64(x, y), from_bool(x < y), "{x} < {y}");
                }
                assert_eq!(
                    is_zero_u64((a as u64) << 32 | b as u64),
                    from_bool(a == 0 && b == 0)
                );
                assert_eq!(sel(a, b, TRUE), b);
                assert_eq!(sel(a, b, 0), a);
            }
        }
        assert!(is(TRUE) && !is(0));
        for n in [0usize, 7, 8, 13, 32] {
            let x: Vec<u8> = (0..n as u8).collect();
            let mut y = x.clone();
            assert_eq!(eq_bytes(&x, &y), TRUE);
            if n > 0 {
                y[n - 1] ^= 0x80;
                assert_eq!(eq_bytes(&x, &y), 0);
                y[n - 1] ^= 0x80;
                y[0] ^= 1;
                assert_eq!(eq_bytes(&x, &y), 0);
            }
        }
        assert_eq!(eq_bytes(&[1, 2], &[1, 2, 3]), 0);
        assert_eq!((wide(TRUE), wide(0)), (u64::MAX, 0));
        assert_eq!(lt_u64(u64::MAX, 0), 0);
        assert_eq!(lt_u64(0, u64::MAX), TRUE);
        for b in [false, true] {
            let m = from_choice(subtle::Choice::from(b as u8));
            assert_eq!(m, from_bool(b));
            assert_eq!(bool::from(to_choice(m)), b);
        }
    }

    #[test]
    fn swap_at_reads_and_writes_one_entry() {
        let mut v: Vec<u32> = (0..64).map(|i| i * 3 + 1).collect();
        for i in [0u32, 7, 8, 63] {
            let before = v.clone();
            assert_eq!(swap_at(&mut v, i, 1000 + i), before[i as usize]);
            for (j, (a, b)) in v.iter().zip(&before).enumerate() {
                assert_eq!(*a, if j as u32 == i { 1000 + i } else { *b });
            }
        }
        // An index past the end changes nothing and reads zero.
        let before = v.clone();
        assert_eq!(swap_at(&mut v, 64, 5), 0);
        assert_eq!(v, before);
    }
}
