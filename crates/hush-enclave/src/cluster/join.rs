//! Letting a node into the cluster: a Noise XXhfs handshake (X25519 and
//! ML-KEM-768, `hush-noise`) between the joiner's enclave and a member's,
//! both with the static keys their evidence binds, then the cluster secret
//! on that channel (so a recording of a join does not give the secret to
//! someone who later breaks X25519).
//!
//! ```text
//! joiner                                  member
//!   hello = -> e, e1             ------>
//!                                <------  reply = <- e, ee, ekem1, s, es  + member's evidence
//!   (checks the member's evidence under its policy)
//!   proof = -> s, se + evidence  ------>
//!                                         (checks the joiner's evidence under its policy)
//!                                <------  secret frame: the cluster secret, sealed
//! ```
//!
//! Each side checks that the other's evidence satisfies the same kind of
//! policy clients use ([`hush_attest::Policy`]) and binds the static key the
//! handshake authenticated. A member hands the secret only to a joiner that
//! passed; a joiner takes a secret only from a member that passed. With dev
//! attestation (a policy that allows it) this runs for tests and demos and
//! proves nothing.

use super::secret::{CLUSTER_SECRET_LEN, ClusterSecret};
use crate::session::noise::StaticKey;
use hush_attest::{AttestError, Evidence, Policy};
use hush_noise::PEER;
use hush_wire::consts::{AEAD_TAG_LEN, HANDSHAKE_INIT_LEN};
use snow::{Builder, HandshakeState, TransportState};
use thiserror::Error;
use zeroize::Zeroizing;

/// The peers' Noise pattern: both sides authenticated by static keys.
pub use hush_wire::consts::PEER_NOISE_PARAMS;
/// Length of the sealed secret frame.
pub const SECRET_FRAME_LEN: usize = CLUSTER_SECRET_LEN + AEAD_TAG_LEN;
/// Largest Noise message (evidence with collateral fits).
const MAX_NOISE_MESSAGE: usize = 65_535;

/// Why a join failed. Nothing is handed over on any of them.
#[derive(Debug, Error)]
pub enum JoinError {
    /// A handshake message was malformed, tampered with, or out of order.
    #[error("malformed or tampered peer handshake message: {0}")]
    Handshake(&'static str),
    /// The other side's evidence did not satisfy this side's policy.
    #[error("the peer's attestation was refused: {0}")]
    Attestation(#[from] AttestError),
    /// The enclave could not build its side.
    #[error("the peer handshake failed inside the enclave")]
    Internal,
    /// This enclave has no peer policy, so it neither joins nor admits.
    #[error("this enclave has no peer policy: it runs alone")]
    NoPeerPolicy,
    /// Already a replica of a cluster.
    #[error("this enclave is already a member of a cluster")]
    AlreadyMember,
    /// Not a member: it has no secret to hand over.
    #[error("this enclave is not a member of a cluster")]
    NotMember,
}

fn builder(key: &StaticKey) -> Result<Builder<'_>, JoinError> {
    hush_noise::builder(PEER)
        .local_private_key(key.private())
        .map_err(|_| JoinError::Internal)
}

/// Reads a handshake message; returns its payload.
fn read(hs: &mut HandshakeState, message: &[u8], what: &'static str) -> Result<Vec<u8>, JoinError> {
    let mut payload = vec![0u8; MAX_NOISE_MESSAGE];
    let n = hs
        .read_message(message, &mut payload)
        .map_err(|_| JoinError::Handshake(what))?;
    payload.truncate(n);
    Ok(payload)
}

/// Writes a handshake message carrying `payload`.
fn write(hs: &mut HandshakeState, payload: &[u8]) -> Result<Vec<u8>, JoinError> {
    let mut out = vec![0u8; MAX_NOISE_MESSAGE];
    let n = hs
        .write_message(payload, &mut out)
        .map_err(|_| JoinError::Internal)?;
    out.truncate(n);
    Ok(out)
}

/// Checks that the peer's evidence (the payload) satisfies `policy` and
/// binds the static key the handshake authenticated.
fn check_peer(
    hs: &HandshakeState,
    payload: &[u8],
    policy: &Policy,
    now: u64,
) -> Result<(), JoinError> {
    let evidence = Evidence::decode(payload)?;
    let key: [u8; 32] = hs
        .get_remote_static()
        .and_then(|k| k.try_into().ok())
        .ok_or(JoinError::Handshake("the peer sent no static key"))?;
    policy.verify_at(&evidence, &key, now)?;
    Ok(())
}

/// The joining node's side, before the member's reply.
pub struct Joiner {
    hs: HandshakeState,
}

impl Joiner {
    /// Starts a join; returns the first message (`hello`) for the member.
    pub fn start(key: &StaticKey) -> Result<(Self, Vec<u8>), JoinError> {
        let mut hs = builder(key)?
            .build_initiator()
            .map_err(|_| JoinError::Internal)?;
        let hello = write(&mut hs, &[])?;
        debug_assert_eq!(hello.len(), HANDSHAKE_INIT_LEN);
        Ok((Self { hs }, hello))
    }

    /// Reads the member's reply and checks its evidence under `policy` at
    /// enclave time `now`; returns the proof message (carrying
    /// `own_evidence`) for the member.
    pub fn on_reply(
        mut self,
        reply: &[u8],
        own_evidence: &[u8],
        policy: &Policy,
        now: u64,
    ) -> Result<(JoinerAwaitingSecret, Vec<u8>), JoinError> {
        let payload = read(&mut self.hs, reply, "the member's reply")?;
        check_peer(&self.hs, &payload, policy, now)?;
        let proof = write(&mut self.hs, own_evidence)?;
        let transport = self
            .hs
            .into_transport_mode()
            .map_err(|_| JoinError::Internal)?;
        Ok((JoinerAwaitingSecret { transport }, proof))
    }
}

/// The joining node's side, waiting for the secret.
pub struct JoinerAwaitingSecret {
    transport: TransportState,
}

impl JoinerAwaitingSecret {
    /// Opens the member's secret frame.
    pub fn on_secret(mut self, frame: &[u8]) -> Result<ClusterSecret, JoinError> {
        if frame.len() != SECRET_FRAME_LEN {
            return Err(JoinError::Handshake(
                "the secret frame has the wrong length",
            ));
        }
        let mut plain = Zeroizing::new([0u8; SECRET_FRAME_LEN]);
        let n = self
            .transport
            .read_message(frame, &mut plain[..])
            .map_err(|_| JoinError::Handshake("the secret frame did not authenticate"))?;
        debug_assert_eq!(n, CLUSTER_SECRET_LEN);
        let mut secret = [0u8; CLUSTER_SECRET_LEN];
        secret.copy_from_slice(&plain[..CLUSTER_SECRET_LEN]);
        Ok(ClusterSecret::from_bytes(secret))
    }
}

/// A member's side of one join.
pub struct Admission {
    hs: HandshakeState,
}

impl Admission {
    /// Answers a joiner's `hello` with a reply carrying `own_evidence`.
    pub fn on_hello(
        key: &StaticKey,
        hello: &[u8],
        own_evidence: &[u8],
    ) -> Result<(Self, Vec<u8>), JoinError> {
        if hello.len() != HANDSHAKE_INIT_LEN {
            return Err(JoinError::Handshake(
                "a hello is a 32-byte X25519 key and a 1,184-byte ML-KEM-768 key",
            ));
        }
        let mut hs = builder(key)?
            .build_responder()
            .map_err(|_| JoinError::Internal)?;
        read(&mut hs, hello, "the joiner's hello")?;
        // Fails on a malformed ML-KEM key in the hello (the joiner's fault).
        let reply = write(&mut hs, own_evidence)
            .map_err(|_| JoinError::Handshake("the joiner's ML-KEM-768 key is malformed"))?;
        Ok((Self { hs }, reply))
    }

    /// Reads the joiner's proof, checks its evidence under `policy` at
    /// enclave time `now`, and only then seals `secret` for it.
    pub fn on_proof(
        mut self,
        proof: &[u8],
        policy: &Policy,
        now: u64,
        secret: &ClusterSecret,
    ) -> Result<Vec<u8>, JoinError> {
        let payload = read(&mut self.hs, proof, "the joiner's proof")?;
        check_peer(&self.hs, &payload, policy, now)?;
        let mut transport = self
            .hs
            .into_transport_mode()
            .map_err(|_| JoinError::Internal)?;
        let mut frame = vec![0u8; SECRET_FRAME_LEN];
        let n = transport
            .write_message(secret.as_bytes(), &mut frame)
            .map_err(|_| JoinError::Internal)?;
        debug_assert_eq!(n, SECRET_FRAME_LEN);
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Node {
        key: StaticKey,
        evidence: Vec<u8>,
    }

    fn node() -> Node {
        let key = StaticKey::generate().unwrap();
        let evidence = hush_attest::dev::produce(key.public()).encode();
        Node { key, evidence }
    }

    /// A whole join; the member's and joiner's policies as given.
    fn join(
        joiner: &Node,
        member: &Node,
        joiner_policy: &Policy,
        member_policy: &Policy,
        secret: &ClusterSecret,
    ) -> Result<ClusterSecret, JoinError> {
        let (j, hello) = Joiner::start(&joiner.key)?;
        let (a, reply) = Admission::on_hello(&member.key, &hello, &member.evidence)?;
        let (j, proof) = j.on_reply(&reply, &joiner.evidence, joiner_policy, 1_000)?;
        let frame = a.on_proof(&proof, member_policy, 1_000, secret)?;
        assert_eq!(
            frame.len(),
            SECRET_FRAME_LEN,
            "one size, whatever the secret"
        );
        j.on_secret(&frame)
    }

    #[test]
    fn an_attested_joiner_gets_the_members_secret() {
        let (j, m) = (node(), node());
        let secret = ClusterSecret::generate();
        let got = join(&j, &m, &Policy::dev(), &Policy::dev(), &secret).unwrap();
        assert_eq!(got.as_bytes(), secret.as_bytes());
    }

    #[test]
    fn each_side_refuses_evidence_its_policy_does_not_accept() {
        let (j, m) = (node(), node());
        let secret = ClusterSecret::generate();
        // The member refuses dev evidence: no secret frame is made.
        let err = join(&j, &m, &Policy::dev(), &Policy::default(), &secret).unwrap_err();
        assert!(
            matches!(
                err,
                JoinError::Attestation(AttestError::FormatRejected("dev"))
            ),
            "{err}"
        );
        // The joiner refuses the member's dev evidence: it sends no proof.
        let err = join(&j, &m, &Policy::default(), &Policy::dev(), &secret).unwrap_err();
        assert!(matches!(err, JoinError::Attestation(_)), "{err}");
    }

    #[test]
    fn evidence_for_another_key_is_refused() {
        let (j, m, other) = (node(), node(), node());
        let secret = ClusterSecret::generate();
        // The member presents evidence that binds someone else's key.
        let impostor = Node {
            key: StaticKey::generate().unwrap(),
            evidence: other.evidence.clone(),
        };
        let err = join(&j, &impostor, &Policy::dev(), &Policy::dev(), &secret).unwrap_err();
        assert!(
            matches!(err, JoinError::Attestation(AttestError::KeyNotBound)),
            "{err}"
        );
        let impostor = Node {
            key: StaticKey::generate().unwrap(),
            evidence: m.evidence.clone(),
        };
        let err = join(&impostor, &m, &Policy::dev(), &Policy::dev(), &secret).unwrap_err();
        assert!(
            matches!(err, JoinError::Attestation(AttestError::KeyNotBound)),
            "{err}"
        );
    }

    #[test]
    fn tampered_or_misplaced_messages_are_refused() {
        let (jn, mn) = (node(), node());
        let secret = ClusterSecret::generate();
        let (j, hello) = Joiner::start(&jn.key).unwrap();
        assert!(Admission::on_hello(&mn.key, &hello[..31], &mn.evidence).is_err());
        let (a, mut reply) = Admission::on_hello(&mn.key, &hello, &mn.evidence).unwrap();
        reply[40] ^= 1;
        assert!(matches!(
            j.on_reply(&reply, &jn.evidence, &Policy::dev(), 1_000),
            Err(JoinError::Handshake(_))
        ));
        // A proof from another handshake does not open.
        let (j2, hello2) = Joiner::start(&jn.key).unwrap();
        let (_, reply2) = Admission::on_hello(&mn.key, &hello2, &mn.evidence).unwrap();
        let (_, proof2) = j2
            .on_reply(&reply2, &jn.evidence, &Policy::dev(), 1_000)
            .unwrap();
        assert!(matches!(
            a.on_proof(&proof2, &Policy::dev(), 1_000, &secret),
            Err(JoinError::Handshake(_))
        ));
        // A secret frame that was altered is refused.
        let (j3, hello3) = Joiner::start(&jn.key).unwrap();
        let (a3, reply3) = Admission::on_hello(&mn.key, &hello3, &mn.evidence).unwrap();
        let (j3, proof3) = j3
            .on_reply(&reply3, &jn.evidence, &Policy::dev(), 1_000)
            .unwrap();
        let mut frame = a3
            .on_proof(&proof3, &Policy::dev(), 1_000, &secret)
            .unwrap();
        frame[0] ^= 1;
        assert!(j3.on_secret(&frame).is_err());
    }
}
