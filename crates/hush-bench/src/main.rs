//! `hush-bench`: measures hush's oblivious store against its baselines in one
//! run, interleaving them round by round, and prints Markdown tables for
//! BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p hush-bench --features mc-oblivious -- store --log2 16 --log2 20
//! ```

mod apply;
mod backend;
mod blobs;
mod client_cpus;
mod directory;
mod handshake;
mod load;
#[cfg(feature = "mc-oblivious")]
mod mc_baseline;
mod rendezvous;
mod soak;
mod tokens;
mod workload;

use anyhow::{Context, Result, bail};
use backend::{Backend, BenchStore};
use clap::{Parser, Subcommand};
use hush_enclave::StoreConfig;
use hush_wire::Status;
use std::time::{Duration, Instant};
use workload::{Kind, Workload};

/// Broker time used by the benchmarks (nothing expires during a run).
pub(crate) const NOW: u64 = 1_800_000_000;
/// TTL used by the benchmarks: one day.
pub(crate) const TTL_SECS: u64 = 86_400;

#[derive(Parser)]
#[command(
    about = "Benchmarks of the hush store against a HashMap store and the seed's mc-oblivious engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Throughput and latency per op type and mixed, interleaving the stores.
    Store(StoreArgs),
    /// Peak RSS and start-up time of one store (run as a child process).
    Rss(RssArgs),
    /// Concurrent clients over gRPC against hushd, vs the in-process store.
    Load(load::LoadArgs),
    /// A long churn run with a short TTL: nothing lost, RSS flat.
    Soak(soak::SoakArgs),
    /// Handshake and abandoned-session floods against a bounded table.
    Flood(soak::FloodArgs),
    /// Oblivious directory look-ups in process, against a HashMap directory.
    Directory(directory::DirectoryArgs),
    /// Rendezvous submits and results per second, in process.
    Rendezvous(rendezvous::RendezvousArgs),
    /// Attachments through the enclave: upload, mix, download, per class.
    Blobs(blobs::BlobsArgs),
    /// How long a replica takes to apply an entry of each service.
    Apply(apply::ApplyArgs),
    /// What requiring tokens costs a create, a redemption, and memory.
    Tokens(tokens::TokensArgs),
    /// The hybrid (post-quantum) handshake against the classical one.
    Handshake(handshake::HandshakeArgs),
}

#[derive(Parser, Clone)]
struct StoreArgs {
    /// Capacity as a power of two (repeatable).
    #[arg(long = "log2", default_values_t = [16u32])]
    log2: Vec<u32>,
    /// Stores to compare.
    #[arg(long, value_delimiter = ',', default_values = ["hush", "hashmap"])]
    backends: Vec<Backend>,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Requests per batch.
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// Messages created before measuring (default: capacity / 32).
    #[arg(long)]
    prefill: Option<usize>,
    /// Also measure peak RSS and start-up of each store in a child process.
    #[arg(long)]
    rss: bool,
}

#[derive(Parser, Clone)]
struct RssArgs {
    /// Which store.
    #[arg(long)]
    backend: Backend,
    /// Capacity as a power of two.
    #[arg(long)]
    log2: u32,
    /// Messages created after start-up.
    #[arg(long)]
    prefill: usize,
}

fn config(log2: u32) -> Result<StoreConfig> {
    Ok(StoreConfig::new(1 << log2, TTL_SECS)?)
}

fn recipients(log2: u32) -> u32 {
    (1u32 << log2) / 32
}

fn prefill_default(log2: u32) -> usize {
    (1usize << log2) / 32
}

fn run_batch(store: &mut dyn BenchStore, batch: &[hush_wire::RequestRecord]) -> Result<Duration> {
    let start = Instant::now();
    let mut failures = Vec::new();
    for r in batch {
        let resp = store.execute(r, NOW);
        if resp.as_bytes()[0] != Status::Ok.code() {
            failures.push((r.op_code(), resp.as_bytes()[0]));
        }
    }
    let elapsed = start.elapsed();
    if !failures.is_empty() {
        bail!(
            "{}: {} of {} requests did not succeed (op code, status code): {:?}",
            store.name(),
            failures.len(),
            batch.len(),
            &failures[..failures.len().min(10)]
        );
    }
    Ok(elapsed)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn peak_rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()?)
}

fn rss(args: RssArgs) -> Result<()> {
    let start = Instant::now();
    let mut store = args.backend.build(config(args.log2)?)?;
    let startup = start.elapsed();
    let mut w = Workload::new(recipients(args.log2), 7);
    let fill = w.batch(Kind::Create, args.prefill);
    run_batch(store.as_mut(), &fill)?;
    let mixed = w.batch(Kind::Mixed, 1000);
    run_batch(store.as_mut(), &mixed)?;
    println!(
        "startup_ms={:.1} peak_rss_kib={}",
        startup.as_secs_f64() * 1e3,
        peak_rss_kib()?
    );
    Ok(())
}

fn measure_rss(backend: Backend, log2: u32, prefill: usize) -> Result<(f64, u64)> {
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe)
        .args([
            "rss",
            "--backend",
            backend_name(backend),
            "--log2",
            &log2.to_string(),
        ])
        .args(["--prefill", &prefill.to_string()])
        .output()?;
    if !out.status.success() {
        bail!("rss child failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let field = |name: &str| -> Result<String> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .map(str::to_owned)
            .context("malformed child output")
    };
    Ok((
        field("startup_ms=")?.parse()?,
        field("peak_rss_kib=")?.parse()?,
    ))
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Hush => "hush",
        Backend::HushRostl => "hush-rostl",
        Backend::Hashmap => "hashmap",
        Backend::HushPlain => "hush-plain",
        Backend::Mc => "mc",
    }
}

fn store_bench(args: StoreArgs) -> Result<()> {
    println!(
        "rounds={} batch={} (medians over rounds; stores interleaved in every round)\n",
        args.rounds, args.batch
    );
    for &log2 in &args.log2 {
        let prefill = args.prefill.unwrap_or_else(|| prefill_default(log2));
        let cfg = config(log2)?;
        println!(
            "## capacity 2^{log2}: {} recipients in use, {prefill} messages prefilled",
            recipients(log2)
        );
        println!(
            "limits: max recipients {}, ttl {} s, sweep {} slots + {} mailboxes per tick\n",
            cfg.max_recipients,
            cfg.ttl_secs,
            cfg.sweep_slots_per_tick,
            cfg.sweep_mailboxes_per_tick
        );
        if args.rss {
            println!("| store | start-up (ms) | peak RSS (MiB) |\n|---|---|---|");
            for &b in &args.backends {
                let (ms, kib) = measure_rss(b, log2, prefill)?;
                println!("| {} | {ms:.0} | {} |", backend_name(b), kib / 1024);
            }
            println!();
        }
        let mut stores: Vec<Box<dyn BenchStore>> = args
            .backends
            .iter()
            .map(|b| b.build(cfg))
            .collect::<Result<_>>()?;
        let mut w = Workload::new(recipients(log2), 1);
        let fill = w.batch(Kind::Create, prefill);
        for s in stores.iter_mut() {
            run_batch(s.as_mut(), &fill)?;
        }
        // times[kind][store] = per-round us/op
        let mut times = vec![vec![Vec::new(); stores.len()]; Kind::ALL.len()];
        let mut tick_ms = vec![Vec::new(); stores.len()];
        for round in 0..args.rounds {
            for (k, &kind) in Kind::ALL.iter().enumerate() {
                let batch = w.batch(kind, args.batch);
                for j in 0..stores.len() {
                    let i = (j + round) % stores.len();
                    let d = run_batch(stores[i].as_mut(), &batch)?;
                    times[k][i].push(d.as_secs_f64() * 1e6 / batch.len() as f64);
                }
            }
            for (i, s) in stores.iter_mut().enumerate() {
                let t = Instant::now();
                s.tick(NOW);
                tick_ms[i].push(t.elapsed().as_secs_f64() * 1e3);
            }
            eprintln!(
                "2^{log2}: round {} of {} done ({} live)",
                round + 1,
                args.rounds,
                w.live()
            );
        }
        let names: Vec<_> = stores.iter().map(|s| s.name()).collect();
        let mut header = String::from("| op |");
        let mut rule = String::from("|---|");
        for n in &names {
            header += &format!(" {n} us/op | {n} ops/s |");
            rule += "---|---|";
        }
        for n in &names[1..] {
            header += &format!(" {n} / {} (time) |", names[0]);
            rule += "---|";
        }
        println!("{header}\n{rule}");
        for (k, kind) in Kind::ALL.iter().enumerate() {
            let med: Vec<f64> = times[k].iter().map(|v| median(v.clone())).collect();
            // Ratio per round, then the median of ratios (robust to drift).
            let mut row = format!("| {} |", kind.name());
            for m in &med {
                row += &format!(" {m:.1} | {:.0} |", 1e6 / m);
            }
            for i in 1..stores.len() {
                let ratios: Vec<f64> = times[k][i]
                    .iter()
                    .zip(&times[k][0])
                    .map(|(b, a)| b / a)
                    .collect();
                row += &format!(" {:.3} |", median(ratios));
            }
            println!("{row}");
        }
        let ticks: Vec<String> = names
            .iter()
            .zip(&tick_ms)
            .map(|(n, t)| format!("{n} {:.2} ms", median(t.clone())))
            .collect();
        println!("\none expiry tick (median): {}\n", ticks.join(", "));
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Store(a) => store_bench(a),
        Command::Rss(a) => rss(a),
        Command::Load(a) => runtime()?.block_on(load::run(a)),
        Command::Soak(a) => runtime()?.block_on(soak::soak(a)),
        Command::Flood(a) => runtime()?.block_on(soak::flood(a)),
        Command::Directory(a) => directory::run(a),
        Command::Rendezvous(a) => rendezvous::run(a),
        Command::Blobs(a) => blobs::run(a),
        Command::Apply(a) => apply::run(a),
        Command::Tokens(a) => tokens::run(a),
        Command::Handshake(a) => handshake::run(a),
    }
}
