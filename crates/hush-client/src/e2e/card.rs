//! An identity's encryption key and its contact card.

use super::{E2eError, Kem};
use crate::Identity;
use hpke::{Deserializable, Kem as _, Serializable};
use hush_wire::consts::{CARD_CONTEXT, ENCRYPTION_KEY_LEN};
use hush_wire::{Card, PublicKey, Signature};

/// Label that separates the encryption key's derivation from every other
/// use of an identity's secret.
const ENCRYPTION_KEY_LABEL: &[u8] = b"hush.identity.x25519.v1";

/// The identity's X25519 key pair, derived from its secret with HPKE's
/// DeriveKeyPair (RFC 9180, 7.1.3).
pub(crate) fn encryption_keypair(
    identity: &Identity,
) -> (
    <Kem as hpke::Kem>::PrivateKey,
    <Kem as hpke::Kem>::PublicKey,
) {
    let mut ikm = zeroize::Zeroizing::new(Vec::with_capacity(ENCRYPTION_KEY_LABEL.len() + 32));
    ikm.extend_from_slice(ENCRYPTION_KEY_LABEL);
    ikm.extend_from_slice(identity.seed());
    Kem::derive_keypair(&ikm)
}

/// The identity's public encryption key.
pub fn encryption_key(identity: &Identity) -> [u8; ENCRYPTION_KEY_LEN] {
    let (_, public) = encryption_keypair(identity);
    public.to_bytes().into()
}

/// Signs `encryption_key` as `identity`'s (the card's signature).
pub(crate) fn sign_encryption_key(
    identity: &Identity,
    encryption_key: &[u8; ENCRYPTION_KEY_LEN],
) -> Signature {
    let sig = identity.keypair().sign_simple(CARD_CONTEXT, encryption_key);
    Signature(sig.to_bytes())
}

/// Whether `signature` is `signing_key`'s signature of `encryption_key`.
pub(crate) fn verify_encryption_key(
    signing_key: &PublicKey,
    encryption_key: &[u8; ENCRYPTION_KEY_LEN],
    signature: &Signature,
) -> bool {
    let Ok(key) = schnorrkel::PublicKey::from_bytes(signing_key.as_bytes()) else {
        return false;
    };
    let Ok(sig) = schnorrkel::Signature::from_bytes(&signature.0) else {
        return false;
    };
    key.verify_simple(CARD_CONTEXT, encryption_key, &sig)
        .is_ok()
        && <Kem as hpke::Kem>::PublicKey::from_bytes(encryption_key).is_ok()
}

/// `identity`'s contact card.
pub fn card_for(identity: &Identity) -> VerifiedCard {
    let encryption_key = encryption_key(identity);
    VerifiedCard(Card {
        signing_key: identity.public(),
        encryption_key,
        signature: sign_encryption_key(identity, &encryption_key),
    })
}

/// A card whose signature was checked: the only kind messages are sealed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCard(Card);

impl VerifiedCard {
    /// Checks `card`'s signature.
    pub fn verify(card: Card) -> Result<Self, E2eError> {
        if verify_encryption_key(&card.signing_key, &card.encryption_key, &card.signature) {
            Ok(Self(card))
        } else {
            Err(E2eError::BadCard(card.signing_key))
        }
    }

    /// Parses and checks a card's one-line text form.
    pub fn from_text(text: &str) -> Result<Self, CardError> {
        let card = Card::from_text(text).map_err(CardError::Format)?;
        Self::verify(card).map_err(CardError::Signature)
    }

    /// The card.
    pub fn card(&self) -> &Card {
        &self.0
    }

    /// The identity's signing key (its broker identity).
    pub fn signing_key(&self) -> PublicKey {
        self.0.signing_key
    }

    /// The one-line text form.
    pub fn to_text(&self) -> String {
        self.0.to_text()
    }
}

/// Why a card's text was refused.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// Not a card.
    #[error("not a contact card: {0}")]
    Format(hush_wire::WireError),
    /// A card whose signature does not verify.
    #[error("{0}")]
    Signature(E2eError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_verify_and_tampering_is_refused() {
        let alice = Identity::generate("alice");
        let card = card_for(&alice);
        assert_eq!(card.signing_key(), alice.public());
        assert_eq!(card.card().encryption_key, encryption_key(&alice));
        let again = VerifiedCard::from_text(&card.to_text()).unwrap();
        assert_eq!(again.card().encryption_key, card.card().encryption_key);
        // The key is derived: the same identity always has the same one.
        assert_eq!(encryption_key(&alice), encryption_key(&alice.clone()));
        assert_ne!(
            encryption_key(&alice),
            encryption_key(&Identity::generate("b"))
        );
        // Another identity's encryption key under alice's name.
        let mut forged = card.card().clone();
        forged.encryption_key = encryption_key(&Identity::generate("mallory"));
        let err = VerifiedCard::verify(forged).unwrap_err();
        assert!(
            err.to_string().contains("not signed by its own key"),
            "{err}"
        );
        // A flipped signature bit.
        let mut bad = card.card().clone();
        bad.signature.0[10] ^= 1;
        assert!(matches!(
            VerifiedCard::verify(bad),
            Err(E2eError::BadCard(_))
        ));
        assert!(matches!(
            VerifiedCard::from_text("hush-card-v1:00"),
            Err(CardError::Format(_))
        ));
    }
}
