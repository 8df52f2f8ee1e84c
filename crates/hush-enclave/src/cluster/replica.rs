//! A replica's place in the log: the last entry it applied, and its
//! proposals (as leader) still waiting for their entry to be applied,
//! whose clients then get the answer.
//!
//! Entries are chained: each carries its sequence number and the nonce of
//! the entry before it. The leader's host names the last entry of its log
//! when it proposes ([`crate::InProcessEnclave::propose`]'s `after`), so a
//! new leader chains after the entries an old one left in its log. An
//! entry applies only if it is the next one and chains to the last one
//! applied: a host that replays, drops or reorders entries stops the
//! replica rather than changing its state. A proposal whose place was
//! taken by another entry is dropped: its client gets no answer from it
//! and retries (creates are idempotent by message id).
//!
//! What the enclave cannot stop, with the log run by the hosts: a host
//! that controls a quorum can withhold entries, or give different
//! replicas different entries after the same one. That denies or splits
//! service; it reveals nothing (docs/LEAKAGE.md).

use super::log::{ENTRY_NONCE_LEN, Entry, EntryError, LogKey};
use super::secret::ClusterSecret;
use super::snapshot::{SnapshotKey, Visit, visit_u64};
use hush_wire::SessionId;
use std::collections::BTreeMap;

/// Why an entry was not applied, or not proposed. Nothing changed.
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
    /// The entry follows another entry than the last one applied.
    #[error("log entry {0} does not follow the entry applied before it")]
    Unchained(u64),
    /// A proposal named a log tail behind what this replica applied.
    #[error("the log tail named ({named}) is behind the last entry applied ({applied})")]
    StaleTail {
        /// The tail's sequence number.
        named: u64,
        /// The last applied.
        applied: u64,
    },
    /// This enclave is not a replica of a cluster.
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
    pub(crate) snapshot_key: SnapshotKey,
    applied: u64,
    applied_nonce: [u8; ENTRY_NONCE_LEN],
    pending: BTreeMap<u64, Pending>,
}

impl Replica {
    pub(crate) fn new(secret: &ClusterSecret) -> Self {
        Self {
            key: LogKey::new(secret),
            snapshot_key: SnapshotKey::new(secret),
            applied: 0,
            applied_nonce: [0; ENTRY_NONCE_LEN],
            pending: BTreeMap::new(),
        }
    }

    /// The last entry applied.
    pub(crate) fn applied(&self) -> u64 {
        self.applied
    }

    /// Where a new proposal goes: after `tail`, the last entry of the
    /// leader's log (none: no entry past the last one applied, as in a
    /// new log or one purged up to a snapshot). Returns its sequence number
    /// and the nonce it chains to.
    pub(crate) fn place_after(
        &self,
        tail: Option<&[u8]>,
    ) -> Result<(u64, [u8; ENTRY_NONCE_LEN]), ApplyError> {
        let (seq, nonce) = match tail {
            None => (self.applied, self.applied_nonce),
            Some(sealed) => {
                let (entry, nonce) = self.key.open(sealed)?;
                (entry.seq, nonce)
            }
        };
        if seq < self.applied {
            return Err(ApplyError::StaleTail {
                named: seq,
                applied: self.applied,
            });
        }
        Ok((seq + 1, nonce))
    }

    /// Remembers a client's proposal `seq`.
    pub(crate) fn remember(&mut self, seq: u64, pending: Pending) {
        self.pending.insert(seq, pending);
    }

    /// Whether `entry` is the one due.
    pub(crate) fn check_next(&self, entry: &Entry) -> Result<(), ApplyError> {
        let expected = self.applied + 1;
        if entry.seq != expected {
            return Err(ApplyError::OutOfOrder {
                expected,
                got: entry.seq,
            });
        }
        if entry.prev != self.applied_nonce {
            return Err(ApplyError::Unchained(entry.seq));
        }
        Ok(())
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
        self.applied_nonce = *nonce;
        let mine = self.pending.remove(&seq).filter(|p| p.nonce == *nonce);
        // Anything at or before `seq` can no longer be applied.
        self.pending = self.pending.split_off(&(seq + 1));
        mine
    }

    /// Its place in the log, for a snapshot.
    pub(crate) fn visit(&mut self, v: &mut dyn Visit) {
        visit_u64(v, &mut self.applied);
        v.bytes(&mut self.applied_nonce);
    }

    /// Drops every proposal waiting for its entry (a snapshot replaced
    /// the state they were proposed on; their clients retry).
    pub(crate) fn drop_pending(&mut self) {
        self.pending.clear();
    }

    /// Proposals waiting for their entry.
    pub(crate) fn waiting(&self) -> usize {
        self.pending.len()
    }
}
