//! `hush evidence verify FILE`: checks attestation evidence offline, with
//! no server: the JSON hushd publishes (`GET /v1/evidence`), hush's own
//! evidence encoding, or a raw TDX or SGX quote or SEV-SNP report (with
//! `--tee`), against the policy (`--policy FILE`), with collateral from
//! the file or `--collateral`, at `--at TIME` or now. A refusal exits
//! non-zero with the check that failed.
//!
//! `hush evidence pin FILE`: verifies the same way, with no policy, and
//! prints the policy entry that pins exactly these measurements: for an
//! operator who booted an image once on a machine they trust and wants
//! clients to accept that image and nothing else (docs/DEPLOYING.md).

use crate::Ctx;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use hush_attest::{Evidence, Format, Measurement, ReportData, Verified};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Verify evidence from a file against your policy, offline.
    Verify {
        #[command(flatten)]
        source: Source,
        /// The Noise key (hex) the evidence must bind [default: the one
        /// the /v1/evidence JSON names; none for other files: the binding
        /// is then not checked, and the output says so].
        #[arg(long)]
        key: Option<String>,
    },
    /// Verify evidence from a file (signature chain and collateral, no
    /// policy) and print a policy entry pinning its measurements.
    Pin {
        #[command(flatten)]
        source: Source,
    },
}

/// The evidence a command reads, and what to verify it with and when.
#[derive(Args)]
pub struct Source {
    /// The evidence: the JSON of a server's /v1/evidence, hush's
    /// encoded evidence, or (with --tee) a raw quote or report.
    file: PathBuf,
    /// Collateral to verify with, replacing the file's: PCCS JSON for
    /// TDX and SGX, the VCEK (DER) for SEV-SNP; a file or a directory.
    #[arg(long)]
    collateral: Option<PathBuf>,
    /// Verify as of this time (RFC 3339, e.g. 2025-07-01T00:00:00Z, or
    /// seconds since the epoch) [default: now].
    #[arg(long)]
    at: Option<String>,
    /// FILE is a raw quote or report of this TEE: tdx, sgx or sev-snp
    /// (a SEV-SNP report may be hex).
    #[arg(long)]
    tee: Option<String>,
}

impl Source {
    /// The evidence (with `--collateral` in place of its own), the key a
    /// /v1/evidence JSON names, and the time to verify at.
    fn load(&self) -> Result<(Evidence, Option<[u8; 32]>, u64)> {
        let (mut evidence, key) = read(&self.file, self.tee.as_deref())?;
        if let Some(path) = &self.collateral {
            evidence.collateral = hush_attest::collateral::load(path, evidence.format)
                .with_context(|| format!("--collateral {}", path.display()))?;
        }
        Ok((evidence, key, time(self.at.as_deref())?))
    }
}

/// The time `at` names, or now.
fn time(at: Option<&str>) -> Result<u64> {
    let Some(at) = at else {
        return Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs());
    };
    if let Ok(secs) = at.parse::<u64>() {
        return Ok(secs);
    }
    let t = humantime::parse_rfc3339_weak(at).with_context(|| {
        format!(
            "--at {at:?} is neither RFC 3339 (2025-07-01T00:00:00Z) nor seconds since the epoch"
        )
    })?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)?.as_secs())
}

fn key_arg(hex_key: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim())
        .ok()
        .filter(|b| b.len() == 32)
        .with_context(|| format!("--key {hex_key:?} is not 32 bytes of hex"))?;
    Ok(bytes.try_into().expect("32 bytes"))
}

/// Reads FILE: the evidence, and the key a /v1/evidence JSON names.
fn read(file: &Path, tee: Option<&str>) -> Result<(Evidence, Option<[u8; 32]>)> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if let Some(tee) = tee {
        let format = match tee {
            "tdx" => Format::Tdx,
            "sgx" => Format::Sgx,
            "sev-snp" | "snp" => Format::SevSnp,
            other => bail!("--tee {other:?}: use tdx, sgx or sev-snp"),
        };
        // A SEV-SNP report is often shared as hex.
        let quote = match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| hex::decode(t.trim()).ok())
        {
            Some(decoded) => decoded,
            None => bytes,
        };
        let evidence = Evidence {
            format,
            provider: "file".into(),
            measurement: Measurement([0; hush_attest::MEASUREMENT_LEN]),
            report_data: ReportData([0; hush_attest::REPORT_DATA_LEN]),
            quote,
            collateral: Vec::new(),
        };
        return Ok((evidence, None));
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        let hex_evidence = v["evidence"]
            .as_str()
            .context("the JSON has no \"evidence\" field: is it a server's /v1/evidence?")?;
        let evidence = Evidence::decode(
            &hex::decode(hex_evidence).context("the JSON's \"evidence\" is not hex")?,
        )?;
        let key = match v["noise_static_key"].as_str() {
            Some(k) => Some(key_arg(k).context("the JSON's \"noise_static_key\"")?),
            None => None,
        };
        return Ok((evidence, key));
    }
    let evidence = Evidence::decode(&bytes).with_context(|| {
        format!(
            "{} is neither /v1/evidence JSON nor hush's encoded evidence (a raw quote or report needs --tee)",
            file.display()
        )
    })?;
    Ok((evidence, None))
}

pub fn evidence(ctx: &Ctx, cmd: EvidenceCommand) -> Result<()> {
    let (source, key) = match cmd {
        EvidenceCommand::Verify { source, key } => (source, key),
        EvidenceCommand::Pin { source } => return pin(&source),
    };
    let (evidence, file_key, now) = source.load()?;
    let key = match key.as_deref() {
        Some(k) => Some(key_arg(k)?),
        None => file_key,
    };
    let policy = ctx.policy()?;
    match key {
        Some(key) => match policy.verify_at(&evidence, &key, now)? {
            Verified::Dev => {
                if ctx.json {
                    println!(
                        "{}",
                        json!({"verified": false, "tee": "dev", "accepted_because": "dev attestation is allowed",
                               "noise_static_key": hex::encode(key)})
                    );
                } else {
                    println!(
                        "dev evidence: accepted only because dev attestation is allowed; it proves NOTHING"
                    );
                }
            }
            Verified::Hardware(c) => {
                crate::server::print_claims(ctx, &c, Some(&key), None);
            }
        },
        None => {
            let c = policy.verify_unbound_at(&evidence, now)?;
            crate::server::print_claims(ctx, &c, None, None);
        }
    }
    Ok(())
}

/// `hush evidence pin`: the policy entry for these measurements, printed
/// only once the evidence verifies with its collateral and is not debug.
fn pin(source: &Source) -> Result<()> {
    use hush_attest::claims::Measurements;
    let (evidence, _, now) = source.load()?;
    if evidence.format == Format::Dev {
        bail!("dev evidence proves nothing: there is no measurement to pin");
    }
    if evidence.collateral.is_empty() {
        bail!(
            "the evidence carries no collateral to verify it with: give --collateral (PCCS JSON for TDX and SGX, the VCEK for SEV-SNP)"
        );
    }
    let claims = hush_attest::hardware_claims(&evidence, now, false)?;
    if claims.debug {
        bail!(
            "the {} TEE runs in debug mode (the host can read its memory): not pinning it",
            claims.tee.name()
        );
    }
    println!(
        "# Pinned by `hush evidence pin` from {}: {} evidence, verified with its collateral (TCB {}).",
        source.file.display(),
        claims.tee.name(),
        claims.tcb_status
    );
    match &claims.measurements {
        Measurements::Tdx { mrtd, rtmrs } => {
            println!("[[tdx]]");
            println!("mrtd = \"{}\"", hex::encode(mrtd));
            for (i, r) in rtmrs.iter().enumerate().take(3) {
                println!("rtmr{i} = \"{}\"", hex::encode(r));
            }
            println!(
                "# rtmr3 = \"{}\"  (only if the image extends RTMR3 the same way every boot)",
                hex::encode(rtmrs[3])
            );
        }
        Measurements::Sgx {
            mrenclave,
            mrsigner,
            isv_prod_id,
            isv_svn,
        } => {
            println!("[[sgx]]");
            println!("mrenclave = \"{}\"", hex::encode(mrenclave));
            println!(
                "# or every build its signer releases: mrsigner = \"{}\", isv_prod_id = {isv_prod_id}, min_isv_svn = {isv_svn}",
                hex::encode(mrsigner)
            );
        }
        Measurements::SevSnp {
            measurement,
            policy,
            reported_tcb,
        } => {
            println!("[[sev_snp]]");
            println!("measurement = \"{}\"", hex::encode(measurement));
            println!("policy = {policy:#x}");
            println!(
                "# this platform reported TCB {reported_tcb}: add min_tcb at AMD's current recommendation"
            );
        }
    }
    Ok(())
}
