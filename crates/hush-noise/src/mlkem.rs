//! ML-KEM-768 (FIPS 203) behind snow's [`Kem`] trait.
//!
//! The arithmetic is libcrux's (Cryspen's formally verified ML-KEM, with
//! AVX2 code chosen at run time where the CPU has it); this module only
//! adapts it:
//! - key generation draws the 64 bytes `d || z` from snow's random source
//!   (so a seeded source reproduces a key, which the session vector uses);
//! - encapsulation draws `m` from the operating system (or, in the
//!   `vectors` build, takes a fixed one) and first checks the
//!   encapsulation key as FIPS 203 (7.2) asks, with libcrux's
//!   `validate_public_key`: every 12-bit coefficient below q = 3,329; a
//!   peer that sends another gets a failed handshake.
//!
//! Sizes are ML-KEM-768's: a 1,184-byte encapsulation key, a 1,088-byte
//! ciphertext, a 32-byte shared secret.

use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768KeyPair, MlKem768PublicKey};
use snow::Error;
use snow::types::{Kem, Random};
use zeroize::Zeroizing;

/// Bytes of an ML-KEM-768 encapsulation (public) key.
pub const PUBLIC_KEY_LEN: usize = 1184;
/// Bytes of an ML-KEM-768 ciphertext.
pub const CIPHERTEXT_LEN: usize = 1088;
/// Bytes of the shared secret.
pub const SHARED_SECRET_LEN: usize = 32;
/// The name of the primitive (in the protocol name after the `+`).
pub const NAME: &str = "MLKEM768";
/// `key` as an ML-KEM-768 encapsulation key, if it is one: the right
/// length and FIPS 203's modulus check (every 12-bit coefficient below
/// q; libcrux's `validate_public_key`). A public value.
fn encapsulation_key(key: &[u8]) -> Option<MlKem768PublicKey> {
    let bytes: [u8; PUBLIC_KEY_LEN] = key.try_into().ok()?;
    let key = MlKem768PublicKey::from(bytes);
    mlkem768::validate_public_key(&key).then_some(key)
}

/// Whether `key` is a well-formed ML-KEM-768 encapsulation key.
pub fn encapsulation_key_is_valid(key: &[u8]) -> bool {
    encapsulation_key(key).is_some()
}

/// One side's ML-KEM-768 state in a handshake: the initiator's fresh key
/// pair, or nothing for a responder, which only encapsulates.
pub struct MlKem {
    keys: Option<MlKem768KeyPair>,
    /// The `vectors` build's fixed encapsulation randomness.
    #[cfg_attr(not(feature = "vectors"), allow(dead_code))]
    fixed_m: Option<[u8; 32]>,
}

impl MlKem {
    /// A KEM with no key yet, drawing its randomness from the system.
    pub fn new() -> Self {
        Self {
            keys: None,
            fixed_m: None,
        }
    }

    /// A KEM whose encapsulations all use `m`: for the known-answer
    /// session vector only (the shared secret is then predictable).
    #[cfg(feature = "vectors")]
    pub fn with_fixed_encapsulation(m: [u8; 32]) -> Self {
        Self {
            keys: None,
            fixed_m: Some(m),
        }
    }

    fn encapsulation_randomness(&self) -> Result<Zeroizing<[u8; 32]>, Error> {
        #[cfg(feature = "vectors")]
        if let Some(m) = self.fixed_m {
            return Ok(Zeroizing::new(m));
        }
        let mut m = Zeroizing::new([0u8; 32]);
        rand_core06::RngCore::try_fill_bytes(&mut rand_core06::OsRng, &mut m[..])
            .map_err(|_| Error::Rng)?;
        Ok(m)
    }
}

impl Default for MlKem {
    fn default() -> Self {
        Self::new()
    }
}

impl Kem for MlKem {
    fn name(&self) -> &'static str {
        NAME
    }

    fn pub_len(&self) -> usize {
        PUBLIC_KEY_LEN
    }

    fn ciphertext_len(&self) -> usize {
        CIPHERTEXT_LEN
    }

    fn shared_secret_len(&self) -> usize {
        SHARED_SECRET_LEN
    }

    fn generate(&mut self, rng: &mut dyn Random) {
        // FIPS 203 ML-KEM.KeyGen: d then z, 32 bytes each.
        let mut seed = Zeroizing::new([0u8; 64]);
        rng.try_fill_bytes(&mut seed[..])
            .expect("the system's random source failed");
        self.keys = Some(mlkem768::generate_key_pair(*seed));
    }

    fn pubkey(&self) -> &[u8] {
        self.keys.as_ref().map(|k| &k.pk()[..]).unwrap_or(&[])
    }

    fn encapsulate(
        &self,
        pubkey: &[u8],
        shared_secret_out: &mut [u8],
        ciphertext_out: &mut [u8],
    ) -> Result<(usize, usize), Error> {
        if shared_secret_out.len() < SHARED_SECRET_LEN || ciphertext_out.len() < CIPHERTEXT_LEN {
            return Err(Error::Kem);
        }
        let ek = encapsulation_key(pubkey).ok_or(Error::Kem)?;
        let m = self.encapsulation_randomness()?;
        let (ct, ss) = mlkem768::encapsulate(&ek, *m);
        ciphertext_out[..CIPHERTEXT_LEN].copy_from_slice(ct.as_slice());
        shared_secret_out[..SHARED_SECRET_LEN].copy_from_slice(&ss);
        Ok((SHARED_SECRET_LEN, CIPHERTEXT_LEN))
    }

    fn decapsulate(&self, ciphertext: &[u8], shared_secret_out: &mut [u8]) -> Result<usize, Error> {
        let keys = self.keys.as_ref().ok_or(Error::Kem)?;
        if shared_secret_out.len() < SHARED_SECRET_LEN {
            return Err(Error::Kem);
        }
        let bytes: [u8; CIPHERTEXT_LEN] = ciphertext.try_into().map_err(|_| Error::Kem)?;
        let ct = MlKem768Ciphertext::from(bytes);
        // Implicit rejection: a wrong ciphertext gives an unrelated secret
        // (and a failed handshake), in the same time as a right one.
        let ss = mlkem768::decapsulate(keys.private_key(), &ct);
        shared_secret_out[..SHARED_SECRET_LEN].copy_from_slice(&ss);
        Ok(SHARED_SECRET_LEN)
    }
}
