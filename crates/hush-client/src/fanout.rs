//! Sending one message to every device of an account (and a copy to the
//! sender's own other devices), with a fixed number of requests.
//!
//! Each device gets its own HPKE-sealed copy under the same message id, so
//! a device that sees a message twice (a retry) shows it once. The number
//! of requests is padded up to the next power of two (at least 4: 4, 8,
//! 16, 32, ...) with requests that change nothing (reads of random ids in the sender's own mailbox,
//! which the broker makes indistinguishable from creates), so the host
//! does not learn how many devices are involved.

use crate::e2e::{self, VerifiedCard};
use crate::{Client, ClientError, Identity};
use hush_wire::{EnvelopePlaintext, MessageId, PublicKey};

/// The fewest requests a send makes.
pub const MIN_FANOUT: usize = 4;

/// Requests a send of `copies` copies makes: the next power of two, at
/// least [`MIN_FANOUT`] (a person-to-person send, at most 8 devices of the
/// recipient and 7 other devices of the sender, makes 4, 8 or 16; a group
/// send more).
pub fn padded(copies: usize) -> usize {
    copies.next_power_of_two().max(MIN_FANOUT)
}

/// One copy to deliver: to whom, and what.
pub struct Copy<'a> {
    /// The device's card.
    pub to: &'a VerifiedCard,
    /// The envelope for it.
    pub plaintext: EnvelopePlaintext,
}

/// What happened to each copy.
#[derive(Debug)]
pub struct FanOut {
    /// Each copy's device and outcome, in order.
    pub outcomes: Vec<(PublicKey, Result<(), ClientError>)>,
    /// Requests made (real and padding).
    pub requests: usize,
}

impl FanOut {
    /// The first failure, if any.
    pub fn first_error(self) -> Result<(), ClientError> {
        for (_, r) in self.outcomes {
            r?;
        }
        Ok(())
    }
}

impl Client {
    /// Makes `n` broker requests that change nothing, acting as `me`: reads
    /// of random ids in `me`'s own mailbox, which the broker makes
    /// indistinguishable from any other request. Pads a user action to a
    /// fixed number of requests.
    pub async fn pad(&mut self, me: PublicKey, n: usize) -> Result<(), ClientError> {
        for _ in 0..n {
            match self.read(me, crate::new_message_id()).await {
                Ok(_) | Err(ClientError::Status(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Seals and stores each copy as message `id` from `me`, then pads the
    /// requests to a bucket. A copy that fails does not stop the others.
    /// Errors that end the session (unreachable server) end the send.
    pub async fn send_copies(
        &mut self,
        me: &Identity,
        id: MessageId,
        copies: &[Copy<'_>],
    ) -> Result<FanOut, ClientError> {
        let mut outcomes = Vec::with_capacity(copies.len());
        for c in copies {
            let sealed = e2e::seal(me, c.to, &id, &me.public(), &c.plaintext)?;
            let r = self
                .create(me.public(), id, c.to.signing_key(), sealed)
                .await;
            if let Err(
                e @ (ClientError::Unreachable { .. }
                | ClientError::NoLeader { .. }
                | ClientError::SessionLost),
            ) = r
            {
                return Err(e);
            }
            outcomes.push((c.to.signing_key(), r));
        }
        let requests = padded(copies.len());
        self.pad(me.public(), requests - copies.len()).await?;
        Ok(FanOut { outcomes, requests })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_pad_to_buckets() {
        assert_eq!(padded(1), 4);
        assert_eq!(padded(4), 4);
        assert_eq!(padded(5), 8);
        assert_eq!(padded(15), 16);
        assert_eq!(padded(16), 16);
        assert_eq!(padded(17), 32);
        assert_eq!(padded(0), 4);
    }
}
