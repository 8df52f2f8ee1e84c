//! `hush-bench apply`: how long a replica takes to apply one log entry of
//! each service, in process, one core. The host of a follower sees how
//! long each apply takes, so this is what an entry's timing tells it
//! about which service the entry is for (docs/LEAKAGE.md, replication).
//! Entries of the three services are applied interleaved, one of each per
//! step, so drift cancels out; the broker's apply is the baseline.

use anyhow::{Result, bail};
use clap::Parser;
use hush_client::Identity;
use hush_client::session::Handshake;
use hush_enclave::cluster::ClusterSecret;
use hush_enclave::{
    AttestationMode, BlobConfig, EnclaveConfig, InProcessEnclave, ServiceId, StoreConfig,
};
use hush_wire::directory::{DirectoryOp, DirectoryRequest, Identifier};
use hush_wire::rendezvous::{RendezvousOp, RendezvousRequest};
use hush_wire::{FixedCodec, Op, Request, RequestRecord};
use std::time::Instant;

/// Arguments.
#[derive(Parser, Clone)]
pub struct ApplyArgs {
    /// Store capacity, as a power of two.
    #[arg(long, default_value_t = 16)]
    log2: u32,
    /// Entries of each service per round.
    #[arg(long, default_value_t = 2000)]
    entries: usize,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark and prints a Markdown table.
pub fn run(args: ApplyArgs) -> Result<()> {
    let now = 1_800_000_000u64;
    let config = EnclaveConfig {
        store: StoreConfig::new(1 << args.log2, 86_400)?,
        directory: hush_enclave::DirectoryConfig::new(1 << 10)?,
        rendezvous: hush_enclave::RendezvousConfig::new(1 << 10).map_err(anyhow::Error::msg)?,
        blobs: BlobConfig::new(16, 86_400),
        max_sessions: 8,
        session_idle_secs: 86_400,
        attestation: AttestationMode::Dev,
        collateral: None,
        peer_policy: None,
        tokens: Default::default(),
        delivery: None,
    };
    let e = InProcessEnclave::start_replica(config, now, &ClusterSecret::generate())?;
    let who = Identity::generate("bench");
    let hs = Handshake::start()?;
    let reply = hush_enclave::EnclaveApi::handshake(&e, &hs.message)?;
    let s = hs.finish(reply.session, &reply.message, &hush_attest::Policy::dev())?;
    let kp = who.keypair();
    let (_, sealed) = s.seal_key_proofs(&[&kp]);
    hush_enclave::EnclaveApi::prove_keys(&e, &s.id(), &sealed)?;
    let me = who.public();
    let records: [(ServiceId, Vec<u8>); 3] = [
        (
            ServiceId::Broker,
            RequestRecord::encode(&Request {
                acting_as: me,
                op: Op::List,
            })
            .as_bytes()
            .to_vec(),
        ),
        (
            ServiceId::Directory,
            DirectoryRequest {
                acting_as: me,
                op: DirectoryOp::Lookup {
                    identifier: Identifier::email("nobody@example.org")?,
                },
            }
            .encode(),
        ),
        (
            ServiceId::Rendezvous,
            RendezvousRequest {
                acting_as: me,
                op: RendezvousOp::List,
            }
            .encode(),
        ),
    ];
    let mut tail: Option<Vec<u8>> = None;
    let mut times: [Vec<f64>; 3] = Default::default();
    for _ in 0..args.rounds {
        let mut total = [0f64; 3];
        for _ in 0..args.entries {
            for (i, (service, record)) in records.iter().enumerate() {
                let (_, sealed) = s.seal_bytes(record);
                let p = e.propose(*service, &s.id(), &sealed, tail.as_deref())?;
                let t = Instant::now();
                let applied = e.apply(&p.entry)?;
                total[i] += t.elapsed().as_secs_f64();
                if applied.reply.is_none() {
                    bail!("an applied entry gave no answer");
                }
                tail = Some(p.entry);
            }
        }
        for i in 0..3 {
            times[i].push(total[i] / args.entries as f64);
        }
    }
    let base = median(times[0].clone());
    println!("| service | µs per apply | against the broker's |");
    println!("|---|---|---|");
    for (i, name) in ["broker", "directory", "rendezvous"].iter().enumerate() {
        let m = median(times[i].clone());
        println!("| {name} | {:.1} | {:.2}x |", m * 1e6, m / base);
    }
    Ok(())
}
