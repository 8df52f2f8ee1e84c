//! End-to-end envelopes: the layout of a payload one client seals for
//! another with HPKE (the crypto is in `hush-client`; the broker and the
//! enclave never read it).
//!
//! | part | layout | bytes |
//! |---|---|---|
//! | [`EnvelopeHeader`] | version 1 \| author role 1 \| author's encryption key 32 \| author's signature of it 64 \| HPKE encapsulated key 32 | 130 |
//! | ciphertext | [`EnvelopePlaintext`] sealed (790) \| tag 16 | 806 |
//! | [`EnvelopePlaintext`] | kind 1 \| content length 2 \| content \| zeros | 790 |
//!
//! The author is the message's sender, or its recipient when the recipient
//! rewrote it (an update). The header travels in the clear but is bound
//! into the ciphertext as associated data.

use crate::codec::{Cursor, CursorMut};
use crate::consts::{
    ENCAPPED_KEY_LEN, ENCRYPTION_KEY_LEN, ENVELOPE_HEADER_LEN, ENVELOPE_PLAINTEXT_HEADER_LEN,
    ENVELOPE_PLAINTEXT_LEN, ENVELOPE_VERSION, MAX_ENVELOPE_CONTENT_LEN, SIGNATURE_LEN,
};
use crate::{FixedCodec, Signature, WireError};

/// Who wrote an envelope, relative to the message carrying it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AuthorRole {
    /// The message's sender.
    Sender = 0,
    /// The message's recipient (who rewrote it with an update).
    Recipient = 1,
}

/// What an envelope carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EnvelopeKind {
    /// UTF-8 text for a person to read.
    Text = 1,
    /// A read receipt (content: the ids of the messages read).
    Receipt = 2,
    /// A typing indicator.
    Typing = 3,
    /// Client-to-client control data.
    Control = 4,
    /// A copy, for the author's other devices, of what it sent to someone
    /// (content: the recipient's identity key 32 | the envelope it sent:
    /// kind 1 | content). See [`EnvelopePlaintext::nest`].
    Sent = 5,
    /// A group message (content: group id 16 | kind 1 | content).
    Group = 6,
    /// A location: latitude and longitude (f64 LE each) | a UTF-8 label.
    Location = 7,
    /// A file stored as an encrypted blob: see the client's `media` module.
    Attachment = 8,
}

impl EnvelopeKind {
    /// The kind's name as users see it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Receipt => "receipt",
            Self::Typing => "typing",
            Self::Control => "control",
            Self::Sent => "sent",
            Self::Group => "group",
            Self::Location => "location",
            Self::Attachment => "attachment",
        }
    }

    fn from_code(code: u8) -> Result<Self, WireError> {
        Ok(match code {
            1 => Self::Text,
            2 => Self::Receipt,
            3 => Self::Typing,
            4 => Self::Control,
            5 => Self::Sent,
            6 => Self::Group,
            7 => Self::Location,
            8 => Self::Attachment,
            c => return Err(WireError::UnknownKind(c)),
        })
    }
}

/// The clear part of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeHeader {
    /// Who wrote it.
    pub author: AuthorRole,
    /// The author's X25519 encryption key.
    pub author_encryption_key: [u8; ENCRYPTION_KEY_LEN],
    /// The author's signature of that key (as in its contact card).
    pub author_signature: Signature,
    /// The HPKE encapsulated key.
    pub encapped_key: [u8; ENCAPPED_KEY_LEN],
}

impl FixedCodec for EnvelopeHeader {
    const LEN: usize = ENVELOPE_HEADER_LEN;
    const NAME: &'static str = "envelope header";

    fn encode_into(&self, out: &mut [u8]) {
        let mut c = CursorMut::new(out);
        c.put(&[ENVELOPE_VERSION, self.author as u8]);
        c.put(&self.author_encryption_key);
        c.put(&self.author_signature.0);
        c.put(&self.encapped_key);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let mut c = Cursor::new(bytes);
        let [version, role] = c.take_array::<2>();
        if version != ENVELOPE_VERSION {
            return Err(WireError::EnvelopeVersion(version));
        }
        let author = match role {
            0 => AuthorRole::Sender,
            1 => AuthorRole::Recipient,
            _ => return Err(WireError::InvalidRequest("unknown envelope author role")),
        };
        Ok(Self {
            author,
            author_encryption_key: c.take_array(),
            author_signature: Signature(c.take_array::<SIGNATURE_LEN>()),
            encapped_key: c.take_array(),
        })
    }
}

/// The sealed part of an envelope, once opened: a kind and its content,
/// padded with zeros to a fixed size so the length of what was said does
/// not show.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvelopePlaintext {
    /// What it carries.
    pub kind: EnvelopeKind,
    content: Vec<u8>,
}

impl EnvelopePlaintext {
    /// A plaintext of `kind` with `content` (at most 787 bytes).
    pub fn new(kind: EnvelopeKind, content: &[u8]) -> Result<Self, WireError> {
        if content.len() > MAX_ENVELOPE_CONTENT_LEN {
            return Err(WireError::ContentTooLong {
                len: content.len(),
                max: MAX_ENVELOPE_CONTENT_LEN,
            });
        }
        Ok(Self {
            kind,
            content: content.to_vec(),
        })
    }

    /// The content.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// An envelope of `kind` ([`EnvelopeKind::Sent`] or
    /// [`EnvelopeKind::Group`]) that carries `prefix` and then `inner`
    /// (its kind and content): `inner`'s content may be at most
    /// `787 - prefix.len() - 1` bytes.
    pub fn nest(
        kind: EnvelopeKind,
        prefix: &[u8],
        inner: &EnvelopePlaintext,
    ) -> Result<Self, WireError> {
        let mut content = Vec::with_capacity(prefix.len() + 1 + inner.content.len());
        content.extend_from_slice(prefix);
        content.push(inner.kind as u8);
        content.extend_from_slice(&inner.content);
        Self::new(kind, &content)
    }

    /// Splits a nested envelope: its first `prefix_len` bytes and the
    /// envelope it carries.
    pub fn unnest(&self, prefix_len: usize) -> Result<(&[u8], EnvelopePlaintext), WireError> {
        if self.content.len() < prefix_len + 1 {
            return Err(WireError::InvalidRequest("a nested envelope is too short"));
        }
        let (prefix, rest) = self.content.split_at(prefix_len);
        let kind = EnvelopeKind::from_code(rest[0])?;
        Ok((prefix, Self::new(kind, &rest[1..])?))
    }
}

impl std::fmt::Debug for EnvelopePlaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print content: it is user data.
        write!(
            f,
            "EnvelopePlaintext({:?}, {} bytes)",
            self.kind,
            self.content.len()
        )
    }
}

impl FixedCodec for EnvelopePlaintext {
    const LEN: usize = ENVELOPE_PLAINTEXT_LEN;
    const NAME: &'static str = "envelope plaintext";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.kind as u8;
        out[1..3].copy_from_slice(&(self.content.len() as u16).to_le_bytes());
        out[ENVELOPE_PLAINTEXT_HEADER_LEN..ENVELOPE_PLAINTEXT_HEADER_LEN + self.content.len()]
            .copy_from_slice(&self.content);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let kind = EnvelopeKind::from_code(bytes[0])?;
        let declared = u16::from_le_bytes([bytes[1], bytes[2]]) as usize;
        if declared > MAX_ENVELOPE_CONTENT_LEN {
            return Err(WireError::BadFrame {
                declared,
                max: MAX_ENVELOPE_CONTENT_LEN,
            });
        }
        let end = ENVELOPE_PLAINTEXT_HEADER_LEN + declared;
        if bytes[end..].iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("envelope padding"));
        }
        Ok(Self {
            kind,
            content: bytes[ENVELOPE_PLAINTEXT_HEADER_LEN..end].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_checks() {
        let h = EnvelopeHeader {
            author: AuthorRole::Recipient,
            author_encryption_key: [3; 32],
            author_signature: Signature([4; 64]),
            encapped_key: [5; 32],
        };
        let b = h.encode();
        assert_eq!(b.len(), ENVELOPE_HEADER_LEN);
        assert_eq!(EnvelopeHeader::decode(&b).unwrap(), h);
        let mut bad = b.clone();
        bad[0] = 2;
        assert_eq!(
            EnvelopeHeader::decode(&bad),
            Err(WireError::EnvelopeVersion(2))
        );
        let mut bad = b;
        bad[1] = 7;
        assert!(EnvelopeHeader::decode(&bad).is_err());
    }

    #[test]
    fn plaintext_is_padded_and_checked() {
        for len in [0, 1, MAX_ENVELOPE_CONTENT_LEN] {
            let content = vec![0xab; len];
            let p = EnvelopePlaintext::new(EnvelopeKind::Text, &content).unwrap();
            let b = p.encode();
            assert_eq!(
                b.len(),
                ENVELOPE_PLAINTEXT_LEN,
                "every plaintext is one size"
            );
            assert_eq!(EnvelopePlaintext::decode(&b).unwrap(), p);
        }
        assert!(EnvelopePlaintext::new(EnvelopeKind::Text, &[0; 788]).is_err());
        let mut b = EnvelopePlaintext::new(EnvelopeKind::Typing, b"x")
            .unwrap()
            .encode();
        b[ENVELOPE_PLAINTEXT_LEN - 1] = 1;
        assert!(
            EnvelopePlaintext::decode(&b).is_err(),
            "padding must be zero"
        );
        b[ENVELOPE_PLAINTEXT_LEN - 1] = 0;
        b[0] = 0;
        assert_eq!(
            EnvelopePlaintext::decode(&b),
            Err(WireError::UnknownKind(0))
        );
        b[0] = 1;
        b[1] = 0xff;
        b[2] = 0xff;
        assert!(EnvelopePlaintext::decode(&b).is_err());
    }
}

#[cfg(test)]
mod nesting {
    use super::*;

    #[test]
    fn nested_envelopes_round_trip_and_short_ones_are_refused() {
        let inner = EnvelopePlaintext::new(EnvelopeKind::Text, b"hi").unwrap();
        let sent = EnvelopePlaintext::nest(EnvelopeKind::Sent, &[7; 32], &inner).unwrap();
        let (to, got) = sent.unnest(32).unwrap();
        assert_eq!(to, &[7; 32]);
        assert_eq!(got, inner);
        let back = EnvelopePlaintext::decode(&sent.encode()).unwrap();
        assert_eq!(back.unnest(32).unwrap().1, inner);
        assert!(sent.unnest(40).is_err());
        let long = EnvelopePlaintext::new(EnvelopeKind::Text, &[b'a'; 787]).unwrap();
        assert!(EnvelopePlaintext::nest(EnvelopeKind::Sent, &[7; 32], &long).is_err());
        let bad = EnvelopePlaintext::new(EnvelopeKind::Group, &[0; 17]).unwrap();
        let mut b = bad.clone();
        b.content[16] = 99;
        assert!(b.unnest(16).is_err());
    }
}
