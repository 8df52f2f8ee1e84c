//! Identities and contacts in the browser: an identity is the same sr25519
//! seed the CLI keeps (so `secretHex` round-trips with `hush id`), and a
//! contact is a checked card (`hush id card`).

use crate::WebError;
use hush_client::Identity;
use hush_client::e2e::{self, VerifiedCard};
use hush_client::identity::{SECRET_LEN, valid_name};
use wasm_bindgen::prelude::wasm_bindgen;

/// A named key pair.
#[wasm_bindgen]
pub struct WebIdentity(pub(crate) Identity);

#[wasm_bindgen]
impl WebIdentity {
    /// A new random identity called `name` (1 to 32 letters, digits, '-'
    /// or '_', as in the CLI).
    pub fn generate(name: &str) -> Result<WebIdentity, WebError> {
        check_name(name)?;
        Ok(Self(Identity::generate(name)))
    }

    /// The identity with secret seed `secret_hex` (64 hex digits).
    #[wasm_bindgen(js_name = fromSecret)]
    pub fn from_secret(name: &str, secret_hex: &str) -> Result<WebIdentity, WebError> {
        check_name(name)?;
        let mut seed = [0u8; SECRET_LEN];
        hex::decode_to_slice(secret_hex.trim(), &mut seed)
            .map_err(|_| WebError::new("an identity secret is 64 hex digits"))?;
        Ok(Self(Identity::from_secret(name, seed)))
    }

    /// Its name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name().to_owned()
    }

    /// Its public key (hex): its address on the broker.
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        self.0.public().to_hex()
    }

    /// Its X25519 encryption key (hex), the one its card carries.
    #[wasm_bindgen(getter, js_name = encryptionKey)]
    pub fn encryption_key(&self) -> String {
        hex::encode(e2e::card::encryption_key(&self.0))
    }

    /// Its secret seed (hex), for the page to keep in local storage.
    #[wasm_bindgen(js_name = secretHex)]
    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.seed())
    }

    /// Its contact card, to hand to others.
    pub fn card(&self) -> String {
        e2e::card_for(&self.0).to_text()
    }
}

fn check_name(name: &str) -> Result<(), WebError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(WebError::new(format!(
            "invalid identity name {name:?}: use 1 to 32 letters, digits, '-' or '_'"
        )))
    }
}

/// Someone's checked contact card.
#[wasm_bindgen]
pub struct WebContact(pub(crate) VerifiedCard);

#[wasm_bindgen]
impl WebContact {
    /// Parses and checks a card's text (its signature binds the
    /// encryption key to the identity key).
    #[wasm_bindgen(js_name = fromCard)]
    pub fn from_card(text: &str) -> Result<WebContact, WebError> {
        VerifiedCard::from_text(text.trim())
            .map(Self)
            .map_err(WebError::new)
    }

    /// The contact's public key (hex).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        self.0.signing_key().to_hex()
    }

    /// The safety number of `me` and this contact (60 digits in groups of
    /// five), to compare out of band as with `hush contact verify`.
    #[wasm_bindgen(js_name = safetyNumber)]
    pub fn safety_number(&self, me: &WebIdentity) -> String {
        e2e::safety_number::grouped(&e2e::safety_number::safety_number(
            &me.0.public(),
            &self.0.signing_key(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_bad_input_is_refused() {
        let a = WebIdentity::generate("alice").unwrap();
        let b = WebIdentity::from_secret("alice", &a.secret_hex()).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert!(WebIdentity::generate("no spaces").is_err());
        assert!(WebIdentity::from_secret("a", "abcd").is_err());
        let card = WebContact::from_card(&a.card()).unwrap();
        assert_eq!(card.public_key(), a.public_key());
        assert!(WebContact::from_card("hush-card:garbage").is_err());
        let bob = WebIdentity::generate("bob").unwrap();
        let bobs = WebContact::from_card(&bob.card()).unwrap();
        assert_eq!(bobs.safety_number(&a), card.safety_number(&bob));
    }
}
