//! Verification codes on their way out to the host, which sends them.
//!
//! The host must learn an identifier and its code to deliver it (as any
//! email or SMS provider would), so a registration cannot be hidden from
//! it. What it need not learn is *which request* was the registration:
//! every directory request appends one fixed-size record here (real or
//! not), and codes leave only in batches, on a tick, once both
//!
//! - at least [`DirectoryConfig::code_release_requests`] directory
//!   requests (the batch's anonymity set, counted whatever they were) have
//!   arrived since the last batch, and
//! - at least [`DirectoryConfig::code_release_secs`] of the enclave's time
//!   have passed since it.
//!
//! Both are public (the host sees every request and gives the time), so
//! the release depends on nothing secret. The host learns how many codes a
//! batch holds and for which identifiers, and that each came from one of
//! the batch's requests: ticking often, or moving the time forward, no
//! longer singles one out. A host that makes all but one of a batch's
//! requests itself (an n-1 attack) still can; docs/LEAKAGE.md says so.
//!
//! [`DirectoryConfig::code_release_requests`]: super::DirectoryConfig::code_release_requests
//! [`DirectoryConfig::code_release_secs`]: super::DirectoryConfig::code_release_secs

use hush_wire::consts::IDENTIFIER_LEN;
use subtle::Choice;

/// Verification messages the host has not taken yet are dropped beyond this
/// many (the oldest first): a host that never sends them only hurts itself.
pub const MAX_WAITING: usize = 4096;

/// Records a batch holds at most (the oldest are dropped beyond): only a
/// host that stops the enclave's clock fills it.
pub const MAX_BATCH: usize = 1 << 16;

/// A verification code the host should deliver.
#[derive(Clone, PartialEq, Eq)]
pub struct Verification {
    /// The identifier's 128-byte wire field (kind | length | bytes).
    pub identifier: [u8; IDENTIFIER_LEN],
    /// The code, below 10^6.
    pub code: u32,
}

impl std::fmt::Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verification(..)")
    }
}

#[derive(Clone)]
struct Record {
    verification: Verification,
    real: u8,
}

/// The outbox.
pub(crate) struct Outbox {
    /// Records since the last batch left.
    batch: std::collections::VecDeque<Record>,
    /// Released codes the host has not taken yet.
    waiting: std::collections::VecDeque<Verification>,
    /// Requests a batch waits for.
    release_requests: usize,
    /// Seconds between batches, at least.
    release_secs: u64,
    /// When the last batch left (the enclave's time; 0: none yet).
    released_at: u64,
}

impl Outbox {
    /// An empty outbox releasing batches of at least `release_requests`
    /// requests, `release_secs` apart.
    pub(crate) fn new(release_requests: u32, release_secs: u64) -> Self {
        Self {
            batch: std::collections::VecDeque::new(),
            waiting: std::collections::VecDeque::new(),
            release_requests: release_requests.max(1) as usize,
            release_secs,
            released_at: 0,
        }
    }

    /// Appends one record; `real` says whether it is to be sent. Same work
    /// either way.
    pub(crate) fn push(&mut self, identifier: &[u8; IDENTIFIER_LEN], code: u32, real: Choice) {
        if self.batch.len() >= MAX_BATCH {
            // A host that stops the clock gets its oldest codes dropped
            // (their users ask again), not the enclave's memory filled.
            self.batch.pop_front();
        }
        self.batch.push_back(Record {
            verification: Verification {
                identifier: *identifier,
                code,
            },
            real: real.unwrap_u8(),
        });
    }

    /// On the tick at `now`: if the batch is large and old enough, keeps
    /// its real records for the host and starts a new batch.
    pub(crate) fn tick(&mut self, now: u64) {
        let due = self.batch.len() >= self.release_requests
            && now >= self.released_at.saturating_add(self.release_secs);
        if !due {
            return;
        }
        self.released_at = now;
        for r in self.batch.drain(..) {
            if r.real == 1 {
                self.waiting.push_back(r.verification);
            }
        }
        while self.waiting.len() > MAX_WAITING {
            self.waiting.pop_front();
        }
    }

    /// Hands the waiting verifications to the host.
    pub(crate) fn take(&mut self) -> Vec<Verification> {
        self.waiting.drain(..).collect()
    }
}
