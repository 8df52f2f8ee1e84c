//! Replication groundwork: what the replicas of a cluster share, and how a
//! node is let in.
//!
//! - [`secret`]: the cluster secret, from which every service's keyed-hash
//!   secret and random streams are derived, so that replicas applying the
//!   same requests in the same order reach the same state (ORAM randomness
//!   stays local: it changes only the physical layout).
//! - [`join`]: a mutually attested Noise XXhfs handshake (X25519 and ML-KEM-768) between a joining
//!   node and a member; each checks the other's evidence under its policy,
//!   and only then does the member hand over the cluster secret, on that
//!   channel. The host carries the messages and learns nothing but their
//!   (public) sizes.
//! - [`log`]: the replicated log's entries, one sealed size for every
//!   change; [`replica`]: applying them exactly once, in order.
//!   [`crate::InProcessEnclave::start_replica`] runs the services on them:
//!   the leader proposes a client's request as an entry and answers the
//!   client only when that entry is applied, which the host does once a
//!   quorum holds it.
//! - [`snapshot`]: a replica's whole state, sealed, for a node that
//!   catches up after the log it needs was purged.
//! - [`peer_auth`]: tags on the hosts' peer messages (raft's and the
//!   membership request), made and checked by the enclaves under a key
//!   from the cluster secret, so that no stranger can forge one.

pub mod join;
pub mod log;
pub mod peer_auth;
pub mod replica;
pub mod secret;
pub mod snapshot;

pub use join::{Admission, JoinError, Joiner, JoinerAwaitingSecret};
pub use log::{EntryError, SEALED_ENTRY_LEN};
pub use peer_auth::{PEER_AUTH_LEN, PeerAuthError};
pub use replica::ApplyError;
pub use secret::{CLUSTER_SECRET_LEN, ClusterSecret};
pub use snapshot::SnapshotError;
