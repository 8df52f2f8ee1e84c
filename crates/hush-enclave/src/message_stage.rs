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
