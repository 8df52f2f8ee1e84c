//! The enclave's one narrow interface to the host: bytes in, bytes out,
//! plus the time. [`EnclaveApi`] is all `hushd` sees; [`InProcessEnclave`]
//! implements it in the host's process today and can later be replaced by
//! an SGX or confidential-VM deployment without touching either side.

use crate::oram::RostlFactory;
use crate::session::noise::{self, StaticKey};
use crate::session::table::{Session, SessionTable};
use crate::session::{SessionError, key_proof};
use crate::store::{Store, StoreConfig};
use hush_attest::{AttestError, Evidence, ReportData};
use hush_wire::consts::{KEY_PROOF_REQUEST_LEN, MAX_KEYS_PER_SESSION, REQUEST_LEN};
use hush_wire::{
    FixedCodec, KeyProofRequest, KeyProofResponse, KeyProofStatus, RequestRecord, SessionId,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use subtle::{Choice, ConstantTimeEq};

/// The host's view of the enclave.
pub trait EnclaveApi: Send + Sync + 'static {
    /// Answers a client's first handshake message; opens a session.
    fn handshake(&self, init: &[u8]) -> Result<HandshakeReply, SessionError>;
    /// Handles a sealed key-proof request; returns a sealed response.
    fn prove_keys(&self, session: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError>;
    /// Handles a sealed broker request; returns a sealed response.
    fn query(&self, session: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError>;
    /// Gives the enclave the time (seconds since the epoch): runs the expiry
    /// sweep and expires idle sessions.
    fn tick(&self, now: u64);
    /// Coarse figures for the host's gauges.
    fn stats(&self) -> EnclaveStats;
}

/// A new session.
#[derive(Debug, Clone)]
pub struct HandshakeReply {
    /// The session's id.
    pub session: SessionId,
    /// The enclave's handshake message (carries the evidence).
    pub message: Vec<u8>,
}

/// Coarse, non-secret figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnclaveStats {
    /// Sessions open.
    pub sessions: usize,
    /// Message slots in use (live or awaiting the sweep).
    pub occupied_slots: u32,
    /// Store capacity.
    pub capacity: u32,
}

/// How the enclave attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationMode {
    /// In-process dev evidence (proves nothing; clients must opt in).
    Dev,
    /// The Linux TSM interface under the given configfs directory.
    Tsm(PathBuf),
}

/// Enclave settings.
#[derive(Debug, Clone)]
pub struct EnclaveConfig {
    /// Store limits.
    pub store: StoreConfig,
    /// Largest number of sessions.
    pub max_sessions: usize,
    /// Seconds of inactivity after which a session expires.
    pub session_idle_secs: u64,
    /// Evidence source.
    pub attestation: AttestationMode,
}

/// Why the enclave could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No evidence could be produced (e.g. `tsm` mode outside a TEE guest).
    #[error("cannot produce attestation evidence: {0}")]
    Attestation(#[from] AttestError),
    /// The Noise static key could not be generated.
    #[error("cannot generate the enclave's Noise key")]
    NoiseKey,
}

/// The trusted core running in the host's process.
pub struct InProcessEnclave {
    static_key: StaticKey,
    evidence: Vec<u8>,
    sessions: Mutex<SessionTable>,
    store: Mutex<Store>,
    now: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock is a bug; keep serving rather than
    // poisoning every later request.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl InProcessEnclave {
    /// Starts the enclave: generates its Noise static key, obtains evidence
    /// binding it, and builds an empty store.
    pub fn start(config: EnclaveConfig, now: u64) -> Result<Self, AttestError> {
        let static_key = StaticKey::generate()
            .map_err(|_| AttestError::Malformed("Noise key generation failed"))?;
        let report_data = ReportData::for_noise_key(static_key.public());
        let evidence: Evidence = match &config.attestation {
            AttestationMode::Dev => hush_attest::dev::produce(static_key.public()),
            AttestationMode::Tsm(root) => {
                hush_attest::tsm::TsmProducer::new(root).produce(&report_data)?
            }
        };
        let mut store = Store::new(config.store, &RostlFactory);
        store.tick(now);
        Ok(Self {
            static_key,
            evidence: evidence.encode(),
            sessions: Mutex::new(SessionTable::new(
                config.max_sessions,
                config.session_idle_secs,
            )),
            store: Mutex::new(store),
            now: AtomicU64::new(now),
        })
    }

    fn now(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    fn session(&self, id: &SessionId) -> Result<Arc<Session>, SessionError> {
        lock(&self.sessions)
            .get(id, self.now())
            .ok_or(SessionError::UnknownSession)
    }

    /// Opens a frame of `len` plaintext bytes, rejecting replays.
    fn open(
        &self,
        session: &Session,
        sealed: &[u8],
        len: usize,
    ) -> Result<(u64, zeroize::Zeroizing<Vec<u8>>), SessionError> {
        let (nonce, plain) = noise::open(&session.transport, sealed, len)?;
        if !lock(&session.replay).accept(nonce) {
            return Err(SessionError::Replay);
        }
        session.touch(self.now());
        Ok((nonce, plain))
    }
}

impl EnclaveApi for InProcessEnclave {
    fn handshake(&self, init: &[u8]) -> Result<HandshakeReply, SessionError> {
        let est = noise::respond(&self.static_key, init, &self.evidence)?;
        let id = SessionId(rand::random());
        let session = Arc::new(Session::new(est.transport, est.handshake_hash, self.now()));
        lock(&self.sessions).insert(id, session);
        Ok(HandshakeReply {
            session: id,
            message: est.reply,
        })
    }

    fn prove_keys(&self, id: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError> {
        let session = self.session(id)?;
        let (nonce, plain) = self.open(&session, sealed, KEY_PROOF_REQUEST_LEN)?;
        let mut keys = lock(&session.keys);
        let status = match KeyProofRequest::decode(&plain) {
            Err(_) => KeyProofStatus::Malformed,
            Ok(req)
                if !req
                    .proofs
                    .iter()
                    .all(|p| key_proof::verify(p, &session.handshake_hash)) =>
            {
                KeyProofStatus::InvalidProof
            }
            Ok(req) => {
                let mut merged = keys.clone();
                for p in &req.proofs {
                    if !merged.contains(&p.key) {
                        merged.push(p.key);
                    }
                }
                if merged.len() > MAX_KEYS_PER_SESSION {
                    KeyProofStatus::TooManyKeys
                } else {
                    *keys = merged;
                    session.mark_proven();
                    KeyProofStatus::Ok
                }
            }
        };
        let response = KeyProofResponse {
            status,
            keys_proven: keys.len() as u8,
        };
        Ok(noise::seal(&session.transport, nonce, &response.encode()))
    }

    fn query(&self, id: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError> {
        let session = self.session(id)?;
        let (nonce, plain) = self.open(&session, sealed, REQUEST_LEN)?;
        let record = RequestRecord::from_bytes(&plain).expect("opened frame has the record length");
        // Constant time over every key slot: is the acting-as key proven?
        let mut proven = Choice::from(0);
        {
            let keys = lock(&session.keys);
            for slot in 0..MAX_KEYS_PER_SESSION {
                let (k, used) = match keys.get(slot) {
                    Some(k) => (*k.as_bytes(), Choice::from(1)),
                    None => ([0u8; 32], Choice::from(0)),
                };
                proven |= used & k.ct_eq(record.acting_as());
            }
        }
        let response = lock(&self.store).execute_authorized(&record, proven, self.now());
        Ok(noise::seal(&session.transport, nonce, response.as_bytes()))
    }

    fn tick(&self, now: u64) {
        let now = self.now.fetch_max(now, Ordering::Relaxed).max(now);
        lock(&self.store).tick(now);
        lock(&self.sessions).expire(now);
    }

    fn stats(&self) -> EnclaveStats {
        let store = lock(&self.store);
        EnclaveStats {
            sessions: lock(&self.sessions).len(),
            occupied_slots: store.occupied_slots(),
            capacity: store.config().capacity,
        }
    }
}
