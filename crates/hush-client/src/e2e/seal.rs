//! Sealing and opening envelopes (see the module docs of `e2e`).

use super::card::{encryption_keypair, sign_encryption_key, verify_encryption_key};
use super::{Aead, E2eError, Kdf, Kem, VerifiedCard};
use crate::Identity;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use hush_wire::consts::{
    AEAD_TAG_LEN, ENVELOPE_CIPHERTEXT_LEN, ENVELOPE_HEADER_LEN, ID_LEN, KEY_LEN, PAYLOAD_LEN,
};
use hush_wire::{
    AuthorRole, EnvelopeHeader, EnvelopeKind, EnvelopePlaintext, FixedCodec, Message, MessageId,
    Payload, PublicKey,
};

/// HPKE `info`: names the protocol and its version.
const INFO: &[u8] = b"hush.envelope.v1";

/// A payload ready to send: sealed for its recipient, or explicitly not.
#[derive(Clone, Debug)]
pub struct SealedPayload(Payload);

impl SealedPayload {
    /// Sends `payload` as it is, unencrypted: the broker's enclave (and,
    /// with today's in-process enclave, its operator) can read it. For load
    /// generators and protocol tests; never what the CLI does.
    pub fn unencrypted(payload: Payload) -> Self {
        Self(payload)
    }

    /// The payload bytes.
    pub fn payload(&self) -> &Payload {
        &self.0
    }

    /// Unwraps the payload.
    pub fn into_payload(self) -> Payload {
        self.0
    }
}

/// Associated data: binds the ciphertext to its message and its header.
fn aad(id: &MessageId, sender: &PublicKey, recipient: &PublicKey, header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(INFO.len() + ID_LEN + 2 * KEY_LEN + ENVELOPE_HEADER_LEN);
    aad.extend_from_slice(INFO);
    aad.extend_from_slice(id.as_bytes());
    aad.extend_from_slice(sender.as_bytes());
    aad.extend_from_slice(recipient.as_bytes());
    aad.extend_from_slice(header);
    aad
}

/// Seals `plaintext`, written by `author`, for the message `id` from
/// `sender` to `to`. `author` is the sender, or the recipient rewriting a
/// message it received (then `to` is its own card).
pub fn seal(
    author: &Identity,
    to: &VerifiedCard,
    id: &MessageId,
    sender: &PublicKey,
    plaintext: &EnvelopePlaintext,
) -> Result<SealedPayload, E2eError> {
    seal_with_rng(author, to, id, sender, plaintext, &mut rand::rng())
}

/// [`seal`] with the caller's random source, for reproducible tests and
/// fuzzing. It must be a cryptographically secure generator: the HPKE
/// ephemeral key comes from it.
pub fn seal_with_rng<R: rand::CryptoRng + rand::RngCore>(
    author: &Identity,
    to: &VerifiedCard,
    id: &MessageId,
    sender: &PublicKey,
    plaintext: &EnvelopePlaintext,
    rng: &mut R,
) -> Result<SealedPayload, E2eError> {
    let recipient = to.signing_key();
    let role = if author.public() == *sender {
        AuthorRole::Sender
    } else if author.public() == recipient {
        AuthorRole::Recipient
    } else {
        return Err(E2eError::Seal(
            "only a message's sender or recipient can write it".into(),
        ));
    };
    let (sk, pk) = encryption_keypair(author);
    let author_key: [u8; 32] = pk.to_bytes().into();
    let recipient_pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&to.card().encryption_key)
        .map_err(|e| E2eError::Seal(e.to_string()))?;
    // The header carries the encapsulated key and the associated data
    // carries the header: encapsulate first, then seal.
    let (encapped, mut ctx) =
        hpke::setup_sender::<Aead, Kdf, Kem, _>(&OpModeS::Auth((sk, pk)), &recipient_pk, INFO, rng)
            .map_err(|e| E2eError::Seal(e.to_string()))?;
    let header = EnvelopeHeader {
        author: role,
        author_encryption_key: author_key,
        author_signature: sign_encryption_key(author, &author_key),
        encapped_key: encapped.to_bytes().into(),
    }
    .encode();
    let mut body = zeroize::Zeroizing::new(plaintext.encode());
    let tag = ctx
        .seal_in_place_detached(&mut body, &aad(id, sender, &recipient, &header))
        .map_err(|e| E2eError::Seal(e.to_string()))?;
    let mut raw = [0u8; PAYLOAD_LEN];
    raw[..ENVELOPE_HEADER_LEN].copy_from_slice(&header);
    raw[ENVELOPE_HEADER_LEN..PAYLOAD_LEN - AEAD_TAG_LEN].copy_from_slice(&body);
    raw[PAYLOAD_LEN - AEAD_TAG_LEN..].copy_from_slice(&tag.to_bytes());
    Ok(SealedPayload(Payload::from_raw(raw)))
}

/// An opened envelope.
#[derive(Clone, Debug)]
pub struct Opened {
    /// Who wrote it (the message's sender, or its recipient after an update).
    pub author: PublicKey,
    /// In which role.
    pub role: AuthorRole,
    /// What it carries.
    pub kind: EnvelopeKind,
    /// The content.
    pub content: Vec<u8>,
}

/// Opens `message` as `me`, its recipient. Nothing is changed on failure.
pub fn open(me: &Identity, message: &Message) -> Result<Opened, E2eError> {
    if message.recipient != me.public() {
        return Err(E2eError::NotForMe {
            recipient: message.recipient,
            me: me.public(),
        });
    }
    let raw = message.payload.as_bytes();
    let header_bytes = &raw[..ENVELOPE_HEADER_LEN];
    let header = EnvelopeHeader::decode(header_bytes).map_err(E2eError::NotAnEnvelope)?;
    let author = match header.author {
        AuthorRole::Sender => message.sender,
        AuthorRole::Recipient => message.recipient,
    };
    if !verify_encryption_key(
        &author,
        &header.author_encryption_key,
        &header.author_signature,
    ) {
        return Err(E2eError::BadAuthorKey(author));
    }
    let author_pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&header.author_encryption_key)
        .map_err(|_| E2eError::BadAuthorKey(author))?;
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(&header.encapped_key)
        .map_err(|_| E2eError::Decrypt)?;
    let (sk, _) = encryption_keypair(me);
    let ciphertext = &raw[ENVELOPE_HEADER_LEN..];
    debug_assert_eq!(ciphertext.len(), ENVELOPE_CIPHERTEXT_LEN);
    let plain = zeroize::Zeroizing::new(
        hpke::single_shot_open::<Aead, Kdf, Kem>(
            &OpModeR::Auth(author_pk),
            &sk,
            &encapped,
            INFO,
            ciphertext,
            &aad(
                &message.id,
                &message.sender,
                &message.recipient,
                header_bytes,
            ),
        )
        .map_err(|_| E2eError::Decrypt)?,
    );
    let plaintext = EnvelopePlaintext::decode(&plain).map_err(E2eError::Plaintext)?;
    Ok(Opened {
        author,
        role: header.author,
        kind: plaintext.kind,
        content: plaintext.content().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::e2e::card_for;
    use hush_wire::Timestamp;

    fn text(s: &str) -> EnvelopePlaintext {
        EnvelopePlaintext::new(EnvelopeKind::Text, s.as_bytes()).unwrap()
    }

    fn message(id: MessageId, from: &Identity, to: &Identity, p: SealedPayload) -> Message {
        Message {
            id,
            sender: from.public(),
            recipient: to.public(),
            timestamp: Timestamp(1),
            payload: p.into_payload(),
        }
    }

    #[test]
    fn round_trip_and_every_refusal() {
        let (alice, bob, carol) = (
            Identity::generate("alice"),
            Identity::generate("bob"),
            Identity::generate("carol"),
        );
        let id = crate::new_message_id();
        let sealed = seal(
            &alice,
            &card_for(&bob),
            &id,
            &alice.public(),
            &text("hi bob"),
        )
        .unwrap();
        let raw = sealed.payload().as_bytes().to_vec();
        assert!(
            !raw.windows(6).any(|w| w == b"hi bob"),
            "the payload does not carry the text in the clear"
        );
        let m = message(id, &alice, &bob, sealed.clone());
        let opened = open(&bob, &m).unwrap();
        assert_eq!(opened.content, b"hi bob");
        assert_eq!(opened.author, alice.public());
        assert_eq!(
            (opened.role, opened.kind),
            (AuthorRole::Sender, EnvelopeKind::Text)
        );

        // For another key.
        assert!(matches!(open(&carol, &m), Err(E2eError::NotForMe { .. })));
        // Sealed for bob but delivered as if to carol: carol cannot read it.
        let moved = message(id, &alice, &carol, sealed.clone());
        assert!(matches!(open(&carol, &moved), Err(E2eError::Decrypt)));
        // Every ciphertext byte and every header byte is protected.
        for at in [0, 1, 5, 40, 100, 129, 130, 500, PAYLOAD_LEN - 1] {
            let mut bad = m.clone();
            let mut bytes = *bad.payload.as_bytes();
            bytes[at] ^= 1;
            bad.payload = Payload::from_raw(bytes);
            assert!(
                open(&bob, &bad).is_err(),
                "byte {at} flipped went unnoticed"
            );
        }
        // Moved to another id, or claimed by another sender.
        let mut other_id = m.clone();
        other_id.id = crate::new_message_id();
        assert!(matches!(open(&bob, &other_id), Err(E2eError::Decrypt)));
        let mut other_sender = m.clone();
        other_sender.sender = carol.public();
        assert!(matches!(
            open(&bob, &other_sender),
            Err(E2eError::BadAuthorKey(_))
        ));
        // A plaintext payload is not an envelope.
        let mut plain = m.clone();
        plain.payload = Payload::frame(b"hello").unwrap();
        assert!(matches!(
            open(&bob, &plain),
            Err(E2eError::NotAnEnvelope(_))
        ));
    }

    #[test]
    fn the_recipient_can_rewrite_its_own_message() {
        let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
        let id = crate::new_message_id();
        let sealed = seal(&bob, &card_for(&bob), &id, &alice.public(), &text("note")).unwrap();
        let opened = open(&bob, &message(id, &alice, &bob, sealed)).unwrap();
        assert_eq!(
            (opened.author, opened.role),
            (bob.public(), AuthorRole::Recipient)
        );
        let carol = Identity::generate("carol");
        assert!(seal(&carol, &card_for(&bob), &id, &alice.public(), &text("x")).is_err());
    }

    #[test]
    fn every_envelope_has_one_size_and_looks_random() {
        let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
        let id = crate::new_message_id();
        let a = seal(&alice, &card_for(&bob), &id, &alice.public(), &text("")).unwrap();
        let b = seal(
            &alice,
            &card_for(&bob),
            &id,
            &alice.public(),
            &text(&"x".repeat(787)),
        )
        .unwrap();
        assert_eq!(a.payload().as_bytes().len(), b.payload().as_bytes().len());
        // No run of zero padding shows the content's length.
        let tail = &a.payload().as_bytes()[ENVELOPE_HEADER_LEN..];
        assert!(!tail.windows(16).any(|w| w.iter().all(|&x| x == 0)));
    }
}
