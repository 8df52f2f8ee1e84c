//! What verified evidence says: the facts a [`crate::Policy`] judges, taken
//! from a quote or report whose signature chain has been checked, never
//! from the evidence envelope's own (unauthenticated) fields.

use crate::REPORT_DATA_LEN;

/// The trusted execution environment that signed the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tee {
    /// Intel TDX (a DCAP quote, version 4 or 5).
    Tdx,
    /// Intel SGX (a DCAP quote, version 3).
    Sgx,
    /// AMD SEV-SNP (an attestation report signed by a VCEK).
    SevSnp,
}

impl Tee {
    /// Name used in messages and the policy file.
    pub fn name(self) -> &'static str {
        match self {
            Tee::Tdx => "tdx",
            Tee::Sgx => "sgx",
            Tee::SevSnp => "sev-snp",
        }
    }
}

/// Length of a TDX or SNP measurement register.
pub const MR48_LEN: usize = 48;
/// Length of an SGX MRENCLAVE or MRSIGNER.
pub const MR32_LEN: usize = 32;

/// The measurements of the code that runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measurements {
    /// TDX: the TD's initial contents and its four runtime registers.
    Tdx {
        /// MRTD.
        mrtd: [u8; MR48_LEN],
        /// RTMR0 to RTMR3.
        rtmrs: [[u8; MR48_LEN]; 4],
    },
    /// SGX: the enclave and its signer.
    Sgx {
        /// MRENCLAVE.
        mrenclave: [u8; MR32_LEN],
        /// MRSIGNER.
        mrsigner: [u8; MR32_LEN],
        /// ISVPRODID.
        isv_prod_id: u16,
        /// ISVSVN.
        isv_svn: u16,
    },
    /// SEV-SNP: the launch measurement and the guest policy.
    SevSnp {
        /// MEASUREMENT.
        measurement: [u8; MR48_LEN],
        /// The guest policy bits.
        policy: u64,
        /// The reported TCB: bootloader, TEE, SNP firmware, microcode SVNs.
        reported_tcb: SnpTcb,
    },
}

/// An SEV-SNP TCB version (the SVN of each component).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SnpTcb {
    /// PSP bootloader.
    #[serde(default)]
    pub bootloader: u8,
    /// PSP operating system.
    #[serde(default)]
    pub tee: u8,
    /// SNP firmware.
    #[serde(default)]
    pub snp: u8,
    /// Lowest microcode patch level of all cores.
    #[serde(default)]
    pub microcode: u8,
}

impl SnpTcb {
    /// Whether every component is at least `min`'s.
    pub fn at_least(&self, min: &SnpTcb) -> bool {
        self.bootloader >= min.bootloader
            && self.tee >= min.tee
            && self.snp >= min.snp
            && self.microcode >= min.microcode
    }
}

impl std::fmt::Display for SnpTcb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bootloader {} tee {} snp {} microcode {}",
            self.bootloader, self.tee, self.snp, self.microcode
        )
    }
}

/// The facts verified evidence establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Which TEE signed it.
    pub tee: Tee,
    /// What code runs.
    pub measurements: Measurements,
    /// Intel's TCB status for the platform (`UpToDate`, `OutOfDate`, ...);
    /// for SEV-SNP `UpToDate` once the chain verifies (its minimum TCB is
    /// judged on `reported_tcb`).
    pub tcb_status: String,
    /// Intel security advisories that apply to the platform.
    pub advisory_ids: Vec<String>,
    /// Whether the TEE runs in debug mode (its memory readable by the host).
    pub debug: bool,
    /// The report data the TEE signed (binds the Noise static key).
    pub report_data: [u8; REPORT_DATA_LEN],
    /// When the collateral was issued (seconds since the Unix epoch): the
    /// older of Intel's TCB info and QE identity; for SEV-SNP, when the
    /// VCEK certificate became valid.
    pub collateral_issued: u64,
}
