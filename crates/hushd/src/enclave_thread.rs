//! An enclave thread: one OS thread that makes every call of one trusted
//! service (and, for the broker's, every tick) into the enclave, one after
//! another, like a TEE's ecall thread. hushd runs one per service.
//!
//! Requests reach it through a channel and answers come back through a
//! oneshot, so async workers never block on the store. Running the ORAM on
//! one thread keeps its caches warm: measured, a store operation made from
//! whichever async worker happened to run it took about 40% longer. The
//! broker's thread can also have a CPU of its own (`affinity.rs`).
//!
//! Answers go back in groups while requests are waiting. Handing one
//! back wakes a sleeping async worker on another CPU, and in this
//! project's virtual machine that wake took 11-14% of the enclave thread's
//! time at 2^20 when it happened once per answer. So the thread holds
//! finished answers until its queue is empty or [`MAX_HELD`] are ready, and
//! sends the group through one channel to a task of the async runtime,
//! which hands each answer to its caller: one cross-CPU wake per group
//! (6.3 answers on average with 16 clients), and the wake's share fell to
//! about 6%. With the thread on a CPU of its own, end-to-end throughput
//! rose 18-19% at 2^16 and 2^20 (BENCHMARKS.md, "The enclave thread's own
//! CPU"). An answer waits at most for the requests already queued behind
//! it, up to `MAX_HELD - 1` of them, never for one that has not arrived.
//! When answers go depends on how many requests the host has queued, which
//! the host knows, never on what they hold.
//!
//! The broker can have a second enclave thread ([`EnclaveThread::spawn_staged`],
//! `broker_threads = 2`): the first begins each request (the accesses that
//! decide it, `EnclaveApi::begin_opened`) and, when other requests wait
//! for it, hands its ticket to the second, which finishes it (the message
//! slot's access and the seal, `EnclaveApi::finish_query`) and hands back
//! the answer. So the next request begins while this one finishes. When
//! none waits, the first finishes the request itself: its CPU has the time,
//! and the second stage's CPU, shared with the async workers, is spared a
//! wake and two context switches (at 2^16, where the first stage was 70%
//! busy, that was 1.12x end to end; BENCHMARKS.md, "Work where the CPU is
//! idle"). Either way the async worker
//! that received a request opens its frame (`hush_enclave::opened_query`);
//! the answer is sealed by the enclave thread that finished the request
//! (`EnclaveApi::finish_query`), where one thread would leave it to the
//! async worker. With that, two threads were faster at 2^20 in every
//! alternating pair on this project's 2-CPU machine (medians 1.18x) and
//! no slower at 2^16 (BENCHMARKS.md, "The session's crypto off the
//! enclave thread"): hushd uses two when the first has a CPU of its own.
//!
//! A thread with a CPU of its own polls its empty queue for
//! [`POLL_BEFORE_SLEEP`] before it sleeps, so a request that arrives soon
//! after the last costs its sender no wake.

use crate::affinity::{self, Cpu};
use hush_enclave::{EnclaveApi, SessionError};
use hush_wire::SessionId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Most finished answers held back while more requests wait.
pub const MAX_HELD: usize = 8;

/// How long a thread with a CPU of its own polls its empty queue before it
/// sleeps. A request sent to a sleeping thread costs its sender a futex
/// wake, and in a virtual machine an inter-processor interrupt, on the
/// sender's CPU, the busy one; one sent to a polling thread costs nothing
/// there. Measured at 2^16 without it, the async worker woke the broker's
/// thread for 44% of requests. The poll only uses the thread's own CPU,
/// and ends this long after the last request, so an idle hushd sleeps.
pub const POLL_BEFORE_SLEEP: Duration = Duration::from_micros(200);

/// Hands a finished answer to whoever waits for it.
type Answer = Box<dyn FnOnce() + Send>;
/// One call into the enclave; returns what became of it.
type Job = Box<dyn FnOnce(&dyn EnclaveApi) -> Done + Send>;

/// What a job leaves its thread to do.
enum Done {
    /// Deliver this answer.
    Answer(Answer),
    /// Nothing: the job went on to the broker's second stage, which
    /// delivers its answer.
    Handed,
}

/// A thread's job queue: its sending side, and how many jobs wait in it.
#[derive(Clone)]
struct Queue {
    tx: mpsc::Sender<Job>,
    /// Jobs sent and not yet started by the thread.
    waiting: Arc<AtomicUsize>,
    /// Broker tickets this thread finished (tests and measurements).
    finished: Arc<AtomicU64>,
}

impl Queue {
    /// Queues `job`; gives it back if the thread is gone.
    fn send(&self, job: Job) -> Result<(), Job> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        self.tx.send(job).map_err(|mpsc::SendError(job)| {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            job
        })
    }

    /// Whether no job waits for the thread (it may still be running one).
    fn is_empty(&self) -> bool {
        self.waiting.load(Ordering::Acquire) == 0
    }
}

/// Handle to the enclave thread (cheap to clone).
#[derive(Clone)]
pub struct EnclaveThread {
    queue: Queue,
    /// For the calls any thread may make (opening and sealing queries).
    enclave: Arc<dyn EnclaveApi>,
    /// The broker's second stage, if it has one: finishes begun queries.
    finisher: Option<Queue>,
    /// In a cluster, requests go through the replicated log instead.
    cluster: Option<Arc<crate::cluster::Node>>,
}

impl EnclaveThread {
    /// Starts the thread; it ends when every handle is dropped. Call it
    /// inside the async runtime: a task of the runtime hands out answers.
    pub fn spawn(enclave: Arc<dyn EnclaveApi>, name: &str) -> std::io::Result<Self> {
        Self::spawn_on(enclave, name, None)
    }

    /// Starts the thread pinned to `cpu` (when given); if the kernel
    /// refuses, it runs where it started and says so in the log.
    pub fn spawn_on(
        enclave: Arc<dyn EnclaveApi>,
        name: &str,
        cpu: Option<Cpu>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        // Answers cross to the async side a group at a time: one wake of a
        // worker per group, whose answers it then hands out itself.
        let (answers, mut groups) = tokio::sync::mpsc::unbounded_channel::<Vec<Answer>>();
        tokio::spawn(async move {
            while let Some(group) = groups.recv().await {
                for answer in group {
                    answer();
                }
            }
        });
        let thread = name.to_owned();
        let on_thread = enclave.clone();
        let queue = Queue {
            tx,
            waiting: Arc::new(AtomicUsize::new(0)),
            finished: Arc::new(AtomicU64::new(0)),
        };
        let waiting = queue.waiting.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Only a thread alone on its CPU polls: elsewhere the poll
                // would take CPU time from the threads it shares with.
                let mut poll = Duration::ZERO;
                if let Some(cpu) = cpu {
                    match affinity::pin_current_thread(cpu) {
                        Ok(()) => {
                            tracing::info!(thread, cpu = cpu.0, "enclave thread pinned");
                            poll = POLL_BEFORE_SLEEP;
                        }
                        Err(e) => tracing::warn!(thread, "{e}; it runs unpinned"),
                    }
                }
                serve(&*on_thread, &rx, &answers, poll, &waiting);
            })?;
        Ok(Self {
            queue,
            enclave,
            finisher: None,
            cluster: None,
        })
    }

    /// The broker's two stages: a thread called `name` on `cpu` that begins
    /// each query, and one called `second` (on the CPUs the caller may use)
    /// that finishes it.
    pub fn spawn_staged(
        enclave: Arc<dyn EnclaveApi>,
        name: &str,
        cpu: Option<Cpu>,
        second: &str,
    ) -> std::io::Result<Self> {
        let finisher = Self::spawn_on(enclave.clone(), second, None)?;
        let mut first = Self::spawn_on(enclave, name, cpu)?;
        first.finisher = Some(finisher.queue);
        Ok(first)
    }

    /// Sends this service's requests through `node`'s replicated log.
    pub fn replicated(mut self, node: Option<Arc<crate::cluster::Node>>) -> Self {
        self.cluster = node;
        self
    }

    /// The cluster node requests go through, if any.
    pub fn cluster(&self) -> Option<&Arc<crate::cluster::Node>> {
        self.cluster.as_ref()
    }

    /// Makes a broker query. The caller's thread opens the frame
    /// (`hush_enclave::opened_query`). With one stage, this thread makes
    /// the store's accesses and the caller's thread seals the answer; with
    /// two, this thread begins it, and finishes and seals it too when no
    /// other request waits for it, else hands it to the second stage.
    pub async fn query(
        &self,
        id: SessionId,
        sealed: Vec<u8>,
    ) -> Option<Result<Vec<u8>, SessionError>> {
        let opened = match self.enclave.open_query(&id, &sealed) {
            Ok(opened) => opened,
            Err(e) => return Some(Err(e)),
        };
        let Some(second) = self.finisher.clone() else {
            let answer = self.run(move |e| e.execute_query(opened)).await?;
            return Some(answer.map(|a| self.enclave.seal_answer(a)));
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let first = self.queue.clone();
        let job: Job = Box::new(move |e| {
            let ticket = match e.begin_opened(opened) {
                Ok(ticket) => ticket,
                Err(err) => {
                    return Done::Answer(Box::new(move || {
                        let _ = tx.send(Err(err));
                    }));
                }
            };
            let finish = |by: Arc<AtomicU64>| -> Job {
                Box::new(move |e| {
                    let result = e.finish_query(ticket);
                    by.fetch_add(1, Ordering::Relaxed);
                    Done::Answer(Box::new(move || {
                        let _ = tx.send(result);
                    }))
                })
            };
            // Nothing waits for this thread: it has time to finish the
            // request itself, which spares the second stage's CPU (the
            // busy one, shared with the async workers) a wake and a
            // context switch. Otherwise the ticket goes on at once
            // (holding tickets back for a group left the second stage
            // idle, and was slower at 2^20). The choice depends only on
            // how many requests the host has queued.
            if first.is_empty() {
                return finish(first.finished.clone())(e);
            }
            if let Err(finish) = second.send(finish(second.finished.clone())) {
                // The second stage is gone (shutting down): finish here.
                return finish(e);
            }
            Done::Handed
        });
        self.queue.send(job).ok()?;
        rx.await.ok()
    }

    /// Broker tickets finished by the first stage and by the second.
    #[cfg(test)]
    fn tickets_finished(&self) -> (u64, u64) {
        let second = self.finisher.as_ref().expect("a staged thread");
        (
            self.queue.finished.load(Ordering::Relaxed),
            second.finished.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` on the enclave thread and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn EnclaveApi) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |e| {
            let result = f(e);
            Done::Answer(Box::new(move || {
                let _ = tx.send(result);
            }))
        });
        self.queue.send(job).ok()?;
        rx.await.ok()
    }
}

/// The next job: polls the queue for up to `poll`, then sleeps on it.
/// `None` once every sender is gone.
fn next_job(rx: &mpsc::Receiver<Job>, poll: Duration) -> Option<Job> {
    if !poll.is_zero() {
        let start = Instant::now();
        loop {
            // Reading the clock every few dozen polls keeps its cost out
            // of the loop.
            for _ in 0..64 {
                match rx.try_recv() {
                    Ok(job) => return Some(job),
                    Err(mpsc::TryRecvError::Disconnected) => return None,
                    Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
                }
            }
            if start.elapsed() >= poll {
                break;
            }
        }
    }
    rx.recv().ok()
}

/// The thread's loop: runs jobs in arrival order and sends their answers
/// on whenever no job is waiting or `MAX_HELD` are ready. An empty queue
/// is polled for `poll` before the thread sleeps ([`POLL_BEFORE_SLEEP`]).
fn serve(
    enclave: &dyn EnclaveApi,
    rx: &mpsc::Receiver<Job>,
    answers: &tokio::sync::mpsc::UnboundedSender<Vec<Answer>>,
    poll: Duration,
    waiting: &AtomicUsize,
) {
    let mut held: Vec<Answer> = Vec::with_capacity(MAX_HELD);
    let deliver = |held: &mut Vec<Answer>| {
        if !held.is_empty() {
            let group = std::mem::replace(held, Vec::with_capacity(MAX_HELD));
            // Fails only once the runtime is gone: nobody waits any more.
            let _ = answers.send(group);
        }
    };
    loop {
        let job = match rx.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Empty) => {
                deliver(&mut held);
                match next_job(rx, poll) {
                    Some(job) => job,
                    None => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        waiting.fetch_sub(1, Ordering::AcqRel);
        if let Done::Answer(answer) = job(enclave) {
            held.push(answer);
        }
        if held.len() >= MAX_HELD {
            deliver(&mut held);
        }
    }
    deliver(&mut held);
}

/// An in-process enclave with small services, for hushd's unit tests.
#[cfg(test)]
pub(crate) fn test_enclave() -> Arc<hush_enclave::InProcessEnclave> {
    use hush_enclave::{EnclaveConfig, InProcessEnclave, StoreConfig};
    let config = EnclaveConfig::small(StoreConfig::new(64, 100).unwrap(), 8, 600);
    Arc::new(InProcessEnclave::start(config, 1_000).unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_client::Identity;
    use hush_client::session::{ClientSession, Handshake};
    use hush_enclave::InProcessEnclave;
    use hush_wire::{KeyProofStatus, MessageId, Op, Payload, Request, RequestRecord, Status};
    use std::sync::Mutex;
    use std::time::Duration;

    fn enclave() -> Arc<InProcessEnclave> {
        test_enclave()
    }

    fn thread() -> EnclaveThread {
        EnclaveThread::spawn(enclave(), "enclave-test").unwrap()
    }

    /// A staged broker thread (as with `broker_threads = 2`), and a session
    /// with its enclave that has proven `who`'s key.
    fn staged(who: &Identity) -> (EnclaveThread, ClientSession) {
        let e = enclave();
        let hs = Handshake::start().unwrap();
        let reply = e.handshake(&hs.message).unwrap();
        let s = hs
            .finish(reply.session, &reply.message, &hush_attest::Policy::dev())
            .unwrap();
        let (nonce, sealed) = s.seal_key_proofs(&[&who.keypair()]);
        let r = e.prove_keys(&s.id(), &sealed).unwrap();
        assert_eq!(
            s.open_key_proof_response(nonce, &r).unwrap().status,
            KeyProofStatus::Ok
        );
        let t = EnclaveThread::spawn_staged(e, "enclave-test", None, "enclave-test-2").unwrap();
        (t, s)
    }

    /// Sends `who` a message from itself with id `[n; 16]` through `t`.
    async fn create(t: &EnclaveThread, s: &ClientSession, who: &Identity, n: u8) -> Status {
        let request = Request {
            acting_as: who.public(),
            op: Op::Create {
                id: MessageId::new([n; 16]).unwrap(),
                recipient: who.public(),
                payload: Payload::frame(&[n]).unwrap(),
            },
        };
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&request));
        let answer = t.query(s.id(), sealed).await.unwrap().unwrap();
        s.open_response(nonce, &answer)
            .unwrap()
            .decode()
            .unwrap()
            .status
    }

    /// How many messages `who`'s mailbox lists.
    async fn listed(t: &EnclaveThread, s: &ClientSession, who: &Identity) -> usize {
        let request = Request {
            acting_as: who.public(),
            op: Op::List,
        };
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&request));
        let answer = t.query(s.id(), sealed).await.unwrap().unwrap();
        let response = s.open_response(nonce, &answer).unwrap().decode().unwrap();
        response.listing.ids().len()
    }

    #[tokio::test]
    async fn a_staged_thread_finishes_a_request_itself_when_none_waits() {
        let alice = Identity::generate("alice");
        let (t, s) = staged(&alice);
        for n in 1..=5 {
            assert_eq!(create(&t, &s, &alice, n).await, Status::Ok);
        }
        assert_eq!(listed(&t, &s, &alice).await, 5);
        // One at a time, nothing ever waited behind a request.
        assert_eq!(t.tickets_finished(), (6, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_waiting_behind_the_first_stage_go_on_to_the_second() {
        let alice = Identity::generate("alice");
        let (t, s) = staged(&alice);
        let s = Arc::new(s);
        // Hold the first stage until six requests wait for it. The gate
        // must be on the first stage before any request is sent: spawned
        // tasks start in no set order, and a request that got there first
        // would run before the gate, leaving five to wait.
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
        let gate = {
            let t = t.clone();
            tokio::spawn(async move {
                t.run(move |_| {
                    let _ = held_tx.send(());
                    go_rx.recv().is_ok()
                })
                .await
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while held_rx.try_recv().is_err() {
            assert!(std::time::Instant::now() < deadline, "the gate runs");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut sent = Vec::new();
        for n in 1..=6 {
            let (t, s, alice) = (t.clone(), s.clone(), alice.clone());
            sent.push(tokio::spawn(async move { create(&t, &s, &alice, n).await }));
        }
        while t.queue.waiting.load(Ordering::Acquire) < 6 {
            assert!(std::time::Instant::now() < deadline, "the requests queue");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        go_tx.send(()).unwrap();
        assert_eq!(gate.await.unwrap(), Some(true));
        for created in sent {
            assert_eq!(created.await.unwrap(), Status::Ok);
        }
        // The first five had requests behind them; the last had none.
        assert_eq!(t.tickets_finished(), (1, 5));
        // Wherever each was finished, every message was stored.
        assert_eq!(listed(&t, &s, &alice).await, 6);
        assert_eq!(t.tickets_finished(), (2, 5));
    }

    /// CPU time (clock ticks) used so far by this process's thread `name`.
    fn cpu_ticks(name: &str) -> u64 {
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let dir = task.unwrap().path();
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if comm.trim() == name {
                let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
                // After the parenthesised name: utime and stime are the
                // 12th and 13th fields.
                let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split(' ').collect();
                return fields[12].parse::<u64>().unwrap() + fields[13].parse::<u64>().unwrap();
            }
        }
        panic!("no thread {name}");
    }

    #[tokio::test]
    async fn a_pinned_thread_that_polls_for_work_sleeps_when_idle() {
        // Pinned (to a CPU this test may use), so it polls.
        let cpu = affinity::current_thread_cpus().unwrap()[0];
        let t = EnclaveThread::spawn_on(enclave(), "enclave-poll", Some(cpu)).unwrap();
        assert_eq!(t.run(|_| 1).await, Some(1));
        // Well past the poll, the idle thread uses no CPU.
        tokio::time::sleep(POLL_BEFORE_SLEEP * 10).await;
        let before = cpu_ticks("enclave-poll");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let used = cpu_ticks("enclave-poll") - before;
        assert!(
            used <= 2,
            "an idle enclave thread used {used} ticks in 0.5 s"
        );
        // And it still takes work.
        assert_eq!(t.run(|_| 2).await, Some(2));
    }

    #[tokio::test]
    async fn a_lone_request_is_answered_without_waiting_for_another() {
        let t = thread();
        let answer = tokio::time::timeout(Duration::from_secs(5), t.run(|_| 7)).await;
        assert_eq!(
            answer.expect("answered while nothing else was queued"),
            Some(7)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_answer_arrives_and_none_waits_for_more_than_max_held_jobs() {
        let t = thread();
        // For each job in the order it ran: how many answers the async
        // side had received when it started.
        let seen = Arc::new(Mutex::new(Vec::<usize>::new()));
        let started = Arc::new(Mutex::new(Vec::<usize>::new()));
        // A first job that blocks the thread until everything is queued, so
        // the queue stays full and answers are held.
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let gate = {
            let t = t.clone();
            tokio::spawn(async move { t.run(move |_| go_rx.recv().is_ok()).await })
        };
        let jobs = 3 * MAX_HELD + 1;
        let mut waiting = Vec::new();
        for i in 0..jobs {
            let (t, seen, started) = (t.clone(), seen.clone(), started.clone());
            let seen_by_job = seen.clone();
            waiting.push(tokio::spawn(async move {
                let r = t
                    .run(move |_| {
                        let now = seen_by_job.lock().unwrap().len();
                        started.lock().unwrap().push(now);
                        // Long enough for a delivered answer to be seen.
                        std::thread::sleep(Duration::from_millis(2));
                        i
                    })
                    .await;
                seen.lock().unwrap().push(i);
                r
            }));
            // In order: each job queued before the next is sent.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        go_tx.send(()).unwrap();
        assert_eq!(gate.await.unwrap(), Some(true));
        for (i, w) in waiting.into_iter().enumerate() {
            let r = tokio::time::timeout(Duration::from_secs(10), w).await;
            assert_eq!(r.expect("every answer arrives").unwrap(), Some(i));
        }
        // When a job starts at most MAX_HELD - 1 earlier answers are held
        // (the gate's among them), so at least k - (MAX_HELD - 1) of the k
        // jobs before it were answered; allow one job's worth of slack for
        // the async side to record what it received.
        let started = started.lock().unwrap().clone();
        assert_eq!(started.len(), jobs);
        for (k, seen_then) in started.iter().enumerate() {
            assert!(
                seen_then + MAX_HELD >= k,
                "job {k} started with only {seen_then} earlier answers delivered"
            );
        }
        let seen = seen.lock().unwrap();
        assert!(
            seen.len() == jobs,
            "all {jobs} answers were delivered, saw {}",
            seen.len()
        );
    }
}
