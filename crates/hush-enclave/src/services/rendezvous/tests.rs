//! The rendezvous service: results only at quorum, locked at the first
//! release; min and max identities; key matching at quorums 2 and 3;
//! every error; epochs; and the same accesses for every op and outcome.

use super::*;
use crate::oram::{DefaultFactory, RecordingFactory};
use crate::services::tokens::CreditCounts;
use hush_wire::rendezvous::{
    ComputationId, MatchKey, MatchMessage, RendezvousRequest, RendezvousResponse, Submission,
};
use hush_wire::{FixedCodec, PublicKey};

const EPOCH: u64 = 0x1122_3344_5566_7788;

fn key(n: u8) -> PublicKey {
    PublicKey::new([n; 32]).unwrap()
}

struct H {
    r: Rendezvous,
    now: u64,
}

impl H {
    fn new() -> Self {
        Self::with(&DefaultFactory)
    }

    fn with(f: &impl OramFactory) -> Self {
        Self::sized(f, 16)
    }

    fn sized(f: &impl OramFactory, max_computations: u32) -> Self {
        let config = RendezvousConfig::new(max_computations).unwrap();
        Self {
            r: Rendezvous::with_secret(config, f, [2; 32], EPOCH),
            now: 1_000,
        }
    }

    fn run(&mut self, who: u8, op: RendezvousOp) -> RendezvousResponse {
        let bytes = RendezvousRequest {
            acting_as: key(who),
            op,
        }
        .encode();
        let out = self.r.execute_record(&bytes, Choice::from(1), self.now);
        RendezvousResponse::decode(&out).unwrap()
    }

    fn create(
        &mut self,
        who: u8,
        kind: ComputationType,
        parts: &[u8],
        quorum: u8,
    ) -> ComputationId {
        let op = RendezvousOp::Create {
            name: "calc".into(),
            kind,
            participants: parts.iter().map(|p| key(*p)).collect(),
            quorum,
            deadline: None,
        };
        let mut r = self.run(who, op.clone());
        if r.status == RendezvousStatus::Busy {
            self.tick();
            r = self.run(who, op);
        }
        assert_eq!(r.status, RendezvousStatus::Ok);
        let id = r.id.unwrap();
        assert_eq!(id.epoch(), self.r.epoch());
        id
    }

    fn number(&mut self, who: u8, id: ComputationId, v: i64) -> RendezvousStatus {
        self.run(
            who,
            RendezvousOp::Submit {
                id,
                submission: Submission::Number(v),
            },
        )
        .status
    }

    fn matching(&mut self, who: u8, id: ComputationId, k: &str, m: &str) -> RendezvousStatus {
        let submission = Submission::Match {
            key: MatchKey::new(k).unwrap(),
            message: MatchMessage::new(m.as_bytes()).unwrap(),
        };
        self.run(who, RendezvousOp::Submit { id, submission })
            .status
    }

    fn result(&mut self, who: u8, id: ComputationId) -> RendezvousResponse {
        self.run(who, RendezvousOp::Result { id })
    }

    fn tick(&mut self) {
        self.now += 1;
        super::super::TrustedService::tick(&mut self.r, self.now);
    }

    fn list(&mut self, who: u8) -> RendezvousResponse {
        self.run(who, RendezvousOp::List)
    }
}

#[test]
fn averages_release_at_quorum_and_lock() {
    let mut h = H::new();
    let id = h.create(9, ComputationType::Average, &[1, 2, 3], 2);
    assert_eq!(h.number(1, id, 100), RendezvousStatus::Ok);
    assert_eq!(h.result(1, id).status, RendezvousStatus::NoQuorum);
    assert_eq!(h.number(2, id, 51), RendezvousStatus::Ok);
    // Replaceable until the lock.
    assert_eq!(h.number(2, id, 50), RendezvousStatus::Ok);
    let r = h.result(2, id);
    assert_eq!(
        (r.status, r.value, r.submissions, r.released),
        (RendezvousStatus::Ok, 75, 2, true)
    );
    // Locked: later submissions are refused, and the answer stays.
    assert_eq!(h.number(3, id, 1_000_000), RendezvousStatus::Locked);
    assert_eq!(h.number(1, id, -5), RendezvousStatus::Locked);
    assert_eq!(h.result(1, id).value, 75);
    assert_eq!(
        h.result(3, id).value,
        75,
        "a participant who did not submit gets it too"
    );
    // Not for the convener (not a participant), nor strangers.
    assert_eq!(h.result(9, id).status, RendezvousStatus::NotParticipant);
    // Rounded towards zero, negatives too.
    let id = h.create(9, ComputationType::Average, &[1, 2, 3], 3);
    for (who, v) in [(1, -1), (2, -1), (3, 0)] {
        h.number(who, id, v);
    }
    assert_eq!(h.result(1, id).value, 0);
}

#[test]
fn minimum_and_maximum_name_the_submitter() {
    let mut h = H::new();
    for (kind, want) in [(ComputationType::Minimum, 3), (ComputationType::Maximum, 2)] {
        let id = h.create(9, kind, &[1, 2, 3, 4], 3);
        h.number(1, id, 10);
        h.number(2, id, 40);
        h.number(3, id, -7);
        let r = h.result(4, id);
        assert_eq!(r.status, RendezvousStatus::Ok);
        assert_eq!(r.identity, Some(key(want)), "{kind:?}");
        assert_eq!(r.value, 0, "only the identity is released");
    }
    // Ties: the first participant with the value.
    let id = h.create(9, ComputationType::Maximum, &[1, 2], 2);
    h.number(2, id, 5);
    h.number(1, id, 5);
    assert_eq!(h.result(1, id).identity, Some(key(1)));
}

#[test]
fn key_matching_at_quorums_two_and_three() {
    let mut h = H::new();
    let id = h.create(9, ComputationType::KeyMatch, &[1, 2, 3, 4], 2);
    h.matching(1, id, "VIN-A", "insurer one");
    h.matching(2, id, "VIN-B", "insurer two");
    h.matching(3, id, "VIN-A", "insurer three");
    let r = h.result(1, id);
    assert_eq!(r.status, RendezvousStatus::Ok);
    let got: Vec<_> = r
        .matches
        .iter()
        .map(|(k, m)| (*k, m.as_bytes().to_vec()))
        .collect();
    assert_eq!(
        got,
        [
            (key(1), b"insurer one".to_vec()),
            (key(3), b"insurer three".to_vec())
        ]
    );
    // A key nobody else submitted releases nothing.
    let r = h.result(2, id);
    assert_eq!((r.status, r.matches.len()), (RendezvousStatus::NoMatch, 0));
    // Locked after the first release.
    assert_eq!(h.matching(4, id, "VIN-B", "four"), RendezvousStatus::Locked);
    assert_eq!(h.result(4, id).status, RendezvousStatus::NoMatch);
    // Quorum 3.
    let id = h.create(9, ComputationType::KeyMatch, &[1, 2, 3], 3);
    h.matching(1, id, "K", "a");
    h.matching(2, id, "K", "b");
    assert_eq!(h.result(1, id).status, RendezvousStatus::NoQuorum);
    h.matching(3, id, "L", "c");
    assert_eq!(h.result(1, id).status, RendezvousStatus::NoMatch);
    h.matching(3, id, "K", "c");
    assert_eq!(h.result(2, id).matches.len(), 3);
}

#[test]
fn every_mistake_has_its_status() {
    let mut h = H::new();
    let avg = h.create(9, ComputationType::Average, &[1, 2], 1);
    let m = h.create(9, ComputationType::KeyMatch, &[1, 2], 1);
    assert_eq!(h.number(5, avg, 1), RendezvousStatus::NotParticipant);
    assert_eq!(h.matching(1, avg, "k", "m"), RendezvousStatus::WrongType);
    assert_eq!(h.number(1, m, 3), RendezvousStatus::WrongType);
    assert_eq!(
        h.number(1, ComputationId([0x11; 16]), 3),
        RendezvousStatus::EpochChanged
    );
    let mut unknown = avg;
    unknown.0[15] ^= 1;
    assert_eq!(h.number(1, unknown, 3), RendezvousStatus::NotFound);
    assert_eq!(
        h.run(1, RendezvousOp::Close { id: avg }).status,
        RendezvousStatus::NotConvener
    );
    assert_eq!(
        h.run(9, RendezvousOp::Close { id: avg }).status,
        RendezvousStatus::Ok
    );
    assert_eq!(h.number(1, avg, 3), RendezvousStatus::Closed);
    assert_eq!(
        h.number(1, avg, MAX_VALUE + 1),
        RendezvousStatus::InvalidRequest
    );
    // A deadline closes it too.
    let r = h.run(
        9,
        RendezvousOp::Create {
            name: "late".into(),
            kind: ComputationType::Average,
            participants: vec![key(1)],
            quorum: 1,
            deadline: Some(h.now + 10),
        },
    );
    let late = r.id.unwrap();
    h.now += 11;
    assert_eq!(h.number(1, late, 3), RendezvousStatus::Closed);
    // Unproven and malformed.
    let bytes = RendezvousRequest {
        acting_as: key(1),
        op: RendezvousOp::Result { id: m },
    }
    .encode();
    let out = h.r.execute_record(&bytes, Choice::from(0), h.now);
    assert_eq!(out[0], RendezvousStatus::KeyNotProven.code());
    let mut bad = bytes.clone();
    bad[0] = 7;
    assert_eq!(
        h.r.execute_record(&bad, Choice::from(1), h.now)[0],
        RendezvousStatus::InvalidRequest.code()
    );
    // Full.
    while h.r.next < 16 {
        h.create(9, ComputationType::Average, &[1], 1);
    }
    let r = h.run(
        9,
        RendezvousOp::Create {
            name: "x".into(),
            kind: ComputationType::Average,
            participants: vec![key(1)],
            quorum: 1,
            deadline: None,
        },
    );
    assert_eq!(r.status, RendezvousStatus::Full);
}

/// A restarted enclave (a new epoch) answers every old id "gone", even if
/// the host replays the submissions into a new computation.
#[test]
fn a_restart_is_an_epoch_error_never_another_answer() {
    let mut h = H::new();
    let id = h.create(9, ComputationType::Average, &[1, 2], 2);
    h.number(1, id, 10);
    h.number(2, id, 20);
    assert_eq!(h.result(1, id).value, 15);
    let config = RendezvousConfig::new(16).unwrap();
    let mut restarted = H {
        r: Rendezvous::with_secret(config, &DefaultFactory, [2; 32], EPOCH + 1),
        now: 2_000,
    };
    // The host replays the create and one submission: a new id.
    let replayed = restarted.create(9, ComputationType::Average, &[1, 2], 1);
    assert_ne!(replayed, id);
    restarted.number(1, replayed, 10);
    assert_eq!(
        restarted.result(2, id).status,
        RendezvousStatus::EpochChanged
    );
    assert_eq!(restarted.number(2, id, 20), RendezvousStatus::EpochChanged);
}

#[test]
fn every_op_and_outcome_looks_the_same_to_the_host() {
    let f = RecordingFactory::new(DefaultFactory);
    let t = f.transcript();
    let mut h = H::with(&f);
    let avg = h.create(9, ComputationType::Average, &[1, 2, 3], 2);
    let m = h.create(9, ComputationType::KeyMatch, &[1, 2], 2);
    let cases: Vec<(u8, RendezvousOp, RendezvousStatus)> = vec![
        (
            1,
            RendezvousOp::Submit {
                id: avg,
                submission: Submission::Number(4),
            },
            RendezvousStatus::Ok,
        ),
        (
            1,
            RendezvousOp::Result { id: avg },
            RendezvousStatus::NoQuorum,
        ),
        (
            5,
            RendezvousOp::Submit {
                id: avg,
                submission: Submission::Number(4),
            },
            RendezvousStatus::NotParticipant,
        ),
        (
            2,
            RendezvousOp::Submit {
                id: m,
                submission: Submission::Number(4),
            },
            RendezvousStatus::WrongType,
        ),
        (
            2,
            RendezvousOp::Submit {
                id: avg,
                submission: Submission::Number(6),
            },
            RendezvousStatus::Ok,
        ),
        (2, RendezvousOp::Result { id: avg }, RendezvousStatus::Ok),
        (
            3,
            RendezvousOp::Submit {
                id: avg,
                submission: Submission::Number(6),
            },
            RendezvousStatus::Locked,
        ),
        (
            1,
            RendezvousOp::Submit {
                id: m,
                submission: Submission::Match {
                    key: MatchKey::new("a").unwrap(),
                    message: MatchMessage::new(b"x").unwrap(),
                },
            },
            RendezvousStatus::Ok,
        ),
        (
            2,
            RendezvousOp::Submit {
                id: m,
                submission: Submission::Match {
                    key: MatchKey::new("b").unwrap(),
                    message: MatchMessage::new(b"y").unwrap(),
                },
            },
            RendezvousStatus::Ok,
        ),
        (1, RendezvousOp::Result { id: m }, RendezvousStatus::NoMatch),
        (
            1,
            RendezvousOp::Result {
                id: ComputationId([3; 16]),
            },
            RendezvousStatus::EpochChanged,
        ),
        (
            1,
            RendezvousOp::Close { id: m },
            RendezvousStatus::NotConvener,
        ),
        (9, RendezvousOp::Close { id: m }, RendezvousStatus::Ok),
        (
            2,
            RendezvousOp::Submit {
                id: m,
                submission: Submission::Match {
                    key: MatchKey::new("a").unwrap(),
                    message: MatchMessage::new(b"y").unwrap(),
                },
            },
            RendezvousStatus::Closed,
        ),
        (
            9,
            RendezvousOp::Create {
                name: "n".into(),
                kind: ComputationType::Maximum,
                participants: vec![key(1)],
                quorum: 1,
                deadline: None,
            },
            RendezvousStatus::Ok,
        ),
    ];
    let mut cases = cases;
    // Lists: a member with computations (some still queued), one without.
    cases.push((1, RendezvousOp::List, RendezvousStatus::Ok));
    cases.push((9, RendezvousOp::List, RendezvousStatus::Ok));
    cases.push((77, RendezvousOp::List, RendezvousStatus::Ok));
    cases.push((
        5,
        RendezvousOp::Result { id: avg },
        RendezvousStatus::NotParticipant,
    ));
    let mut unknown = avg;
    unknown.0[15] ^= 1;
    cases.push((
        1,
        RendezvousOp::Result { id: unknown },
        RendezvousStatus::NotFound,
    ));
    let mut first = None;
    for (who, op, want) in cases {
        t.take();
        let bytes = RendezvousRequest {
            acting_as: key(who),
            op: op.clone(),
        }
        .encode();
        let out = h.r.execute_record(&bytes, Choice::from(1), h.now);
        assert_eq!(RendezvousStatus::from_code(out[0]).unwrap(), want, "{op:?}");
        let accesses = t.take();
        match &first {
            None => first = Some(accesses),
            Some(f) => assert_eq!(&accesses, f, "{op:?} looked different"),
        }
    }
    let names: Vec<_> = first.unwrap().iter().map(|a| a.structure).collect();
    assert_eq!(
        names,
        [
            "computations-by-id",
            "computations",
            "members",
            "member-lists"
        ]
    );

    // A tick moves queued entries with the same accesses as an idle one.
    let mut ticks = Vec::new();
    for _ in 0..3 {
        t.take();
        h.tick();
        ticks.push(t.take());
    }
    assert!(ticks.windows(2).all(|w| w[0] == w[1]));
    let names: Vec<_> = ticks[0].iter().map(|a| a.structure).collect();
    assert_eq!(
        names,
        ["members", "member-lists"].repeat(members::DRAIN_PER_TICK)
    );

    // A create refused as busy looks like one that succeeds.
    let f = RecordingFactory::new(DefaultFactory);
    let t = f.transcript();
    let mut h = H::sized(&f, 64);
    let op = RendezvousOp::Create {
        name: "b".into(),
        kind: ComputationType::Average,
        participants: vec![key(1), key(2), key(3)],
        quorum: 1,
        deadline: None,
    };
    let mut seen = Vec::new();
    // Each request moves one of the 4 entries a create queues: the queue
    // fills within 4/3 x its size.
    for _ in 0..2 * members::PENDING_CREATES {
        let bytes = RendezvousRequest {
            acting_as: key(9),
            op: op.clone(),
        }
        .encode();
        t.take();
        let out = h.r.execute_record(&bytes, Choice::from(1), h.now);
        seen.push((out[0], t.take()));
        if out[0] != RendezvousStatus::Ok.code() {
            break;
        }
    }
    assert_eq!(seen[0].0, RendezvousStatus::Ok.code());
    assert_eq!(seen.last().unwrap().0, RendezvousStatus::Busy.code());
    assert!(seen.iter().all(|(_, a)| *a == seen[0].1));
}

/// Everyone's list, against a model: the convener and each participant
/// see the computation, with their role, once the queue moves; the list
/// keeps the 16 most recent; entries still queued are counted.
#[test]
fn lists_show_each_member_its_computations() {
    let mut h = H::new();
    let none = h.list(5);
    assert_eq!(
        (none.status, none.listing.len(), none.adding),
        (RendezvousStatus::Ok, 0, 0)
    );
    // 9 convenes and takes part; 1 and 2 take part.
    let id = h.create(9, ComputationType::Average, &[1, 9, 2], 2);
    let r = h.list(1);
    assert_eq!(r.adding, 1, "queued until moved");
    h.tick();
    let r = h.list(1);
    assert_eq!((r.adding, r.listing.len()), (0, 1));
    let e = &r.listing[0];
    assert_eq!(
        (e.id, e.name.as_str(), e.kind),
        (id, "calc", ComputationType::Average)
    );
    assert_eq!((e.quorum, e.participants, e.deadline), (2, 3, None));
    assert!(e.role.participant && !e.role.convener);
    let r = h.list(9);
    assert_eq!(
        r.listing.len(),
        1,
        "one entry for a convener who takes part"
    );
    assert!(r.listing[0].role.participant && r.listing[0].role.convener);
    // A convener who does not take part.
    let other = h.create(8, ComputationType::KeyMatch, &[1], 1);
    h.tick();
    let r = h.list(8);
    assert_eq!(r.listing.len(), 1);
    assert!(r.listing[0].role.convener && !r.listing[0].role.participant);
    assert_eq!(h.list(1).listing.len(), 2);
    // Only the key's prover gets its list.
    let bytes = RendezvousRequest {
        acting_as: key(1),
        op: RendezvousOp::List,
    }
    .encode();
    let out = h.r.execute_record(&bytes, Choice::from(0), h.now);
    let r = RendezvousResponse::decode(&out).unwrap();
    assert_eq!(
        (r.status, r.listing.len()),
        (RendezvousStatus::KeyNotProven, 0)
    );
    let _ = other;
}

#[test]
fn lists_keep_the_most_recent_against_a_model() {
    let mut h = H::sized(&DefaultFactory, 64);
    let mut model: std::collections::HashMap<u8, Vec<ComputationId>> = Default::default();
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as u32
    };
    for _ in 0..60 {
        let convener = (next() % 6) as u8 + 1;
        let mut parts: Vec<u8> = Vec::new();
        for _ in 0..(next() % 4 + 1) {
            let p = (next() % 6) as u8 + 1;
            if !parts.contains(&p) {
                parts.push(p);
            }
        }
        let id = h.create(convener, ComputationType::Maximum, &parts, 1);
        let mut members = parts.clone();
        if !members.contains(&convener) {
            members.push(convener);
        }
        for m in members {
            model.entry(m).or_default().push(id);
        }
        if next() % 3 == 0 {
            h.tick();
        }
    }
    for _ in 0..members::PENDING_CREATES {
        h.tick();
    }
    for m in 1..=6u8 {
        let r = h.list(m);
        assert_eq!(r.adding, 0);
        let mut got = r.listing.clone();
        got.sort_by_key(|e| std::cmp::Reverse(e.order));
        let got: Vec<_> = got.iter().map(|e| e.id).collect();
        let want: Vec<_> = model[&m].iter().rev().take(16).copied().collect();
        assert_eq!(got, want, "member {m}");
    }
}

#[test]
fn duplicate_participants_are_refused() {
    let mut h = H::new();
    let mut bytes = RendezvousRequest {
        acting_as: key(9),
        op: RendezvousOp::Create {
            name: "d".into(),
            kind: ComputationType::Average,
            participants: vec![key(1), key(2)],
            quorum: 1,
            deadline: None,
        },
    }
    .encode();
    // The typed encoder would refuse this; a raw record carries it.
    let at = offsets::PARTICIPANTS + KEY_LEN;
    bytes[at..at + KEY_LEN].copy_from_slice(&[1; KEY_LEN]);
    let out = h.r.execute_record(&bytes, Choice::from(1), h.now);
    assert_eq!(out[0], RendezvousStatus::InvalidRequest.code());
}

/// Replicas with the same secret and epoch, applying the same requests,
/// create the same ids and give the same answers (their ORAM randomness,
/// which changes only the physical layout, differs).
#[test]
fn replicas_with_one_secret_create_the_same_ids() {
    let (mut a, mut b) = (H::new(), H::new());
    for round in 0..5u8 {
        let ia = a.create(1, ComputationType::Average, &[2, 3], 2);
        let ib = b.create(1, ComputationType::Average, &[2, 3], 2);
        assert_eq!(ia, ib, "round {round}");
        for (who, v) in [(2u8, 10i64), (3, 20)] {
            assert_eq!(a.number(who, ia, v), b.number(who, ib, v));
        }
        assert_eq!(a.result(1, ia), b.result(1, ib));
        a.tick();
        b.tick();
        assert_eq!(a.list(2), b.list(2));
    }
    let mut c = H::new();
    c.r = Rendezvous::with_secret(
        RendezvousConfig::new(16).unwrap(),
        &DefaultFactory,
        [3; 32],
        EPOCH,
    );
    super::super::TrustedService::tick(&mut c.r, c.now);
    assert_ne!(
        c.create(1, ComputationType::Average, &[2, 3], 2),
        H::new().create(1, ComputationType::Average, &[2, 3], 2),
        "another secret draws other ids"
    );
}

/// When tokens are required, a create without a credit answers NO_TOKENS
/// with the accesses of any request, creates nothing and spends nothing;
/// with a credit it goes through and spends it; other ops need none.
#[test]
fn creates_need_a_credit_when_tokens_are_required() {
    use crate::services::{Caller, Credits, TrustedService};
    use crate::session::proven_keys::{PROVEN_KEYS_LEN, ProvenKeys};
    use std::sync::atomic::AtomicU32;
    let f = RecordingFactory::new(DefaultFactory);
    let t = f.transcript();
    let mut h = H::with(&f);
    let mut bytes = [0u8; PROVEN_KEYS_LEN];
    bytes[..32].copy_from_slice(key(9).as_bytes());
    bytes[hush_wire::consts::MAX_KEYS_PER_SESSION * 32] = 1;
    let keys = ProvenKeys::from_bytes(&bytes).unwrap();
    let lookups = AtomicU32::new(0);
    let run = |h: &mut H, credits: &Credits, op: RendezvousOp| {
        let caller = Caller {
            keys: &keys,
            lookups: &lookups,
            credits,
            tokens_required: true,
        };
        let request = RendezvousRequest {
            acting_as: key(9),
            op,
        }
        .encode();
        RendezvousResponse::decode(&h.r.execute(&request, &caller, h.now)).unwrap()
    };
    let create = RendezvousOp::Create {
        name: "calc".into(),
        kind: ComputationType::Maximum,
        participants: vec![key(1)],
        quorum: 1,
        deadline: None,
    };
    let broke = Credits::default();
    t.take();
    assert_eq!(
        run(&mut h, &broke, create.clone()).status,
        RendezvousStatus::NoTokens
    );
    let refused = t.take();
    assert_eq!(broke.counts(), CreditCounts::default(), "nothing spent");
    h.tick();
    let listed = run(&mut h, &broke, RendezvousOp::List);
    assert_eq!(
        listed.status,
        RendezvousStatus::Ok,
        "a list needs no credit"
    );
    assert!(
        listed.listing.is_empty() && listed.adding == 0,
        "nothing was created"
    );
    t.take();
    let paid = Credits::new(CreditCounts {
        granted: 1,
        ..CreditCounts::default()
    });
    assert_eq!(
        run(&mut h, &paid, create.clone()).status,
        RendezvousStatus::Ok
    );
    assert_eq!(t.take(), refused, "the same accesses either way");
    assert_eq!((paid.counts().granted, paid.counts().used), (1, 1));
    assert_eq!(
        run(&mut h, &paid, create).status,
        RendezvousStatus::NoTokens,
        "the credit is used"
    );
}
