//! hush's trusted core: everything that runs inside the TEE.
//!
//! It has no network, clock or filesystem: the host hands it request
//! records and the time, and gets back response records. All bulk state
//! lives in oblivious arrays ([`oram`]), and every request performs the
//! same sequence of accesses and returns a response of the same size
//! whatever its type, arguments and outcome (see [`services`] and the
//! rules in DESIGN.md).

pub mod cluster;
#[cfg(any(test, feature = "test-util"))]
pub mod fixtures;
mod mask;
pub mod message_stage;
pub mod oblivious;
pub mod opened_query;
pub mod oram;
pub mod reference;
pub mod service;
pub mod services;
pub mod session;
#[cfg(test)]
mod test_support;

pub use message_stage::Ticket;
pub use opened_query::{AnswerToSeal, OpenedQuery};
pub use service::{
    Applied, AttestationMode, BlobStep, EnclaveApi, EnclaveConfig, EnclaveStats, HandshakeReply,
    InProcessEnclave, Proposal, ProposeError, PublishedEvidence, SealedSnapshot, StartError,
    cluster_epoch, request_len,
};
pub use services::blobs::{BlobConfig, ReadPlan, StorageId, StoredObject};
pub use services::broker::{ConfigError, OCCUPANCY_STEPS, SWEEP_SLICES, Store, StoreConfig};
pub use services::directory::delivery::{
    DeliveryConfig, DeliveryError, DeliveryIo, DeliveryStart, Endpoint,
};
pub use services::directory::{
    Directory, DirectoryConfig, DirectoryConfigError, MIN_ATTESTED_CODE_RELEASE_REQUESTS,
    Verification,
};
pub use services::rendezvous::{Rendezvous, RendezvousConfig};
pub use services::tokens::{IssuerKey, TokenConfig, TokenConfigError, Tokens};
pub use services::{ServiceId, TrustedService};
pub use session::SessionError;
