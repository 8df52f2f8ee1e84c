//! What the crate's tests share: an in-process enclave with small services,
//! and a client session that has proven some identities' keys.

use crate::{EnclaveApi, EnclaveConfig, InProcessEnclave, StoreConfig};
use hush_client::Identity;
use hush_client::session::{ClientSession, Handshake};
use hush_wire::KeyProofStatus;

/// An enclave started at `now` with this store, 16-entry directory and
/// rendezvous services and room for 8 sessions.
pub(crate) fn enclave(store: StoreConfig, now: u64) -> InProcessEnclave {
    InProcessEnclave::start(EnclaveConfig::small(store, 8, 600), now).unwrap()
}

/// A session with `e` whose proofs of `who`'s keys were accepted.
pub(crate) fn session_proving(e: &InProcessEnclave, who: &[&Identity]) -> ClientSession {
    let hs = Handshake::start().unwrap();
    let reply = e.handshake(&hs.message).unwrap();
    let s = hs
        .finish(reply.session, &reply.message, &hush_attest::Policy::dev())
        .unwrap();
    let keys: Vec<_> = who.iter().map(|i| i.keypair()).collect();
    let refs: Vec<_> = keys.iter().collect();
    let (nonce, sealed) = s.seal_key_proofs(&refs);
    let r = e.prove_keys(&s.id(), &sealed).unwrap();
    assert_eq!(
        s.open_key_proof_response(nonce, &r).unwrap().status,
        KeyProofStatus::Ok
    );
    s
}
