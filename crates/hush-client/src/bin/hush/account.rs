//! `hush account ...` and `hush device ...`: an account in the directory,
//! found by email address or phone number, with up to 8 devices.

use crate::Ctx;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use hush_client::accounts::LocalAccount;
use hush_client::directory::Account;
use hush_wire::directory::{AccountFlags, Identifier, VerificationCode};
use serde_json::json;

/// on or off.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

impl OnOff {
    fn on(self) -> bool {
        matches!(self, OnOff::On)
    }
}

/// An email address or a phone number, as flags.
#[derive(Args, Debug, Clone)]
#[group(required = false, multiple = false)]
pub struct IdentifierArgs {
    /// An email address.
    #[arg(long)]
    pub email: Option<String>,
    /// A phone number in E.164 form (+ and 8 to 15 digits).
    #[arg(long)]
    pub phone: Option<String>,
    /// A username (nick.42), or its link (hush-user:nick.42).
    #[arg(long)]
    pub username: Option<String>,
}

impl IdentifierArgs {
    /// The identifier given, if any.
    pub fn parse(&self) -> Result<Option<Identifier>> {
        Ok(match (&self.email, &self.phone, &self.username) {
            (Some(e), _, _) => Some(Identifier::email(e)?),
            (_, Some(p), _) => Some(Identifier::phone(p)?),
            (_, _, Some(u)) => Some(crate::username::parse(u)?),
            _ => None,
        })
    }

    /// The identifier given; an error naming the flags if none.
    pub fn required(&self) -> Result<Identifier> {
        self.parse()?
            .context("give an identifier: --email ADDRESS, --phone +NUMBER or --username NICK.NN")
    }
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Register an email address or phone number for an identity: its
    /// account is made (with it as the first device) if it has none, and a
    /// code is sent to the address.
    Register {
        /// Identity to register.
        #[arg(long = "as")]
        me: String,
        #[command(flatten)]
        identifier: IdentifierArgs,
        /// Make the new account not discoverable by look-up.
        #[arg(long)]
        hidden: bool,
    },
    /// Complete a registration with the code that was sent.
    Verify {
        /// Identity that registered.
        #[arg(long = "as")]
        me: String,
        /// The six-digit code.
        code: String,
        /// Which registration [default: the most recent one waiting].
        #[command(flatten)]
        identifier: IdentifierArgs,
    },
    /// The identifiers of an identity's account: those this machine
    /// registered (verified, or waiting for their code), and how many the
    /// directory counts (it keeps only keyed digests of them, never the
    /// text).
    Identifiers {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
    },
    /// Register one more email address or phone number for an account (up
    /// to 4): as `register`, then `verify` with the code.
    AddIdentifier {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        #[command(flatten)]
        identifier: IdentifierArgs,
    },
    /// Remove an identifier from the account: look-ups of it find nobody
    /// from then on, and another account may register it.
    RemoveIdentifier {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        #[command(flatten)]
        identifier: IdentifierArgs,
    },
    /// Close the account: its identifiers are removed, its devices dropped,
    /// and senders who knew it are told it is gone. It cannot be reopened;
    /// the identity (and its devices) stay usable without an account.
    Unregister {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        /// Confirm: closing cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Show the account of an identity (or of the account it is a device of).
    Show {
        /// Identity.
        #[arg(long = "as")]
        me: String,
    },
    /// Let others find the account by look-up, or not.
    Discoverable {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        /// on or off.
        value: OnOff,
    },
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Link a new device: a new local identity named NEW_DEVICE_NAME (or an
    /// existing one without an account), signed by the account's identity.
    Add {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        /// Name of the device's identity.
        new_device_name: String,
    },
    /// List the account's devices.
    List {
        /// An identity of the account.
        #[arg(long = "as")]
        me: String,
    },
    /// Link this machine as a new device of an account: makes identity
    /// --as (a new name), prints a one-time link alone on the last line of
    /// standard output (and a QR code on standard error when it is a
    /// terminal), then waits until a device of the account approves it
    /// with `hush device approve`; the account's contacts and groups then
    /// arrive encrypted to this device.
    Link {
        /// The new device's identity name on this machine.
        #[arg(long = "as")]
        me: String,
        /// Seconds to wait for the approval.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
    /// Approve a device that `hush device link` shows on another machine:
    /// adds it to the account and sends it the account's contacts and
    /// groups (encrypted to it; the host sees a message and a blob).
    Approve {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        /// The link (hush-link-v1:...).
        link: String,
    },
    /// Unlink a device (by its identity's name or its public key).
    Remove {
        /// The account's identity.
        #[arg(long = "as")]
        me: String,
        /// The device.
        device_name: String,
    },
}

impl Ctx {
    fn account_json(&self, a: &Account) -> serde_json::Value {
        json!({
            "identity_key": a.identity.to_hex(),
            "discoverable": a.flags.discoverable,
            "accept_from_anyone": a.flags.accept_from_anyone,
            "verified_identifiers": a.verified_identifiers,
            "devices": a.devices.iter().map(|d| json!({
                "public_key": d.key().to_hex(),
                "name": self.name_of(&d.key()),
                "encryption_key": hex::encode(d.card().card().encryption_key),
            })).collect::<Vec<_>>(),
        })
    }

    fn print_account(&self, a: &Account) {
        if self.json {
            println!("{}", self.account_json(a));
            return;
        }
        println!("identity key  {}", a.identity);
        println!(
            "discoverable  {}",
            if a.flags.discoverable { "on" } else { "off" }
        );
        if a.verified_identifiers > 0 {
            println!("identifiers   {} verified", a.verified_identifiers);
        }
        println!("devices       {}", a.devices.len());
        for d in &a.devices {
            let role = if d.key() == a.identity {
                "  (identity)"
            } else {
                ""
            };
            println!("  {:<16} {}{role}", self.name_of(&d.key()), d.key());
        }
    }
}

pub async fn account(ctx: &Ctx, cmd: AccountCommand) -> Result<()> {
    match cmd {
        AccountCommand::Register {
            me,
            identifier,
            hidden,
        } => {
            let id = ctx.keys.load(&me)?;
            let identifier = identifier.required()?;
            if identifier.kind() == hush_wire::directory::IdentifierKind::Username {
                bail!("a username is chosen with: hush username set --as {me} NICK");
            }
            if let Some(local) = ctx.accounts.load(&me)?
                && local.identity()? != id.public()
            {
                bail!(
                    "{me} is a linked device of another account; register identifiers with that account's identity"
                );
            }
            let flags = AccountFlags {
                discoverable: !hidden,
                ..AccountFlags::default()
            };
            let mut client = ctx.connect(&id).await?;
            client.directory().register(&id, &identifier, flags).await?;
            let mut local = ctx.accounts.load(&me)?.unwrap_or(LocalAccount {
                identity_key: id.public().to_hex(),
                pending: vec![],
                verified: vec![],
            });
            local.pending.retain(|p| p != identifier.as_str());
            local.pending.push(identifier.to_string());
            ctx.accounts.save(&me, &local)?;
            if ctx.json {
                println!(
                    "{}",
                    json!({"identifier": identifier.as_str(), "code_sent": true})
                );
            } else {
                println!("a code was sent to {identifier}");
                println!("complete the registration with: hush account verify --as {me} CODE");
            }
        }
        AccountCommand::Verify {
            me,
            code,
            identifier,
        } => {
            let id = ctx.keys.load(&me)?;
            let code = VerificationCode::parse(&code)?;
            let mut local = ctx.accounts.load(&me)?.with_context(|| {
                format!("{me} has registered nothing yet: hush account register --as {me} --email ADDRESS")
            })?;
            let identifier = match identifier.parse()? {
                Some(i) => i,
                None => Identifier::parse(local.pending.last().with_context(|| {
                    format!("{me} has no registration waiting for a code; name it with --email or --phone")
                })?)?,
            };
            let mut client = ctx.connect(&id).await?;
            let account = client
                .directory()
                .verify(id.public(), &identifier, code)
                .await?;
            local.pending.retain(|p| p != identifier.as_str());
            if !local.verified.iter().any(|v| v == identifier.as_str()) {
                local.verified.push(identifier.to_string());
            }
            ctx.accounts.save(&me, &local)?;
            if ctx.json {
                let mut v = ctx.account_json(&account);
                v["verified"] = json!(identifier.as_str());
                println!("{v}");
            } else {
                println!("{identifier} is registered to {me}'s account");
            }
        }
        AccountCommand::Identifiers { me } => {
            let id = ctx.keys.load(&me)?;
            let local = ctx.accounts.load(&me)?.with_context(|| {
                format!("{me} has no account: hush account register --as {me} --email ADDRESS")
            })?;
            let mut client = ctx.connect(&id).await?;
            let account = client.directory().show(id.public()).await?;
            let counted = account.verified_identifiers as usize;
            if ctx.json {
                println!(
                    "{}",
                    json!({"verified": local.verified, "pending": local.pending,
                           "verified_in_directory": counted})
                );
            } else {
                for v in &local.verified {
                    println!("{v:<40} verified");
                }
                for p in &local.pending {
                    println!("{p:<40} waiting for its code");
                }
                if counted != local.verified.len() {
                    println!(
                        "(the directory counts {counted} verified; this machine registered {}: the others were registered elsewhere, or this machine's list is stale)",
                        local.verified.len()
                    );
                }
            }
        }
        AccountCommand::AddIdentifier { me, identifier } => {
            if ctx.accounts.load(&me)?.is_none() {
                bail!("{me} has no account yet: hush account register --as {me} --email ADDRESS");
            }
            Box::pin(account(
                ctx,
                AccountCommand::Register {
                    me,
                    identifier,
                    hidden: false,
                },
            ))
            .await?;
        }
        AccountCommand::RemoveIdentifier { me, identifier } => {
            let id = ctx.keys.load(&me)?;
            let identifier = identifier.required()?;
            let mut client = ctx.connect(&id).await?;
            let account = client
                .directory()
                .remove_identifier(id.public(), &identifier)
                .await?;
            if let Some(mut local) = ctx.accounts.load(&me)? {
                local.pending.retain(|p| p != identifier.as_str());
                local.verified.retain(|v| v != identifier.as_str());
                ctx.accounts.save(&me, &local)?;
            }
            if ctx.json {
                let mut v = ctx.account_json(&account);
                v["removed"] = json!(identifier.as_str());
                println!("{v}");
            } else {
                println!(
                    "removed {identifier} from {me}'s account ({} verified left)",
                    account.verified_identifiers
                );
            }
        }
        AccountCommand::Unregister { me, yes } => {
            let id = ctx.keys.load(&me)?;
            let local = ctx
                .accounts
                .load(&me)?
                .with_context(|| format!("{me} has no account"))?;
            if local.identity()? != id.public() {
                bail!(
                    "only the account's identity closes it: run this --as the identity whose key is {}",
                    local.identity_key
                );
            }
            if !yes {
                bail!(
                    "closing {me}'s account cannot be undone: its identifiers are freed, its devices dropped, and senders are told it is gone. Run again with --yes"
                );
            }
            let mut client = ctx.connect(&id).await?;
            for i in local.verified.iter().chain(&local.pending) {
                let identifier = Identifier::parse(i)?;
                match client
                    .directory()
                    .remove_identifier(id.public(), &identifier)
                    .await
                {
                    Ok(_)
                    | Err(hush_client::ClientError::Directory(
                        hush_wire::directory::DirectoryStatus::UnknownIdentifier,
                    )) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            client.directory().close(id.public()).await.map_err(|e| {
                anyhow::anyhow!(
                    "{e}\nhint: this machine removed the identifiers it registered; remove the others with hush account remove-identifier --as {me} --email ..."
                )
            })?;
            // The account's devices here, and its own file, forget it.
            for d in ctx.local_devices(&id)? {
                ctx.accounts.remove(d.name())?;
            }
            if ctx.json {
                println!("{}", json!({"closed": id.public().to_hex()}));
            } else {
                println!("closed {me}'s account; the identity {me} stays, without an account");
            }
        }
        AccountCommand::Show { me } => {
            let id = ctx.keys.load(&me)?;
            let mut client = ctx.connect(&id).await?;
            let account = client.directory().show(id.public()).await?;
            ctx.print_account(&account);
        }
        AccountCommand::Discoverable { me, value } => {
            let id = ctx.keys.load(&me)?;
            let mut client = ctx.connect(&id).await?;
            let current = client.directory().show(id.public()).await?;
            let flags = AccountFlags {
                discoverable: value.on(),
                ..current.flags
            };
            let account = client.directory().set_flags(id.public(), flags).await?;
            if ctx.json {
                println!("{}", ctx.account_json(&account));
            } else {
                println!(
                    "{me}'s account is {}",
                    if value.on() {
                        "discoverable"
                    } else {
                        "not discoverable"
                    }
                );
            }
        }
    }
    Ok(())
}

pub async fn device(ctx: &Ctx, cmd: DeviceCommand) -> Result<()> {
    match cmd {
        DeviceCommand::Add {
            me,
            new_device_name,
        } => {
            let id = ctx.keys.load(&me)?;
            if ctx.accounts.load(&new_device_name)?.is_some() {
                bail!("{new_device_name} already belongs to an account; choose a new device name");
            }
            let device = match ctx.keys.load(&new_device_name) {
                Ok(d) => d,
                Err(hush_client::identity::KeystoreError::Missing(_)) => {
                    if ctx.contacts.load(&new_device_name).is_ok() {
                        bail!(
                            "{new_device_name:?} is a contact's name; choose another device name"
                        );
                    }
                    ctx.keys.create(&new_device_name)?
                }
                Err(e) => return Err(e.into()),
            };
            let mut client = ctx.connect(&id).await?;
            let account = client.directory().add_device(&id, &device).await?;
            ctx.accounts.save(
                &new_device_name,
                &LocalAccount {
                    identity_key: id.public().to_hex(),
                    pending: vec![],
                    verified: vec![],
                },
            )?;
            if ctx.json {
                let mut v = ctx.account_json(&account);
                v["added"] = json!(device.public().to_hex());
                println!("{v}");
            } else {
                println!(
                    "linked device {new_device_name} ({}) to {me}'s account ({} devices)",
                    device.public(),
                    account.devices.len()
                );
            }
        }
        DeviceCommand::Link { me, wait } => crate::link::link(ctx, &me, wait).await?,
        DeviceCommand::Approve { me, link } => crate::link::approve(ctx, &me, &link).await?,
        DeviceCommand::List { me } => {
            let id = ctx.keys.load(&me)?;
            let mut client = ctx.connect(&id).await?;
            let account = client.directory().show(id.public()).await?;
            if ctx.json {
                println!("{}", ctx.account_json(&account)["devices"]);
            } else {
                for d in &account.devices {
                    let role = if d.key() == account.identity {
                        "  (identity)"
                    } else {
                        ""
                    };
                    println!("{:<16} {}{role}", ctx.name_of(&d.key()), d.key());
                }
            }
        }
        DeviceCommand::Remove { me, device_name } => {
            let id = ctx.keys.load(&me)?;
            let key = match ctx.keys.load(&device_name) {
                Ok(d) => d.public(),
                Err(_) => hush_wire::PublicKey::from_hex(&device_name).with_context(|| {
                    format!("{device_name:?} is neither one of your identities nor a public key")
                })?,
            };
            let mut client = ctx.connect(&id).await?;
            let account = client.directory().remove_device(id.public(), key).await?;
            if ctx.keys.load(&device_name).is_ok() {
                ctx.accounts.remove(&device_name)?;
            }
            if ctx.json {
                let mut v = ctx.account_json(&account);
                v["removed"] = json!(key.to_hex());
                println!("{v}");
            } else {
                println!(
                    "unlinked {device_name} from {me}'s account ({} devices left)",
                    account.devices.len()
                );
            }
        }
    }
    Ok(())
}
