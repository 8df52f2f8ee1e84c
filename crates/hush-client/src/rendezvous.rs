//! The rendezvous service, from the client's side: typed operations on
//! `hush.v1.Rendezvous` over the same attested session.

use crate::{Client, ClientError};
use hush_wire::PublicKey;
use hush_wire::rendezvous::{
    ComputationId, ComputationType, ListedComputation, RendezvousOp, RendezvousRequest,
    RendezvousResponse, RendezvousStatus, Submission,
};
use std::time::Duration;

/// Times a create answered BUSY is tried again (the service moves the
/// queued entries of 16 members a second even when idle).
const BUSY_RETRIES: usize = 10;
/// Wait before trying a BUSY create again.
const BUSY_WAIT: Duration = Duration::from_secs(1);
/// Times a list with entries still being added is asked again.
const LIST_RETRIES: usize = 6;
/// Wait before asking again.
const LIST_WAIT: Duration = Duration::from_millis(500);

/// Typed rendezvous operations over a [`Client`]'s session.
pub struct Rendezvous<'a> {
    client: &'a mut Client,
}

impl Client {
    /// The rendezvous service, over this session.
    pub fn rendezvous(&mut self) -> Rendezvous<'_> {
        Rendezvous { client: self }
    }
}

fn ok(r: RendezvousResponse) -> Result<RendezvousResponse, ClientError> {
    match r.status {
        RendezvousStatus::Ok => Ok(r),
        s => Err(ClientError::Rendezvous(s)),
    }
}

impl Rendezvous<'_> {
    async fn run(
        &mut self,
        acting_as: PublicKey,
        op: RendezvousOp,
    ) -> Result<RendezvousResponse, ClientError> {
        let request = RendezvousRequest { acting_as, op };
        request.check()?;
        let (r, _) = self.client.execute_rendezvous(&request).await?;
        Ok(r)
    }

    /// Creates a computation as `convener`; returns its id.
    pub async fn create(
        &mut self,
        convener: PublicKey,
        name: &str,
        kind: ComputationType,
        participants: Vec<PublicKey>,
        quorum: u8,
        deadline: Option<u64>,
    ) -> Result<ComputationId, ClientError> {
        let op = RendezvousOp::Create {
            name: name.to_owned(),
            kind,
            participants,
            quorum,
            deadline,
        };
        let mut r = self.run(convener, op.clone()).await?;
        for _ in 0..BUSY_RETRIES {
            if r.status != RendezvousStatus::Busy {
                break;
            }
            // Nothing was done: the same create again is safe.
            tokio::time::sleep(BUSY_WAIT).await;
            r = self.run(convener, op.clone()).await?;
        }
        let r = ok(r)?;
        let id = r.id.ok_or(ClientError::Protocol(
            "a created computation came back without an id",
        ))?;
        // The id must carry the epoch the attested key gives this enclave.
        if id.epoch() != self.client.session().epoch() {
            return Err(ClientError::Protocol(
                "a computation id that does not carry the attested enclave's epoch",
            ));
        }
        Ok(id)
    }

    /// Submits (or replaces) `me`'s value.
    pub async fn submit(
        &mut self,
        me: PublicKey,
        id: ComputationId,
        submission: Submission,
    ) -> Result<RendezvousResponse, ClientError> {
        ok(self
            .run(me, RendezvousOp::Submit { id, submission })
            .await?)
    }

    /// The result, once a quorum submitted (the first release locks it).
    pub async fn result(
        &mut self,
        me: PublicKey,
        id: ComputationId,
    ) -> Result<RendezvousResponse, ClientError> {
        ok(self.run(me, RendezvousOp::Result { id }).await?)
    }

    /// `me`'s most recent computations (as convener or participant), the
    /// newest first. Waits a moment for ones still being added.
    pub async fn list(&mut self, me: PublicKey) -> Result<Vec<ListedComputation>, ClientError> {
        let mut r = ok(self.run(me, RendezvousOp::List).await?)?;
        for _ in 0..LIST_RETRIES {
            if r.adding == 0 {
                break;
            }
            tokio::time::sleep(LIST_WAIT).await;
            r = ok(self.run(me, RendezvousOp::List).await?)?;
        }
        let mut listing = r.listing;
        listing.sort_by_key(|e| std::cmp::Reverse(e.order));
        Ok(listing)
    }

    /// Closes a computation to submissions (convener only).
    pub async fn close(
        &mut self,
        convener: PublicKey,
        id: ComputationId,
    ) -> Result<(), ClientError> {
        ok(self.run(convener, RendezvousOp::Close { id }).await?).map(|_| ())
    }
}
