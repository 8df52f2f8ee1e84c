//! What a recording of a hush session gives someone who later breaks
//! X25519 (a quantum computer): with every X25519 secret of the session in
//! hand (both ephemerals and the enclave's static key), they still cannot
//! derive the session keys, because the hybrid pattern mixes ML-KEM-768's
//! shared secret in before them. The same attacker opens a classical NX
//! recording made with the same X25519 secrets: that is what the hybrid
//! pattern fixes.
//!
//! The attacker is a Noise model written here (BLAKE2s, HMAC, HKDF,
//! ChaCha20-Poly1305 from the Noise spec), fed the recorded messages. With
//! the real KEM secret it derives exactly snow's keys and opens the frame,
//! so the model is right; without it, it cannot get past the enclave's
//! encrypted static key.

use blake2::{Blake2s256, Digest};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hush_noise::HybridResolver;
use hush_noise::mlkem::MlKem;
use snow::params::DHChoice;
use snow::resolvers::{CryptoResolver, DefaultResolver};
use snow::types::{Kem, Random};

const CLIENT_E: [u8; 32] = [0x11; 32];
const SERVER_S: [u8; 32] = [0x22; 32];
const SERVER_E: [u8; 32] = [0x33; 32];
const CLIENT_KEM_SEED: [u8; 64] = [0x44; 64];
const SERVER_KEM_M: [u8; 32] = [0x55; 32];
const SECRET_PLAINTEXT: &[u8] = b"alice -> bob: the recipient's key";

fn dh(secret: &[u8; 32], public: &[u8]) -> [u8; 32] {
    let mut d = DefaultResolver.resolve_dh(&DHChoice::Curve25519).unwrap();
    d.set(secret);
    let mut out = [0u8; 32];
    d.dh(public, &mut out).unwrap();
    out
}

fn public(secret: &[u8; 32]) -> Vec<u8> {
    let mut d = DefaultResolver.resolve_dh(&DHChoice::Curve25519).unwrap();
    d.set(secret);
    d.pubkey().to_vec()
}

// ------------------------------------------------------------ the model

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Blake2s256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hmac(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(key);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    hash(&[&opad, &hash(&[&ipad, data])])
}

fn hkdf2(ck: &[u8; 32], ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let temp = hmac(ck, ikm);
    let one = hmac(&temp, &[1]);
    let two = hmac(&temp, &[&one[..], &[2]].concat());
    (one, two)
}

fn nonce(n: u64) -> Nonce {
    let mut b = [0u8; 12];
    b[4..].copy_from_slice(&n.to_le_bytes());
    b.into()
}

struct Symmetric {
    h: [u8; 32],
    ck: [u8; 32],
    k: Option<[u8; 32]>,
    n: u64,
}

impl Symmetric {
    fn new(name: &str) -> Self {
        let h = hash(&[name.as_bytes()]);
        Self {
            h,
            ck: h,
            k: None,
            n: 0,
        }
    }
    fn mix_hash(&mut self, data: &[u8]) {
        self.h = hash(&[&self.h, data]);
    }
    fn mix_key(&mut self, ikm: &[u8]) {
        let (ck, k) = hkdf2(&self.ck, ikm);
        self.ck = ck;
        self.k = Some(k);
        self.n = 0;
    }
    /// DecryptAndHash; `None` when the tag does not verify.
    fn decrypt_and_hash(&mut self, ct: &[u8]) -> Option<Vec<u8>> {
        let out = match self.k {
            None => ct.to_vec(),
            Some(k) => {
                let p = ChaCha20Poly1305::new(&k.into())
                    .decrypt(
                        &nonce(self.n),
                        Payload {
                            msg: ct,
                            aad: &self.h,
                        },
                    )
                    .ok()?;
                self.n += 1;
                p
            }
        };
        self.mix_hash(ct);
        Some(out)
    }
}

/// The attacker: replays a recorded NX or NXhfs handshake knowing every
/// X25519 secret, and `kem_secret` as its guess of ML-KEM's shared secret
/// (ignored for NX). Returns the client's sending key `k1`, or `None`
/// where a tag fails to verify.
fn replay(name: &str, m1: &[u8], m2: &[u8], kem_secret: &[u8; 32]) -> Option<[u8; 32]> {
    let hybrid = name.contains("hfs");
    let mut s = Symmetric::new(name);
    s.mix_hash(b"");
    let ce = &m1[..32];
    s.mix_hash(ce);
    let mut at = 32;
    if hybrid {
        s.decrypt_and_hash(&m1[32..32 + 1184])?;
        at += 1184;
    }
    s.decrypt_and_hash(&m1[at..])?;
    let se = &m2[..32];
    s.mix_hash(se);
    s.mix_key(&dh(&SERVER_E, ce));
    let mut at = 32;
    if hybrid {
        // The KEM ciphertext is readable (its key came from X25519)...
        let ct = s.decrypt_and_hash(&m2[at..at + 1088 + 16])?;
        assert_eq!(ct.len(), 1088);
        at += 1088 + 16;
        // ...but its shared secret needs the client's decapsulation key.
        s.mix_key(kem_secret);
    }
    let static_key = s.decrypt_and_hash(&m2[at..at + 48])?;
    assert_eq!(static_key, public(&SERVER_S));
    s.mix_key(&dh(&SERVER_S, ce));
    s.decrypt_and_hash(&m2[at + 48..])?;
    Some(hkdf2(&s.ck, b"").0)
}

fn opens(k1: &[u8; 32], frame: &[u8]) -> bool {
    ChaCha20Poly1305::new(&(*k1).into())
        .decrypt(&nonce(0), frame)
        .is_ok_and(|p| p == SECRET_PLAINTEXT)
}

// --------------------------------------------------------- the recordings

/// A recorded session: both handshake messages and the client's first
/// sealed frame.
struct Recording {
    m1: Vec<u8>,
    m2: Vec<u8>,
    frame: Vec<u8>,
}

fn record(builder: impl Fn(bool) -> snow::Builder<'static>) -> Recording {
    let mut client = builder(true)
        .fixed_ephemeral_key_for_testing_only(&CLIENT_E)
        .build_initiator()
        .unwrap();
    let mut server = builder(false)
        .local_private_key(&SERVER_S)
        .unwrap()
        .fixed_ephemeral_key_for_testing_only(&SERVER_E)
        .build_responder()
        .unwrap();
    let (mut m1, mut m2, mut scratch) = (vec![0; 4096], vec![0; 4096], vec![0; 4096]);
    let n = client.write_message(&[], &mut m1).unwrap();
    m1.truncate(n);
    server.read_message(&m1, &mut scratch).unwrap();
    let n = server.write_message(b"evidence", &mut m2).unwrap();
    m2.truncate(n);
    client.read_message(&m2, &mut scratch).unwrap();
    let client = client.into_stateless_transport_mode().unwrap();
    let mut frame = vec![0; SECRET_PLAINTEXT.len() + 16];
    client
        .write_message(0, SECRET_PLAINTEXT, &mut frame)
        .unwrap();
    Recording { m1, m2, frame }
}

fn hybrid() -> Recording {
    record(|is_client| {
        let (stream, m): (&[u8], _) = if is_client {
            (&CLIENT_KEM_SEED, [0; 32])
        } else {
            (&[], SERVER_KEM_M)
        };
        snow::Builder::with_resolver(
            hush_noise::SESSION.params(),
            Box::new(HybridResolver::with_fixed_randomness(stream, m)),
        )
    })
}

const CLASSICAL: &str = "Noise_NX_25519_ChaChaPoly_BLAKE2s";

fn classical() -> Recording {
    record(|_| snow::Builder::new(CLASSICAL.parse().unwrap()))
}

/// A random source handing out a fixed seed.
struct Seed(Vec<u8>);

impl Random for Seed {
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), snow::Error> {
        dest.copy_from_slice(&self.0.drain(..dest.len()).collect::<Vec<_>>());
        Ok(())
    }
}

fn kem_from(seed: &[u8; 64]) -> MlKem {
    let mut kem = MlKem::new();
    kem.generate(&mut Seed(seed.to_vec()));
    kem
}

/// The ML-KEM ciphertext in a recorded hybrid message 2: encrypted under
/// a key from X25519 alone, so the attacker reads it too.
fn kem_ciphertext(r: &Recording) -> Vec<u8> {
    let mut s = Symmetric::new(hush_noise::SESSION_PROTOCOL_NAME);
    s.mix_hash(b"");
    s.mix_hash(&r.m1[..32]);
    s.mix_hash(&r.m1[32..32 + 1184]);
    s.mix_hash(&r.m1[32 + 1184..]);
    s.mix_hash(&r.m2[..32]);
    s.mix_key(&dh(&SERVER_E, &r.m1[..32]));
    s.decrypt_and_hash(&r.m2[32..32 + 1104]).unwrap()
}

fn decapsulate(kem: &MlKem, ct: &[u8]) -> [u8; 32] {
    let mut ss = [0u8; 32];
    kem.decapsulate(ct, &mut ss).unwrap();
    ss
}

/// What ML-KEM gave the two ends (the client decapsulates with its key):
/// known to the test, never to the attacker.
fn real_kem_secret(r: &Recording) -> [u8; 32] {
    let kem = kem_from(&CLIENT_KEM_SEED);
    assert_eq!(kem.pubkey(), &r.m1[32..32 + 1184], "the recorded e1");
    decapsulate(&kem, &kem_ciphertext(r))
}

#[test]
fn the_x25519_secrets_open_a_classical_recording() {
    let r = classical();
    let k1 = replay(CLASSICAL, &r.m1, &r.m2, &[0; 32]).expect("nothing stops it");
    assert!(opens(&k1, &r.frame));
}

#[test]
fn the_model_with_the_kem_secret_opens_a_hybrid_recording() {
    let r = hybrid();
    assert_eq!(r.m1.len(), hush_noise::INITIATOR_FIRST_MESSAGE_LEN);
    let k1 = replay(
        hush_noise::SESSION_PROTOCOL_NAME,
        &r.m1,
        &r.m2,
        &real_kem_secret(&r),
    )
    .expect("the model follows the protocol");
    assert!(opens(&k1, &r.frame));
}

#[test]
fn the_x25519_secrets_alone_do_not_open_a_hybrid_recording() {
    let r = hybrid();
    let real = real_kem_secret(&r);
    // The attacker's guesses: fixed values, the real secret with one bit
    // wrong, and what decapsulating the (readable) ciphertext with a key of
    // its own gives.
    let mut near = real;
    near[31] ^= 1;
    let own = decapsulate(&kem_from(&[0x99; 64]), &kem_ciphertext(&r));
    for guess in [[0u8; 32], [0xff; 32], near, own] {
        assert_ne!(guess, real);
        assert_eq!(
            replay(hush_noise::SESSION_PROTOCOL_NAME, &r.m1, &r.m2, &guess),
            None,
            "the enclave's static key decrypted without the KEM secret"
        );
    }
}
