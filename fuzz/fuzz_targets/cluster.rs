//! What a host can hand a replica's enclave: arbitrary log entries and
//! snapshots (which must authenticate under the cluster's keys before
//! anything is parsed) and arbitrary peer-handshake messages on either
//! side of a join. No panic, nothing applied or installed, no secret
//! handed over.
#![no_main]

use hush_attest::Policy;
use hush_enclave::cluster::ClusterSecret;
use hush_enclave::cluster::join::{Admission, Joiner};
use hush_enclave::session::noise::StaticKey;
use hush_enclave::{AttestationMode, EnclaveConfig, InProcessEnclave, StoreConfig};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn replica() -> &'static InProcessEnclave {
    static E: OnceLock<InProcessEnclave> = OnceLock::new();
    E.get_or_init(|| {
        let config = EnclaveConfig {
            store: StoreConfig::new(16, 60).unwrap(),
            directory: hush_enclave::DirectoryConfig::new(16).unwrap(),
            rendezvous: hush_enclave::RendezvousConfig::new(16).unwrap(),
            max_sessions: 8,
            session_idle_secs: 60,
            attestation: AttestationMode::Dev,
            collateral: None,
            peer_policy: None,
            tokens: Default::default(),
            delivery: None,
            blobs: hush_enclave::BlobConfig::new(16, 60),
        };
        InProcessEnclave::start_replica(config, 1_000, &ClusterSecret::generate()).unwrap()
    })
}

fn node() -> &'static (StaticKey, Vec<u8>) {
    static N: OnceLock<(StaticKey, Vec<u8>)> = OnceLock::new();
    N.get_or_init(|| {
        let key = StaticKey::generate().unwrap();
        let evidence = hush_attest::dev::produce(key.public()).encode();
        (key, evidence)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let (key, evidence) = node();
    let policy = Policy::dev();
    match which % 6 {
        0 => {
            assert!(replica().apply(rest).is_err(), "only sealed entries apply");
            assert_eq!(replica().applied_seq(), 0);
        }
        5 => {
            // A peer message's authenticator: arbitrary bytes never pass
            // (the tag is a MAC under a key only members hold).
            let (auth, parts) = rest.split_at(rest.len().min(40));
            assert!(replica().peer_check(&[parts, b"append"], auth).is_err());
        }
        4 => {
            assert!(
                replica().install_snapshot(rest).is_err(),
                "only sealed snapshots install"
            );
            assert_eq!(replica().applied_seq(), 0);
        }
        1 => {
            let _ = Admission::on_hello(key, rest, evidence);
            // A real hybrid hello with arbitrary bytes XORed over it (its
            // ML-KEM key malformed or unusual).
            let (_, mut hello) = Joiner::start(key).unwrap();
            for (b, x) in hello.iter_mut().zip(rest) {
                *b ^= x;
            }
            let _ = Admission::on_hello(key, &hello, evidence);
        }
        2 => {
            // A real hello, then an arbitrary proof: no secret frame.
            let (_, hello) = Joiner::start(key).unwrap();
            let (admission, _) = Admission::on_hello(key, &hello, evidence).unwrap();
            assert!(
                admission
                    .on_proof(rest, &policy, 1_000, &ClusterSecret::generate())
                    .is_err()
            );
        }
        _ => {
            // An arbitrary reply to a joiner, then an arbitrary secret frame.
            let (joiner, _) = Joiner::start(key).unwrap();
            if let Ok((waiting, _)) = joiner.on_reply(rest, evidence, &policy, 1_000) {
                let _ = waiting.on_secret(rest);
            }
        }
    }
});
