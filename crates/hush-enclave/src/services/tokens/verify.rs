//! Checking a type-2 token's signature: RSASSA-PSS with SHA-384, MGF1
//! with SHA-384 and a 48-byte salt (RFC 8017 section 9.1.2, the
//! verification RFC 9578 section 6 asks for), under a 2048-bit issuer key.
//!
//! The host must not learn whether a token held (DESIGN.md rule 5), so the
//! check runs the same steps for every token and every outcome: one modular
//! exponentiation per configured key (crypto-bigint's Montgomery form,
//! constant-time in the signature; the exponent is the issuer's public
//! one), one MGF1 expansion and one SHA-384 of the same lengths, and every
//! comparison folded into a [`Choice`] with no early return.

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{U2048, Word};
use hush_wire::tokens::{TOKEN_AUTHENTICATOR_LEN, TOKEN_DIGEST_LEN, TOKEN_INPUT_LEN};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::spki::{self, der::Decode};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256, Sha384};
use subtle::{Choice, ConstantTimeEq, ConstantTimeLess};

/// The key size RFC 9578 fixes for type 2, in bits.
pub const MODULUS_BITS: usize = 2048;
/// Length of an encoded PSS message (emLen: the modulus' bytes).
const EM_LEN: usize = TOKEN_AUTHENTICATOR_LEN;
/// Length of a SHA-384 digest (hLen) and of the salt (sLen).
const HASH_LEN: usize = 48;
const SALT_LEN: usize = 48;
/// Length of the masked data block (emLen - hLen - 1).
const DB_LEN: usize = EM_LEN - HASH_LEN - 1;
/// Zero bytes before the 0x01 that precedes the salt in the data block.
const PADDING_LEN: usize = EM_LEN - HASH_LEN - SALT_LEN - 2;
/// The last byte of every PSS encoding.
const TRAILER: u8 = 0xbc;
/// id-RSASSA-PSS (RFC 4055), the algorithm RFC 9578 issuer keys carry.
const RSASSA_PSS: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// rsaEncryption, which a plain RSA key file carries (accepted too: the
/// key id is computed over the SPKI bytes as given, so an issuer must
/// publish the same bytes it hashes).
const RSA_ENCRYPTION: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why an issuer key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Not a DER SubjectPublicKeyInfo.
    #[error("not a DER SubjectPublicKeyInfo (an issuer key is the SPKI the issuer publishes)")]
    NotSpki,
    /// Not an RSA key.
    #[error("not an RSA key (RFC 9578 type 2 keys are RSASSA-PSS keys)")]
    NotRsa,
    /// An RSA key of another size.
    #[error("an RSA key of {0} bits: type 2 issuer keys are 2048 bits")]
    WrongSize(usize),
}

/// An issuer's public key, as published (RFC 9578 section 6.5).
#[derive(Clone)]
pub struct IssuerKey {
    /// The key as parsed (tests compare against the rsa crate with it).
    #[cfg(test)]
    key: rsa::RsaPublicKey,
    /// The modulus n, its Montgomery parameters, the public exponent and
    /// its length in bits (public).
    n: U2048,
    params: DynResidueParams<{ U2048::LIMBS }>,
    e: U2048,
    e_bits: usize,
    /// SHA-256 of the SPKI: the token key id tokens name.
    id: [u8; TOKEN_DIGEST_LEN],
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuerKey({})", hex_prefix(&self.id))
    }
}

fn hex_prefix(id: &[u8]) -> String {
    id[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl IssuerKey {
    /// Reads a DER SubjectPublicKeyInfo of a 2048-bit RSA key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::NotSpki)?;
        let oid = info.algorithm.oid;
        if oid != RSASSA_PSS && oid != RSA_ENCRYPTION {
            return Err(KeyError::NotRsa);
        }
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::NotSpki)?;
        let key = rsa::RsaPublicKey::from_pkcs1_der(bits).map_err(|_| KeyError::NotRsa)?;
        let size = key.n().bits();
        if size != MODULUS_BITS {
            return Err(KeyError::WrongSize(size));
        }
        let n = U2048::from_be_slice(&key.n().to_bytes_be());
        let e_bytes = key.e().to_bytes_be();
        if e_bytes.len() > 8 {
            return Err(KeyError::NotRsa);
        }
        let mut e8 = [0u8; 8];
        e8[8 - e_bytes.len()..].copy_from_slice(&e_bytes);
        let e = U2048::from_u64(u64::from_be_bytes(e8));
        Ok(Self {
            params: DynResidueParams::new(&n),
            n,
            e_bits: e.bits(),
            e,
            #[cfg(test)]
            key,
            id: Sha256::digest(der).into(),
        })
    }

    /// The token key id: SHA-256 of the SPKI bytes.
    pub fn id(&self) -> &[u8; TOKEN_DIGEST_LEN] {
        &self.id
    }

    /// The first 8 bytes of the key id in hex, for logs and errors.
    pub fn short_id(&self) -> String {
        hex_prefix(&self.id)
    }

    /// Whether `signature` is a valid RSASSA-PSS (SHA-384, 48-byte salt)
    /// signature of `input` under this key, with the same steps whatever
    /// the answer.
    pub fn verify(
        &self,
        input: &[u8; TOKEN_INPUT_LEN],
        signature: &[u8; TOKEN_AUTHENTICATOR_LEN],
    ) -> Choice {
        let s = U2048::from_be_slice(signature);
        // A signature at least the modulus is refused (RFC 8017 8.1.2
        // step 2a); it is still exponentiated (Montgomery reduction takes
        // any value below 2^2048).
        let in_range = s.ct_lt(&self.n);
        let m = DynResidue::new(&s, self.params)
            .pow_bounded_exp(&self.e, self.e_bits)
            .retrieve();
        let mut em = [0u8; EM_LEN];
        // Words are least significant first; the encoding is big-endian.
        for (chunk, word) in em
            .chunks_exact_mut(std::mem::size_of::<Word>())
            .rev()
            .zip(m.as_words())
        {
            let w: Word = *word;
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        in_range & pss_holds(&em, input)
    }
}

/// EMSA-PSS-VERIFY (RFC 8017 9.1.2) for emBits = 2047, every step taken.
fn pss_holds(em: &[u8; EM_LEN], input: &[u8]) -> Choice {
    let m_hash = Sha384::digest(input);
    let (masked, rest) = em.split_at(DB_LEN);
    let h: &[u8; HASH_LEN] = rest[..HASH_LEN].try_into().expect("length");
    let mut ok = rest[HASH_LEN].ct_eq(&TRAILER);
    // The leftmost 8 x emLen - emBits = 1 bit must be zero.
    ok &= (masked[0] & 0x80).ct_eq(&0);
    let mut db = [0u8; DB_LEN];
    mgf1_sha384(h, &mut db);
    for (d, m) in db.iter_mut().zip(masked) {
        *d ^= m;
    }
    db[0] &= 0x7f;
    let mut zeros = 0u8;
    for b in &db[..PADDING_LEN] {
        zeros |= b;
    }
    ok &= zeros.ct_eq(&0) & db[PADDING_LEN].ct_eq(&0x01);
    let salt = &db[PADDING_LEN + 1..];
    let mut prime = Sha384::new();
    prime.update([0u8; 8]);
    prime.update(m_hash);
    prime.update(salt);
    ok & prime.finalize().as_slice().ct_eq(h)
}

/// MGF1 with SHA-384 (RFC 8017 B.2.1): `out.len()` bytes from `seed`.
fn mgf1_sha384(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(HASH_LEN).enumerate() {
        let mut h = Sha384::new();
        h.update(seed);
        h.update((counter as u32).to_be_bytes());
        let block = h.finalize();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PSS signature made by the rsa crate's own signer verifies here,
    /// and one flipped bit anywhere does not.
    #[test]
    fn agrees_with_the_rsa_crate() {
        use rsa::pkcs8::EncodePublicKey;
        use rsa::signature::{RandomizedSigner, SignatureEncoding};
        let mut rng = rsa::rand_core::OsRng;
        let private = rsa::RsaPrivateKey::new(&mut rng, MODULUS_BITS).expect("key");
        let der = private
            .to_public_key()
            .to_public_key_der()
            .expect("der")
            .into_vec();
        let key = IssuerKey::from_spki_der(&der).expect("a 2048-bit key");
        let signer = rsa::pss::SigningKey::<Sha384>::new_with_salt_len(private, SALT_LEN);
        let input = [7u8; TOKEN_INPUT_LEN];
        let sig: [u8; 256] = signer
            .sign_with_rng(&mut rng, &input)
            .to_bytes()
            .as_ref()
            .try_into()
            .expect("256 bytes");
        assert!(bool::from(key.verify(&input, &sig)));
        for bit in [0usize, 9, 1000, 2047] {
            let mut bad = sig;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!bool::from(key.verify(&input, &bad)), "bit {bit}");
        }
        let mut other = input;
        other[50] ^= 1;
        assert!(!bool::from(key.verify(&other, &sig)));
        assert!(!bool::from(key.verify(&input, &[0xff; 256])), "s >= n");
    }

    #[test]
    fn keys_that_are_not_2048_bit_rsa_are_refused() {
        use rsa::pkcs8::EncodePublicKey;
        let small = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("key");
        let der = small.to_public_key().to_public_key_der().expect("der");
        assert_eq!(
            IssuerKey::from_spki_der(der.as_bytes()).unwrap_err(),
            KeyError::WrongSize(1024)
        );
        assert_eq!(
            IssuerKey::from_spki_der(b"not a key").unwrap_err(),
            KeyError::NotSpki
        );
    }
}

#[cfg(test)]
mod cost {
    use super::*;

    /// How long one check takes (measurement only: `cargo test --release
    /// -p hush-enclave --lib -- --ignored token_check_cost --nocapture`).
    #[test]
    #[ignore = "a measurement, not a test"]
    fn token_check_cost() {
        use rsa::pkcs8::EncodePublicKey;
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, MODULUS_BITS).unwrap();
        let der = private
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .into_vec();
        let key = IssuerKey::from_spki_der(&der).unwrap();
        let input = [7u8; TOKEN_INPUT_LEN];
        let sig = [0x42u8; 256];
        let n = 200;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(key.verify(&input, &sig));
        }
        println!(
            "one check: {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        let s = rsa::BigUint::from_bytes_be(&sig);
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box((&s % key.key.n()).modpow(key.key.e(), key.key.n()));
        }
        println!(
            "num-bigint's exponentiation, for comparison: {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
}
