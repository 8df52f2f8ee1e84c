//! Branch-free arithmetic on 32-bit masks for the ORAM's inner loops.
//!
//! A mask is all ones (true) or all zeros (false). `subtle`'s `Choice`
//! puts an out-of-line `black_box` call behind every operation, which
//! measured at 18% of an access here; these are plain ALU operations
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
pub(super) fn from_bool(b: bool) -> u32 {
    opaque((b as u32).wrapping_neg())
}

/// `a == b`.
#[inline(always)]
pub(super) fn eq(a: u32, b: u32) -> u32 {
    let x = a ^ b;
    // The top bit of x | -x is set exactly when x != 0.
    opaque(((x | x.wrapping_neg()) >> 31).wrapping_sub(1))
}

/// `a > b`.
#[inline(always)]
pub(super) fn gt(a: u32, b: u32) -> u32 {
    // b - a borrows exactly when a > b.
    opaque((((b as u64).wrapping_sub(a as u64) >> 63) as u32).wrapping_neg())
}

/// `if m { b } else { a }`.
#[inline(always)]
pub(super) fn sel(a: u32, b: u32, m: u32) -> u32 {
    a ^ ((a ^ b) & m)
}

/// Whether a mask is true (for the rostl block moves, which take a bool).
#[inline(always)]
pub(super) fn is(m: u32) -> bool {
    m & 1 == 1
}

/// Lanes of [`swap_at`]'s scan (eight 32-bit values: one AVX2 register).
pub(super) const LANES: usize = 8;

/// Returns `entries[index]` and sets it to `new`, reading and writing every
/// entry alike. Written as lane-wise arithmetic with no barrier so the
/// compiler vectorises it (compares and blends: there is no branch to
/// introduce in vector code), about five times faster than a scan of
/// barriered selections; the instruction-count check covers it like the
/// rest. `entries.len()` must be a multiple of [`LANES`].
pub(super) fn swap_at(entries: &mut [u32], index: u32, new: u32) -> u32 {
    assert!(
        entries.len() % LANES == 0,
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
                assert_eq!(sel(a, b, TRUE), b);
                assert_eq!(sel(a, b, 0), a);
            }
        }
        assert!(is(TRUE) && !is(0));
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
