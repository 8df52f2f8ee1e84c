//! The services' untrusted inputs: every record and content decoder of
//! accounts, groups, media and rendezvous (never panic; what is accepted
//! re-encodes to the same bytes), and arbitrary request records fed to the
//! trusted directory and rendezvous services (never panic, always one
//! response size, always a valid response).
#![no_main]

use hush_enclave::oram::DefaultFactory;
use hush_enclave::{Directory, DirectoryConfig, Rendezvous, RendezvousConfig};
use hush_wire::FixedCodec;
use hush_wire::consts::{DIRECTORY_REQUEST_LEN, DIRECTORY_RESPONSE_LEN};
use hush_wire::consts::{RENDEZVOUS_REQUEST_LEN, RENDEZVOUS_RESPONSE_LEN};
use hush_wire::directory::{
    DeviceRecord, DirectoryRequest, DirectoryResponse, Identifier, VerificationCode,
};
use hush_wire::group::GroupUpdate;
use hush_wire::media::{Attachment, Location};
use hush_wire::rendezvous::{RendezvousRequest, RendezvousResponse};
use hush_wire::{EnvelopeKind, EnvelopePlaintext};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::AtomicU32;
use subtle::Choice;

fn canonical<T: FixedCodec>(bytes: &[u8]) {
    if let Ok(v) = T::decode(bytes) {
        assert_eq!(v.encode(), bytes, "{} has a second encoding", T::NAME);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 10 {
        0 => canonical::<DirectoryRequest>(rest),
        1 => canonical::<DirectoryResponse>(rest),
        2 => {
            canonical::<DeviceRecord>(rest);
            if let Ok(id) = Identifier::decode(rest) {
                assert_eq!(&id.encode()[..], rest);
            }
            if let Ok(s) = std::str::from_utf8(rest) {
                if let Ok(id) = Identifier::parse(s) {
                    // Normalising is idempotent.
                    assert_eq!(Identifier::parse(id.as_str()).unwrap(), id);
                }
                let _ = VerificationCode::parse(s);
            }
        }
        3 => {
            if let Ok(u) = GroupUpdate::decode(rest) {
                assert_eq!(u.encode(), rest);
            }
        }
        4 => {
            if let Ok(a) = Attachment::decode(rest) {
                assert_eq!(a.encode(), rest);
            }
        }
        5 => {
            if let Ok(l) = Location::decode(rest) {
                assert_eq!(l.encode(), rest);
            }
        }
        6 => {
            for kind in [EnvelopeKind::Sent, EnvelopeKind::Group] {
                if let Ok(e) = EnvelopePlaintext::new(kind, rest) {
                    for prefix in [16, 32] {
                        if let Ok((p, inner)) = e.unnest(prefix) {
                            let again = EnvelopePlaintext::nest(kind, p, &inner).unwrap();
                            assert_eq!(again, e);
                        }
                    }
                }
            }
        }
        8 => {
            canonical::<RendezvousRequest>(rest);
            // A response places each match at its participant's position,
            // so gaps are valid and the encoding packs them: what is
            // accepted must re-encode to a value that decodes the same.
            if let Ok(v) = RendezvousResponse::decode(rest) {
                let again = RendezvousResponse::decode(&v.encode()).expect("re-encoding decodes");
                assert_eq!(again, v, "rendezvous response does not survive re-encoding");
            }
        }
        9 => {
            // Records straight into the trusted rendezvous service.
            let mut r = Rendezvous::with_secret(
                RendezvousConfig::new(4).unwrap(),
                &DefaultFactory,
                [4; 32],
                7,
            );
            for (i, chunk) in rest.chunks(RENDEZVOUS_REQUEST_LEN).enumerate() {
                let mut record = [0u8; RENDEZVOUS_REQUEST_LEN];
                record[..chunk.len()].copy_from_slice(chunk);
                let out = r.execute_record(&record, Choice::from(1), 1_000 + i as u64);
                assert_eq!(out.len(), RENDEZVOUS_RESPONSE_LEN);
                let _ =
                    RendezvousResponse::decode(&out).expect("the service answers valid records");
            }
        }
        _ => {
            // Records straight into the trusted directory.
            let mut d =
                Directory::with_secret(DirectoryConfig::new(8).unwrap(), &DefaultFactory, [3; 32]);
            let lookups = AtomicU32::new(0);
            for (i, chunk) in rest.chunks(DIRECTORY_REQUEST_LEN).enumerate() {
                let mut record = [0u8; DIRECTORY_REQUEST_LEN];
                record[..chunk.len()].copy_from_slice(chunk);
                let out = d.execute_record(
                    &record,
                    Choice::from(1),
                    &lookups,
                    &Default::default(),
                    1_000 + i as u64,
                );
                assert_eq!(out.len(), DIRECTORY_RESPONSE_LEN);
                let _ =
                    DirectoryResponse::decode(&out).expect("the directory answers valid records");
                d.tick(1_000 + i as u64);
            }
        }
    }
});
