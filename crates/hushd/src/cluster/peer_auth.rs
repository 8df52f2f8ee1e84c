//! What each peer message's tag covers, and the checks on both ends.
//!
//! Raft's messages (`append`, `vote`, `snapshot`), a node's request to be
//! admitted (`member-add`) and the answers to all four carry an
//! authenticator in `PeerMessage.auth`, made by the sending node's
//! enclave under a key only members' enclaves hold
//! (`hush_enclave::cluster::peer_auth`). A node acts on a message, and a
//! caller on an answer, only after its own enclave has accepted it. What
//! a tag covers:
//!
//! - a message: [`MESSAGE_DOMAIN`], its kind, the raft id it is for
//!   (`to`), its join handle, body and data: a message cannot be
//!   redirected to another incarnation, or turned into another kind;
//! - an answer: [`ANSWER_DOMAIN`], the authenticator of the message it
//!   answers, then its kind, body and data: a recorded answer cannot
//!   answer another message.
//!
//! The join handshake (`join-hello`, `join-proof`) is not tagged: the
//! joiner holds no cluster secret yet, and the handshake is mutually
//! attested inside the enclaves instead. Refusals and transport errors
//! (gRPC statuses) are not tagged either: a stranger can make a call fail,
//! which is no more than dropping it.

use hush_enclave::EnclaveApi;
use hush_wire::grpc::v1::PeerMessage;
use tonic::Status;

/// Leads every message's authenticated parts.
pub const MESSAGE_DOMAIN: &[u8] = b"hush.peer.message.v1";
/// Leads every answer's authenticated parts.
pub const ANSWER_DOMAIN: &[u8] = b"hush.peer.answer.v1";

/// The kinds of message that must carry a tag (all but the join
/// handshake's).
pub const AUTHENTICATED_KINDS: [&str; 4] = ["append", "vote", "snapshot", "member-add"];

/// Whether a message of `kind` must carry a tag.
pub fn is_authenticated(kind: &str) -> bool {
    AUTHENTICATED_KINDS.contains(&kind)
}

/// Runs `f` on the parts a message's tag covers.
fn message_parts<T>(msg: &PeerMessage, f: impl FnOnce(&[&[u8]]) -> T) -> T {
    let to = msg.to.to_le_bytes();
    let handle = msg.handle.to_le_bytes();
    f(&[
        MESSAGE_DOMAIN,
        msg.kind.as_bytes(),
        &to,
        &handle,
        &msg.body,
        &msg.data,
    ])
}

/// Runs `f` on the parts an answer's tag covers.
fn answer_parts<T>(request_auth: &[u8], answer: &PeerMessage, f: impl FnOnce(&[&[u8]]) -> T) -> T {
    f(&[
        ANSWER_DOMAIN,
        request_auth,
        answer.kind.as_bytes(),
        &answer.body,
        &answer.data,
    ])
}

fn cannot_sign(e: hush_enclave::cluster::PeerAuthError) -> Status {
    Status::failed_precondition(format!("cannot authenticate a peer message: {e}"))
}

fn refused(what: &str, e: hush_enclave::cluster::PeerAuthError) -> Status {
    Status::unauthenticated(format!("{what} refused: {e}"))
}

/// Tags `msg` (its `auth` field) before it is sent.
pub fn sign_message(enclave: &dyn EnclaveApi, msg: &mut PeerMessage) -> Result<(), Status> {
    let auth = message_parts(msg, |parts| enclave.peer_authenticate(parts)).map_err(cannot_sign)?;
    msg.auth = auth.to_vec();
    Ok(())
}

/// Checks a received message's tag; the error is what its sender hears.
pub fn check_message(enclave: &dyn EnclaveApi, msg: &PeerMessage) -> Result<(), Status> {
    message_parts(msg, |parts| enclave.peer_check(parts, &msg.auth))
        .map_err(|e| refused(&format!("peer message {:?}", msg.kind), e))
}

/// Tags `answer` to the message whose authenticator is `request_auth`.
pub fn sign_answer(
    enclave: &dyn EnclaveApi,
    request_auth: &[u8],
    answer: &mut PeerMessage,
) -> Result<(), Status> {
    let auth = answer_parts(request_auth, answer, |parts| {
        enclave.peer_authenticate(parts)
    })
    .map_err(cannot_sign)?;
    answer.auth = auth.to_vec();
    Ok(())
}

/// Checks an answer's tag against the message it answers.
pub fn check_answer(
    enclave: &dyn EnclaveApi,
    request_auth: &[u8],
    answer: &PeerMessage,
) -> Result<(), Status> {
    answer_parts(request_auth, answer, |parts| {
        enclave.peer_check(parts, &answer.auth)
    })
    .map_err(|e| refused(&format!("peer answer {:?}", answer.kind), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_enclave::{EnclaveConfig, InProcessEnclave, StoreConfig};

    fn member(founder: bool) -> InProcessEnclave {
        let e = InProcessEnclave::start(
            EnclaveConfig::small(StoreConfig::new(64, 60).unwrap(), 4, 60),
            1_000,
        )
        .unwrap();
        if founder {
            e.found_cluster().unwrap();
        }
        e
    }

    fn append() -> PeerMessage {
        PeerMessage {
            kind: "append".into(),
            body: b"entries".to_vec(),
            to: 42,
            ..Default::default()
        }
    }

    #[test]
    fn a_signed_message_checks_and_any_change_is_refused() {
        let e = member(true);
        let mut msg = append();
        sign_message(&e, &mut msg).unwrap();
        check_message(&e, &msg).unwrap();
        for change in [
            (|m: &mut PeerMessage| m.kind = "vote".into()) as fn(&mut PeerMessage),
            |m| m.to = 43,
            |m| m.handle = 1,
            |m| m.body.push(0),
            |m| m.data.push(0),
            |m| m.auth[20] ^= 1,
            |m| m.auth.clear(),
        ] {
            let mut changed = msg.clone();
            change(&mut changed);
            let status = check_message(&e, &changed).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
        }
        // Another cluster's enclave neither accepts it nor can sign.
        let stranger = member(true);
        assert!(check_message(&stranger, &msg).is_err());
        let mut unsigned = append();
        assert_eq!(
            sign_message(&member(false), &mut unsigned)
                .unwrap_err()
                .code(),
            tonic::Code::FailedPrecondition
        );
    }

    #[test]
    fn an_answer_checks_only_against_its_own_message() {
        let e = member(true);
        let (mut first, mut second) = (append(), append());
        sign_message(&e, &mut first).unwrap();
        e.tick(1_001);
        sign_message(&e, &mut second).unwrap();
        assert_ne!(first.auth, second.auth);
        let mut answer = PeerMessage {
            kind: "append".into(),
            body: b"ok".to_vec(),
            ..Default::default()
        };
        sign_answer(&e, &first.auth, &mut answer).unwrap();
        check_answer(&e, &first.auth, &answer).unwrap();
        assert!(check_answer(&e, &second.auth, &answer).is_err());
        // Signed as a message, it is no answer (and the other way round).
        let mut as_message = answer.clone();
        sign_message(&e, &mut as_message).unwrap();
        assert!(check_answer(&e, &first.auth, &as_message).is_err());
        assert!(check_message(&e, &answer).is_err());
    }

    /// A message recorded and replayed later (to a node, or to the new
    /// incarnation that replaced it) is refused once older than the window:
    /// peer tags carry the sending enclave's time.
    #[test]
    fn a_message_replayed_after_the_window_is_refused() {
        let e = member(true);
        let mut msg = append();
        sign_message(&e, &mut msg).unwrap();
        e.tick(1_000 + hush_enclave::cluster::peer_auth::MAX_AGE_SECS);
        check_message(&e, &msg).unwrap();
        e.tick(1_001 + hush_enclave::cluster::peer_auth::MAX_AGE_SECS);
        let status = check_message(&e, &msg).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert!(status.message().contains("more than 60 s"), "{status:?}");
    }
}
