//! Who votes. A node keeps nothing across a restart (its log and its
//! enclave's state live in memory), so a node that comes back is a new
//! member, never the old one with a forgotten vote: its raft id is its
//! configured id (`--node-id`) in the high 32 bits and a random
//! incarnation in the low 32.
//!
//! A node that has joined the cluster's enclaves ([`super::start`]) asks
//! each peer in turn to admit it ([`become_voter`]); the leader
//! ([`admit`]) adds it as a learner, waits until it holds the log as it
//! stood, and then makes it a voter in place of any older incarnation of
//! the same configured id, which it removes. Until then the old
//! incarnation still counts toward the majority, and only a leader
//! admits: a cluster that has lost its majority is started anew (a new
//! secret, a new epoch), not revived node by node.

use super::network;
use super::peer_auth;
use super::types::TypeConfig;
use anyhow::{Result, bail};
use hush_enclave::EnclaveApi;
use hush_wire::grpc::v1::PeerMessage;
use openraft::{BasicNode, ChangeMembers, Raft};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::time::Duration;
use tonic::Status;

/// Bits of a raft id that hold the incarnation.
const INCARNATION_BITS: u32 = 32;

/// How long the leader waits for a new member to catch up before it
/// answers "retry" (the peer call's own timeout is 5 s).
pub const CATCH_UP_WAIT: Duration = Duration::from_secs(2);

/// How long a node waits between rounds of asking its peers to admit it.
const RETRY: Duration = Duration::from_millis(300);

/// The raft id of incarnation `incarnation` of node `configured`.
pub fn raft_id(configured: u64, incarnation: u32) -> u64 {
    (configured << INCARNATION_BITS) | u64::from(incarnation)
}

/// The configured id of a raft id.
pub fn configured_id(raft_id: u64) -> u64 {
    raft_id >> INCARNATION_BITS
}

/// A node's request to be admitted as a voter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddRequest {
    /// Its raft id.
    pub raft_id: u64,
    /// Its peer address.
    pub addr: String,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Status {
    Status::unavailable(format!("{what}: {e}; retry"))
}

/// On the leader: admits `request`'s node as a voter, replacing older
/// incarnations of its configured id. Idempotent: a node already a voter
/// is admitted at once.
pub async fn admit(raft: &Raft<TypeConfig>, request: AddRequest) -> Result<(), Status> {
    if configured_id(request.raft_id) == 0 {
        return Err(Status::invalid_argument("raft id 0 is not a node"));
    }
    let metrics = raft.metrics().borrow().clone();
    if metrics.current_leader != Some(metrics.id) {
        return Err(Status::unavailable("not the leader; ask another peer"));
    }
    let config = metrics.membership_config.membership().clone();
    if !config.voter_ids().any(|v| v == request.raft_id) {
        if config.get_node(&request.raft_id).is_none() {
            raft.add_learner(request.raft_id, BasicNode::new(&request.addr), false)
                .await
                .map_err(|e| unavailable("cannot add the learner", e))?;
        }
        // Caught up: it holds the log as it stood when it asked.
        let target = metrics.last_log_index.unwrap_or(0);
        raft.wait(Some(CATCH_UP_WAIT))
            .metrics(
                |m| {
                    m.replication
                        .as_ref()
                        .and_then(|r| r.get(&request.raft_id).copied().flatten())
                        .is_some_and(|l| l.index >= target)
                },
                "the new member has caught up",
            )
            .await
            .map_err(|_| Status::unavailable("the new member is still catching up; retry"))?;
        let node = configured_id(request.raft_id);
        let voters: BTreeSet<u64> = config
            .voter_ids()
            .filter(|v| configured_id(*v) != node)
            .chain([request.raft_id])
            .collect();
        raft.change_membership(ChangeMembers::ReplaceAllVoters(voters), false)
            .await
            .map_err(|e| unavailable("membership change not committed", e))?;
        tracing::info!("node {node} (a new incarnation) is a voter");
    }
    // Learners left by incarnations that died before becoming voters.
    let config = raft
        .metrics()
        .borrow()
        .membership_config
        .membership()
        .clone();
    let stale: BTreeSet<u64> = config
        .learner_ids()
        .filter(|l| configured_id(*l) == configured_id(request.raft_id))
        .collect();
    if !stale.is_empty() {
        raft.change_membership(ChangeMembers::RemoveNodes(stale), false)
            .await
            .map_err(|e| unavailable("cannot remove old learners", e))?;
    }
    Ok(())
}

/// On a node that has joined the enclaves: asks the peers at `peers` in
/// turn to admit it until the leader has.
pub async fn become_voter(
    enclave: &dyn EnclaveApi,
    raft_id: u64,
    own: &str,
    peers: &[String],
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let body = serde_json::to_vec(&AddRequest {
        raft_id,
        addr: own.to_owned(),
    })?;
    loop {
        for addr in peers {
            match ask_to_admit(enclave, addr, &body).await {
                Ok(()) => {
                    tracing::info!("admitted as a voter (asked {addr})");
                    return Ok(());
                }
                Err(e) => tracing::debug!("admission through {addr}: {}", e.message()),
            }
        }
        if *stop.borrow() {
            bail!("stopped before being admitted to the cluster");
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// One request to the peer at `addr` to admit this node, tagged by this
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
