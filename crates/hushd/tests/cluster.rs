//! Three hushd nodes on loopback replicating through raft: clients write
//! through the leader while the leader is killed with SIGKILL, three times;
//! a new leader takes over, every acknowledged message is read back byte
//! for byte and none is duplicated, and each killed node restarts and
//! catches up. With two of three killed, the survivor refuses writes with
//! a clear error. A rendezvous computation made through one leader is
//! completed through the next: its id carries the cluster's epoch.

mod common;

use common::Hushd;
use hush_attest::Policy;
use hush_client::{Client, ClientError, Identity, SealedPayload};
use hush_wire::rendezvous::{ComputationType, Submission};
use hush_wire::{MessageId, Payload, PublicKey};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NODES: u64 = 3;
const RECIPIENTS: usize = 16;

/// The cluster tests run one at a time: each starts three nodes.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Cluster {
    peers: String,
    peer_ports: Vec<u16>,
    client_ports: Vec<u16>,
    nodes: Vec<Option<Hushd>>,
}

impl Cluster {
    fn start() -> Self {
        let peer_ports: Vec<u16> = (0..NODES).map(|_| common::free_port()).collect();
        let client_ports: Vec<u16> = (0..NODES).map(|_| common::free_port()).collect();
        let peers = peer_ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}=127.0.0.1:{p}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let mut c = Self {
            peers,
            peer_ports,
            client_ports,
            nodes: (0..NODES).map(|_| None).collect(),
        };
        c.start_all();
        c
    }

    /// Starts every node together: a founder founds only once every peer
    /// answers that it is not a member.
    fn start_all(&mut self) {
        let started: Vec<Hushd> = std::thread::scope(|s| {
            let c = &*self;
            let starts: Vec<_> = (0..NODES as usize)
                .map(|i| s.spawn(move || c.launch(i)))
                .collect();
            starts.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, node) in started.into_iter().enumerate() {
            self.nodes[i] = Some(node);
        }
    }

    fn start_node(&mut self, i: usize) {
        self.nodes[i] = Some(self.launch(i));
    }

    /// Starts node `i`; returns once it votes.
    fn launch(&self, i: usize) -> Hushd {
        let listen = format!("127.0.0.1:{}", self.client_ports[i]);
        let id = (i + 1).to_string();
        Hushd::start_on(
            &listen,
            &[
                "--node-id",
                &id,
                "--peers",
                &self.peers,
                "--capacity",
                "1024",
                "--max-accounts",
                "64",
                "--max-computations",
                "64",
                // Snapshots often: a restarted node needs entries the
                // leader has purged, and catches up from a snapshot.
                "--snapshot-every",
                "25",
            ],
        )
    }

    fn urls(&self) -> Vec<String> {
        self.client_ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect()
    }

    /// SIGKILL node `i`.
    fn kill(&mut self, i: usize) {
        drop(self.nodes[i].take());
    }
}

/// A client that finds the leader among `urls` and fails over.
struct Failover {
    urls: Vec<String>,
    keys: Vec<Identity>,
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
}

impl Failover {
    fn new(urls: Vec<String>, keys: Vec<Identity>) -> Self {
        Self {
            urls,
            keys,
            client: None,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    /// Runs `op` on the leader, trying every server until one answers or
    /// `deadline` passes; the same request is re-sent unchanged.
    fn run<T>(
        &mut self,
        deadline: Duration,
        mut op: impl AsyncFnMut(&mut Client) -> Result<T, ClientError>,
    ) -> Result<T, String> {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < deadline {
            for url in self.urls.clone() {
                if self.client.is_none() {
                    let kps = self.keys.iter().map(|k| k.keypair()).collect();
                    match self
                        .runtime
                        .block_on(Client::connect(&url, Policy::dev(), kps))
                    {
                        Ok(mut c) => {
                            c.set_attempts(1);
                            self.client = Some(c);
                        }
                        Err(e) => {
                            last = e.to_string();
                            continue;
                        }
                    }
                }
                let client = self.client.as_mut().unwrap();
                match self.runtime.block_on(op(client)) {
                    Ok(v) => return Ok(v),
                    Err(
                        e @ (ClientError::Status(_)
                        | ClientError::KeyProof(_)
                        | ClientError::Rendezvous(_)),
                    ) => {
                        return Err(e.to_string());
                    }
                    Err(e) => {
                        last = e.to_string();
                        self.client = None;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last)
    }
}

fn payload(id: &MessageId) -> Payload {
    Payload::frame(format!("message {id}").as_bytes()).unwrap()
}

#[test]
fn acknowledged_messages_survive_three_leader_kills() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start();
    let sender = Identity::generate("sender");
    let recipients: Vec<Identity> = (0..RECIPIENTS)
        .map(|i| Identity::generate(&format!("r{i}")))
        .collect();
    let acked: Arc<Mutex<Vec<(PublicKey, MessageId)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    // Load: the client library given every server (as `--server a,b,c`),
    // sending without pause; it finds the leader and fails over itself.
    let load = {
        let (urls, acked, stop) = (cluster.urls(), acked.clone(), stop.clone());
        let rcpt: Vec<PublicKey> = recipients.iter().map(|r| r.public()).collect();
        let sender = sender.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let servers = urls.join(",");
                let mut client = Client::connect(&servers, Policy::dev(), vec![sender.keypair()])
                    .await
                    .unwrap();
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let to = rcpt[n % RECIPIENTS];
                    let id = hush_client::new_message_id();
                    let sealed = SealedPayload::unencrypted(payload(&id));
                    match client.create(sender.public(), id, to, sealed).await {
                        Ok(()) => acked.lock().unwrap().push((to, id)),
                        Err(e) => panic!("a send failed for good: {e}"),
                    }
                    n += 1;
                }
            })
        })
    };

    let wait_acks = |more: usize| {
        let target = acked.lock().unwrap().len() + more;
        let start = Instant::now();
        while acked.lock().unwrap().len() < target {
            assert!(start.elapsed() < Duration::from_secs(60), "no progress");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // Enough entries that the log's start is purged before the first
    // restart.
    wait_acks(40);
    let mut kills = 0;
    let mut restarted = Vec::new();
    for round in 0..3 {
        // The leader is the node that answers a write; kill it mid-load.
        let leader = leader_index(&cluster);
        cluster.kill(leader);
        kills += 1;
        wait_acks(20);
        // The killed node restarts empty, joins, and catches up.
        cluster.start_node(leader);
        restarted.push(leader);
        wait_acks(10);
        eprintln!(
            "round {round}: killed node {}, {} acknowledged",
            leader + 1,
            acked.lock().unwrap().len()
        );
    }
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    assert_eq!(kills, 3);

    // Every acknowledged message, byte for byte, and no duplicates.
    let acked = acked.lock().unwrap().clone();
    let mut by_mailbox: HashMap<PublicKey, Vec<MessageId>> = HashMap::new();
    for (to, id) in &acked {
        by_mailbox.entry(*to).or_default().push(*id);
    }
    // A session proves at most four keys: one reader per mailbox.
    for r in &recipients {
        let to = r.public();
        let mut reader = Failover::new(cluster.urls(), vec![r.clone()]);
        let ids = by_mailbox.remove(&to).unwrap_or_default();
        for id in &ids {
            let read = reader
                .run(Duration::from_secs(20), async |c| c.read(to, *id).await)
                .unwrap_or_else(|e| panic!("acknowledged message {id} lost: {e}"));
            assert_eq!(read.message.payload, payload(id), "message {id} corrupted");
        }
        let listing = reader
            .run(Duration::from_secs(20), async |c| c.list(to).await)
            .unwrap();
        let listed = listing.ids();
        let unique: HashSet<_> = listed.iter().collect();
        assert_eq!(unique.len(), listed.len(), "a message is listed twice");
        assert!(ids.iter().all(|id| unique.contains(id)));
    }
    eprintln!(
        "{} acknowledged messages read back: 0 lost, 0 corrupted, 0 duplicated",
        acked.len()
    );

    // Each restart made a new member in place of the old one: every node
    // counts the same three voters, one per configured id.
    let start = Instant::now();
    loop {
        let healths: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| common::http_get(&format!("{}/v1/health", n.as_ref().unwrap().url)))
            .collect();
        if healths.iter().all(|h| h.contains("\"voters\":[1,2,3]")) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "membership after the restarts: {healths:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The restarted nodes caught up from a snapshot (their log from the
    // start was purged), and every node built snapshots.
    for (i, n) in cluster.nodes.iter().enumerate() {
        let page = common::http_get(n.as_ref().unwrap().metrics.as_ref().unwrap());
        let built = common::metric(&page, "hush_cluster_snapshots_built_total");
        let installed = common::metric(&page, "hush_cluster_snapshots_installed_total");
        eprintln!(
            "node {}: {built} snapshots built, {installed} installed",
            i + 1
        );
        if restarted.contains(&i) {
            assert!(installed >= 1.0, "node {} installed no snapshot", i + 1);
        }
        assert!(built >= 1.0, "node {} built no snapshot", i + 1);
    }

    // Kill two of three: the survivor refuses writes, clearly.
    let survivor = leader_index(&cluster);
    for i in 0..NODES as usize {
        if i != survivor {
            cluster.kill(i);
        }
    }
    let mut alone = Failover::new(vec![cluster.urls()[survivor].clone()], vec![sender.clone()]);
    let to = recipients[0].public();
    let err = alone
        .run(Duration::from_secs(5), async |c| {
            let id = hush_client::new_message_id();
            c.create(
                sender.public(),
                id,
                to,
                SealedPayload::unencrypted(payload(&id)),
            )
            .await
        })
        .unwrap_err();
    assert!(
        err.contains("no leader")
            || err.contains("not committed")
            || err.contains("not the leader"),
        "{err}"
    );
}

/// Anyone can reach a node's peer port. Before peer messages carried the
/// enclaves' tags, an anonymous `member-add` made the leader add a learner
/// at the stranger's address and dial it. Now a forged `member-add`,
/// `append`, `vote` and `snapshot` (no tag, a random tag, another
/// cluster's kind of tag) are each refused as unauthenticated by every
/// node, nobody dials the stranger, and the cluster goes on as before.
#[test]
fn strangers_on_the_peer_port_forge_nothing() {
    use hush_wire::grpc::v1::PeerMessage;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cluster = Cluster::start();
    let leader = leader_index(&cluster);
    let all_voters = || {
        cluster.nodes.iter().all(|n| {
            common::http_get(&format!("{}/v1/health", n.as_ref().unwrap().url))
                .contains("\"voters\":[1,2,3]")
        })
    };
    let start = Instant::now();
    while !all_voters() {
        assert!(start.elapsed() < Duration::from_secs(20), "never 3 voters");
        std::thread::sleep(Duration::from_millis(100));
    }
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_addr = trap.local_addr().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let member_add = serde_json::to_vec(&serde_json::json!({
        "raft_id": hushd::cluster::membership::raft_id(9, 1),
        "addr": trap_addr,
    }))
    .unwrap();
    let vote = hushd::cluster::network::encode(&openraft::raft::VoteRequest::<u64>::new(
        openraft::Vote::new(1_000, hushd::cluster::membership::raft_id(9, 1)),
        None,
    ))
    .unwrap();
    let mut stamped = now.to_le_bytes().to_vec();
    stamped.extend_from_slice(&[7u8; 32]);
    let mut refused = 0;
    for (node, port) in cluster.peer_ports.iter().enumerate() {
        for (kind, body) in [
            ("member-add", member_add.clone()),
            ("vote", vote.clone()),
            ("append", vote.clone()),
            ("snapshot", vote.clone()),
        ] {
            for auth in [Vec::new(), vec![0xa5; 40], stamped.clone()] {
                let msg = PeerMessage {
                    kind: kind.into(),
                    body: body.clone(),
                    to: hushd::cluster::membership::raft_id(node as u64 + 1, 0),
                    auth,
                    ..Default::default()
                };
                let addr = format!("127.0.0.1:{port}");
                let status = rt
                    .block_on(async {
                        hushd::cluster::network::peer_client(&addr)
                            .unwrap()
                            .call(msg)
                            .await
                    })
                    .expect_err("a forged peer message was accepted");
                assert_eq!(
                    status.code(),
                    tonic::Code::Unauthenticated,
                    "node {}: {kind}: {status:?}",
                    node + 1
                );
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 3 * 4 * 3);
    // Nobody dialed the stranger's address, the leader is the same, every
    // node still counts the same three voters, and writes go through.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        trap.accept().is_err(),
        "a node dialed the address in a forged member-add"
    );
    assert!(all_voters(), "the membership changed");
    assert_eq!(leader_index(&cluster), leader);
}

/// The index of the node that accepts a write now.
fn leader_index(cluster: &Cluster) -> usize {
    let probe = Identity::generate("probe");
    let start = Instant::now();
    loop {
        for (i, url) in cluster.urls().iter().enumerate() {
            if cluster.nodes[i].is_none() {
                continue;
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let ok = rt.block_on(async {
                let Ok(mut c) = Client::connect(url, Policy::dev(), vec![probe.keypair()]).await
                else {
                    return false;
                };
                c.set_attempts(1);
                c.list(probe.public()).await.is_ok()
            });
            if ok {
                return i;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no leader");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A leader paused (SIGSTOP, as if cut off) while the others elect a new
/// one does not serve what it held when it wakes: every read goes through
/// the log, which it can no longer commit to. It answers "not the leader"
/// or "not committed", never the stale listing.
#[test]
fn a_leader_cut_off_serves_no_stale_reads() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start();
    let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
    let old = leader_index(&cluster);
    // Health and the metrics name the leader: the node that took the write.
    let start = Instant::now();
    loop {
        let roles: Vec<(String, f64)> = cluster
            .nodes
            .iter()
            .map(|n| {
                let n = n.as_ref().unwrap();
                let health = common::http_get(&format!("{}/v1/health", n.url));
                let page = common::http_get(n.metrics.as_ref().unwrap());
                (
                    health,
                    common::metric(&page, "hush_cluster_role{role=\"leader\"}"),
                )
            })
            .collect();
        let leaders: Vec<usize> = (0..roles.len())
            .filter(|i| roles[*i].0.contains("\"role\":\"leader\""))
            .collect();
        if leaders == [old]
            && roles[old].1 == 1.0
            && roles.iter().filter(|r| r.1 == 1.0).count() == 1
        {
            assert!(
                roles
                    .iter()
                    .all(|r| r.0.contains(&format!("\"leader\":{}", old + 1)))
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "health and metrics: {roles:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The old leader last: the second message goes to the others.
    let mut order = cluster.urls();
    let old_url = order.remove(old);
    order.push(old_url);
    let servers = order.join(",");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let send = |text: &str| {
        rt.block_on(async {
            let mut c = Client::connect(&servers, Policy::dev(), vec![alice.keypair()])
                .await
                .unwrap();
            let id = hush_client::new_message_id();
            let p = SealedPayload::unencrypted(Payload::frame(text.as_bytes()).unwrap());
            c.create(alice.public(), id, bob.public(), p).await.unwrap();
            id
        })
    };
    let first = send("before");
    let pid = cluster.nodes[old].as_ref().unwrap().pid().to_string();
    let signal = |sig: &str| {
        let sent = std::process::Command::new("kill")
            .args([sig, &pid])
            .status();
        assert!(sent.unwrap().success(), "kill {sig} {pid}");
    };
    signal("-STOP");
    // The others elect a leader and take a second message.
    let second = send("while the old leader sleeps");
    signal("-CONT");
    // Straight away, ask the old leader alone for bob's mailbox.
    let url = cluster.urls()[old].clone();
    let answer = rt.block_on(async {
        let mut c = Client::connect(&url, Policy::dev(), vec![bob.keypair()]).await?;
        c.set_attempts(1);
        c.list(bob.public()).await
    });
    match answer {
        Ok(listing) => {
            eprintln!("the woken old leader answered with a listing");
            // Only possible once it has caught up: then it is current.
            let ids = listing.ids();
            assert!(
                ids.contains(&first) && ids.contains(&second),
                "a stale listing: {ids:?}"
            );
        }
        Err(e) => {
            let e = e.to_string();
            eprintln!("the woken old leader answered: {e}");
            assert!(
                e.contains("not the leader")
                    || e.contains("not committed")
                    || e.contains("no leader"),
                "{e}"
            );
        }
    }
    cluster.kill(0);
}

/// A computation created through the leader, which is then killed, is
/// completed through the new leader: ids carry the cluster's epoch (every
/// node's sessions state it), not the node's. A cluster started anew has
/// a new epoch, and the computation is gone.
#[test]
fn a_computation_outlives_the_leader_that_created_it() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start();
    let convener = Identity::generate("convener");
    let people: Vec<Identity> = ["a", "b"].iter().map(|n| Identity::generate(n)).collect();
    let keys: Vec<PublicKey> = people.iter().map(|p| p.public()).collect();
    let mut c = Failover::new(cluster.urls(), vec![convener.clone()]);
    let id = c
        .run(Duration::from_secs(30), async |c| {
            let epoch = c.session().epoch();
            assert_ne!(
                epoch,
                hush_attest::epoch_of(c.session().server_key()),
                "a replica states its cluster's epoch, not its own"
            );
            let id = c
                .rendezvous()
                .create(
                    convener.public(),
                    "through a failover",
                    ComputationType::Average,
                    keys.clone(),
                    2,
                    None,
                )
                .await?;
            assert_eq!(id.epoch(), epoch);
            Ok(id)
        })
        .unwrap();

    cluster.kill(leader_index(&cluster));
    for (p, v) in people.iter().zip([10i64, 20]) {
        let mut pc = Failover::new(cluster.urls(), vec![p.clone()]);
        pc.run(Duration::from_secs(30), async |c| {
            c.rendezvous()
                .submit(p.public(), id, Submission::Number(v))
                .await
        })
        .unwrap();
    }
    let mut pc = Failover::new(cluster.urls(), vec![people[0].clone()]);
    let r = pc
        .run(Duration::from_secs(30), async |c| {
            c.rendezvous().result(people[0].public(), id).await
        })
        .unwrap();
    assert_eq!((r.value, r.submissions, r.released), (15, 2, true));

    // Losing the majority ends the cluster's epoch: every node gone, the
    // nodes found a new cluster, and the computation answers "gone".
    for i in 0..NODES as usize {
        cluster.kill(i);
    }
    cluster.start_all();
    let mut pc = Failover::new(cluster.urls(), vec![people[0].clone()]);
    let err = pc
        .run(Duration::from_secs(30), async |c| {
            c.rendezvous().result(people[0].public(), id).await
        })
        .unwrap_err();
    assert!(err.starts_with("gone"), "{err}");
}
