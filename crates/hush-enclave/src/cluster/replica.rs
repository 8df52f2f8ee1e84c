//! A replica's place in the log: the last entry it applied, the sequence
//! numbers it handed out as leader, and its proposals still waiting for
//! their entry to be applied (whose clients then get the answer).
//!
//! The enclave, not the host, enforces the order: an entry applies only if
//! it is the next one, so a host that replays, drops or reorders entries
//! stops the replica instead of forking its state. A proposal whose
//! sequence number was taken by another leader's entry is dropped: its
//! client gets no answer from it and retries (creates are idempotent by
//! message id).

use super::log::{ENTRY_NONCE_LEN, EntryError, LogKey};
use super::secret::ClusterSecret;
use hush_wire::SessionId;
use std::collections::BTreeMap;

/// Why an entry was not applied. Nothing changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApplyError {
    /// Not an entry of this cluster.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// Not the next entry: the host replayed, dropped or reordered entries.
    #[error("log entry {got} arrived where entry {expected} was due")]
    OutOfOrder {
        /// The entry due.
        expected: u64,
        /// The entry given.
        got: u64,
    },
    /// This enclave was not started as a replica.
    #[error("this enclave is not a replica of a cluster")]
    NotReplica,
}

/// A client request proposed by this replica as leader.
pub(crate) struct Pending {
    /// The proposal's entry nonce (tells it from another leader's entry).
    pub(crate) nonce: [u8; ENTRY_NONCE_LEN],
    /// The client's session.
    pub(crate) session: SessionId,
    /// The client frame's nonce, which the answer is sealed under.
    pub(crate) client_nonce: u64,
}

/// The replica's state.
pub(crate) struct Replica {
    pub(crate) key: LogKey,
    applied: u64,
    proposed: u64,
    pending: BTreeMap<u64, Pending>,
}

impl Replica {
    pub(crate) fn new(secret: &ClusterSecret) -> Self {
        Self {
            key: LogKey::new(secret),
            applied: 0,
            proposed: 0,
            pending: BTreeMap::new(),
        }
    }

    /// The last entry applied.
    pub(crate) fn applied(&self) -> u64 {
        self.applied
    }

    /// The sequence number of the next proposal.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.proposed = self.proposed.max(self.applied) + 1;
        self.proposed
    }

    /// Remembers a client's proposal `seq`.
    pub(crate) fn remember(&mut self, seq: u64, pending: Pending) {
        self.pending.insert(seq, pending);
    }

    /// Whether `seq` is the entry due.
    pub(crate) fn check_next(&self, seq: u64) -> Result<(), ApplyError> {
        let expected = self.applied + 1;
        if seq == expected {
            Ok(())
        } else {
            Err(ApplyError::OutOfOrder { expected, got: seq })
        }
    }

    /// Records entry `seq` (sealed under `nonce`) as applied. Returns this
    /// replica's proposal it answers, if it is that very entry; proposals
    /// it superseded are dropped.
    pub(crate) fn mark_applied(
        &mut self,
        seq: u64,
        nonce: &[u8; ENTRY_NONCE_LEN],
    ) -> Option<Pending> {
        self.applied = seq;
        let mine = self.pending.remove(&seq).filter(|p| p.nonce == *nonce);
        // Anything at or before `seq` can no longer be applied.
        self.pending = self.pending.split_off(&(seq + 1));
        mine
    }

    /// Proposals waiting for their entry.
    pub(crate) fn waiting(&self) -> usize {
        self.pending.len()
    }
}
