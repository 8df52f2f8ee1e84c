//! Verification codes on their way out to the host, which sends them.
//!
//! The host must learn an identifier and its code to deliver it (as any
//! email or SMS provider would), so a registration cannot be hidden from
//! it. What it need not learn is *which request* was the registration: every
//! directory request appends one fixed-size record here (real or not), and
//! only the next tick, on the public one-second schedule, hands the real
//! ones to the host. So it learns how many registrations happened in a
//! second, for which identifiers, and nothing about the other requests of
//! that second.

use hush_wire::consts::IDENTIFIER_LEN;
use subtle::Choice;

/// Verification messages the host has not taken yet are dropped beyond this
/// many (the oldest first): a host that never sends them only hurts itself.
pub const MAX_WAITING: usize = 4096;

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
#[derive(Default)]
pub(crate) struct Outbox {
    since_tick: Vec<Record>,
    waiting: std::collections::VecDeque<Verification>,
}

impl Outbox {
    /// Appends one record; `real` says whether it is to be sent. Same work
    /// either way.
    pub(crate) fn push(&mut self, identifier: &[u8; IDENTIFIER_LEN], code: u32, real: Choice) {
        self.since_tick.push(Record {
            verification: Verification {
                identifier: *identifier,
                code,
            },
            real: real.unwrap_u8(),
        });
    }

    /// On the tick: keeps the real records for the host.
    pub(crate) fn tick(&mut self) {
        for r in self.since_tick.drain(..) {
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
