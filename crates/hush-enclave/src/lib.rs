//! hush's trusted core: everything that runs inside the TEE.
//!
//! It has no network, clock or filesystem: the host hands it request
//! records and the time, and gets back response records. All bulk state
//! lives in oblivious arrays ([`oram`]), and every request performs the
//! same sequence of accesses and returns a response of the same size
//! whatever its type, arguments and outcome (see [`store`] and the rules
//! in DESIGN.md).

pub mod oram;
pub mod reference;
pub mod service;
pub mod session;
pub mod store;

pub use service::{
    AttestationMode, EnclaveApi, EnclaveConfig, EnclaveStats, HandshakeReply, InProcessEnclave,
    StartError,
};
pub use session::SessionError;
pub use store::{ConfigError, OCCUPANCY_STEPS, Store, StoreConfig};
