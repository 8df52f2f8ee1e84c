//! `hush-conformance URL`: runs every check of what a hush server must do
//! against the server at URL, prints one line per check, and exits 0 only
//! if all pass (1 otherwise, 2 for a bad command line).

use anyhow::{Context, Result};
use clap::Parser;
use hush_attest::Policy;
use hush_conformance::{Target, run};

/// Checks a hush server against the protocol (docs/PROTOCOL.md): handshake
/// and evidence, key proofs, frames and the replay window, broker statuses
/// and limits, the HTTP/JSON API's errors. It creates random identities
/// and fills one mailbox, which it empties again.
#[derive(Parser)]
#[command(name = "hush-conformance", version)]
struct Cli {
    /// The server, as for the CLI (http://host:port).
    url: String,
    /// Accept dev attestation (a local hushd): it proves nothing.
    #[arg(long, env = "HUSH_ALLOW_DEV_ATTESTATION", value_parser = clap::builder::FalseyValueParser::new())]
    allow_dev_attestation: bool,
    /// The attestation policy the server must satisfy (TOML, as for the CLI).
    #[arg(long)]
    policy: Option<std::path::PathBuf>,
    /// One JSON object per check instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let policy = match (&cli.policy, cli.allow_dev_attestation) {
        (Some(p), _) => Policy::load(p).with_context(|| format!("reading {}", p.display()))?,
        (None, true) => {
            eprintln!(
                "warning: accepting DEV attestation: the server's code and secrecy are NOT verified (local development only)"
            );
            Policy::dev()
        }
        (None, false) => Policy::default(),
    };
    let target = Target {
        url: cli.url.clone(),
        policy,
    };
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(&target));
    for o in &report.0 {
        if cli.json {
            println!(
                "{}",
                serde_json::json!({"check": o.name, "rule": o.rule, "ok": o.result.is_ok(),
                                   "error": o.result.as_ref().err()})
            );
        } else {
            match &o.result {
                Ok(()) => println!("ok    {:<26} {}", o.name, o.rule),
                Err(e) => println!("FAIL  {:<26} {}\n      {e}", o.name, o.rule),
            }
        }
    }
    let failed = report.failures().count();
    if !cli.json {
        println!(
            "{} checks against {}: {} passed, {failed} failed",
            report.0.len(),
            cli.url,
            report.0.len() - failed
        );
    }
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
