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
}
