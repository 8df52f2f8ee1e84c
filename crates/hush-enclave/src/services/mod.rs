//! The trusted services the enclave hosts, each in its own folder, each
//! with its own fixed request and response sizes and its own oblivious
//! arrays, so that rule 1 of DESIGN.md holds per service: the host may
//! learn which service a frame is for, never what happened inside it.
//!
//! - [`broker`]: mailboxes of fixed-size messages;
//! - [`directory`]: accounts, devices and identifiers, with oblivious
//!   look-up;
//! - [`rendezvous`]: quorum computations and key matching;
//! - [`tokens`]: Privacy Pass tokens redeemed for write credits;
//! - [`blobs`]: attachments, mixed before the host stores them (not a
//!   [`TrustedService`]: its requests carry a body and a download is two
//!   calls, around the host's read of the store).
//!
//! The oblivious building blocks they share are in [`crate::oblivious`].

pub mod blobs;
pub mod broker;
pub mod directory;
pub mod rendezvous;
pub mod tokens;

use crate::session::proven_keys::ProvenKeys;
use std::sync::atomic::AtomicU32;
pub use tokens::Credits;

/// Which trusted service a frame is for. Public: the host routes by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceId {
    /// [`broker`].
    Broker,
    /// [`directory`].
    Directory,
    /// [`rendezvous`].
    Rendezvous,
    /// [`tokens`].
    Tokens,
}

impl ServiceId {
    /// Every service.
    pub const ALL: [ServiceId; 4] = [
        ServiceId::Broker,
        ServiceId::Directory,
        ServiceId::Rendezvous,
        ServiceId::Tokens,
    ];

    /// A name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            ServiceId::Broker => "broker",
            ServiceId::Directory => "directory",
            ServiceId::Rendezvous => "rendezvous",
            ServiceId::Tokens => "tokens",
        }
    }
}

/// What the session layer tells a service about who is calling.
pub struct Caller<'a> {
    /// The keys the session has proven (checked in constant time).
    pub keys: &'a ProvenKeys,
    /// Directory look-ups this session has made (the directory's
    /// per-session limit; requests of one service run one at a time).
    pub lookups: &'a AtomicU32,
    /// The session's token credits ([`tokens`]): writes spend them when
    /// the enclave requires tokens.
    pub credits: &'a Credits,
    /// Whether writes need credits (the enclave's configuration: public).
    pub tokens_required: bool,
}

impl Caller<'_> {
    /// Whether a write may go ahead: always when tokens are not required,
    /// else while the session has credits (constant time).
    pub(crate) fn may_write(&self) -> subtle::Choice {
        subtle::Choice::from(u8::from(!self.tokens_required)) | self.credits.has_credit()
    }

    /// Spends one credit when `write` (a write that went ahead) and tokens
    /// are required; the same work either way.
    pub(crate) fn spend(&self, write: subtle::Choice) {
        self.credits
            .spend(write & subtle::Choice::from(u8::from(self.tokens_required)));
    }
}

/// A service running inside the enclave.
pub trait TrustedService: Send + 'static {
    /// Which service this is.
    const ID: ServiceId;
    /// Length of its plaintext request record.
    const REQUEST_LEN: usize;
    /// Length of its plaintext response record.
    const RESPONSE_LEN: usize;

    /// Executes one request record of exactly [`Self::REQUEST_LEN`] bytes
    /// and returns a response of exactly [`Self::RESPONSE_LEN`] bytes, with
    /// the same accesses whatever the request holds.
    fn execute(&mut self, request: &[u8], caller: &Caller<'_>, now: u64) -> Vec<u8>;

    /// Background work on the public schedule: called once per second of
    /// enclave time, with a fixed amount of work.
    fn tick(&mut self, now: u64);
}
