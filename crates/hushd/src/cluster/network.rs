//! Peers talk over gRPC (`hush.v1.Peer`, on each node's peer address):
//! openraft's append, vote and snapshot messages in postcard (a compact
//! binary serde encoding: the sealed entries go as raw bytes), the
//! membership request as JSON, and the enclaves' join handshake as bytes.
//! Every raft message and answer is tagged by the sending enclave and
//! checked by the receiving one ([`super::peer_auth`]).
//!
//! A node dials each peer at that peer's address in its own `--peers`,
//! not at the address the peer announced when it joined: where a peer is
//! reached from depends on who reaches it (a NAT, a container network, or
//! the nemesis test's fault-injecting proxies, one per direction).

use super::Peers;
use super::membership::configured_id;
use super::peer_auth;
use super::types::Member;
use super::types::TypeConfig;
use hush_enclave::EnclaveApi;
use hush_wire::grpc::v1::PeerMessage;
use hush_wire::grpc::v1::peer_client::PeerClient;
use openraft::error::{NetworkError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tonic::transport::{Channel, Endpoint};

type NodeId = u64;

/// Largest peer message (a batch of entries, or a snapshot chunk, in JSON).
pub const MAX_PEER_MESSAGE: usize = 16 * 1024 * 1024;

/// Bytes of snapshot per chunk (carried as bytes beside the JSON).
pub const SNAPSHOT_CHUNK: u64 = 8 * 1024 * 1024;

/// How long one peer call may take (installing a snapshot's last chunk
/// runs the enclave over its whole state).
const PEER_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A lazily connected client to `addr` (`HOST:PORT`).
pub fn peer_client(addr: &str) -> Result<PeerClient<Channel>, tonic::transport::Error> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(std::time::Duration::from_millis(500))
        .timeout(PEER_CALL_TIMEOUT)
        .connect_lazy();
    Ok(PeerClient::new(channel)
        .max_decoding_message_size(MAX_PEER_MESSAGE)
        .max_encoding_message_size(MAX_PEER_MESSAGE))
}

/// Encodes a raft message or answer.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_allocvec(value)
}

/// Decodes a raft message or answer.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, postcard::Error> {
    postcard::from_bytes(bytes)
}

/// Makes clients to peers.
pub struct Network {
    /// This node's enclave, which tags its messages and checks answers.
    pub enclave: Arc<dyn EnclaveApi>,
    /// Where this node reaches its peers.
    pub peers: Peers,
}

/// A client to one peer.
pub struct Peer {
    client: Option<PeerClient<Channel>>,
    /// The raft id its messages are for.
    target: NodeId,
    enclave: Arc<dyn EnclaveApi>,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &Member) -> Peer {
        let addr = self
            .peers
            .0
            .get(&configured_id(target))
            .unwrap_or(&node.peer);
        Peer {
            client: peer_client(addr).ok(),
            target,
            enclave: self.enclave.clone(),
        }
    }
}

impl Peer {
    async fn call<
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    >(
        &mut self,
        kind: &str,
        req: &Req,
        data: Vec<u8>,
    ) -> Result<Resp, RPCError<NodeId, Member, E>> {
        let client = self.client.as_mut().ok_or_else(|| {
            RPCError::Unreachable(Unreachable::new(&std::io::Error::other("bad peer address")))
        })?;
        let body = encode(req).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let unreachable = |s: tonic::Status| {
            RPCError::Unreachable(Unreachable::new(&std::io::Error::other(
                s.message().to_owned(),
            )))
        };
        let mut msg = PeerMessage {
            kind: kind.to_owned(),
            body,
            handle: 0,
            to: self.target,
            data,
            auth: Vec::new(),
        };
        peer_auth::sign_message(&*self.enclave, &mut msg).map_err(unreachable)?;
        let request_auth = msg.auth.clone();
        let answer = client.call(msg).await.map_err(unreachable)?.into_inner();
        // An answer no member's enclave made (a stranger at the peer's
        // address) counts as no answer at all.
        peer_auth::check_answer(&*self.enclave, &request_auth, &answer).map_err(unreachable)?;
        let result: Result<Resp, E> =
            decode(&answer.body).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(openraft::error::RemoteError::new(0, e)))
    }
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, Member, RaftError<NodeId>>> {
        self.call("append", &rpc, Vec::new()).await
    }

    async fn install_snapshot(
        &mut self,
        mut rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, Member, RaftError<NodeId, openraft::error::InstallSnapshotError>>,
    > {
        let data = std::mem::take(&mut rpc.data);
        self.call("snapshot", &rpc, data).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, Member, RaftError<NodeId>>> {
        self.call("vote", &rpc, Vec::new()).await
    }
}
