//! The rendezvous service over real gRPC: a computation among three
//! participants, each in a session of its own; key matching; and a hushd
//! restart, after which the old computation answers "gone" and never
//! another result; lists of a member's computations.

mod common;

use common::{Hushd, client};
use hush_client::{ClientError, Identity};
use hush_wire::rendezvous::{
    ComputationType, MatchKey, MatchMessage, RendezvousStatus, Submission,
};

/// `who`'s list once nothing of theirs is still being added (one request
/// per call: waiting and asking again is the caller's choice, here the
/// test's; entries move within a tick).
async fn settled(
    c: &mut hush_client::Client,
    who: hush_wire::PublicKey,
) -> Vec<hush_wire::rendezvous::ListedComputation> {
    for _ in 0..50 {
        let l = c.rendezvous().list(who).await.unwrap();
        if l.adding == 0 {
            return l.computations;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("entries still queued after 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_computation_across_sessions_and_a_restart() {
    let server = Hushd::start(&[]);
    let url = server.url.clone();
    let convener = Identity::generate("convener");
    let people: Vec<Identity> = ["a", "b", "c"]
        .iter()
        .map(|n| Identity::generate(n))
        .collect();
    let keys: Vec<_> = people.iter().map(|p| p.public()).collect();
    let mut c = client(&url, &[&convener]).await;
    let id = c
        .rendezvous()
        .create(
            convener.public(),
            "salaries",
            ComputationType::Average,
            keys.clone(),
            2,
            None,
        )
        .await
        .unwrap();
    // The id carries the epoch the attested key gives this enclave (a
    // single node's services run in its own epoch).
    assert_eq!(id.epoch(), c.session().epoch());
    assert_eq!(
        c.session().epoch(),
        hush_attest::epoch_of(c.session().server_key())
    );
    for (p, v) in people.iter().zip([100i64, 50, 7]).take(2) {
        let mut pc = client(&url, &[p]).await;
        pc.rendezvous()
            .submit(p.public(), id, Submission::Number(v))
            .await
            .unwrap();
    }
    let mut third = client(&url, &[&people[2]]).await;
    let r = third
        .rendezvous()
        .result(people[2].public(), id)
        .await
        .unwrap();
    assert_eq!((r.value, r.submissions, r.released), (75, 2, true));
    let e = third
        .rendezvous()
        .submit(people[2].public(), id, Submission::Number(7))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Rendezvous(RendezvousStatus::Locked)),
        "{e}"
    );
    assert!(e.to_string().contains("locked"));

    // Key matching, quorum 2: two of three share a key.
    let m = c
        .rendezvous()
        .create(
            convener.public(),
            "vins",
            ComputationType::KeyMatch,
            keys.clone(),
            2,
            None,
        )
        .await
        .unwrap();
    for (p, k) in people.iter().zip(["VIN-1", "VIN-2", "VIN-1"]) {
        let mut pc = client(&url, &[p]).await;
        let submission = Submission::Match {
            key: MatchKey::new(k).unwrap(),
            message: MatchMessage::new(format!("{} claims", p.name()).as_bytes()).unwrap(),
        };
        pc.rendezvous()
            .submit(p.public(), m, submission)
            .await
            .unwrap();
    }
    let r = third
        .rendezvous()
        .result(people[2].public(), m)
        .await
        .unwrap();
    let who: Vec<_> = r.matches.iter().map(|(k, _)| *k).collect();
    assert_eq!(who, [keys[0], keys[2]]);

    // Lists: each participant and the convener see both, newest first
    // (once the queued entries are in: the test asks until they are).
    let listed = settled(&mut third, people[2].public()).await;
    let got: Vec<_> = listed.iter().map(|e| (e.id, e.name.as_str())).collect();
    assert_eq!(got, [(m, "vins"), (id, "salaries")]);
    assert!(
        listed
            .iter()
            .all(|e| e.role.participant && !e.role.convener)
    );
    let mine = settled(&mut c, convener.public()).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|e| e.role.convener && !e.role.participant));
    let stranger = Identity::generate("stranger");
    let mut sc = client(&url, &[&stranger]).await;
    assert!(settled(&mut sc, stranger.public()).await.is_empty());

    // A restart: the old id is gone, for everyone, on every op.
    let addr = server.listen_addr();
    assert!(server.stop());
    let _again = Hushd::start_on(&addr, &[]);
    let mut after = client(&url, &[&people[0]]).await;
    assert_ne!(
        after.session().epoch(),
        id.epoch(),
        "a new start, a new epoch"
    );
    let e = after
        .rendezvous()
        .result(people[0].public(), id)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Rendezvous(RendezvousStatus::EpochChanged)),
        "{e}"
    );
    assert!(e.to_string().contains("restarted"), "{e}");
    assert!(
        settled(&mut after, people[0].public()).await.is_empty(),
        "a restarted enclave lists nothing from before"
    );
}

/// `hush calc` names over separate machines: a participant finds a
/// computation by the name its convener gave it; two with the same name
/// need the id; a convener's names are its own; after a restart, a name
/// found before is answered "gone".
#[test]
fn the_cli_finds_computations_by_name_or_id() {
    use common::hush_env;
    let server = Hushd::start(&[]);
    let dev = [("HUSH_ALLOW_DEV_ATTESTATION", "1")];
    let homes: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let run = |i: usize, args: &[&str]| hush_env(homes[i].path(), &server.url, args, &dev);
    // As a user would: run again while the list says entries are still
    // being added (each run is one request; entries move within a tick).
    let settled = |i: usize, args: &[&str]| {
        for _ in 0..50 {
            let r = run(i, args);
            if !r.stderr.contains("still being added") {
                return r;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("entries still queued after 5 s");
    };
    for (i, who) in ["alice", "conv1", "conv2"].iter().enumerate() {
        assert!(run(i, &["id", "new", who]).ok);
    }
    let shown = run(0, &["--json", "id", "show", "alice"]);
    let alice = shown
        .stdout
        .split('"')
        .find(|s| s.len() == 64)
        .expect("alice's key")
        .to_owned();
    let create = |i: usize, who: &str| {
        let r = run(
            i,
            &[
                "--json",
                "calc",
                "create",
                "--as",
                who,
                "poll",
                "--type",
                "max",
                "--participants",
                &alice,
                "--quorum",
                "1",
            ],
        );
        assert!(r.ok, "{}", r.stderr);
        r.stdout
            .split('"')
            .find(|s| s.len() == 32)
            .unwrap()
            .to_owned()
    };
    let first = create(1, "conv1");
    // The name is conv1's: conv1 cannot reuse it, conv2 can.
    let again = run(
        1,
        &[
            "calc",
            "create",
            "--as",
            "conv1",
            "poll",
            "--type",
            "min",
            "--participants",
            &alice,
            "--quorum",
            "1",
        ],
    );
    assert!(
        !again.ok && again.stderr.contains("already"),
        "{}",
        again.stderr
    );
    let r = settled(0, &["calc", "submit", "--as", "alice", "poll", "5"]);
    assert!(r.ok, "{}", r.stderr);
    let second = create(2, "conv2");
    let r = settled(0, &["calc", "submit", "--as", "alice", "poll", "6"]);
    assert!(!r.ok, "two computations named poll");
    assert!(
        r.stderr.contains(&first) && r.stderr.contains(&second),
        "{}",
        r.stderr
    );
    let r = run(0, &["calc", "submit", "--as", "alice", &second, "10.5"]);
    assert!(
        !r.ok && r.stderr.contains("not a whole number"),
        "{}",
        r.stderr
    );
    let r = settled(0, &["calc", "submit", "--as", "alice", &second, "6"]);
    assert!(r.ok, "{}", r.stderr);
    let r = settled(0, &["--json", "calc", "list", "--as", "alice"]);
    assert!(r.ok, "{}", r.stderr);
    let second_at = r.stdout.find(&second).unwrap();
    assert!(
        second_at < r.stdout.find(&first).unwrap(),
        "newest first: {}",
        r.stdout
    );
    let r = run(
        0,
        &["calc", "submit", "--as", "alice", "nothing-like-it", "6"],
    );
    assert!(!r.ok && r.stderr.contains("hush calc list"), "{}", r.stderr);

    // A quorum larger than the participants: said once, refused before
    // anything is sent.
    let r = run(
        1,
        &[
            "calc",
            "create",
            "--as",
            "conv1",
            "big",
            "--type",
            "min",
            "--participants",
            &alice,
            "--quorum",
            "2",
        ],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert_eq!(
        r.stderr
            .matches("the quorum is 1 to the number of participants")
            .count(),
        1,
        "{}",
        r.stderr
    );

    // After a restart the service holds nothing: a participant naming a
    // computation it found before hears that it is gone, not that there
    // is no such name.
    let addr = server.listen_addr();
    let url = server.url.clone();
    assert!(server.stop());
    let _again = Hushd::start_on(&addr, &[]);
    let r = hush_env(
        homes[0].path(),
        &url,
        &["calc", "submit", "--as", "alice", "poll", "7"],
        &dev,
    );
    assert!(!r.ok && r.stderr.contains("gone"), "{}", r.stderr);
    assert_eq!(r.code, Some(5), "a refusal by the server");
}
