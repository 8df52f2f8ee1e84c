//! Contact cards: what one user hands another so they can write to them
//! end to end. A card names an identity's signing key (its broker
//! identity) and its X25519 encryption key, signed by the signing key. The
//! signature is checked by `hush-client`, which holds the crypto.
//!
//! Text form, one line: `hush-card-v1:` followed by 256 hex digits of
//! signing key 32 | encryption key 32 | signature 64.

use crate::codec::{Cursor, CursorMut};
use crate::consts::{CARD_LEN, CARD_PREFIX, ENCRYPTION_KEY_LEN, SIGNATURE_LEN};
use crate::{FixedCodec, PublicKey, Signature, WireError};

/// A contact card (its signature not yet checked when decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    /// The identity's signing key: who it is to the broker.
    pub signing_key: PublicKey,
    /// The identity's X25519 encryption key.
    pub encryption_key: [u8; ENCRYPTION_KEY_LEN],
    /// The signing key's signature of the encryption key.
    pub signature: Signature,
}

impl Card {
    /// The one-line text form.
    pub fn to_text(&self) -> String {
        format!("{CARD_PREFIX}{}", hex::encode(self.encode()))
    }

    /// Parses the one-line text form (surrounding white space ignored).
    pub fn from_text(text: &str) -> Result<Self, WireError> {
        let body = text
            .trim()
            .strip_prefix(CARD_PREFIX)
            .ok_or(WireError::InvalidRequest(
                "a contact card starts with \"hush-card-v1:\" (print one with `hush id card NAME`)",
            ))?;
        if body.len() != 2 * CARD_LEN {
            return Err(WireError::InvalidRequest(
                "a contact card has 256 hex digits after \"hush-card-v1:\"; was it cut short?",
            ));
        }
        let bytes = hex::decode(body)
            .map_err(|_| WireError::InvalidRequest("a contact card's body must be hex digits"))?;
        Self::decode(&bytes)
    }
}

impl FixedCodec for Card {
    const LEN: usize = CARD_LEN;
    const NAME: &'static str = "contact card";

    fn encode_into(&self, out: &mut [u8]) {
        let mut c = CursorMut::new(out);
        c.put(self.signing_key.as_bytes());
        c.put(&self.encryption_key);
        c.put(&self.signature.0);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut c = Cursor::new(bytes);
        let signing_key = PublicKey::new(c.take_array())?;
        let encryption_key = c.take_array();
        if encryption_key == [0u8; ENCRYPTION_KEY_LEN] {
            return Err(WireError::ZeroKey);
        }
        Ok(Self {
            signing_key,
            encryption_key,
            signature: Signature(c.take_array::<SIGNATURE_LEN>()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Card {
        Card {
            signing_key: PublicKey::new([1; 32]).unwrap(),
            encryption_key: [2; 32],
            signature: Signature([3; 64]),
        }
    }

    #[test]
    fn text_round_trip_and_clear_refusals() {
        let text = card().to_text();
        assert!(text.starts_with(CARD_PREFIX));
        assert_eq!(Card::from_text(&format!("  {text}\n")).unwrap(), card());
        assert_eq!(
            Card::from_text(&text.to_uppercase().replace("HUSH-CARD-V1:", CARD_PREFIX)).unwrap(),
            card()
        );
        let err = |t: &str| Card::from_text(t).unwrap_err().to_string();
        assert!(err("hello").contains("starts with"));
        assert!(err(&text[..text.len() - 2]).contains("cut short"));
        assert!(err(&text.replace('0', "z")).contains("hex"));
        let zero = Card {
            encryption_key: [0; 32],
            ..card()
        };
        assert!(Card::from_text(&zero.to_text()).is_err());
    }
}
