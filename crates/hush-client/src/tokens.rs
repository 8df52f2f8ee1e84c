//! Privacy Pass tokens on the client: a stock of tokens (RFC 9578 type 2,
//! from the operator's issuer, or type 5, from hush's directory) that the
//! client redeems, one at a time, when a write answers NO_TOKENS, and then
//! sends the write again. Nobody has to ask for a redemption: a client
//! with tokens just writes. When the stock runs out, a client whose keys
//! belong to a verified account fetches the next batch from the directory
//! by itself ([`Client::fetch_directory_tokens`]); the batch goes to the
//! token file, so tokens a short-lived process does not use are kept.
//!
//! A token is redeemed over the session (sealed), so the host sees that a
//! token was presented, never which. Credits belong to the session: a
//! reconnect starts with none, and the next write redeems another token.
//! Tokens the server refuses (spent, or not its issuer's) are dropped from
//! the stock. The stock is in memory ([`Client::add_tokens`]) and, behind
//! it, in a [`TokenFile`] ([`Client::use_token_file`]: `$HUSH_HOME/tokens`
//! for the CLI), from which a token is removed as it is taken.

use crate::ClientError;
use crate::client::{Client, Service};
use crate::token_issuance::{PendingIssue, key_id};
use hush_wire::FixedCodec;
use hush_wire::directory::{DirectoryOp, DirectoryRequest, DirectoryStatus};
use hush_wire::tokens::{
    IssueRequest, TOKEN_LEN, TOKEN_RESPONSE_LEN, TOKENS_PER_ISSUE, Token, TokenRequest,
    TokenResponse, TokenStatus, VOPRF_TOKEN_LEN,
};

impl Client {
    /// Adds tokens to the stock (redeemed when a write needs credits).
    pub fn add_tokens(&mut self, tokens: impl IntoIterator<Item = Token>) {
        self.tokens.extend(tokens);
    }

    /// Takes tokens, when the memory stock is empty, from `file`.
    pub fn use_token_file(&mut self, file: TokenFile) {
        self.token_file = Some(file);
    }

    /// Tokens in the stock (memory and file).
    pub fn tokens_left(&self) -> usize {
        self.tokens.len()
            + self
                .token_file
                .as_ref()
                .map_or(0, |f| f.count().unwrap_or(0))
    }

    fn next_token(&mut self) -> Result<Option<Token>, ClientError> {
        if let Some(t) = self.tokens.pop() {
            return Ok(Some(t));
        }
        match &self.token_file {
            Some(f) => f.take().map_err(|e| ClientError::TokenFile(e.to_string())),
            None => Ok(None),
        }
    }

    /// Takes the stock (to keep the tokens not redeemed).
    pub fn take_tokens(&mut self) -> Vec<Token> {
        std::mem::take(&mut self.tokens)
    }

    /// Redeems one token for this session's credits; the answer says how
    /// it went and how many credits the session has.
    pub async fn redeem_token(&mut self, token: &Token) -> Result<TokenResponse, ClientError> {
        self.token_call(&TokenRequest::Redeem(token.clone())).await
    }

    async fn token_call(&mut self, request: &TokenRequest) -> Result<TokenResponse, ClientError> {
        let (r, _) = self
            .service_call(Service::Tokens, &request.encode(), TOKEN_RESPONSE_LEN)
            .await?;
        Ok(TokenResponse::decode(&r)?)
    }

    /// Fetches the next batch of the day's tokens from the directory for
    /// the account of one of this session's keys, and puts them in the
    /// stock (the token file when there is one). Fails with
    /// [`ClientError::NoTokensToday`] when the account has had its day's
    /// tokens, and with [`ClientError::NoTokens`] when no key of the
    /// session belongs to a verified account.
    pub async fn fetch_directory_tokens(&mut self) -> Result<usize, ClientError> {
        let mut today = None;
        let keys: Vec<_> = self.keypairs.iter().map(|k| k.public).collect();
        for key in keys {
            let acting_as = hush_wire::PublicKey::new(key.to_bytes())?;
            let (r, _) = self
                .execute_directory(&DirectoryRequest {
                    acting_as,
                    op: DirectoryOp::Tokens,
                })
                .await?;
            match r.status {
                DirectoryStatus::Ok => return self.issue_batch().await,
                DirectoryStatus::RateLimited => today = Some(r.tokens_per_day),
                DirectoryStatus::NotRegistered | DirectoryStatus::Closed => {}
                s => return Err(ClientError::Directory(s)),
            }
        }
        Err(match today {
            Some(per_day) => ClientError::NoTokensToday {
                per_day,
                credits_per_token: self.credits_per_token,
            },
            None => ClientError::NoTokens {
                credits_per_token: self.credits_per_token,
                refused: 0,
            },
        })
    }

    /// Has the session's allowance issued as a batch of tokens, learning
    /// the directory's current key first when it is not known or changed.
    async fn issue_batch(&mut self) -> Result<usize, ClientError> {
        for _ in 0..2 {
            let key = match self.directory_token_key {
                Some(k) => k,
                None => {
                    // Any issuance record names the current key in its
                    // answer; one for no key issues nothing.
                    let probe = TokenRequest::Issue(IssueRequest {
                        key_id: [0; 32],
                        blinded: [[0; 32]; TOKENS_PER_ISSUE],
                    });
                    let r = self.token_call(&probe).await?;
                    match r.key {
                        Some(k) => k,
                        None => return Err(ClientError::Token(TokenStatus::KeyChanged)),
                    }
                }
            };
            let (pending, request) = PendingIssue::new(key);
            let r = self.token_call(&TokenRequest::Issue(request)).await?;
            self.credits_per_token = r.credits_per_token;
            match (r.status, &r.issued) {
                (TokenStatus::Ok, Some(issued)) => {
                    let tokens = pending.finish(issued)?;
                    let n = tokens.len();
                    self.stock(tokens)?;
                    return Ok(n);
                }
                (TokenStatus::KeyChanged, _) => {
                    self.directory_token_key = r.key.filter(|k| key_id(k) != key_id(&key));
                    if self.directory_token_key.is_none() {
                        return Err(ClientError::Token(TokenStatus::KeyChanged));
                    }
                }
                (s, _) => return Err(ClientError::Token(s)),
            }
        }
        Err(ClientError::Token(TokenStatus::KeyChanged))
    }

    /// Keeps fetched tokens: in the token file when there is one (so a
    /// process that ends keeps them), else in memory.
    fn stock(&mut self, tokens: Vec<Token>) -> Result<(), ClientError> {
        match &self.token_file {
            Some(f) => {
                f.add(&tokens)
                    .map_err(|e| ClientError::TokenFile(e.to_string()))?;
            }
            None => self.tokens.extend(tokens),
        }
        Ok(())
    }

    /// Redeems tokens of the stock until one holds (dropping those the
    /// server refuses); when the stock runs out, fetches the next batch
    /// from the directory (once) and goes on.
    pub(crate) async fn redeem_from_stock(&mut self) -> Result<TokenResponse, ClientError> {
        let mut refused = 0;
        let mut fetched = false;
        loop {
            let Some(token) = self.next_token()? else {
                if fetched {
                    break;
                }
                fetched = true;
                match self.fetch_directory_tokens().await {
                    Ok(_) => continue,
                    Err(ClientError::NoTokens { .. }) => break,
                    Err(e) => return Err(e),
                }
            };
            let answer = self.redeem_token(&token).await?;
            match answer.status {
                TokenStatus::Ok => {
                    tracing::debug!(credits = answer.credits, "redeemed a token");
                    return Ok(answer);
                }
                TokenStatus::Spent | TokenStatus::Invalid => {
                    self.credits_per_token = answer.credits_per_token;
                    tracing::info!(
                        "the server refused a token of the stock: {}",
                        answer.status.describe()
                    );
                    refused += 1;
                }
                // Not the token's fault: keep it, and say why.
                s @ (TokenStatus::Full
                | TokenStatus::InvalidRequest
                | TokenStatus::NoAllowance
                | TokenStatus::KeyChanged) => {
                    self.tokens.push(token);
                    return Err(ClientError::Token(s));
                }
            }
        }
        Err(ClientError::NoTokens {
            credits_per_token: self.credits_per_token,
            refused,
        })
    }
}

/// A file of tokens, one base64 token per line (`$HUSH_HOME/tokens`): a
/// token is removed from it when it is taken for a redemption, so a token
/// is never presented twice from one file (the server refuses a second
/// redemption anyway).
#[derive(Clone, Debug)]
pub struct TokenFile {
    path: std::path::PathBuf,
}

impl TokenFile {
    /// The token file of a home folder.
    pub fn in_home(home: &std::path::Path) -> Self {
        Self {
            path: home.join("tokens"),
        }
    }

    /// The token file at `path`.
    pub fn at(path: std::path::PathBuf) -> Self {
        Self { path }
    }

    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn read(&self) -> std::io::Result<Vec<Token>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => parse_tokens(&text).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn write(&self, tokens: &[Token]) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::private_file::create_dir_all(dir)?;
        }
        crate::private_file::replace(&self.path, format_tokens(tokens).as_bytes())
    }

    /// Tokens in the file.
    pub fn count(&self) -> std::io::Result<usize> {
        Ok(self.read()?.len())
    }

    /// Appends `tokens`, leaving out any already in the file; returns how
    /// many were new.
    pub fn add(&self, tokens: &[Token]) -> std::io::Result<usize> {
        let mut all = self.read()?;
        let before = all.len();
        for t in tokens {
            if !all.contains(t) {
                all.push(t.clone());
            }
        }
        self.write(&all)?;
        Ok(all.len() - before)
    }

    /// Removes and returns the first token, if any.
    pub fn take(&self) -> std::io::Result<Option<Token>> {
        let mut all = self.read()?;
        if all.is_empty() {
            return Ok(None);
        }
        let first = all.remove(0);
        self.write(&all)?;
        Ok(Some(first))
    }
}

/// Reads tokens from text: one per line, base64 (standard or URL-safe,
/// padded or not), blank lines and `#` comments skipped.
pub fn parse_tokens(text: &str) -> Result<Vec<Token>, String> {
    use base64::Engine;
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bytes = engines
            .iter()
            .find_map(|e| e.decode(line).ok())
            .ok_or_else(|| format!("line {}: not base64", n + 1))?;
        if bytes.len() != TOKEN_LEN && bytes.len() != VOPRF_TOKEN_LEN {
            return Err(format!(
                "line {}: {} bytes, a token is {TOKEN_LEN} (type 2) or {VOPRF_TOKEN_LEN} (type 5)",
                n + 1,
                bytes.len()
            ));
        }
        out.push(Token::from_bytes(&bytes).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    Ok(out)
}

/// Writes tokens as text, one base64 token per line.
pub fn format_tokens(tokens: &[Token]) -> String {
    use base64::Engine;
    tokens
        .iter()
        .map(|t| base64::engine::general_purpose::STANDARD.encode(t.to_bytes()) + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_gives_each_token_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = TokenFile::in_home(dir.path());
        assert_eq!(f.count().unwrap(), 0);
        let t = |b: u8| Token::from_bytes(&[&[0, 2][..], &[b; TOKEN_LEN - 2]].concat()).unwrap();
        assert_eq!(f.add(&[t(1), t(2)]).unwrap(), 2);
        assert_eq!(
            f.add(&[t(2), t(3)]).unwrap(),
            1,
            "a token already there is not added twice"
        );
        assert_eq!(f.take().unwrap(), Some(t(1)));
        assert_eq!(f.take().unwrap(), Some(t(2)));
        assert_eq!(f.count().unwrap(), 1);
        assert_eq!(f.take().unwrap(), Some(t(3)));
        assert_eq!(f.take().unwrap(), None);
        std::fs::write(f.path(), "garbage\n").unwrap();
        assert!(
            f.take()
                .unwrap_err()
                .to_string()
                .contains("line 1: not base64")
        );
    }

    #[test]
    fn token_files_round_trip_and_bad_lines_are_named() {
        let t = Token::from_bytes(&[&[0, 2][..], &[9u8; TOKEN_LEN - 2]].concat()).unwrap();
        let text = format!("# tokens\n\n{}", format_tokens(&[t.clone(), t.clone()]));
        assert_eq!(parse_tokens(&text).unwrap(), vec![t.clone(), t]);
        assert_eq!(
            parse_tokens("AAAA\n").unwrap_err(),
            "line 1: 3 bytes, a token is 354 (type 2) or 162 (type 5)"
        );
        assert_eq!(parse_tokens("x\n!!\n").unwrap_err(), "line 1: not base64");
    }
}
