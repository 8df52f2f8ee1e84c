//! Memory hints for the ORAM tree: prefetching a path before it is read,
//! and asking the kernel for huge pages under the tree. (Having the kernel
//! map the whole tree at start-up, `MADV_POPULATE_WRITE`, was measured:
//! start-up at 2^20 went from 4 ms to 6.6 s and throughput did not move.)
//!
//! This module exists for two `unsafe` calls, neither of which can change
//! what a program computes: `_mm_prefetch` is a hint that never faults
//! (whatever the address), and `madvise(MADV_HUGEPAGE)` on memory this
//! process owns only changes how the kernel backs it, never its contents. Which addresses are
//! prefetched is the path, which the host sees anyway.
#![allow(unsafe_code)]

/// Bytes per cache line.
const LINE: usize = 64;
/// Bytes per huge page (x86-64 and aarch64 with 4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// Asks the CPU to bring every cache line of `value` closer.
#[inline(always)]
pub(super) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = value as *const T as *const i8;
        let mut offset = 0;
        while offset < std::mem::size_of::<T>() {
            // SAFETY: a prefetch is a hint: it never faults, whatever the
            // address, and has no effect a program can observe except time.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                    start.wrapping_add(offset),
                );
            }
            offset += LINE;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Asks the kernel to back the 2 MiB-aligned part of `slice` with huge
/// pages: far fewer TLB misses on random paths, and fewer page faults as
/// the lazily zeroed tree is first touched. A hint: failure changes
/// nothing but speed.
pub(super) fn advise_huge_pages<T>(slice: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        let start = slice.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(slice);
        let aligned = start.next_multiple_of(HUGE_PAGE);
        if end > aligned + HUGE_PAGE {
            let len = (end - aligned) / HUGE_PAGE * HUGE_PAGE;
            // SAFETY: the range lies inside `slice`, memory this process
            // owns and keeps; MADV_HUGEPAGE does not change its contents.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = slice;
}
