//! `hush username ...`: a username (`nick.42`) people find the account by
//! without an email address or phone number, as Signal's usernames. It is
//! one of the account's identifiers in the directory: reserved, then
//! confirmed by the account itself (no code goes out); the confirmation
//! fails when another account has it, and another discriminator is tried.
//! A username link (`hush-user:nick.42`) can be shared; `hush contact add
//! NAME --username nick.42` (or the link) finds the account.

use crate::Ctx;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use hush_client::ClientError;
use hush_client::accounts::LocalAccount;
use hush_wire::directory::{
    AccountFlags, DirectoryStatus, Identifier, IdentifierKind, VerificationCode,
};
use serde_json::json;

/// The text before a username in its link.
pub const LINK_PREFIX: &str = "hush-user:";
/// Discriminators tried before giving up (two digits, then three).
const TRIES: usize = 12;

#[derive(Subcommand)]
pub enum UsernameCommand {
    /// Choose a username: NICK and a discriminator (NICK.42), picked at
    /// random until a free one is confirmed (or --discriminator). Replaces
    /// the account's current username.
    Set {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        /// The nickname: 3 to 32 letters, digits or _, starting with a letter.
        nick: String,
        /// The digits after the dot (2 to 9) [default: a free one at random].
        #[arg(long)]
        discriminator: Option<String>,
    },
    /// Show the account's username and its link.
    Show {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
    },
    /// Delete the username: look-ups of it find nobody, and it is free.
    Delete {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
    },
}

/// A username from its text or its link.
pub fn parse(text: &str) -> Result<Identifier> {
    let t = text.trim();
    Ok(Identifier::username(
        t.strip_prefix(LINK_PREFIX).unwrap_or(t),
    )?)
}

fn current(local: &LocalAccount) -> Option<Identifier> {
    local
        .verified
        .iter()
        .filter_map(|v| Identifier::parse(v).ok())
        .find(|i| i.kind() == IdentifierKind::Username)
}

pub async fn username(ctx: &Ctx, cmd: UsernameCommand) -> Result<()> {
    match cmd {
        UsernameCommand::Set {
            me,
            nick,
            discriminator,
        } => {
            let id = ctx.keys.load(&me)?;
            let mut local = match ctx.accounts.load(&me)? {
                Some(a) if a.identity()? != id.public() => {
                    bail!("{me} is a linked device; set the username with the account's identity")
                }
                Some(a) => a,
                None => LocalAccount {
                    identity_key: id.public().to_hex(),
                    pending: vec![],
                    verified: vec![],
                },
            };
            let nick = nick.trim().trim_start_matches('@').to_lowercase();
            let old = current(&local);
            let mut client = ctx.connect(&id).await?;
            let mut chosen = None;
            for attempt in 0..TRIES {
                let digits = match &discriminator {
                    Some(d) => d.clone(),
                    None if attempt < TRIES / 2 => format!("{:02}", rand::random_range(1..100u32)),
                    None => format!("{}", rand::random_range(100..1000u32)),
                };
                let name = Identifier::username(&format!("{nick}.{digits}"))?;
                if Some(&name) == old.as_ref() {
                    chosen = Some(name);
                    break;
                }
                client
                    .directory()
                    .register(&id, &name, AccountFlags::default())
                    .await?;
                let zero = VerificationCode::new(0).expect("0 is a code");
                match client.directory().verify(id.public(), &name, zero).await {
                    Ok(_) => {
                        chosen = Some(name);
                        break;
                    }
                    Err(ClientError::Directory(DirectoryStatus::AlreadyRegistered)) => {
                        // Free the slot the reservation took.
                        let _ = client
                            .directory()
                            .remove_identifier(id.public(), &name)
                            .await;
                        if discriminator.is_some() {
                            bail!(
                                "{name} is taken; choose another --discriminator, or leave it out"
                            );
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let name = chosen.with_context(|| {
                format!(
                    "no free username {nick}.NN found in {TRIES} tries; choose another nickname"
                )
            })?;
            if let Some(old) = old.filter(|o| *o != name) {
                client
                    .directory()
                    .remove_identifier(id.public(), &old)
                    .await?;
                local.verified.retain(|v| v != old.as_str());
            }
            if !local.verified.iter().any(|v| v == name.as_str()) {
                local.verified.push(name.to_string());
            }
            ctx.accounts.save(&me, &local)?;
            if ctx.json {
                println!(
                    "{}",
                    json!({"username": name.as_str(), "link": format!("{LINK_PREFIX}{name}")})
                );
            } else {
                println!("{me}'s username is {name}");
                println!("share it, or its link: {LINK_PREFIX}{name}");
            }
        }
        UsernameCommand::Show { me } => {
            let local = ctx
                .accounts
                .load(&me)?
                .with_context(|| format!("{me} has no account"))?;
            let name = current(&local).with_context(|| {
                format!("{me} has no username: hush username set --as {me} NICK")
            })?;
            if ctx.json {
                println!(
                    "{}",
                    json!({"username": name.as_str(), "link": format!("{LINK_PREFIX}{name}")})
                );
            } else {
                println!("{name}");
                println!("{LINK_PREFIX}{name}");
            }
        }
        UsernameCommand::Delete { me } => {
            let id = ctx.keys.load(&me)?;
            let mut local = ctx
                .accounts
                .load(&me)?
                .with_context(|| format!("{me} has no account"))?;
            let name = current(&local).with_context(|| format!("{me} has no username"))?;
            let mut client = ctx.connect(&id).await?;
            client
                .directory()
                .remove_identifier(id.public(), &name)
                .await?;
            local.verified.retain(|v| v != name.as_str());
            ctx.accounts.save(&me, &local)?;
            if ctx.json {
                println!("{}", json!({"deleted": name.as_str()}));
            } else {
                println!("deleted the username {name}; it is free for anyone");
            }
        }
    }
    Ok(())
}
