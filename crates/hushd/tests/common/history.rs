//! A history of operations on messages, as clients saw them, and its
//! check. Each message id is a register of its own (absent, present,
//! deleted; the bytes stored under it never change), so the history is
//! linearizable if and only if each id's sub-history is (linearizability
//! is compositional: Herlihy and Wing, 1990). Each id's sub-history is
//! checked by a search for a linearization in the manner of Wing and Gong
//! (1993), with memoised (linearized set, state) pairs as in Lowe's and
//! Porcupine's versions: an operation may take effect next only if no
//! other pending one completed before it was invoked. An operation whose
//! outcome the client never learned (a timeout, a lost connection) may
//! take effect at any point after its invocation, or never.
//!
//! Written for this model rather than ported: the search is small (an id
//! sees a handful of operations), and its own tests feed it histories
//! that are not linearizable.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

/// What an operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Store a message under the id.
    Create,
    /// Read the message under the id.
    Read,
    /// Delete the message under the id.
    Delete,
}

/// What the client learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It took effect (a read found the bytes sent under this id).
    Ok,
    /// Nothing under the id (read, delete).
    NotFound,
    /// A create found the id already stored (a re-sent create whose first
    /// attempt landed).
    AlreadyExists,
    /// A read returned bytes that were never sent under this id.
    WrongBytes,
    /// A create refused for another reason (mailbox full): no effect.
    Refused,
    /// No answer: it may or may not have taken effect.
    Unknown,
}

/// One operation, from invocation to completion.
#[derive(Debug, Clone)]
pub struct Op {
    /// The client that ran it.
    pub client: usize,
    /// The message id (its register).
    pub key: u128,
    /// What it did.
    pub kind: Kind,
    /// When it was invoked.
    pub invoke: Instant,
    /// When its answer came (None: unknown outcome).
    pub complete: Option<Instant>,
    /// The answer.
    pub outcome: Outcome,
    /// Whether the client sent the request more than once (after a lost
    /// session or connection, unchanged): an earlier attempt may have
    /// taken effect, so a create may then find its own message
    /// (AlreadyExists) and a delete find it gone (NotFound).
    pub retried: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum State {
    Absent,
    Present,
    Deleted,
}

/// The states `op` may leave a register in `state` (empty: it cannot
/// run there).
fn step(state: State, op: &Op) -> Vec<State> {
    use {Kind::*, Outcome::*, State::*};
    match (op.kind, op.outcome, state) {
        (Create, Ok, Absent) => vec![Present],
        (Create, AlreadyExists, Present) => vec![Present],
        (Create, AlreadyExists, Absent) if op.retried => vec![Present],
        (Create, Refused, s) => vec![s],
        (Create, Unknown, Absent | Present) => vec![Present],
        (Read, Ok, Present) => vec![Present],
        (Read, NotFound, Absent | Deleted) => vec![state],
        (Read, Unknown, s) => vec![s],
        (Delete, Ok, Present) => vec![Deleted],
        (Delete, NotFound, Absent | Deleted) => vec![state],
        (Delete, NotFound, Present) if op.retried => vec![Deleted],
        (Delete, Unknown, Present) => vec![Deleted],
        (Delete, Unknown, s) => vec![s],
        _ => vec![],
    }
}

/// Whether one id's operations have a linearization.
fn linearizable(ops: &[Op]) -> bool {
    assert!(ops.len() <= 64, "at most 64 operations per id");
    fn search(ops: &[Op], done: u64, state: State, seen: &mut HashSet<(u64, State)>) -> bool {
        let pending = (0..ops.len()).filter(|i| done & (1 << i) == 0);
        // Done when every operation left may never have taken effect.
        if pending.clone().all(|i| ops[i].outcome == Outcome::Unknown) {
            return true;
        }
        if !seen.insert((done, state)) {
            return false;
        }
        // The earliest completion among pending operations bounds which
        // may go next.
        let first_complete = pending.clone().filter_map(|i| ops[i].complete).min();
        for i in pending {
            if first_complete.is_some_and(|c| c < ops[i].invoke) {
                continue;
            }
            for next in step(state, &ops[i]) {
                if search(ops, done | (1 << i), next, seen) {
                    return true;
                }
            }
        }
        false
    }
    search(ops, 0, State::Absent, &mut HashSet::new())
}

/// The ids whose operations have no linearization, each with its
/// operations, for the report; empty when the history is linearizable.
pub fn violations(history: &[Op]) -> Vec<(u128, Vec<Op>)> {
    let mut by_key: BTreeMap<u128, Vec<Op>> = BTreeMap::new();
    for op in history {
        by_key.entry(op.key).or_default().push(op.clone());
    }
    by_key
        .into_iter()
        .filter(|(_, ops)| {
            ops.iter().any(|o| o.outcome == Outcome::WrongBytes) || !linearizable(ops)
        })
        .collect()
}
