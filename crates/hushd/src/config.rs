//! hushd's configuration: built-in defaults, then an optional TOML file
//! (`--config`), then `HUSH_*` environment variables, then flags.

use crate::affinity::EnclaveCpu;
use anyhow::{Context, Result, bail};
use clap::Parser;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use hush_enclave::{
    AttestationMode, DirectoryConfig, EnclaveConfig, RendezvousConfig, StoreConfig,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default gRPC address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";
/// Default metrics address.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:7879";
/// Default capacity: small enough to start in a blink.
pub const DEFAULT_CAPACITY: u32 = 4096;
/// Default directory size, in accounts (about 128 MiB: BENCHMARKS.md).
pub const DEFAULT_MAX_ACCOUNTS: u32 = 1 << 16;
/// Default rendezvous size, in computations.
pub const DEFAULT_MAX_COMPUTATIONS: u32 = 1024;
/// Default number of attachments the enclave tracks.
pub const DEFAULT_MAX_BLOBS: u32 = 4096;

/// Where the dev verification sender writes codes, in the temp directory.
pub const DEFAULT_VERIFICATION_FILE: &str = "hushd-verification-codes.txt";
/// Where blobs go by default, in the temp directory.
pub const DEFAULT_BLOB_DIR: &str = "hushd-blobs";
/// Default blob storage limit, in MiB.
pub const DEFAULT_BLOB_QUOTA_MIB: u64 = 1024;

/// Effective settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// gRPC listen address.
    pub listen: SocketAddr,
    /// Prometheus metrics listen address ("off" in TOML/flags disables it).
    #[serde(with = "address_or_off")]
    pub metrics_listen: Option<SocketAddr>,
    /// The broker's query stream over plain TCP (`hush_wire::tcp`), or
    /// "off" (the default).
    #[serde(with = "address_or_off")]
    pub tcp_listen: Option<SocketAddr>,
    /// Messages the store holds (power of two).
    pub capacity: u32,
    /// Recipients with messages in flight (default capacity / 8).
    pub max_recipients: Option<u32>,
    /// How long a message lives.
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// Accounts the directory holds (power of two).
    pub max_accounts: u32,
    /// Accounts that may have more than two devices (default
    /// max_accounts / 16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_pages: Option<u32>,
    /// Computations the rendezvous service holds (power of two).
    pub max_computations: u32,
    /// Directory requests a batch of verification codes waits for before
    /// it leaves the enclave (its anonymity set); none: 8, or 1 with dev
    /// attestation. Hardware attestation needs at least 8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_release_requests: Option<u32>,
    /// Seconds between batches of verification codes, at least; none: 10,
    /// or 1 with dev attestation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_release_secs: Option<u64>,
    /// Where verification codes go: the dev sender appends
    /// `identifier code` lines to this file.
    pub verification_file: PathBuf,
    /// SMTP server for emailed codes (dev file when unset).
    pub smtp_url: Option<String>,
    /// From address of emailed codes.
    pub mail_from: String,
    /// HTTP(S) webhook for codes sent by SMS (dev file when unset).
    pub sms_webhook: Option<String>,
    /// PEM file of the roots the enclave trusts for its TLS to smtps:// and
    /// https:// code providers (none: Mozilla's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_roots: Option<PathBuf>,
    /// Where attachment blobs go: "dir" (blob_dir) or "s3" (needs the
    /// `s3` feature; s3_bucket, optional s3_endpoint, AWS_* credentials).
    pub blob_store: String,
    /// The bucket for blob_store = "s3".
    pub s3_bucket: Option<String>,
    /// An S3-compatible endpoint other than AWS (e.g. http://127.0.0.1:9000).
    pub s3_endpoint: Option<String>,
    /// Directory for attachment blobs (encrypted files).
    pub blob_dir: PathBuf,
    /// Most blob storage, in MiB.
    pub blob_quota_mib: u64,
    /// Attachments the enclave keeps track of (stored and mixing).
    pub max_blobs: u32,
    /// MiB of attachments one proven key may upload per day.
    pub blob_daily_mib_per_key: u64,
    /// Attachments of one size a mix waits for before the enclave writes
    /// it to the store (the anonymity set of an upload and its downloads);
    /// none: 8, or 1 with dev attestation. Hardware attestation needs at
    /// least 8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_mix: Option<u32>,
    /// Largest number of open sessions.
    pub max_sessions: usize,
    /// Handshakes one source address may make per minute (IPv6: per
    /// /64); 0: no limit.
    pub handshakes_per_minute: u32,
    /// Writes need Privacy Pass tokens (a message create, a computation
    /// create, an attachment upload each spend a credit).
    pub require_tokens: bool,
    /// The token issuer's name, which tokens are bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_name: Option<String>,
    /// The origin tokens are bound to.
    pub token_origin: String,
    /// Files of the issuer's public keys (DER or PEM SubjectPublicKeyInfo,
    /// 2048-bit RSA), the current one first; at most two (a rotation).
    pub token_issuer_keys: Vec<PathBuf>,
    /// Credits one token is worth.
    pub credits_per_token: u32,
    /// Spent tokens the enclave remembers per issuer key.
    pub spent_tokens_per_key: u32,
    /// Tokens the directory issues a verified account per day (0: none).
    pub directory_tokens_per_day: u32,
    /// Token records a session may send per minute (0: no limit).
    pub token_records_per_minute: u32,
    /// Idle time after which a session expires.
    #[serde(with = "humantime_serde")]
    pub session_idle_timeout: Duration,
    /// Attestation: "dev", "tsm" or "gramine".
    pub attestation: String,
    /// The TSM configfs directory (attestation = "tsm").
    pub tsm_path: PathBuf,
    /// Gramine's attestation directory (attestation = "gramine").
    pub gramine_path: PathBuf,
    /// The collateral clients need to verify the evidence offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation_collateral: Option<PathBuf>,
    /// Log format: "text" or "json".
    pub log_format: String,
    /// The broker's enclave thread's CPU: "auto" (the highest-numbered CPU
    /// hushd may use, with every other thread on the rest, when it may use
    /// two or more), "off" (no pinning) or a CPU number.
    pub enclave_cpu: String,
    /// The broker's enclave threads: 1 (each request's accesses on one
    /// thread) or 2 (a request's message slot access and seal on a
    /// second thread, while the first begins the next request); none: 2
    /// when the first has a CPU of its own (`enclave_cpu`), else 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_threads: Option<u8>,
    /// The browser demo at /demo/: "auto" (on with dev attestation only),
    /// "on" or "off".
    pub demo: String,
    /// This node's id in a cluster (with `peers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<u64>,
    /// The cluster's nodes, "ID=HOST:PORT,..." (peer addresses, this
    /// node's included); none: a single node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peers: Option<String>,
    /// The policy a peer's evidence must satisfy (a TOML file as for
    /// clients); with dev attestation, dev evidence is accepted without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_policy: Option<PathBuf>,
    /// In a cluster: log entries between snapshots of the enclave's state
    /// (each a pass over every oblivious array); the log before a snapshot
    /// is then purged, and a node that needs it catches up from the
    /// snapshot.
    pub snapshot_every: u64,
    /// For fault-injection tests: a file of signed seconds added to the
    /// host's clock, re-read each second (the host controls the enclave's
    /// time in any case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_offset_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("valid"),
            metrics_listen: Some(DEFAULT_METRICS_LISTEN.parse().expect("valid")),
            tcp_listen: None,
            capacity: DEFAULT_CAPACITY,
            max_recipients: None,
            max_accounts: DEFAULT_MAX_ACCOUNTS,
            device_pages: None,
            max_computations: DEFAULT_MAX_COMPUTATIONS,
            code_release_requests: None,
            code_release_secs: None,
            max_blobs: DEFAULT_MAX_BLOBS,
            blob_daily_mib_per_key: 256,
            blob_mix: None,
            verification_file: std::env::temp_dir().join(DEFAULT_VERIFICATION_FILE),
            smtp_url: None,
            mail_from: "hush <noreply@localhost>".into(),
            sms_webhook: None,
            tls_roots: None,
            blob_store: "dir".into(),
            s3_bucket: None,
            s3_endpoint: None,
            blob_dir: std::env::temp_dir().join(DEFAULT_BLOB_DIR),
            blob_quota_mib: DEFAULT_BLOB_QUOTA_MIB,
            ttl: Duration::from_secs(24 * 3600),
            max_sessions: 1024,
            handshakes_per_minute: 0,
            require_tokens: false,
            token_issuer_name: None,
            token_origin: hush_enclave::services::tokens::DEFAULT_ORIGIN.into(),
            token_issuer_keys: Vec::new(),
            credits_per_token: hush_enclave::services::tokens::DEFAULT_CREDITS_PER_TOKEN,
            spent_tokens_per_key: hush_enclave::services::tokens::DEFAULT_SPENT_PER_KEY,
            directory_tokens_per_day:
                hush_enclave::services::tokens::DEFAULT_DIRECTORY_TOKENS_PER_DAY,
            token_records_per_minute: crate::tokens::DEFAULT_RECORDS_PER_MINUTE,
            session_idle_timeout: Duration::from_secs(600),
            attestation: "dev".into(),
            tsm_path: PathBuf::from("/sys/kernel/config/tsm/report"),
            gramine_path: PathBuf::from(hush_attest::gramine::DEFAULT_ROOT),
            attestation_collateral: None,
            log_format: "text".into(),
            enclave_cpu: "auto".into(),
            broker_threads: None,
            demo: "auto".into(),
            snapshot_every: crate::cluster::DEFAULT_SNAPSHOT_EVERY,
            clock_offset_file: None,
            node_id: None,
            peers: None,
            peer_policy: None,
        }
    }
}

/// hushd: the host of the hush oblivious message broker.
///
/// With no arguments it serves a small in-memory broker on 127.0.0.1 with
/// dev attestation. Every option can also be set in a TOML file (same names
/// with underscores) or in the environment (HUSH_ plus the upper-case name).
#[derive(Debug, Parser, Serialize)]
#[command(name = "hushd", version, about, long_about)]
pub struct Args {
    /// TOML configuration file.
    #[arg(long, env = "HUSH_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Load and check the configuration (file, environment, flags, the
    /// attestation collateral), print it, and exit: 0 if it is valid.
    #[arg(long)]
    #[serde(skip)]
    pub check_config: bool,
    /// Print shell completions for hushd (bash, zsh, fish, elvish,
    /// powershell) and exit.
    #[arg(long, value_name = "SHELL")]
    #[serde(skip)]
    pub completions: Option<clap_complete::Shell>,
    /// Print hushd's manual page (roff) and exit.
    #[arg(long)]
    #[serde(skip)]
    pub man: bool,
    /// gRPC listen address [default: 127.0.0.1:7878].
    #[arg(long, env = "HUSH_LISTEN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Prometheus /metrics listen address, or "off" [default: 127.0.0.1:7879].
    #[arg(long, env = "HUSH_METRICS_LISTEN")]
    #[serde(skip)]
    pub metrics_listen: Option<String>,
    /// Also serve the broker's query stream as length-prefixed sealed
    /// frames over plain TCP on this address (lighter than gRPC per
    /// request; sessions still start over gRPC), or "off" [default: off].
    #[arg(long, env = "HUSH_TCP_LISTEN")]
    #[serde(skip)]
    pub tcp_listen: Option<String>,
    /// Store capacity in messages, a power of two [default: 4096].
    #[arg(long, env = "HUSH_CAPACITY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Recipients with messages in flight [default: capacity / 8].
    #[arg(long, env = "HUSH_MAX_RECIPIENTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_recipients: Option<u32>,
    /// Message time to live, e.g. "24h", "90s" [default: 24h].
    #[arg(long, env = "HUSH_TTL")]
    #[serde(skip)]
    pub ttl: Option<String>,
    /// Accounts the directory holds, a power of two [default: 65536].
    #[arg(long, env = "HUSH_MAX_ACCOUNTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_accounts: Option<u32>,
    /// Accounts that may have more than two devices: each takes a page of
    /// six more device slots [default: max_accounts / 16].
    #[arg(long, env = "HUSH_DEVICE_PAGES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_pages: Option<u32>,
    /// Computations the rendezvous service holds, a power of two
    /// [default: 1024]; it keeps lists for 4 conveners and participants per
    /// computation.
    #[arg(long, env = "HUSH_MAX_COMPUTATIONS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_computations: Option<u32>,
    /// Directory requests a batch of verification codes waits for before
    /// it leaves the enclave, its anonymity set [default: 8; 1 with dev
    /// attestation]; at least 8 with hardware attestation.
    #[arg(long, env = "HUSH_CODE_RELEASE_REQUESTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_release_requests: Option<u32>,
    /// Seconds between batches of verification codes, at least [default:
    /// 10; 1 with dev attestation].
    #[arg(long, env = "HUSH_CODE_RELEASE_SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_release_secs: Option<u64>,
    /// File the dev verification sender appends "identifier code" lines to
    /// [default: hushd-verification-codes.txt in the temp directory].
    #[arg(long, env = "HUSH_VERIFICATION_FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_file: Option<PathBuf>,
    /// SMTP server for emailed verification codes, e.g. smtp://mail:25 or
    /// smtps://user:password@host [default: none: codes go to the file].
    #[arg(long, env = "HUSH_SMTP_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_url: Option<String>,
    /// From address of emailed codes [default: hush <noreply@localhost>].
    #[arg(long, env = "HUSH_MAIL_FROM")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_from: Option<String>,
    /// HTTP(S) webhook that sends codes by SMS (POST, JSON: to, code,
    /// text) [default: none: codes go to the file].
    #[arg(long, env = "HUSH_SMS_WEBHOOK")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_webhook: Option<String>,
    /// PEM file of the roots the enclave trusts for its own TLS to smtps://
    /// and https:// code providers [default: Mozilla's roots].
    #[arg(long, env = "HUSH_TLS_ROOTS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_roots: Option<PathBuf>,
    /// Where attachment blobs go: "dir" or "s3" (built with --features s3)
    /// [default: dir].
    #[arg(long, env = "HUSH_BLOB_STORE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_store: Option<String>,
    /// The bucket for --blob-store s3 (credentials and region from AWS_*).
    #[arg(long, env = "HUSH_S3_BUCKET")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
    /// An S3-compatible endpoint for --blob-store s3 [default: AWS].
    #[arg(long, env = "HUSH_S3_ENDPOINT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_endpoint: Option<String>,
    /// Attachments the enclave keeps track of, stored and mixing [default: 4096].
    #[arg(long, env = "HUSH_MAX_BLOBS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_blobs: Option<u32>,
    /// MiB of attachments one proven key may upload per day, counted in
    /// the enclave [default: 256].
    #[arg(long, env = "HUSH_BLOB_DAILY_MIB_PER_KEY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_daily_mib_per_key: Option<u64>,
    /// Attachments of one size a mix waits for before the enclave writes
    /// it to the store, the anonymity set of an upload and its downloads
    /// [default: 8; 1 with dev attestation]; at least 8 with hardware
    /// attestation.
    #[arg(long, env = "HUSH_BLOB_MIX")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_mix: Option<u32>,
    /// Directory for attachment blobs [default: hushd-blobs in the temp directory].
    #[arg(long, env = "HUSH_BLOB_DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_dir: Option<PathBuf>,
    /// Most blob storage in MiB [default: 1024].
    #[arg(long, env = "HUSH_BLOB_QUOTA_MIB")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_quota_mib: Option<u64>,
    /// Largest number of open sessions [default: 1024].
    #[arg(long, env = "HUSH_MAX_SESSIONS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions: Option<usize>,
    /// Handshakes one source address may make per minute, in bursts of as
    /// many (IPv6: per /64); more answer RESOURCE_EXHAUSTED (HTTP 429).
    /// 0: no limit [default: 0; the packaged configuration: 120].
    #[arg(long, env = "HUSH_HANDSHAKES_PER_MINUTE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handshakes_per_minute: Option<u32>,
    /// Writes need Privacy Pass tokens (RFC 9578 type 2) from the issuer
    /// named by --token-issuer-name and --token-issuer-keys: a message
    /// create, a computation create and an attachment upload each spend a
    /// credit of the session [default: off; the packaged configuration
    /// turns it on].
    #[arg(long, env = "HUSH_REQUIRE_TOKENS", num_args = 0..=1, default_missing_value = "true")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_tokens: Option<bool>,
    /// The token issuer's name (its host name), which tokens are bound to.
    #[arg(long, env = "HUSH_TOKEN_ISSUER_NAME")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_name: Option<String>,
    /// The origin tokens are bound to [default: hush].
    #[arg(long, env = "HUSH_TOKEN_ORIGIN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_origin: Option<String>,
    /// Files of the issuer's public keys (DER or PEM SubjectPublicKeyInfo
    /// of a 2048-bit RSA key), the current one first, comma-separated; at
    /// most two (a rotation: tokens of both redeem).
    #[arg(long, env = "HUSH_TOKEN_ISSUER_KEYS", value_delimiter = ',')]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_keys: Option<Vec<PathBuf>>,
    /// Credits one token is worth: writes per token [default: 50].
    #[arg(long, env = "HUSH_CREDITS_PER_TOKEN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits_per_token: Option<u32>,
    /// Spent tokens the enclave remembers per issuer key (32 MiB per
    /// 2^18); a key whose tokens fill it must be rotated [default: 262144].
    #[arg(long, env = "HUSH_SPENT_TOKENS_PER_KEY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spent_tokens_per_key: Option<u32>,
    /// Tokens the directory issues each verified account per day, 4 at a
    /// time, blindly (0: it issues none) [default: 32].
    #[arg(long, env = "HUSH_DIRECTORY_TOKENS_PER_DAY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_tokens_per_day: Option<u32>,
    /// Token records (redemptions and issuances) one session may send per
    /// minute, bursts up to that many; each costs the enclave about 600 µs
    /// (0: no limit) [default: 60].
    #[arg(long, env = "HUSH_TOKEN_RECORDS_PER_MINUTE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_records_per_minute: Option<u32>,
    /// Idle time after which a session expires, e.g. "10m" [default: 10m].
    #[arg(long, env = "HUSH_SESSION_IDLE_TIMEOUT")]
    #[serde(skip)]
    pub session_idle_timeout: Option<String>,
    /// Attestation mode: "dev" (in-process, proves nothing), "tsm" (Linux
    /// TSM configfs, in a TDX or SEV-SNP guest) or "gramine" (SGX under
    /// Gramine, DCAP) [default: dev].
    #[arg(long, env = "HUSH_ATTESTATION")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
    /// TSM configfs report directory [default: /sys/kernel/config/tsm/report].
    #[arg(long, env = "HUSH_TSM_PATH")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsm_path: Option<PathBuf>,
    /// Gramine's attestation directory [default: /dev/attestation].
    #[arg(long, env = "HUSH_GRAMINE_PATH")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gramine_path: Option<PathBuf>,
    /// Collateral for the evidence, sent to clients with it so they verify
    /// offline: for TDX and SGX the PCCS collateral JSON (a file, or a
    /// directory with collateral.json), for SEV-SNP the VCEK certificate
    /// (vcek.der or vcek.pem). Refresh it before it expires.
    #[arg(long, env = "HUSH_ATTESTATION_COLLATERAL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation_collateral: Option<PathBuf>,
    /// Log format: "text" or "json" [default: text]. Levels via RUST_LOG.
    #[arg(long, env = "HUSH_LOG_FORMAT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// The CPU of the broker's enclave thread: "auto" reserves the
    /// highest-numbered CPU hushd may use for it and keeps every other
    /// thread on the rest (when hushd may use two or more CPUs), "off"
    /// leaves placement to the kernel, a number reserves that CPU
    /// [default: auto]. Running several hushd on one machine: give each
    /// its own CPU, or "off".
    #[arg(long, env = "HUSH_ENCLAVE_CPU", value_name = "auto|off|CPU")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enclave_cpu: Option<String>,
    /// The broker's enclave threads: 1 makes each request whole on one
    /// thread; 2 begins each request on the first (on the enclave CPU) and
    /// finishes it (its message slot, the seal) on the second, with the
    /// other threads, so two requests are under way at once (BENCHMARKS.md)
    /// [default: 2 when the first has a CPU of its own, else 1].
    #[arg(long, env = "HUSH_BROKER_THREADS", value_name = "1|2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_threads: Option<u8>,
    /// The browser demo at /demo/ (two panes, alice and bob): "auto" (on
    /// with dev attestation only), "on" or "off" [default: auto].
    #[arg(long, env = "HUSH_DEMO")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<String>,
    /// This node's id in a cluster (with --peers).
    #[arg(long, env = "HUSH_NODE_ID")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<u64>,
    /// Run as one node of a cluster: every node's id and peer address,
    /// "1=10.0.0.1:7900,2=10.0.0.2:7900,3=10.0.0.3:7900" (this node's
    /// included; it serves peers there, never clients: keep it on a
    /// private network). The lowest id founds the cluster; the others
    /// join it [default: none: a single node].
    #[arg(long, env = "HUSH_PEERS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peers: Option<String>,
    /// The policy (TOML, as for clients) a peer's attestation must satisfy
    /// to join or to hand this node the cluster secret [default: dev
    /// evidence only, with --attestation dev].
    #[arg(long, env = "HUSH_PEER_POLICY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_policy: Option<PathBuf>,
    /// In a cluster: log entries between snapshots of the enclave's state;
    /// older entries are then purged, and a node that needs them catches
    /// up from the snapshot [default: 100000].
    #[arg(long, env = "HUSH_SNAPSHOT_EVERY", value_name = "ENTRIES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_every: Option<u64>,
    /// For fault-injection tests: add the signed seconds in FILE (re-read
    /// each second) to this host's clock.
    #[arg(long, hide = true, value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_offset_file: Option<PathBuf>,
}

impl Args {
    /// Merges defaults, the TOML file, and these arguments (which clap
    /// already filled from flags or HUSH_* variables).
    pub fn settings(&self) -> Result<Settings> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = &self.config {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(Serialized::defaults(self));
        for (flag, key, value) in [
            ("--metrics-listen", "metrics_listen", &self.metrics_listen),
            ("--tcp-listen", "tcp_listen", &self.tcp_listen),
        ] {
            match value.as_deref() {
                None => {}
                Some("off") => fig = fig.merge((key, "off")),
                Some(addr) => {
                    let a: SocketAddr = addr
                        .parse()
                        .with_context(|| format!("{flag} {addr:?} is not an address or \"off\""))?;
                    fig = fig.merge((key, a.to_string()));
                }
            }
        }
        for (flag, key, value) in [
            ("--ttl", "ttl", &self.ttl),
            (
                "--session-idle-timeout",
                "session_idle_timeout",
                &self.session_idle_timeout,
            ),
        ] {
            if let Some(text) = value {
                let d = humantime::parse_duration(text).map_err(|e| {
                    anyhow::anyhow!(
                        "{flag} {text:?} is not a duration ({e}); examples: 90s, 10m, 24h"
                    )
                })?;
                fig = fig.merge((key, humantime::format_duration(d).to_string()));
            }
        }
        let s: Settings = fig.extract().context("invalid configuration")?;
        s.validate()?;
        Ok(s)
    }
}

/// `metrics_listen` and `tcp_listen` in TOML: an address, or "off" (the same as the flag).
mod address_or_off {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::net::SocketAddr;

    pub fn serialize<S: Serializer>(v: &Option<SocketAddr>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => s.serialize_str(&a.to_string()),
            None => s.serialize_str("off"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
        let text = String::deserialize(d)?;
        if text == "off" {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "{text:?} is neither an address (like 127.0.0.1:7879) nor \"off\""
            ))
        })
    }
}

impl Settings {
    /// Settings from TOML text over the defaults (for tools and fuzzing).
    pub fn from_toml_str(text: &str) -> Result<Settings> {
        let s: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(text))
            .extract()
            .context("invalid configuration")?;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<()> {
        self.store_config()?;
        match (&self.node_id, &self.peers) {
            (None, None) => {}
            (Some(id), Some(peers)) => {
                let peers = crate::cluster::Peers::parse(peers).context("invalid peers")?;
                if !peers.0.contains_key(id) {
                    bail!("node_id {id} is not one of the peers ({peers:?})");
                }
                if self.peer_policy.is_none() && self.attestation != "dev" {
                    bail!(
                        "a cluster with hardware attestation needs peer_policy (--peer-policy FILE)"
                    );
                }
            }
            _ => bail!("node_id and peers go together (--node-id N --peers ID=HOST:PORT,...)"),
        }
        if let Some(tcp) = self.tcp_listen
            && (tcp == self.listen || Some(tcp) == self.metrics_listen)
            && tcp.port() != 0
        {
            bail!("tcp_listen {tcp} is already the gRPC or metrics address: give it its own port");
        }
        let directory = self.directory_config()?;
        self.delivery_config()?;
        if self.attestation != "dev" {
            for (what, url, tls) in [
                ("smtp_url", &self.smtp_url, "smtps://"),
                ("sms_webhook", &self.sms_webhook, "https://"),
            ] {
                if let Some(u) = url
                    && !u.starts_with(tls)
                {
                    bail!(
                        "{what} must be {tls}... with hardware attestation: the enclave delivers codes over TLS itself, and a plain URL would hand the host every code"
                    );
                }
            }
        }
        if self.max_blobs == 0 {
            bail!("max_blobs must be at least 1");
        }
        let mix = self.blob_config().mix;
        if mix == 0 {
            bail!("blob_mix must be at least 1");
        }
        if self.attestation != "dev" && mix < hush_enclave::services::blobs::MIN_ATTESTED_MIX {
            bail!(
                "blob_mix {mix} is below {} (the least anonymity set for attachments with hardware attestation)",
                hush_enclave::services::blobs::MIN_ATTESTED_MIX
            );
        }
        if self.attestation != "dev"
            && directory.code_release_requests < hush_enclave::MIN_ATTESTED_CODE_RELEASE_REQUESTS
        {
            bail!(
                "code_release_requests {} is below {} (the least anonymity set for verification codes with hardware attestation)",
                directory.code_release_requests,
                hush_enclave::MIN_ATTESTED_CODE_RELEASE_REQUESTS
            );
        }
        if self.snapshot_every == 0 {
            bail!("snapshot_every must be at least 1 (log entries between snapshots)");
        }
        if !matches!(self.demo.as_str(), "auto" | "on" | "off") {
            bail!(
                "demo must be \"auto\", \"on\" or \"off\", got {:?}",
                self.demo
            );
        }
        if !matches!(self.attestation.as_str(), "dev" | "tsm" | "gramine") {
            bail!(
                "attestation must be \"dev\", \"tsm\" or \"gramine\", got {:?}",
                self.attestation
            );
        }
        if self.attestation == "dev" && self.attestation_collateral.is_some() {
            bail!(
                "attestation_collateral is for hardware evidence (attestation = \"tsm\" or \"gramine\")"
            );
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!(
                "log format must be \"text\" or \"json\", got {:?}",
                self.log_format
            );
        }
        if self.max_sessions == 0 {
            bail!("max sessions must be at least 1");
        }
        self.enclave_cpu()?;
        if let Some(n) = self.broker_threads
            && !(1..=2).contains(&n)
        {
            bail!(
                "broker_threads must be 1 or 2, not {n} (set by --broker-threads, \
                 HUSH_BROKER_THREADS or the config file)"
            );
        }
        Ok(())
    }

    /// The broker's enclave threads: as set, or by default 2 when the
    /// first has a CPU of its own (`pinned`), else 1. On this project's
    /// 2-CPU machine two were 18% faster end to end at 2^20 and no slower
    /// at 2^16 (BENCHMARKS.md, "The session's crypto off the enclave
    /// thread"); without a CPU of its own the first would share one with
    /// the second.
    pub fn broker_threads(&self, pinned: bool) -> u8 {
        self.broker_threads.unwrap_or(if pinned { 2 } else { 1 })
    }

    /// The `enclave_cpu` setting, parsed.
    pub fn enclave_cpu(&self) -> Result<EnclaveCpu> {
        self.enclave_cpu.parse().map_err(|e| {
            anyhow::anyhow!("{e} (set by --enclave-cpu, HUSH_ENCLAVE_CPU or the config file)")
        })
    }

    /// Whether to serve the browser demo at /demo/.
    pub fn demo_enabled(&self) -> bool {
        match self.demo.as_str() {
            "on" => true,
            "off" => false,
            _ => self.attestation == "dev",
        }
    }

    /// The store's limits.
    pub fn store_config(&self) -> Result<StoreConfig> {
        let mut c = StoreConfig::new(self.capacity, self.ttl.as_secs())
            .context("invalid store settings")?;
        if let Some(r) = self.max_recipients {
            c = c.with_max_recipients(r).context("invalid store settings")?;
        }
        Ok(c)
    }

    /// Everything `--check-config` checks beyond the settings themselves:
    /// the enclave's limits and the attestation collateral. Returns what to
    /// print.
    pub fn check(&self) -> Result<String> {
        self.enclave_config()?;
        if let Some(path) = &self.attestation_collateral {
            use hush_attest::{Format, collateral};
            let formats: &[Format] = match self.attestation.as_str() {
                "gramine" => &[Format::Sgx],
                // TSM: TDX (PCCS JSON) or SEV-SNP (a VCEK), known once the
                // evidence is produced; the collateral must be one of them.
                _ => &[Format::Tdx, Format::SevSnp],
            };
            let errors: Vec<String> = formats
                .iter()
                .filter_map(|f| collateral::load(path, *f).err().map(|e| e.to_string()))
                .collect();
            if errors.len() == formats.len() {
                bail!("attestation_collateral: {}", errors.join("; "));
            }
        }
        let mut safe = self.clone();
        safe.smtp_url = safe.smtp_url.as_deref().map(redact_password);
        let mut shown = toml::to_string(&safe).context("showing the configuration")?;
        shown.insert_str(0, "# hushd configuration: valid\n");
        Ok(shown)
    }

    /// The directory's settings: codes leave in batches, by default of 8
    /// requests and 10 s apart, or on every tick with dev attestation
    /// (which hides nothing from the host anyway).
    fn directory_config(&self) -> Result<DirectoryConfig> {
        let base = DirectoryConfig::new(self.max_accounts).context(
            "invalid max_accounts (set by --max-accounts, HUSH_MAX_ACCOUNTS or the config file)",
        )?;
        let dev = self.attestation == "dev";
        DirectoryConfig {
            device_pages: self.device_pages.unwrap_or(base.device_pages),
            code_release_requests: self
                .code_release_requests
                .unwrap_or(if dev { 1 } else { base.code_release_requests }),
            code_release_secs: self
                .code_release_secs
                .unwrap_or(if dev { 1 } else { base.code_release_secs }),
            ..base
        }
        .checked()
        .context("invalid directory limits (set by --device-pages, --code-release-requests, --code-release-secs or the config file)")
    }

    /// The blob service's settings: mixes of 8, or of 1 with dev
    /// attestation (which hides nothing from the host anyway); objects
    /// live as long as messages.
    /// The token service's configuration, with the issuer's keys read.
    pub fn token_config(&self) -> Result<hush_enclave::TokenConfig> {
        let keys = self
            .token_issuer_keys
            .iter()
            .map(|path| {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("reading the token issuer key {}", path.display()))?;
                let der = spki_der(&bytes).with_context(|| {
                    format!(
                        "the token issuer key {} is neither DER, PEM nor base64",
                        path.display()
                    )
                })?;
                hush_enclave::IssuerKey::from_spki_der(&der)
                    .with_context(|| format!("the token issuer key {}", path.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        let config = hush_enclave::TokenConfig {
            require: self.require_tokens,
            issuer_name: self.token_issuer_name.clone().unwrap_or_default(),
            origin: self.token_origin.clone(),
            keys,
            credits_per_token: self.credits_per_token,
            spent_per_key: self.spent_tokens_per_key,
            directory_tokens_per_day: self.directory_tokens_per_day,
            directory_accounts: 0,
        };
        config.validate().map_err(|e| {
            anyhow::anyhow!(
                "{e} (set by --require-tokens, --token-issuer-name, --token-issuer-keys, --credits-per-token, --spent-tokens-per-key, --directory-tokens-per-day, their HUSH_ variables or the config file)"
            )
        })?;
        Ok(config)
    }

    fn blob_config(&self) -> hush_enclave::BlobConfig {
        let dev = self.attestation == "dev";
        hush_enclave::BlobConfig {
            mix: self.blob_mix.unwrap_or(if dev {
                1
            } else {
                hush_enclave::services::blobs::DEFAULT_MIX
            }),
            per_key_daily_bytes: self.blob_daily_mib_per_key.saturating_mul(1 << 20),
            ..hush_enclave::BlobConfig::new(self.max_blobs, self.ttl.as_secs())
        }
    }

    /// The providers the enclave delivers codes to over its own TLS: an
    /// smtps:// smtp_url and an https:// sms_webhook (plain ones stay with
    /// the host's senders, for development).
    pub fn delivery_config(&self) -> Result<Option<hush_enclave::DeliveryConfig>> {
        let endpoint = |url: &str, default_port: u16| -> Result<hush_enclave::Endpoint> {
            let u = url::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
            let host = u
                .host_str()
                .with_context(|| format!("{url:?} names no host"))?
                .trim_matches(['[', ']'])
                .to_owned();
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Ok(hush_enclave::Endpoint {
                host,
                port: u.port().unwrap_or(default_port),
                path: u.path().to_owned(),
                user: (!u.username().is_empty()).then(|| decode(u.username())),
                password: u.password().map(decode),
            })
        };
        let email = match &self.smtp_url {
            Some(u) if u.starts_with("smtps://") => Some(endpoint(u, 465).context("smtp_url")?),
            _ => None,
        };
        let sms = match &self.sms_webhook {
            Some(u) if u.starts_with("https://") => Some(endpoint(u, 443).context("sms_webhook")?),
            _ => None,
        };
        if email.is_none() && sms.is_none() {
            return Ok(None);
        }
        let roots = match &self.tls_roots {
            None => Vec::new(),
            Some(path) => {
                use rustls_pki_types::pem::PemObject;
                let certs: Vec<Vec<u8>> = rustls_pki_types::CertificateDer::pem_file_iter(path)
                    .with_context(|| format!("tls_roots {}", path.display()))?
                    .map(|c| c.map(|c| c.to_vec()))
                    .collect::<std::result::Result<_, _>>()
                    .with_context(|| {
                        format!("tls_roots {}: not PEM certificates", path.display())
                    })?;
                if certs.is_empty() {
                    bail!("tls_roots {} holds no certificate", path.display());
                }
                certs
            }
        };
        let config = hush_enclave::DeliveryConfig {
            email,
            sms,
            mail_from: self.mail_from.clone(),
            roots,
        };
        hush_enclave::services::directory::delivery::Deliveries::new(config.clone())
            .context("the enclave's code delivery")?;
        Ok(Some(config))
    }

    /// The enclave's settings.
    pub fn enclave_config(&self) -> Result<EnclaveConfig> {
        Ok(EnclaveConfig {
            store: self.store_config()?,
            directory: self.directory_config()?,
            blobs: self.blob_config(),
            tokens: self.token_config()?,
            delivery: self.delivery_config()?,
            rendezvous: RendezvousConfig::new(self.max_computations).map_err(|e| {
                anyhow::anyhow!(
                    "{e} (set by --max-computations, HUSH_MAX_COMPUTATIONS or the config file)"
                )
            })?,
            max_sessions: self.max_sessions,
            session_idle_secs: self.session_idle_timeout.as_secs(),
            attestation: match self.attestation.as_str() {
                "tsm" => AttestationMode::Tsm(self.tsm_path.clone()),
                "gramine" => AttestationMode::Gramine(self.gramine_path.clone()),
                _ => AttestationMode::Dev,
            },
            collateral: self.attestation_collateral.clone(),
            peer_policy: match (&self.peers, &self.peer_policy) {
                (None, _) => None,
                (Some(_), Some(path)) => Some(
                    hush_attest::Policy::load(path)
                        .with_context(|| format!("peer_policy {}", path.display()))?,
                ),
                (Some(_), None) => Some(hush_attest::Policy::dev()),
            },
        })
    }
}

/// `scheme://user:password@host` with the password replaced by `***`.
pub(crate) fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    match (rest.find(':'), rest.find('@')) {
        (Some(colon), Some(at)) if colon < at => {
            format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            )
        }
        _ => url.to_owned(),
    }
}

/// A SubjectPublicKeyInfo from a key file: PEM ("-----BEGIN PUBLIC
/// KEY-----"), base64 text, or DER as is.
fn spki_der(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    if bytes.first() == Some(&0x30) {
        // A DER SEQUENCE.
        return Some(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    b64.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings> {
        let mut v = vec!["hushd"];
        v.extend_from_slice(args);
        Args::try_parse_from(v)?.settings()
    }

    #[test]
    fn defaults_file_and_flags_layer() {
        assert_eq!(parse(&[]).unwrap(), Settings::default());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hushd.toml");
        std::fs::write(&file, "capacity = 1024\nttl = \"2h\"\nmax_sessions = 7\n").unwrap();
        let f = file.to_str().unwrap();
        let s = parse(&[
            "--config",
            f,
            "--max-sessions",
            "9",
            "--metrics-listen",
            "off",
        ])
        .unwrap();
        assert_eq!(
            (s.capacity, s.ttl, s.max_sessions),
            (1024, Duration::from_secs(7200), 9)
        );
        assert_eq!(s.metrics_listen, None);
        let s = parse(&["--ttl", "90s", "--session-idle-timeout", "1m"]).unwrap();
        assert_eq!(
            (s.ttl.as_secs(), s.session_idle_timeout.as_secs()),
            (90, 60)
        );
    }

    #[test]
    fn check_config_shows_the_settings_and_checks_the_collateral() {
        let s = parse(&["--smtp-url", "smtps://me:secret@mail.example.org"]).unwrap();
        let shown = s.check().unwrap();
        assert!(
            shown.contains("valid") && shown.contains("capacity = 4096"),
            "{shown}"
        );
        assert!(
            shown.contains("me:***@mail") && !shown.contains("secret"),
            "{shown}"
        );
        let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../hush-attest/testdata/");
        let tdx = format!("{testdata}tdx_quote_collateral.json");
        let vcek = format!("{testdata}vcek_milan.der");
        for good in [&tdx, &vcek] {
            let s = parse(&["--attestation", "tsm", "--attestation-collateral", good]).unwrap();
            s.check().unwrap();
        }
        let s = parse(&[
            "--attestation",
            "gramine",
            "--attestation-collateral",
            &vcek,
        ])
        .unwrap();
        let e = format!("{:#}", s.check().unwrap_err());
        assert!(
            e.contains("attestation_collateral") && e.contains("DCAP collateral"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_explained() {
        let e = parse(&["--capacity", "1000"]).unwrap_err();
        assert!(format!("{e:#}").contains("power of two"), "{e:#}");
        assert!(parse(&["--attestation", "sgx"]).is_err());
        let e = format!(
            "{:#}",
            parse(&["--attestation-collateral", "/tmp/c.json"]).unwrap_err()
        );
        assert!(e.contains("for hardware evidence"), "{e}");
        let g = parse(&[
            "--attestation",
            "gramine",
            "--gramine-path",
            "/tmp/att",
            "--attestation-collateral",
            "/tmp/c.json",
        ])
        .unwrap();
        let c = g.enclave_config().unwrap();
        assert_eq!(
            c.attestation,
            hush_enclave::AttestationMode::Gramine("/tmp/att".into())
        );
        assert_eq!(c.collateral, Some("/tmp/c.json".into()));
        let e = format!("{:#}", parse(&["--ttl", "soon"]).unwrap_err());
        assert!(
            e.contains("--ttl \"soon\" is not a duration") && !e.contains(".rs:"),
            "{e}"
        );
        let e = format!("{:#}", parse(&["--session-idle-timeout", "x"]).unwrap_err());
        assert!(e.contains("--session-idle-timeout"), "{e}");
        assert!(parse(&["--config", "/nonexistent/hushd.toml"]).is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "capacity = \"lots\"\n").unwrap();
        assert!(parse(&["--config", file.to_str().unwrap()]).is_err());
        std::fs::write(&file, "unknown_key = 1\n").unwrap();
        assert!(parse(&["--config", file.to_str().unwrap()]).is_err());
        std::fs::write(&file, "metrics_listen = \"nowhere\"\n").unwrap();
        let e = format!(
            "{:#}",
            parse(&["--config", file.to_str().unwrap()]).unwrap_err()
        );
        assert!(e.contains("nor \"off\""), "{e}");
    }

    /// Device pages default to one account in 16 and cannot outnumber
    /// the accounts.
    #[test]
    fn device_pages_follow_the_accounts() {
        let s = parse(&["--max-accounts", "1024"]).unwrap();
        assert_eq!(s.directory_config().unwrap().device_pages, 64);
        let s = parse(&["--max-accounts", "1024", "--device-pages", "300"]).unwrap();
        assert_eq!(s.directory_config().unwrap().device_pages, 300);
        let e = format!(
            "{:#}",
            parse(&["--max-accounts", "1024", "--device-pages", "2048"]).unwrap_err()
        );
        assert!(
            e.contains("device_pages must be at most max_accounts, got 2048"),
            "{e}"
        );
    }

    /// With hardware attestation, codes must leave through the enclave's
    /// own TLS, and the code and attachment anonymity sets cannot shrink.
    #[test]
    fn hardware_attestation_keeps_codes_and_attachments_private() {
        let tsm = ["--attestation", "tsm", "--tsm-path", "/tmp/tsm"];
        for (flag, url) in [
            ("--smtp-url", "smtp://mail.example.org"),
            ("--sms-webhook", "http://sms.example.org/send"),
        ] {
            let e = format!(
                "{:#}",
                parse(&[&tsm[..], &[flag, url]].concat()).unwrap_err()
            );
            assert!(e.contains("the enclave delivers codes over TLS"), "{e}");
        }
        for (flag, value, says) in [
            (
                "--code-release-requests",
                "2",
                "code_release_requests 2 is below 8",
            ),
            ("--blob-mix", "1", "blob_mix 1 is below 8"),
        ] {
            let e = format!(
                "{:#}",
                parse(&[&tsm[..], &[flag, value]].concat()).unwrap_err()
            );
            assert!(e.contains(says), "{e}");
        }
        let s = parse(
            &[
                &tsm[..],
                &[
                    "--smtp-url",
                    "smtps://me:p%40ss@mail.example.org",
                    "--sms-webhook",
                    "https://sms.example.org:8443/send",
                ],
            ]
            .concat(),
        )
        .unwrap();
        let d = s.delivery_config().unwrap().unwrap();
        let email = d.email.unwrap();
        assert_eq!((email.host.as_str(), email.port), ("mail.example.org", 465));
        assert_eq!(email.password.as_deref(), Some("p@ss"));
        let sms = d.sms.unwrap();
        assert_eq!((sms.port, sms.path.as_str()), (8443, "/send"));
        assert!(d.roots.is_empty(), "Mozilla's roots by default");
        let c = s.enclave_config().unwrap();
        assert_eq!((c.directory.code_release_requests, c.blobs.mix), (8, 8));
        // Dev keeps the host's plain senders, and codes every tick.
        let dev = parse(&["--smtp-url", "smtp://mail.example.org"]).unwrap();
        assert!(dev.delivery_config().unwrap().is_none());
        assert_eq!(
            dev.enclave_config()
                .unwrap()
                .directory
                .code_release_requests,
            1
        );
        let e = format!(
            "{:#}",
            parse(&[
                "--tls-roots",
                "/nonexistent.pem",
                "--smtp-url",
                "smtps://x.org"
            ])
            .unwrap_err()
        );
        assert!(e.contains("tls_roots"), "{e}");
    }

    #[test]
    fn metrics_can_be_off_in_every_source() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("off.toml");
        std::fs::write(&file, "metrics_listen = \"off\"\nttl = \"90s\"\n").unwrap();
        let s = parse(&["--config", file.to_str().unwrap()]).unwrap();
        assert_eq!(
            s.metrics_listen, None,
            "TOML accepts \"off\" as the flag does"
        );
        assert_eq!(s.ttl, Duration::from_secs(90));
        let s = parse(&[
            "--config",
            file.to_str().unwrap(),
            "--metrics-listen",
            "127.0.0.1:9",
        ])
        .unwrap();
        assert_eq!(
            s.metrics_listen,
            Some("127.0.0.1:9".parse().unwrap()),
            "flags win"
        );
        let s = parse(&["--config", file.to_str().unwrap(), "--ttl", "2h"]).unwrap();
        assert_eq!(s.ttl, Duration::from_secs(7200), "flags win");
        let s = Settings::from_toml_str("metrics_listen = \"off\"").unwrap();
        assert_eq!(s.metrics_listen, None);
    }

    #[test]
    fn the_tcp_transport_is_off_unless_given_its_own_address() {
        assert_eq!(parse(&[]).unwrap().tcp_listen, None);
        let s = parse(&["--tcp-listen", "127.0.0.1:7880"]).unwrap();
        assert_eq!(s.tcp_listen, Some("127.0.0.1:7880".parse().unwrap()));
        let s = Settings::from_toml_str("tcp_listen = \"127.0.0.1:7881\"").unwrap();
        assert_eq!(s.tcp_listen, Some("127.0.0.1:7881".parse().unwrap()));
        assert_eq!(parse(&["--tcp-listen", "off"]).unwrap().tcp_listen, None);
        let e = format!("{:#}", parse(&["--tcp-listen", "port 7880"]).unwrap_err());
        assert!(
            e.contains("--tcp-listen \"port 7880\" is not an address"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            parse(&["--tcp-listen", DEFAULT_LISTEN]).unwrap_err()
        );
        assert!(e.contains("its own port"), "{e}");
    }

    #[test]
    fn snapshots_come_every_100000_entries_unless_set_and_never_every_0() {
        let s = Settings::from_toml_str("").unwrap();
        assert_eq!(s.snapshot_every, 100_000);
        let s = parse(&["--snapshot-every", "25"]).unwrap();
        assert_eq!(s.snapshot_every, 25);
        let e = Settings::from_toml_str("snapshot_every = 0").unwrap_err();
        assert!(format!("{e:#}").contains("at least 1"), "{e:#}");
        // The packaged configuration parses, its cluster lines commented,
        // and requires tokens, which its directory issues.
        let packaged =
            Settings::from_toml_str(include_str!("../../../packaging/hushd.toml")).unwrap();
        let tokens = packaged.token_config().unwrap();
        assert!(tokens.require && tokens.directory_issues());
    }

    #[test]
    fn the_broker_has_two_threads_when_pinned_unless_set_and_other_counts_are_refused() {
        let default = parse(&[]).unwrap();
        assert_eq!(default.broker_threads, None);
        assert_eq!(default.broker_threads(true), 2);
        assert_eq!(default.broker_threads(false), 1);
        let one = parse(&["--broker-threads", "1"]).unwrap();
        assert_eq!(one.broker_threads(true), 1);
        assert_eq!(
            parse(&["--broker-threads", "2"])
                .unwrap()
                .broker_threads(false),
            2
        );
        let s = Settings::from_toml_str("broker_threads = 2").unwrap();
        assert_eq!(s.broker_threads, Some(2));
        for bad in ["0", "3"] {
            let e = format!("{:#}", parse(&["--broker-threads", bad]).unwrap_err());
            assert!(
                e.contains("broker_threads must be 1 or 2") && e.contains("--broker-threads"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_enclave_cpu_is_auto_unless_set_and_bad_values_are_explained() {
        assert_eq!(parse(&[]).unwrap().enclave_cpu().unwrap(), EnclaveCpu::Auto);
        let s = parse(&["--enclave-cpu", "off"]).unwrap();
        assert_eq!(s.enclave_cpu().unwrap(), EnclaveCpu::Off);
        let s = Settings::from_toml_str("enclave_cpu = \"1\"").unwrap();
        assert_eq!(
            s.enclave_cpu().unwrap(),
            EnclaveCpu::Cpu(crate::affinity::Cpu(1))
        );
        let e = format!("{:#}", parse(&["--enclave-cpu", "fast"]).unwrap_err());
        assert!(
            e.contains("\"auto\", \"off\" or a CPU number") && e.contains("--enclave-cpu"),
            "{e}"
        );
    }
}
