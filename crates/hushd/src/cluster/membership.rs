//! Who votes. A node keeps nothing across a restart (its log and its
//! enclave's state live in memory), so a node that comes back is a new
//! member, never the old one with a forgotten vote: its raft id is its
//! configured id (`--node-id`) in the high 32 bits and a random
//! incarnation in the low 32.
//!
//! Admission runs in two halves, so that neither depends on one call's
//! timing:
//! - a node that has joined the cluster's enclaves ([`super::start`])
//!   asks the peers in turn to record it as a learner ([`admit`], on the
//!   leader; a learner of an older incarnation of the same node is
//!   dropped then), and then waits until it sees itself a voter in a
//!   committed configuration ([`become_voter`]), asking again if a change
//!   of leader lost its learner entry;
//! - the leader, whichever node it is, promotes every learner that has
//!   caught up ([`promote_loop`]): one configuration change at a time, the
//!   learner in place of any older incarnation of its configured id.
//!
//! Until the new incarnation is a voter the old one still counts toward
//! the majority, and only a leader admits: a cluster that has lost its
//! majority is started anew (a new secret, a new epoch), not revived node
//! by node. So an operator restarts one node at a time and waits until it
//! is a voter again (`scripts/cluster.sh restart` does) before another
//! may fail.

use super::Peers;
use super::network;
use super::peer_auth;
use super::types::{Member, TypeConfig};
use anyhow::{Result, bail};
use hush_enclave::EnclaveApi;
use hush_wire::grpc::v1::PeerMessage;
use openraft::{ChangeMembers, Raft, RaftMetrics, ServerState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tonic::Status;

/// Bits of a raft id that hold the incarnation.
const INCARNATION_BITS: u32 = 32;

/// How often the leader looks for learners to promote.
const PROMOTE_EVERY: Duration = Duration::from_millis(200);

/// A learner this close to the leader's last log entry has caught up: it
/// becomes a voter (what it still lacks reaches it with the next appends).
const CAUGHT_UP_MARGIN: u64 = 64;

/// How long a node waits between rounds of asking its peers to record it.
const RETRY: Duration = Duration::from_millis(300);

/// How long a recorded learner waits to be promoted before it asks again
/// (a new leader may have lost the uncommitted entry that recorded it).
const ASK_AGAIN: Duration = Duration::from_secs(3);

/// The raft id of incarnation `incarnation` of node `configured`.
pub fn raft_id(configured: u64, incarnation: u32) -> u64 {
    (configured << INCARNATION_BITS) | u64::from(incarnation)
}

/// The configured id of a raft id.
pub fn configured_id(raft_id: u64) -> u64 {
    raft_id >> INCARNATION_BITS
}

/// A node's request to be admitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddRequest {
    /// Its raft id.
    pub raft_id: u64,
    /// Its addresses.
    pub member: Member,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Status {
    Status::unavailable(format!("{what}: {e}; retry"))
}

/// Whether the configuration `metrics` show is committed here (applied,
/// which only a committed entry is) and not a joint one mid-change.
fn settled(metrics: &RaftMetrics<u64, Member>) -> bool {
    let config = &metrics.membership_config;
    config.membership().get_joint_config().len() == 1
        && config.log_id().map(|l| l.index) <= metrics.last_applied.map(|l| l.index)
}

/// Whether `raft_id` is a voter of a committed configuration in `metrics`.
pub fn is_committed_voter(metrics: &RaftMetrics<u64, Member>, raft_id: u64) -> bool {
    settled(metrics)
        && metrics
            .membership_config
            .membership()
            .voter_ids()
            .any(|v| v == raft_id)
}

/// On the leader: records `request`'s node as a learner, dropping
/// learners left by older incarnations of its configured id (one process
/// runs a configured id). Idempotent; [`promote_loop`] makes it a voter.
pub async fn admit(
    raft: &Raft<TypeConfig>,
    peers: &Peers,
    request: AddRequest,
) -> Result<(), Status> {
    let node = configured_id(request.raft_id);
    if !peers.0.contains_key(&node) {
        return Err(Status::invalid_argument(format!(
            "node {node} is not in this node's --peers"
        )));
    }
    let metrics = raft.metrics().borrow().clone();
    if metrics.current_leader != Some(metrics.id) {
        return Err(Status::unavailable("not the leader; ask another peer"));
    }
    let config = metrics.membership_config.membership().clone();
    if config.get_node(&request.raft_id).is_none() {
        raft.add_learner(request.raft_id, request.member, false)
            .await
            .map_err(|e| unavailable("cannot add the learner", e))?;
        tracing::info!("node {node} (a new incarnation) is a learner");
    }
    let config = raft
        .metrics()
        .borrow()
        .membership_config
        .membership()
        .clone();
    let stale: BTreeSet<u64> = config
        .learner_ids()
        .filter(|l| configured_id(*l) == node && *l != request.raft_id)
        .collect();
    if !stale.is_empty() {
        raft.change_membership(ChangeMembers::RemoveNodes(stale), false)
            .await
            .map_err(|e| unavailable("cannot remove old learners", e))?;
    }
    Ok(())
}

/// On every node, while it leads: promotes learners that have caught up.
pub async fn promote_loop(raft: Raft<TypeConfig>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PROMOTE_EVERY) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = promote_once(&raft).await {
            tracing::debug!("promotion not committed: {e}");
        }
    }
}

/// One round of [`promote_loop`]: at most one configuration change.
async fn promote_once(raft: &Raft<TypeConfig>) -> Result<(), String> {
    let metrics = raft.metrics().borrow().clone();
    if metrics.current_leader != Some(metrics.id)
        || metrics.state != ServerState::Leader
        || !settled(&metrics)
    {
        return Ok(());
    }
    let config = metrics.membership_config.membership().clone();
    let last = metrics.last_log_index.unwrap_or(0);
    let caught_up = |learner: u64| {
        metrics
            .replication
            .as_ref()
            .and_then(|r| r.get(&learner).copied().flatten())
            .is_some_and(|l| l.index + CAUGHT_UP_MARGIN >= last)
    };
    let Some(learner) = config.learner_ids().find(|l| caught_up(*l)) else {
        return Ok(());
    };
    let node = configured_id(learner);
    let voters: BTreeSet<u64> = config
        .voter_ids()
        .filter(|v| configured_id(*v) != node)
        .chain([learner])
        .collect();
    raft.change_membership(ChangeMembers::ReplaceAllVoters(voters), false)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("node {node} (a new incarnation) is a voter");
    Ok(())
}

/// On a node that has joined the enclaves: asks the peers at `peers` in
/// turn to record it until the leader has, then waits until it is a
/// voter in a committed configuration.
pub async fn become_voter(
    enclave: &dyn EnclaveApi,
    raft: &Raft<TypeConfig>,
    request: AddRequest,
    peers: &[String],
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let me = request.raft_id;
    let body = serde_json::to_vec(&request)?;
    let mut metrics = raft.metrics();
    let mut asked: Option<Instant> = None;
    loop {
        let now = metrics.borrow_and_update().clone();
        if is_committed_voter(&now, me) {
            tracing::info!("a voter of the cluster");
            return Ok(());
        }
        let recorded = now.membership_config.membership().get_node(&me).is_some();
        if asked.is_none_or(|at| !recorded && at.elapsed() >= ASK_AGAIN) {
            for addr in peers {
                match ask_to_admit(enclave, addr, &body).await {
                    Ok(()) => {
                        tracing::info!("recorded as a learner (asked {addr}); catching up");
                        asked = Some(Instant::now());
                        break;
                    }
                    Err(e) => tracing::debug!("admission through {addr}: {}", e.message()),
                }
            }
        }
        if *stop.borrow() {
            bail!("stopped before being admitted to the cluster");
        }
        let _ = tokio::time::timeout(RETRY, metrics.changed()).await;
    }
}

/// One request to the peer at `addr` to record this node, tagged by this
/// node's enclave; only an answer its enclave accepts counts as yes.
async fn ask_to_admit(enclave: &dyn EnclaveApi, addr: &str, body: &[u8]) -> Result<(), Status> {
    let mut client =
        network::peer_client(addr).map_err(|e| Status::invalid_argument(e.to_string()))?;
    let mut msg = PeerMessage {
        kind: "member-add".into(),
        body: body.to_vec(),
        ..Default::default()
    };
    peer_auth::sign_message(enclave, &mut msg)?;
    let answer = client.call(msg.clone()).await?.into_inner();
    peer_auth::check_answer(enclave, &msg.auth, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raft_id_keeps_the_configured_id_whatever_the_incarnation() {
        for incarnation in [0, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(configured_id(raft_id(7, incarnation)), 7);
            assert_eq!(
                configured_id(raft_id(u64::from(u32::MAX), incarnation)),
                0xffff_ffff
            );
        }
        assert_ne!(raft_id(3, 1), raft_id(3, 2));
    }
}
