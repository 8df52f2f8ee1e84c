//! A nemesis test in the manner of Jepsen: three hushd nodes on loopback,
//! every peer link through a fault-injecting proxy of its own direction
//! (`common::proxy`: CI may lack root and iproute2 for network namespaces),
//! clients creating, reading, deleting and listing messages concurrently,
//! and a nemesis that, from a fixed seed, kills nodes with SIGKILL and
//! restarts them (each restart a new incarnation that must be readmitted),
//! pauses them (SIGSTOP, SIGCONT), cuts links (a node isolated both ways,
//! or only its outgoing links) and jumps the clock a node hands its
//! enclave. Every operation's invocation and outcome is recorded; after
//! the faults heal, every id is read once more, and the history must be
//! linearizable per message id (`common::history`): every acknowledged
//! create is read back unless it was deleted, nothing is read that was
//! never sent, and no read contradicts the order of completed operations.
//!
//! Kills respect what a cluster that keeps nothing across a restart can
//! survive: one node at a time, the next kill only once the restarted node
//! votes again. Pauses and cuts are not limited (they lose no state).
//!
//! `HUSH_NEMESIS_FAULTS` (default 100) faults, `HUSH_NEMESIS_SEED`
//! (default 1) for the schedule; runs and results in RELIABILITY.md.

mod common;

use common::Hushd;
use common::history::{self, Kind, Op, Outcome};
use common::proxy::Link;
use hush_attest::Policy;
use hush_client::{Client, Deadline, Identity};
use hush_wire::{MessageId, Op as WireOp, Payload, PublicKey, Request, Status};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NODES: usize = 3;
const WORKERS: usize = 3;
const RECIPIENTS: usize = 3;
/// How long one client operation may take before its outcome is unknown.
const OP_DEADLINE: Duration = Duration::from_secs(8);
/// How long the cluster may take to be whole again after a fault heals.
const RECOVERY: Duration = Duration::from_secs(90);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// GET /v1/health of the node on `port`, if it answers within a second.
fn health(port: u16) -> Option<serde_json::Value> {
    let mut s = std::net::TcpStream::connect_timeout(
        &([127, 0, 0, 1], port).into(),
        Duration::from_millis(500),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    write!(
        s,
        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    serde_json::from_str(out.split("\r\n\r\n").nth(1)?).ok()
}

struct Cluster {
    dir: tempfile::TempDir,
    peer_ports: Vec<u16>,
    client_ports: Vec<u16>,
    /// `links[a][b]`: node a dials node b through it.
    links: Vec<Vec<Option<Link>>>,
    nodes: Vec<Option<Hushd>>,
}

impl Cluster {
    fn start() -> Self {
        let peer_ports: Vec<u16> = (0..NODES).map(|_| common::free_port()).collect();
        let client_ports: Vec<u16> = (0..NODES).map(|_| common::free_port()).collect();
        let links = (0..NODES)
            .map(|a| {
                (0..NODES)
                    .map(|b| (a != b).then(|| Link::start(([127, 0, 0, 1], peer_ports[b]).into())))
                    .collect()
            })
            .collect();
        let mut c = Self {
            dir: tempfile::tempdir().unwrap(),
            peer_ports,
            client_ports,
            links,
            nodes: (0..NODES).map(|_| None).collect(),
        };
        // Together: the founder founds once every peer answers.
        let started: Vec<Hushd> = std::thread::scope(|s| {
            let c = &c;
            let starts: Vec<_> = (0..NODES).map(|i| s.spawn(move || c.launch(i))).collect();
            starts.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, node) in started.into_iter().enumerate() {
            c.nodes[i] = Some(node);
        }
        c
    }

    /// Node i's flags: its own peer port, and every other node through
    /// the proxy of the link from i.
    fn args(&self, i: usize) -> Vec<String> {
        let peers = (0..NODES)
            .map(|j| {
                let addr = match &self.links[i][j] {
                    Some(link) => link.addr.to_string(),
                    None => format!("127.0.0.1:{}", self.peer_ports[j]),
                };
                format!("{}={addr}", j + 1)
            })
            .collect::<Vec<_>>()
            .join(",");
        let clock = self.dir.path().join(format!("clock{i}"));
        [
            "--node-id",
            &(i + 1).to_string(),
            "--peers",
            &peers,
            "--capacity",
            "1024",
            "--max-accounts",
            "64",
            "--max-computations",
            "64",
            "--snapshot-every",
            "200",
            "--clock-offset-file",
            clock.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// Starts node `i`; returns once it votes (or fails the test after
    /// [`RECOVERY`]).
    fn launch(&self, i: usize) -> Hushd {
        let args = self.args(i);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Hushd::start_within(
            &format!("127.0.0.1:{}", self.client_ports[i]),
            &args,
            RECOVERY,
        )
    }

    fn restart(&mut self, i: usize) {
        self.nodes[i] = Some(self.launch(i));
    }

    fn urls(&self) -> String {
        self.client_ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn signal(&self, i: usize, signal: &str) {
        let pid = self.nodes[i].as_ref().unwrap().pid().to_string();
        let ok = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {signal} {pid}");
    }

    fn set_clock(&self, i: usize, offset: i64) {
        std::fs::write(
            self.dir.path().join(format!("clock{i}")),
            offset.to_string(),
        )
        .unwrap();
    }

    /// The leader's index, if a node says it leads.
    fn leader(&self) -> Option<usize> {
        (0..NODES).find(|&i| health(self.client_ports[i]).is_some_and(|h| h["role"] == "leader"))
    }

    /// Empty once every node serves, votes in the committed configuration,
    /// follows one leader, and that leader's voters are nodes 1 to 3.
    fn missing(&self) -> String {
        let states: Vec<_> = (0..NODES).map(|i| health(self.client_ports[i])).collect();
        let Some(l) = states
            .iter()
            .position(|h| h.as_ref().is_some_and(|h| h["role"] == "leader"))
        else {
            return format!("no leader: {states:?}");
        };
        let voters = &states[l].as_ref().unwrap()["voters"];
        if *voters != serde_json::json!([1, 2, 3]) {
            return format!("the leader's voters are {voters}");
        }
        for (i, h) in states.iter().enumerate() {
            match h {
                None => return format!("node {} does not answer", i + 1),
                Some(h) if h["voter"] != true => return format!("node {} does not vote", i + 1),
                Some(h) if h["leader"] != l + 1 => {
                    return format!("node {} follows {}", i + 1, h["leader"]);
                }
                _ => {}
            }
        }
        String::new()
    }

    fn wait_complete(&self, after: &str) {
        let start = Instant::now();
        loop {
            let m = self.missing();
            if m.is_empty() {
                return;
            }
            assert!(
                start.elapsed() < RECOVERY,
                "the cluster is not whole {} s after {after}: {m}",
                RECOVERY.as_secs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn heal_links(&self) {
        for link in self.links.iter().flatten().flatten() {
            link.heal();
        }
    }
}

fn payload(id: &MessageId) -> Payload {
    Payload::frame(format!("nemesis {}", id.to_hex()).as_bytes()).unwrap()
}

fn key(id: &MessageId) -> u128 {
    u128::from_be_bytes(*id.as_bytes())
}

/// One client of the workload: a sender and its recipients, over one
/// session acting as all of them.
struct Worker {
    index: usize,
    urls: String,
    sender: Identity,
    recipients: Vec<Identity>,
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
    rng: StdRng,
    /// Every id created (or tried), with its recipient's index.
    created: Vec<(MessageId, usize)>,
    /// Ids believed stored (created, not known deleted).
    live: Vec<(MessageId, usize)>,
    history: Arc<Mutex<Vec<Op>>>,
    /// Whether the last request was sent more than once.
    retried: bool,
    /// Listings that named an id never sent to that mailbox.
    phantoms: Arc<Mutex<Vec<String>>>,
}

impl Worker {
    fn new(
        index: usize,
        urls: String,
        seed: u64,
        history: Arc<Mutex<Vec<Op>>>,
        phantoms: Arc<Mutex<Vec<String>>>,
    ) -> Self {
        Self {
            index,
            urls,
            sender: Identity::generate("sender"),
            recipients: (0..RECIPIENTS)
                .map(|_| Identity::generate("recipient"))
                .collect(),
            client: None,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            rng: StdRng::seed_from_u64(seed),
            created: Vec::new(),
            live: Vec::new(),
            history,
            retried: false,
            phantoms,
        }
    }

    /// Runs one request; `None` when its outcome is unknown. Notes in
    /// `self.retried` whether it was sent more than once.
    fn execute(&mut self, acting_as: PublicKey, op: WireOp) -> Option<hush_wire::Response> {
        self.retried = false;
        let deadline = Some(Deadline::after(OP_DEADLINE));
        if self.client.is_none() {
            let keys = std::iter::once(&self.sender)
                .chain(&self.recipients)
                .map(Identity::keypair)
                .collect();
            let connect = Client::connect_by(&self.urls, Policy::dev(), keys, deadline);
            self.client = Some(self.runtime.block_on(connect).ok()?);
        }
        let client = self.client.as_mut().unwrap();
        client.set_deadline(deadline);
        let request = Request { acting_as, op };
        match self.runtime.block_on(client.execute(&request)) {
            Ok((response, retried)) => {
                self.retried = retried;
                Some(response)
            }
            Err(_) => {
                self.client = None;
                None
            }
        }
    }

    fn record(&self, id: &MessageId, kind: Kind, invoke: Instant, outcome: Outcome) {
        let complete = (outcome != Outcome::Unknown).then(Instant::now);
        self.history.lock().unwrap().push(Op {
            client: self.index,
            key: key(id),
            kind,
            invoke,
            complete,
            outcome,
            retried: self.retried,
        });
    }

    fn create(&mut self) {
        let id = hush_client::new_message_id();
        let to = self.rng.random_range(0..RECIPIENTS);
        self.created.push((id, to));
        let invoke = Instant::now();
        let op = WireOp::Create {
            id,
            recipient: self.recipients[to].public(),
            payload: payload(&id),
        };
        let outcome = match self.execute(self.sender.public(), op).map(|r| r.status) {
            Some(Status::Ok) => Outcome::Ok,
            Some(Status::AlreadyExists) => Outcome::AlreadyExists,
            Some(Status::MailboxFull | Status::StoreFull | Status::TooManyRecipients) => {
                Outcome::Refused
            }
            Some(s) => panic!("create answered {s:?}"),
            None => Outcome::Unknown,
        };
        if outcome != Outcome::Refused {
            self.live.push((id, to));
        }
        self.record(&id, Kind::Create, invoke, outcome);
    }

    /// Reads `id`; returns whether the outcome is known.
    fn read(&mut self, id: MessageId, to: usize) -> bool {
        let invoke = Instant::now();
        let owner = self.recipients[to].public();
        let outcome = match self.execute(owner, WireOp::Read { id }) {
            Some(r) if r.status == Status::Ok => match r.message {
                Some(m) if m.id == id && m.payload == payload(&id) => Outcome::Ok,
                _ => Outcome::WrongBytes,
            },
            Some(r) if r.status == Status::NotFound => Outcome::NotFound,
            Some(r) => panic!("read answered {:?}", r.status),
            None => Outcome::Unknown,
        };
        self.record(&id, Kind::Read, invoke, outcome);
        outcome != Outcome::Unknown
    }

    fn delete(&mut self) {
        let at = self.rng.random_range(0..self.live.len());
        let (id, to) = self.live.swap_remove(at);
        let invoke = Instant::now();
        let op = WireOp::Delete {
            id,
            recipient: self.recipients[to].public(),
        };
        let outcome = match self.execute(self.sender.public(), op).map(|r| r.status) {
            Some(Status::Ok) => Outcome::Ok,
            Some(Status::NotFound) => Outcome::NotFound,
            Some(s) => panic!("delete answered {s:?}"),
            None => Outcome::Unknown,
        };
        self.record(&id, Kind::Delete, invoke, outcome);
    }

    fn list(&mut self) {
        let to = self.rng.random_range(0..RECIPIENTS);
        let owner = self.recipients[to].public();
        if let Some(r) = self.execute(owner, WireOp::List) {
            let sent: HashSet<MessageId> = self
                .created
                .iter()
                .filter(|(_, t)| *t == to)
                .map(|(id, _)| *id)
                .collect();
            for id in r.listing.ids() {
                if !sent.contains(id) {
                    self.phantoms.lock().unwrap().push(format!(
                        "client {} listed {} in a mailbox it was never sent to",
                        self.index,
                        id.to_hex()
                    ));
                }
            }
        }
    }

    fn step(&mut self) {
        let r: f64 = self.rng.random();
        if self.live.len() < 10 || (r < 0.4 && self.live.len() < 40) {
            self.create();
        } else if r < 0.75 {
            let recent = self.created.len().saturating_sub(60);
            let (id, to) = self.created[self.rng.random_range(recent..self.created.len())];
            self.read(id, to);
        } else if r < 0.92 {
            self.delete();
        } else {
            self.list();
        }
    }

    /// After the faults: reads every id until its answer is known.
    fn read_everything(&mut self) {
        for (id, to) in self.created.clone() {
            let start = Instant::now();
            while !self.read(id, to) {
                assert!(
                    start.elapsed() < RECOVERY,
                    "the final read of {} has no answer",
                    id.to_hex()
                );
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fault {
    Kill,
    Pause,
    Isolate,
    MuteOutgoing,
    ClockJump,
}

/// Runs the nemesis: `faults` faults from `seed`; returns them by kind.
fn nemesis(cluster: &mut Cluster, seed: u64, faults: usize) -> HashMap<Fault, usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut done: HashMap<Fault, usize> = HashMap::new();
    let pick = |rng: &mut StdRng, cluster: &Cluster| match cluster.leader() {
        Some(l) if rng.random_bool(0.5) => l,
        _ => rng.random_range(0..NODES),
    };
    for n in 0..faults {
        let fault = match rng.random_range(0..100) {
            0..20 => Fault::Kill,
            20..40 => Fault::Pause,
            40..65 => Fault::Isolate,
            65..80 => Fault::MuteOutgoing,
            _ => Fault::ClockJump,
        };
        let hold = Duration::from_millis(rng.random_range(300..3000));
        match fault {
            Fault::Kill => {
                // One node at a time: the last restarted one votes again.
                cluster.wait_complete("the previous fault");
                let i = pick(&mut rng, cluster);
                drop(cluster.nodes[i].take());
                std::thread::sleep(hold / 2);
                cluster.restart(i);
                cluster.wait_complete(&format!("restarting node {}", i + 1));
            }
            Fault::Pause => {
                let i = pick(&mut rng, cluster);
                cluster.signal(i, "-STOP");
                std::thread::sleep(hold);
                cluster.signal(i, "-CONT");
            }
            Fault::Isolate | Fault::MuteOutgoing => {
                let i = pick(&mut rng, cluster);
                for j in 0..NODES {
                    if let Some(out) = &cluster.links[i][j] {
                        out.cut();
                    }
                    if fault == Fault::Isolate {
                        if let Some(inbound) = &cluster.links[j][i] {
                            inbound.cut();
                        }
                    }
                }
                std::thread::sleep(hold);
                cluster.heal_links();
            }
            Fault::ClockJump => {
                let i = rng.random_range(0..NODES);
                // Peers refuse messages stamped more than 60 s from their
                // enclave's time (peer_auth), and an enclave's time never
                // goes back: offsets stay within +-25 s, so any two nodes
                // agree within 50 s whatever jumps came before.
                cluster.set_clock(i, rng.random_range(-25..=25));
            }
        }
        *done.entry(fault).or_default() += 1;
        eprintln!("nemesis: fault {} of {faults}: {fault:?}", n + 1);
        std::thread::sleep(Duration::from_millis(rng.random_range(100..800)));
    }
    done
}

#[test]
fn the_cluster_stays_linearizable_under_kills_pauses_partitions_and_clock_jumps() {
    let faults = env_or("HUSH_NEMESIS_FAULTS", 100) as usize;
    let seed = env_or("HUSH_NEMESIS_SEED", 1);
    let started = Instant::now();
    let mut cluster = Cluster::start();
    cluster.wait_complete("the start");
    let history = Arc::new(Mutex::new(Vec::new()));
    let phantoms = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let mut worker = Worker::new(
                w,
                cluster.urls(),
                seed * 1000 + w as u64,
                history.clone(),
                phantoms.clone(),
            );
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    worker.step();
                }
                worker
            })
        })
        .collect();
    // A cluster that does not recover fails the test, but the history up
    // to then is checked first: a broken commit shows there as a lost or
    // stale read.
    let recovered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let done = nemesis(&mut cluster, seed, faults);
        // Heal everything and let the cluster settle.
        cluster.heal_links();
        cluster.wait_complete("the last fault");
        done
    }));
    stop.store(true, Ordering::SeqCst);
    let mut workers: Vec<Worker> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let done = match &recovered {
        Ok(done) => {
            // Read every id back.
            for w in &mut workers {
                w.read_everything();
            }
            done.clone()
        }
        Err(_) => HashMap::new(),
    };
    let history = history.lock().unwrap().clone();
    let count = |f: &dyn Fn(&Op) -> bool| history.iter().filter(|o| f(o)).count();
    let acked = count(&|o| o.kind == Kind::Create && o.outcome == Outcome::Ok);
    let unknown = count(&|o| o.outcome == Outcome::Unknown);
    eprintln!(
        "nemesis seed {seed}: {} faults {done:?} in {} s; {} operations, {acked} acknowledged creates, {unknown} with unknown outcome",
        done.values().sum::<usize>(),
        started.elapsed().as_secs(),
        history.len()
    );
    let bad = history::violations(&history);
    for (k, ops) in bad.iter().take(5) {
        eprintln!("id {k:032x} has no linearization:");
        let t0 = ops.iter().map(|o| o.invoke).min().unwrap();
        for o in ops {
            eprintln!(
                "  client {} {:?} at +{} ms -> {:?} at {}",
                o.client,
                o.kind,
                o.invoke.duration_since(t0).as_millis(),
                o.outcome,
                o.complete.map_or("never".into(), |c| format!(
                    "+{} ms",
                    c.duration_since(t0).as_millis()
                ))
            );
        }
    }
    let phantoms = phantoms.lock().unwrap();
    assert!(phantoms.is_empty(), "{phantoms:?}");
    assert!(bad.is_empty(), "{} ids have no linearization", bad.len());
    if let Err(panic) = recovered {
        std::panic::resume_unwind(panic);
    }
    assert!(
        acked >= 50,
        "too few acknowledged creates ({acked}) to tell"
    );
    assert_eq!(done.values().sum::<usize>(), faults);
}

/// The checker itself: histories that are not linearizable are caught.
mod checker {
    use super::*;

    fn op(kind: Kind, invoke: u64, complete: Option<u64>, outcome: Outcome) -> Op {
        let t0 = *T0;
        Op {
            client: 0,
            key: 7,
            kind,
            invoke: t0 + Duration::from_millis(invoke),
            complete: complete.map(|c| t0 + Duration::from_millis(c)),
            outcome,
            retried: false,
        }
    }

    static T0: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

    #[test]
    fn an_acknowledged_create_read_back_as_missing_is_caught() {
        let h = [
            op(Kind::Create, 0, Some(10), Outcome::Ok),
            op(Kind::Read, 20, Some(30), Outcome::NotFound),
        ];
        assert_eq!(history::violations(&h).len(), 1);
    }

    #[test]
    fn a_read_concurrent_with_its_create_may_see_either() {
        for seen in [Outcome::Ok, Outcome::NotFound] {
            let h = [
                op(Kind::Create, 0, Some(50), Outcome::Ok),
                op(Kind::Read, 10, Some(20), seen),
            ];
            assert!(history::violations(&h).is_empty(), "{seen:?}");
        }
    }

    #[test]
    fn a_create_with_no_answer_may_land_late_or_never() {
        let late = [
            op(Kind::Create, 0, None, Outcome::Unknown),
            op(Kind::Read, 10, Some(20), Outcome::NotFound),
            op(Kind::Read, 30, Some(40), Outcome::Ok),
        ];
        assert!(history::violations(&late).is_empty());
        let never = [
            op(Kind::Create, 0, None, Outcome::Unknown),
            op(Kind::Read, 30, Some(40), Outcome::NotFound),
        ];
        assert!(history::violations(&never).is_empty());
        // But once seen, it cannot vanish without a delete.
        let flicker = [
            op(Kind::Create, 0, None, Outcome::Unknown),
            op(Kind::Read, 10, Some(20), Outcome::Ok),
            op(Kind::Read, 30, Some(40), Outcome::NotFound),
        ];
        assert_eq!(history::violations(&flicker).len(), 1);
    }

    #[test]
    fn a_resent_request_may_meet_its_own_first_attempt() {
        let mut create = op(Kind::Create, 0, Some(10), Outcome::AlreadyExists);
        let read = op(Kind::Read, 20, Some(30), Outcome::Ok);
        assert_eq!(
            history::violations(&[create.clone(), read.clone()]).len(),
            1
        );
        create.retried = true;
        assert!(history::violations(&[create.clone(), read]).is_empty());
        let mut delete = op(Kind::Delete, 40, Some(50), Outcome::NotFound);
        let gone = op(Kind::Read, 60, Some(70), Outcome::NotFound);
        let h = [create.clone(), delete.clone(), gone.clone()];
        assert_eq!(history::violations(&h).len(), 1, "nothing deleted it");
        delete.retried = true;
        assert!(history::violations(&[create, delete, gone]).is_empty());
    }

    #[test]
    fn a_deleted_message_that_comes_back_is_caught() {
        let h = [
            op(Kind::Create, 0, Some(10), Outcome::Ok),
            op(Kind::Delete, 20, Some(30), Outcome::Ok),
            op(Kind::Read, 40, Some(50), Outcome::Ok),
        ];
        assert_eq!(history::violations(&h).len(), 1);
    }

    #[test]
    fn wrong_bytes_and_stale_reads_are_caught() {
        let wrong = [
            op(Kind::Create, 0, Some(10), Outcome::Ok),
            op(Kind::Read, 20, Some(30), Outcome::WrongBytes),
        ];
        assert_eq!(history::violations(&wrong).len(), 1);
        // A read after a completed delete that still finds the message.
        let stale = [
            op(Kind::Create, 0, Some(10), Outcome::Ok),
            op(Kind::Read, 15, Some(18), Outcome::Ok),
            op(Kind::Delete, 20, Some(30), Outcome::Ok),
            op(Kind::Read, 35, Some(36), Outcome::Ok),
        ];
        assert_eq!(history::violations(&stale).len(), 1);
    }
}

/// Issue 30's split brain: a restarted founder that could not reach a
/// member founded a second cluster beside the first (its health then
/// said "leader" with voters [1] while the others said [1,2,3], and what
/// clients stored through it was lost to the cluster). Now a founder
/// founds only when every peer answers that it is not a member: cut off,
/// it waits, and joins once the links heal.
#[test]
fn a_restarted_founder_cut_off_from_its_peers_founds_no_second_cluster() {
    let mut cluster = Cluster::start();
    cluster.wait_complete("the start");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (sender, recipient) = (Identity::generate("s"), Identity::generate("r"));
    let keys = || vec![sender.keypair(), recipient.keypair()];
    let id = hush_client::new_message_id();
    rt.block_on(async {
        let mut c = Client::connect(&cluster.urls(), Policy::dev(), keys())
            .await
            .unwrap();
        let request = Request {
            acting_as: sender.public(),
            op: WireOp::Create {
                id,
                recipient: recipient.public(),
                payload: payload(&id),
            },
        };
        assert_eq!(c.execute(&request).await.unwrap().0.status, Status::Ok);
    });

    drop(cluster.nodes[0].take());
    for j in 1..NODES {
        cluster.links[0][j].as_ref().unwrap().cut();
    }
    let restarted = std::thread::scope(|s| {
        let c = &cluster;
        let node = s.spawn(move || c.launch(0));
        std::thread::sleep(Duration::from_secs(5));
        let h = health(cluster.client_ports[0]);
        assert!(
            h.is_none(),
            "node 1, cut off from every member, serves on its own: {h:?}"
        );
        cluster.heal_links();
        node.join().unwrap()
    });
    cluster.nodes[0] = Some(restarted);
    cluster.wait_complete("the restart");
    // Node 1 follows the one leader, and the message stored before is
    // still in the cluster.
    let (r, _) = rt
        .block_on(async {
            let mut c = Client::connect(&cluster.urls(), Policy::dev(), keys()).await?;
            let request = Request {
                acting_as: recipient.public(),
                op: WireOp::Read { id },
            };
            c.execute(&request).await
        })
        .unwrap();
    assert_eq!(r.status, Status::Ok, "the message is gone");

    // A follower asked alone names the leader's client address (not its
    // peer address), which a client given the whole list tries next.
    let leader = cluster.leader().expect("a leader");
    let follower = (leader + 1) % NODES;
    let err = rt
        .block_on(async {
            let url = format!("127.0.0.1:{}", cluster.client_ports[follower]);
            let mut c = Client::connect(&url, Policy::dev(), keys()).await?;
            c.set_attempts(1);
            let request = Request {
                acting_as: recipient.public(),
                op: WireOp::List,
            };
            c.execute(&request).await
        })
        .unwrap_err()
        .to_string();
    let at = format!("is at 127.0.0.1:{}", cluster.client_ports[leader]);
    assert!(err.contains("not the leader") && err.contains(&at), "{err}");
}
