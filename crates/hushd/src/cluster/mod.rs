//! Replication: several hushd nodes, each with its enclave, keep one state
//! through a raft log (openraft) of the enclaves' sealed entries.
//!
//! - Start-up ([`start`]): the node with the lowest id founds the cluster
//!   (its enclave makes the cluster secret) only when every other node
//!   answers and none is a member (the cluster's first start); a restarted
//!   founder, like every other node, joins: its enclave joins through a
//!   member's, by the mutually attested handshake of
//!   `hush_enclave::cluster::join`, and then it is admitted as a voter
//!   ([`membership`]). A node keeps nothing across a restart, so each
//!   start is a new member: its raft id is its configured id with a fresh
//!   incarnation, and the leader replaces the old incarnation by the new
//!   one once the new one has caught up. [`start`] returns once this node
//!   is a voter in a committed configuration.
//! - A request ([`Node::submit`]): only the leader takes it; its enclave
//!   turns the client's sealed frame into a sealed entry chained after the
//!   log's last one, raft replicates it, and when a quorum holds it every
//!   node applies it; the leader's enclave then seals the client's answer.
//! - Ticks: the leader proposes one a second ([`tick_loop`]).
//!
//! The host sees entries of one size, one per request or tick.

pub mod membership;
pub mod network;
pub mod peer_auth;
pub mod proposer;
pub mod store;
pub mod types;

use anyhow::{Context, Result, bail};
use hush_enclave::{EnclaveApi, ServiceId};
use hush_wire::SessionId;
use hush_wire::grpc::v1::PeerMessage;
use hush_wire::grpc::v1::peer_server::{Peer, PeerServer};
use openraft::{Config, Raft};
use proposer::{Change, not_leader};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tonic::{Request, Response, Status};
use types::{Member, TypeConfig};

/// Log entries between snapshots, by default.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 100_000;

/// Entries a node keeps in its log before its last snapshot (at most),
/// so that a follower a little behind catches up from the log, not a
/// snapshot.
const LOG_KEPT_BEFORE_SNAPSHOT: u64 = 1_000;

/// How long a request waits for its entry to commit.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// The cluster's nodes: id and peer address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peers(pub BTreeMap<u64, String>);

impl Peers {
    /// Parses `1=127.0.0.1:7101,2=127.0.0.1:7102,...`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut peers = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, addr) = part
                .split_once('=')
                .with_context(|| format!("peer {part:?} is not ID=HOST:PORT"))?;
            let id: u64 = id
                .trim()
                .parse()
                .with_context(|| format!("peer id {id:?} is not a number"))?;
            addr.trim()
                .parse::<SocketAddr>()
                .with_context(|| format!("peer address {addr:?} is not HOST:PORT"))?;
            if id == 0 || id > u64::from(u32::MAX) {
                bail!("peer id {id} is out of range: use 1 to {}", u32::MAX);
            }
            if peers.insert(id, addr.trim().to_owned()).is_some() {
                bail!("peer id {id} appears twice");
            }
        }
        if peers.len() < 2 {
            bail!("a cluster needs at least two nodes in --peers");
        }
        Ok(Self(peers))
    }
}

/// This node's place in a cluster.
pub struct Node {
    /// Its id (as configured in `--peers`).
    pub id: u64,
    /// Its raft id: the configured id and this run's incarnation.
    raft_id: u64,
    raft: Raft<TypeConfig>,
    peers: Peers,
    /// The proposer task's queue.
    proposals: proposer::Proposals,
    /// The configuration as of the last entry applied here (committed).
    applied: store::AppliedMembership,
}

impl Node {
    /// The leader's (configured) id as this node knows it.
    pub fn leader_id(&self) -> Option<u64> {
        self.raft
            .metrics()
            .borrow()
            .current_leader
            .map(membership::configured_id)
    }

    /// The voters' configured ids in the committed configuration as of
    /// the last entry applied here, in order: every node that has applied
    /// as far reports the same (an id appears twice in the joint
    /// configuration while a new incarnation of a node replaces its old
    /// one).
    pub fn voters(&self) -> Vec<u64> {
        let applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        let mut voters: Vec<u64> = applied
            .membership()
            .voter_ids()
            .map(membership::configured_id)
            .collect();
        voters.sort_unstable();
        voters
    }

    /// Whether this incarnation is a voter of the committed configuration
    /// as of the last entry applied here.
    pub fn is_voter(&self) -> bool {
        let applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        applied.membership().voter_ids().any(|v| v == self.raft_id)
    }

    /// This node's role, for health and metrics.
    pub fn role(&self) -> &'static str {
        let m = self.raft.metrics().borrow().clone();
        match m.state {
            openraft::ServerState::Leader => "leader",
            openraft::ServerState::Follower => "follower",
            openraft::ServerState::Candidate => "candidate",
            openraft::ServerState::Learner => "learner",
            openraft::ServerState::Shutdown => "shutdown",
        }
    }

    /// Sets the cluster gauges (role, commit index, lag of the slowest
    /// follower as the leader sees it); returns whether this node leads.
    pub fn report_metrics(&self) -> bool {
        let m = self.raft.metrics().borrow().clone();
        let current = self.role();
        for role in ["leader", "follower", "candidate", "learner", "shutdown"] {
            metrics::gauge!("hush_cluster_role", "role" => role).set(if role == current {
                1.0
            } else {
                0.0
            });
        }
        let applied = m.last_applied.map_or(0, |l| l.index);
        metrics::gauge!("hush_cluster_applied_index").set(applied as f64);
        metrics::gauge!("hush_cluster_last_log_index").set(m.last_log_index.unwrap_or(0) as f64);
        let lag = m
            .replication
            .as_ref()
            .map(|r| {
                r.values()
                    .map(|matched| applied.saturating_sub(matched.map_or(0, |l| l.index)))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        metrics::gauge!("hush_cluster_follower_lag_entries").set(lag as f64);
        metrics::gauge!("hush_cluster_voters").set(self.voters().len() as f64);
        m.current_leader == Some(self.raft_id)
    }

    /// Proposes `change` and waits until it is applied here; returns the
    /// sealed answer for this node's client (none for a tick).
    async fn propose(&self, change: Change) -> Result<Option<Vec<u8>>, Status> {
        if self.raft.metrics().borrow().current_leader != Some(self.raft_id) {
            return Err(not_leader(&self.raft, &self.peers));
        }
        let outcome = self.proposals.send(change).await?;
        match tokio::time::timeout(COMMIT_TIMEOUT, outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(Status::unavailable("this node is shutting down; retry")),
            Err(_) => Err(Status::unavailable(format!(
                "not committed within {} s: the cluster may have lost its majority; retry",
                COMMIT_TIMEOUT.as_secs()
            ))),
        }
    }
}

impl Node {
    /// A client's sealed request for `service`, through the log.
    pub async fn submit(
        &self,
        service: ServiceId,
        id: SessionId,
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, Status> {
        self.propose(Change::Request(service, id, sealed))
            .await?
            .ok_or_else(|| {
                Status::unavailable("the request's entry was replaced by another leader's; retry")
            })
    }
}

/// Proposes a tick every second while this node leads.
pub async fn tick_loop(node: Arc<Node>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(crate::clock::TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        if node.raft.metrics().borrow().current_leader == Some(node.raft_id) {
            if let Err(e) = node.propose(Change::Tick(crate::clock::unix_now())).await {
                tracing::debug!("tick not committed: {}", e.message());
            }
        }
    }
}

/// The peer service: raft messages once raft runs, joins once this node's
/// enclave is a member.
#[derive(Clone)]
pub struct PeerService {
    enclave: Arc<dyn EnclaveApi>,
    raft: Arc<OnceLock<Raft<TypeConfig>>>,
    /// The cluster's nodes (only they are admitted).
    peers: Peers,
    /// One membership change at a time.
    changes: Arc<tokio::sync::Mutex<()>>,
}

/// A peer answer of `kind` carrying `body`.
fn reply(kind: &str, body: Vec<u8>) -> Response<PeerMessage> {
    Response::new(PeerMessage {
        kind: kind.to_owned(),
        body,
        ..Default::default()
    })
}

/// A membership answer, in JSON.
fn json<T: serde::Serialize>(kind: &str, value: &T) -> Result<Response<PeerMessage>, Status> {
    let body = serde_json::to_vec(value).map_err(|e| Status::internal(e.to_string()))?;
    Ok(reply(kind, body))
}

/// A raft answer, in the peers' binary encoding.
fn raft_answer<T: serde::Serialize>(
    kind: &str,
    value: &T,
) -> Result<Response<PeerMessage>, Status> {
    let body = network::encode(value).map_err(|e| Status::internal(e.to_string()))?;
    Ok(reply(kind, body))
}

fn raft_parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Status> {
    network::decode(body).map_err(|e| Status::invalid_argument(format!("bad raft message: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Status> {
    serde_json::from_slice(body)
        .map_err(|e| Status::invalid_argument(format!("bad peer message: {e}")))
}

#[tonic::async_trait]
impl Peer for PeerService {
    /// One peer message.
    async fn call(&self, req: Request<PeerMessage>) -> Result<Response<PeerMessage>, Status> {
        let msg = req.into_inner();
        // Raft's messages and membership requests come only from members'
        // enclaves: nothing else is read before the tag is checked, and
        // the answer is tagged to this message.
        if !peer_auth::is_authenticated(&msg.kind) {
            return self.join_step(msg).await;
        }
        peer_auth::check_message(&*self.enclave, &msg)?;
        let request_auth = msg.auth.clone();
        let mut answer = self.raft_step(msg).await?.into_inner();
        peer_auth::sign_answer(&*self.enclave, &request_auth, &mut answer)?;
        Ok(Response::new(answer))
    }
}

impl PeerService {
    /// An authenticated message: raft's, or a membership request.
    async fn raft_step(&self, msg: PeerMessage) -> Result<Response<PeerMessage>, Status> {
        let raft = || {
            self.raft
                .get()
                .cloned()
                .ok_or_else(|| Status::unavailable("this node has not joined the cluster yet"))
        };
        // A raft message must be for this incarnation: the leader may
        // still send to an earlier one at this address.
        let for_me = || {
            let raft = raft()?;
            let me = raft.metrics().borrow().id;
            if msg.to == me {
                Ok(raft)
            } else {
                Err(Status::failed_precondition(format!(
                    "this message is for raft node {}, not this incarnation ({me})",
                    msg.to
                )))
            }
        };
        match msg.kind.as_str() {
            "append" => {
                let r = for_me()?.append_entries(raft_parse(&msg.body)?).await;
                raft_answer("append", &r)
            }
            "vote" => {
                let r = for_me()?.vote(raft_parse(&msg.body)?).await;
                raft_answer("vote", &r)
            }
            "snapshot" => {
                let raft = for_me()?;
                let mut req: openraft::raft::InstallSnapshotRequest<TypeConfig> =
                    raft_parse(&msg.body)?;
                req.data = msg.data;
                let r = raft.install_snapshot(req).await;
                raft_answer("snapshot", &r)
            }
            "member-add" => {
                let request: membership::AddRequest = parse(&msg.body)?;
                let raft = raft()?;
                let _one_at_a_time = self.changes.lock().await;
                membership::admit(&raft, &self.peers, request).await?;
                json("member-added", &())
            }
            other => Err(Status::invalid_argument(format!(
                "unknown peer message {other:?}"
            ))),
        }
    }

    /// The join handshake, attested inside the enclaves (not tagged: the
    /// joiner holds no cluster secret yet).
    async fn join_step(&self, msg: PeerMessage) -> Result<Response<PeerMessage>, Status> {
        match msg.kind.as_str() {
            "join-hello" => {
                let enclave = self.enclave.clone();
                let (handle, reply) =
                    tokio::task::spawn_blocking(move || enclave.admit_start(&msg.body))
                        .await
                        .map_err(|_| Status::internal("enclave task failed"))?
                        .map_err(|e| match e {
                            // Its own code: a founder founds only when
                            // every peer answers this.
                            hush_enclave::cluster::JoinError::NotMember => {
                                Status::not_found(e.to_string())
                            }
                            e => Status::failed_precondition(e.to_string()),
                        })?;
                Ok(Response::new(PeerMessage {
                    kind: "join-reply".into(),
                    body: reply,
                    handle,
                    ..Default::default()
                }))
            }
            "join-proof" => {
                let enclave = self.enclave.clone();
                let frame = tokio::task::spawn_blocking(move || {
                    enclave.admit_finish(msg.handle, &msg.body)
                })
                .await
                .map_err(|_| Status::internal("enclave task failed"))?
                .map_err(|e| Status::permission_denied(e.to_string()))?;
                Ok(reply("join-secret", frame))
            }
            other => Err(Status::invalid_argument(format!(
                "unknown peer message {other:?}"
            ))),
        }
    }
}

/// Why a join through a peer did not happen.
enum JoinFailure {
    /// The peer answered that its enclave is not a member of a cluster.
    NotMember,
    /// Anything else (unreachable, refused, not attested).
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for JoinFailure {
    fn from(e: E) -> Self {
        Self::Other(e.into())
    }
}

/// Joins through `addr`'s enclave: hello, reply, proof, secret.
async fn join_through(enclave: &Arc<dyn EnclaveApi>, addr: &str) -> Result<(), JoinFailure> {
    let mut client = network::peer_client(addr)?;
    let hello = enclave.join_start()?;
    let reply = client
        .call(PeerMessage {
            kind: "join-hello".into(),
            body: hello,
            ..Default::default()
        })
        .await
        .map_err(|s| match s.code() {
            tonic::Code::NotFound => JoinFailure::NotMember,
            _ => JoinFailure::Other(s.into()),
        })?
        .into_inner();
    let proof = enclave.join_reply(&reply.body)?;
    let secret = client
        .call(PeerMessage {
            kind: "join-proof".into(),
            body: proof,
            handle: reply.handle,
            ..Default::default()
        })
        .await?
        .into_inner();
    enclave.join_finish(&secret.body)?;
    Ok(())
}

/// Starts this node: serves peers on its peer address, founds or joins
/// the cluster, then runs raft. Returns the node once it is a member.
pub async fn start(
    id: u64,
    peers: Peers,
    client_addr: &str,
    snapshot_every: u64,
    enclave: Arc<dyn EnclaveApi>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Arc<Node>> {
    let own = peers
        .0
        .get(&id)
        .with_context(|| format!("--node-id {id} is not in --peers"))?
        .clone();
    let raft_cell = Arc::new(OnceLock::new());
    let service = PeerService {
        enclave: enclave.clone(),
        raft: raft_cell.clone(),
        peers: peers.clone(),
        changes: Arc::default(),
    };
    let listen: SocketAddr = own.parse()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen for peers on {listen}"))?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut peer_stop = stop.clone();
    tokio::spawn(async move {
        let server = tonic::transport::Server::builder()
            .add_service(
                PeerServer::new(service)
                    .max_decoding_message_size(network::MAX_PEER_MESSAGE)
                    .max_encoding_message_size(network::MAX_PEER_MESSAGE),
            )
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = peer_stop.wait_for(|s| *s).await;
            });
        if let Err(e) = server.await {
            tracing::error!("peer server: {e}");
        }
    });

    // Join through any member. The lowest id founds the cluster only when
    // every other node answers that it is not a member (the cluster's
    // first start): a restarted founder that merely failed to reach a
    // member must not found a second cluster beside the first.
    let founder = *peers.0.keys().next().expect("at least two peers");
    let members: Vec<String> = peers
        .0
        .iter()
        .filter(|(p, _)| **p != id)
        .map(|(_, a)| a.clone())
        .collect();
    let mut founded = false;
    let mut waiting_said = false;
    'joined: loop {
        let mut fresh = 0;
        for addr in &members {
            match join_through(&enclave, addr).await {
                Ok(()) => {
                    tracing::info!("joined the cluster through {addr}");
                    break 'joined;
                }
                Err(JoinFailure::NotMember) => fresh += 1,
                Err(JoinFailure::Other(e)) => tracing::debug!("join through {addr}: {e:#}"),
            }
        }
        if id == founder && fresh == members.len() {
            enclave.found_cluster()?;
            founded = true;
            tracing::info!("every peer answered and none is a member: founded the cluster");
            break;
        }
        if !waiting_said {
            tracing::info!(
                "waiting for a member to join through{}",
                if id == founder {
                    " (or for every peer, to found the cluster)"
                } else {
                    ""
                }
            );
            waiting_said = true;
        }
        if *stop.borrow() {
            bail!("stopped before joining the cluster");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let config = Config {
        cluster_name: "hush".into(),
        heartbeat_interval: 100,
        election_timeout_min: 400,
        election_timeout_max: 800,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snapshot_every),
        max_in_snapshot_log_to_keep: LOG_KEPT_BEFORE_SNAPSHOT.min(snapshot_every / 2),
        snapshot_max_chunk_size: network::SNAPSHOT_CHUNK,
        install_snapshot_timeout: 20_000,
        ..Default::default()
    };
    let raft_id = membership::raft_id(id, rand::random());
    let log = store::LogStore::default();
    let state_machine = store::StateMachine::new(enclave.clone());
    let applied = state_machine.membership();
    let raft = Raft::new(
        raft_id,
        Arc::new(config.validate()?),
        network::Network {
            enclave: enclave.clone(),
            peers: peers.clone(),
        },
        log.clone(),
        state_machine,
    )
    .await?;
    let _ = raft_cell.set(raft.clone());
    let me = Member {
        peer: own.clone(),
        client: client_addr.to_owned(),
    };
    // Whoever leads promotes learners that have caught up.
    tokio::spawn(membership::promote_loop(raft.clone(), stop.clone()));
    if founded {
        // The founder starts alone; the others join as they come up.
        let members = BTreeMap::from([(raft_id, me)]);
        raft.initialize(members)
            .await
            .context("cannot initialize the cluster")?;
        let mut metrics = raft.metrics();
        while !membership::is_committed_voter(&metrics.borrow_and_update(), raft_id) {
            metrics.changed().await.context("raft stopped")?;
        }
    } else {
        let request = membership::AddRequest {
            raft_id,
            member: me,
        };
        membership::become_voter(&*enclave, &raft, request, &members, &stop).await?;
    }
    let proposals = proposer::Proposer {
        raft: raft.clone(),
        raft_id,
        enclave: enclave.clone(),
        log: log.clone(),
        peers: peers.clone(),
    }
    .spawn();
    Ok(Arc::new(Node {
        id,
        raft_id,
        raft,
        peers,
        proposals,
        applied,
    }))
}
