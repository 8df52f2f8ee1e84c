//! Passphrase protection of identity secrets, in the age format (scrypt
//! recipient, ASCII armor), so a protected secret can also be recovered
//! with any age tool (`age -d`, `rage -d`). Opt-in: unprotected identity
//! files keep working and scripts need nothing new.

use age::secrecy::SecretString;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Where the passphrase of a protected identity comes from, given its name.
/// Returns `None` when there is no way to ask (then loading fails with a
/// clear error).
pub type PassphraseSource = Arc<dyn Fn(&str) -> Option<Zeroizing<String>> + Send + Sync>;

/// Why protecting or unprotecting failed.
#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    /// The passphrase did not open the secret.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The protected secret is not a valid age file.
    #[error("the protected secret is damaged: {0}")]
    Damaged(String),
}

/// Seals `secret` under `passphrase` (scrypt, age's default work factor:
/// about a second on this kind of machine).
pub fn seal(secret: &[u8], passphrase: &str) -> String {
    let recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    age::encrypt_and_armor(&recipient, secret).expect("encrypting to a passphrase in memory")
}

/// Opens a secret sealed by [`seal`].
pub fn open(armored: &str, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, ProtectError> {
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    match age::decrypt(&identity, armored.as_bytes()) {
        Ok(secret) => Ok(Zeroizing::new(secret)),
        Err(age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys) => {
            Err(ProtectError::WrongPassphrase)
        }
        Err(e) => Err(ProtectError::Damaged(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_passphrase() {
        let sealed = seal(&[7u8; 32], "correct horse");
        assert!(sealed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert_eq!(&open(&sealed, "correct horse").unwrap()[..], &[7u8; 32]);
        assert!(matches!(
            open(&sealed, "wrong"),
            Err(ProtectError::WrongPassphrase)
        ));
        assert!(matches!(
            open("garbage", "x"),
            Err(ProtectError::Damaged(_))
        ));
    }
}
