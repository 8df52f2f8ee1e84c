//! Every decoder of hush-wire that sees untrusted bytes: it must never
//! panic, and whatever it accepts must re-encode to the same bytes (one
//! encoding per value).
#![no_main]

use hush_wire::blob_transfer::{BlobAnswer, BlobRequest};
use hush_wire::consts::{KEY_PROOF_REQUEST_LEN, REQUEST_LEN, RESPONSE_LEN};
use hush_wire::tcp::{MAX_TCP_REPLY_BODY_LEN, TCP_LENGTH_LEN, TcpReply, TcpRequest, body_len};
use hush_wire::tokens::{Token, TokenRequest, TokenResponse};
use hush_wire::{
    Card, EnvelopeHeader, EnvelopePlaintext, FixedCodec, KeyProofRequest, KeyProofResponse,
    Message, MessageId, Payload, PublicKey, Request, RequestRecord, Response, SealedFrame,
    SessionId,
};
use libfuzzer_sys::fuzz_target;

fn canonical<T: FixedCodec>(bytes: &[u8]) {
    if let Ok(v) = T::decode(bytes) {
        assert_eq!(v.encode(), bytes, "{} has a second encoding", T::NAME);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 14 {
        0 => {
            canonical::<Request>(rest);
            if let Ok(rec) = RequestRecord::from_bytes(rest) {
                assert_eq!(rest.len(), REQUEST_LEN);
                let _ = rec.decode();
            }
        }
        1 => canonical::<Response>(rest),
        2 => canonical::<KeyProofRequest>(rest),
        3 => canonical::<KeyProofResponse>(rest),
        4 => {
            canonical::<Message>(rest);
            canonical::<MessageId>(rest);
            canonical::<PublicKey>(rest);
            let _ = SessionId::from_bytes(rest);
        }
        5 => {
            if let Ok(p) = Payload::decode(rest) {
                let _ = p.unframe();
            }
        }
        6 => {
            for len in [REQUEST_LEN, RESPONSE_LEN, KEY_PROOF_REQUEST_LEN, 0] {
                if let Ok(f) = SealedFrame::decode(rest, len) {
                    assert_eq!(f.encode(), rest);
                }
            }
        }
        8 => {
            canonical::<Card>(rest);
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Ok(card) = Card::from_text(s) {
                    // Accepted text is the card's own text, up to case and
                    // surrounding white space.
                    assert_eq!(
                        card.to_text().to_ascii_lowercase(),
                        s.trim().to_ascii_lowercase()
                    );
                }
            }
        }
        9 => canonical::<EnvelopeHeader>(rest),
        10 => canonical::<EnvelopePlaintext>(rest),
        11 => {
            // The TCP transport: a length prefix, a request body (hushd
            // decodes it), a reply body (clients decode it).
            if let Some(prefix) = rest.get(..TCP_LENGTH_LEN) {
                let prefix: [u8; TCP_LENGTH_LEN] = prefix.try_into().expect("4 bytes");
                if let Ok(len) = body_len(prefix, MAX_TCP_REPLY_BODY_LEN) {
                    assert!((1..=MAX_TCP_REPLY_BODY_LEN).contains(&len));
                }
            }
            canonical::<TcpRequest>(rest);
            if let Ok(reply) = TcpReply::decode(rest) {
                assert_eq!(&reply.to_frame()[TCP_LENGTH_LEN..], rest);
            }
        }
        12 => {
            // Attachments through the session: the enclave decodes
            // requests (it reads them by offset, the client encodes them
            // with this codec), clients decode answers.
            canonical::<BlobRequest>(rest);
            canonical::<BlobAnswer>(rest);
        }
        13 => {
            // Tokens: clients decode answers, token files and the enclave
            // read tokens (the enclave by offset).
            canonical::<TokenRequest>(rest);
            canonical::<TokenResponse>(rest);
            if let Ok(t) = Token::from_bytes(rest) {
                assert_eq!(&t.to_bytes()[..], rest);
            }
        }
        _ => {
            if let Ok(s) = std::str::from_utf8(rest) {
                // Accepted hex is the value's own hex, up to case.
                let canonical = s.to_ascii_lowercase();
                if let Ok(id) = MessageId::from_hex(s) {
                    assert_eq!(id.to_hex(), canonical);
                }
                if let Ok(key) = PublicKey::from_hex(s) {
                    assert_eq!(key.to_hex(), canonical);
                }
                if let Some(session) = SessionId::from_hex(s) {
                    assert_eq!(session.to_hex(), canonical);
                }
            }
        }
    }
});
