//! Entries of the replicated log: one state change each (a client's request
//! for a service, with what the session layer established about its
//! caller, or a tick with its time), sealed under the cluster's log key.
//!
//! Every entry has one plaintext layout of [`ENTRY_LEN`] bytes and one
//! sealed size, [`SEALED_ENTRY_LEN`], whatever the service, the operation
//! and its outcome: the host stores and forwards ciphertext of one size.
//! Each is sealed with XChaCha20-Poly1305 under a fresh random 24-byte
//! nonce (two leaders may both propose a sequence number; a random nonce
//! never repeats under the key), and carries inside its sequence number
//! and the nonce of the entry before it, so a replica applies entries
//! exactly once, in the order they were chained.

use super::secret::ClusterSecret;
use crate::services::ServiceId;
use crate::services::tokens::CreditCounts;
use crate::session::proven_keys::{PROVEN_KEYS_LEN, ProvenKeys};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hush_wire::consts::{AEAD_TAG_LEN, REQUEST_LEN};
use zeroize::Zeroizing;

/// The longest request record of any service (the broker's).
pub const MAX_RECORD_LEN: usize = REQUEST_LEN;
/// Entry layout: kind, service, sequence number, time, the previous
/// entry's nonce, look-ups, credits (granted, used, tokens allowed,
/// tokens issued), keys, record.
mod offsets {
    pub const KIND: usize = 0;
    pub const SERVICE: usize = 1;
    pub const SEQ: usize = 2;
    pub const NOW: usize = 10;
    pub const PREV: usize = 18;
    pub const LOOKUPS: usize = PREV + super::ENTRY_NONCE_LEN;
    pub const CREDITS: usize = LOOKUPS + 4;
    pub const KEYS: usize = CREDITS + 16;
    pub const RECORD: usize = KEYS + super::PROVEN_KEYS_LEN;
}
/// Plaintext length of every entry.
pub const ENTRY_LEN: usize = offsets::RECORD + MAX_RECORD_LEN;
/// Length of an entry's nonce.
pub const ENTRY_NONCE_LEN: usize = 24;
/// Sealed length of every entry.
pub const SEALED_ENTRY_LEN: usize = ENTRY_NONCE_LEN + ENTRY_LEN + AEAD_TAG_LEN;
// The sizes docs/PROTOCOL.md and OPERATING.md give.
const _: () = assert!(ENTRY_LEN == 1_218 && SEALED_ENTRY_LEN == 1_258);
/// Associated data of every entry (domain separation).
/// (v2: the session's token counters grew to 16 bytes; a node of the
/// build before cannot misread an entry of this one, it refuses it.)
const ENTRY_AD: &[u8] = b"hush.cluster.log-entry.v2";
/// Purpose of the log key, derived from the cluster secret.
const LOG_KEY_PURPOSE: &str = "hush.cluster.log-key.v1";

const KIND_REQUEST: u8 = 1;
const KIND_TICK: u8 = 2;

/// What an entry changes.
#[derive(Clone, Debug)]
pub enum Change {
    /// A client's request record for `service`.
    Request {
        /// Which service.
        service: ServiceId,
        /// The session's proven keys when it was proposed.
        keys: ProvenKeys,
        /// The session's directory look-ups when it was proposed.
        lookups: u32,
        /// The session's token counters when it was proposed.
        credits: CreditCounts,
        /// The request record (the service's own length), wiped on drop.
        record: Zeroizing<Vec<u8>>,
    },
    /// The enclave's time moved forward: each service's background step.
    Tick,
}

/// An entry: its place in the log, the time it carries, and its change.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its sequence number (1, 2, ...): applied exactly once, in order.
    pub seq: u64,
    /// The nonce of the entry before it (zero for the first).
    pub prev: [u8; ENTRY_NONCE_LEN],
    /// The enclave time the services see when it is applied.
    pub now: u64,
    /// What it changes.
    pub change: Change,
}

/// Why an entry was refused. Nothing is applied on any of them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    /// Not an entry of this cluster (wrong length, tampered, another key).
    #[error("not a log entry of this cluster")]
    Unsealed,
    /// Opened, but its contents are not a valid entry (a bug in the sealer).
    #[error("malformed log entry")]
    Malformed,
}

fn service_code(s: ServiceId) -> u8 {
    match s {
        ServiceId::Broker => 0,
        ServiceId::Directory => 1,
        ServiceId::Rendezvous => 2,
        ServiceId::Tokens => 3,
    }
}

fn service_of(code: u8) -> Option<ServiceId> {
    ServiceId::ALL
        .into_iter()
        .find(|s| service_code(*s) == code)
}

/// Seals and opens entries under the cluster's log key.
pub struct LogKey(XChaCha20Poly1305);

impl LogKey {
    /// The log key of the cluster holding `secret`.
    pub fn new(secret: &ClusterSecret) -> Self {
        let key = secret.derive(LOG_KEY_PURPOSE);
        Self(XChaCha20Poly1305::new((&*key).into()))
    }

    /// Seals `entry` under a fresh nonce.
    pub fn seal(&self, entry: &Entry) -> Vec<u8> {
        let mut plain = Zeroizing::new(vec![0u8; ENTRY_LEN]);
        plain[offsets::SEQ..offsets::NOW].copy_from_slice(&entry.seq.to_le_bytes());
        plain[offsets::NOW..offsets::PREV].copy_from_slice(&entry.now.to_le_bytes());
        plain[offsets::PREV..offsets::LOOKUPS].copy_from_slice(&entry.prev);
        match &entry.change {
            Change::Request {
                service,
                keys,
                lookups,
                credits,
                record,
            } => {
                plain[offsets::KIND] = KIND_REQUEST;
                plain[offsets::SERVICE] = service_code(*service);
                plain[offsets::LOOKUPS..offsets::CREDITS].copy_from_slice(&lookups.to_le_bytes());
                for (i, c) in [
                    credits.granted,
                    credits.used,
                    credits.allowed,
                    credits.issued,
                ]
                .into_iter()
                .enumerate()
                {
                    let at = offsets::CREDITS + 4 * i;
                    plain[at..at + 4].copy_from_slice(&c.to_le_bytes());
                }
                plain[offsets::KEYS..offsets::RECORD].copy_from_slice(&keys.to_bytes());
                assert!(record.len() <= MAX_RECORD_LEN, "no record is longer");
                plain[offsets::RECORD..offsets::RECORD + record.len()].copy_from_slice(record);
            }
            Change::Tick => plain[offsets::KIND] = KIND_TICK,
        }
        let mut nonce = [0u8; ENTRY_NONCE_LEN];
        rand::Rng::fill(&mut rand::rng(), &mut nonce[..]);
        let ct = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: ENTRY_AD,
                },
            )
            .expect("sealing in memory cannot fail");
        let mut out = Vec::with_capacity(SEALED_ENTRY_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        debug_assert_eq!(out.len(), SEALED_ENTRY_LEN);
        out
    }

    /// The nonce a sealed entry was sealed under (its first bytes; whether
    /// the entry authenticates is [`Self::open`]'s to say).
    pub fn nonce_of(sealed: &[u8]) -> Option<[u8; ENTRY_NONCE_LEN]> {
        sealed.get(..ENTRY_NONCE_LEN)?.try_into().ok()
    }

    /// Opens a sealed entry. Returns it and its nonce (which tells a
    /// proposal apart from another one with the same sequence number).
    pub fn open(&self, sealed: &[u8]) -> Result<(Entry, [u8; ENTRY_NONCE_LEN]), EntryError> {
        if sealed.len() != SEALED_ENTRY_LEN {
            return Err(EntryError::Unsealed);
        }
        let nonce: [u8; ENTRY_NONCE_LEN] = sealed[..ENTRY_NONCE_LEN].try_into().expect("24 bytes");
        let plain = Zeroizing::new(
            self.0
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &sealed[ENTRY_NONCE_LEN..],
                        aad: ENTRY_AD,
                    },
                )
                .map_err(|_| EntryError::Unsealed)?,
        );
        let u64_at = |at: usize| u64::from_le_bytes(plain[at..at + 8].try_into().expect("8 bytes"));
        let seq = u64_at(offsets::SEQ);
        let now = u64_at(offsets::NOW);
        let prev = plain[offsets::PREV..offsets::LOOKUPS]
            .try_into()
            .expect("nonce");
        let change = match plain[offsets::KIND] {
            KIND_TICK => Change::Tick,
            KIND_REQUEST => {
                let service = service_of(plain[offsets::SERVICE]).ok_or(EntryError::Malformed)?;
                let len = crate::service::request_len(service);
                Change::Request {
                    service,
                    keys: ProvenKeys::from_bytes(
                        plain[offsets::KEYS..offsets::RECORD]
                            .try_into()
                            .expect("keys"),
                    )
                    .ok_or(EntryError::Malformed)?,
                    lookups: u32::from_le_bytes(
                        plain[offsets::LOOKUPS..offsets::CREDITS]
                            .try_into()
                            .expect("4 bytes"),
                    ),
                    credits: {
                        let at = |i: usize| {
                            let from = offsets::CREDITS + 4 * i;
                            u32::from_le_bytes(plain[from..from + 4].try_into().expect("4 bytes"))
                        };
                        CreditCounts {
                            granted: at(0),
                            used: at(1),
                            allowed: at(2),
                            issued: at(3),
                        }
                    },
                    record: Zeroizing::new(plain[offsets::RECORD..offsets::RECORD + len].to_vec()),
                }
            }
            _ => return Err(EntryError::Malformed),
        };
        Ok((
            Entry {
                seq,
                prev,
                now,
                change,
            },
            nonce,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's service, keys, look-ups, credits and record.
    type RequestFields = (u8, Vec<u8>, u32, CreditCounts, Vec<u8>);

    /// Everything an entry holds, comparable.
    fn fields(e: &Entry) -> (u64, [u8; 24], u64, Option<RequestFields>) {
        let change = match &e.change {
            Change::Tick => None,
            Change::Request {
                service,
                keys,
                lookups,
                credits,
                record,
            } => Some((
                service_code(*service),
                keys.to_bytes().to_vec(),
                *lookups,
                *credits,
                record.to_vec(),
            )),
        };
        (e.seq, e.prev, e.now, change)
    }

    #[test]
    fn entries_round_trip_at_one_size_and_refuse_other_keys_and_tampering() {
        let secret = ClusterSecret::generate();
        let key = LogKey::new(&secret);
        let request = Entry {
            seq: 7,
            prev: [3; 24],
            now: 1_000,
            change: Change::Request {
                service: ServiceId::Directory,
                keys: ProvenKeys::default(),
                lookups: 3,
                credits: CreditCounts {
                    granted: 100,
                    used: 42,
                    allowed: 16,
                    issued: 8,
                },
                record: Zeroizing::new(vec![5; crate::service::request_len(ServiceId::Directory)]),
            },
        };
        let tick = Entry {
            seq: 8,
            prev: [4; 24],
            now: 1_001,
            change: Change::Tick,
        };
        let (a, b) = (key.seal(&request), key.seal(&tick));
        assert_eq!((a.len(), b.len()), (SEALED_ENTRY_LEN, SEALED_ENTRY_LEN));
        assert_eq!(fields(&key.open(&a).unwrap().0), fields(&request));
        assert_eq!(fields(&key.open(&b).unwrap().0), fields(&tick));
        assert_ne!(key.seal(&tick), b, "a fresh nonce each time");
        let other = LogKey::new(&ClusterSecret::generate());
        assert_eq!(other.open(&a).unwrap_err(), EntryError::Unsealed);
        let mut bad = a.clone();
        bad[100] ^= 1;
        assert_eq!(key.open(&bad).unwrap_err(), EntryError::Unsealed);
        assert_eq!(key.open(&a[1..]).unwrap_err(), EntryError::Unsealed);
    }
}
