//! `hush device link` (on the new machine) and `hush device approve` (on a
//! device of the account): linking a device that has its own HUSH_HOME.
//! The protocol and what is checked are in `hush_client::link`.

use crate::{Ctx, warn};
use anyhow::{Context, Result, bail};
use hush_client::accounts::LocalAccount;
use hush_client::e2e;
use hush_client::link::{BUNDLE_MEDIA_TYPE, BUNDLE_NAME, Bundle, link_text, parse_link};
use hush_client::media::seal_file;
use hush_client::{Client, Identity};
use hush_wire::media::Attachment;
use hush_wire::{EnvelopeKind, EnvelopePlaintext, Message};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a waiting device looks at its mailbox.
const POLL: Duration = Duration::from_secs(2);

/// `hush device link --as NEW`: make (or reuse) identity NEW, show its link,
/// and wait until a device of an account approves it.
pub async fn link(ctx: &Ctx, me: &str, wait: u64) -> Result<()> {
    if let Some(a) = ctx.accounts.load(me)? {
        bail!(
            "{me} belongs to an account already ({}); link a new identity name",
            a.identity_key
        );
    }
    let id = match ctx.keys.load(me) {
        Ok(id) => id,
        Err(hush_client::identity::KeystoreError::Missing(_)) => {
            if ctx.contacts.load(me).is_ok() {
                bail!("{me:?} is a contact's name; choose another device name");
            }
            ctx.keys.create(me)?
        }
        Err(e) => return Err(e.into()),
    };
    let link = link_text(&e2e::card_for(&id));
    eprintln!(
        "On a device of your account, approve this device with:\n  hush device approve --as IDENTITY '{link}'\nWaiting up to {wait} s (Ctrl-C to stop; run this again to keep waiting)."
    );
    if std::io::stderr().is_terminal() {
        if let Ok(code) = qrcode::QrCode::new(link.as_bytes()) {
            let art = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build();
            eprintln!("{art}");
        }
    }
    if ctx.json {
        println!("{}", json!({ "link": link }));
    } else {
        println!("{link}");
    }
    std::io::stdout().flush()?;

    let mut client = ctx.connect(&id).await?;
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        // The fixed-shape inbox, whatever the mailbox holds.
        for m in client.inbox(id.public()).await? {
            match take_bundle(ctx, &mut client, &id, &m).await {
                Ok(Some(done)) => {
                    client
                        .delete(id.public(), m.id, id.public())
                        .await
                        .context("linked, but the bundle message could not be deleted")?;
                    if ctx.json {
                        println!("{done}");
                    } else {
                        eprintln!(
                            "linked {me} to account {}: {} contacts and {} groups received",
                            done["account"].as_str().unwrap_or_default(),
                            done["contacts"],
                            done["groups"]
                        );
                    }
                    return Ok(());
                }
                Ok(None) => {}
                Err(e) => warn(format_args!("warning: a link bundle was refused: {e:#}")),
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "not approved within {wait} s; run `hush device link --as {me}` again to keep waiting (the link stays the same)"
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// If `m` is a link bundle for `me`, checks and keeps it; returns what was
/// kept. Other messages are left alone.
async fn take_bundle(
    ctx: &Ctx,
    client: &mut Client,
    me: &Identity,
    m: &Message,
) -> Result<Option<serde_json::Value>> {
    let Ok(opened) = e2e::open(me, m) else {
        return Ok(None);
    };
    if opened.kind != EnvelopeKind::Attachment {
        return Ok(None);
    }
    let Ok(attachment) = Attachment::decode(&opened.content) else {
        return Ok(None);
    };
    if attachment.media_type != BUNDLE_MEDIA_TYPE {
        return Ok(None);
    }
    // The directory, not the message, says which account this device is
    // now in; the bundle must be for it and from one of its devices.
    let account = client
        .directory()
        .show(me.public())
        .await
        .context("the directory lists this device in no account yet")?;
    let bytes = client.fetch_attachment(&attachment).await?;
    let bundle = Bundle::parse(&bytes)?;
    bundle.check(&account, &opened.author)?;
    // The new identity's own contacts, whatever else the home holds.
    let own = hush_client::Contacts::for_identity(&ctx.home, me.name())?;
    let mut contacts = 0;
    for c in &bundle.contacts {
        if own.load(&c.name).is_ok() || ctx.keys.load(&c.name).is_ok() {
            warn(format_args!(
                "note: kept your own {:?}; the account's contact of that name was not copied",
                c.name
            ));
            continue;
        }
        // One bad entry costs that contact, not the others.
        let kept = c
            .verified()
            .map_err(anyhow::Error::from)
            .and_then(|(card, devices)| {
                own.add(&c.name, &card)?;
                if let Some(a) = devices {
                    own.set_devices(&c.name, &a)?;
                }
                Ok(())
            });
        match kept {
            Ok(()) => contacts += 1,
            Err(e) => warn(format_args!(
                "warning: contact {:?} not copied: {e:#}",
                c.name
            )),
        }
    }
    let mut groups = 0;
    for g in &bundle.groups {
        if g.group_id().is_none() {
            continue;
        }
        let mut g = g.clone();
        g.me = me.name().to_owned();
        let name = ctx.groups.free_name(&g.name);
        ctx.groups.save(&name, &g)?;
        groups += 1;
    }
    ctx.accounts.save(
        me.name(),
        &LocalAccount {
            identity_key: account.identity.to_hex(),
            pending: vec![],
            verified: vec![],
        },
    )?;
    Ok(Some(json!({
        "linked": me.name(),
        "account": account.identity.to_hex(),
        "devices": account.devices.len(),
        "contacts": contacts,
        "groups": groups,
    })))
}

/// `hush device approve --as NAME LINK`: add the linked device to NAME's
/// account and send it the account's contacts and groups.
pub async fn approve(ctx: &Ctx, me: &str, link: &str) -> Result<()> {
    let id = ctx.keys.load(me)?;
    match ctx.accounts.load(me)? {
        Some(a) if a.identity()? == id.public() => {}
        Some(a) => bail!(
            "only the account's identity approves devices: run this --as the identity whose key is {}",
            a.identity_key
        ),
        None => bail!("{me} has no account; register one first (hush account register)"),
    }
    let card = parse_link(link)?;
    let mut client = ctx.connect(&id).await?;
    let account = client.directory().add_device_card(&id, &card).await?;
    let groups = ctx
        .local_devices(&id)?
        .iter()
        .flat_map(|d| {
            ctx.groups
                .list()
                .unwrap_or_default()
                .into_iter()
                .filter(move |(_, g)| g.me == d.name() && !g.left)
                .map(|(_, g)| g)
        })
        .collect();
    let bundle = Bundle::gather(id.public(), &ctx.contacts, groups)?;
    let sealed = seal_file(
        &serde_json::to_vec(&bundle)?,
        BUNDLE_NAME,
        BUNDLE_MEDIA_TYPE,
    )?;
    client.upload_blob(id.public(), &sealed).await?;
    let plaintext = EnvelopePlaintext::new(EnvelopeKind::Attachment, &sealed.attachment.encode())?;
    client
        .send(&id, &card, hush_client::new_message_id(), &plaintext)
        .await?;
    if ctx.json {
        println!(
            "{}",
            json!({"approved": card.signing_key().to_hex(), "devices": account.devices.len(),
                   "contacts": bundle.contacts.len(), "groups": bundle.groups.len()})
        );
    } else {
        println!(
            "linked device {} to {me}'s account ({} devices); sent it {} contacts and {} groups",
            card.signing_key(),
            account.devices.len(),
            bundle.contacts.len(),
            bundle.groups.len()
        );
    }
    Ok(())
}
