//! Identifiers a user can be found by: an email address, an E.164 phone
//! number, or a username (`nick.42`), normalised so that one person's
//! identifier always hashes the same.

use crate::WireError;
use crate::codec::check_len;
use crate::consts::{IDENTIFIER_LEN, MAX_IDENTIFIER_BYTES};

/// What an identifier is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum IdentifierKind {
    /// An email address, lower-cased.
    Email = 1,
    /// A phone number in E.164 form (`+` and 8 to 15 digits).
    Phone = 2,
    /// A username: a nickname, a dot and a discriminator (`nick.42`), as
    /// Signal's usernames. No code is sent: the account reserves it and
    /// confirms it, and the confirmation fails if it is taken.
    Username = 3,
}

/// Shortest nickname of a username.
pub const MIN_NICKNAME: usize = 3;
/// Longest nickname of a username.
pub const MAX_NICKNAME: usize = 32;
/// Fewest digits of a username's discriminator.
pub const MIN_DISCRIMINATOR: usize = 2;
/// Most digits of a username's discriminator.
pub const MAX_DISCRIMINATOR: usize = 9;

/// A normalised identifier. Construct it with [`Identifier::email`],
/// [`Identifier::phone`] or [`Identifier::parse`]; each refuses malformed
/// input with a message that says what is wrong.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    kind: IdentifierKind,
    text: String,
}

impl Identifier {
    /// An email address: trimmed and lower-cased; one `@`, a non-empty
    /// local part, a domain with a dot, no spaces or control characters,
    /// at most 126 bytes.
    pub fn email(input: &str) -> Result<Self, WireError> {
        let text = input.trim().to_lowercase();
        let bad = |why| Err(WireError::InvalidIdentifier(why));
        if text.is_empty() {
            return bad("an email address is empty");
        }
        if text.len() > MAX_IDENTIFIER_BYTES {
            return bad("an email address is at most 126 bytes");
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("an email address has no spaces or control characters");
        }
        let Some((local, domain)) = text.split_once('@') else {
            return bad("an email address has an @ (like alice@example.org)");
        };
        if local.is_empty() || domain.contains('@') {
            return bad("an email address has exactly one @ after a non-empty name");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return bad("an email address ends in a domain like example.org");
        }
        Ok(Self {
            kind: IdentifierKind::Email,
            text,
        })
    }

    /// A phone number in E.164 form: `+`, then 8 to 15 digits, the first
    /// not zero. Spaces, dashes, dots and parentheses are dropped.
    pub fn phone(input: &str) -> Result<Self, WireError> {
        let text: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let bad = || {
            Err(WireError::InvalidIdentifier(
                "a phone number is in E.164 form: + and 8 to 15 digits, like +41446681800",
            ))
        };
        let Some(digits) = text.strip_prefix('+') else {
            return bad();
        };
        if !(8..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return bad();
        }
        Ok(Self {
            kind: IdentifierKind::Phone,
            text,
        })
    }

    /// A username: an optional leading `@`, a nickname of 3 to 32
    /// letters, digits or `_` starting with a letter, a dot, and a
    /// discriminator of 2 to 9 digits (not all zero; no leading zero beyond
    /// two digits). Lower-cased.
    pub fn username(input: &str) -> Result<Self, WireError> {
        let text = input.trim().trim_start_matches('@').to_lowercase();
        let bad = || {
            Err(WireError::InvalidIdentifier(
                "a username is a nickname of 3 to 32 letters, digits or _ (starting with a letter), a dot, and 2 to 9 digits, like alice.42",
            ))
        };
        let Some((nick, digits)) = text.rsplit_once('.') else {
            return bad();
        };
        let nick_ok = (MIN_NICKNAME..=MAX_NICKNAME).contains(&nick.len())
            && nick
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && nick.as_bytes()[0].is_ascii_lowercase();
        let digits_ok = (MIN_DISCRIMINATOR..=MAX_DISCRIMINATOR).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.bytes().any(|b| b != b'0')
            && (digits.len() == MIN_DISCRIMINATOR || !digits.starts_with('0'));
        if !(nick_ok && digits_ok) {
            return bad();
        }
        Ok(Self {
            kind: IdentifierKind::Username,
            text,
        })
    }

    /// A phone number if `input` starts with `+`, an email address if it
    /// has an `@` after its first character, else a username.
    pub fn parse(input: &str) -> Result<Self, WireError> {
        let t = input.trim_start();
        if t.starts_with('+') {
            Self::phone(input)
        } else if t.get(1..).is_some_and(|rest| rest.contains('@')) {
            Self::email(input)
        } else {
            Self::username(input)
        }
    }

    /// Its kind.
    pub fn kind(&self) -> IdentifierKind {
        self.kind
    }

    /// The normalised text (`alice@example.org`, `+41446681800`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The 128-byte field: kind | length | bytes | zeros.
    pub fn encode(&self) -> [u8; IDENTIFIER_LEN] {
        let mut out = [0u8; IDENTIFIER_LEN];
        out[0] = self.kind as u8;
        out[1] = self.text.len() as u8;
        out[2..2 + self.text.len()].copy_from_slice(self.text.as_bytes());
        out
    }

    /// Parses the 128-byte field, checking that it is normalised.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        check_len("identifier", IDENTIFIER_LEN, bytes)?;
        let len = bytes[1] as usize;
        if len > MAX_IDENTIFIER_BYTES {
            return Err(WireError::InvalidIdentifier(
                "identifier length out of range",
            ));
        }
        if bytes[2 + len..].iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("identifier"));
        }
        let text = std::str::from_utf8(&bytes[2..2 + len])
            .map_err(|_| WireError::InvalidIdentifier("identifier is not UTF-8"))?;
        let id = match bytes[0] {
            1 => Self::email(text)?,
            2 => Self::phone(text)?,
            3 => Self::username(text)?,
            _ => return Err(WireError::InvalidIdentifier("unknown identifier kind")),
        };
        if id.text != text {
            return Err(WireError::InvalidIdentifier("identifier is not normalised"));
        }
        Ok(id)
    }
}

impl std::fmt::Display for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::fmt::Debug for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identifier({:?}, {})", self.kind, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        let id = Identifier::email("  Alice@Example.ORG ").unwrap();
        assert_eq!(id.as_str(), "alice@example.org");
        assert_eq!(Identifier::decode(&id.encode()).unwrap(), id);
        for bad in [
            "",
            "alice",
            "@example.org",
            "alice@",
            "alice@example",
            "alice@@example.org",
            "a b@example.org",
            "alice@example..org",
            "alice@exa\u{7}mple.org",
        ] {
            let e = Identifier::email(bad).unwrap_err().to_string();
            assert!(e.contains("email"), "{bad:?}: {e}");
        }
        let long = format!("{}@example.org", "a".repeat(120));
        assert!(Identifier::email(&long).is_err());
    }

    #[test]
    fn phones_are_e164() {
        let id = Identifier::phone("+41 44 668-18 00").unwrap();
        assert_eq!(id.as_str(), "+41446681800");
        assert_eq!(Identifier::parse("+41446681800").unwrap(), id);
        assert_eq!(Identifier::decode(&id.encode()).unwrap(), id);
        for bad in [
            "41446681800",
            "+0446681800",
            "+123",
            "+1234567890123456",
            "+4144abc1800",
        ] {
            let e = Identifier::phone(bad).unwrap_err().to_string();
            assert!(e.contains("E.164"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn usernames_are_a_nickname_and_a_discriminator() {
        let id = Identifier::username(" @Alice_B.42 ").unwrap();
        assert_eq!(id.as_str(), "alice_b.42");
        assert_eq!(id.kind(), IdentifierKind::Username);
        assert_eq!(Identifier::parse("alice_b.42").unwrap(), id);
        assert_eq!(Identifier::parse("@alice_b.42").unwrap(), id);
        assert_eq!(Identifier::decode(&id.encode()).unwrap(), id);
        assert!(
            Identifier::username("bob.07").is_ok(),
            "two digits may start with 0"
        );
        assert!(Identifier::username("bob.123456789").is_ok());
        for bad in [
            "bob",
            "bob.",
            "bo.42",
            "1bob.42",
            "bob.4",
            "bob.00",
            "bob.042",
            "bob.1234567890",
            "b-b.42",
            "bób.42",
            &format!("{}.42", "a".repeat(33)),
        ] {
            let e = Identifier::username(bad).unwrap_err().to_string();
            assert!(e.contains("username"), "{bad:?}: {e}");
        }
        // An email still parses as one, a bare word as a (bad) username.
        assert_eq!(
            Identifier::parse("a@example.org").unwrap().kind(),
            IdentifierKind::Email
        );
        assert!(
            Identifier::parse("alice")
                .unwrap_err()
                .to_string()
                .contains("username")
        );
    }

    #[test]
    fn decode_refuses_unnormalised_or_padded_garbage() {
        let mut f = Identifier::email("bob@example.org").unwrap().encode();
        f[2] = b'B';
        assert!(Identifier::decode(&f).is_err());
        let mut f = Identifier::email("bob@example.org").unwrap().encode();
        f[127] = 1;
        assert!(Identifier::decode(&f).is_err());
        let mut f = Identifier::email("bob@example.org").unwrap().encode();
        f[0] = 9;
        assert!(Identifier::decode(&f).is_err());
        f[1] = 200;
        assert!(Identifier::decode(&f).is_err());
    }
}
