//! `hush block`, `hush unblock` and `hush policy`: who may write to you.
//!
//! A policy lives in each mailbox, so it is set on every device of your
//! account that this machine holds (your identity and the devices linked
//! from here). A blocked sender's messages are still stored, hidden from
//! you, so the sender sees no difference; they leave with the TTL.

use crate::Ctx;
use crate::account::OnOff;
use anyhow::{Context, Result};
use hush_client::Identity;
use hush_wire::directory::AccountFlags;
use hush_wire::{PolicyAction, PublicKey};
use serde_json::json;

impl Ctx {
    /// `me` and the local identities linked to the same account.
    pub(crate) fn local_devices(&self, me: &Identity) -> Result<Vec<Identity>> {
        let mut out = vec![me.clone()];
        let Some(mine) = self.accounts.load(me.name())? else {
            return Ok(out);
        };
        let (ids, _) = self.keys.list_public()?;
        for info in ids {
            if info.name == me.name() {
                continue;
            }
            if let Some(theirs) = self.accounts.load(&info.name)?
                && theirs.identity_key == mine.identity_key
            {
                out.push(self.keys.load(&info.name)?);
            }
        }
        Ok(out)
    }

    /// Every key a contact (or a bare public key) writes from.
    fn sender_keys(&self, who: &str) -> Result<Vec<PublicKey>> {
        if self.contacts.load(who).is_ok() {
            if let Some(devices) = self.contacts.devices(who)? {
                return Ok(devices.iter().map(|d| d.key()).collect());
            }
            return Ok(vec![self.contacts.load(who)?.card.signing_key()]);
        }
        PublicKey::from_hex(who)
            .map(|k| vec![k])
            .with_context(|| format!("{who:?} is neither a contact nor a public key"))
    }

    async fn apply_policy(
        &self,
        me: &Identity,
        changes: &[(PolicyAction, Option<PublicKey>)],
    ) -> Result<usize> {
        let devices = self.local_devices(me)?;
        for device in &devices {
            let mut client = self.connect(device).await?;
            for (action, subject) in changes {
                client
                    .set_policy(device.public(), *action, *subject)
                    .await
                    .with_context(|| format!("on {}'s mailbox", device.name()))?;
            }
            // As many requests as a power of two (at least 4) of changes,
            // so the host does not count the contact's devices.
            let padding = hush_client::fanout::padded(changes.len()) - changes.len();
            client.pad(device.public(), padding).await?;
        }
        Ok(devices.len())
    }
}

pub async fn block(ctx: &Ctx, me: &str, who: &str, block: bool) -> Result<()> {
    let me = ctx.keys.load(me)?;
    let keys = ctx.sender_keys(who)?;
    let action = if block {
        PolicyAction::Block
    } else {
        PolicyAction::Forget
    };
    let changes: Vec<_> = keys.iter().map(|k| (action, Some(*k))).collect();
    let mailboxes = ctx.apply_policy(&me, &changes).await?;
    // In the directory too, when both are accounts there: their look-ups
    // of this account then answer "no user".
    let in_directory = match ctx.accounts.load(me.name())? {
        Some(local)
            if local.identity()? == me.public()
                && ctx.contacts.load(who).is_ok()
                && ctx.contacts.devices(who)?.is_some() =>
        {
            let theirs = ctx.contacts.account_identity(who)?;
            let mut client = ctx.connect(&me).await?;
            client.directory().block(me.public(), theirs, block).await?;
            true
        }
        _ => false,
    };
    let verb = if block { "blocked" } else { "unblocked" };
    if ctx.json {
        println!(
            "{}",
            json!({verb: who, "sender_keys": keys.len(), "mailboxes": mailboxes, "directory": in_directory})
        );
    } else {
        println!(
            "{verb} {who} ({} key(s)) on {mailboxes} mailbox(es) of {}",
            keys.len(),
            me.name()
        );
    }
    Ok(())
}

pub async fn policy(ctx: &Ctx, me: &str, accept_from_anyone: OnOff) -> Result<()> {
    let me = ctx.keys.load(me)?;
    let anyone = matches!(accept_from_anyone, OnOff::On);
    let mut changes = Vec::new();
    if anyone {
        changes.push((PolicyAction::AcceptFromAnyone, None));
    } else {
        // Only contacts: allow every device of every contact first.
        let (contacts, _) = ctx.contacts.list()?;
        for c in contacts {
            for k in ctx.sender_keys(&c.name)? {
                changes.push((PolicyAction::Allow, Some(k)));
            }
        }
        changes.push((PolicyAction::AllowedOnly, None));
    }
    let mailboxes = ctx.apply_policy(&me, &changes).await?;
    // The directory shows the switch too, when there is an account.
    if let Some(local) = ctx.accounts.load(me.name())?
        && local.identity()? == me.public()
    {
        let mut client = ctx.connect(&me).await?;
        let current = client.directory().show(me.public()).await?;
        let flags = AccountFlags {
            accept_from_anyone: anyone,
            ..current.flags
        };
        client.directory().set_flags(me.public(), flags).await?;
    }
    if ctx.json {
        println!(
            "{}",
            json!({"accept_from_anyone": anyone, "mailboxes": mailboxes, "allowed": changes.len().saturating_sub(1)})
        );
    } else if anyone {
        println!("{} accepts messages from anyone not blocked", me.name());
    } else {
        println!(
            "{} accepts messages only from its {} contact key(s)",
            me.name(),
            changes.len() - 1
        );
    }
    Ok(())
}
