//! `hush group ...`: groups kept by the clients. A group message is sealed
//! to every device of every member (and the sender's other devices); a
//! membership change sends the group's whole new state, as a control
//! envelope, to old and new members alike.

use crate::Ctx;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use hush_client::e2e::VerifiedCard;
use hush_client::fanout::Copy;
use hush_client::groups::LocalGroup;
use hush_client::{Client, Identity};
use hush_wire::group::{GROUP_ID_LEN, GroupId, GroupUpdate};
use hush_wire::{EnvelopeKind, EnvelopePlaintext, Message, PublicKey};
use serde_json::json;

#[derive(Subcommand)]
pub enum GroupCommand {
    /// Create a group with some of your contacts.
    Create {
        /// The group's name.
        name: String,
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// Members to add, comma-separated: contacts, or identities here.
        #[arg(long, value_delimiter = ',', required = true)]
        members: Vec<String>,
    },
    /// Add contacts to a group.
    Add {
        /// The group.
        name: String,
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// Contacts to add.
        #[arg(required = true)]
        contacts: Vec<String>,
    },
    /// Remove members from a group.
    Remove {
        /// The group.
        name: String,
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// Contacts to remove.
        #[arg(required = true)]
        contacts: Vec<String>,
    },
    /// Send a text to a group.
    Send {
        /// The group.
        name: String,
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// The text.
        text: String,
    },
    /// List your groups.
    List {
        /// Only the groups this identity is in [default: every identity's].
        #[arg(long = "as")]
        me: Option<String>,
    },
}

impl Ctx {
    /// The identity key of `me`'s account (its own key without one).
    pub(crate) fn account_key(&self, me: &Identity) -> Result<PublicKey> {
        Ok(match self.accounts.load(me.name())? {
            Some(local) => local.identity()?,
            None => me.public(),
        })
    }

    /// The identity key a member is known by: a contact's account, or the
    /// account of one of the identities here (as `send --to` takes them).
    fn member_key(&self, member: &str) -> Result<PublicKey> {
        if let Ok(key) = self.contacts.account_identity(member) {
            return Ok(key);
        }
        match self.keys.load(member) {
            Ok(id) => self.account_key(&id),
            Err(_) => bail!(
                "{member:?} is neither a contact nor an identity here (add them first: hush contact add)"
            ),
        }
    }

    /// The card of the identity here whose account is `key`, if any.
    fn local_member_card(&self, key: &PublicKey) -> Result<Option<VerifiedCard>> {
        for info in self.keys.list_public()?.0 {
            let id = self.keys.load(&info.name)?;
            if self.account_key(&id)? == *key {
                return Ok(Some(hush_client::e2e::card_for(&id)));
            }
        }
        Ok(None)
    }

    /// The contact whose account has identity `key`.
    fn contact_of(&self, key: &PublicKey) -> Result<Option<String>> {
        let (contacts, _) = self.contacts.list()?;
        Ok(contacts
            .into_iter()
            .find(|c| self.contacts.account_identity(&c.name).ok() == Some(*key))
            .map(|c| c.name))
    }

    /// The account identity behind a sending device, as far as this machine
    /// knows: a contact's device, or one of this account's.
    pub(crate) fn sender_identity(
        &self,
        me: &Identity,
        device: &PublicKey,
    ) -> Result<Option<PublicKey>> {
        if let Some(c) = self.contacts.find_device(device) {
            return Ok(Some(self.contacts.account_identity(&c.name)?));
        }
        if self
            .local_devices(me)?
            .iter()
            .any(|d| d.public() == *device)
        {
            return Ok(Some(self.account_key(me)?));
        }
        Ok(None)
    }

    /// Every device card to send a group envelope to: each other member's
    /// devices and this account's other devices.
    async fn group_targets(
        &self,
        me: &Identity,
        members: &[PublicKey],
        client: &mut Client,
    ) -> Result<Vec<VerifiedCard>> {
        let mine = self.account_key(me)?;
        let mut cards = Vec::new();
        let mut unknown = Vec::new();
        for m in members.iter().filter(|m| **m != mine) {
            match self.contact_of(m)? {
                Some(name) => {
                    let card = self.contacts.load(&name)?.card;
                    cards.extend(self.current_devices(me, client, &name, &card).await?);
                }
                None => match self.local_member_card(m)? {
                    Some(card) => cards.push(card),
                    None => unknown.push(m.to_hex()),
                },
            }
        }
        if !unknown.is_empty() {
            bail!(
                "these members are not your contacts, so their devices are unknown: {}\nhint: add them with hush contact add NAME --email ADDRESS --as {}",
                unknown.join(", "),
                me.name()
            );
        }
        cards.extend(self.my_other_devices(me, client).await?);
        Ok(cards)
    }

    async fn send_group(
        &self,
        me: &Identity,
        group: &LocalGroup,
        to: &[PublicKey],
        inner: &EnvelopePlaintext,
    ) -> Result<(usize, usize)> {
        let id = group.group_id().context("damaged group file: bad id")?;
        let envelope = EnvelopePlaintext::nest(EnvelopeKind::Group, &id.0, inner)
            .context("too long for a group envelope")?;
        let mut client = self.connect(me).await?;
        let cards = self.group_targets(me, to, &mut client).await?;
        let copies: Vec<Copy> = cards
            .iter()
            .map(|c| Copy {
                to: c,
                plaintext: envelope.clone(),
            })
            .collect();
        let fan = client
            .send_copies(me, hush_client::new_message_id(), &copies)
            .await?;
        let requests = fan.requests;
        fan.first_error()?;
        Ok((copies.len(), requests))
    }

    async fn announce(
        &self,
        me: &Identity,
        name: &str,
        group: &LocalGroup,
        to: &[PublicKey],
    ) -> Result<()> {
        let update = GroupUpdate::new(&group.name, group.member_keys())?;
        let control = EnvelopePlaintext::new(EnvelopeKind::Control, &update.encode())?;
        let (copies, requests) = self.send_group(me, group, to, &control).await?;
        if self.json {
            println!(
                "{}",
                json!({"group": name, "id": group.id, "members": group.members, "copies": copies, "requests": requests})
            );
        } else {
            let names: Vec<String> = group
                .member_keys()
                .iter()
                .map(|k| self.member_name(me, k))
                .collect();
            println!("group {name}: {}", names.join(", "));
        }
        Ok(())
    }

    pub(crate) fn member_name(&self, me: &Identity, key: &PublicKey) -> String {
        if self.account_key(me).ok() == Some(*key) {
            return format!("{} (you)", me.name());
        }
        match self.contact_of(key) {
            Ok(Some(name)) => name,
            // An identity here, or the key.
            _ => self.name_of(key),
        }
    }

    /// The local group with `id` of `me`'s account (any of its devices
    /// here may hold it: groups belong to the account).
    fn find_group(&self, me: &Identity, id: &GroupId) -> Result<Option<(String, LocalGroup)>> {
        let names: Vec<String> = self
            .local_devices(me)?
            .iter()
            .map(|d| d.name().to_owned())
            .collect();
        Ok(self
            .groups
            .list()?
            .into_iter()
            .find(|(_, g)| g.id == id.to_hex() && names.contains(&g.me)))
    }

    /// Applies a group update that arrived in `me`'s inbox. Returns the
    /// group's local name, or None when the update was refused (from
    /// someone who is not a member of a group we know).
    pub(crate) fn apply_group_update(
        &self,
        me: &Identity,
        id: &GroupId,
        from: &PublicKey,
        update: &GroupUpdate,
    ) -> Result<Option<String>> {
        let mine = self.account_key(me)?;
        let sender = self.sender_identity(me, from)?;
        let existing = self.find_group(me, id)?;
        if let Some((_, g)) = &existing
            && !sender.is_some_and(|s| g.member_keys().contains(&s))
        {
            return Ok(None);
        }
        let name = match &existing {
            Some((n, _)) => n.clone(),
            None => self.groups.free_name(&update.name),
        };
        let group = LocalGroup {
            id: id.to_hex(),
            name: update.name.clone(),
            me: existing
                .as_ref()
                .map(|(_, g)| g.me.clone())
                .unwrap_or_else(|| me.name().to_owned()),
            members: update.members.iter().map(|k| k.to_hex()).collect(),
            left: !update.members.contains(&mine),
        };
        self.groups.save(&name, &group)?;
        Ok(Some(name))
    }

    /// A group message's local group name and inner envelope.
    pub(crate) fn open_group(
        &self,
        me: &Identity,
        m: &Message,
        content: &[u8],
    ) -> Result<(String, EnvelopePlaintext)> {
        let outer = EnvelopePlaintext::new(EnvelopeKind::Group, content)?;
        let (id, inner) = outer.unnest(GROUP_ID_LEN)?;
        let id = GroupId(id.try_into().expect("16 bytes"));
        if inner.kind == EnvelopeKind::Control {
            let update = GroupUpdate::decode(inner.content())?;
            return match self.apply_group_update(me, &id, &m.sender, &update)? {
                Some(name) => Ok((name, inner)),
                None => bail!("a group update from someone who is not a member; ignored"),
            };
        }
        match self.find_group(me, &id)? {
            Some((name, g)) if !g.left => Ok((name, inner)),
            Some(_) => bail!("a message to a group you left"),
            None => bail!("a message to a group you do not know ({})", id.to_hex()),
        }
    }
}

pub async fn group(ctx: &Ctx, cmd: GroupCommand) -> Result<()> {
    match cmd {
        GroupCommand::Create { name, me, members } => {
            let me = ctx.keys.load(&me)?;
            if ctx.groups.load(&name)?.is_some() {
                bail!("a group named {name} exists already");
            }
            let mut keys = vec![ctx.account_key(&me)?];
            for m in &members {
                let k = ctx.member_key(m)?;
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            GroupUpdate::new(&name, keys.clone())?;
            let group = LocalGroup {
                id: GroupId(rand::random()).to_hex(),
                name: name.clone(),
                me: me.name().to_owned(),
                members: keys.iter().map(|k| k.to_hex()).collect(),
                left: false,
            };
            ctx.groups.save(&name, &group)?;
            ctx.announce(&me, &name, &group, &keys).await?;
        }
        GroupCommand::Add { name, me, contacts } => {
            change_members(ctx, &name, &me, &contacts, true).await?
        }
        GroupCommand::Remove { name, me, contacts } => {
            change_members(ctx, &name, &me, &contacts, false).await?
        }
        GroupCommand::Send { name, me, text } => {
            let me = ctx.keys.load(&me)?;
            let group = ctx
                .groups
                .load(&name)?
                .with_context(|| format!("no group named {name} (see hush group list)"))?;
            if group.left {
                bail!("you are no longer a member of {name}");
            }
            // The group's id and the inner envelope's kind travel with it.
            let max =
                hush_wire::consts::MAX_ENVELOPE_CONTENT_LEN - hush_wire::group::GROUP_ID_LEN - 1;
            if text.len() > max {
                bail!(
                    "a group text is at most {max} bytes (the group's id travels with it); this one is {} bytes",
                    text.len()
                );
            }
            let inner = crate::text_envelope(&text)?;
            let (copies, requests) = ctx
                .send_group(&me, &group, &group.member_keys(), &inner)
                .await?;
            if ctx.json {
                println!(
                    "{}",
                    json!({"group": name, "copies": copies, "requests": requests})
                );
            } else {
                println!("sent to group {name} ({copies} device(s))");
            }
        }
        GroupCommand::List { me } => {
            let mut groups = ctx.groups.list()?;
            if let Some(me) = &me {
                if !ctx.keys.list_public()?.0.iter().any(|i| &i.name == me) {
                    return Err(hush_client::identity::KeystoreError::Missing(me.clone()).into());
                }
                groups.retain(|(_, g)| &g.me == me);
            }
            if ctx.json {
                let v: Vec<_> = groups
                    .iter()
                    .map(|(n, g)| json!({"name": n, "id": g.id, "as": g.me, "members": g.members, "left": g.left}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else if groups.is_empty() {
                println!(
                    "no groups yet; create one with hush group create NAME --as ME --members A,B"
                );
            } else {
                for (n, g) in groups {
                    let me = ctx.keys.load(&g.me).ok();
                    let names: Vec<String> = g
                        .member_keys()
                        .iter()
                        .map(|k| match &me {
                            Some(me) => ctx.member_name(me, k),
                            None => k.to_hex(),
                        })
                        .collect();
                    let left = if g.left { "  (left)" } else { "" };
                    println!("{n:<16} {}{left}", names.join(", "));
                }
            }
        }
    }
    Ok(())
}

/// Adds or removes members, then announces the new state to everyone who
/// was or is a member.
async fn change_members(
    ctx: &Ctx,
    name: &str,
    me: &str,
    contacts: &[String],
    add: bool,
) -> Result<()> {
    let me = ctx.keys.load(me)?;
    let mut group = ctx
        .groups
        .load(name)?
        .with_context(|| format!("no group named {name} (see hush group list)"))?;
    if group.left {
        bail!("you are no longer a member of {name}");
    }
    let before = group.member_keys();
    let mut after = before.clone();
    for c in contacts {
        let k = ctx.member_key(c)?;
        if add {
            if !after.contains(&k) {
                after.push(k);
            }
        } else {
            if k == ctx.account_key(&me)? {
                bail!("to leave a group, ask a member to remove you");
            }
            if !after.contains(&k) {
                bail!("{c} is not a member of {name}");
            }
            after.retain(|m| *m != k);
        }
    }
    GroupUpdate::new(&group.name, after.clone())?;
    group.members = after.iter().map(|k| k.to_hex()).collect();
    let mut everyone = before;
    for k in &after {
        if !everyone.contains(k) {
            everyone.push(*k);
        }
    }
    ctx.groups.save(name, &group)?;
    ctx.announce(&me, name, &group, &everyone).await
}
