//! The clock: hands the enclave the time once a second, and the rest of
//! each second's expiry sweep in slices between, on the enclave thread
//! between queries (the sweep runs on this public schedule),
//! hands the host the attachments the enclave mixed on the tick to store,
//! and refreshes the coarse gauges. Every figure comes from the enclave
//! already coarse: the host does no rounding that could hide anything.

use crate::blobs::BlobStore;
use crate::enclave_thread::EnclaveThread;
use crate::verification::{self, CodeSender};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Interval between ticks.
pub const TICK: Duration = Duration::from_secs(1);

/// A file holding signed seconds to add to the host's clock, re-read at
/// each reading (`--clock-offset-file`, for fault-injection tests: the
/// host controls the time the enclave is handed in any case).
static OFFSET_FILE: OnceLock<PathBuf> = OnceLock::new();

/// The last offset read from [`OFFSET_FILE`] (kept when the file cannot
/// be read or parsed).
static OFFSET: AtomicI64 = AtomicI64::new(0);

/// Shifts this process's clock by the seconds in `path` from now on.
pub fn set_offset_file(path: PathBuf) {
    let _ = OFFSET_FILE.set(path);
}

/// Seconds since the Unix epoch (shifted by the offset file, if any).
pub fn unix_now() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if let Some(path) = OFFSET_FILE.get() {
        if let Some(offset) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
        {
            OFFSET.store(offset, Ordering::Relaxed);
        }
        return now.saturating_add_signed(OFFSET.load(Ordering::Relaxed));
    }
    now
}

/// Ticks until `shutdown` fires; after each tick, hands the verification
/// codes the directory produced to `sender`.
pub async fn run(
    enclave: EnclaveThread,
    direct: Arc<dyn hush_enclave::EnclaveApi>,
    sender: Arc<dyn CodeSender>,
    blobs: Arc<dyn BlobStore>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Between ticks, the rest of each tick's expiry sweep, a slice at a
    // time, so no request waits behind a whole tick.
    let mut slices = tokio::time::interval(TICK / hush_enclave::SWEEP_SLICES);
    slices.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = slices.tick() => {
                enclave.run(|e| e.sweep_slice()).await;
                continue;
            }
            _ = shutdown.changed() => return,
        }
        let ticked = enclave
            .run(|e| {
                e.tick(unix_now());
                let codes = e.take_verifications();
                (e.stats(), codes, e.take_deliveries(), e.take_blob_writes())
            })
            .await;
        if let Some((stats, codes, deliveries, writes)) = ticked {
            if !writes.is_empty() {
                tokio::spawn(crate::blobs::store_writes(blobs.clone(), writes));
            }
            // In a cluster every replica makes the same codes; the leader
            // sends them (and reports the cluster's figures).
            let send = match enclave.cluster() {
                None => true,
                Some(node) => node.report_metrics(),
            };
            if send {
                tokio::spawn(verification::deliver(sender.clone(), codes));
                // Codes the enclave sends over its own TLS: carry the bytes.
                for d in deliveries {
                    tokio::spawn(crate::delivery::carry(direct.clone(), d));
                }
            }
            metrics::gauge!("hush_sessions_open").set(stats.sessions as f64);
            metrics::gauge!("hush_store_occupancy_ratio")
                .set(f64::from(stats.occupancy_steps) / f64::from(hush_enclave::OCCUPANCY_STEPS));
        }
    }
}
