//! The raft log and state machine, in memory. The state machine is the
//! enclave: applying an entry hands its sealed bytes to
//! `EnclaveApi::apply`, which checks its place in the chain and runs it.
//! Nothing is written to disk: a node that restarts rejoins empty and
//! catches up from the leader's log, or, once the leader has purged the
//! entries it needs, from the leader's snapshot: the enclave's whole state,
//! sealed (`hush_enclave::cluster::snapshot`), which the host keeps and
//! forwards as opaque bytes of a length fixed by the configuration.

use super::types::{Applied, LogData, Member, Sealed, TypeConfig};
use hush_enclave::EnclaveApi;
use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, LogId, OptionalSend, RaftLogReader, RaftSnapshotBuilder, SnapshotMeta,
    StorageError, StorageIOError, StoredMembership, Vote,
};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeBounds;
use std::sync::{Arc, Mutex};

type NodeId = u64;

#[derive(Default)]
struct Log {
    entries: BTreeMap<u64, Entry<TypeConfig>>,
    vote: Option<Vote<NodeId>>,
    committed: Option<LogId<NodeId>>,
    purged: Option<LogId<NodeId>>,
}

/// The log (cheap to clone: one shared log).
#[derive(Clone, Default)]
pub struct LogStore(Arc<Mutex<Log>>);

fn lock(l: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    l.lock().unwrap_or_else(|e| e.into_inner())
}

impl LogStore {
    /// The last entry of the log that carries a sealed entry, if any: a
    /// new leader's proposals chain after it.
    pub fn last_sealed_entry(&self) -> Option<Vec<u8>> {
        lock(&self.0)
            .entries
            .values()
            .rev()
            .find_map(|e| match &e.payload {
                EntryPayload::Normal(LogData(batch)) => batch.last().map(|s| s.0.clone()),
                _ => None,
            })
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<NodeId>> {
        Ok(lock(&self.0)
            .entries
            .range(range)
            .map(|(_, e)| e.clone())
            .collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        let log = lock(&self.0);
        let last = log
            .entries
            .values()
            .next_back()
            .map(|e| e.log_id)
            .or(log.purged);
        Ok(LogState {
            last_purged_log_id: log.purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        lock(&self.0).vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(lock(&self.0).vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<NodeId>>,
    ) -> Result<(), StorageError<NodeId>> {
        lock(&self.0).committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        Ok(lock(&self.0).committed)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        {
            let mut log = lock(&self.0);
            for e in entries {
                log.entries.insert(e.log_id.index, e);
            }
        }
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        lock(&self.0).entries.split_off(&log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut log = lock(&self.0);
        log.entries = log.entries.split_off(&(log_id.index + 1));
        log.purged = Some(log_id);
        Ok(())
    }
}

/// A snapshot this node holds: its place in the log and the sealed state.
#[derive(Clone)]
struct Held {
    meta: SnapshotMeta<NodeId, Member>,
    sealed: Arc<Vec<u8>>,
}

impl Held {
    fn snapshot(&self) -> Snapshot<TypeConfig> {
        Snapshot {
            meta: self.meta.clone(),
            snapshot: Box::new(Cursor::new(self.sealed.to_vec())),
        }
    }
}

/// The cluster's configuration as of the last applied entry: committed,
/// so every node reports the same one once it has applied as far (shared
/// with the node, which reports it in health).
pub type AppliedMembership = Arc<Mutex<StoredMembership<NodeId, Member>>>;

/// The state machine: the enclave's services.
pub struct StateMachine {
    enclave: Arc<dyn EnclaveApi>,
    last_applied: Option<LogId<NodeId>>,
    membership: AppliedMembership,
    /// The last snapshot built or installed (shared with its builders).
    held: Arc<Mutex<Option<Held>>>,
}

impl StateMachine {
    /// The configuration as of the last applied entry.
    pub fn membership(&self) -> AppliedMembership {
        self.membership.clone()
    }

    fn stored_membership(&self) -> StoredMembership<NodeId, Member> {
        self.membership
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_membership(&self, m: StoredMembership<NodeId, Member>) {
        *self.membership.lock().unwrap_or_else(|e| e.into_inner()) = m;
    }

    /// The state machine over `enclave` (a replica).
    pub fn new(enclave: Arc<dyn EnclaveApi>) -> Self {
        Self {
            enclave,
            last_applied: None,
            membership: AppliedMembership::default(),
            held: Arc::default(),
        }
    }
}

fn snapshot_error(err: impl std::fmt::Display) -> StorageError<NodeId> {
    StorageIOError::read_snapshot(None, &std::io::Error::other(err.to_string())).into()
}

/// Hands out a snapshot the enclave sealed when the builder was made: it
/// holds the state as of that entry, whatever the state machine has
/// applied since.
pub struct Builder(Result<Held, StorageError<NodeId>>, Arc<Mutex<Option<Held>>>);

impl RaftSnapshotBuilder<TypeConfig> for Builder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let held = self.0.clone()?;
        *self.1.lock().unwrap_or_else(|e| e.into_inner()) = Some(held.clone());
        metrics::counter!("hush_cluster_snapshots_built_total").increment(1);
        Ok(held.snapshot())
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Builder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, Member>), StorageError<NodeId>>
    {
        Ok((self.last_applied, self.stored_membership()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Applied>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut out = Vec::new();
        for e in entries {
            self.last_applied = Some(e.log_id);
            match e.payload {
                EntryPayload::Blank => out.push(Applied::default()),
                EntryPayload::Membership(m) => {
                    self.set_membership(StoredMembership::new(Some(e.log_id), m));
                    out.push(Applied::default());
                }
                EntryPayload::Normal(LogData(batch)) => {
                    // Run here, on the state machine's task: a batch is at
                    // most 64 operations (a few ms), and handing the
                    // worker over (block_in_place) for each cost more.
                    let enclave = self.enclave.clone();
                    let replies = batch
                        .iter()
                        .map(|sealed| {
                            enclave
                                .apply(&sealed.0)
                                .map(|a| a.reply.map(|(_, answer)| Sealed(answer)))
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|err| {
                            // The chain is broken: stop rather than fork.
                            tracing::error!(
                                "log entry {} refused by the enclave: {err}",
                                e.log_id.index
                            );
                            StorageError::from(StorageIOError::apply(
                                e.log_id,
                                &std::io::Error::other(err.to_string()),
                            ))
                        })?;
                    out.push(Applied { replies });
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        // Sealed now, while nothing else is applied: the state as of
        // `last_applied` (a full pass over every oblivious array).
        let enclave = self.enclave.clone();
        let started = std::time::Instant::now();
        let sealed = tokio::task::block_in_place(|| enclave.snapshot());
        if let Ok(s) = &sealed {
            // Public: the length is fixed by the configuration.
            tracing::info!(
                "snapshot at log entry {}: {} bytes sealed in {} ms",
                s.seq,
                s.sealed.len(),
                started.elapsed().as_millis()
            );
        }
        let held = sealed
            .map(|s| Held {
                meta: SnapshotMeta {
                    last_log_id: self.last_applied,
                    last_membership: self.stored_membership(),
                    snapshot_id: format!(
                        "{}-{}-{:08x}",
                        self.last_applied.map_or(0, |l| l.index),
                        s.seq,
                        rand::random::<u32>()
                    ),
                },
                sealed: Arc::new(s.sealed),
            })
            .map_err(snapshot_error);
        Builder(held, self.held.clone())
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, Member>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let sealed = snapshot.into_inner();
        let enclave = self.enclave.clone();
        let seq =
            tokio::task::block_in_place(|| enclave.install_snapshot(&sealed)).map_err(|err| {
                tracing::error!(
                    "snapshot {} refused by the enclave: {err}",
                    meta.snapshot_id
                );
                snapshot_error(err)
            })?;
        tracing::info!(
            "installed snapshot {} (log entry {})",
            meta.snapshot_id,
            seq
        );
        metrics::counter!("hush_cluster_snapshots_installed_total").increment(1);
        self.last_applied = meta.last_log_id;
        self.set_membership(meta.last_membership.clone());
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(Held {
            meta: meta.clone(),
            sealed: Arc::new(sealed),
        });
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<NodeId>> {
        Ok(self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(Held::snapshot))
    }
}
