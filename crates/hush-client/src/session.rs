//! The client's side of a session: the Noise NXhfs handshake, the attestation
//! check, key proofs, and sealing requests / opening responses. Transport
//! independent: [`crate::Client`] carries these bytes over gRPC, tests carry
//! them straight into an in-process enclave.

use crate::ClientError;
use hush_attest::{Evidence, Policy, Verified};
use hush_wire::consts::{
    AEAD_TAG_LEN, DIRECTORY_RESPONSE_LEN, KEY_PROOF_CONTEXT, KEY_PROOF_RESPONSE_LEN, RESPONSE_LEN,
    SERVICE_EPOCH_LEN,
};
use hush_wire::directory::{DirectoryRequest, DirectoryResponse};
use hush_wire::{
    FixedCodec, KeyProof, KeyProofRequest, KeyProofResponse, PublicKey, RequestRecord,
    ResponseRecord, SealedFrame, SessionId, Signature,
};
use snow::{HandshakeState, StatelessTransportState};
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest Noise message.
const MAX_NOISE_MESSAGE: usize = 65_535;

/// A handshake in progress.
pub struct Handshake {
    state: HandshakeState,
    /// The first message, to send to the server.
    pub message: Vec<u8>,
}

impl Handshake {
    /// Starts a hybrid Noise NXhfs handshake (X25519 and ML-KEM-768: the
    /// session keys need both, so a recording stays closed to someone who
    /// later breaks one of them).
    pub fn start() -> Result<Self, ClientError> {
        let mut state = hush_noise::builder(hush_noise::SESSION)
            .build_initiator()
            .map_err(|_| ClientError::Protocol("cannot start a Noise handshake"))?;
        let mut message = vec![0u8; MAX_NOISE_MESSAGE];
        let n = state
            .write_message(&[], &mut message)
            .map_err(|_| ClientError::Protocol("cannot write the first handshake message"))?;
        message.truncate(n);
        Ok(Self { state, message })
    }

    /// Reads the server's reply, checks its evidence against `policy`, and
    /// returns the established session.
    pub fn finish(
        mut self,
        session: SessionId,
        reply: &[u8],
        policy: &Policy,
    ) -> Result<ClientSession, ClientError> {
        let mut payload = vec![0u8; MAX_NOISE_MESSAGE];
        let n = self
            .state
            .read_message(reply, &mut payload)
            .map_err(|_| ClientError::Protocol("the server's handshake message did not verify"))?;
        if n < SERVICE_EPOCH_LEN {
            return Err(ClientError::Protocol(
                "the server's handshake message carries no epoch",
            ));
        }
        let (epoch, evidence) = payload[..n].split_at(SERVICE_EPOCH_LEN);
        let epoch = u64::from_le_bytes(epoch.try_into().expect("8 bytes"));
        let evidence = Evidence::decode(evidence)?;
        let server_key: [u8; 32] = self
            .state
            .get_remote_static()
            .and_then(|k| k.try_into().ok())
            .ok_or(ClientError::Protocol("the server sent no static key"))?;
        let verified = policy.verify(&evidence, &server_key)?;
        let handshake_hash = self.state.get_handshake_hash().to_vec();
        let transport = self
            .state
            .into_stateless_transport_mode()
            .map_err(|_| ClientError::Protocol("handshake did not complete"))?;
        Ok(ClientSession {
            id: session,
            transport,
            handshake_hash,
            next_nonce: AtomicU64::new(0),
            evidence,
            verified,
            server_key,
            epoch,
        })
    }
}

/// An established, attested session.
pub struct ClientSession {
    id: SessionId,
    transport: StatelessTransportState,
    handshake_hash: Vec<u8>,
    next_nonce: AtomicU64,
    evidence: Evidence,
    verified: Verified,
    server_key: [u8; 32],
    epoch: u64,
}

impl ClientSession {
    /// The session id the server assigned.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The epoch the enclave's services run in, as the attested enclave
    /// states it in its handshake: a single node's is derived from the
    /// static key its evidence binds (new at every start); a cluster's
    /// replicas share their cluster's (new when a cluster is founded).
    /// Every computation id carries it.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The evidence the server presented (already verified).
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// What verifying the evidence established (dev, or the hardware
    /// claims the policy accepted).
    pub fn attestation(&self) -> &Verified {
        &self.verified
    }

    /// The enclave's Noise static key, which the evidence binds.
    pub fn server_key(&self) -> &[u8; 32] {
        &self.server_key
    }

    /// The Noise protocol this session ran: hybrid, X25519 and ML-KEM-768
    /// (a session's keys need both).
    pub fn protocol(&self) -> &'static str {
        hush_noise::SESSION_PROTOCOL_NAME
    }

    /// Seals arbitrary plaintext under the next nonce (for protocol tests
    /// and tools; requests and key proofs have typed methods).
    pub fn seal_bytes(&self, plaintext: &[u8]) -> (u64, Vec<u8>) {
        self.seal(plaintext)
    }

    fn seal(&self, plaintext: &[u8]) -> (u64, Vec<u8>) {
        let nonce = self.next_nonce.fetch_add(1, Ordering::Relaxed);
        let mut ct = vec![0u8; plaintext.len() + AEAD_TAG_LEN];
        self.transport
            .write_message(nonce, plaintext, &mut ct)
            .expect("buffer sized for the message");
        (
            nonce,
            SealedFrame {
                nonce,
                ciphertext: ct,
            }
            .encode(),
        )
    }

    fn open(&self, nonce: u64, bytes: &[u8], len: usize) -> Result<Vec<u8>, ClientError> {
        let frame = SealedFrame::decode(bytes, len)?;
        if frame.nonce != nonce {
            return Err(ClientError::Protocol(
                "the response answers another request",
            ));
        }
        let mut plain = vec![0u8; len];
        self.transport
            .read_message(nonce, &frame.ciphertext, &mut plain)
            .map_err(|_| ClientError::Protocol("the response failed authentication"))?;
        Ok(plain)
    }

    /// A proof of `keypair` for this session: its signature of the
    /// handshake hash.
    pub fn key_proof(&self, keypair: &schnorrkel::Keypair) -> KeyProof {
        KeyProof {
            key: PublicKey::new(keypair.public.to_bytes()).expect("a real key is not all zero"),
            signature: Signature(
                keypair
                    .sign_simple(KEY_PROOF_CONTEXT, &self.handshake_hash)
                    .to_bytes(),
            ),
        }
    }

    /// Key proofs for `keypairs`, sealed. Returns the nonce and the frame.
    pub fn seal_key_proofs(&self, keypairs: &[&schnorrkel::Keypair]) -> (u64, Vec<u8>) {
        let proofs = keypairs.iter().map(|kp| self.key_proof(kp)).collect();
        self.seal(&KeyProofRequest { proofs }.encode())
    }

    /// Opens the answer to a key-proof request.
    pub fn open_key_proof_response(
        &self,
        nonce: u64,
        bytes: &[u8],
    ) -> Result<KeyProofResponse, ClientError> {
        Ok(KeyProofResponse::decode(&self.open(
            nonce,
            bytes,
            KEY_PROOF_RESPONSE_LEN,
        )?)?)
    }

    /// Seals a request record. Returns the nonce and the frame.
    pub fn seal_request(&self, record: &RequestRecord) -> (u64, Vec<u8>) {
        self.seal(record.as_bytes())
    }

    /// Opens a response of `len` plaintext bytes to the request sealed
    /// under `nonce` (any service).
    pub fn open_bytes(&self, nonce: u64, bytes: &[u8], len: usize) -> Result<Vec<u8>, ClientError> {
        self.open(nonce, bytes, len)
    }

    /// Seals a directory request. Returns the nonce and the frame.
    pub fn seal_directory_request(&self, request: &DirectoryRequest) -> (u64, Vec<u8>) {
        self.seal(&request.encode())
    }

    /// Opens a directory response.
    pub fn open_directory_response(
        &self,
        nonce: u64,
        bytes: &[u8],
    ) -> Result<DirectoryResponse, ClientError> {
        Ok(DirectoryResponse::decode(&self.open(
            nonce,
            bytes,
            DIRECTORY_RESPONSE_LEN,
        )?)?)
    }

    /// Opens a response record.
    pub fn open_response(&self, nonce: u64, bytes: &[u8]) -> Result<ResponseRecord, ClientError> {
        Ok(ResponseRecord::from_bytes(&self.open(
            nonce,
            bytes,
            RESPONSE_LEN,
        )?)?)
    }
}
