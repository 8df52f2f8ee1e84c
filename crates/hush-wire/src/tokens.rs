//! Anonymous tokens: Privacy Pass tokens (RFC 9577 token format, RFC 9578
//! issuance) that a session redeems inside the enclave for a budget of
//! writes, so that nobody writes without one and no token links to whoever
//! was issued it.
//!
//! Two token types are accepted:
//!
//! - type 2 (RFC 9578 section 6), publicly verifiable: blind RSA with a
//!   2048-bit key (RSABSSA-SHA384-PSS-Deterministic), from an issuer the
//!   app's operator runs;
//! - type 5, privately verifiable: a VOPRF over ristretto255 with SHA-512
//!   (RFC 9497; the token type the Privacy Pass batched-tokens draft
//!   registers), issued by hush's own directory to verified accounts.
//!
//! A token is
//!
//! | field | bytes |
//! |---|---|
//! | token type (big-endian, 0x0002 or 0x0005) | 2 |
//! | nonce (the client's) | 32 |
//! | challenge digest: SHA-256 of the [`TokenChallenge`] | 32 |
//! | token key id: SHA-256 of the issuer key (DER SubjectPublicKeyInfo for type 2, the 32-byte element for type 5) | 32 |
//! | authenticator: the RSA-PSS signature (256) or the VOPRF output (64) of the 98 bytes above | 256 or 64 |
//!
//! A [`TokenRequest`] record of [`TOKEN_REQUEST_LEN`] bytes either redeems
//! a token (the token, then zeros) or asks for a batch of
//! [`TOKENS_PER_ISSUE`] type-5 tokens ([`IssueRequest`]: first two bytes
//! zero, which is no token type); both are answered by a
//! [`TokenResponse`] of [`TOKEN_RESPONSE_LEN`] bytes, sealed in the
//! session like every other record, and cost the enclave the same work.

use crate::WireError;
use crate::codec::{FixedCodec, check_len};

/// The publicly verifiable token type (RFC 9578 section 6: blind RSA,
/// 2048 bits).
pub const TOKEN_TYPE_BLIND_RSA: u16 = 0x0002;
/// The privately verifiable token type hush's directory issues: VOPRF
/// (ristretto255, SHA-512).
pub const TOKEN_TYPE_VOPRF: u16 = 0x0005;
/// The first two bytes of an issuance record (token type 0 is reserved).
pub const TOKEN_RECORD_ISSUE: u16 = 0x0000;
/// Length of a token's nonce.
pub const TOKEN_NONCE_LEN: usize = 32;
/// Length of a challenge digest and of a token key id (SHA-256).
pub const TOKEN_DIGEST_LEN: usize = 32;
/// Length of a type-2 token's authenticator (a 2048-bit RSA signature).
pub const TOKEN_AUTHENTICATOR_LEN: usize = 256;
/// Length of a type-5 token's authenticator (the VOPRF's SHA-512 output).
pub const VOPRF_AUTHENTICATOR_LEN: usize = 64;
/// Length of the signed part of a token (type, nonce, digest, key id).
pub const TOKEN_INPUT_LEN: usize = 2 + TOKEN_NONCE_LEN + 2 * TOKEN_DIGEST_LEN;
/// Length of a type-2 token.
pub const TOKEN_LEN: usize = TOKEN_INPUT_LEN + TOKEN_AUTHENTICATOR_LEN;
/// Length of a type-5 token.
pub const VOPRF_TOKEN_LEN: usize = TOKEN_INPUT_LEN + VOPRF_AUTHENTICATOR_LEN;
/// Length of an encoded ristretto255 element (a blinded or evaluated
/// element, the directory's public key).
pub const ELEMENT_LEN: usize = 32;
/// Length of a VOPRF proof (two ristretto255 scalars).
pub const ISSUE_PROOF_LEN: usize = 64;
/// Tokens one issuance asks for and gets (always this many: the enclave's
/// work does not depend on the count).
pub const TOKENS_PER_ISSUE: usize = 4;
/// Length of a token request record: a token then zeros, or an issuance.
pub const TOKEN_REQUEST_LEN: usize = 384;
/// Length of a token response record: status 1 | tokens issued 1 |
/// reserved 2 | credits left 4 | credits per token 4 | tokens the session
/// may still be issued 4 | the directory's current key 32 | proof 64 |
/// evaluated elements 4 x 32 | reserved 144.
pub const TOKEN_RESPONSE_LEN: usize = 384;

const _: () = assert!(TOKEN_LEN == 354);
const _: () = assert!(VOPRF_TOKEN_LEN == 162);
const _: () = assert!(TOKEN_LEN <= TOKEN_REQUEST_LEN);
const _: () = assert!(issue_offsets::END <= TOKEN_REQUEST_LEN);
const _: () = assert!(response_offsets::END <= TOKEN_RESPONSE_LEN);

/// Byte offsets of an issuance record.
pub mod issue_offsets {
    use super::*;
    /// The key id the client built its tokens for.
    pub const KEY_ID: usize = 8;
    /// The blinded elements.
    pub const BLINDED: usize = KEY_ID + TOKEN_DIGEST_LEN;
    /// Zeros from here.
    pub const END: usize = BLINDED + TOKENS_PER_ISSUE * ELEMENT_LEN;
}

/// Byte offsets of a token response.
pub mod response_offsets {
    use super::*;
    /// Status.
    pub const STATUS: usize = 0;
    /// Tokens issued (0 or [`TOKENS_PER_ISSUE`]).
    pub const ISSUED: usize = 1;
    /// Credits left (u32 LE).
    pub const CREDITS: usize = 4;
    /// Credits per token (u32 LE).
    pub const CREDITS_PER_TOKEN: usize = 8;
    /// Tokens the session may still be issued (u32 LE).
    pub const ALLOWANCE: usize = 12;
    /// The directory's current token key (zero when it issues none).
    pub const KEY: usize = 16;
    /// The proof of an issuance.
    pub const PROOF: usize = KEY + ELEMENT_LEN;
    /// The evaluated elements of an issuance.
    pub const EVALUATED: usize = PROOF + ISSUE_PROOF_LEN;
    /// Zeros from here.
    pub const END: usize = EVALUATED + TOKENS_PER_ISSUE * ELEMENT_LEN;
}

/// Which kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Type 2: blind RSA, from an external issuer.
    BlindRsa,
    /// Type 5: VOPRF, from hush's directory.
    Voprf,
}

impl TokenKind {
    /// The token type on the wire.
    pub fn code(self) -> u16 {
        match self {
            TokenKind::BlindRsa => TOKEN_TYPE_BLIND_RSA,
            TokenKind::Voprf => TOKEN_TYPE_VOPRF,
        }
    }

    /// The kind of a token type.
    pub fn from_code(code: u16) -> Result<Self, WireError> {
        match code {
            TOKEN_TYPE_BLIND_RSA => Ok(TokenKind::BlindRsa),
            TOKEN_TYPE_VOPRF => Ok(TokenKind::Voprf),
            _ => Err(WireError::InvalidRequest(
                "only Privacy Pass tokens of type 2 (blind RSA) and 5 (VOPRF) are accepted",
            )),
        }
    }

    /// Length of its authenticator.
    pub fn authenticator_len(self) -> usize {
        match self {
            TokenKind::BlindRsa => TOKEN_AUTHENTICATOR_LEN,
            TokenKind::Voprf => VOPRF_AUTHENTICATOR_LEN,
        }
    }

    /// Length of a token of this kind.
    pub fn token_len(self) -> usize {
        TOKEN_INPUT_LEN + self.authenticator_len()
    }
}

/// One token, as issued.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// Its type.
    pub kind: TokenKind,
    /// The client's random nonce.
    pub nonce: [u8; TOKEN_NONCE_LEN],
    /// SHA-256 of the challenge the token was issued for.
    pub challenge_digest: [u8; TOKEN_DIGEST_LEN],
    /// Which issuer key signed it.
    pub key_id: [u8; TOKEN_DIGEST_LEN],
    /// The issuer's (unblinded) signature or the VOPRF output: exactly
    /// `kind.authenticator_len()` bytes.
    pub authenticator: Vec<u8>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token is a bearer credential: never printed.
        write!(f, "Token({:?}, ..)", self.kind)
    }
}

impl Token {
    /// Parses a token (type 2 of [`TOKEN_LEN`] bytes or type 5 of
    /// [`VOPRF_TOKEN_LEN`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() < 2 {
            return Err(WireError::WrongLength {
                what: "token",
                expected: TOKEN_LEN,
                actual: bytes.len(),
            });
        }
        let kind = TokenKind::from_code(u16::from_be_bytes([bytes[0], bytes[1]]))?;
        check_len("token", kind.token_len(), bytes)?;
        let at = |from: usize, len: usize| &bytes[from..from + len];
        Ok(Self {
            kind,
            nonce: at(2, TOKEN_NONCE_LEN).try_into().expect("length"),
            challenge_digest: at(34, TOKEN_DIGEST_LEN).try_into().expect("length"),
            key_id: at(66, TOKEN_DIGEST_LEN).try_into().expect("length"),
            authenticator: bytes[TOKEN_INPUT_LEN..].to_vec(),
        })
    }

    /// The signed part: type, nonce, challenge digest, key id.
    pub fn input(&self) -> [u8; TOKEN_INPUT_LEN] {
        token_input(self.kind, &self.nonce, &self.challenge_digest, &self.key_id)
    }

    /// The token's encoding (`kind.token_len()` bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.input().to_vec();
        out.extend_from_slice(&self.authenticator);
        debug_assert_eq!(out.len(), self.kind.token_len());
        out
    }
}

/// The signed part of a token.
pub fn token_input(
    kind: TokenKind,
    nonce: &[u8; TOKEN_NONCE_LEN],
    challenge_digest: &[u8; TOKEN_DIGEST_LEN],
    key_id: &[u8; TOKEN_DIGEST_LEN],
) -> [u8; TOKEN_INPUT_LEN] {
    let mut out = [0u8; TOKEN_INPUT_LEN];
    out[..2].copy_from_slice(&kind.code().to_be_bytes());
    out[2..34].copy_from_slice(nonce);
    out[34..66].copy_from_slice(challenge_digest);
    out[66..98].copy_from_slice(key_id);
    out
}

/// The issuer name of the challenge hush's directory issues tokens for.
pub const DIRECTORY_ISSUER_NAME: &str = "directory.hush";

/// The challenge tokens are issued for (RFC 9577 section 2.1): tokens of
/// one type from one issuer, with no redemption context (so a client can
/// fetch them ahead of time) and the service's origin name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenChallenge {
    /// The token type.
    pub kind: TokenKind,
    /// The issuer's name (its host name).
    pub issuer_name: String,
    /// The origin the tokens are for (empty: any origin of the issuer).
    pub origin: String,
}

impl TokenChallenge {
    /// The challenge hush's directory issues its tokens (type 5) for: its
    /// issuer name and no origin (a deployment's tokens are bound to it by
    /// its key, which no other deployment has).
    pub fn directory() -> Self {
        Self {
            kind: TokenKind::Voprf,
            issuer_name: DIRECTORY_ISSUER_NAME.into(),
            origin: String::new(),
        }
    }

    /// Its encoding: token type (u16) | issuer name (u16 length, bytes) |
    /// redemption context (u8 length 0) | origin info (u16 length, bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(7 + self.issuer_name.len() + self.origin.len());
        out.extend_from_slice(&self.kind.code().to_be_bytes());
        out.extend_from_slice(&(self.issuer_name.len() as u16).to_be_bytes());
        out.extend_from_slice(self.issuer_name.as_bytes());
        out.push(0);
        out.extend_from_slice(&(self.origin.len() as u16).to_be_bytes());
        out.extend_from_slice(self.origin.as_bytes());
        out
    }
}

/// An issuance: [`TOKENS_PER_ISSUE`] blinded elements for the directory's
/// key whose id the client built its tokens' inputs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueRequest {
    /// SHA-256 of the directory key the tokens are for.
    pub key_id: [u8; TOKEN_DIGEST_LEN],
    /// The blinded token inputs.
    pub blinded: [[u8; ELEMENT_LEN]; TOKENS_PER_ISSUE],
}

/// A token request record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenRequest {
    /// Redeem one token for the session's credits.
    Redeem(Token),
    /// Have a batch of type-5 tokens issued (the session must have an
    /// allowance from the directory).
    Issue(IssueRequest),
}

impl FixedCodec for TokenRequest {
    const LEN: usize = TOKEN_REQUEST_LEN;
    const NAME: &'static str = "token request";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        match self {
            TokenRequest::Redeem(token) => {
                let b = token.to_bytes();
                out[..b.len()].copy_from_slice(&b);
            }
            TokenRequest::Issue(issue) => {
                use issue_offsets::*;
                out[KEY_ID..BLINDED].copy_from_slice(&issue.key_id);
                for (i, e) in issue.blinded.iter().enumerate() {
                    let at = BLINDED + i * ELEMENT_LEN;
                    out[at..at + ELEMENT_LEN].copy_from_slice(e);
                }
            }
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        let first = u16::from_be_bytes([bytes[0], bytes[1]]);
        if first == TOKEN_RECORD_ISSUE {
            use issue_offsets::*;
            if bytes[2..KEY_ID]
                .iter()
                .chain(&bytes[END..])
                .any(|&b| b != 0)
            {
                return Err(WireError::NonZeroReserved("token request"));
            }
            let mut blinded = [[0u8; ELEMENT_LEN]; TOKENS_PER_ISSUE];
            for (i, e) in blinded.iter_mut().enumerate() {
                let at = BLINDED + i * ELEMENT_LEN;
                e.copy_from_slice(&bytes[at..at + ELEMENT_LEN]);
            }
            return Ok(TokenRequest::Issue(IssueRequest {
                key_id: bytes[KEY_ID..BLINDED].try_into().expect("length"),
                blinded,
            }));
        }
        let kind = TokenKind::from_code(first)?;
        let len = kind.token_len();
        if bytes[len..].iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("token request"));
        }
        Ok(TokenRequest::Redeem(Token::from_bytes(&bytes[..len])?))
    }
}

/// The outcome of a redemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TokenStatus {
    /// The token was good: its credits were added to the session.
    Ok = 0,
    /// Not a token this service accepts: a key it does not trust, a
    /// challenge of another issuer or origin, or a bad signature.
    Invalid = 1,
    /// The token was redeemed before.
    Spent = 2,
    /// The service holds as many spent tokens of that key as it can: the
    /// issuer must rotate its key.
    Full = 3,
    /// The record was malformed.
    InvalidRequest = 4,
    /// An issuance, but the session may be issued no more tokens: its
    /// account's allowance for the day comes from the directory first.
    NoAllowance = 5,
    /// An issuance for a directory key that is not the current one (or the
    /// directory issues no tokens): the response names the current key.
    KeyChanged = 6,
}

impl TokenStatus {
    /// Every status, in code order.
    pub const ALL: [TokenStatus; 7] = [
        TokenStatus::Ok,
        TokenStatus::Invalid,
        TokenStatus::Spent,
        TokenStatus::Full,
        TokenStatus::InvalidRequest,
        TokenStatus::NoAllowance,
        TokenStatus::KeyChanged,
    ];

    /// The wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses a wire code.
    pub fn from_code(code: u8) -> Result<Self, WireError> {
        Self::ALL
            .get(code as usize)
            .copied()
            .ok_or(WireError::UnknownStatus(code))
    }

    /// A short explanation a user can act on.
    pub fn describe(self) -> &'static str {
        match self {
            TokenStatus::Ok => "ok",
            TokenStatus::Invalid => {
                "invalid token: not issued by a key this service trusts for it \
                 (wrong issuer, origin or key, or a bad signature); fetch tokens \
                 from the issuer the operator names"
            }
            TokenStatus::Spent => "token already spent: each token can be redeemed once",
            TokenStatus::Full => {
                "the service cannot record more tokens of this issuer key; \
                 the operator must rotate the issuer's key"
            }
            TokenStatus::InvalidRequest => "invalid request: the token record was malformed",
            TokenStatus::NoAllowance => {
                "no tokens may be issued to this session: a verified account \
                 asks the directory for its day's tokens first"
            }
            TokenStatus::KeyChanged => {
                "the directory's token key changed: build the tokens again \
                 for the key in this answer"
            }
        }
    }
}

impl std::fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A token response record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    /// The outcome.
    pub status: TokenStatus,
    /// Credits the session has left after this request.
    pub credits: u32,
    /// Credits one token is worth on this service.
    pub credits_per_token: u32,
    /// Tokens the directory may still issue to this session.
    pub allowance: u32,
    /// The directory's current token key (None when it issues no tokens).
    pub key: Option<[u8; ELEMENT_LEN]>,
    /// An issuance that went through: the proof and the evaluated
    /// elements, one per blinded element.
    pub issued: Option<Issued>,
}

/// The evaluated elements of an issuance and the proof that they were
/// evaluated under the directory's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The batch proof (RFC 9497 section 2.2).
    pub proof: [u8; ISSUE_PROOF_LEN],
    /// The evaluated elements, in the request's order.
    pub evaluated: [[u8; ELEMENT_LEN]; TOKENS_PER_ISSUE],
}

impl FixedCodec for TokenResponse {
    const LEN: usize = TOKEN_RESPONSE_LEN;
    const NAME: &'static str = "token response";

    fn encode_into(&self, out: &mut [u8]) {
        use response_offsets::*;
        out.fill(0);
        out[STATUS] = self.status.code();
        out[CREDITS..CREDITS + 4].copy_from_slice(&self.credits.to_le_bytes());
        out[CREDITS_PER_TOKEN..CREDITS_PER_TOKEN + 4]
            .copy_from_slice(&self.credits_per_token.to_le_bytes());
        out[ALLOWANCE..ALLOWANCE + 4].copy_from_slice(&self.allowance.to_le_bytes());
        if let Some(k) = &self.key {
            out[KEY..PROOF].copy_from_slice(k);
        }
        if let Some(issued) = &self.issued {
            out[ISSUED] = TOKENS_PER_ISSUE as u8;
            out[PROOF..EVALUATED].copy_from_slice(&issued.proof);
            for (i, e) in issued.evaluated.iter().enumerate() {
                let at = EVALUATED + i * ELEMENT_LEN;
                out[at..at + ELEMENT_LEN].copy_from_slice(e);
            }
        }
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        use response_offsets::*;
        if bytes[2..CREDITS]
            .iter()
            .chain(&bytes[END..])
            .any(|&b| b != 0)
        {
            return Err(WireError::NonZeroReserved("token response"));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4"));
        let status = TokenStatus::from_code(bytes[STATUS])?;
        let key: [u8; ELEMENT_LEN] = bytes[KEY..PROOF].try_into().expect("length");
        let issued = match bytes[ISSUED] as usize {
            0 => {
                if bytes[PROOF..END].iter().any(|&b| b != 0) {
                    return Err(WireError::NonZeroReserved("token response"));
                }
                None
            }
            TOKENS_PER_ISSUE => {
                let mut evaluated = [[0u8; ELEMENT_LEN]; TOKENS_PER_ISSUE];
                for (i, e) in evaluated.iter_mut().enumerate() {
                    let at = EVALUATED + i * ELEMENT_LEN;
                    e.copy_from_slice(&bytes[at..at + ELEMENT_LEN]);
                }
                Some(Issued {
                    proof: bytes[PROOF..EVALUATED].try_into().expect("length"),
                    evaluated,
                })
            }
            _ => {
                return Err(WireError::InvalidRequest(
                    "a token response issues no tokens or a whole batch",
                ));
            }
        };
        Ok(Self {
            status,
            credits: u32_at(CREDITS),
            credits_per_token: u32_at(CREDITS_PER_TOKEN),
            allowance: u32_at(ALLOWANCE),
            key: (key != [0u8; ELEMENT_LEN]).then_some(key),
            issued,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            kind: TokenKind::BlindRsa,
            nonce: [1; 32],
            challenge_digest: [2; 32],
            key_id: [3; 32],
            authenticator: vec![4; 256],
        }
    }

    #[test]
    fn records_round_trip() {
        let r = TokenRequest::Redeem(token());
        assert_eq!(TokenRequest::decode(&r.encode()).unwrap(), r);
        let v = TokenRequest::Redeem(Token {
            kind: TokenKind::Voprf,
            authenticator: vec![5; 64],
            ..token()
        });
        assert_eq!(TokenRequest::decode(&v.encode()).unwrap(), v);
        let i = TokenRequest::Issue(IssueRequest {
            key_id: [6; 32],
            blinded: [[7; 32]; TOKENS_PER_ISSUE],
        });
        let b = i.encode();
        assert_eq!(&b[..2], &[0, 0]);
        assert_eq!(TokenRequest::decode(&b).unwrap(), i);
        let a = TokenResponse {
            status: TokenStatus::Spent,
            credits: 7,
            credits_per_token: 50,
            allowance: 0,
            key: None,
            issued: None,
        };
        assert_eq!(TokenResponse::decode(&a.encode()).unwrap(), a);
        let a = TokenResponse {
            status: TokenStatus::Ok,
            credits: 0,
            credits_per_token: 50,
            allowance: 16,
            key: Some([8; 32]),
            issued: Some(Issued {
                proof: [9; 64],
                evaluated: [[10; 32]; TOKENS_PER_ISSUE],
            }),
        };
        assert_eq!(TokenResponse::decode(&a.encode()).unwrap(), a);
        for s in TokenStatus::ALL {
            assert_eq!(TokenStatus::from_code(s.code()).unwrap(), s);
        }
    }

    #[test]
    fn bad_records_are_refused() {
        let mut b = TokenRequest::Redeem(token()).encode();
        b[TOKEN_LEN] = 1;
        assert_eq!(
            TokenRequest::decode(&b),
            Err(WireError::NonZeroReserved("token request"))
        );
        let mut b = TokenRequest::Redeem(token()).encode();
        b[1] = 1;
        assert!(TokenRequest::decode(&b).is_err(), "type 1 is not accepted");
        assert!(Token::from_bytes(&[0; 10]).is_err());
        assert!(Token::from_bytes(&[0]).is_err());
        // A type-5 token with a type-2 length, and bytes after an issuance.
        let mut b = vec![0u8; TOKEN_LEN];
        b[1] = 5;
        assert!(Token::from_bytes(&b).is_err());
        let mut b = TokenRequest::Issue(IssueRequest {
            key_id: [1; 32],
            blinded: [[2; 32]; TOKENS_PER_ISSUE],
        })
        .encode();
        b[issue_offsets::END] = 1;
        assert!(TokenRequest::decode(&b).is_err());
        let mut r = vec![0u8; TOKEN_RESPONSE_LEN];
        r[response_offsets::ISSUED] = 3;
        assert!(TokenResponse::decode(&r).is_err());
    }

    #[test]
    fn the_challenge_encodes_as_rfc_9577_says() {
        // The bytes @cloudflare/privacypass-ts serialises for the same
        // challenge (crates/hush-enclave/tests/data/privacypass).
        let c = TokenChallenge {
            kind: TokenKind::BlindRsa,
            issuer_name: "issuer.hush.test".into(),
            origin: "hush".into(),
        };
        assert_eq!(
            c.to_bytes(),
            [&[0, 2, 0, 16][..], b"issuer.hush.test", &[0, 0, 4], b"hush"].concat()
        );
    }
}
