//! Anonymous tokens: Privacy Pass tokens (RFC 9577 token format, RFC 9578
//! issuance) that a session redeems inside the enclave for a budget of
//! writes, so that nobody writes without one and no token links to whoever
//! was issued it.
//!
//! Only the publicly verifiable type is accepted: type 2, blind RSA with a
//! 2048-bit key (RSABSSA-SHA384-PSS-Deterministic). A token is
//!
//! | field | bytes |
//! |---|---|
//! | token type (big-endian, 0x0002) | 2 |
//! | nonce (the client's) | 32 |
//! | challenge digest: SHA-256 of the [`TokenChallenge`] | 32 |
//! | token key id: SHA-256 of the issuer key's DER SubjectPublicKeyInfo | 32 |
//! | authenticator: the RSA-PSS signature of the 98 bytes above | 256 |
//!
//! and travels in a [`TokenRequest`] record of [`TOKEN_REQUEST_LEN`] bytes
//! (the token, then zeros), answered by a [`TokenResponse`] of
//! [`TOKEN_RESPONSE_LEN`] bytes, both sealed in the session like every other
//! record.

use crate::WireError;
use crate::codec::{FixedCodec, check_len};

/// The token type hush accepts (RFC 9578 section 6: blind RSA, 2048 bits).
pub const TOKEN_TYPE_BLIND_RSA: u16 = 0x0002;
/// Length of a token's nonce.
pub const TOKEN_NONCE_LEN: usize = 32;
/// Length of a challenge digest and of a token key id (SHA-256).
pub const TOKEN_DIGEST_LEN: usize = 32;
/// Length of a type-2 token's authenticator (a 2048-bit RSA signature).
pub const TOKEN_AUTHENTICATOR_LEN: usize = 256;
/// Length of the signed part of a token (type, nonce, digest, key id).
pub const TOKEN_INPUT_LEN: usize = 2 + TOKEN_NONCE_LEN + 2 * TOKEN_DIGEST_LEN;
/// Length of a type-2 token.
pub const TOKEN_LEN: usize = TOKEN_INPUT_LEN + TOKEN_AUTHENTICATOR_LEN;
/// Length of a token request record: the token, then zeros.
pub const TOKEN_REQUEST_LEN: usize = 384;
/// Length of a token response record: status 1 | reserved 3 | credits
/// left 4 | credits per token 4 | reserved 4.
pub const TOKEN_RESPONSE_LEN: usize = 16;

const _: () = assert!(TOKEN_LEN == 354);
const _: () = assert!(TOKEN_LEN <= TOKEN_REQUEST_LEN);

/// One type-2 token, as issued.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// The client's random nonce.
    pub nonce: [u8; TOKEN_NONCE_LEN],
    /// SHA-256 of the challenge the token was issued for.
    pub challenge_digest: [u8; TOKEN_DIGEST_LEN],
    /// Which issuer key signed it.
    pub key_id: [u8; TOKEN_DIGEST_LEN],
    /// The issuer's (unblinded) signature.
    pub authenticator: [u8; TOKEN_AUTHENTICATOR_LEN],
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token is a bearer credential: never printed.
        f.write_str("Token(..)")
    }
}

impl Token {
    /// Parses a token (exactly [`TOKEN_LEN`] bytes, type 2).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        check_len("token", TOKEN_LEN, bytes)?;
        let kind = u16::from_be_bytes([bytes[0], bytes[1]]);
        if kind != TOKEN_TYPE_BLIND_RSA {
            return Err(WireError::InvalidRequest(
                "only Privacy Pass tokens of type 2 (blind RSA) are accepted",
            ));
        }
        let at = |from: usize, len: usize| &bytes[from..from + len];
        Ok(Self {
            nonce: at(2, TOKEN_NONCE_LEN).try_into().expect("length"),
            challenge_digest: at(34, TOKEN_DIGEST_LEN).try_into().expect("length"),
            key_id: at(66, TOKEN_DIGEST_LEN).try_into().expect("length"),
            authenticator: at(TOKEN_INPUT_LEN, TOKEN_AUTHENTICATOR_LEN)
                .try_into()
                .expect("length"),
        })
    }

    /// The token's encoding ([`TOKEN_LEN`] bytes).
    pub fn to_bytes(&self) -> [u8; TOKEN_LEN] {
        let mut out = [0u8; TOKEN_LEN];
        out[..2].copy_from_slice(&TOKEN_TYPE_BLIND_RSA.to_be_bytes());
        out[2..34].copy_from_slice(&self.nonce);
        out[34..66].copy_from_slice(&self.challenge_digest);
        out[66..98].copy_from_slice(&self.key_id);
        out[TOKEN_INPUT_LEN..].copy_from_slice(&self.authenticator);
        out
    }
}

/// The challenge tokens are issued for (RFC 9577 section 2.1): hush asks
/// for type 2 tokens of one issuer, with no redemption context (so a
/// client can fetch them ahead of time) and the service's origin name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenChallenge {
    /// The issuer's name (its host name).
    pub issuer_name: String,
    /// The origin the tokens are for (empty: any origin of the issuer).
    pub origin: String,
}

impl TokenChallenge {
    /// Its encoding: token type (u16) | issuer name (u16 length, bytes) |
    /// redemption context (u8 length 0) | origin info (u16 length, bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(7 + self.issuer_name.len() + self.origin.len());
        out.extend_from_slice(&TOKEN_TYPE_BLIND_RSA.to_be_bytes());
        out.extend_from_slice(&(self.issuer_name.len() as u16).to_be_bytes());
        out.extend_from_slice(self.issuer_name.as_bytes());
        out.push(0);
        out.extend_from_slice(&(self.origin.len() as u16).to_be_bytes());
        out.extend_from_slice(self.origin.as_bytes());
        out
    }
}

/// A token request record: one token to redeem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The token.
    pub token: Token,
}

impl FixedCodec for TokenRequest {
    const LEN: usize = TOKEN_REQUEST_LEN;
    const NAME: &'static str = "token request";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[..TOKEN_LEN].copy_from_slice(&self.token.to_bytes());
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes[TOKEN_LEN..].iter().any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("token request"));
        }
        Ok(Self {
            token: Token::from_bytes(&bytes[..TOKEN_LEN])?,
        })
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
}

impl TokenStatus {
    /// Every status, in code order.
    pub const ALL: [TokenStatus; 5] = [
        TokenStatus::Ok,
        TokenStatus::Invalid,
        TokenStatus::Spent,
        TokenStatus::Full,
        TokenStatus::InvalidRequest,
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
        }
    }
}

impl std::fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A token response record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    /// The outcome.
    pub status: TokenStatus,
    /// Credits the session has left after this redemption.
    pub credits: u32,
    /// Credits one token is worth on this service.
    pub credits_per_token: u32,
}

impl FixedCodec for TokenResponse {
    const LEN: usize = TOKEN_RESPONSE_LEN;
    const NAME: &'static str = "token response";

    fn encode_into(&self, out: &mut [u8]) {
        out.fill(0);
        out[0] = self.status.code();
        out[4..8].copy_from_slice(&self.credits.to_le_bytes());
        out[8..12].copy_from_slice(&self.credits_per_token.to_le_bytes());
    }

    fn decode_exact(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes[1..4].iter().chain(&bytes[12..]).any(|&b| b != 0) {
            return Err(WireError::NonZeroReserved("token response"));
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4"));
        Ok(Self {
            status: TokenStatus::from_code(bytes[0])?,
            credits: u32_at(4),
            credits_per_token: u32_at(8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            nonce: [1; 32],
            challenge_digest: [2; 32],
            key_id: [3; 32],
            authenticator: [4; 256],
        }
    }

    #[test]
    fn records_round_trip() {
        let r = TokenRequest { token: token() };
        assert_eq!(TokenRequest::decode(&r.encode()).unwrap(), r);
        let a = TokenResponse {
            status: TokenStatus::Spent,
            credits: 7,
            credits_per_token: 50,
        };
        assert_eq!(TokenResponse::decode(&a.encode()).unwrap(), a);
        for s in TokenStatus::ALL {
            assert_eq!(TokenStatus::from_code(s.code()).unwrap(), s);
        }
    }

    #[test]
    fn bad_records_are_refused() {
        let mut b = TokenRequest { token: token() }.encode();
        b[TOKEN_LEN] = 1;
        assert_eq!(
            TokenRequest::decode(&b),
            Err(WireError::NonZeroReserved("token request"))
        );
        let mut b = TokenRequest { token: token() }.encode();
        b[1] = 1;
        assert!(TokenRequest::decode(&b).is_err(), "type 1 is not accepted");
        assert!(Token::from_bytes(&[0; 10]).is_err());
    }

    #[test]
    fn the_challenge_encodes_as_rfc_9577_says() {
        // The bytes @cloudflare/privacypass-ts serialises for the same
        // challenge (crates/hush-enclave/tests/data/privacypass).
        let c = TokenChallenge {
            issuer_name: "issuer.hush.test".into(),
            origin: "hush".into(),
        };
        assert_eq!(
            c.to_bytes(),
            [&[0, 2, 0, 16][..], b"issuer.hush.test", &[0, 0, 4], b"hush"].concat()
        );
    }
}
