//! Client errors, each with a message a user can act on.

use hush_wire::directory::DirectoryStatus;
use hush_wire::{KeyProofStatus, Status};
use thiserror::Error;

/// Every server a client tried and the last reason each failed, in the
/// order they were first tried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tried(pub Vec<(String, String)>);

impl Tried {
    /// Records that `url` failed for `reason` (its last reason is kept).
    pub fn note(&mut self, url: &str, reason: impl Into<String>) {
        let reason = reason.into();
        match self.0.iter_mut().find(|(u, _)| u == url) {
            Some((_, r)) => *r = reason,
            None => self.0.push((url.to_owned(), reason)),
        }
    }
}

impl std::fmt::Display for Tried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no server was reached");
        }
        f.write_str("servers tried: ")?;
        for (i, (url, reason)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{url}: {reason}")?;
        }
        Ok(())
    }
}

/// What went wrong talking to a hush broker.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server could not be reached.
    #[error("cannot reach the hush server at {url}: {reason}. Is hushd running there?")]
    Unreachable {
        /// The address tried.
        url: String,
        /// Why.
        reason: String,
    },
    /// A cluster node cannot take the request now (it does not lead, no
    /// node does, or the request could not commit); the client tries the
    /// cluster's other servers first.
    #[error("{url} cannot take the request now: {reason}")]
    NoLeader {
        /// The node asked.
        url: String,
        /// Why.
        reason: String,
    },
    /// The deadline (`--timeout`) passed before any server answered.
    #[error("no answer within {secs} s (--timeout, HUSH_TIMEOUT); {tried}")]
    TimedOut {
        /// The deadline, in seconds from the start.
        secs: u64,
        /// Every server tried, and why each failed.
        tried: Tried,
    },
    /// Every server of a cluster was tried, each as often as allowed, and
    /// none could take the request.
    #[error("no server could take the request; {0}")]
    NoServer(Tried),
    /// Two servers of one `--server` list belong to different clusters
    /// (their enclaves' epochs differ): what one stored the other does not
    /// hold, so the client stops rather than mix their answers.
    #[error(
        "{url} belongs to another cluster (epoch {theirs:016x}) than {previous} (epoch {ours:016x}): the server list names two clusters, or a node founded a second one; fix the list or the cluster"
    )]
    OtherCluster {
        /// The server just reached.
        url: String,
        /// Its epoch.
        theirs: u64,
        /// The server this client talked to before.
        previous: String,
        /// That one's epoch.
        ours: u64,
    },
    /// More keys than one session can prove.
    #[error("a session proves at most 4 keys, {0} were given; use one session per group of 4")]
    TooManyKeys(usize),
    /// The server's attestation was rejected.
    #[error("attestation rejected: {0}")]
    Attestation(#[from] hush_attest::AttestError),
    /// The server answered with a gRPC error.
    #[error("server error: {0}")]
    Rpc(String),
    /// The session is gone (server restarted, or idle too long).
    #[error("the session expired or the server restarted")]
    SessionLost,
    /// A protocol violation.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// Bad wire data.
    #[error(transparent)]
    Wire(#[from] hush_wire::WireError),
    /// A key proof was refused.
    #[error("the server refused the key proof: {0:?}")]
    KeyProof(KeyProofStatus),
    /// End-to-end sealing failed.
    #[error(transparent)]
    E2e(#[from] crate::e2e::E2eError),
    /// A broker operation failed with a status.
    #[error("{0}")]
    Status(Status),
    /// An attachment could not be made or opened.
    #[cfg(feature = "native")]
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    /// A rendezvous operation failed with a status.
    #[error("{0}")]
    Rendezvous(hush_wire::rendezvous::RendezvousStatus),
    /// A directory operation failed with a status.
    #[error("{0}")]
    Directory(DirectoryStatus),
    /// The server requires tokens for writes, the stock is empty, and the
    /// directory gives none to these keys (no verified account).
    #[error(
        "no tokens left: this server requires Privacy Pass tokens for writes ({refused} of the stock were refused). An identity with a verified account gets them from the directory by itself (`hush account register`); otherwise get tokens from the operator's issuer and add them with `hush tokens add FILE`"
    )]
    NoTokens {
        /// What one token is worth here (0 when none was redeemed).
        credits_per_token: u32,
        /// Tokens of the stock the server refused (spent, or not its issuer's).
        refused: usize,
    },
    /// The account has had its tokens for the day.
    #[error(
        "no tokens left today; the limit is {per_day} tokens a day per account (each worth {credits_per_token} writes); more come tomorrow, or add tokens from the operator's issuer with `hush tokens add FILE`"
    )]
    NoTokensToday {
        /// Tokens an account may have per day (0: the directory issues none).
        per_day: u16,
        /// What one token is worth here (0 when unknown).
        credits_per_token: u32,
    },
    /// The directory's tokens did not verify against its key.
    #[error(
        "the directory's tokens did not verify against its key (a bad proof): the server or its operator may be tampering with token issuance"
    )]
    BadTokens,
    /// The token file could not be read or written.
    #[error("the token file: {0}")]
    TokenFile(String),
    /// The server refused a token for a reason that is not the token's.
    #[error("{0}")]
    Token(hush_wire::tokens::TokenStatus),
    /// The directory returned a device its identity key did not sign.
    #[error(
        "the directory returned a device record for {0} whose signature does not verify; the server or its operator may be tampering with the directory"
    )]
    BadDevice(String),
}

impl ClientError {
    /// The broker status, if this is one.
    pub fn status(&self) -> Option<Status> {
        match self {
            ClientError::Status(s) => Some(*s),
            _ => None,
        }
    }
}
