//! `hush-bench soak` and `hush-bench flood`: long runs against a spawned
//! hushd that check nothing is lost, memory stays flat, and the session
//! table stays bounded.

use crate::load::{EXPIRY_MARGIN, Worker, http_get, rss_kib, spawn_hushd_at};
use crate::workload::Kind;
use anyhow::{Result, bail};
use hush_client::session::Handshake;
use hush_client::{Identity, SealedPayload, new_message_id};
use hush_wire::Payload;
use hush_wire::grpc::v1::HandshakeRequest;
use hush_wire::grpc::v1::broker_client::BrokerClient;
use std::time::{Duration, Instant};

/// Options of the soak run.
#[derive(clap::Parser, Clone)]
pub struct SoakArgs {
    /// Minutes to run.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Message TTL of the spawned hushd, in seconds (short: expiry all the time).
    #[arg(long, default_value_t = 20)]
    ttl_secs: u64,
    /// Capacity (power of two) of the spawned hushd.
    #[arg(long, default_value_t = 14)]
    log2: u32,
    /// Seconds between RSS samples.
    #[arg(long, default_value_t = 15)]
    sample_secs: u64,
    /// Send the broker's requests over hushd's plain-TCP transport
    /// (--tcp-listen) instead of gRPC.
    #[arg(long)]
    tcp: bool,
}

/// Runs the soak and prints Markdown.
pub async fn soak(args: SoakArgs) -> Result<()> {
    let ttl = args.ttl_secs.to_string() + "s";
    let mut flags = vec!["--ttl", &ttl];
    if args.tcp {
        flags.extend(["--tcp-listen", "127.0.0.1:0"]);
    }
    let (child, addrs) = spawn_hushd_at(args.log2, &flags, false)?;
    let (url, tcp) = (addrs.url, addrs.tcp);
    let pid = child.0.id();
    let channel_for = |_: usize| tonic::transport::Endpoint::from_shared(url.clone());
    let mut tasks = Vec::new();
    let deadline = Instant::now() + Duration::from_secs_f64(args.minutes * 60.0);
    for n in 0..args.clients {
        let channel = channel_for(n)?.connect().await?;
        let mut w = Worker::new(&url, channel, n, true, tcp.as_deref()).await?;
        w.set_ttl(Duration::from_secs(args.ttl_secs));
        tasks.push(tokio::spawn(async move {
            let (mut ops, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                if w.one(Kind::Mixed).await.is_err() {
                    errors += 1;
                }
                ops += 1;
            }
            (w, ops, errors)
        }));
    }
    let start = Instant::now();
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        samples.push((start.elapsed().as_secs(), rss_kib(pid)?));
        tokio::time::sleep(
            Duration::from_secs(args.sample_secs)
                .min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
    }
    samples.push((start.elapsed().as_secs(), rss_kib(pid)?));
    let (mut ops, mut errors, mut workers) = (0, 0, Vec::new());
    for t in tasks {
        let (w, o, e) = t.await?;
        ops += o;
        errors += e;
        workers.push(w);
    }
    let elapsed = start.elapsed();
    // Everything in a ledger must read back exactly; then wait out the TTL
    // plus a full sweep and check the retired ones are gone.
    let (mut lost, mut corrupted, mut live) = (0, 0, 0);
    for w in workers.iter_mut() {
        let (l, c) = w.verify().await?;
        live += w.ledger.len();
        lost += l;
        corrupted += c;
    }
    tokio::time::sleep(Duration::from_secs(args.ttl_secs) + EXPIRY_MARGIN).await;
    let (mut expired_checked, mut expired_readable) = (0, 0);
    for w in workers.iter_mut() {
        let (c, r) = w.verify_expired().await?;
        expired_checked += c;
        expired_readable += r;
    }
    let warm = samples
        .iter()
        .find(|(t, _)| *t >= 60)
        .or(samples.first())
        .map(|s| s.1)
        .unwrap_or(0);
    let end = samples.last().map(|s| s.1).unwrap_or(0);
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let growth = if warm > 0 {
        (end as f64 - warm as f64) / warm as f64 * 100.0
    } else {
        0.0
    };
    println!(
        "## Soak: {} clients{}, TTL {} s, capacity 2^{}, {:.1} min\n",
        args.clients,
        if args.tcp { " over plain TCP" } else { "" },
        args.ttl_secs,
        args.log2,
        elapsed.as_secs_f64() / 60.0
    );
    println!("| measure | value |\n|---|---|");
    println!(
        "| requests | {ops} ({:.0}/s) |",
        ops as f64 / elapsed.as_secs_f64()
    );
    println!("| requests with an unexpected status | {errors} |");
    println!("| live messages read back at the end | {live}: {lost} lost, {corrupted} corrupted |");
    println!(
        "| messages left to expire, checked unreadable 3 s after their TTL | {expired_checked}: {expired_readable} still readable |"
    );
    println!(
        "| hushd RSS after 1 min / at the end / max | {} / {} / {} KiB |",
        warm, end, max
    );
    println!("| RSS growth after warm-up | {growth:+.1}% |\n");
    let series: Vec<String> = samples
        .iter()
        .map(|(t, k)| format!("{t}s:{}M", k / 1024))
        .collect();
    println!("RSS samples: {}\n", series.join(" "));
    drop(child);
    if errors + lost as u64 + corrupted as u64 + expired_readable as u64 > 0 || growth > 5.0 {
        bail!("the soak failed its checks");
    }
    Ok(())
}

/// Options of the flood run.
#[derive(clap::Parser, Clone)]
pub struct FloodArgs {
    /// Handshakes without key proofs.
    #[arg(long, default_value_t = 100_000)]
    handshakes: usize,
    /// Sessions opened with key proofs, used once, and abandoned.
    #[arg(long, default_value_t = 100_000)]
    abandoned: usize,
    /// The hushd session table bound.
    #[arg(long, default_value_t = 1024)]
    max_sessions: usize,
    /// Concurrent flooding tasks.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

fn sessions_open(metrics_url: &str) -> Result<f64> {
    let body = http_get(metrics_url)?;
    let v = body
        .lines()
        .find_map(|l| l.strip_prefix("hush_sessions_open "))
        .unwrap_or("0");
    Ok(v.trim().parse()?)
}

/// Runs both floods while a well-behaved client keeps working.
pub async fn flood(args: FloodArgs) -> Result<()> {
    let max = args.max_sessions.to_string();
    let (child, addrs) = spawn_hushd_at(12, &["--max-sessions", &max], true)?;
    let (url, murl) = (addrs.url, addrs.metrics.expect("metrics enabled"));
    let pid = child.0.id();
    let rss_start = rss_kib(pid)?;
    // The well-behaved client: one request every 10 ms throughout.
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let mut good = hush_client::Client::connect(
        &url,
        hush_attest::Policy::dev(),
        vec![alice.keypair(), bob.keypair()],
    )
    .await?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let good_task = tokio::spawn(async move {
        let (mut ok, mut failed) = (0u64, 0u64);
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let id = new_message_id();
            let r = async {
                good.create(
                    alice.public(),
                    id,
                    bob.public(),
                    SealedPayload::unencrypted(Payload::frame(b"still working")?),
                )
                .await?;
                good.read(bob.public(), id).await?;
                good.delete(bob.public(), id, bob.public()).await?;
                anyhow::Ok(())
            }
            .await;
            if r.is_ok() {
                ok += 1
            } else {
                failed += 1
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (ok, failed)
    });

    let mut rows = Vec::new();
    for (phase, total, prove) in [
        ("handshakes without key proofs", args.handshakes, false),
        (
            "sessions opened, used once, abandoned",
            args.abandoned,
            true,
        ),
    ] {
        let start = Instant::now();
        let mut peak_sessions = 0.0f64;
        let mut tasks = Vec::new();
        for t in 0..args.concurrency {
            let url = url.clone();
            let n = total / args.concurrency + usize::from(t < total % args.concurrency);
            tasks.push(tokio::spawn(async move {
                let channel = tonic::transport::Endpoint::from_shared(url.clone())?
                    .connect()
                    .await?;
                let mut raw = BrokerClient::new(channel.clone());
                let who = Identity::generate("flood");
                for _ in 0..n {
                    if prove {
                        let mut c = hush_client::Client::over(
                            channel.clone(),
                            &url,
                            hush_attest::Policy::dev(),
                            vec![who.keypair()],
                        )
                        .await?;
                        c.list(who.public()).await?;
                    } else {
                        let hs = Handshake::start()?;
                        raw.handshake(HandshakeRequest {
                            message: hs.message,
                        })
                        .await?;
                    }
                }
                anyhow::Ok(())
            }));
        }
        let mut rss_peak = 0;
        while !tasks.iter().all(|t| t.is_finished()) {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            peak_sessions = peak_sessions.max(sessions_open(&murl)?);
            rss_peak = rss_peak.max(rss_kib(pid)?);
        }
        for t in tasks {
            t.await??;
        }
        tokio::time::sleep(Duration::from_millis(1200)).await;
        peak_sessions = peak_sessions.max(sessions_open(&murl)?);
        rss_peak = rss_peak.max(rss_kib(pid)?);
        rows.push((phase, total, start.elapsed(), peak_sessions, rss_peak));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed) = good_task.await?;
    let rss_end = rss_kib(pid)?;
    println!(
        "## Session floods: session table bound {}\n",
        args.max_sessions
    );
    println!(
        "| flood | count | time | peak sessions open | peak hushd RSS |\n|---|---|---|---|---|"
    );
    for (phase, total, t, s, r) in &rows {
        println!(
            "| {phase} | {total} | {:.0} s | {s:.0} | {} MiB |",
            t.as_secs_f64(),
            r / 1024
        );
    }
    println!(
        "\nhushd RSS: {} MiB before, {} MiB after. Well-behaved client throughout: {ok} create/read/delete cycles succeeded, {failed} failed.\n",
        rss_start / 1024,
        rss_end / 1024
    );
    drop(child);
    if failed > 0 || rows.iter().any(|r| r.3 > args.max_sessions as f64) {
        bail!("the flood run failed its checks");
    }
    Ok(())
}
