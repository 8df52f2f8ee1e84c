//! Regression test for the leak the soak run found: histogram samples must
//! be folded into buckets by hushd's upkeep task, not kept until a scrape.
//!
//! This test file exists to count heap bytes, which needs a global
//! allocator wrapper; that is the only `unsafe` here (forwarding to the
//! system allocator, as `GlobalAlloc` requires).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

struct Counting;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SAMPLES: usize = 200_000;
const ROUNDS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histogram_samples_do_not_accumulate_without_scrapes() {
    let handle = hushd::telemetry::recorder().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let upkeep = tokio::spawn(hushd::telemetry::upkeep(handle.clone(), stop_rx));
    // Register the series first so only samples are counted below.
    metrics::histogram!("hush_request_duration_seconds", "rpc" => "query").record(0.001);
    handle.run_upkeep();
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut held = Vec::new();
    for _round in 0..ROUNDS {
        for _ in 0..SAMPLES {
            metrics::histogram!("hush_request_duration_seconds", "rpc" => "query").record(0.0001);
        }
        // Give hushd's upkeep (every 5 s) a chance to fold the samples.
        tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
        held.push(LIVE_BYTES.load(Ordering::Relaxed) - before);
    }
    // Raw samples take ~16 bytes each: without upkeep the heap would hold
    // ROUNDS x SAMPLES of them. With it, later rounds reuse the space
    // (the exporter frees drained sample blocks lazily, so the first
    // round's may still be counted).
    let one_round = (SAMPLES * 16) as i64;
    let last = *held.last().unwrap();
    assert!(
        last < 2 * one_round,
        "heap grew with every round: {held:?} bytes"
    );
    stop_tx.send(true).unwrap();
    upkeep.await.unwrap();
    let count = format!(
        "hush_request_duration_seconds_count{{rpc=\"query\"}} {}",
        ROUNDS * SAMPLES + 1
    );
    assert!(handle.render().contains(&count), "every sample is counted");
}
