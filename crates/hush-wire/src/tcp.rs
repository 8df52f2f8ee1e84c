//! The broker's query stream over plain TCP: length-prefixed sealed frames.
//!
//! gRPC's `QueryStream` carries each sealed request in an HTTP/2 DATA frame,
//! through tonic's and h2's tasks and buffers on both sides. On a small
//! server that shares its CPUs with the work of many clients, that framing
//! costs as much CPU as the request's own crypto. This transport carries
//! the same sealed bytes with a 4-byte length and nothing else; the session
//! is opened over gRPC as before (handshake, attestation, key proofs), and
//! the host sees exactly what it sees on gRPC: fixed-size ciphertexts.
//!
//! A connection starts with the client's [`TCP_PREAMBLE`]. The client then
//! sends request frames and the server answers each, in order (all
//! integers little-endian):
//!
//! | frame | layout | bytes |
//! |---|---|---|
//! | request | body length 4 (= 1064) \| session id 16 \| sealed request 1048 | 1068 |
//! | answer | body length 4 (= 2049) \| 0 \| sealed response 2048 | 2053 |
//! | refusal | body length 4 (2 to 1025) \| gRPC status code 1 to 16 \| reason, UTF-8, 1 to 1024 | 6 to 1029 |
//!
//! A refusal carries the status code the same refusal has on gRPC (16 for
//! an unknown session, 3 for a malformed frame, ...), so a client treats
//! both transports alike. The server closes the connection after a refusal,
//! as an error ends a gRPC stream.

use crate::codec::check_len;
use crate::consts::{SEALED_REQUEST_LEN, SEALED_RESPONSE_LEN, SESSION_ID_LEN};
use crate::{FixedCodec, SessionId, WireError};

/// What a client sends first on a connection: names the protocol and its
/// version, so a stray HTTP client is refused at once.
pub const TCP_PREAMBLE: [u8; TCP_PREAMBLE_LEN] = *b"hushtcp1";
/// Length of [`TCP_PREAMBLE`].
pub const TCP_PREAMBLE_LEN: usize = 8;
/// Length of the length prefix of every frame.
pub const TCP_LENGTH_LEN: usize = 4;
/// Body of a request frame: session id and sealed request.
pub const TCP_REQUEST_BODY_LEN: usize = SESSION_ID_LEN + SEALED_REQUEST_LEN;
/// Length of a reply's status byte.
pub const TCP_STATUS_LEN: usize = 1;
/// Body of an answer: status 0 and the sealed response.
pub const TCP_ANSWER_BODY_LEN: usize = TCP_STATUS_LEN + SEALED_RESPONSE_LEN;
/// Longest reason a refusal carries, in bytes.
pub const MAX_TCP_REASON_LEN: usize = 1024;
/// Longest reply body a client accepts.
pub const MAX_TCP_REPLY_BODY_LEN: usize = TCP_ANSWER_BODY_LEN;
/// The status byte of an answer.
const ANSWERED: u8 = 0;
/// The largest gRPC status code (`UNAUTHENTICATED`).
const MAX_GRPC_CODE: u8 = 16;

const _: () = assert!(TCP_STATUS_LEN + MAX_TCP_REASON_LEN <= MAX_TCP_REPLY_BODY_LEN);

/// Reads a frame's length prefix: the body length, which must be between 1
/// and `max` bytes (checked before any body byte is read or buffered).
pub fn body_len(prefix: [u8; TCP_LENGTH_LEN], max: usize) -> Result<usize, WireError> {
    let len = u32::from_le_bytes(prefix) as usize;
    if len == 0 || len > max {
        return Err(WireError::TcpFrame(
            "a frame's length prefix is zero or longer than the frame can be",
        ));
    }
    Ok(len)
}

/// Prefixes `body` with its length.
fn framed(body_len: usize, write_body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(TCP_LENGTH_LEN + body_len);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    write_body(&mut out);
    debug_assert_eq!(out.len(), TCP_LENGTH_LEN + body_len);
    out
}

/// One sealed broker request and the session it belongs to: the body of a
/// request frame. The bytes are ciphertext; the host cannot read them.
#[derive(Clone, PartialEq, Eq)]
pub struct TcpRequest {
    /// The session the request was sealed in.
    pub session: SessionId,
    /// The sealed request ([`SEALED_REQUEST_LEN`] bytes).
    pub sealed: Vec<u8>,
}

impl TcpRequest {
    /// A request of `sealed`, which must be [`SEALED_REQUEST_LEN`] bytes.
    pub fn new(session: SessionId, sealed: Vec<u8>) -> Result<Self, WireError> {
        check_len("sealed request", SEALED_REQUEST_LEN, &sealed)?;
        Ok(Self { session, sealed })
    }

    /// The whole frame: length prefix and body.
    pub fn to_frame(&self) -> Vec<u8> {
        framed(Self::LEN, |out| {
            out.extend_from_slice(&self.session.0);
            out.extend_from_slice(&self.sealed);
        })
    }
}

impl FixedCodec for TcpRequest {
    const LEN: usize = TCP_REQUEST_BODY_LEN;
    const NAME: &'static str = "TCP request frame";

    fn encode_into(&self, out: &mut [u8]) {
        out[..SESSION_ID_LEN].copy_from_slice(&self.session.0);
        out[SESSION_ID_LEN..].copy_from_slice(&self.sealed);
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let (id, sealed) = bytes.split_at(SESSION_ID_LEN);
        Ok(Self {
            session: SessionId::from_bytes(id)?,
            sealed: sealed.to_vec(),
        })
    }
}

impl std::fmt::Debug for TcpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TcpRequest({:?}, {} sealed bytes)",
            self.session,
            self.sealed.len()
        )
    }
}

/// Why the server refused a request: the gRPC status code and message the
/// same refusal carries on gRPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpRefusal {
    /// A gRPC status code, 1 to 16.
    pub code: u8,
    /// Why, for a person (at most [`MAX_TCP_REASON_LEN`] bytes).
    pub reason: String,
}

impl TcpRefusal {
    /// A refusal with `code` (1 to 16) and `reason`, cut to at most
    /// [`MAX_TCP_REASON_LEN`] bytes on a character boundary (an empty
    /// reason becomes "refused").
    pub fn new(code: u8, reason: &str) -> Self {
        assert!((1..=MAX_GRPC_CODE).contains(&code), "not a gRPC error code");
        let mut end = reason.len().min(MAX_TCP_REASON_LEN);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let reason = if end == 0 { "refused" } else { &reason[..end] };
        Self {
            code,
            reason: reason.to_owned(),
        }
    }
}

/// The server's reply to one request frame.
#[derive(Clone, PartialEq, Eq)]
pub enum TcpReply {
    /// The sealed response ([`SEALED_RESPONSE_LEN`] bytes).
    Answer(Vec<u8>),
    /// The request was refused; the server closes the connection.
    Refused(TcpRefusal),
}

impl TcpReply {
    /// The whole frame: length prefix and body.
    ///
    /// # Panics
    /// If an answer is not [`SEALED_RESPONSE_LEN`] bytes (the enclave seals
    /// every response to that length).
    pub fn to_frame(&self) -> Vec<u8> {
        match self {
            Self::Answer(sealed) => {
                assert_eq!(sealed.len(), SEALED_RESPONSE_LEN, "a sealed response");
                framed(TCP_ANSWER_BODY_LEN, |out| {
                    out.push(ANSWERED);
                    out.extend_from_slice(sealed);
                })
            }
            Self::Refused(r) => framed(TCP_STATUS_LEN + r.reason.len(), |out| {
                out.push(r.code);
                out.extend_from_slice(r.reason.as_bytes());
            }),
        }
    }

    /// Parses a reply body (the frame without its length prefix).
    pub fn decode(body: &[u8]) -> Result<Self, WireError> {
        let Some((&status, rest)) = body.split_first() else {
            return Err(WireError::TcpFrame("a reply frame has no status byte"));
        };
        match status {
            ANSWERED => {
                check_len("sealed response", SEALED_RESPONSE_LEN, rest)?;
                Ok(Self::Answer(rest.to_vec()))
            }
            1..=MAX_GRPC_CODE => {
                if rest.is_empty() || rest.len() > MAX_TCP_REASON_LEN {
                    return Err(WireError::TcpFrame(
                        "a refusal's reason must be 1 to 1024 bytes",
                    ));
                }
                let reason = std::str::from_utf8(rest)
                    .map_err(|_| WireError::TcpFrame("a refusal's reason is not UTF-8"))?;
                Ok(Self::Refused(TcpRefusal {
                    code: status,
                    reason: reason.to_owned(),
                }))
            }
            _ => Err(WireError::TcpFrame("a reply's status byte is not 0 to 16")),
        }
    }
}

impl std::fmt::Debug for TcpReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Answer(s) => write!(f, "Answer({} sealed bytes)", s.len()),
            Self::Refused(r) => write!(f, "Refused({r:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(frame: &[u8]) -> &[u8] {
        let len = body_len(frame[..4].try_into().unwrap(), usize::MAX).unwrap();
        assert_eq!(
            frame.len(),
            TCP_LENGTH_LEN + len,
            "the prefix counts the body"
        );
        &frame[TCP_LENGTH_LEN..]
    }

    #[test]
    fn a_request_frame_round_trips_and_is_fixed_size() {
        let r = TcpRequest::new(SessionId([7; 16]), vec![9; SEALED_REQUEST_LEN]).unwrap();
        let frame = r.to_frame();
        assert_eq!(frame.len(), 1068);
        assert_eq!(&frame[..4], &(TCP_REQUEST_BODY_LEN as u32).to_le_bytes());
        assert_eq!(TcpRequest::decode(body(&frame)).unwrap(), r);
        assert_eq!(r.encode(), body(&frame));
    }

    #[test]
    fn a_request_of_the_wrong_size_is_refused() {
        assert!(TcpRequest::new(SessionId([1; 16]), vec![0; SEALED_REQUEST_LEN - 1]).is_err());
        for len in [0, 16, TCP_REQUEST_BODY_LEN - 1, TCP_REQUEST_BODY_LEN + 1] {
            assert!(TcpRequest::decode(&vec![1; len]).is_err(), "{len}");
        }
    }

    #[test]
    fn answers_and_refusals_round_trip() {
        let answer = TcpReply::Answer(vec![3; SEALED_RESPONSE_LEN]);
        let frame = answer.to_frame();
        assert_eq!(frame.len(), 2053);
        assert_eq!(TcpReply::decode(body(&frame)).unwrap(), answer);
        let refused = TcpReply::Refused(TcpRefusal::new(16, "unknown session"));
        assert_eq!(
            TcpReply::decode(body(&refused.to_frame())).unwrap(),
            refused
        );
    }

    #[test]
    fn malformed_replies_are_errors() {
        let mut short_answer = vec![0u8];
        short_answer.extend_from_slice(&[1; SEALED_RESPONSE_LEN - 1]);
        for bad in [
            &[][..],
            &short_answer,
            &[17, b'x'],
            &[255, b'x'],
            &[3],
            &[3, 0xff, 0xfe],
        ] {
            assert!(TcpReply::decode(bad).is_err(), "{bad:?}");
        }
        let mut long = vec![3u8];
        long.extend_from_slice(&[b'a'; MAX_TCP_REASON_LEN + 1]);
        assert!(TcpReply::decode(&long).is_err());
    }

    #[test]
    fn reasons_are_cut_on_a_character_boundary() {
        let r = TcpRefusal::new(3, &"é".repeat(MAX_TCP_REASON_LEN));
        assert!(r.reason.len() <= MAX_TCP_REASON_LEN);
        assert!(r.reason.len() >= MAX_TCP_REASON_LEN - 1);
        assert_eq!(TcpRefusal::new(3, "").reason, "refused");
    }

    #[test]
    fn length_prefixes_outside_the_bounds_are_errors() {
        assert!(body_len(0u32.to_le_bytes(), 10).is_err());
        assert!(body_len(11u32.to_le_bytes(), 10).is_err());
        assert!(body_len(u32::MAX.to_le_bytes(), 10).is_err());
        assert_eq!(body_len(10u32.to_le_bytes(), 10).unwrap(), 10);
    }
}
