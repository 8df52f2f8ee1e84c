//! The enclave's side of the session handshake (Noise NXhfs: X25519 and
//! ML-KEM-768, built by `hush-noise` on snow), and sealing and opening of
//! transport frames with explicit nonces.

use super::SessionError;
use hush_noise::SESSION;
use hush_wire::SealedFrame;
use hush_wire::consts::{AEAD_TAG_LEN, HANDSHAKE_INIT_LEN};
use snow::StatelessTransportState;
use zeroize::Zeroizing;

/// Largest Noise message.
const MAX_NOISE_MESSAGE: usize = 65_535;

/// The enclave's Noise static key pair, generated inside the enclave.
pub struct StaticKey {
    private: Zeroizing<Vec<u8>>,
    public: [u8; 32],
}

impl StaticKey {
    /// A fresh key pair.
    pub fn generate() -> Result<Self, SessionError> {
        let kp = hush_noise::builder(SESSION)
            .generate_keypair()
            .map_err(|_| SessionError::Internal)?;
        let public = kp
            .public
            .as_slice()
            .try_into()
            .map_err(|_| SessionError::Internal)?;
        Ok(Self {
            private: Zeroizing::new(kp.private),
            public,
        })
    }

    /// The public half, bound into the attestation evidence.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// The private half, for the enclave's own handshakes.
    pub(crate) fn private(&self) -> &[u8] {
        &self.private
    }
}

/// A completed handshake: the reply to send, the transport, and the hash
/// key proofs sign.
pub struct Established {
    /// The enclave's handshake message (carrying the evidence).
    pub reply: Vec<u8>,
    /// Transport state for sealed frames.
    pub transport: StatelessTransportState,
    /// The handshake hash.
    pub handshake_hash: Vec<u8>,
}

/// Answers a client's first message (`e, e1`) with one carrying `payload`
/// (the services' epoch and the evidence): `e, ee, ekem1, s, es`. The
/// KEM's shared secret is mixed in before the static key is sent, so the
/// session keys need both X25519 and ML-KEM to recompute.
pub fn respond(key: &StaticKey, init: &[u8], payload: &[u8]) -> Result<Established, SessionError> {
    if init.len() != HANDSHAKE_INIT_LEN {
        return Err(SessionError::BadHandshake(
            "the first handshake message is a 32-byte X25519 key and a 1,184-byte ML-KEM-768 key",
        ));
    }
    let mut hs = hush_noise::builder(SESSION)
        .local_private_key(&key.private)
        .map_err(|_| SessionError::Internal)?
        .build_responder()
        .map_err(|_| SessionError::Internal)?;
    let mut scratch = [0u8; 64];
    hs.read_message(init, &mut scratch)
        .map_err(|_| SessionError::BadHandshake("not a Noise NXhfs initiator message"))?;
    let mut reply = vec![0u8; MAX_NOISE_MESSAGE];
    // Fails only when the initiator's ML-KEM key is malformed (FIPS 203's
    // modulus check), which is the client's fault.
    let n = hs
        .write_message(payload, &mut reply)
        .map_err(|_| SessionError::BadHandshake("the initiator's ML-KEM-768 key is malformed"))?;
    reply.truncate(n);
    let handshake_hash = hs.get_handshake_hash().to_vec();
    let transport = hs
        .into_stateless_transport_mode()
        .map_err(|_| SessionError::Internal)?;
    Ok(Established {
        reply,
        transport,
        handshake_hash,
    })
}

/// Opens a sealed frame of a known plaintext length.
pub fn open(
    transport: &StatelessTransportState,
    bytes: &[u8],
    plaintext_len: usize,
) -> Result<(u64, Zeroizing<Vec<u8>>), SessionError> {
    let frame =
        SealedFrame::decode(bytes, plaintext_len).map_err(|_| SessionError::FrameLength {
            expected: hush_wire::consts::NONCE_LEN + plaintext_len + AEAD_TAG_LEN,
            actual: bytes.len(),
        })?;
    let mut plain = Zeroizing::new(vec![0u8; plaintext_len]);
    let n = transport
        .read_message(frame.nonce, &frame.ciphertext, &mut plain)
        .map_err(|_| SessionError::BadFrame)?;
    debug_assert_eq!(n, plaintext_len);
    Ok((frame.nonce, plain))
}

/// Seals `plaintext` under `nonce` (responses reuse the request's nonce in
/// the other direction, which has its own key).
pub fn seal(transport: &StatelessTransportState, nonce: u64, plaintext: &[u8]) -> Vec<u8> {
    let mut ct = vec![0u8; plaintext.len() + AEAD_TAG_LEN];
    transport
        .write_message(nonce, plaintext, &mut ct)
        .expect("sealing into a buffer of the right size cannot fail");
    SealedFrame {
        nonce,
        ciphertext: ct,
    }
    .encode()
}
