//! `hush-bench blobs`: what attachments through the enclave cost, in
//! process, one core, per size class: an upload (opening the session
//! frame and the body, joining the mix), writing a mix of `--mix` blobs
//! (oblivious sort moving whole blobs, sealing each for the store), and a
//! download (the read object joins the mix; the answer selected from the
//! whole mix and sealed under a fresh transfer key). The baseline is the
//! client's own sealing of the same file (`seal_file`: one
//! ChaCha20-Poly1305 pass and a SHA-256 over the class), so each column is
//! also given as a multiple of it. Store I/O per blob is counted, not
//! timed: the host writes each object once per mix it is in.

use anyhow::{Result, bail};
use clap::Parser;
use hush_client::Identity;
use hush_client::media::{open_answer, open_download, seal_download, seal_file, seal_upload};
use hush_client::session::Handshake;
use hush_enclave::{
    AttestationMode, BlobConfig, BlobStep, EnclaveApi, EnclaveConfig, InProcessEnclave, StoreConfig,
};
use hush_wire::blob_transfer::BlobStatus;
use hush_wire::media::BLOB_CLASSES;
use std::collections::HashMap;
use std::time::Instant;

/// Arguments.
#[derive(Parser, Clone)]
pub struct BlobsArgs {
    /// Blobs per mix (the anonymity set).
    #[arg(long, default_value_t = 8)]
    mix: u32,
    /// Size classes to measure, as indices (0: 64 KiB ... 4: 16 MiB).
    #[arg(long, value_delimiter = ',', default_values_t = [0usize, 2, 4])]
    classes: Vec<usize>,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark and prints a Markdown table.
pub fn run(args: BlobsArgs) -> Result<()> {
    if args.classes.iter().any(|c| *c >= BLOB_CLASSES.len()) {
        bail!("--classes takes indices 0 to {}", BLOB_CLASSES.len() - 1);
    }
    let mut now = 1_800_000_000u64;
    let config = EnclaveConfig {
        store: StoreConfig::new(64, 86_400)?,
        directory: hush_enclave::DirectoryConfig::new(16)?,
        rendezvous: hush_enclave::RendezvousConfig::new(16).map_err(anyhow::Error::msg)?,
        blobs: BlobConfig {
            mix: args.mix,
            ..BlobConfig::new(4096, 86_400)
        },
        max_sessions: 8,
        session_idle_secs: 100 * 86_400,
        attestation: AttestationMode::Dev,
        collateral: None,
        peer_policy: None,
        tokens: Default::default(),
        delivery: None,
    };
    let e = InProcessEnclave::start(config, now)?;
    let who = Identity::generate("bench");
    let hs = Handshake::start()?;
    let reply = e.handshake(&hs.message)?;
    let s = hs.finish(reply.session, &reply.message, &hush_attest::Policy::dev())?;
    let kp = who.keypair();
    let (_, sealed) = s.seal_key_proofs(&[&kp]);
    e.prove_keys(&s.id(), &sealed)?;
    let mut store: HashMap<[u8; 16], Vec<u8>> = HashMap::new();
    let take_writes = |e: &InProcessEnclave, store: &mut HashMap<[u8; 16], Vec<u8>>| {
        for w in e.take_blob_writes() {
            store.insert(w.id.0, w.bytes);
        }
    };

    println!(
        "| class | client seal (baseline) ms | upload ms (x) | mix of {} per blob ms (x) | download ms (x) | store writes per upload | store reads + writes per download |",
        args.mix
    );
    println!("|---|---|---|---|---|---|---|");
    for &class in &args.classes {
        let size = BLOB_CLASSES[class];
        let file = vec![0x5au8; size - hush_wire::media::BLOB_OVERHEAD];
        let (mut base, mut up, mut mix, mut down) = (vec![], vec![], vec![], vec![]);
        for _ in 0..args.rounds {
            let t = Instant::now();
            let mut files = Vec::new();
            for _ in 0..args.mix {
                files.push(seal_file(&file, "bench.bin", "")?);
            }
            base.push(t.elapsed().as_secs_f64() / f64::from(args.mix));

            let mut total = 0.0;
            for f in &files {
                let u = seal_upload(&s, who.public(), f)?;
                let mut body = u.body;
                let t = Instant::now();
                let answer = e.blob_upload(&s.id(), &u.sealed, &mut body)?;
                total += t.elapsed().as_secs_f64();
                if open_answer(&s, u.nonce, &answer)?.status != BlobStatus::Ok {
                    bail!("an upload was refused");
                }
            }
            up.push(total / f64::from(args.mix));

            now += 1;
            let t = Instant::now();
            e.tick(now);
            mix.push(t.elapsed().as_secs_f64() / f64::from(args.mix));
            take_writes(&e, &mut store);

            let mut total = 0.0;
            for f in &files {
                let (nonce, sealed) = seal_download(&s, &f.attachment)?;
                let t = Instant::now();
                let step = e.blob_download_begin(&s.id(), &sealed)?;
                let BlobStep::Fetch(plan) = step else {
                    bail!("a download was answered at once (the mix is full)");
                };
                let object = plan.read.and_then(|r| store.remove(&r.0));
                let (answer, body) = e.blob_download_finish(plan.ticket, object.as_deref())?;
                total += t.elapsed().as_secs_f64();
                if open_download(&s, nonce, &answer, &body, &f.attachment)? != file {
                    bail!("a download came back different");
                }
            }
            down.push(total / f64::from(args.mix));
            // The downloads' objects are mixed again; clear the store.
            now += 1;
            e.tick(now);
            take_writes(&e, &mut store);
            store.clear();
            now += 2 * 86_400;
            e.tick(now);
        }
        let (b, u, m, d) = (median(base), median(up), median(mix), median(down));
        println!(
            "| {} KiB | {:.2} | {:.2} ({:.1}x) | {:.2} ({:.1}x) | {:.2} ({:.1}x) | 1 | 1 + 1 |",
            size >> 10,
            b * 1e3,
            u * 1e3,
            u / b,
            m * 1e3,
            m / b,
            d * 1e3,
            d / b
        );
    }
    Ok(())
}
