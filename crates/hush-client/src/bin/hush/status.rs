//! Read receipts (sent when you read, unless --no-receipts or
//! HUSH_RECEIPTS=off) and typing indicators (`hush typing`).

use crate::Ctx;
use anyhow::Result;
use hush_client::e2e::{Opened, VerifiedCard};
use hush_client::read_state::ReadStates;
use hush_client::{Client, Identity, status};
use hush_wire::group::GROUP_ID_LEN;
use hush_wire::{EnvelopeKind, EnvelopePlaintext, Message, PublicKey};
use serde_json::json;

/// Seconds a typing indicator counts as current.
pub const TYPING_FRESH_SECS: u64 = 30;

/// Whether receipts are off for this run.
pub fn receipts_off(flag: bool) -> bool {
    flag || std::env::var("HUSH_RECEIPTS").is_ok_and(|v| v == "off" || v == "0")
}

/// Whether a message is something a person reads (so it gets a receipt).
fn readable(o: &Opened) -> bool {
    let kind = if o.kind == EnvelopeKind::Group {
        EnvelopePlaintext::new(o.kind, &o.content)
            .and_then(|e| e.unnest(GROUP_ID_LEN).map(|(_, inner)| inner.kind))
            .unwrap_or(EnvelopeKind::Control)
    } else {
        o.kind
    };
    matches!(
        kind,
        EnvelopeKind::Text | EnvelopeKind::Attachment | EnvelopeKind::Location
    )
}

impl Ctx {
    /// The card of a sending device this machine knows (a contact's device
    /// or card); None for strangers, who get no receipts.
    fn card_of_device(&self, device: &PublicKey) -> Option<VerifiedCard> {
        let c = self.contacts.find_device(device)?;
        if c.card.signing_key() == *device {
            return Some(c.card);
        }
        self.contacts
            .devices(&c.name)
            .ok()
            .flatten()?
            .into_iter()
            .find(|d| d.key() == *device)
            .map(|d| d.card().clone())
    }

    /// Tells the senders of `messages` that `me` read them, in one padded
    /// batch (always at least [`status::MIN_STATUSES`] statuses' worth of
    /// requests, so reading nothing new looks like reading something).
    pub(crate) async fn send_receipts(
        &self,
        me: &Identity,
        client: &mut Client,
        messages: &[(Message, Option<Opened>)],
    ) -> Result<()> {
        let states = ReadStates::open(&self.home);
        let mut state = states.load(me.name())?;
        // Each sender's card is looked up once (None: a stranger).
        let mut cards: std::collections::HashMap<PublicKey, Option<VerifiedCard>> =
            std::collections::HashMap::new();
        let mut changed: Vec<(PublicKey, VerifiedCard)> = Vec::new();
        for (m, opened) in messages {
            let Some(o) = opened else { continue };
            if m.sender == me.public() || !readable(o) {
                continue;
            }
            let Some(card) = cards
                .entry(m.sender)
                .or_insert_with(|| self.card_of_device(&m.sender))
                .clone()
            else {
                continue;
            };
            if state.mark(&m.sender, &m.id) && !changed.iter().any(|(s, _)| *s == m.sender) {
                changed.push((m.sender, card));
            }
        }
        let batch: Vec<(VerifiedCard, EnvelopePlaintext)> = changed
            .into_iter()
            .map(|(s, card)| (card, status::receipt(&state.ids(&s))))
            .collect();
        client.post_statuses(me, &batch).await?;
        states.save(me.name(), &state)?;
        Ok(())
    }
}

/// One line for a receipt or a typing indicator.
pub fn describe(kind: EnvelopeKind, content: &[u8], m: &Message) -> Option<String> {
    match kind {
        EnvelopeKind::Receipt => Some(format!(
            "[read receipt: read {} of your messages]",
            status::receipt_ids(content).len()
        )),
        EnvelopeKind::Typing => Some(if fresh(m) {
            "[typing…]".to_owned()
        } else {
            "[was typing]".to_owned()
        }),
        _ => None,
    }
}

fn fresh(m: &Message) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    now.saturating_sub(m.timestamp.0) <= TYPING_FRESH_SECS
}

/// JSON fields for a receipt or a typing indicator.
pub fn json_fields(kind: EnvelopeKind, content: &[u8], m: &Message, v: &mut serde_json::Value) {
    match kind {
        EnvelopeKind::Receipt => {
            let ids: Vec<String> = status::receipt_ids(content)
                .iter()
                .map(|i| i.to_hex())
                .collect();
            v["read"] = json!(ids);
        }
        EnvelopeKind::Typing => v["fresh"] = json!(fresh(m)),
        _ => {}
    }
}

/// `hush typing`.
pub async fn typing(ctx: &Ctx, me: &str, to: &str) -> Result<()> {
    let me = ctx.keys.load(me)?;
    let card = ctx.card_of(to)?;
    let mut client = ctx.connect(&me).await?;
    let targets = ctx.current_devices(&me, &mut client, to, &card).await?;
    let batch: Vec<_> = targets.into_iter().map(|c| (c, status::typing())).collect();
    let requests = client.post_statuses(&me, &batch).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"typing": to, "devices": batch.len(), "requests": requests})
        );
    } else {
        println!("told {to} you are typing");
    }
    Ok(())
}
