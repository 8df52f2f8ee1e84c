//! Runs an access compiled for AVX-512 where the CPU has it.
//!
//! The build targets x86-64-v3 (AVX2) so that one binary runs on every
//! TEE host. Most of an access is moving blocks under masks
//! ([`super::moves`]), and on this project's benchmark machine the same
//! code compiled for x86-64-v4 (AVX-512) was 18% faster per message
//! access. So [`run`] calls its closure through a function compiled for
//! those features when the CPU reports all of them (asked once by the
//! standard library, cached): the access's code, inlined into it, is
//! compiled twice, and which copy runs depends on the machine, never on
//! the data. Both copies are the same source, so both are oblivious in
//! the same way; the instruction-count check runs the AVX2 copy (valgrind
//! has no AVX-512), the timing check the copy this machine picks.
//!
//! This module exists for its one `unsafe`: calling a function compiled
//! for CPU features is sound only once they are known to be there.
#![allow(unsafe_code)]

/// Runs `f`, an access, inlined into a copy compiled for AVX-512 when
/// this CPU has x86-64-v4's features.
#[inline(always)]
pub(super) fn run<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(test)]
    if NARROW.get() {
        return f();
    }
    #[cfg(target_arch = "x86_64")]
    if has_v4() {
        // SAFETY: the CPU has every feature `wide` is compiled for.
        return unsafe { wide(f) };
    }
    f()
}

/// Whether the CPU has x86-64-v4's AVX-512 features.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_v4() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512cd")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// `f()`, compiled for AVX-512.
///
/// # Safety
/// The CPU must have every feature enabled here.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512cd,avx512dq,avx512vl")]
unsafe fn wide<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
thread_local! {
    /// Tests set this to run the portable copy on a CPU with AVX-512.
    static NARROW: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every access on this thread taking the portable copy
/// (tests: both copies must behave the same).
#[cfg(test)]
pub(super) fn narrow<R>(f: impl FnOnce() -> R) -> R {
    NARROW.set(true);
    let r = f();
    NARROW.set(false);
    r
}
