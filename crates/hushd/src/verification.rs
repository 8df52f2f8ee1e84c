//! Delivering verification codes: the directory hands the host an
//! identifier and a code on each tick, and a sender delivers them.
//!
//! The host necessarily learns both (as any mail or SMS provider would);
//! see docs/LEAKAGE.md. Codes are never logged.
//!
//! - `dev` (the default): appends `identifier code` lines to a file, for
//!   local development and tests.

use anyhow::{Context, Result};
use hush_enclave::Verification;
use hush_wire::directory::{Identifier, VerificationCode};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Delivers codes. Called from the blocking pool.
pub trait CodeSender: Send + Sync + 'static {
    /// Sends `code` to `identifier`.
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()>;
    /// Where codes go, for the start-up banner.
    fn describe(&self) -> String;
}

/// Appends `identifier code` lines to a file.
pub struct DevFileSender {
    path: PathBuf,
}

impl DevFileSender {
    /// Codes go to `path` (created if missing, appended to).
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl CodeSender for DevFileSender {
    fn send(&self, identifier: &Identifier, code: VerificationCode) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        writeln!(f, "{identifier} {code}")
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("appended to {} (dev sender)", self.path.display())
    }
}

/// Delivers what the enclave produced, one by one, off the async workers.
pub async fn deliver(sender: Arc<dyn CodeSender>, batch: Vec<Verification>) {
    if batch.is_empty() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        for v in batch {
            let outcome = match Identifier::decode(&v.identifier) {
                Err(_) => "bad_identifier",
                Ok(id) => match VerificationCode::new(v.code) {
                    Err(_) => "bad_code",
                    Ok(code) => match sender.send(&id, code) {
                        Ok(()) => "ok",
                        Err(e) => {
                            tracing::warn!(kind = ?id.kind(), "cannot deliver a verification code: {e:#}");
                            "failed"
                        }
                    },
                },
            };
            metrics::counter!("hush_verification_codes_total", "outcome" => outcome).increment(1);
        }
    })
    .await;
}
