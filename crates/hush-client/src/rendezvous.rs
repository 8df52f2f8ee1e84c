//! The rendezvous service, from the client's side: typed operations on
//! `hush.v1.Rendezvous` over the same attested session.

use crate::{Client, ClientError};
use hush_wire::PublicKey;
use hush_wire::rendezvous::{
    ComputationId, ComputationType, ListedComputation, RendezvousOp, RendezvousRequest,
    RendezvousResponse, RendezvousStatus, Submission,
};

// Every operation here is exactly one request, whatever it answers: a
// retry the client made on its own (after BUSY, which only a create gets,
// or while list entries are still queued) would show the host what the
// request was and what the enclave holds. Retrying is the user's call.

/// A list answer: the caller's computations, and how many more are still
/// on their way into the list (they arrive within a second or two).
#[derive(Debug, Clone)]
pub struct Listing {
    /// The computations, the newest first.
    pub computations: Vec<ListedComputation>,
    /// Computations of the caller's created but not yet listed.
    pub adding: u8,
}

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
        if r.status == RendezvousStatus::NoTokens {
            // Tokens are required and the session has no credit: redeem
            // one of the stock and create again (nothing was created).
            self.client.redeem_from_stock().await?;
            r = self.run(convener, op).await?;
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
    /// newest first, and how many more are still being added: one request.
    pub async fn list(&mut self, me: PublicKey) -> Result<Listing, ClientError> {
        let r = ok(self.run(me, RendezvousOp::List).await?)?;
        let mut computations = r.listing;
        computations.sort_by_key(|e| std::cmp::Reverse(e.order));
        Ok(Listing {
            computations,
            adding: r.adding,
        })
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
