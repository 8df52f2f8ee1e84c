//! The broker's second stage: requests begun, waiting for their message
//! slot's access and their answer's seal.
//!
//! A broker request makes four accesses that decide everything (directory,
//! mailbox, two free lists) and a fifth, to its message slot, that only
//! carries the decision out (`services/broker/message_step.rs`). The host
//! may split a request in two calls: [`EnclaveApi::begin_query`] makes the
//! first four and returns a [`Ticket`]; [`EnclaveApi::finish_query`] makes
//! the fifth and returns the sealed answer. With one enclave thread on
//! each, the next request's first four accesses run while this one's
//! message step does (BENCHMARKS.md, "Two broker stages").
//!
//! The host chooses when each call happens, never the order of the message
//! steps: they run in the order their requests began, whatever order the
//! tickets are finished in. Finishing a ticket runs every step begun before
//! it that has not run yet and keeps their answers for their own tickets.
//! Everything else that touches the message array (the sweep, a snapshot,
//! a one-call request) first runs every step still waiting, so the array
//! is never seen behind the mailboxes.
//!
//! [`EnclaveApi::begin_query`]: crate::EnclaveApi::begin_query
//! [`EnclaveApi::finish_query`]: crate::EnclaveApi::finish_query

use crate::services::broker::{MessageStep, SharedMessages, lock_messages};
use crate::session::SessionError;
use crate::session::noise;
use crate::session::table::Session;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// A begun broker request, to finish with
/// [`EnclaveApi::finish_query`](crate::EnclaveApi::finish_query). Tickets
/// count up from 0 in the order requests began: the host knows that order
/// anyway, since it made the calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub u64);

/// A begun request: its message step and what seals its answer.
struct Waiting {
    ticket: Ticket,
    step: MessageStep,
    /// The message array of the store the step came from.
    messages: SharedMessages,
    session: Arc<Session>,
    nonce: u64,
}

impl Waiting {
    fn run(self) -> (Ticket, Vec<u8>) {
        let response = self.step.run(&mut **lock_messages(&self.messages));
        let sealed = noise::seal(&self.session.transport, self.nonce, response.as_bytes());
        (self.ticket, sealed)
    }
}

/// Begun requests not yet finished, and answers ready for their tickets.
#[derive(Default)]
pub(crate) struct MessageStage {
    /// Steps begun and not yet run, oldest first. Locked briefly by every
    /// begin; never held while a step runs.
    waiting: Mutex<Queue>,
    /// Held by whoever runs steps, so they run one run at a time and in
    /// order; holds the answers of steps run for another ticket.
    ready: Mutex<HashMap<Ticket, Vec<u8>>>,
}

#[derive(Default)]
struct Queue {
    next: u64,
    steps: VecDeque<Waiting>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MessageStage {
    /// Queues a begun request's step. Call it while holding the store the
    /// step came from, so steps queue in the order they began.
    pub(crate) fn push(
        &self,
        step: MessageStep,
        messages: SharedMessages,
        session: Arc<Session>,
        nonce: u64,
    ) -> Ticket {
        let mut queue = lock(&self.waiting);
        let ticket = Ticket(queue.next);
        queue.next += 1;
        queue.steps.push_back(Waiting {
            ticket,
            step,
            messages,
            session,
            nonce,
        });
        ticket
    }

    /// The sealed answer of `ticket`: runs every step up to it that is
    /// still waiting, in order, and keeps the others' answers.
    pub(crate) fn finish(&self, ticket: Ticket) -> Result<Vec<u8>, SessionError> {
        let mut ready = lock(&self.ready);
        if let Some(answer) = ready.remove(&ticket) {
            return Ok(answer);
        }
        let due: Vec<Waiting> = {
            let mut queue = lock(&self.waiting);
            let Some(last) = queue.steps.iter().position(|w| w.ticket == ticket) else {
                return Err(SessionError::UnknownTicket);
            };
            queue.steps.drain(..=last).collect()
        };
        let mut mine = None;
        for waiting in due {
            let (t, sealed) = waiting.run();
            if t == ticket {
                mine = Some(sealed);
            } else {
                ready.insert(t, sealed);
            }
        }
        Ok(mine.expect("the ticket's own step was among those run"))
    }

    /// Runs every waiting step, keeping the answers for their tickets.
    /// Call it while holding the store, before anything else touches the
    /// message array.
    pub(crate) fn run_all(&self) {
        let mut ready = lock(&self.ready);
        let due: Vec<Waiting> = lock(&self.waiting).steps.drain(..).collect();
        for waiting in due {
            let (t, sealed) = waiting.run();
            ready.insert(t, sealed);
        }
    }

    /// Requests begun and not yet finished (for tests).
    #[cfg(test)]
    pub(crate) fn unfinished(&self) -> usize {
        lock(&self.waiting).steps.len() + lock(&self.ready).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{enclave, session_proving};
    use crate::{EnclaveApi, InProcessEnclave, StoreConfig};
    use hush_client::Identity;
    use hush_client::session::ClientSession;
    use hush_wire::{MessageId, Op, Payload, PublicKey, Request, RequestRecord, Response, Status};

    const START: u64 = 1_000;
    const TTL: u64 = 100;

    /// An enclave whose sweep passes over every slot in one tick, and a
    /// session that has proven alice's and bob's keys.
    fn setup() -> (InProcessEnclave, ClientSession, Identity, Identity) {
        let store = StoreConfig::new(64, TTL)
            .unwrap()
            .with_max_recipients(4)
            .unwrap()
            .with_sweep(64, 4)
            .unwrap();
        let e = enclave(store, START);
        let (alice, bob) = (Identity::generate("alice"), Identity::generate("bob"));
        let s = session_proving(&e, &[&alice, &bob]);
        (e, s, alice, bob)
    }

    fn mid(n: u8) -> MessageId {
        MessageId::new([n; 16]).unwrap()
    }

    fn create(from: &Identity, to: PublicKey, id: u8, text: &str) -> Request {
        Request {
            acting_as: from.public(),
            op: Op::Create {
                id: mid(id),
                recipient: to,
                payload: Payload::frame(text.as_bytes()).unwrap(),
            },
        }
    }

    fn delete(by: &Identity, to: PublicKey, id: u8) -> Request {
        Request {
            acting_as: by.public(),
            op: Op::Delete {
                id: mid(id),
                recipient: to,
            },
        }
    }

    fn read(by: &Identity, id: u8) -> Request {
        Request {
            acting_as: by.public(),
            op: Op::Read { id: mid(id) },
        }
    }

    /// Begins `req`; returns its ticket and how to open its answer.
    fn begin(e: &InProcessEnclave, s: &ClientSession, req: &Request) -> (Ticket, u64) {
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(req));
        (e.begin_query(&s.id(), &sealed).unwrap(), nonce)
    }

    fn finish(e: &InProcessEnclave, s: &ClientSession, (ticket, nonce): (Ticket, u64)) -> Response {
        let sealed = e.finish_query(ticket).unwrap();
        s.open_response(nonce, &sealed).unwrap().decode().unwrap()
    }

    fn text(r: &Response) -> Vec<u8> {
        r.message
            .as_ref()
            .expect("a message")
            .payload
            .unframe()
            .unwrap()
            .to_vec()
    }

    /// A slot freed and taken again by requests begun one after another:
    /// finished newest first, each still sees the slot as its own turn
    /// left it. Run in finish order instead, the read would find the slot
    /// empty (the second create not written yet) and the first create's
    /// step would overwrite the second message.
    #[test]
    fn message_steps_run_in_the_order_requests_began_whatever_order_they_finish_in() {
        let (e, s, alice, bob) = setup();
        let begun = [
            begin(&e, &s, &create(&alice, bob.public(), 1, "first")),
            begin(&e, &s, &delete(&bob, bob.public(), 1)),
            begin(&e, &s, &create(&alice, bob.public(), 2, "second")),
            begin(&e, &s, &read(&bob, 2)),
        ];
        assert_eq!(
            begun.iter().map(|(t, _)| t.0).collect::<Vec<_>>(),
            [0, 1, 2, 3],
            "tickets count up in the order requests began"
        );
        let mut answers: Vec<Response> = begun.iter().rev().map(|b| finish(&e, &s, *b)).collect();
        answers.reverse();
        for (n, a) in answers.iter().enumerate() {
            assert_eq!(a.status, Status::Ok, "request {n}");
        }
        assert_eq!(text(&answers[3]), b"second");
        // The slot holds the second message, not the first.
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&read(&bob, 2)));
        let again = e.query(&s.id(), &sealed).unwrap();
        let again = s.open_response(nonce, &again).unwrap().decode().unwrap();
        assert_eq!(text(&again), b"second");
        assert_eq!(e.unfinished_for_tests(), 0);
    }

    /// A delete begun but not finished has already put its slot back on
    /// the free list. If the sweep then saw the message (expired by then)
    /// still in the slot, it would free the slot a second time, and two
    /// later messages would share it. A tick first runs the steps still
    /// waiting, so the sweep finds the slot empty.
    #[test]
    fn a_tick_runs_the_waiting_message_steps_before_the_sweep() {
        let (e, s, alice, bob) = setup();
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&create(
            &alice,
            bob.public(),
            1,
            "short-lived",
        )));
        let created = e.query(&s.id(), &sealed).unwrap();
        let created = s.open_response(nonce, &created).unwrap().decode().unwrap();
        assert_eq!(created.status, Status::Ok);

        e.tick(START + TTL - 1);
        let deleting = begin(&e, &s, &delete(&bob, bob.public(), 1));
        // The message is now past its TTL; the sweep passes every slot.
        e.tick(START + TTL + 5);
        for _ in 0..crate::SWEEP_SLICES {
            e.sweep_slice();
        }
        assert_eq!(
            e.occupied_slots_for_tests(),
            0,
            "the slot is free once, not twice"
        );
        assert_eq!(finish(&e, &s, deleting).status, Status::Ok);
        // Every slot can still hold its own message.
        for n in 0..64u8 {
            let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&create(
                &alice,
                bob.public(),
                n.wrapping_add(10),
                "again",
            )));
            let r = e.query(&s.id(), &sealed).unwrap();
            let r = s.open_response(nonce, &r).unwrap().decode().unwrap();
            if n < 62 {
                assert_eq!(r.status, Status::Ok, "create {n}");
            }
        }
        assert_eq!(e.occupied_slots_for_tests(), 62);
    }

    /// A request in one call (`query`) comes after every request begun
    /// before it, finished or not.
    #[test]
    fn a_one_call_query_runs_after_the_steps_begun_before_it() {
        let (e, s, alice, bob) = setup();
        let created = begin(&e, &s, &create(&alice, bob.public(), 1, "begun"));
        let (nonce, sealed) = s.seal_request(&RequestRecord::encode(&read(&bob, 1)));
        let r = e.query(&s.id(), &sealed).unwrap();
        let r = s.open_response(nonce, &r).unwrap().decode().unwrap();
        assert_eq!(r.status, Status::Ok);
        assert_eq!(text(&r), b"begun");
        assert_eq!(finish(&e, &s, created).status, Status::Ok);
    }

    #[test]
    fn a_ticket_finishes_once_and_an_unknown_one_is_refused() {
        let (e, s, alice, bob) = setup();
        let b = begin(&e, &s, &create(&alice, bob.public(), 1, "once"));
        assert_eq!(finish(&e, &s, b).status, Status::Ok);
        assert!(matches!(
            e.finish_query(b.0),
            Err(SessionError::UnknownTicket)
        ));
        assert!(matches!(
            e.finish_query(Ticket(99)),
            Err(SessionError::UnknownTicket)
        ));
    }
}
