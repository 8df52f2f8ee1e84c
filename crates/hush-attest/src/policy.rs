//! What a verifier accepts: a policy file (TOML), the same for clients and
//! for replicating peers.
//!
//! ```toml
//! # Every field is optional; this is a strict policy for one TDX build.
//! allow_dev = false                 # dev evidence proves nothing (never by default)
//! allow_debug = false               # a debug TEE's memory is readable (never by default)
//! tcb_statuses = ["UpToDate"]       # Intel TCB statuses accepted (the default)
//! max_collateral_age = "30days"     # how old TCB info / QE identity / VCEK may be
//!
//! [[tdx]]                           # one entry per accepted build
//! mrtd = "<96 hex digits>"
//! rtmr0 = "<96 hex digits>"          # rtmr0..rtmr3: each checked when given
//!
//! [[sgx]]
//! mrenclave = "<64 hex digits>"      # or mrsigner + isv_prod_id
//! min_isv_svn = 0
//!
//! [[sev_snp]]
//! measurement = "<96 hex digits>"
//! policy = 0x30000                  # the guest policy bits, exactly (when given)
//! min_tcb = { bootloader = 3, tee = 0, snp = 8, microcode = 115 }
//! ```
//!
//! Verification takes the time as a parameter ([`Policy::verify_at`]), so
//! tests are deterministic; [`Policy::verify`] uses the clock.

use crate::claims::{Claims, MR32_LEN, MR48_LEN, Measurements, SnpTcb, Tee};
use crate::{AttestError, Evidence, Format, ReportData};
#[cfg(feature = "hardware")]
use crate::{dcap, snp};
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Default for how old collateral may be.
pub const DEFAULT_MAX_COLLATERAL_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
/// Intel's TCB status for a platform with every fix applied.
pub const UP_TO_DATE: &str = "UpToDate";

/// Verifies hardware evidence (TDX, SGX, SEV-SNP) with its own collateral
/// into claims, judging nothing but the chain to the vendor's root, the
/// collateral's validity at `now` and, unless `allow_debug`, a DCAP TEE's
/// debug flag (an SEV-SNP report's debug state is in its claims). A policy
/// then judges the claims ([`Policy::check`]); `hush evidence pin` and
/// hushd's start-up check use them as they are.
#[cfg(feature = "hardware")]
pub fn hardware_claims(
    evidence: &Evidence,
    now: u64,
    allow_debug: bool,
) -> Result<Claims, AttestError> {
    match evidence.format {
        Format::Dev => Err(AttestError::FormatRejected("dev")),
        f if evidence.collateral.is_empty() => Err(AttestError::NoCollateral(f.name())),
        Format::SevSnp => snp::verify(&evidence.quote, &evidence.collateral, now),
        Format::Tdx | Format::Sgx => {
            dcap::verify(&evidence.quote, &evidence.collateral, now, allow_debug)
        }
    }
}

/// Without the `hardware` feature, hardware evidence is refused.
#[cfg(not(feature = "hardware"))]
pub fn hardware_claims(
    evidence: &Evidence,
    _now: u64,
    _allow_debug: bool,
) -> Result<Claims, AttestError> {
    Err(AttestError::HardwareNotBuilt(evidence.format.name()))
}

/// A verification policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Accept dev evidence (local development only: it proves nothing).
    #[serde(default)]
    allow_dev: bool,
    /// Accept a TEE in debug mode.
    #[serde(default)]
    allow_debug: bool,
    /// Intel TCB statuses accepted.
    #[serde(default = "default_statuses")]
    tcb_statuses: Vec<String>,
    /// How old collateral may be.
    #[serde(default = "default_age", with = "humantime_serde_compat")]
    max_collateral_age: Duration,
    /// Accepted TDX builds.
    #[serde(default)]
    tdx: Vec<TdxRule>,
    /// Accepted SGX enclaves.
    #[serde(default)]
    sgx: Vec<SgxRule>,
    /// Accepted SEV-SNP guests.
    #[serde(default)]
    sev_snp: Vec<SnpRule>,
}

fn default_statuses() -> Vec<String> {
    vec![UP_TO_DATE.into()]
}

fn default_age() -> Duration {
    DEFAULT_MAX_COLLATERAL_AGE
}

/// `"30days"`-style durations in the policy file.
mod humantime_serde_compat {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

/// Hex of a fixed length in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex<const N: usize>(pub [u8; N]);

impl<'de, const N: usize> Deserialize<'de> for Hex<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; N];
        hex::decode_to_slice(s.trim(), &mut out).map_err(|_| {
            serde::de::Error::custom(format!("expected {} hex digits, got {:?}", 2 * N, s))
        })?;
        Ok(Self(out))
    }
}

/// One accepted TDX build.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TdxRule {
    mrtd: Hex<MR48_LEN>,
    rtmr0: Option<Hex<MR48_LEN>>,
    rtmr1: Option<Hex<MR48_LEN>>,
    rtmr2: Option<Hex<MR48_LEN>>,
    rtmr3: Option<Hex<MR48_LEN>>,
}

/// One accepted SGX enclave: by MRENCLAVE, or by MRSIGNER and product id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgxRule {
    mrenclave: Option<Hex<MR32_LEN>>,
    mrsigner: Option<Hex<MR32_LEN>>,
    isv_prod_id: Option<u16>,
    #[serde(default)]
    min_isv_svn: u16,
}

/// One accepted SEV-SNP guest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnpRule {
    measurement: Hex<MR48_LEN>,
    policy: Option<u64>,
    #[serde(default)]
    min_tcb: SnpTcb,
}

impl Default for Policy {
    /// Refuses everything: no dev evidence, no hardware builds listed.
    fn default() -> Self {
        Self {
            allow_dev: false,
            allow_debug: false,
            tcb_statuses: default_statuses(),
            max_collateral_age: DEFAULT_MAX_COLLATERAL_AGE,
            tdx: Vec::new(),
            sgx: Vec::new(),
            sev_snp: Vec::new(),
        }
    }
}

/// What a verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Dev evidence, accepted because the policy allows it: proves nothing.
    Dev,
    /// Hardware evidence that satisfied the policy.
    Hardware(Box<Claims>),
}

impl Policy {
    /// Accepts dev evidence (local development only: it proves nothing).
    pub fn dev() -> Self {
        Self {
            allow_dev: true,
            ..Self::default()
        }
    }

    /// Parses a policy file's text.
    pub fn from_toml(text: &str) -> Result<Self, AttestError> {
        let p: Self = toml::from_str(text).map_err(|e| AttestError::Policy(e.to_string()))?;
        for r in &p.sgx {
            if r.mrenclave.is_none() && (r.mrsigner.is_none() || r.isv_prod_id.is_none()) {
                return Err(AttestError::Policy(
                    "an [[sgx]] entry needs mrenclave, or mrsigner and isv_prod_id".into(),
                ));
            }
        }
        Ok(p)
    }

    /// Reads a policy file.
    pub fn load(path: &std::path::Path) -> Result<Self, AttestError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AttestError::Policy(format!("cannot read policy file {}: {e}", path.display()))
        })?;
        Self::from_toml(&text).map_err(|e| AttestError::Policy(format!("{}: {e}", path.display())))
    }

    /// This policy, also accepting dev evidence.
    pub fn allowing_dev(mut self) -> Self {
        self.allow_dev = true;
        self
    }

    /// Whether dev evidence is accepted.
    pub fn allows_dev(&self) -> bool {
        self.allow_dev
    }

    /// Checks `evidence` now and that it binds `noise_static_public`, the
    /// key the server used in the handshake.
    pub fn verify(
        &self,
        evidence: &Evidence,
        noise_static_public: &[u8; 32],
    ) -> Result<Verified, AttestError> {
        // Dev evidence needs no clock (and wasm32 has no SystemTime).
        let now = if evidence.format == Format::Dev {
            0
        } else {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        self.verify_at(evidence, noise_static_public, now)
    }

    /// Checks `evidence` at `now` (seconds since the Unix epoch).
    pub fn verify_at(
        &self,
        evidence: &Evidence,
        noise_static_public: &[u8; 32],
        now: u64,
    ) -> Result<Verified, AttestError> {
        let bound = ReportData::for_noise_key(noise_static_public);
        let claims = match evidence.format {
            Format::Dev if self.allow_dev => {
                tracing::warn!(
                    "accepting DEV attestation: the server's code and secrecy are NOT verified"
                );
                if evidence.report_data != bound {
                    return Err(AttestError::KeyNotBound);
                }
                return Ok(Verified::Dev);
            }
            Format::Dev => return Err(AttestError::FormatRejected("dev")),
            f @ (Format::Tdx | Format::Sgx | Format::SevSnp) => {
                if evidence.collateral.is_empty() {
                    return Err(AttestError::NoCollateral(f.name()));
                }
                self.hardware_claims(evidence, now)?
            }
        };
        if claims.report_data != bound.0 {
            return Err(AttestError::KeyNotBound);
        }
        self.check(&claims, now)?;
        Ok(Verified::Hardware(Box::new(claims)))
    }

    /// Checks hardware `evidence` at `now` like [`Self::verify_at`], but
    /// not which key it binds: for an auditor checking a quote offline
    /// without the handshake it came from. The claims carry the report
    /// data; the caller must say that no key was checked.
    pub fn verify_unbound_at(&self, evidence: &Evidence, now: u64) -> Result<Claims, AttestError> {
        match evidence.format {
            Format::Dev => Err(AttestError::FormatRejected("dev")),
            f @ (Format::Tdx | Format::Sgx | Format::SevSnp) => {
                if evidence.collateral.is_empty() {
                    return Err(AttestError::NoCollateral(f.name()));
                }
                let claims = self.hardware_claims(evidence, now)?;
                self.check(&claims, now)?;
                Ok(claims)
            }
        }
    }

    /// Verifies hardware evidence with its collateral into claims.
    fn hardware_claims(&self, evidence: &Evidence, now: u64) -> Result<Claims, AttestError> {
        hardware_claims(evidence, now, self.allow_debug)
    }

    /// Judges verified claims: debug, TCB, collateral age, measurements.
    pub fn check(&self, claims: &Claims, now: u64) -> Result<(), AttestError> {
        if claims.debug && !self.allow_debug {
            return Err(AttestError::DebugRefused(claims.tee.name()));
        }
        if claims.tee != Tee::SevSnp && !self.tcb_statuses.contains(&claims.tcb_status) {
            return Err(AttestError::TcbStatus {
                status: claims.tcb_status.clone(),
                advisories: claims.advisory_ids.join(", "),
                accepted: self.tcb_statuses.join(", "),
            });
        }
        let age = now.saturating_sub(claims.collateral_issued);
        if age > self.max_collateral_age.as_secs() {
            return Err(AttestError::CollateralTooOld {
                age_days: age / 86_400,
                max_days: self.max_collateral_age.as_secs() / 86_400,
            });
        }
        match &claims.measurements {
            Measurements::Tdx { mrtd, rtmrs } => {
                if self.tdx.is_empty() {
                    return Err(AttestError::NoRuleFor("tdx"));
                }
                let ok = self.tdx.iter().any(|r| {
                    r.mrtd.0 == *mrtd
                        && [r.rtmr0, r.rtmr1, r.rtmr2, r.rtmr3]
                            .iter()
                            .zip(rtmrs)
                            .all(|(want, got)| want.is_none_or(|w| w.0 == *got))
                });
                if !ok {
                    return Err(AttestError::MeasurementRejected(format!(
                        "tdx mrtd {} (rtmr0 {}...)",
                        hex::encode(mrtd),
                        &hex::encode(rtmrs[0])[..16]
                    )));
                }
            }
            Measurements::Sgx {
                mrenclave,
                mrsigner,
                isv_prod_id,
                isv_svn,
            } => {
                if self.sgx.is_empty() {
                    return Err(AttestError::NoRuleFor("sgx"));
                }
                let matching: Vec<_> = self
                    .sgx
                    .iter()
                    .filter(|r| {
                        r.mrenclave.is_none_or(|m| m.0 == *mrenclave)
                            && r.mrsigner.is_none_or(|m| m.0 == *mrsigner)
                            && r.isv_prod_id.is_none_or(|p| p == *isv_prod_id)
                    })
                    .collect();
                if matching.is_empty() {
                    return Err(AttestError::MeasurementRejected(format!(
                        "sgx mrenclave {} mrsigner {} isv_prod_id {isv_prod_id}",
                        hex::encode(mrenclave),
                        hex::encode(mrsigner)
                    )));
                }
                if !matching.iter().any(|r| *isv_svn >= r.min_isv_svn) {
                    return Err(AttestError::SvnTooLow(format!(
                        "sgx isv_svn {isv_svn} is below the policy's minimum"
                    )));
                }
            }
            Measurements::SevSnp {
                measurement,
                policy,
                reported_tcb,
            } => {
                if self.sev_snp.is_empty() {
                    return Err(AttestError::NoRuleFor("sev-snp"));
                }
                let matching: Vec<_> = self
                    .sev_snp
                    .iter()
                    .filter(|r| r.measurement.0 == *measurement)
                    .collect();
                if matching.is_empty() {
                    return Err(AttestError::MeasurementRejected(format!(
                        "sev-snp measurement {}",
                        hex::encode(measurement)
                    )));
                }
                if !matching
                    .iter()
                    .any(|r| r.policy.is_none_or(|p| p == *policy))
                {
                    return Err(AttestError::PolicyBits(format!(
                        "sev-snp guest policy {policy:#x} is not the policy's"
                    )));
                }
                if !matching.iter().any(|r| reported_tcb.at_least(&r.min_tcb)) {
                    return Err(AttestError::SvnTooLow(format!(
                        "sev-snp reported TCB ({reported_tcb}) is below the policy's minimum TCB"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_policy_parses_and_mistakes_are_explained() {
        let text = include_str!("../../../examples/policy.toml");
        let p = Policy::from_toml(text).unwrap();
        assert_eq!((p.tdx.len(), p.sgx.len(), p.sev_snp.len()), (1, 1, 1));
        assert!(!p.allows_dev());
        assert_eq!(p.max_collateral_age, Duration::from_secs(30 * 86_400));
        assert_eq!(p.sev_snp[0].min_tcb.microcode, 115);
        let defaults = Policy::from_toml("").unwrap();
        assert_eq!(defaults.tcb_statuses, [UP_TO_DATE]);
        assert!(!defaults.allow_debug && !defaults.allow_dev);
        for (bad, says) in [
            ("allow_devv = true", "unknown field"),
            ("[[tdx]]\nmrtd = \"abc\"", "expected 96 hex digits"),
            ("[[sgx]]\nmrsigner = \"00\"", "expected 64 hex digits"),
            (
                "[[sgx]]\nmin_isv_svn = 1",
                "needs mrenclave, or mrsigner and isv_prod_id",
            ),
            ("max_collateral_age = \"soon\"", "max_collateral_age"),
        ] {
            let err = Policy::from_toml(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }
}
