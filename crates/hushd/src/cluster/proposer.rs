//! The leader's proposer: it turns requests and ticks into the enclave's
//! sealed entries, chained in the order it hands them to raft, and
//! batches them: whatever arrived while the last raft entry was being
//! handed over goes into the next one (up to [`MAX_BATCH`]), so raft's
//! per-entry work (an append to each peer, a commit, an apply call) is
//! paid once per batch rather than once per request. Each sealed entry is
//! still one request or tick, of one size; the host already sees every
//! request arrive, so a batch's size tells it nothing new.

use super::store::LogStore;
use super::types::{LogData, Sealed, TypeConfig};
use super::{Peers, membership};
use hush_enclave::{EnclaveApi, ServiceId};
use hush_wire::SessionId;
use openraft::Raft;
use openraft::error::{ClientWriteError, RaftError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tonic::Status;

/// Most sealed entries in one raft entry.
pub const MAX_BATCH: usize = 64;

/// Requests and ticks waiting for the proposer.
const QUEUE: usize = 1024;

/// What a proposal becomes.
pub enum Change {
    /// A client's sealed request for a service, on its session.
    Request(ServiceId, SessionId, Vec<u8>),
    /// A tick at this time.
    Tick(u64),
}

/// The answer a proposal waits for: the sealed answer for this node's
/// client (none for a tick).
pub type Outcome = Result<Option<Vec<u8>>, Status>;

struct Job {
    change: Change,
    done: oneshot::Sender<Outcome>,
}

/// Hands changes to the proposer task.
#[derive(Clone)]
pub struct Proposals(mpsc::Sender<Job>);

impl Proposals {
    /// Queues `change`; the receiver gets its outcome once its entry is
    /// applied here (or refused).
    pub async fn send(&self, change: Change) -> Result<oneshot::Receiver<Outcome>, Status> {
        let (done, outcome) = oneshot::channel();
        self.0
            .send(Job { change, done })
            .await
            .map_err(|_| Status::unavailable("this node is shutting down"))?;
        Ok(outcome)
    }
}

/// What the proposer needs of its node.
pub struct Proposer {
    /// The node's raft.
    pub raft: Raft<TypeConfig>,
    /// Its raft id.
    pub raft_id: u64,
    /// Its enclave, which seals the entries.
    pub enclave: Arc<dyn EnclaveApi>,
    /// Its log (a new term's proposals chain after its last entry).
    pub log: LogStore,
    /// The cluster's nodes (to name the leader).
    pub peers: Peers,
}

/// "Not the leader", naming the leader and its client address if known
/// (clients parse "is at HOST:PORT" to go there next).
pub fn not_leader(raft: &Raft<TypeConfig>, _peers: &Peers) -> Status {
    let metrics = raft.metrics().borrow().clone();
    let leader = metrics.current_leader;
    let client = leader.and_then(|l| {
        metrics
            .membership_config
            .membership()
            .get_node(&l)
            .map(|m| m.client.clone())
    });
    match (leader.map(membership::configured_id), client) {
        (Some(id), Some(client)) => {
            Status::unavailable(format!("not the leader: node {id} is at {client}; ask it"))
        }
        (Some(id), None) => {
            Status::unavailable(format!("not the leader: node {id} is; ask another server"))
        }
        (None, _) => Status::unavailable(
            "no leader: the cluster is electing one or has lost its majority; retry shortly",
        ),
    }
}

impl Proposer {
    /// Starts the proposer task; returns its queue.
    pub fn spawn(self) -> Proposals {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(self.run(rx));
        Proposals(tx)
    }

    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        // The last entry this node proposed, and in which term.
        let mut tail: Option<(u64, Vec<u8>)> = None;
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let metrics = self.raft.metrics().borrow().clone();
            if metrics.current_leader != Some(self.raft_id) {
                for job in jobs {
                    let _ = job.done.send(Err(not_leader(&self.raft, &self.peers)));
                }
                continue;
            }
            let term = metrics.current_term;
            // A new term: chain after whatever the log now ends with.
            let mut after = match &tail {
                Some((t, entry)) if *t == term => Some(entry.clone()),
                _ => self.log.last_sealed_entry(),
            };
            let mut batch = Vec::with_capacity(jobs.len());
            let mut waiting = Vec::with_capacity(jobs.len());
            // Sealing runs on this task: a batch is at most 64 entries
            // (well under a millisecond).
            {
                let enclave = &self.enclave;
                for job in jobs {
                    let proposal = match &job.change {
                        Change::Request(service, id, sealed) => enclave
                            .propose(*service, id, sealed, after.as_deref())
                            .map_err(|e| match e {
                                hush_enclave::ProposeError::Session(e) => crate::rpc::to_status(&e),
                                hush_enclave::ProposeError::Log(e) => {
                                    Status::internal(e.to_string())
                                }
                            }),
                        Change::Tick(now) => enclave
                            .propose_tick(*now, after.as_deref())
                            .map_err(|e| Status::internal(e.to_string())),
                    };
                    match proposal {
                        Ok(p) => {
                            after = Some(p.entry.clone());
                            batch.push(Sealed(p.entry));
                            waiting.push(job.done);
                        }
                        Err(status) => {
                            let _ = job.done.send(Err(status));
                        }
                    }
                }
            }
            if batch.is_empty() {
                continue;
            }
            tail = after.map(|entry| (term, entry));
            let raft = self.raft.clone();
            let mut write = Box::pin(async move { raft.client_write(LogData(batch)).await });
            // Poll once here: the write is then queued in raft before the
            // next batch, whose entries chain after this one's.
            tokio::select! {
                biased;
                done = &mut write => {
                    answer(waiting, done, &self.raft, &self.peers);
                    continue;
                }
                _ = std::future::ready(()) => {}
            }
            let (raft, peers) = (self.raft.clone(), self.peers.clone());
            tokio::spawn(async move {
                let done = write.await;
                answer(waiting, done, &raft, &peers);
            });
        }
    }
}

/// Hands each waiting proposal its answer from the applied batch.
fn answer(
    waiting: Vec<oneshot::Sender<Outcome>>,
    done: Result<
        openraft::raft::ClientWriteResponse<TypeConfig>,
        RaftError<u64, ClientWriteError<u64, super::types::Member>>,
    >,
    raft: &Raft<TypeConfig>,
    peers: &Peers,
) {
    match done {
        Ok(r) => {
            let mut replies = r.data.replies.into_iter();
            for w in waiting {
                let reply = replies.next().flatten().map(|s| s.0);
                let _ = w.send(Ok(reply));
            }
        }
        Err(e) => {
            let status = match e {
                RaftError::APIError(ClientWriteError::ForwardToLeader(_)) => {
                    not_leader(raft, peers)
                }
                e => Status::unavailable(format!("not committed ({e}); retry")),
            };
            for w in waiting {
                let _ = w.send(Err(status.clone()));
            }
        }
    }
}
