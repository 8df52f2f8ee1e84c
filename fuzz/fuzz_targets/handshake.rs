//! The enclave's session entry points (handshake, key proofs, queries,
//! attachments) and the client's handshake reader, on arbitrary bytes: no
//! panic, and the session table stays bounded.
#![no_main]

use hush_attest::Policy;
use hush_client::session::Handshake;
use hush_enclave::{AttestationMode, EnclaveApi, EnclaveConfig, InProcessEnclave, StoreConfig};
use hush_wire::SessionId;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const MAX_SESSIONS: usize = 8;

fn enclave() -> &'static InProcessEnclave {
    static E: OnceLock<InProcessEnclave> = OnceLock::new();
    E.get_or_init(|| {
        let config = EnclaveConfig {
            store: StoreConfig::new(16, 60).unwrap(),
            directory: hush_enclave::DirectoryConfig::new(16).unwrap(),
            rendezvous: hush_enclave::RendezvousConfig::new(16).unwrap(),
            max_sessions: MAX_SESSIONS,
            session_idle_secs: 60,
            attestation: AttestationMode::Dev,
            collateral: None,
            peer_policy: None,
            // The directory issues tokens: arm 5's records reach the
            // issuance's element decoding.
            tokens: hush_enclave::TokenConfig {
                directory_tokens_per_day: 8,
                ..Default::default()
            },
            delivery: None,
            blobs: hush_enclave::BlobConfig::new(16, 60),
        };
        InProcessEnclave::start(config, 1_000).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let e = enclave();
    match which % 8 {
        0 => {
            let _ = e.handshake(rest);
        }
        1 => {
            // A real session, then arbitrary frames in it.
            let hs = Handshake::start().unwrap();
            let reply = e.handshake(&hs.message).unwrap();
            let _ = e.prove_keys(&reply.session, rest);
            let _ = e.query(&reply.session, rest);
        }
        2 => {
            if rest.len() >= 16 {
                let id = SessionId::from_bytes(&rest[..16]).unwrap();
                let _ = e.query(&id, &rest[16..]);
                let _ = e.prove_keys(&id, &rest[16..]);
            }
        }
        4 => {
            // A real session: an arbitrary blob request record, sealed so
            // that it opens, with an arbitrary body; then as a download.
            let hs = Handshake::start().unwrap();
            let reply = e.handshake(&hs.message).unwrap();
            let s = hs
                .finish(reply.session, &reply.message, &Policy::dev())
                .unwrap();
            let mut record = [0u8; hush_wire::blob_transfer::BLOB_REQUEST_LEN];
            let n = rest.len().min(record.len());
            record[..n].copy_from_slice(&rest[..n]);
            let (_, sealed) = s.seal_bytes(&record);
            let mut body = rest.get(n..).unwrap_or_default().to_vec();
            let _ = e.blob_upload(&s.id(), &sealed, &mut body);
            let (_, sealed) = s.seal_bytes(&record);
            if let Ok(hush_enclave::BlobStep::Fetch(plan)) = e.blob_download_begin(&s.id(), &sealed)
            {
                let _ = e.blob_download_finish(plan.ticket, Some(&body));
            }
            e.tick(1_000 + u64::from(which));
            let _ = e.take_blob_writes();
        }
        5 => {
            // A real session: an arbitrary token record (a redemption or
            // an issuance), sealed so that it opens.
            let hs = Handshake::start().unwrap();
            let reply = e.handshake(&hs.message).unwrap();
            let s = hs
                .finish(reply.session, &reply.message, &Policy::dev())
                .unwrap();
            let mut record = [0u8; hush_wire::tokens::TOKEN_REQUEST_LEN];
            let n = rest.len().min(record.len());
            record[..n].copy_from_slice(&rest[..n]);
            let (_, sealed) = s.seal_bytes(&record);
            let _ = e.call(hush_enclave::ServiceId::Tokens, &s.id(), &sealed);
        }
        6 => {
            // A real hybrid first message with arbitrary bytes XORed over
            // it: the enclave parses e and e1 and encapsulates to keys
            // that are malformed (modulus check) or merely unusual.
            let mut init = Handshake::start().unwrap().message;
            for (b, x) in init.iter_mut().zip(rest) {
                *b ^= x;
            }
            let _ = e.handshake(&init);
        }
        7 => {
            // The client reading the enclave's real reply with arbitrary
            // bytes XORed over it (the KEM ciphertext among them: the
            // client decapsulates whatever arrives).
            let hs = Handshake::start().unwrap();
            let reply = e.handshake(&hs.message).unwrap();
            let mut m2 = reply.message.clone();
            for (b, x) in m2.iter_mut().zip(rest) {
                *b ^= x;
            }
            let _ = hs.finish(reply.session, &m2, &Policy::dev());
        }
        _ => {
            // The client reading an arbitrary server handshake message.
            let hs = Handshake::start().unwrap();
            let _ = hs.finish(SessionId([1; 16]), rest, &Policy::dev());
        }
    }
    assert!(e.stats().sessions <= MAX_SESSIONS);
});
