//! A broker request in three calls, so that only the store's work runs on
//! the broker's enclave thread.
//!
//! Opening a frame (the session, the AEAD, the replay window, the key
//! check) and sealing its answer touch the session alone, never the store.
//! [`EnclaveApi::open_query`] does the first and returns an
//! [`OpenedQuery`]; [`EnclaveApi::execute_query`] runs it against the
//! store and returns an [`AnswerToSeal`]; [`EnclaveApi::seal_answer`]
//! seals it. The host makes the first and the last on whichever thread
//! received the frame, and the middle one on the enclave thread, which then
//! spends its time on the oblivious arrays alone (BENCHMARKS.md, "The
//! session's crypto off the enclave thread").
//!
//! In a TEE these are three entries into the enclave from different
//! threads, and the two values stay in enclave memory, the host holding
//! only a handle. In process, the host holds the values themselves, which
//! it cannot read: their fields are private to this crate, and neither
//! prints its contents. The host learns nothing it did not know from the
//! one-call [`EnclaveApi::query`]: which session sent a frame, whether the
//! frame opened, and when each call ran. Each call's work is the same for
//! every request of its service (fixed lengths, constant-time key check).
//!
//! [`EnclaveApi::open_query`]: crate::EnclaveApi::open_query
//! [`EnclaveApi::execute_query`]: crate::EnclaveApi::execute_query
//! [`EnclaveApi::seal_answer`]: crate::EnclaveApi::seal_answer
//! [`EnclaveApi::query`]: crate::EnclaveApi::query

use crate::session::table::Session;
use hush_wire::{RequestRecord, ResponseRecord};
use std::sync::Arc;

/// A broker request whose frame the enclave has opened, waiting for the
/// store. Dropping it drops the request; its nonce stays used.
pub struct OpenedQuery {
    pub(crate) session: Arc<Session>,
    pub(crate) nonce: u64,
    pub(crate) record: RequestRecord,
    /// Whether the session has proven the key the record acts as, and
    /// whether a create may go ahead (token credits).
    pub(crate) authority: crate::services::broker::Authority,
}

/// A broker answer the store has made, waiting to be sealed for the
/// session that asked (under the request's nonce, in the other direction).
pub struct AnswerToSeal {
    pub(crate) session: Arc<Session>,
    pub(crate) nonce: u64,
    pub(crate) response: ResponseRecord,
}

impl std::fmt::Debug for OpenedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenedQuery(..)")
    }
}

impl std::fmt::Debug for AnswerToSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerToSeal(..)")
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{enclave, session_proving};
    use crate::{EnclaveApi, InProcessEnclave, SessionError, StoreConfig};
    use hush_client::Identity;
    use hush_client::session::ClientSession;
    use hush_wire::{MessageId, Op, Payload, Request, RequestRecord, Response, Status};
    use std::sync::Arc;

    /// An enclave and a session that has proven alice's key (not bob's).
    fn setup() -> (Arc<InProcessEnclave>, ClientSession, Identity, Identity) {
        let e = enclave(StoreConfig::new(64, 100).unwrap(), 1_000);
        let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
        let s = session_proving(&e, &[&alice]);
        (Arc::new(e), s, alice, bob)
    }

    fn create(from: &Identity, to: &Identity, text: &str) -> Request {
        Request {
            acting_as: from.public(),
            op: Op::Create {
                id: MessageId::new([7; 16]).unwrap(),
                recipient: to.public(),
                payload: Payload::frame(text.as_bytes()).unwrap(),
            },
        }
    }

    /// Opens `req` on a thread of its own, runs it on this one, seals its
    /// answer on a third, and opens the answer as the client.
    fn across_threads(e: &Arc<InProcessEnclave>, s: &ClientSession, req: &Request) -> Response {
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(req));
        let (opener, id) = (e.clone(), s.id());
        let opened = std::thread::spawn(move || opener.open_query(&id, &sealed))
            .join()
            .unwrap()
            .expect("the frame opens");
        let answer = e.execute_query(opened).expect("not a replica");
        let sealer = e.clone();
        let sealed = std::thread::spawn(move || sealer.seal_answer(answer))
            .join()
            .unwrap();
        s.open_response(nonce, &sealed).unwrap().decode().unwrap()
    }

    #[test]
    fn a_query_opened_and_sealed_on_other_threads_is_answered_as_in_one_call() {
        let (e, s, alice, _) = setup();
        let created = across_threads(&e, &s, &create(&alice, &alice, "hello"));
        assert_eq!(created.status, Status::Ok);
        let read = across_threads(
            &e,
            &s,
            &Request {
                acting_as: alice.public(),
                op: Op::ReadNext,
            },
        );
        assert_eq!(read.status, Status::Ok);
        let text = read.message.expect("a message").payload;
        assert_eq!(text.unframe().unwrap(), b"hello");
        // And the one-call path sees the same store.
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&Request {
            acting_as: alice.public(),
            op: Op::List,
        }));
        let listed = s
            .open_response(nonce, &e.query(&s.id(), &sealed).unwrap())
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(listed.listing.ids().len(), 1);
    }

    #[test]
    fn a_replayed_frame_is_refused_when_it_is_opened() {
        let (e, s, alice, _) = setup();
        let (_, sealed) = s.seal_request(&RequestRecord::encode(&create(&alice, &alice, "x")));
        let first = e.open_query(&s.id(), &sealed).expect("opens once");
        assert!(matches!(
            e.open_query(&s.id(), &sealed),
            Err(SessionError::Replay)
        ));
        // Dropping an opened query loses it; its nonce stays used.
        drop(first);
        assert!(matches!(
            e.open_query(&s.id(), &sealed),
            Err(SessionError::Replay)
        ));
    }

    /// Which keys a session proved is the client's secret: opening never
    /// depends on it, only the store's answer does.
    #[test]
    fn a_request_acting_as_an_unproven_key_opens_like_any_other() {
        let (e, s, alice, bob) = setup();
        let answer = across_threads(&e, &s, &create(&bob, &alice, "not bob"));
        assert_eq!(answer.status, Status::KeyNotProven);
        let answer = across_threads(&e, &s, &create(&alice, &bob, "from alice"));
        assert_eq!(answer.status, Status::Ok);
    }

    #[test]
    fn an_enclave_that_became_a_replica_refuses_opened_queries() {
        let (e, s, alice, _) = setup();
        let (_, sealed) = s.seal_request(&RequestRecord::encode(&create(&alice, &alice, "x")));
        let opened = e.open_query(&s.id(), &sealed).unwrap();
        e.found_cluster().unwrap();
        assert!(matches!(
            e.execute_query(opened),
            Err(SessionError::Replicated)
        ));
        let (_, sealed) = s.seal_request(&RequestRecord::encode(&create(&alice, &alice, "y")));
        assert!(matches!(
            e.open_query(&s.id(), &sealed),
            Err(SessionError::Replicated)
        ));
    }

    #[test]
    fn neither_value_prints_what_it_holds() {
        let (e, s, alice, _) = setup();
        let (_, sealed) = s.seal_request(&RequestRecord::encode(&create(&alice, &alice, "x")));
        let opened = e.open_query(&s.id(), &sealed).unwrap();
        assert_eq!(format!("{opened:?}"), "OpenedQuery(..)");
        let answer = e.execute_query(opened).unwrap();
        assert_eq!(format!("{answer:?}"), "AnswerToSeal(..)");
    }
}
