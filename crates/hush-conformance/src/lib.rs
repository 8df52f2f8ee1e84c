//! `hush-conformance`: what a hush server must do, checked from outside
//! against any server URL, with nothing but the protocol (docs/PROTOCOL.md).
//! An independent server implementation runs it to show it behaves as
//! hushd does; hushd's own CI runs it against hushd
//! (`crates/hushd/tests/conformance.rs`).
//!
//! Each check is one rule of the protocol: the shape of the handshake and
//! of every answer, the refusals (key proofs, unproven keys, malformed
//! frames, unknown sessions), the replay window, the mailbox's limits, and
//! the HTTP/JSON API's statuses. Checks make their own random identities,
//! and leave nothing behind but what expires (the mailboxes they fill are
//! emptied again).

mod checks;
mod raw;

pub use raw::Raw;

use hush_attest::Policy;

/// The outcome of one check.
#[derive(Debug)]
pub struct Outcome {
    /// Its name (stable: scripts may grep for it).
    pub name: &'static str,
    /// The rule it checks, in a few words.
    pub rule: &'static str,
    /// `Err` with what the server did instead.
    pub result: Result<(), String>,
}

/// Every check's outcome, in the order run.
#[derive(Debug, Default)]
pub struct Report(pub Vec<Outcome>);

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.0.iter().all(|o| o.result.is_ok())
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.0.iter().filter(|o| o.result.is_err())
    }
}

/// What the checks run against.
pub struct Target {
    /// The server's URL (`http://host:port`, as for the CLI).
    pub url: String,
    /// The policy its attestation must satisfy.
    pub policy: Policy,
}

/// Runs every check against `target`.
pub async fn run(target: &Target) -> Report {
    let mut report = Report::default();
    for check in checks::ALL {
        let result = (check.run)(target).await.map_err(|e| format!("{e:#}"));
        report.0.push(Outcome {
            name: check.name,
            rule: check.rule,
            result,
        });
    }
    report
}
