//! The enclave's one narrow interface to the host: bytes in, bytes out,
//! plus the time. [`EnclaveApi`] is all `hushd` sees; [`InProcessEnclave`]
//! implements it in the host's process today and can later be replaced by
//! an SGX or confidential-VM deployment without touching either side.

use crate::cluster::ClusterSecret;
use crate::cluster::join::{Admission, JoinError, Joiner, JoinerAwaitingSecret};
use crate::cluster::log::{Change, Entry, LogKey};
use crate::cluster::peer_auth::{PEER_AUTH_LEN, PeerAuthError, PeerKey};
use crate::cluster::replica::{ApplyError, Pending, Replica};
use crate::cluster::snapshot::{Counter, Reader, SnapshotError, Visit, Writer};
use crate::message_stage::{MessageStage, Ticket};
use crate::opened_query::{AnswerToSeal, OpenedQuery};
use crate::oram::DefaultFactory;
use crate::services::blobs::{BlobConfig, Blobs, ReadPlan, StoredObject};
use crate::services::broker::Authority;
use crate::services::broker::Store as BrokerStore;
use crate::services::directory::delivery::{
    Deliveries, DeliveryConfig, DeliveryError, DeliveryIo, DeliveryStart,
};
use crate::services::directory::{Directory, DirectoryConfig, Verification};
use crate::services::rendezvous::{Rendezvous, RendezvousConfig};
use crate::services::tokens::{TokenConfig, Tokens};
use crate::services::{Caller, Credits, ServiceId, TrustedService};
use crate::session::SessionError;
use crate::session::key_proof::{self, DummyProofs};
use crate::session::noise::{self, StaticKey};
use crate::session::table::{Session, SessionTable};
use crate::{Store, StoreConfig};
use hush_attest::{AttestError, Evidence, ReportData};
use hush_wire::blob_transfer::{
    BLOB_REQUEST_LEN, BlobAnswer, BlobOp, BlobStatus, TransferKey, body_len,
};
use hush_wire::consts::KEY_PROOF_REQUEST_LEN;
use hush_wire::{KeyProofResponse, KeyProofStatus, RequestRecord, SessionId};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use subtle::ConditionallySelectable;

/// The host's view of the enclave.
pub trait EnclaveApi: Send + Sync + 'static {
    /// Answers a client's first handshake message; opens a session.
    fn handshake(&self, init: &[u8]) -> Result<HandshakeReply, SessionError>;
    /// Handles a sealed key-proof request; returns a sealed response.
    fn prove_keys(&self, session: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError>;
    /// Handles a sealed request for `service`; returns a sealed response.
    /// Each service has its own fixed request and response lengths.
    fn call(
        &self,
        service: ServiceId,
        session: &SessionId,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SessionError>;
    /// Begins a sealed broker request: makes its accesses that decide
    /// everything, and returns the ticket that [`EnclaveApi::finish_query`]
    /// finishes it with (`message_stage.rs`). Together the same as
    /// [`EnclaveApi::query`], in two calls that two threads can make.
    fn begin_query(&self, session: &SessionId, sealed: &[u8]) -> Result<Ticket, SessionError>;
    /// Finishes a begun broker request (its message slot's access) and
    /// returns its sealed response. Message steps run in the order their
    /// requests began, whatever order tickets are finished in.
    fn finish_query(&self, ticket: Ticket) -> Result<Vec<u8>, SessionError>;
    /// [`EnclaveApi::begin_query`] for a request already opened by
    /// [`EnclaveApi::open_query`] (on another thread).
    fn begin_opened(&self, query: OpenedQuery) -> Result<Ticket, SessionError>;
    /// Handles a sealed broker request; returns a sealed response. The
    /// same as [`EnclaveApi::open_query`], [`EnclaveApi::execute_query`]
    /// and [`EnclaveApi::seal_answer`] in one call.
    fn query(&self, session: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError> {
        self.call(ServiceId::Broker, session, sealed)
    }
    /// Opens a sealed broker request without touching the store: callable
    /// from any thread, alongside the store's (`opened_query.rs`).
    fn open_query(&self, session: &SessionId, sealed: &[u8]) -> Result<OpenedQuery, SessionError>;
    /// Runs an opened broker request against the store; its answer is
    /// still to seal.
    fn execute_query(&self, query: OpenedQuery) -> Result<AnswerToSeal, SessionError>;
    /// Seals a broker answer for its session: callable from any thread.
    fn seal_answer(&self, answer: AnswerToSeal) -> Vec<u8>;
    /// Verification codes the directory wants delivered (an identifier and
    /// a code each). They come out on the tick, never with the request
    /// that made them (see `services::directory::outbox`).
    fn take_verifications(&self) -> Vec<Verification>;
    /// Gives the enclave the time (seconds since the epoch): expires idle
    /// sessions and, if the enclave's time moved forward, runs each
    /// service's background work once (the broker's expiry sweep step). The enclave's time never goes back, and the host
    /// cannot make the sweep run faster than one step per second of that
    /// time by calling this more often.
    fn tick(&self, now: u64);
    /// Runs the next slice of the broker's expiry sweep for the current
    /// tick, if one is owed: each tick's sweep comes in
    /// [`crate::services::broker::SWEEP_SLICES`] slices, the first with the
    /// tick and the others on these calls, so no request waits behind a
    /// whole tick. A host that never calls this gets whole ticks, one tick
    /// late; calling it more often than that runs nothing more.
    fn sweep_slice(&self);
    /// Coarse figures for the host's gauges; none moves with a request.
    fn stats(&self) -> EnclaveStats;
    /// The evidence every handshake carries, for publishing (as Fog's
    /// report server did): public, the same until the enclave restarts.
    fn published_evidence(&self) -> PublishedEvidence;

    /// Replication ([`crate::cluster`]): see [`InProcessEnclave::propose`].
    fn propose(
        &self,
        service: ServiceId,
        session: &SessionId,
        sealed: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Proposal, ProposeError>;
    /// See [`InProcessEnclave::propose_tick`].
    fn propose_tick(&self, now: u64, after: Option<&[u8]>) -> Result<Proposal, ApplyError>;
    /// See [`InProcessEnclave::apply`].
    fn apply(&self, sealed_entry: &[u8]) -> Result<Applied, ApplyError>;
    /// See [`InProcessEnclave::snapshot`].
    fn snapshot(&self) -> Result<SealedSnapshot, SnapshotError>;
    /// See [`InProcessEnclave::install_snapshot`].
    fn install_snapshot(&self, sealed: &[u8]) -> Result<u64, SnapshotError>;
    /// See [`InProcessEnclave::found_cluster`].
    fn found_cluster(&self) -> Result<(), JoinError>;
    /// See [`InProcessEnclave::join_start`].
    fn join_start(&self) -> Result<Vec<u8>, JoinError>;
    /// See [`InProcessEnclave::join_reply`].
    fn join_reply(&self, reply: &[u8]) -> Result<Vec<u8>, JoinError>;
    /// See [`InProcessEnclave::join_finish`].
    fn join_finish(&self, frame: &[u8]) -> Result<(), JoinError>;
    /// See [`InProcessEnclave::admit_start`].
    fn admit_start(&self, hello: &[u8]) -> Result<(u64, Vec<u8>), JoinError>;
    /// See [`InProcessEnclave::admit_finish`].
    fn admit_finish(&self, id: u64, proof: &[u8]) -> Result<Vec<u8>, JoinError>;
    /// See [`InProcessEnclave::peer_authenticate`].
    fn peer_authenticate(&self, parts: &[&[u8]]) -> Result<[u8; PEER_AUTH_LEN], PeerAuthError>;
    /// See [`InProcessEnclave::peer_check`].
    fn peer_check(&self, parts: &[&[u8]], auth: &[u8]) -> Result<(), PeerAuthError>;

    /// Attachments ([`crate::services::blobs`]): a sealed upload request
    /// and its body; returns the sealed answer. The blob joins its class's
    /// mix.
    fn blob_upload(
        &self,
        session: &SessionId,
        sealed: &[u8],
        body: &mut [u8],
    ) -> Result<Vec<u8>, SessionError>;
    /// A sealed download request, first half: which stored object the host
    /// must fetch (and then delete), or the answer at once (BUSY).
    fn blob_download_begin(
        &self,
        session: &SessionId,
        sealed: &[u8],
    ) -> Result<BlobStep, SessionError>;
    /// Second half: the object fetched (none if the plan named none or
    /// the store lost it); returns the sealed answer and the body.
    fn blob_download_finish(
        &self,
        ticket: u64,
        object: Option<&[u8]>,
    ) -> Result<(Vec<u8>, Vec<u8>), SessionError>;
    /// Objects the blob service wrote (its mixes, on the tick), for the
    /// host to store.
    fn take_blob_writes(&self) -> Vec<StoredObject>;
    /// Verification codes the enclave delivers itself over TLS
    /// ([`crate::services::directory::delivery`]): the connections the
    /// host must open, made with the codes' batch (call after
    /// [`EnclaveApi::take_verifications`]).
    fn take_deliveries(&self) -> Vec<DeliveryStart>;
    /// One round of a delivery: the provider's bytes in, TLS records out.
    fn delivery_io(&self, id: u64, incoming: &[u8]) -> Result<DeliveryIo, DeliveryError>;
}

/// Where a download stands after its first half.
#[derive(Debug)]
pub enum BlobStep {
    /// Answered already (BUSY, or a malformed request): the sealed answer
    /// and a body of the class's length.
    Answered {
        /// The sealed [`hush_wire::blob_transfer::BlobAnswer`].
        answer: Vec<u8>,
        /// Zeros.
        body: Vec<u8>,
    },
    /// Fetch `read` from the store, delete it there, then call
    /// [`EnclaveApi::blob_download_finish`] with `ticket`.
    Fetch(ReadPlan),
}

/// What the enclave publishes about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedEvidence {
    /// The encoded evidence, with its collateral.
    pub evidence: Vec<u8>,
    /// The Noise static public key the evidence binds.
    pub noise_static_key: [u8; 32],
    /// This run's epoch (derived from that key).
    pub epoch: u64,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct HandshakeReply {
    /// The session's id.
    pub session: SessionId,
    /// The enclave's handshake message (carries the evidence).
    pub message: Vec<u8>,
}

/// Coarse figures the host may show. Each is either public already or
/// changes only on the public sweep schedule (see docs/LEAKAGE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnclaveStats {
    /// Sessions open (the host knows every handshake, and eviction and
    /// idle expiry depend only on what it sees).
    pub sessions: usize,
    /// Store occupancy in steps of 1/[`crate::OCCUPANCY_STEPS`] of capacity, as of
    /// the end of the last complete sweep pass
    /// ([`Store::published_occupancy`]).
    pub occupancy_steps: u8,
    /// Store capacity (configuration, public).
    pub capacity: u32,
}

/// How the enclave attests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationMode {
    /// In-process dev evidence (proves nothing; clients must opt in).
    Dev,
    /// The Linux TSM interface (TDX, SEV-SNP) under the given configfs
    /// directory.
    Tsm(PathBuf),
    /// Gramine's `/dev/attestation` (SGX DCAP) under the given directory.
    Gramine(PathBuf),
}

/// Enclave settings.
#[derive(Debug, Clone)]
pub struct EnclaveConfig {
    /// Store limits.
    pub store: StoreConfig,
    /// Directory limits.
    pub directory: DirectoryConfig,
    /// Rendezvous limits.
    pub rendezvous: RendezvousConfig,
    /// Attachment limits.
    pub blobs: BlobConfig,
    /// Privacy Pass tokens: whether writes need them, whose count.
    pub tokens: TokenConfig,
    /// Providers the enclave delivers verification codes to over TLS
    /// itself (none: with dev attestation the host's senders get them;
    /// with hardware attestation codes of a kind with no provider never
    /// leave the enclave).
    pub delivery: Option<DeliveryConfig>,
    /// Largest number of sessions.
    pub max_sessions: usize,
    /// Seconds of inactivity after which a session expires.
    pub session_idle_secs: u64,
    /// Evidence source.
    pub attestation: AttestationMode,
    /// The operator's collateral for hardware evidence (a file, or a
    /// directory: see [`hush_attest::collateral::load`]), handed to
    /// clients with the evidence so they can verify it offline.
    pub collateral: Option<PathBuf>,
    /// What a peer's evidence must satisfy to join this enclave's cluster,
    /// or to hand it the cluster secret ([`crate::cluster::join`]); none:
    /// no joins. In a TEE deployment this is part of the measured
    /// configuration, never something the host chooses per call.
    pub peer_policy: Option<hush_attest::Policy>,
}

#[cfg(any(test, feature = "test-util"))]
impl EnclaveConfig {
    /// A small enclave for tests (this crate's, and other crates' through
    /// the `test-util` feature): this store, 16-entry directory and
    /// rendezvous services (codes leave the directory on every tick), 64
    /// attachments written on every tick, `max_sessions` sessions that expire after
    /// `session_idle_secs` idle, development evidence, no joins.
    pub fn small(store: StoreConfig, max_sessions: usize, session_idle_secs: u64) -> Self {
        Self {
            store,
            directory: DirectoryConfig {
                code_release_requests: 1,
                code_release_secs: 1,
                ..DirectoryConfig::new(16).expect("16 accounts is a valid directory")
            },
            rendezvous: RendezvousConfig::new(16).expect("16 computations is valid"),
            blobs: BlobConfig {
                mix: 1,
                ..BlobConfig::new(64, store.ttl_secs)
            },
            tokens: TokenConfig::default(),
            delivery: None,
            max_sessions,
            session_idle_secs,
            attestation: AttestationMode::Dev,
            collateral: None,
            peer_policy: None,
        }
    }
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
    published: PublishedEvidence,
    sessions: Mutex<SessionTable>,
    store: Mutex<Store>,
    /// Broker requests begun and not yet finished (`message_stage.rs`).
    stage: MessageStage,
    directory: Mutex<Directory>,
    rendezvous: Mutex<Rendezvous>,
    tokens: Mutex<Tokens>,
    /// Writes need credits (public configuration).
    tokens_required: bool,
    /// The enclave's time: the largest the host has passed to `tick`. A
    /// sweep step runs exactly when it moves forward.
    now: AtomicU64,
    dummies: DummyProofs,
    /// Attachments (not replicated: each node mixes and stores its own).
    blobs: Mutex<Blobs>,
    /// Codes delivered over TLS from here, and whether the host may
    /// receive the others (dev attestation only).
    deliveries: Mutex<Option<Deliveries>>,
    host_may_read_codes: bool,
    /// Downloads half-way: their session and request nonce, by ticket.
    blob_reads: Mutex<std::collections::BTreeMap<u64, (Arc<Session>, u64)>>,
    /// Set when this enclave is a replica of a cluster: requests then go
    /// through the replicated log ([`Self::propose`], [`Self::apply`]).
    replica: Mutex<Option<Replica>>,
    /// The cluster secret, once this enclave has one (to admit others).
    cluster_secret: Mutex<Option<ClusterSecret>>,
    /// The key of peer messages' tags, set with the cluster secret.
    peer_key: OnceLock<PeerKey>,
    /// The services' limits (to rebuild them for a cluster).
    limits: (StoreConfig, DirectoryConfig, RendezvousConfig, TokenConfig),
    /// What peers' evidence must satisfy (none: no joins).
    peer_policy: Option<hush_attest::Policy>,
    /// This enclave's join in progress, if any.
    joining: Mutex<Option<JoinState>>,
    /// Joins this enclave is admitting, by the host's handle.
    admissions: Mutex<std::collections::BTreeMap<u64, Admission>>,
    next_admission: AtomicU64,
}

/// Where this enclave's own join stands.
enum JoinState {
    Started(Box<Joiner>),
    AwaitingSecret(JoinerAwaitingSecret),
}

/// Joins admitted at once at most (the oldest is dropped beyond).
const MAX_ADMISSIONS: usize = 8;

/// Why a request could not be proposed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProposeError {
    /// The client's session or frame was refused.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Not a replica, or the log tail named is not usable.
    #[error(transparent)]
    Log(#[from] ApplyError),
}

/// A proposal: the sealed entry for the host to replicate.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// Its sequence number.
    pub seq: u64,
    /// The sealed entry ([`crate::cluster::SEALED_ENTRY_LEN`] bytes).
    pub entry: Vec<u8>,
}

/// A replica's state, sealed ([`crate::cluster::snapshot`]).
#[derive(Debug, Clone)]
pub struct SealedSnapshot {
    /// The last entry it includes.
    pub seq: u64,
    /// The sealed state; its length depends on the configuration alone.
    pub sealed: Vec<u8>,
}

/// An applied entry.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Its sequence number.
    pub seq: u64,
    /// The sealed answer for the client whose request this replica
    /// proposed, with its session (none on other replicas, for ticks, for
    /// a proposal another leader's entry superseded, or once the session
    /// is gone).
    pub reply: Option<(SessionId, Vec<u8>)>,
}

/// The plaintext request length of `service`.
pub fn request_len(service: ServiceId) -> usize {
    match service {
        ServiceId::Broker => BrokerStore::REQUEST_LEN,
        ServiceId::Directory => Directory::REQUEST_LEN,
        ServiceId::Rendezvous => Rendezvous::REQUEST_LEN,
        ServiceId::Tokens => Tokens::REQUEST_LEN,
    }
}

/// Where a fresh enclave's service secrets come from.
enum Secrets<'a> {
    /// One node: fresh random secrets, epoch from its own key.
    Fresh,
    /// A replica: derived from the cluster secret, the cluster's epoch.
    Cluster(&'a ClusterSecret),
}

/// Purposes of the secrets derived from the cluster secret.
const BROKER_SECRET: &str = "hush.cluster.broker-hash.v1";
const DIRECTORY_SECRET: &str = "hush.cluster.directory-hash.v1";
const RENDEZVOUS_SECRET: &str = "hush.cluster.rendezvous-hash.v1";
const TOKENS_SECRET: &str = "hush.cluster.tokens-hash.v1";
const EPOCH_PURPOSE: &str = "hush.cluster.epoch.v1";

/// The epoch of the cluster holding `secret`: the same on every replica.
pub fn cluster_epoch(secret: &ClusterSecret) -> u64 {
    u64::from_le_bytes(
        secret.derive(EPOCH_PURPOSE)[..8]
            .try_into()
            .expect("8 bytes"),
    )
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
        Self::build(config, now, Secrets::Fresh)
    }

    /// Starts a replica of the cluster holding `secret` (handed over by
    /// [`crate::cluster::join`], or made by the cluster's first node): its
    /// services' secrets and its rendezvous epoch come from the cluster
    /// secret, and its state changes only by applied log entries.
    pub fn start_replica(
        config: EnclaveConfig,
        now: u64,
        secret: &ClusterSecret,
    ) -> Result<Self, AttestError> {
        Self::build(config, now, Secrets::Cluster(secret))
    }

    fn build(
        mut config: EnclaveConfig,
        now: u64,
        secrets: Secrets<'_>,
    ) -> Result<Self, AttestError> {
        if config.attestation != AttestationMode::Dev {
            // The host configures the enclave; with evidence that means
            // something, it cannot shrink the codes' anonymity set.
            let d = &mut config.directory;
            d.code_release_requests = d
                .code_release_requests
                .max(crate::MIN_ATTESTED_CODE_RELEASE_REQUESTS);
            // Nor shrink an attachment's mix.
            config.blobs.mix = config
                .blobs
                .mix
                .max(crate::services::blobs::MIN_ATTESTED_MIX);
        }
        // The directory grants what the token service issues: one setting.
        config.directory.tokens_per_day = config.tokens.directory_tokens_per_day;
        config.tokens.directory_accounts = config.directory.max_accounts;
        let static_key = StaticKey::generate()
            .map_err(|_| AttestError::Malformed("Noise key generation failed"))?;
        let report_data = ReportData::for_noise_key(static_key.public());
        let mut evidence: Evidence = match &config.attestation {
            AttestationMode::Dev => hush_attest::dev::produce(static_key.public()),
            AttestationMode::Tsm(root) => {
                hush_attest::tsm::TsmProducer::new(root).produce(&report_data)?
            }
            AttestationMode::Gramine(root) => {
                hush_attest::gramine::GramineProducer::new(root).produce(&report_data)?
            }
        };
        if let Some(path) = &config.collateral {
            evidence.collateral = hush_attest::collateral::load(path, evidence.format)?;
        }
        let published = PublishedEvidence {
            evidence: evidence.encode(),
            noise_static_key: *static_key.public(),
            epoch: hush_attest::epoch_of(static_key.public()),
        };
        config
            .tokens
            .validate()
            .map_err(|_| AttestError::Malformed("the token configuration"))?;
        let tokens = match secrets {
            Secrets::Fresh => Tokens::new(config.tokens.clone(), &DefaultFactory),
            Secrets::Cluster(secret) => Tokens::with_secret(
                config.tokens.clone(),
                &DefaultFactory,
                *secret.derive(TOKENS_SECRET),
            ),
        };
        let (store, directory, rendezvous, replica) = match secrets {
            Secrets::Fresh => {
                let mut store = Store::new(config.store, &DefaultFactory);
                store.tick(now);
                let epoch = hush_attest::epoch_of(static_key.public());
                (
                    store,
                    Directory::new(config.directory, &DefaultFactory),
                    Rendezvous::new(config.rendezvous, &DefaultFactory, epoch),
                    None,
                )
            }
            Secrets::Cluster(secret) => (
                // No tick: a replica's services see only the log's time.
                Store::with_secret(config.store, &DefaultFactory, *secret.derive(BROKER_SECRET)),
                Directory::with_secret(
                    config.directory,
                    &DefaultFactory,
                    *secret.derive(DIRECTORY_SECRET),
                ),
                Rendezvous::with_secret(
                    config.rendezvous,
                    &DefaultFactory,
                    *secret.derive(RENDEZVOUS_SECRET),
                    cluster_epoch(secret),
                ),
                Some(Replica::new(secret)),
            ),
        };
        Ok(Self {
            static_key,
            evidence: evidence.encode(),
            published,
            sessions: Mutex::new(SessionTable::new(
                config.max_sessions,
                config.session_idle_secs,
            )),
            store: Mutex::new(store),
            stage: MessageStage::default(),
            directory: Mutex::new(directory),
            rendezvous: Mutex::new(rendezvous),
            tokens: Mutex::new(tokens),
            tokens_required: config.tokens.require,
            now: AtomicU64::new(now),
            dummies: DummyProofs::generate(),
            blobs: Mutex::new({
                let mut b = Blobs::new(config.blobs);
                b.tick(now);
                b
            }),
            blob_reads: Mutex::new(std::collections::BTreeMap::new()),
            deliveries: Mutex::new(match config.delivery.clone() {
                Some(d) => Some(
                    Deliveries::new(d)
                        .map_err(|_| AttestError::Malformed("the code delivery configuration"))?,
                ),
                None => None,
            }),
            host_may_read_codes: config.attestation == AttestationMode::Dev,
            replica: Mutex::new(replica),
            cluster_secret: Mutex::new(match secrets {
                Secrets::Cluster(secret) => Some(ClusterSecret::from_bytes(*secret.as_bytes())),
                Secrets::Fresh => None,
            }),
            peer_key: match secrets {
                Secrets::Cluster(secret) => OnceLock::from(PeerKey::new(secret)),
                Secrets::Fresh => OnceLock::new(),
            },
            limits: (
                config.store,
                config.directory,
                config.rendezvous,
                config.tokens.clone(),
            ),
            peer_policy: config.peer_policy,
            joining: Mutex::new(None),
            admissions: Mutex::new(std::collections::BTreeMap::new()),
            next_admission: AtomicU64::new(0),
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

    /// Opens a frame for service `S`, executes it, seals the answer.
    fn serve<S: TrustedService>(
        &self,
        service: &Mutex<S>,
        id: &SessionId,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        let session = self.session(id)?;
        let (nonce, plain) = self.open(&session, sealed, S::REQUEST_LEN)?;
        if S::ID == ServiceId::Tokens {
            session.mark_tokened();
        }
        // A copy of the proven keys: a key proof being merged never waits
        // for a request, nor a request for a merge.
        let keys = *lock(&session.keys);
        let caller = Caller {
            keys: &keys,
            lookups: &session.lookups,
            credits: &session.credits,
            tokens_required: self.tokens_required,
        };
        let response = lock(service).execute(&plain, &caller, self.now());
        debug_assert_eq!(response.len(), S::RESPONSE_LEN);
        Ok(noise::seal(&session.transport, nonce, &response))
    }
}

impl InProcessEnclave {
    /// Opens a broker frame: its session, nonce and record, and whether
    /// the session has proven the key the record acts as.
    fn open_broker(&self, id: &SessionId, sealed: &[u8]) -> Result<OpenedQuery, SessionError> {
        let session = self.session(id)?;
        let (nonce, plain) = self.open(&session, sealed, <Store as TrustedService>::REQUEST_LEN)?;
        let keys = *lock(&session.keys);
        let record = RequestRecord::from_bytes(&plain).expect("opened at the request length");
        let authority = Authority::of(
            &record,
            &Caller {
                keys: &keys,
                lookups: &session.lookups,
                credits: &session.credits,
                tokens_required: self.tokens_required,
            },
        );
        Ok(OpenedQuery {
            session,
            nonce,
            record,
            authority,
        })
    }

    /// A broker request's first four accesses; its message step waits in
    /// [`MessageStage`] for its ticket (`message_stage.rs`).
    fn begin_broker(&self, q: OpenedQuery) -> Ticket {
        let mut store = lock(&self.store);
        let step = store.begin(&q.record, q.authority, self.now());
        // Queued while the store is held: steps queue in the order they began.
        self.stage
            .push(step, store.shared_messages(), q.session, q.nonce)
    }

    /// Message slots in use (secret; for tests only).
    #[cfg(test)]
    pub(crate) fn occupied_slots_for_tests(&self) -> u32 {
        lock(&self.store).occupied_slots()
    }

    /// Broker requests begun and not finished (for tests only).
    #[cfg(test)]
    pub(crate) fn unfinished_for_tests(&self) -> usize {
        self.stage.unfinished()
    }

    /// A broker request in one call: its four first accesses and its
    /// message step under the store's lock, after any step begun before
    /// it (by [`EnclaveApi::begin_query`]).
    fn serve_broker(&self, id: &SessionId, sealed: &[u8]) -> Result<Vec<u8>, SessionError> {
        let opened = self.open_broker(id, sealed)?;
        Ok(seal_broker(self.execute_broker(opened)))
    }

    /// An opened broker request's accesses, under the store's lock after
    /// any step begun before it.
    fn execute_broker(&self, q: OpenedQuery) -> AnswerToSeal {
        let response = self
            .store_settled()
            .execute_authorized(&q.record, q.authority, self.now());
        AnswerToSeal {
            session: q.session,
            nonce: q.nonce,
            response,
        }
    }

    /// The broker's store, with every begun request's message step run:
    /// for anything that touches the message array outside a request.
    fn store_settled(&self) -> MutexGuard<'_, Store> {
        let store = lock(&self.store);
        self.stage.run_all();
        store
    }
}

/// Seals a broker answer for its session, under its request's nonce.
fn seal_broker(a: AnswerToSeal) -> Vec<u8> {
    noise::seal(&a.session.transport, a.nonce, a.response.as_bytes())
}

/// The replicated log's side of the enclave: only on a replica
/// ([`InProcessEnclave::start_replica`]).
impl InProcessEnclave {
    fn replica(&self) -> Result<MutexGuard<'_, Option<Replica>>, ApplyError> {
        let guard = lock(&self.replica);
        if guard.is_some() {
            Ok(guard)
        } else {
            Err(ApplyError::NotReplica)
        }
    }

    fn is_replica(&self) -> bool {
        lock(&self.replica).is_some()
    }

    /// As the leader: opens a client's sealed request for `service` and
    /// returns it as a sealed log entry, with what the session established
    /// about its caller. The client is answered when that entry is applied
    /// here ([`Self::apply`]). `after` is the last entry of the leader's
    /// log (none when its log holds no entry past what this replica has
    /// applied, as after a snapshot): the proposal chains after it, so the
    /// host appends proposals in the order it made them.
    ///
    /// The session's directory look-ups are counted as of the proposal: two
    /// look-ups of one session in flight together count from the same
    /// figure (the per-account daily limit, replicated state, still holds).
    pub fn propose(
        &self,
        service: ServiceId,
        id: &SessionId,
        sealed: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Proposal, ProposeError> {
        let mut guard = self.replica()?;
        let replica = guard.as_mut().expect("checked");
        let (seq, prev) = replica.place_after(after)?;
        let session = self.session(id)?;
        let (client_nonce, plain) = self.open(&session, sealed, request_len(service))?;
        if service == ServiceId::Tokens {
            session.mark_tokened();
        }
        let entry = Entry {
            seq,
            prev,
            now: self.now(),
            change: Change::Request {
                service,
                keys: *lock(&session.keys),
                lookups: session.lookups.load(Ordering::Relaxed),
                credits: session.credits.counts(),
                record: zeroize::Zeroizing::new(plain.to_vec()),
            },
        };
        let sealed_entry = replica.key.seal(&entry);
        let nonce = LogKey::nonce_of(&sealed_entry).expect("a sealed entry starts with its nonce");
        replica.remember(
            seq,
            Pending {
                nonce,
                session: *id,
                client_nonce,
            },
        );
        Ok(Proposal {
            seq,
            entry: sealed_entry,
        })
    }

    /// As the leader: the enclave's time moved to `now` (the host's clock,
    /// given by [`EnclaveApi::tick`] too): an entry that runs each
    /// service's background step on every replica at that time.
    pub fn propose_tick(&self, now: u64, after: Option<&[u8]>) -> Result<Proposal, ApplyError> {
        let mut guard = self.replica()?;
        let replica = guard.as_mut().expect("checked");
        let (seq, prev) = replica.place_after(after)?;
        let now = self.now().max(now);
        let entry = replica.key.seal(&Entry {
            seq,
            prev,
            now,
            change: Change::Tick,
        });
        Ok(Proposal { seq, entry })
    }

    /// Applies the next entry of the log (every replica, leader included,
    /// in log order, once a quorum holds it). Returns the sealed answer
    /// for the client, if this replica proposed the entry.
    pub fn apply(&self, sealed_entry: &[u8]) -> Result<Applied, ApplyError> {
        let mut guard = self.replica()?;
        let replica = guard.as_mut().expect("checked");
        let (entry, nonce) = replica.key.open(sealed_entry)?;
        replica.check_next(&entry)?;
        let response = match &entry.change {
            Change::Tick => {
                self.store_settled().tick(entry.now);
                lock(&self.directory).tick(entry.now);
                TrustedService::tick(&mut *lock(&self.rendezvous), entry.now);
                None
            }
            Change::Request {
                service,
                keys,
                lookups,
                credits,
                record,
            } => {
                let lookups = AtomicU32::new(*lookups);
                let credits = Credits::new(*credits);
                let caller = Caller {
                    keys,
                    lookups: &lookups,
                    credits: &credits,
                    tokens_required: self.tokens_required,
                };
                fn run<S: TrustedService>(
                    s: &Mutex<S>,
                    record: &[u8],
                    caller: &Caller<'_>,
                    now: u64,
                ) -> Vec<u8> {
                    TrustedService::execute(&mut *lock(s), record, caller, now)
                }
                let response = match service {
                    ServiceId::Broker => run(&self.store, record, &caller, entry.now),
                    ServiceId::Directory => run(&self.directory, record, &caller, entry.now),
                    ServiceId::Rendezvous => run(&self.rendezvous, record, &caller, entry.now),
                    ServiceId::Tokens => run(&self.tokens, record, &caller, entry.now),
                };
                Some((response, lookups.into_inner(), credits.counts()))
            }
        };
        let mine = replica.mark_applied(entry.seq, &nonce);
        let reply = match (mine, response) {
            (Some(p), Some((response, lookups, counts))) => {
                // The session may have expired meanwhile: then no answer.
                lock(&self.sessions)
                    .get(&p.session, self.now())
                    .map(|session| {
                        session.lookups.fetch_max(lookups, Ordering::Relaxed);
                        session.credits.merge(counts);
                        (
                            p.session,
                            noise::seal(&session.transport, p.client_nonce, &response),
                        )
                    })
            }
            _ => None,
        };
        Ok(Applied {
            seq: entry.seq,
            reply,
        })
    }

    /// The last log entry this replica applied (0 before any, or when it
    /// is not a replica).
    pub fn applied_seq(&self) -> u64 {
        lock(&self.replica).as_ref().map_or(0, Replica::applied)
    }

    /// The cluster's epoch, if this is a replica (every computation id
    /// the rendezvous service makes carries it).
    pub fn cluster_epoch(&self) -> Option<u64> {
        self.is_replica().then(|| lock(&self.rendezvous).epoch())
    }

    /// Seals this replica's whole replicated state, as of the last entry
    /// applied (see [`crate::cluster::snapshot`]). Every oblivious array is
    /// read whole in index order, so the host sees the same accesses and
    /// the same length whatever the services hold.
    pub fn snapshot(&self) -> Result<SealedSnapshot, SnapshotError> {
        let mut guard = lock(&self.replica);
        let replica = guard.as_mut().ok_or(SnapshotError::NotReplica)?;
        let mut plain = Writer::default();
        self.visit_state(replica, &mut plain);
        Ok(SealedSnapshot {
            seq: replica.applied(),
            sealed: replica.snapshot_key.seal(&plain.0),
        })
    }

    /// Replaces this replica's state by a snapshot of its cluster's; the
    /// next entry it applies is the one after the snapshot's last. Returns
    /// that last entry's sequence number. A snapshot of another cluster,
    /// or of another configuration, is refused and nothing changes.
    pub fn install_snapshot(&self, sealed: &[u8]) -> Result<u64, SnapshotError> {
        let mut guard = lock(&self.replica);
        let replica = guard.as_mut().ok_or(SnapshotError::NotReplica)?;
        let plain = replica.snapshot_key.open(sealed)?;
        let mut expected = Counter::default();
        self.visit_state(replica, &mut expected);
        if expected.0 != plain.len() {
            return Err(SnapshotError::Length {
                expected: expected.0,
                got: plain.len(),
            });
        }
        let mut reader = Reader::new(&plain);
        self.visit_state(replica, &mut reader);
        debug_assert!(reader.is_done(), "the counter and the reader agree");
        replica.drop_pending();
        Ok(replica.applied())
    }

    /// Every piece of replicated state, in one fixed order.
    fn visit_state(&self, replica: &mut Replica, v: &mut dyn Visit) {
        replica.visit(v);
        self.store_settled().visit(v);
        lock(&self.directory).visit(v);
        lock(&self.rendezvous).visit(v);
        lock(&self.tokens).visit(v);
    }

    /// Makes this enclave the first replica of a new cluster: a fresh
    /// cluster secret, and services rebuilt (empty) from it.
    pub fn found_cluster(&self) -> Result<(), JoinError> {
        self.become_replica(ClusterSecret::generate())
    }

    /// Turns this enclave into an (empty) replica of the cluster holding
    /// `secret`: its services are rebuilt from the secret. Refused on a
    /// replica.
    fn become_replica(&self, secret: ClusterSecret) -> Result<(), JoinError> {
        let mut replica = lock(&self.replica);
        if replica.is_some() {
            return Err(JoinError::AlreadyMember);
        }
        let (store, directory, rendezvous, tokens) = self.limits.clone();
        *lock(&self.tokens) =
            Tokens::with_secret(tokens, &DefaultFactory, *secret.derive(TOKENS_SECRET));
        *self.store_settled() =
            Store::with_secret(store, &DefaultFactory, *secret.derive(BROKER_SECRET));
        *lock(&self.directory) =
            Directory::with_secret(directory, &DefaultFactory, *secret.derive(DIRECTORY_SECRET));
        *lock(&self.rendezvous) = Rendezvous::with_secret(
            rendezvous,
            &DefaultFactory,
            *secret.derive(RENDEZVOUS_SECRET),
            cluster_epoch(&secret),
        );
        *replica = Some(Replica::new(&secret));
        let _ = self.peer_key.set(PeerKey::new(&secret));
        *lock(&self.cluster_secret) = Some(secret);
        Ok(())
    }

    fn peer_key(&self) -> Result<&PeerKey, PeerAuthError> {
        self.peer_key.get().ok_or(PeerAuthError::NotMember)
    }

    /// Authenticates a peer message (or answer) the host is about to send:
    /// a tag over `parts` and this enclave's time, under the cluster's
    /// peer key ([`crate::cluster::peer_auth`]). Only a member can.
    pub fn peer_authenticate(&self, parts: &[&[u8]]) -> Result<[u8; PEER_AUTH_LEN], PeerAuthError> {
        Ok(self.peer_key()?.authenticate(self.now(), parts).to_bytes())
    }

    /// Checks a peer message's (or answer's) authenticator before the host
    /// acts on it: made by a member of this cluster over exactly `parts`,
    /// and stamped within [`crate::cluster::peer_auth::MAX_AGE_SECS`] of
    /// this enclave's time.
    pub fn peer_check(&self, parts: &[&[u8]], auth: &[u8]) -> Result<(), PeerAuthError> {
        self.peer_key()?.check(self.now(), parts, auth)
    }

    fn peer_policy(&self) -> Result<&hush_attest::Policy, JoinError> {
        self.peer_policy.as_ref().ok_or(JoinError::NoPeerPolicy)
    }

    /// Joining a cluster, step 1: the hello for a member
    /// ([`crate::cluster::join`]). Starts over any join in progress.
    pub fn join_start(&self) -> Result<Vec<u8>, JoinError> {
        self.peer_policy()?;
        if self.is_replica() {
            return Err(JoinError::AlreadyMember);
        }
        let (joiner, hello) = Joiner::start(&self.static_key)?;
        *lock(&self.joining) = Some(JoinState::Started(Box::new(joiner)));
        Ok(hello)
    }

    /// Step 2: the member's reply; its evidence must satisfy this
    /// enclave's peer policy. Returns the proof for the member.
    pub fn join_reply(&self, reply: &[u8]) -> Result<Vec<u8>, JoinError> {
        let policy = self.peer_policy()?;
        let mut joining = lock(&self.joining);
        let Some(JoinState::Started(joiner)) = joining.take() else {
            return Err(JoinError::Handshake("no join in progress"));
        };
        let (waiting, proof) = joiner.on_reply(reply, &self.evidence, policy, self.now())?;
        *joining = Some(JoinState::AwaitingSecret(waiting));
        Ok(proof)
    }

    /// Step 3: the member's secret frame; this enclave becomes an empty
    /// replica of the cluster (it catches up by applying the log).
    pub fn join_finish(&self, frame: &[u8]) -> Result<(), JoinError> {
        let Some(JoinState::AwaitingSecret(waiting)) = lock(&self.joining).take() else {
            return Err(JoinError::Handshake("no join in progress"));
        };
        self.become_replica(waiting.on_secret(frame)?)
    }

    /// Admitting a joiner, step 1 (on a replica): answers its hello.
    /// Returns a handle for step 2 and the reply.
    pub fn admit_start(&self, hello: &[u8]) -> Result<(u64, Vec<u8>), JoinError> {
        self.peer_policy()?;
        if !self.is_replica() {
            return Err(JoinError::NotMember);
        }
        let (admission, reply) = Admission::on_hello(&self.static_key, hello, &self.evidence)?;
        let id = self.next_admission.fetch_add(1, Ordering::Relaxed);
        let mut admissions = lock(&self.admissions);
        admissions.insert(id, admission);
        while admissions.len() > MAX_ADMISSIONS {
            admissions.pop_first();
        }
        Ok((id, reply))
    }

    /// Step 2: the joiner's proof; only if its evidence satisfies this
    /// enclave's peer policy, the cluster secret sealed for it.
    pub fn admit_finish(&self, id: u64, proof: &[u8]) -> Result<Vec<u8>, JoinError> {
        let policy = self.peer_policy()?;
        let admission = lock(&self.admissions)
            .remove(&id)
            .ok_or(JoinError::Handshake("no such admission in progress"))?;
        let secret = lock(&self.cluster_secret);
        let secret = secret.as_ref().ok_or(JoinError::NotMember)?;
        admission.on_proof(proof, policy, self.now(), secret)
    }

    /// Proposals of this replica waiting for their entry.
    pub fn waiting_proposals(&self) -> usize {
        lock(&self.replica).as_ref().map_or(0, Replica::waiting)
    }
}

impl EnclaveApi for InProcessEnclave {
    fn handshake(&self, init: &[u8]) -> Result<HandshakeReply, SessionError> {
        // The payload: the services' epoch (this enclave's own, or its
        // cluster's for a replica), then the evidence.
        let mut payload = lock(&self.rendezvous).epoch().to_le_bytes().to_vec();
        payload.extend_from_slice(&self.evidence);
        let est = noise::respond(&self.static_key, init, &payload)?;
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
        // Public: the host forwarded a key-proof frame and it opened.
        session.mark_keyed();
        // Four signature checks, real or dummy, with no lock held, so
        // queries of this and other sessions never wait on them.
        let verdict = key_proof::check_request(&plain, &session.handshake_hash, &self.dummies);
        let accept = verdict.well_formed & verdict.all_valid;
        let (fits, proven) = {
            let mut keys = lock(&session.keys);
            let fits = keys.merge(&verdict.keys, &verdict.present, accept);
            (fits, keys.count())
        };
        let mut status = KeyProofStatus::Ok as u8;
        status = u8::conditional_select(&status, &(KeyProofStatus::TooManyKeys as u8), !fits);
        status = u8::conditional_select(
            &status,
            &(KeyProofStatus::InvalidProof as u8),
            !verdict.all_valid,
        );
        status = u8::conditional_select(
            &status,
            &(KeyProofStatus::Malformed as u8),
            !verdict.well_formed,
        );
        let response = KeyProofResponse::encode_codes(status, proven);
        Ok(noise::seal(&session.transport, nonce, &response))
    }

    fn call(
        &self,
        service: ServiceId,
        id: &SessionId,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        if self.is_replica() {
            // Executing outside the log would fork this replica's state.
            return Err(SessionError::Replicated);
        }
        match service {
            ServiceId::Broker => self.serve_broker(id, sealed),
            ServiceId::Directory => self.serve(&self.directory, id, sealed),
            ServiceId::Rendezvous => self.serve(&self.rendezvous, id, sealed),
            ServiceId::Tokens => self.serve(&self.tokens, id, sealed),
        }
    }

    fn begin_query(&self, id: &SessionId, sealed: &[u8]) -> Result<Ticket, SessionError> {
        let opened = self.open_query(id, sealed)?;
        self.begin_opened(opened)
    }

    fn begin_opened(&self, query: OpenedQuery) -> Result<Ticket, SessionError> {
        if self.is_replica() {
            // Executing outside the log would fork this replica's state.
            return Err(SessionError::Replicated);
        }
        Ok(self.begin_broker(query))
    }

    fn finish_query(&self, ticket: Ticket) -> Result<Vec<u8>, SessionError> {
        self.stage.finish(ticket)
    }

    fn open_query(&self, id: &SessionId, sealed: &[u8]) -> Result<OpenedQuery, SessionError> {
        if self.is_replica() {
            // Executing outside the log would fork this replica's state.
            return Err(SessionError::Replicated);
        }
        self.open_broker(id, sealed)
    }

    fn execute_query(&self, query: OpenedQuery) -> Result<AnswerToSeal, SessionError> {
        if self.is_replica() {
            // It may have become one since the request was opened.
            return Err(SessionError::Replicated);
        }
        Ok(self.execute_broker(query))
    }

    fn seal_answer(&self, answer: AnswerToSeal) -> Vec<u8> {
        seal_broker(answer)
    }

    fn take_verifications(&self) -> Vec<Verification> {
        let released = lock(&self.directory).take_verifications();
        crate::services::directory::delivery::route(
            released,
            lock(&self.deliveries).as_mut(),
            self.host_may_read_codes,
            self.now(),
        )
    }

    fn take_deliveries(&self) -> Vec<DeliveryStart> {
        lock(&self.deliveries)
            .as_mut()
            .map(Deliveries::take_starts)
            .unwrap_or_default()
    }

    fn delivery_io(&self, id: u64, incoming: &[u8]) -> Result<DeliveryIo, DeliveryError> {
        lock(&self.deliveries)
            .as_mut()
            .ok_or(DeliveryError::Unknown)?
            .io(id, incoming)
    }

    fn tick(&self, now: u64) {
        let before = self.now.fetch_max(now, Ordering::Relaxed);
        let now = before.max(now);
        // One sweep step per tick that moves the enclave's time forward: a
        // host calling tick in a loop, or with an earlier time, gets no
        // extra steps.
        // A replica's services move only with the log (Self::propose_tick).
        if now > before && !self.is_replica() {
            self.store_settled().tick_sliced(now);
            lock(&self.directory).tick(now);
            lock(&self.rendezvous).tick(now);
        }
        if now > before {
            // Not replicated: every node mixes its own attachments.
            let mut blobs = lock(&self.blobs);
            blobs.tick(now);
            let pending: std::collections::BTreeSet<u64> = blobs.reading_tickets().collect();
            lock(&self.blob_reads).retain(|t, _| pending.contains(t));
            drop(blobs);
            if let Some(d) = lock(&self.deliveries).as_mut() {
                d.expire(now);
            }
        }
        lock(&self.sessions).expire(now);
    }

    fn sweep_slice(&self) {
        // A replica's store moves only with the log.
        if !self.is_replica() {
            self.store_settled().sweep_slice();
        }
    }

    fn published_evidence(&self) -> PublishedEvidence {
        self.published.clone()
    }

    fn propose(
        &self,
        service: ServiceId,
        session: &SessionId,
        sealed: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Proposal, ProposeError> {
        InProcessEnclave::propose(self, service, session, sealed, after)
    }

    fn propose_tick(&self, now: u64, after: Option<&[u8]>) -> Result<Proposal, ApplyError> {
        InProcessEnclave::propose_tick(self, now, after)
    }

    fn apply(&self, sealed_entry: &[u8]) -> Result<Applied, ApplyError> {
        InProcessEnclave::apply(self, sealed_entry)
    }

    fn snapshot(&self) -> Result<SealedSnapshot, SnapshotError> {
        InProcessEnclave::snapshot(self)
    }

    fn install_snapshot(&self, sealed: &[u8]) -> Result<u64, SnapshotError> {
        InProcessEnclave::install_snapshot(self, sealed)
    }

    fn found_cluster(&self) -> Result<(), JoinError> {
        InProcessEnclave::found_cluster(self)
    }

    fn join_start(&self) -> Result<Vec<u8>, JoinError> {
        InProcessEnclave::join_start(self)
    }

    fn join_reply(&self, reply: &[u8]) -> Result<Vec<u8>, JoinError> {
        InProcessEnclave::join_reply(self, reply)
    }

    fn join_finish(&self, frame: &[u8]) -> Result<(), JoinError> {
        InProcessEnclave::join_finish(self, frame)
    }

    fn admit_start(&self, hello: &[u8]) -> Result<(u64, Vec<u8>), JoinError> {
        InProcessEnclave::admit_start(self, hello)
    }

    fn admit_finish(&self, id: u64, proof: &[u8]) -> Result<Vec<u8>, JoinError> {
        InProcessEnclave::admit_finish(self, id, proof)
    }

    fn peer_authenticate(&self, parts: &[&[u8]]) -> Result<[u8; PEER_AUTH_LEN], PeerAuthError> {
        InProcessEnclave::peer_authenticate(self, parts)
    }

    fn peer_check(&self, parts: &[&[u8]], auth: &[u8]) -> Result<(), PeerAuthError> {
        InProcessEnclave::peer_check(self, parts, auth)
    }

    fn blob_upload(
        &self,
        id: &SessionId,
        sealed: &[u8],
        body: &mut [u8],
    ) -> Result<Vec<u8>, SessionError> {
        let session = self.session(id)?;
        let (nonce, request) = self.open(&session, sealed, BLOB_REQUEST_LEN)?;
        if !session.sent_key_proof() {
            // Public: this session never sent a key proof, so no key of it
            // can be proven; refused without joining the mix, so a
            // stranger's uploads cannot fill the host's store.
            let answer = BlobAnswer {
                status: BlobStatus::KeyNotProven,
                transfer_key: TransferKey([0; 32]),
            };
            return Ok(noise::seal(
                &session.transport,
                nonce,
                &hush_wire::FixedCodec::encode(&answer),
            ));
        }
        if self.tokens_required && !session.sent_token() {
            // Public too: tokens are required and this session never
            // presented one, so it has no credit; refused without joining
            // the mix, so a session without tokens cannot fill the store.
            let answer = BlobAnswer {
                status: BlobStatus::NoTokens,
                transfer_key: TransferKey([0; 32]),
            };
            return Ok(noise::seal(
                &session.transport,
                nonce,
                &hush_wire::FixedCodec::encode(&answer),
            ));
        }
        let keys = *lock(&session.keys);
        let required = subtle::Choice::from(u8::from(self.tokens_required));
        let may_write = !required | session.credits.has_credit();
        let answer = lock(&self.blobs).upload(&request, body, &keys, may_write);
        // An upload that was stored spends a credit (when required).
        let stored = subtle::ConstantTimeEq::ct_eq(&answer[0], &BlobStatus::Ok.code());
        session.credits.spend(stored & required);
        Ok(noise::seal(&session.transport, nonce, &answer))
    }

    fn blob_download_begin(&self, id: &SessionId, sealed: &[u8]) -> Result<BlobStep, SessionError> {
        let session = self.session(id)?;
        let (nonce, request) = self.open(&session, sealed, BLOB_REQUEST_LEN)?;
        let class = request[hush_wire::blob_transfer::offsets::CLASS] as usize;
        let plan = if request[0] == BlobOp::Download as u8 {
            lock(&self.blobs).download_begin(&request)
        } else {
            Err(BlobStatus::InvalidRequest)
        };
        match plan {
            Ok(plan) => {
                lock(&self.blob_reads).insert(plan.ticket, (session, nonce));
                Ok(BlobStep::Fetch(plan))
            }
            Err(status) => {
                let answer = BlobAnswer {
                    status,
                    transfer_key: TransferKey([0; 32]),
                };
                let len = hush_wire::media::BLOB_CLASSES
                    .get(class)
                    .map_or(0, |_| body_len(class));
                Ok(BlobStep::Answered {
                    answer: noise::seal(
                        &session.transport,
                        nonce,
                        &hush_wire::FixedCodec::encode(&answer),
                    ),
                    body: vec![0; len],
                })
            }
        }
    }

    fn blob_download_finish(
        &self,
        ticket: u64,
        object: Option<&[u8]>,
    ) -> Result<(Vec<u8>, Vec<u8>), SessionError> {
        let (session, nonce) = lock(&self.blob_reads)
            .remove(&ticket)
            .ok_or(SessionError::UnknownTicket)?;
        let served = lock(&self.blobs)
            .download_finish(ticket, object)
            .ok_or(SessionError::UnknownTicket)?;
        Ok((
            noise::seal(&session.transport, nonce, &served.answer),
            served.body,
        ))
    }

    fn take_blob_writes(&self) -> Vec<StoredObject> {
        lock(&self.blobs).take_writes()
    }

    fn stats(&self) -> EnclaveStats {
        let store = lock(&self.store);
        EnclaveStats {
            sessions: lock(&self.sessions).len(),
            occupancy_steps: store.published_occupancy(),
            capacity: store.config().capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::key_proof::test_hook;
    use hush_client::Identity;
    use hush_wire::{KeyProofStatus, Op, Request, Status};
    use std::sync::mpsc;
    use std::time::Duration;

    /// Long enough that only a deadlock misses it (not a speed check).
    const DEADLOCK: Duration = Duration::from_secs(30);

    /// While one key-proof request of a session is being checked, queries
    /// of the same session still run: no lock they need is held during
    /// signature checks. (Before, the session's key lock was held, so a
    /// query waited, and with it the host's single enclave thread and
    /// every other client.)
    #[test]
    fn queries_do_not_wait_for_key_proof_checks() {
        let e = Arc::new(crate::test_support::enclave(
            StoreConfig::new(64, 100).unwrap(),
            1_000,
        ));
        let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
        let s = Arc::new(crate::test_support::session_proving(&e, &[&alice]));

        // Pause the next check inside verification until released.
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let hash = e.session(&s.id()).unwrap().handshake_hash.clone();
        test_hook::once(
            &hash,
            Box::new(move || {
                let _ = entered_tx.send(());
                let _ = release_rx.recv_timeout(DEADLOCK);
            }),
        );
        let prover = {
            let (e, s) = (e.clone(), s.clone());
            let kp = bob.keypair();
            std::thread::spawn(move || {
                let (nonce, sealed) = s.seal_key_proofs(&[&kp]);
                let r = e.prove_keys(&s.id(), &sealed).unwrap();
                s.open_key_proof_response(nonce, &r).unwrap().status
            })
        };
        entered.recv_timeout(DEADLOCK).expect("the check started");

        // A query of the same session, as alice, while bob's proof is checked.
        let (done_tx, done) = mpsc::channel();
        {
            let (e, s) = (e.clone(), s.clone());
            let alice = alice.public();
            std::thread::spawn(move || {
                let req = Request {
                    acting_as: alice,
                    op: Op::List,
                };
                let (nonce, sealed) = s.seal_request(&hush_wire::RequestRecord::encode(&req));
                let r = e.query(&s.id(), &sealed).unwrap();
                let status = s.open_response(nonce, &r).unwrap().decode().unwrap().status;
                let _ = done_tx.send(status);
            });
        }
        let status = done
            .recv_timeout(DEADLOCK)
            .expect("the query waited for the key-proof check");
        assert_eq!(status, Status::Ok);
        release.send(()).unwrap();
        assert_eq!(prover.join().unwrap(), KeyProofStatus::Ok);
    }
}
