//! Short-lived status envelopes: read receipts and typing indicators.
//!
//! Each (kind, sender, recipient) has one message id, derived from the
//! sender's secret so nobody else can predict (and squat) it. A new status
//! rewrites that one message (update, or create the first time), so the
//! recipient's mailbox holds at most one receipt and one typing indicator
//! per sender device, and they leave with the TTL. A status costs exactly
//! [`STATUS_REQUESTS`] requests, and a batch is padded to a power of two
//! of statuses (at least [`MIN_STATUSES`]), so the host learns no count
//! finer than that.

use crate::e2e::{self, VerifiedCard};
use crate::{Client, ClientError, Identity};
use hush_wire::consts::{ID_LEN, MAX_ENVELOPE_CONTENT_LEN};
use hush_wire::{EnvelopeKind, EnvelopePlaintext, MessageId, PublicKey, Status};
use sha2::{Digest, Sha256};

/// Requests one status makes (an update, then a create or a read).
pub const STATUS_REQUESTS: usize = 2;
/// The fewest statuses a batch makes.
pub const MIN_STATUSES: usize = 4;
/// Message ids a receipt carries at most (the latest ones).
pub const MAX_RECEIPT_IDS: usize = MAX_ENVELOPE_CONTENT_LEN / ID_LEN;

/// Requests a batch of `n` statuses makes.
pub fn batch_requests(n: usize) -> usize {
    n.next_power_of_two().max(MIN_STATUSES) * STATUS_REQUESTS
}

/// The message id of `me`'s status of `kind` for `to`.
pub fn status_id(me: &Identity, kind: EnvelopeKind, to: &PublicKey) -> MessageId {
    let mut h = Sha256::new();
    h.update(b"hush.status-id.v1");
    h.update(me.seed());
    h.update([kind as u8]);
    h.update(to.as_bytes());
    let d = h.finalize();
    let mut id = [0u8; ID_LEN];
    id.copy_from_slice(&d[..ID_LEN]);
    id[0] |= 1; // never all zero
    MessageId::new(id).expect("non-zero")
}

/// A receipt for `ids` (the latest [`MAX_RECEIPT_IDS`]).
pub fn receipt(ids: &[MessageId]) -> EnvelopePlaintext {
    let from = ids.len().saturating_sub(MAX_RECEIPT_IDS);
    let content: Vec<u8> = ids[from..].iter().flat_map(|i| *i.as_bytes()).collect();
    EnvelopePlaintext::new(EnvelopeKind::Receipt, &content).expect("fits by construction")
}

/// The ids a receipt names.
pub fn receipt_ids(content: &[u8]) -> Vec<MessageId> {
    content
        .chunks_exact(ID_LEN)
        .filter_map(|c| MessageId::new(c.try_into().expect("16 bytes")).ok())
        .collect()
}

/// A typing indicator.
pub fn typing() -> EnvelopePlaintext {
    EnvelopePlaintext::new(EnvelopeKind::Typing, &[]).expect("empty fits")
}

impl Client {
    /// Posts one status to `to`: rewrites its message, or creates it the
    /// first time. Always two requests.
    async fn post_status(
        &mut self,
        me: &Identity,
        to: &VerifiedCard,
        plaintext: &EnvelopePlaintext,
    ) -> Result<(), ClientError> {
        let id = status_id(me, plaintext.kind, &to.signing_key());
        let sealed = e2e::seal(me, to, &id, &me.public(), plaintext)?;
        match self.update(me.public(), id, to.signing_key(), sealed).await {
            // The second request: one that changes nothing.
            Ok(_) => self.pad(me.public(), 1).await,
            Err(ClientError::Status(Status::NotFound)) => {
                let sealed = e2e::seal(me, to, &id, &me.public(), plaintext)?;
                self.create(me.public(), id, to.signing_key(), sealed).await
            }
            Err(e) => Err(e),
        }
    }

    /// Posts each status, then pads the batch (see [`batch_requests`]).
    /// Returns the requests made. A status that fails does not stop the
    /// others; the first failure is returned after all were tried.
    pub async fn post_statuses(
        &mut self,
        me: &Identity,
        statuses: &[(VerifiedCard, EnvelopePlaintext)],
    ) -> Result<usize, ClientError> {
        let mut first_error = None;
        for (to, p) in statuses {
            match self.post_status(me, to, p).await {
                Ok(()) => {}
                Err(
                    e @ (ClientError::Unreachable { .. }
                    | ClientError::NoLeader { .. }
                    | ClientError::SessionLost),
                ) => {
                    return Err(e);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let total = batch_requests(statuses.len());
        self.pad(me.public(), total - statuses.len() * STATUS_REQUESTS)
            .await?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_private_and_stable_and_receipts_keep_the_latest() {
        let (a, b) = (Identity::generate("a"), Identity::generate("b"));
        let id = status_id(&a, EnvelopeKind::Receipt, &b.public());
        assert_eq!(id, status_id(&a, EnvelopeKind::Receipt, &b.public()));
        assert_ne!(id, status_id(&a, EnvelopeKind::Typing, &b.public()));
        assert_ne!(id, status_id(&b, EnvelopeKind::Receipt, &a.public()));
        let ids: Vec<MessageId> = (0..60).map(|_| crate::new_message_id()).collect();
        let r = receipt(&ids);
        assert_eq!(
            receipt_ids(r.content()),
            ids[60 - MAX_RECEIPT_IDS..].to_vec()
        );
        assert_eq!(batch_requests(0), 8);
        assert_eq!(batch_requests(5), 16);
    }
}
