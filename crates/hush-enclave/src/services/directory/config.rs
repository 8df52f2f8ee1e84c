//! The directory's limits.

use thiserror::Error;

/// Most wrong codes [`DirectoryConfig::max_code_attempts`] may allow.
pub const MAX_CODE_ATTEMPTS: u32 = 1000;

/// Largest number of accounts (2^24).
pub const MAX_ACCOUNTS: u32 = 1 << 24;

/// Why a directory configuration was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DirectoryConfigError {
    /// The account limit is not a power of two in range.
    #[error("max_accounts must be a power of two between 1 and {MAX_ACCOUNTS}, got {0}")]
    MaxAccounts(u32),
    /// More wrong codes allowed than a registration slot counts.
    #[error("max_code_attempts must be at most {MAX_CODE_ATTEMPTS}, got {0}")]
    Attempts(u32),
    /// More device pages than accounts.
    #[error("device_pages must be at most max_accounts, got {0}")]
    DevicePages(u32),
    /// A limit that must be positive is zero.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

/// The directory's limits (all public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryConfig {
    /// Accounts the directory holds.
    pub max_accounts: u32,
    /// Accounts that may have more than two devices: each takes a page of
    /// six more device slots when its third device is added, and keeps it
    /// (at most `max_accounts`).
    pub device_pages: u32,
    /// Seconds a verification code stays valid.
    pub code_ttl_secs: u64,
    /// Wrong codes allowed before a registration must start again.
    pub max_code_attempts: u32,
    /// Look-ups one session may make.
    pub lookups_per_session: u32,
    /// Look-ups one account may make per day.
    pub lookups_per_account_per_day: u32,
    /// Directory requests (of any kind, from anyone) a batch of
    /// verification codes waits for before it leaves the enclave: the
    /// batch's anonymity set ([`super::outbox`]).
    pub code_release_requests: u32,
    /// Seconds of the enclave's time between two batches, at least.
    pub code_release_secs: u64,
    /// Tokens a verified account may be issued per day, granted to its
    /// sessions a batch at a time (0: none). The enclave sets it from the
    /// token configuration's `directory_tokens_per_day`.
    pub tokens_per_day: u32,
}

/// By default one account in this many may have more than two devices
/// ([`DirectoryConfig::device_pages`]).
pub const DEFAULT_DEVICE_PAGES_SHARE: u32 = 16;
/// Default [`DirectoryConfig::code_release_requests`].
pub const DEFAULT_CODE_RELEASE_REQUESTS: u32 = 8;
/// The least [`DirectoryConfig::code_release_requests`] an enclave with
/// hardware attestation accepts (it raises a smaller one): the host
/// configures the enclave, and must not be able to shrink the anonymity
/// set to one.
pub const MIN_ATTESTED_CODE_RELEASE_REQUESTS: u32 = DEFAULT_CODE_RELEASE_REQUESTS;
/// Default [`DirectoryConfig::code_release_secs`].
pub const DEFAULT_CODE_RELEASE_SECS: u64 = 10;

impl DirectoryConfig {
    /// Defaults for `max_accounts` accounts: one in 16 may have more than
    /// two devices ([`DEFAULT_DEVICE_PAGES_SHARE`]), codes valid 15 minutes, 5
    /// attempts, 64 look-ups per session and 256 per account per day,
    /// codes released in batches of at least 8 directory requests and 10 s.
    pub fn new(max_accounts: u32) -> Result<Self, DirectoryConfigError> {
        Self {
            max_accounts,
            device_pages: (max_accounts / DEFAULT_DEVICE_PAGES_SHARE).max(1),
            code_ttl_secs: 15 * 60,
            max_code_attempts: 5,
            lookups_per_session: 64,
            lookups_per_account_per_day: 256,
            code_release_requests: DEFAULT_CODE_RELEASE_REQUESTS,
            code_release_secs: DEFAULT_CODE_RELEASE_SECS,
            tokens_per_day: 0,
        }
        .checked()
    }

    /// Checks every limit.
    pub fn checked(self) -> Result<Self, DirectoryConfigError> {
        if !self.max_accounts.is_power_of_two() || self.max_accounts > MAX_ACCOUNTS {
            return Err(DirectoryConfigError::MaxAccounts(self.max_accounts));
        }
        if self.max_code_attempts > MAX_CODE_ATTEMPTS {
            return Err(DirectoryConfigError::Attempts(self.max_code_attempts));
        }
        if self.device_pages > self.max_accounts {
            return Err(DirectoryConfigError::DevicePages(self.device_pages));
        }
        for (v, what) in [
            (self.device_pages as u64, "device_pages"),
            (self.code_ttl_secs, "code_ttl_secs"),
            (self.max_code_attempts as u64, "max_code_attempts"),
            (self.lookups_per_session as u64, "lookups_per_session"),
            (
                self.lookups_per_account_per_day as u64,
                "lookups_per_account_per_day",
            ),
            (self.code_release_requests as u64, "code_release_requests"),
            (self.code_release_secs, "code_release_secs"),
        ] {
            if v == 0 {
                return Err(DirectoryConfigError::Zero(what));
            }
        }
        Ok(self)
    }

    /// Entries of the identifier/key map: one identity key, up to 8
    /// devices and up to 4 identifiers per account would be 13; accounts
    /// average far fewer, so the map holds 4 per account and answers
    /// DIRECTORY_FULL beyond.
    pub fn map_entries(&self) -> u32 {
        self.max_accounts.saturating_mul(4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        assert!(DirectoryConfig::new(1 << 10).is_ok());
        assert_eq!(
            DirectoryConfig::new(3),
            Err(DirectoryConfigError::MaxAccounts(3))
        );
        assert_eq!(
            DirectoryConfig::new(0),
            Err(DirectoryConfigError::MaxAccounts(0))
        );
        let c = DirectoryConfig {
            lookups_per_session: 0,
            ..DirectoryConfig::new(4).unwrap()
        };
        assert_eq!(
            c.checked(),
            Err(DirectoryConfigError::Zero("lookups_per_session"))
        );
        assert_eq!(DirectoryConfig::new(1 << 10).unwrap().device_pages, 64);
        assert_eq!(DirectoryConfig::new(4).unwrap().device_pages, 1);
        let c = DirectoryConfig {
            device_pages: 8,
            ..DirectoryConfig::new(4).unwrap()
        };
        assert_eq!(c.checked(), Err(DirectoryConfigError::DevicePages(8)));
        let c = DirectoryConfig {
            max_code_attempts: 1001,
            ..DirectoryConfig::new(4).unwrap()
        };
        assert_eq!(c.checked(), Err(DirectoryConfigError::Attempts(1001)));
    }
}
