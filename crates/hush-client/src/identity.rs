//! Identities: an sr25519 key pair with an easy name. Where they are kept
//! (one file per identity, optionally passphrase-protected) is
//! [`crate::keystore`], re-exported here.

use hush_wire::PublicKey;
use schnorrkel::{ExpansionMode, MiniSecretKey};
use zeroize::Zeroizing;

#[cfg(feature = "native")]
pub use crate::keystore::*;

/// Length of an identity's secret seed.
pub const SECRET_LEN: usize = 32;
/// Longest identity name.
pub const MAX_NAME_LEN: usize = 32;

/// Whether `name` is a valid identity name (ASCII: it is typed in every
/// command as --as).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Longest contact or group name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 32;

/// A contact or group name as it is kept and looked up: trimmed and
/// NFC-normalised, so a name typed with a precomposed or a combining
/// accent names the same contact.
pub fn display_name(input: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    input.trim().nfc().collect()
}

/// Whether `name` (as [`display_name`] gives it) is a valid contact or
/// group name: 1 to 32 letters, digits and combining marks of any script,
/// `-`, `_`, `.` (not first) and single spaces inside. Control,
/// direction-changing and invisible characters are refused (they could
/// make one name look like another), as is anything a file name cannot
/// hold.
pub fn valid_display_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_DISPLAY_NAME_CHARS).contains(&n)
        && !name.starts_with(['.', ' '])
        && !name.ends_with(' ')
        && !name.contains("  ")
        && name.chars().all(|c| {
            c.is_alphanumeric()
                || unicode_normalization::char::is_combining_mark(c)
                || matches!(c, '-' | '_' | '.' | ' ')
        })
}

/// A named key pair.
#[derive(Clone)]
pub struct Identity {
    name: String,
    secret: Zeroizing<[u8; SECRET_LEN]>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({}, {})", self.name, self.public())
    }
}

impl Identity {
    /// A new random identity.
    pub fn generate(name: &str) -> Self {
        Self::from_secret(name, rand::random())
    }

    /// The identity with secret seed `secret`.
    pub fn from_secret(name: &str, secret: [u8; SECRET_LEN]) -> Self {
        Self {
            name: name.to_owned(),
            secret: Zeroizing::new(secret),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its secret seed (the encryption key is derived from it too).
    pub fn seed(&self) -> &[u8; SECRET_LEN] {
        &self.secret
    }

    /// Its key pair.
    pub fn keypair(&self) -> schnorrkel::Keypair {
        MiniSecretKey::from_bytes(&self.secret[..])
            .expect("32 bytes")
            .expand_to_keypair(ExpansionMode::Ed25519)
    }

    /// Its public key.
    pub fn public(&self) -> PublicKey {
        PublicKey::new(self.keypair().public.to_bytes()).expect("a real key is not all zero")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_and_group_names_take_any_script_but_no_tricks() {
        for good in ["bob", "Zoë", "マリア", "José María", "श्री", "a-b_c.d", "Ａ"] {
            let n = display_name(good);
            assert!(valid_display_name(&n), "{good:?}");
        }
        // Two spellings of the same name are one name.
        assert_eq!(display_name("Zoe\u{308}"), display_name("Zo\u{eb}"));
        assert_eq!(display_name("  bob "), "bob");
        for bad in [
            "",
            "invoice\u{202e}fdp",
            "a\u{200b}b",
            "a\u{7}b",
            "a/b",
            ".hidden",
            "a  b",
            "\u{2066}x",
            &"x".repeat(33),
        ] {
            assert!(!valid_display_name(&display_name(bad)), "{bad:?}");
        }
    }
}
