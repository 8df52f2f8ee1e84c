//! The rendezvous service over real gRPC: a computation among three
//! participants, each in a session of its own; key matching; and a hushd
//! restart, after which the old computation answers "gone" and never
//! another result.

mod common;

use common::{Hushd, client};
use hush_client::{ClientError, Identity};
use hush_wire::rendezvous::{
    ComputationType, MatchKey, MatchMessage, RendezvousStatus, Submission,
};

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
    // The id carries the epoch the attested key gives this enclave.
    assert_eq!(id.epoch(), c.session().epoch());
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
}
