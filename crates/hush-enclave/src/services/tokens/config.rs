//! The token service's configuration: whether writes need tokens, whose
//! tokens count, what one is worth, and how many spent tokens of each key
//! the enclave remembers.

use super::verify::IssuerKey;
use hush_wire::tokens::{TOKENS_PER_ISSUE, TokenChallenge, TokenKind};

/// Issuer keys trusted at once: the current one and the one before it,
/// so tokens issued just before a rotation still redeem.
pub const MAX_ISSUER_KEYS: usize = 2;
/// Credits one token is worth by default: writes (a message create, an
/// attachment upload, a computation create) per token.
pub const DEFAULT_CREDITS_PER_TOKEN: u32 = 50;
/// Spent tokens remembered per issuer key by default (2^18: 32 MiB of
/// enclave memory per key; `BENCHMARKS.md`). An issuer that issues more
/// per key rotates its key sooner, or the operator raises this.
pub const DEFAULT_SPENT_PER_KEY: u32 = 1 << 18;
/// The most spent tokens per key a configuration may ask for.
pub const MAX_SPENT_PER_KEY: u32 = 1 << 26;
/// Tokens hush's directory issues to a verified account per day by
/// default (each worth [`DEFAULT_CREDITS_PER_TOKEN`] writes).
pub const DEFAULT_DIRECTORY_TOKENS_PER_DAY: u32 = 32;
/// The most tokens per account per day a configuration may ask for.
pub const MAX_DIRECTORY_TOKENS_PER_DAY: u32 = 4096;
/// The origin hush's challenge names by default.
pub const DEFAULT_ORIGIN: &str = "hush";

/// Why a token configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenConfigError {
    /// Tokens are required but nobody issues them.
    #[error(
        "tokens are required (require_tokens) but nobody issues them: let the directory issue them (directory_tokens_per_day above 0) or name an external issuer's public key (token_issuer_keys)"
    )]
    NoKeys,
    /// The directory's tokens come in batches.
    #[error(
        "directory_tokens_per_day must be a multiple of {TOKENS_PER_ISSUE} (tokens are issued {TOKENS_PER_ISSUE} at a time) and at most {MAX_DIRECTORY_TOKENS_PER_DAY}, got {0}"
    )]
    DirectoryTokensPerDay(u32),
    /// More keys than can be trusted at once.
    #[error("at most {MAX_ISSUER_KEYS} issuer keys (the current one and the one before), got {0}")]
    TooManyKeys(usize),
    /// The same key twice.
    #[error("issuer key {0} is listed twice")]
    DuplicateKey(String),
    /// Keys but no issuer name.
    #[error("issuer keys need the issuer's name (token_issuer_name), which tokens are bound to")]
    NoIssuerName,
    /// A name too long for a challenge.
    #[error("the issuer name and origin must each be at most 255 bytes")]
    NameTooLong,
    /// A token worth nothing.
    #[error("credits_per_token must be at least 1")]
    ZeroCredits,
    /// Out of range.
    #[error("spent tokens per key must be between 1 and {MAX_SPENT_PER_KEY}, got {0}")]
    SpentPerKey(u32),
}

/// The token service's limits and trust.
#[derive(Clone, Debug)]
pub struct TokenConfig {
    /// Writes need credits (off in the embedded dev default).
    pub require: bool,
    /// The issuer tokens are bound to (the challenge's issuer name).
    pub issuer_name: String,
    /// The origin tokens are bound to (the challenge's origin info).
    pub origin: String,
    /// The issuer's public keys (current first).
    pub keys: Vec<IssuerKey>,
    /// Credits one token adds to its session.
    pub credits_per_token: u32,
    /// Spent tokens remembered per key (and per epoch of the directory's
    /// key).
    pub spent_per_key: u32,
    /// Tokens the directory issues a verified account per day (0: it
    /// issues none; a multiple of [`TOKENS_PER_ISSUE`]).
    pub directory_tokens_per_day: u32,
    /// The directory's accounts (the enclave sets it from the directory's
    /// configuration; 0: unknown): an epoch's spent set needs room for at
    /// most two days of every account's tokens.
    pub directory_accounts: u32,
}

impl Default for TokenConfig {
    /// No issuer, nothing required.
    fn default() -> Self {
        Self {
            require: false,
            issuer_name: String::new(),
            origin: DEFAULT_ORIGIN.into(),
            keys: Vec::new(),
            credits_per_token: DEFAULT_CREDITS_PER_TOKEN,
            spent_per_key: DEFAULT_SPENT_PER_KEY,
            directory_tokens_per_day: 0,
            directory_accounts: 0,
        }
    }
}

impl TokenConfig {
    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), TokenConfigError> {
        if self.require && self.keys.is_empty() && self.directory_tokens_per_day == 0 {
            return Err(TokenConfigError::NoKeys);
        }
        if self.keys.len() > MAX_ISSUER_KEYS {
            return Err(TokenConfigError::TooManyKeys(self.keys.len()));
        }
        if self.keys.len() == 2 && self.keys[0].id() == self.keys[1].id() {
            return Err(TokenConfigError::DuplicateKey(self.keys[0].short_id()));
        }
        if !self.keys.is_empty() && self.issuer_name.is_empty() {
            return Err(TokenConfigError::NoIssuerName);
        }
        if self.issuer_name.len() > 255 || self.origin.len() > 255 {
            return Err(TokenConfigError::NameTooLong);
        }
        if self.credits_per_token == 0 {
            return Err(TokenConfigError::ZeroCredits);
        }
        // `%`, not `is_multiple_of`: the workspace's rust-version is 1.85.
        #[allow(clippy::manual_is_multiple_of)]
        let batches = self.directory_tokens_per_day % TOKENS_PER_ISSUE as u32 == 0;
        if !batches || self.directory_tokens_per_day > MAX_DIRECTORY_TOKENS_PER_DAY {
            return Err(TokenConfigError::DirectoryTokensPerDay(
                self.directory_tokens_per_day,
            ));
        }
        if self.spent_per_key == 0 || self.spent_per_key > MAX_SPENT_PER_KEY {
            return Err(TokenConfigError::SpentPerKey(self.spent_per_key));
        }
        Ok(())
    }

    /// The challenge an external issuer's tokens (type 2) must have been
    /// issued for.
    pub fn challenge(&self) -> TokenChallenge {
        TokenChallenge {
            kind: TokenKind::BlindRsa,
            issuer_name: self.issuer_name.clone(),
            origin: self.origin.clone(),
        }
    }

    /// The challenge the directory's tokens (type 5) are issued for.
    pub fn directory_challenge(&self) -> TokenChallenge {
        TokenChallenge::directory()
    }

    /// Spent tokens remembered per epoch of the directory's key: room for
    /// what an epoch's key can issue (an account's day is a window that
    /// starts when it is first used, so at most two of them overlap an
    /// epoch), and never more than `spent_per_key`.
    pub fn spent_per_epoch(&self) -> u32 {
        let most = 2 * self.directory_accounts as u64 * self.directory_tokens_per_day as u64;
        if self.directory_accounts == 0 {
            self.spent_per_key
        } else {
            most.next_power_of_two()
                .min(self.spent_per_key as u64)
                .max(1) as u32
        }
    }

    /// Whether the directory issues tokens.
    pub fn directory_issues(&self) -> bool {
        self.directory_tokens_per_day > 0
    }
}
