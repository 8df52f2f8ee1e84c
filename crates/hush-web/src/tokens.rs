//! Privacy Pass tokens in the browser: a redemption of a token the page
//! keeps (base64, from the operator's issuer or the directory), and the
//! directory's tokens fetched for an identity with a verified account (a
//! grant of the day's next batch, then a blind issuance). The page keeps
//! the stock and decides when to redeem (when a send answers NoTokens);
//! every record is sealed here, and the issuance's blinding and proof
//! check are hush-client's (`token_issuance`).

use crate::WebError;
use crate::session::{Asked, Outgoing, Session};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use hush_client::token_issuance::PendingIssue;
use hush_wire::FixedCodec;
use hush_wire::directory::{DirectoryOp, DirectoryRequest, DirectoryResponse};
use hush_wire::tokens::{
    ELEMENT_LEN, IssueRequest, TOKEN_RESPONSE_LEN, TOKENS_PER_ISSUE, Token, TokenRequest,
    TokenResponse,
};
use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
impl Session {
    /// Redeems one token (base64) for this session's credits.
    pub fn redeem(&self, token: &str) -> Result<Outgoing, WebError> {
        let bytes = B64
            .decode(token.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(token.trim().trim_end_matches('=')))
            .map_err(|_| WebError::new("a token is base64"))?;
        let token = Token::from_bytes(&bytes).map_err(WebError::new)?;
        Ok(self.token_record(&TokenRequest::Redeem(token), Asked::Tokens(None)))
    }

    /// Asks the directory for the next batch of `me`'s account's tokens
    /// for the day (granted to this session; then [`Session::issue`]).
    #[wasm_bindgen(js_name = grantTokens)]
    pub fn grant_tokens(&self, me: &crate::WebIdentity) -> Outgoing {
        let request = DirectoryRequest {
            acting_as: me.0.public(),
            op: DirectoryOp::Tokens,
        };
        let (nonce, sealed) = self.client().seal_directory_request(&request);
        self.outgoing("/v1/directory/query", nonce, sealed, Asked::Grant)
    }

    /// Has the granted batch issued for the directory key `key` (hex, as
    /// an answer's `key` gives it), blinded here; its answer's `tokens`
    /// are the batch. Without a key, asks for nothing and learns the key.
    pub fn issue(&self, key: Option<String>) -> Result<Outgoing, WebError> {
        let Some(key) = key else {
            let probe = TokenRequest::Issue(IssueRequest {
                key_id: [0; 32],
                blinded: [[0; ELEMENT_LEN]; TOKENS_PER_ISSUE],
            });
            return Ok(self.token_record(&probe, Asked::Tokens(None)));
        };
        let key: [u8; ELEMENT_LEN] = hex::decode(&key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| WebError::new("the directory's key is 32 bytes of hex"))?;
        let (pending, request) = PendingIssue::new(key);
        Ok(self.token_record(
            &TokenRequest::Issue(request),
            Asked::Tokens(Some(Box::new(pending))),
        ))
    }
}

impl Session {
    fn token_record(&self, request: &TokenRequest, asked: Asked) -> Outgoing {
        let (nonce, sealed) = self.client().seal_bytes(&request.encode());
        self.outgoing("/v1/tokens/redeem", nonce, sealed, asked)
    }
}

/// A token answer as JSON: `status` ("Ok", "Invalid", "Spent", "Full",
/// "InvalidRequest", "NoAllowance", "KeyChanged"), `detail`, `credits`,
/// `creditsPerToken`, `allowance`, `key` (hex, or null), and `tokens`
/// (base64) when a batch was issued and its proof held.
pub(crate) fn open_token(
    session: &Session,
    nonce: u64,
    sealed: &[u8],
    pending: Option<&PendingIssue>,
) -> Result<Value, WebError> {
    let plain = session
        .client()
        .open_bytes(nonce, sealed, TOKEN_RESPONSE_LEN)
        .map_err(WebError::new)?;
    let r = TokenResponse::decode(&plain).map_err(WebError::new)?;
    let mut v = json!({
        "status": format!("{:?}", r.status),
        "detail": r.status.describe(),
        "credits": r.credits,
        "creditsPerToken": r.credits_per_token,
        "allowance": r.allowance,
        "key": r.key.map(hex::encode),
    });
    if let (Some(pending), Some(issued)) = (pending, &r.issued) {
        let tokens = pending.finish(issued).map_err(WebError::new)?;
        let encoded: Vec<String> = tokens.iter().map(|t| B64.encode(t.to_bytes())).collect();
        v["tokens"] = json!(encoded);
    }
    Ok(v)
}

/// A directory grant's answer as JSON: `status` (the directory's status
/// name: "Ok", "RateLimited", "NotRegistered", ...), `detail`, `granted`
/// and `perDay`.
pub(crate) fn open_grant(session: &Session, nonce: u64, sealed: &[u8]) -> Result<Value, WebError> {
    let r: DirectoryResponse = session
        .client()
        .open_directory_response(nonce, sealed)
        .map_err(WebError::new)?;
    Ok(json!({
        "status": format!("{:?}", r.status),
        "detail": r.status.to_string(),
        "granted": r.tokens_granted,
        "perDay": r.tokens_per_day,
    }))
}
