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
    /// The secret asks for more scrypt work than hush will do (a file
    /// from another tool, or one crafted to tie the machine up).
    #[error(
        "the protected secret asks for scrypt work factor 2^{0}, more than the 2^{MAX_WORK_FACTOR} hush accepts; re-protect it with hush, or open it with an age tool (age -d)"
    )]
    TooMuchWork(u8),
}

/// The largest scrypt work factor (log2 N) hush opens: above what age
/// calibrates on any current machine (about 2^18 for a second), at most a
/// few seconds and 1 GiB. Fixed rather than age's default, which follows
/// the machine's speed at that moment: under load it fell below the
/// factor the same machine had sealed with, and a good file was refused.
pub const MAX_WORK_FACTOR: u8 = 22;

/// Seals `secret` under `passphrase` (scrypt, age's default work factor:
/// about a second on this kind of machine).
pub fn seal(secret: &[u8], passphrase: &str) -> String {
    let recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    age::encrypt_and_armor(&recipient, secret).expect("encrypting to a passphrase in memory")
}

/// Opens a secret sealed by [`seal`].
pub fn open(armored: &str, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, ProtectError> {
    open_within(armored, passphrase, MAX_WORK_FACTOR)
}

/// [`open`], accepting scrypt work factors up to 2^`max_work_factor`.
fn open_within(
    armored: &str,
    passphrase: &str,
    max_work_factor: u8,
) -> Result<Zeroizing<Vec<u8>>, ProtectError> {
    let mut identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    identity.set_max_work_factor(max_work_factor);
    match age::decrypt(&identity, armored.as_bytes()) {
        Ok(secret) => Ok(Zeroizing::new(secret)),
        Err(age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys) => {
            Err(ProtectError::WrongPassphrase)
        }
        Err(age::DecryptError::ExcessiveWork { required, .. }) => {
            Err(ProtectError::TooMuchWork(required))
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

    fn sealed_with_work_factor(log_n: u8) -> String {
        let mut recipient = age::scrypt::Recipient::new(SecretString::from("pw".to_owned()));
        recipient.set_work_factor(log_n);
        age::encrypt_and_armor(&recipient, &[1u8; 32]).unwrap()
    }

    #[test]
    fn the_work_factor_limit_is_fixed_not_the_machines_mood() {
        let sealed = sealed_with_work_factor(12);
        // Any factor up to the limit opens, whatever age would calibrate.
        assert_eq!(&open(&sealed, "pw").unwrap()[..], &[1u8; 32]);
        // Above it: a clear refusal (before any scrypt work), not "damaged".
        let err = open_within(&sealed, "pw", 11).unwrap_err();
        assert!(matches!(err, ProtectError::TooMuchWork(12)), "{err}");
        assert!(err.to_string().contains("2^12"), "{err}");
    }
}
