//! `hush-bench load`: many concurrent clients over real gRPC against a
//! `hushd`, measured in the same run as the in-process store at the same
//! capacity, then an open-loop phase at half the measured throughput for
//! latency, then a check that nothing was lost.
//!
//! Each client proves four keys (one sender, three mailboxes it owns),
//! keeps a ledger of the messages it created and not deleted, and runs a mix
//! of 30% create, 30% read, 10% read-next, 10% update, 20% delete. At the
//! end every ledger message must be readable with its exact payload.

use crate::backend::{Backend, BenchStore};
use crate::workload::{Kind, Workload};
use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use hush_client::{Client, ClientError, Identity, SealedPayload, new_message_id};
use hush_enclave::StoreConfig;
use hush_wire::{MessageId, Payload, PublicKey, Status};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Messages a client keeps per mailbox at most (the mailbox holds 62).
const PER_MAILBOX: usize = 50;
/// Mailboxes each client owns.
const MAILBOXES: usize = 3;
/// With a TTL, this mailbox only receives messages that are left to expire
/// (never read, updated or deleted until the final check).
const EXPIRY_MAILBOX: usize = MAILBOXES - 1;
/// Payload content length.
const CONTENT_LEN: usize = 200;

/// Options of the load run.
#[derive(clap::Parser, Clone)]
pub struct LoadArgs {
    /// Broker to load [default: start a hushd child with --capacity 2^log2].
    #[arg(long)]
    server: Option<String>,
    /// Capacity (power of two) of the spawned hushd and the in-process store.
    #[arg(long, default_value_t = 16)]
    log2: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Requests per client per round.
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Rounds (the in-process store and the load alternate).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds of the open-loop latency phase at half the measured load.
    #[arg(long, default_value_t = 10)]
    latency_secs: u64,
    /// Send one unary Query call per request instead of using each
    /// client's long-lived QueryStream.
    #[arg(long)]
    unary: bool,
    /// TCP connections the clients share [default: one per client].
    #[arg(long)]
    connections: Option<usize>,
    /// Let the load generator's threads run on every CPU, the spawned
    /// hushd's enclave CPU included [default: only on the CPUs hushd
    /// leaves to its async workers; see client_cpus.rs].
    #[arg(long)]
    clients_anywhere: bool,
    /// Send the broker's requests as sealed frames over plain TCP (hushd's
    /// --tcp-listen) instead of gRPC; sessions still start over gRPC.
    #[arg(long)]
    tcp: bool,
    /// The TCP transport's address of --server (with --tcp).
    #[arg(long, requires = "server", requires = "tcp")]
    tcp_server: Option<String>,
}

pub(crate) struct Spawned(pub(crate) Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where a spawned hushd listens.
pub(crate) struct Addresses {
    /// gRPC.
    pub(crate) url: String,
    /// Metrics, if asked for.
    pub(crate) metrics: Option<String>,
    /// The TCP transport, if asked for (`--tcp-listen`).
    pub(crate) tcp: Option<String>,
}

/// Starts hushd at capacity 2^`log2` with `extra` flags (and, if
/// `metrics`, metrics on a random port), and reads the addresses it prints.
pub(crate) fn spawn_hushd_at(
    log2: u32,
    extra: &[&str],
    metrics: bool,
) -> Result<(Spawned, Addresses)> {
    let exe = std::env::current_exe()?;
    let hushd = exe.parent().context("binary directory")?.join("hushd");
    if !hushd.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p hushd)",
            hushd.display()
        );
    }
    let metrics_addr = if metrics { "127.0.0.1:0" } else { "off" };
    let mut child = Command::new(&hushd)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            metrics_addr,
            "--capacity",
            &(1u64 << log2).to_string(),
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting hushd")?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let (mut url, mut murl, mut tcp) = (None, None, None);
    for line in lines.by_ref() {
        let line = line?;
        if let Some(u) = line.strip_prefix("hushd: oblivious message broker listening on ") {
            url = Some(u.trim().to_owned());
        } else if let Some(u) = line.strip_prefix("hushd: metrics on ") {
            murl = Some(u.trim().to_owned());
        } else if let Some(a) = line.strip_prefix("hushd: broker query stream over TCP on ") {
            tcp = Some(a.trim().to_owned());
        } else if line.starts_with("hushd: capacity") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Ok((
        Spawned(child),
        Addresses {
            url: url.context("hushd did not print its address")?,
            metrics: murl,
            tcp,
        },
    ))
}

/// Resident memory of a process, in KiB.
pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?)
}

/// Fetches a metrics page over plain HTTP/1.1.
pub(crate) fn http_get(url: &str) -> Result<String> {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').context("metrics URL")?;
    let mut s = std::net::TcpStream::connect(host)?;
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[derive(Clone)]
pub(crate) struct Live {
    id: MessageId,
    mailbox: usize,
    seq: u64,
    /// When the broker last stamped it (create or update), as seen here.
    stamped: Instant,
}

pub(crate) struct Worker {
    n: usize,
    client: Client,
    sender: PublicKey,
    mailboxes: Vec<PublicKey>,
    pub(crate) ledger: Vec<Live>,
    rng: ChaCha8Rng,
    seq: u64,
    /// With a TTL: messages this close to expiry leave the ledger (they may
    /// or may not be readable) and go to `expiring`.
    ttl: Option<Duration>,
    pub(crate) expiring: Vec<Live>,
    /// Messages checked unreadable after their TTL, and those still readable.
    pub(crate) expired_checked: usize,
    pub(crate) expired_readable: usize,
}

/// Messages within this margin of their expiry are neither required to be
/// readable nor required to be gone.
pub(crate) const EXPIRY_MARGIN: Duration = Duration::from_secs(3);

/// A payload that says who wrote it and when, to check reads against.
/// Sent unencrypted: the load generator measures the broker, not the
/// clients' HPKE (which costs the broker nothing: it sees 936 bytes either
/// way).
fn content(client: usize, seq: u64) -> SealedPayload {
    let stamp = format!("client {client} message {seq} ");
    let bytes: Vec<u8> = stamp.bytes().cycle().take(CONTENT_LEN).collect();
    SealedPayload::unencrypted(Payload::frame(&bytes).expect("fits"))
}

impl Worker {
    pub(crate) async fn new(
        url: &str,
        channel: tonic::transport::Channel,
        n: usize,
        stream: bool,
        tcp: Option<&str>,
    ) -> Result<Self> {
        let ids: Vec<_> = (0..=MAILBOXES)
            .map(|k| Identity::generate(&format!("c{n}k{k}")))
            .collect();
        let keys = ids.iter().map(|i| i.keypair()).collect();
        let mut client = Client::over(channel, url, hush_attest::Policy::dev(), keys).await?;
        client.use_stream(stream);
        if let Some(addr) = tcp {
            client.use_tcp(addr)?;
        }
        Ok(Self {
            n,
            client,
            sender: ids[0].public(),
            mailboxes: ids[1..].iter().map(|i| i.public()).collect(),
            ledger: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(n as u64),
            seq: 0,
            ttl: None,
            expiring: Vec::new(),
            expired_checked: 0,
            expired_readable: 0,
        })
    }

    /// Expects messages to expire after `ttl`.
    pub(crate) fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = Some(ttl);
    }

    /// Moves messages near their expiry out of the ledger.
    fn retire_expiring(&mut self) {
        let Some(ttl) = self.ttl else { return };
        let limit = ttl.saturating_sub(EXPIRY_MARGIN);
        let (keep, old): (Vec<_>, Vec<_>) = self
            .ledger
            .drain(..)
            .partition(|l| l.stamped.elapsed() < limit);
        self.ledger = keep;
        self.expiring.extend(old);
    }

    fn mailbox_load(&self, m: usize) -> usize {
        self.ledger.iter().filter(|l| l.mailbox == m).count()
    }

    /// Reads messages that are past their TTL by more than the margin:
    /// each must be gone.
    async fn check_due_expired(&mut self) -> Result<(), ClientError> {
        let ttl = self.ttl.unwrap_or_default();
        let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.expiring)
            .into_iter()
            .partition(|l| l.stamped.elapsed() >= ttl + EXPIRY_MARGIN);
        self.expiring = rest;
        for l in due {
            self.expired_checked += 1;
            match self.client.read(self.mailboxes[l.mailbox], l.id).await {
                Ok(_) => self.expired_readable += 1,
                Err(e) if e.status() == Some(Status::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// With a TTL: creates a message that nobody touches until it must be gone.
    async fn leave_to_expire(&mut self) -> Result<(), ClientError> {
        self.check_due_expired().await?;
        let ttl = self.ttl.unwrap_or_default();
        let waiting = self
            .expiring
            .iter()
            .filter(|l| l.mailbox == EXPIRY_MAILBOX && l.stamped.elapsed() < ttl + EXPIRY_MARGIN)
            .count();
        if waiting >= PER_MAILBOX {
            return Ok(());
        }
        let live = self.create_in(EXPIRY_MAILBOX).await?;
        self.expiring.push(live);
        Ok(())
    }

    /// Creates the next message of this client's sequence in mailbox `m`.
    async fn create_in(&mut self, m: usize) -> Result<Live, ClientError> {
        self.seq += 1;
        let id = new_message_id();
        let sent = Instant::now();
        self.client
            .create(
                self.sender,
                id,
                self.mailboxes[m],
                content(self.n, self.seq),
            )
            .await?;
        Ok(Live {
            id,
            mailbox: m,
            seq: self.seq,
            stamped: sent,
        })
    }

    /// One request of the mix; an error is an unexpected status.
    pub(crate) async fn one(&mut self, kind: Kind) -> Result<(), ClientError> {
        self.retire_expiring();
        if self.ttl.is_some() && self.rng.random_range(0..50) == 0 {
            return self.leave_to_expire().await;
        }
        let kind = match kind {
            Kind::Mixed => match self.rng.random_range(0..10) {
                0..=2 => Kind::Create,
                3..=5 => Kind::Read,
                6 => Kind::ReadNext,
                7 => Kind::Update,
                _ => Kind::Delete,
            },
            k => k,
        };
        let kind = if self.ledger.is_empty() {
            Kind::Create
        } else {
            kind
        };
        match kind {
            Kind::Create => {
                let usable = if self.ttl.is_some() {
                    EXPIRY_MAILBOX
                } else {
                    MAILBOXES
                };
                let m = self.rng.random_range(0..usable);
                if self.mailbox_load(m) >= PER_MAILBOX {
                    return self.delete().await;
                }
                let live = self.create_in(m).await?;
                self.ledger.push(live);
            }
            Kind::Read => {
                let l = self.ledger[self.rng.random_range(0..self.ledger.len())].clone();
                self.client.read(self.mailboxes[l.mailbox], l.id).await?;
            }
            Kind::ReadNext => {
                let l = self.ledger[self.rng.random_range(0..self.ledger.len())].clone();
                if self
                    .client
                    .read_next(self.mailboxes[l.mailbox])
                    .await?
                    .is_none()
                {
                    return Err(ClientError::Status(Status::NotFound));
                }
            }
            Kind::Update => {
                let i = self.rng.random_range(0..self.ledger.len());
                self.seq += 1;
                let (id, m, seq) = (self.ledger[i].id, self.ledger[i].mailbox, self.seq);
                let sent = Instant::now();
                self.client
                    .update(self.sender, id, self.mailboxes[m], content(self.n, seq))
                    .await?;
                self.ledger[i].seq = seq;
                self.ledger[i].stamped = sent;
            }
            Kind::Delete | Kind::Mixed => return self.delete().await,
        }
        Ok(())
    }

    async fn delete(&mut self) -> Result<(), ClientError> {
        let i = self.rng.random_range(0..self.ledger.len());
        let l = self.ledger.swap_remove(i);
        self.client
            .delete(self.sender, l.id, self.mailboxes[l.mailbox])
            .await
    }

    /// Reads back every ledger message; returns (lost, corrupted).
    pub(crate) async fn verify(&mut self) -> Result<(usize, usize)> {
        self.retire_expiring();
        let (mut lost, mut corrupted) = (0, 0);
        for l in self.ledger.clone() {
            match self.client.read(self.mailboxes[l.mailbox], l.id).await {
                Ok(r)
                    if r.message.payload == *content(self.n, l.seq).payload()
                        && r.message.sender == self.sender => {}
                Ok(_) => corrupted += 1,
                Err(e) if e.status() == Some(Status::NotFound) => lost += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok((lost, corrupted))
    }

    /// Checks every retired message that is now past its TTL by the margin;
    /// returns the totals (checked, still readable) of the whole run.
    pub(crate) async fn verify_expired(&mut self) -> Result<(usize, usize)> {
        self.check_due_expired().await?;
        Ok((self.expired_checked, self.expired_readable))
    }
}

struct RoundResult {
    workers: Vec<Worker>,
    hist: Histogram<u64>,
    errors: usize,
    elapsed: Duration,
    ops: usize,
}

/// Closed loop: every client sends `requests` back to back.
async fn closed_round(workers: Vec<Worker>, requests: usize) -> Result<RoundResult> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for mut w in workers {
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3).expect("histogram");
            let mut errors = 0;
            for _ in 0..requests {
                let t = Instant::now();
                if w.one(Kind::Mixed).await.is_err() {
                    errors += 1;
                }
                hist.record(t.elapsed().as_micros() as u64)
                    .expect("in range");
            }
            (w, hist, errors)
        }));
    }
    collect(tasks, start).await
}

/// Open loop: each client sends at a fixed rate; latency counts from the
/// scheduled send time (no coordinated omission).
async fn open_round(workers: Vec<Worker>, total_rate: f64, secs: u64) -> Result<RoundResult> {
    let per_client = Duration::from_secs_f64(workers.len() as f64 / total_rate);
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (i, mut w) in workers.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3).expect("histogram");
            let mut errors = 0;
            // Spread the clients' phases over one period.
            let offset = per_client.mul_f64(i as f64 / 16.0);
            let mut next = start + offset;
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                if w.one(Kind::Mixed).await.is_err() {
                    errors += 1;
                }
                hist.record(next.elapsed().as_micros() as u64)
                    .expect("in range");
                next += per_client;
            }
            (w, hist, errors)
        }));
    }
    collect(tasks, start).await
}

type TaskOut = (Worker, Histogram<u64>, usize);

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<TaskOut>>,
    start: Instant,
) -> Result<RoundResult> {
    let mut workers = Vec::new();
    let mut hist = Histogram::<u64>::new(3)?;
    let mut errors = 0;
    for t in tasks {
        let (w, h, e) = t.await?;
        workers.push(w);
        hist.add(&h)?;
        errors += e;
    }
    let ops = hist.len() as usize;
    Ok(RoundResult {
        workers,
        hist,
        errors,
        elapsed: start.elapsed(),
        ops,
    })
}

fn in_process_round(store: &mut dyn BenchStore, w: &mut Workload, n: usize) -> Result<f64> {
    let batch = w.batch(Kind::Mixed, n);
    let start = Instant::now();
    for r in &batch {
        let resp = store.execute(r, crate::NOW);
        if resp.as_bytes()[0] != Status::Ok.code() {
            bail!(
                "in-process request failed with status {}",
                resp.as_bytes()[0]
            );
        }
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Runs the load benchmark and prints Markdown.
pub async fn run(args: LoadArgs) -> Result<()> {
    let _child;
    let (url, tcp) = match &args.server {
        Some(u) => (u.clone(), args.tcp_server.clone()),
        None => {
            let extra: &[&str] = if args.tcp {
                &["--tcp-listen", "127.0.0.1:0"]
            } else {
                &[]
            };
            let (c, a) = spawn_hushd_at(args.log2, extra, false)?;
            _child = c;
            if !args.clients_anywhere
                && let Some(cpus) = crate::client_cpus::confine_off_the_enclave_cpu()?
            {
                println!("load generator on CPU(s) {cpus:?}, off hushd's enclave CPU\n");
            }
            (a.url, a.tcp)
        }
    };
    if args.tcp && tcp.is_none() {
        bail!("--tcp needs the server's TCP address: --tcp-server HOST:PORT (hushd --tcp-listen)");
    }
    let transport = if args.tcp {
        "sealed frames over plain TCP"
    } else if args.unary {
        "unary Query"
    } else {
        "QueryStream"
    };
    let conns = args
        .connections
        .unwrap_or(args.clients)
        .clamp(1, args.clients);
    println!(
        "## End to end: {} clients on {conns} connection(s) ({transport}) vs the in-process store, capacity 2^{}\n",
        args.clients, args.log2
    );
    let config = StoreConfig::new(1 << args.log2, crate::TTL_SECS)?;
    let mut store = Backend::Hush.build(config)?;
    let mut w = Workload::new((1u32 << args.log2) / 32, 3);
    let fill = w.batch(Kind::Create, (1usize << args.log2) / 32);
    for r in &fill {
        store.execute(r, crate::NOW);
    }

    let connections = args
        .connections
        .unwrap_or(args.clients)
        .clamp(1, args.clients);
    let mut channels = Vec::new();
    for _ in 0..connections {
        channels.push(
            tonic::transport::Endpoint::from_shared(url.clone())?
                .connect()
                .await?,
        );
    }
    let mut workers = Vec::new();
    for n in 0..args.clients {
        let channel = channels[n % connections].clone();
        workers.push(Worker::new(&url, channel, n, !args.unary, tcp.as_deref()).await?);
    }
    // Warm up: give every client some messages.
    let warm = closed_round(workers, 40).await?;
    workers = warm.workers;

    let mut rows = Vec::new();
    let mut total_errors = warm.errors;
    let mut all = Histogram::<u64>::new(3)?;
    for round in 0..args.rounds {
        let local = tokio::task::block_in_place(|| {
            in_process_round(store.as_mut(), &mut w, args.requests * 4)
        })?;
        let r = closed_round(workers, args.requests).await?;
        workers = r.workers;
        let remote = r.ops as f64 / r.elapsed.as_secs_f64();
        total_errors += r.errors;
        all.add(&r.hist)?;
        eprintln!(
            "round {}: in-process {local:.0} ops/s, load {remote:.0} ops/s",
            round + 1
        );
        rows.push((local, remote));
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let local = med(rows.iter().map(|r| r.0).collect());
    let remote = med(rows.iter().map(|r| r.1).collect());
    let ratio = med(rows.iter().map(|r| r.1 / r.0).collect());
    println!(
        "| round | in-process store ops/s | {} clients over {} ops/s | ratio |\n|---|---|---|---|",
        args.clients,
        if args.tcp { "TCP" } else { "gRPC" }
    );
    for (i, (l, r)) in rows.iter().enumerate() {
        println!("| {} | {l:.0} | {r:.0} | {:.2} |", i + 1, r / l);
    }
    println!("| median | {local:.0} | {remote:.0} | {ratio:.2} |\n");
    println!(
        "closed-loop latency (all rounds): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
        ms(all.value_at_quantile(0.5)),
        ms(all.value_at_quantile(0.9)),
        ms(all.value_at_quantile(0.99)),
        ms(all.max())
    );

    let half = remote / 2.0;
    let r = open_round(workers, half, args.latency_secs).await?;
    workers = r.workers;
    total_errors += r.errors;
    let achieved = r.ops as f64 / r.elapsed.as_secs_f64();
    println!(
        "open loop at half load (target {half:.0} ops/s, achieved {achieved:.0} ops/s, {} s): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
        args.latency_secs,
        ms(r.hist.value_at_quantile(0.5)),
        ms(r.hist.value_at_quantile(0.9)),
        ms(r.hist.value_at_quantile(0.99)),
        ms(r.hist.max())
    );

    let (mut lost, mut corrupted, mut checked) = (0, 0, 0);
    for w in workers.iter_mut() {
        checked += w.ledger.len();
        let (l, c) = w.verify().await?;
        lost += l;
        corrupted += c;
    }
    println!(
        "verification: {checked} live messages read back: {lost} lost, {corrupted} corrupted; {total_errors} requests failed\n"
    );
    if lost + corrupted + total_errors > 0 {
        bail!("the load run lost or corrupted messages, or requests failed");
    }
    Ok(())
}
