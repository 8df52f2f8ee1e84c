//! `hush`: the command-line client of the hush oblivious message broker.
//!
//! Named identities, contacts, accounts, groups and read receipts live in
//! `$HUSH_HOME` (default `~/.config/hush`); `--as` picks the identity to act
//! as, `--to` takes one of your identities, a contact, or the public key of
//! either. The commands are in modules: `account` (accounts and devices),
//! `group`, `policy` (blocking), `media` (files and locations), `status`
//! (receipts and typing); sending, reading and identities are here.
//!
//! Every message is end-to-end encrypted to each recipient device's card
//! (HPKE); there is no plaintext mode. Requests per command are fixed (see
//! README.md): `inbox` always makes one list and 62 reads, then a padded
//! batch of read receipts.

mod account;
mod calc;
mod evidence;
mod group;
mod link;
mod media;
mod policy;
mod server;
mod status;
mod tokens;
mod username;

use account::{AccountCommand, DeviceCommand, IdentifierArgs};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hush_attest::Policy;
use hush_client::accounts::LocalAccounts;
use hush_client::directory::Recipients;
use hush_client::e2e::{self, E2eError, Opened, VerifiedCard};
use hush_client::fanout::Copy;
use hush_client::groups::Groups;
use hush_client::{Client, Contacts, Identity, Keystore, Read};
use hush_wire::{EnvelopeKind, EnvelopePlaintext, Message, MessageId, PublicKey};
use serde_json::json;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Default server: where a plain `hushd` listens.
const DEFAULT_SERVER: &str = "http://127.0.0.1:7878";

#[derive(Parser)]
#[command(
    name = "hush",
    version,
    about = "Client of the hush oblivious message broker"
)]
struct Cli {
    /// Broker address; for a cluster, every node's, separated by commas
    /// (requests go to the leader, and fail over to the next).
    #[arg(long, global = true, env = "HUSH_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    /// Send broker requests over the server's plain-TCP transport at
    /// HOST:PORT (hushd --tcp-listen) instead of gRPC; the session still
    /// starts at --server. One server only.
    #[arg(long, global = true, env = "HUSH_TCP", value_name = "HOST:PORT")]
    tcp: Option<String>,
    /// Accept the server's dev attestation (local development only: it
    /// proves nothing about the server). Also HUSH_ALLOW_DEV_ATTESTATION=1.
    #[arg(long, global = true)]
    allow_dev_attestation: bool,
    /// Attestation policy file (TOML: accepted measurements, TCB, debug,
    /// collateral age; see examples/policy.toml). Without one, only dev
    /// evidence can be accepted (with --allow-dev-attestation).
    #[arg(long, global = true, env = "HUSH_POLICY")]
    policy: Option<std::path::PathBuf>,
    /// Give up SECS seconds after the first connection (0: never), with
    /// an error naming every server tried and why each failed.
    #[arg(
        long,
        global = true,
        env = "HUSH_TIMEOUT",
        default_value_t = 30,
        value_name = "SECS"
    )]
    timeout: u64,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Print received text as it is, control characters included (by
    /// default they are shown escaped, so a message cannot move the cursor
    /// or retitle the terminal). For piping into other programs.
    #[arg(long, global = true)]
    raw: bool,
    /// No warnings or notes on standard error (the dev-attestation warning
    /// among them); errors are still printed. Also HUSH_QUIET=1.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Identity directory [default: $HUSH_HOME or ~/.config/hush].
    #[arg(long, global = true, env = "HUSH_HOME")]
    home: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage named identities (key pairs).
    #[command(subcommand)]
    Id(IdCommand),
    /// Manage contacts (other people's cards, or accounts found by email
    /// address or phone number).
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Your account in the directory: register an email address or phone
    /// number, verify it, show it, be found or not.
    #[command(subcommand)]
    Account(AccountCommand),
    /// A username (nick.42) to be found by without an email or phone
    /// number: set, show (with its link), delete.
    #[command(subcommand)]
    Username(username::UsernameCommand),
    /// Privacy Pass tokens for a server that requires them for writes:
    /// add a file of them, show the stock (writes spend them by themselves).
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
    /// Your account's devices: link, list, unlink.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Groups of contacts: create, add, remove, send, list.
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Computations among participants: average, min, max (rendezvous).
    #[command(subcommand)]
    Calc(calc::CalcCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell), e.g.
    /// `hush completions bash > /etc/bash_completion.d/hush`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `hush man > hush.1`; `hush man
    /// send` prints hush-send(1); `--out-dir DIR` writes every page.
    Man {
        /// The command whose page to print, e.g. `send` or `group create`.
        command: Vec<String>,
        /// Write hush.1 and every command's page (hush-send.1, ...) into
        /// this folder instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        out_dir: Option<std::path::PathBuf>,
    },
    /// The server itself: verify its attestation.
    #[command(subcommand)]
    Server(server::ServerCommand),
    /// Attestation evidence from a file: verify it offline.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Key matching among participants (rendezvous).
    #[command(subcommand, name = "match")]
    Match(calc::MatchCommand),
    /// Send a message.
    Send {
        /// Identity to send as.
        #[arg(long = "as")]
        sender: String,
        /// Recipient: one of your identities or a contact (name or public key).
        #[arg(long)]
        to: String,
        /// Message id (32 hex digits) [default: random]. Reuse it to retry safely.
        #[arg(long)]
        id: Option<String>,
        /// The text (at most 787 bytes; it is end-to-end encrypted), or `-`
        /// to read it from standard input; with --location, the place's
        /// label. Binary data goes with --file.
        text: Option<String>,
        /// Send a file (a picture, ...) instead: encrypted with a fresh key
        /// and stored as a blob on the server (at most 16 MiB).
        #[arg(long, conflicts_with = "location")]
        file: Option<PathBuf>,
        /// Send a location instead: LAT,LON in decimal degrees.
        #[arg(long)]
        location: Option<String>,
    },
    /// Save the file a message carries.
    Download {
        /// Identity whose mailbox holds the message.
        #[arg(long = "as")]
        me: String,
        /// The message id.
        id: String,
        /// Where to save it [default: the file's name, here].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// List your mailbox and show every message in it, oldest first.
    /// Senders you know get a read receipt.
    Inbox {
        /// Identity whose mailbox to read.
        #[arg(long = "as")]
        owner: String,
        /// Send no read receipts (also HUSH_RECEIPTS=off).
        #[arg(long)]
        no_receipts: bool,
    },
    /// Read one message (the oldest if no id is given).
    Read {
        /// Identity whose mailbox to read.
        #[arg(long = "as")]
        owner: String,
        /// Message id (hex).
        id: Option<String>,
        /// Send no read receipt (also HUSH_RECEIPTS=off).
        #[arg(long)]
        no_receipts: bool,
    },
    /// Tell a contact you are typing (a short-lived indicator).
    Typing {
        /// Identity.
        #[arg(long = "as")]
        me: String,
        /// The contact.
        #[arg(long)]
        to: String,
    },
    /// Replace a message's text (as its sender or recipient).
    Update {
        /// Identity to act as.
        #[arg(long = "as")]
        actor: String,
        /// The message's recipient [default: yourself].
        #[arg(long)]
        to: Option<String>,
        /// Message id (hex).
        id: String,
        /// New text, or `-` to read it from standard input.
        text: String,
    },
    /// Delete a message (as its sender or recipient).
    Delete {
        /// Identity to act as.
        #[arg(long = "as")]
        actor: String,
        /// The message's recipient [default: yourself].
        #[arg(long)]
        to: Option<String>,
        /// Message id (hex).
        id: String,
    },
    /// Block a contact (or a public key): its messages to you are hidden
    /// from you, and it cannot tell.
    Block {
        /// Identity whose mailboxes to protect.
        #[arg(long = "as")]
        me: String,
        /// The contact, or a public key.
        contact: String,
    },
    /// Unblock a contact (later messages show again).
    Unblock {
        /// Identity.
        #[arg(long = "as")]
        me: String,
        /// The contact, or a public key.
        contact: String,
    },
    /// Who may write to you: anyone not blocked (on), or only your contacts (off).
    Policy {
        /// Identity.
        #[arg(long = "as")]
        me: String,
        /// on: anyone not blocked; off: only your contacts.
        #[arg(long = "accept-from-anyone")]
        accept_from_anyone: account::OnOff,
    },
    /// Print the safety number of you and a contact: compare it with
    /// theirs (read aloud, or side by side) to check no card was swapped.
    SafetyNumber {
        /// Identity to act as.
        #[arg(long = "as")]
        me: String,
        /// The contact (or another of your identities), by name or key.
        contact: String,
    },
}

#[derive(Subcommand)]
enum IdCommand {
    /// Create a new identity.
    New {
        /// Its name.
        name: String,
        /// Protect its secret with a passphrase (asked on the terminal, or
        /// taken from HUSH_PASSPHRASE), in the age format.
        #[arg(long)]
        passphrase: bool,
    },
    /// Protect an identity's secret with a passphrase (or change it).
    Protect {
        /// Its name.
        name: String,
    },
    /// Store an identity's secret without a passphrase again.
    Unprotect {
        /// Its name.
        name: String,
    },
    /// List identities.
    List,
    /// Show one identity's public key.
    Show {
        /// Its name.
        name: String,
    },
    /// Print an identity's contact card: give it to people who will write to you.
    Card {
        /// Its name.
        name: String,
    },
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Add someone under a name: their card (from `hush id card`), or
    /// their account, looked up by --email or --phone (needs --as).
    Add {
        /// The name to know them by.
        name: String,
        /// Their card (one line, starting hush-card-v1:).
        card: Option<String>,
        #[command(flatten)]
        identifier: IdentifierArgs,
        /// Your identity, for a look-up (it must have a verified account)
        /// [default: your only identity, if you have one].
        #[arg(long = "as")]
        me: Option<String>,
        /// Replace an existing contact of this name, even when its identity
        /// key changed (compare the new safety number first). Without it, a
        /// look-up of an existing contact only refreshes its devices, and a
        /// changed key is refused.
        #[arg(long)]
        replace: bool,
    },
    /// List contacts: an identity's own, and those every identity here
    /// shares.
    List {
        /// Whose [default: your only identity, if you have one; else the
        /// shared contacts only].
        #[arg(long = "as")]
        me: Option<String>,
    },
    /// Remove a contact.
    Remove {
        /// Its name.
        name: String,
        /// Whose [default: as for list].
        #[arg(long = "as")]
        me: Option<String>,
    },
}

/// The identity a command acts as: the value of its `--as`, read from the
/// parsed command line (whatever the field behind it is called).
fn acting_as(command: &clap::Command, matches: &clap::ArgMatches) -> Option<String> {
    let (mut c, mut m) = (command, matches);
    let mut found = None;
    loop {
        for arg in c.get_arguments() {
            if arg.get_long() == Some("as")
                && let Ok(Some(v)) = m.try_get_one::<String>(arg.get_id().as_str())
            {
                found = Some(v.clone());
            }
        }
        let Some((name, sub)) = m.subcommand() else {
            return found;
        };
        c = c.find_subcommand(name)?;
        m = sub;
    }
}

struct Ctx {
    cli_server: String,
    /// --timeout, in seconds (0: none).
    timeout: u64,
    /// When this run gives up: set at its first connection.
    deadline: std::cell::OnceCell<Option<hush_client::Deadline>>,
    tcp: Option<String>,
    allow_dev: bool,
    policy_file: Option<std::path::PathBuf>,
    json: bool,
    home: std::path::PathBuf,
    keys: Keystore,
    contacts: Contacts,
    accounts: LocalAccounts,
    computations: hush_client::computations::LocalComputations,
    groups: Groups,
    /// Names of known keys (identities first, then contacts), read once:
    /// an inbox names up to 62 senders.
    names: std::cell::OnceCell<std::collections::HashMap<PublicKey, String>>,
    /// Whose contacts `contacts` shows: the owner the acting identity's
    /// contacts belong to (None: the shared contacts only).
    scope: Option<String>,
}

impl Ctx {
    /// Whose contacts identity `name` uses (see `Contacts::for_identity`).
    fn contact_owner(&self, name: &str) -> Result<String> {
        let scoped = Contacts::for_identity(&self.home, name)?;
        Ok(scoped.owner().unwrap_or(name).to_owned())
    }

    /// This context with the contacts of the identity the command acts as
    /// (`--as`), or of the home's only identity. A home with one identity
    /// moves the contacts it had before contacts were per identity into
    /// that identity's own, once.
    fn scoped(mut self, acting: Option<&str>) -> Result<Self> {
        let (ids, _) = self.keys.list_public()?;
        if let [only] = &ids[..] {
            let owner = self.contact_owner(&only.name)?;
            let moved = self.contacts.migrate_to(&owner)?;
            if moved > 0 {
                warn(format_args!(
                    "note: moved {moved} contact(s) into {owner}'s own (contacts now belong to an identity)"
                ));
            }
        }
        let name = match acting {
            Some(a) if ids.iter().any(|i| i.name == a) => Some(a.to_owned()),
            Some(_) => None,
            None => match &ids[..] {
                [only] => Some(only.name.clone()),
                _ => None,
            },
        };
        if let Some(name) = name {
            let owner = self.contact_owner(&name)?;
            self.contacts = self.contacts.of(&owner);
            self.scope = Some(owner);
        }
        Ok(self)
    }

    fn policy(&self) -> Result<Policy> {
        let policy = match &self.policy_file {
            Some(path) => Policy::load(path)?,
            None => Policy::default(),
        };
        let policy = if self.allow_dev {
            policy.allowing_dev()
        } else {
            policy
        };
        // On every use, whichever way it was allowed (flag, variable, or
        // allow_dev = true in the policy file).
        if policy.allows_dev() {
            warn(format_args!(
                "warning: accepting DEV attestation: the server's code and secrecy are NOT verified (local development only)"
            ));
        }
        Ok(policy)
    }

    /// When this run gives up (--timeout): fixed at its first connection,
    /// so passphrase prompts before it do not count.
    fn deadline(&self) -> Option<hush_client::Deadline> {
        *self.deadline.get_or_init(|| {
            (self.timeout > 0)
                .then(|| hush_client::Deadline::after(std::time::Duration::from_secs(self.timeout)))
        })
    }

    async fn connect(&self, id: &Identity) -> Result<Client> {
        let mut client = self.connect_grpc(id).await?;
        // Writes that need credits take tokens from this home's stock.
        client.use_token_file(hush_client::tokens::TokenFile::in_home(&self.home));
        if let Some(addr) = &self.tcp {
            client
                .use_tcp(addr)
                .map_err(|e| anyhow::anyhow!("--tcp {addr}: {e}"))?;
        }
        Ok(client)
    }

    async fn connect_grpc(&self, id: &Identity) -> Result<Client> {
        Client::connect_by(&self.cli_server, self.policy()?, vec![id.keypair()], self.deadline()).await.map_err(|e| {
            let hint = if matches!(e, hush_client::ClientError::Attestation(_)) && !self.allow_dev {
                "\nhint: a local hushd uses dev attestation; pass --allow-dev-attestation (or HUSH_ALLOW_DEV_ATTESTATION=1) to accept it"
            } else {
                ""
            };
            anyhow::Error::new(Hinted { error: e, hint })
        })
    }

    fn name_of(&self, key: &PublicKey) -> String {
        let names = self.names.get_or_init(|| {
            let mut names = std::collections::HashMap::new();
            if let Ok((contacts, _)) = self.contacts.list() {
                for c in contacts {
                    if let Ok(Some(devices)) = self.contacts.devices(&c.name) {
                        names.extend(devices.iter().map(|d| (d.key(), c.name.clone())));
                    }
                    names.insert(c.card.signing_key(), c.name);
                }
            }
            if let Ok((ids, _)) = self.keys.list_public() {
                names.extend(ids.into_iter().map(|i| (i.public, i.name)));
            }
            names
        });
        names.get(key).cloned().unwrap_or_else(|| key.to_hex())
    }

    /// The card to encrypt to: one of your identities, or a contact, by
    /// name or by public key.
    fn card_of(&self, to: &str) -> Result<VerifiedCard> {
        match self.keys.load(to) {
            Ok(id) => return Ok(e2e::card_for(&id)),
            Err(hush_client::identity::KeystoreError::Missing(_))
            | Err(hush_client::identity::KeystoreError::BadName(_)) => {}
            Err(e) => return Err(e.into()),
        }
        match self.contacts.load(to) {
            Ok(c) => return Ok(c.card),
            Err(hush_client::identity::KeystoreError::MissingContact(_))
            | Err(hush_client::identity::KeystoreError::BadDisplayName(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let Ok(key) = PublicKey::from_hex(to) else {
            return Err(
                hush_client::identity::KeystoreError::UnknownRecipient(to.to_owned()).into(),
            );
        };
        if let Some(info) = self
            .keys
            .list_public()?
            .0
            .into_iter()
            .find(|i| i.public == key)
        {
            return Ok(e2e::card_for(&self.keys.load(&info.name)?));
        }
        match self.contacts.find_key(&key) {
            Some(c) => Ok(c.card),
            None => Err(hush_client::identity::KeystoreError::NoCard(key.to_hex()).into()),
        }
    }

    /// The cards to send to for `to`: for a contact found in the directory,
    /// the devices its account lists now (asked at every send and checked
    /// against the identity key kept for it, so an unlinked device gets
    /// nothing more and a new one gets the message); else the one card.
    /// Exactly one directory request either way (a stand-in for a contact
    /// by card), so the host cannot tell the two kinds of contact apart.
    async fn current_devices(
        &self,
        me: &Identity,
        client: &mut Client,
        to: &str,
        card: &VerifiedCard,
    ) -> Result<Vec<VerifiedCard>> {
        // The devices kept for a directory contact (read once: whether it
        // is one, and what changed since).
        let kept = match self.contacts.load(to) {
            Ok(_) => self.contacts.devices(to)?,
            Err(_) => None,
        };
        let account = match &kept {
            Some(_) => Some(self.contacts.account_identity(to)?),
            None => None,
        };
        let account = match client
            .directory()
            .recipients(me.public(), account, card)
            .await?
        {
            Recipients::Card(card) => return Ok(vec![card]),
            Recipients::Account(account) => account,
            Recipients::Gone => anyhow::bail!(
                "{to}'s account lists no devices any more (it was closed); nothing was sent.\n\
                 hint: if {to} registered again, look them up again with `hush contact add {to} --email ... --as {}` and compare safety numbers",
                me.name()
            ),
        };
        let before: Vec<PublicKey> = kept.unwrap_or_default().iter().map(|d| d.key()).collect();
        let linked = account
            .devices
            .iter()
            .filter(|d| !before.contains(&d.key()))
            .count();
        let unlinked = before.iter().filter(|k| !account.has_device(k)).count();
        if linked + unlinked > 0 {
            self.contacts.set_devices(to, &account)?;
            warn(format_args!(
                "note: {to}'s devices changed since you last wrote: {linked} linked, {unlinked} unlinked (now {})",
                account.devices.len()
            ));
        }
        Ok(account.devices.iter().map(|d| d.card().clone()).collect())
    }

    /// The other devices of `me`'s account (none without an account): one
    /// directory request whenever `me` has an account.
    async fn my_other_devices(
        &self,
        me: &Identity,
        client: &mut Client,
    ) -> Result<Vec<VerifiedCard>> {
        if self.accounts.load(me.name())?.is_none() {
            return Ok(vec![]);
        }
        match client.directory().show(me.public()).await {
            Ok(account) => Ok(account
                .devices
                .iter()
                .filter(|d| d.key() != me.public())
                .map(|d| d.card().clone())
                .collect()),
            Err(hush_client::ClientError::Directory(
                hush_wire::directory::DirectoryStatus::NotRegistered
                | hush_wire::directory::DirectoryStatus::Closed,
            )) => Ok(vec![]),
            Err(e) => Err(e.into()),
        }
    }

    /// A message's recipient for update and delete: yourself by default.
    fn recipient_key(&self, me: &Identity, to: Option<&str>) -> Result<PublicKey> {
        match to {
            None => Ok(me.public()),
            Some(t) => match self.card_of(t) {
                Ok(card) => Ok(card.signing_key()),
                // Deleting needs no card: a bare key will do.
                Err(_) if PublicKey::from_hex(t).is_ok() => Ok(PublicKey::from_hex(t)?),
                Err(e) => Err(e),
            },
        }
    }

    fn print_message(&self, me: &Identity, m: &Message) {
        let opened = e2e::open(me, m);
        if self.json {
            println!("{}", self.message_json(me, m, &opened));
            return;
        }
        let when = humanize_time(m.timestamp.0);
        let body = match &opened {
            Ok(o) if o.kind == EnvelopeKind::Group => match self.open_group(me, m, &o.content) {
                Ok((group, inner)) => {
                    format!("[{group}] {}", self.describe_inner(me, &m.id, &inner))
                }
                Err(e) => format!("[group message not shown: {e}]"),
            },
            Ok(o) => describe(o, |k| self.name_of(k), m, me.name()),
            Err(e) => format!("[cannot open: {e}]"),
        };
        println!(
            "{}  from {}  at {when}\n  {body}",
            m.id,
            self.name_of(&m.sender)
        );
    }

    /// A message's clear fields as JSON.
    fn header_json(&self, m: &Message) -> serde_json::Value {
        json!({
            "id": m.id.to_hex(),
            "from": m.sender.to_hex(),
            "from_name": self.name_of(&m.sender),
            "to": m.recipient.to_hex(),
            "timestamp": m.timestamp.0,
        })
    }

    /// A message as JSON: its clear fields and what opening it gave.
    fn message_json(
        &self,
        me: &Identity,
        m: &Message,
        opened: &Result<Opened, E2eError>,
    ) -> serde_json::Value {
        let mut v = self.header_json(m);
        match opened {
            Ok(o) if o.kind == EnvelopeKind::Group => {
                v["kind"] = json!(o.kind.name());
                v["author"] = json!(o.author.to_hex());
                match self.open_group(me, m, &o.content) {
                    Ok((group, inner)) => {
                        v["group"] = json!(group);
                        v["group_kind"] = json!(inner.kind.name());
                        v["text"] = match inner.kind {
                            EnvelopeKind::Text => {
                                json!(String::from_utf8_lossy(inner.content()))
                            }
                            _ => serde_json::Value::Null,
                        };
                        media::json_fields(inner.kind, inner.content(), &mut v);
                        if inner.kind == EnvelopeKind::Control {
                            v["description"] = json!(self.describe_inner(me, &m.id, &inner));
                        }
                    }
                    Err(e) => {
                        v["text"] = serde_json::Value::Null;
                        v["error"] = json!(e.to_string());
                    }
                }
            }
            Ok(o) => {
                v["kind"] = json!(o.kind.name());
                v["author"] = json!(o.author.to_hex());
                v["text"] = match o.kind {
                    EnvelopeKind::Text => json!(String::from_utf8_lossy(&o.content)),
                    _ => serde_json::Value::Null,
                };
                v["content_hex"] = json!(hex::encode(&o.content));
                media::json_fields(o.kind, &o.content, &mut v);
                status::json_fields(o.kind, &o.content, m, &mut v);
            }
            Err(e) => {
                v["text"] = serde_json::Value::Null;
                v["error"] = json!(e.to_string());
            }
        }
        v
    }
}

impl Ctx {
    /// A group's inner envelope as one line of safe text.
    fn describe_inner(&self, me: &Identity, id: &MessageId, inner: &EnvelopePlaintext) -> String {
        match inner.kind {
            EnvelopeKind::Text => safe_text(&String::from_utf8_lossy(inner.content())),
            EnvelopeKind::Control => match hush_wire::group::GroupUpdate::decode(inner.content()) {
                Ok(u) => {
                    let names: Vec<String> =
                        u.members.iter().map(|k| self.member_name(me, k)).collect();
                    format!("members of {}: {}", safe_text(&u.name), names.join(", "))
                }
                Err(e) => format!("[bad group update: {e}]"),
            },
            other => media::describe(other, inner.content(), id, me.name())
                .unwrap_or_else(|| format!("[{}, {} bytes]", other.name(), inner.content().len())),
        }
    }
}

/// An opened message as one line of safe text: control characters (which
/// could move the cursor or retitle the terminal) are shown escaped.
fn describe(o: &Opened, name_of: impl Fn(&PublicKey) -> String, m: &Message, me: &str) -> String {
    let body = match o.kind {
        EnvelopeKind::Text => safe_text(&String::from_utf8_lossy(&o.content)),
        EnvelopeKind::Sent => match EnvelopePlaintext::new(o.kind, &o.content).and_then(|p| {
            p.unnest(hush_wire::consts::KEY_LEN)
                .map(|(to, inner)| (to.to_vec(), inner))
        }) {
            Ok((to, inner)) if inner.kind == EnvelopeKind::Text => {
                let to = PublicKey::new(to.try_into().expect("32 bytes"))
                    .map(|k| name_of(&k))
                    .unwrap_or_else(|_| "?".into());
                format!(
                    "(you, to {to}) {}",
                    safe_text(&String::from_utf8_lossy(inner.content()))
                )
            }
            Ok((_, inner)) => format!(
                "(you) [{}, {} bytes]",
                inner.kind.name(),
                inner.content().len()
            ),
            Err(e) => format!("[a copy of a sent message that cannot be read: {e}]"),
        },
        other => media::describe(other, &o.content, &m.id, me)
            .or_else(|| status::describe(other, &o.content, m))
            .unwrap_or_else(|| format!("[{}, {} bytes]", other.name(), o.content.len())),
    };
    if o.author == m.sender {
        body
    } else {
        format!("{body}  (rewritten by {})", name_of(&o.author))
    }
}

/// Set by `--raw`: received text is printed as it is.
static RAW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// --quiet (or HUSH_QUIET): warnings and notes are not printed.
static QUIET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// A warning or note on standard error, unless --quiet.
fn warn(text: std::fmt::Arguments<'_>) {
    if !QUIET.get().copied().unwrap_or(false) {
        eprintln!("{text}");
    }
}

/// Text someone else wrote, safe for a terminal: control characters,
/// and the invisible characters that reorder or hide text (bidirectional
/// overrides, isolates and marks; zero-width spaces and joiners), shown
/// escaped (unless `--raw`): "invoice \u{202e}fdp.exe" must not read as
/// "invoice exe.pdf".
fn safe_text(s: &str) -> String {
    if RAW.get().copied().unwrap_or(false) {
        return s.to_owned();
    }
    s.chars()
        .flat_map(|c| {
            if c.is_control() || is_invisible_format(c) {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Invisible characters that reorder or hide text on a terminal.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'                      // Arabic letter mark
            | '\u{200b}'..='\u{200f}'   // zero-width space, joiners, LTR/RTL marks
            | '\u{202a}'..='\u{202e}'   // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'   // bidi isolates
            | '\u{feff}' // zero-width no-break space
    )
}

/// Environment variable scripts use to give a passphrase.
const PASSPHRASE_ENV: &str = "HUSH_PASSPHRASE";

/// The passphrase of a protected identity: HUSH_PASSPHRASE, else asked on
/// the terminal; None when neither is available.
fn ask_passphrase(name: &str) -> Option<Zeroizing<String>> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Some(Zeroizing::new(p));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return None;
    }
    rpassword::prompt_password(format!("passphrase for identity {name}: "))
        .ok()
        .map(Zeroizing::new)
}

/// A new passphrase: HUSH_PASSPHRASE, else asked twice on the terminal.
fn new_passphrase(name: &str) -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        anyhow::ensure!(!p.is_empty(), "{PASSPHRASE_ENV} is empty");
        return Ok(Zeroizing::new(p));
    }
    anyhow::ensure!(
        std::io::IsTerminal::is_terminal(&std::io::stdin()),
        "a passphrase is needed: run hush in a terminal to be asked, or set {PASSPHRASE_ENV}"
    );
    let first = Zeroizing::new(rpassword::prompt_password(format!(
        "new passphrase for identity {name}: "
    ))?);
    let again = Zeroizing::new(rpassword::prompt_password("the same passphrase again: ")?);
    anyhow::ensure!(
        *first == *again,
        "the two passphrases differ; nothing was changed"
    );
    anyhow::ensure!(!first.is_empty(), "an empty passphrase protects nothing");
    Ok(first)
}

fn humanize_time(secs: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(secs);
    format!("{} s ago", now.saturating_sub(secs))
}

fn parse_id(s: &str) -> Result<MessageId> {
    MessageId::from_hex(s)
        .with_context(|| format!("{s:?} is not a message id (32 hex digits, not all zero)"))
}

/// A not-found update or delete with no `--to` looked in your own
/// mailbox; as the sender you must name the recipient.
fn not_found_hint(e: hush_client::ClientError, no_to: bool) -> anyhow::Error {
    if no_to && e.status() == Some(hush_wire::Status::NotFound) {
        anyhow::anyhow!(
            "{e}\nhint: without --to this looks in your own mailbox; if you sent the message, name its recipient with --to"
        )
    } else {
        e.into()
    }
}

/// Writes `bytes` to stdout; a reader that stopped early (`| head`) is
/// not an error.
fn print_all(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

/// A text argument: itself, or standard input for `-` (UTF-8; a trailing
/// newline, as `echo` adds, is dropped).
fn text_arg(arg: &str) -> Result<String> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
        .context("reading the message from standard input")?;
    let mut text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "the message on standard input is not UTF-8 text; send binary data with --file PATH"
        )
    })?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn text_envelope(text: &str) -> Result<EnvelopePlaintext> {
    EnvelopePlaintext::new(EnvelopeKind::Text, text.as_bytes()).context("message too long")
}

/// A yes/no environment variable: 1, true, yes, on (any case) or 0, false,
/// no, off, empty; anything else is an error rather than a silent no.
fn env_flag(name: &str, value: Option<&str>) -> Result<bool> {
    let Some(value) = value else {
        return Ok(false);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => anyhow::bail!("{name}={value:?} is not 1, true, yes or on (nor 0, false, no or off)"),
    }
}

async fn run(cli: Cli, acting: Option<String>) -> Result<()> {
    let allow_dev = cli.allow_dev_attestation
        || env_flag(
            "HUSH_ALLOW_DEV_ATTESTATION",
            std::env::var("HUSH_ALLOW_DEV_ATTESTATION").ok().as_deref(),
        )?;
    let home = cli.home.clone().unwrap_or_else(Keystore::default_dir);
    let keys =
        Keystore::open(home.clone()).with_passphrase_source(std::sync::Arc::new(ask_passphrase));
    let ctx = Ctx {
        cli_server: cli.server.clone(),
        timeout: cli.timeout,
        deadline: std::cell::OnceCell::new(),
        tcp: cli.tcp.clone(),
        allow_dev,
        policy_file: cli.policy.clone(),
        json: cli.json,
        home: home.clone(),
        keys,
        contacts: Contacts::open(&home),
        accounts: LocalAccounts::open(&home),
        computations: hush_client::computations::LocalComputations::open(&home),
        groups: Groups::open(&home),
        names: std::cell::OnceCell::new(),
        scope: None,
    };
    let ctx = ctx.scoped(acting.as_deref())?;
    match cli.command {
        Command::Id(IdCommand::New { name, passphrase }) => {
            if ctx.contacts.load(&name).is_ok() {
                anyhow::bail!("{name:?} is already a contact's name; choose another identity name");
            }
            let id = if passphrase {
                ctx.keys.create_protected(&name, &new_passphrase(&name)?)?
            } else {
                ctx.keys.create(&name)?
            };
            if ctx.json {
                println!(
                    "{}",
                    json!({"name": id.name(), "public_key": id.public().to_hex()})
                );
            } else {
                println!(
                    "created identity {} with public key {}",
                    id.name(),
                    id.public()
                );
                println!("(kept in {})", ctx.keys.dir().display());
                println!("give people your card so they can write to you: hush id card {name}");
            }
        }
        Command::Id(IdCommand::List) => {
            let (ids, bad) = ctx.keys.list_public()?;
            for b in &bad {
                warn(format_args!(
                    "warning: skipping {}: {}",
                    b.path.display(),
                    b.reason
                ));
            }
            if ctx.json {
                let v: Vec<_> = ids
                    .iter()
                    .map(|i| {
                        json!({
                            "name": i.name,
                            "public_key": i.public.to_hex(),
                            "protected": i.protected,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else if ids.is_empty() {
                println!("no identities yet; create one with `hush id new NAME`");
            } else {
                for i in ids {
                    let lock = if i.protected { "  (passphrase)" } else { "" };
                    println!("{:<16} {}{lock}", i.name, i.public);
                }
            }
        }
        Command::Id(IdCommand::Protect { name }) => {
            let passphrase = new_passphrase(&name)?;
            ctx.keys.protect(&name, &passphrase)?;
            if ctx.json {
                println!("{}", json!({"name": name, "protected": true}));
            } else {
                println!("identity {name} is now protected by a passphrase");
            }
        }
        Command::Id(IdCommand::Unprotect { name }) => {
            ctx.keys.unprotect(&name)?;
            if ctx.json {
                println!("{}", json!({"name": name, "protected": false}));
            } else {
                println!("identity {name} is no longer protected by a passphrase");
            }
        }
        Command::Id(IdCommand::Show { name }) => {
            let i = ctx.keys.load(&name)?;
            if ctx.json {
                println!(
                    "{}",
                    json!({"name": i.name(), "public_key": i.public().to_hex()})
                );
            } else {
                println!("{}", i.public());
            }
        }
        Command::Id(IdCommand::Card { name }) => {
            let i = ctx.keys.load(&name)?;
            let card = e2e::card_for(&i);
            if ctx.json {
                println!(
                    "{}",
                    json!({
                        "name": i.name(),
                        "public_key": i.public().to_hex(),
                        "encryption_key": hex::encode(card.card().encryption_key),
                        "card": card.to_text(),
                    })
                );
            } else {
                println!("{}", card.to_text());
            }
        }
        Command::Contact(ContactCommand::Add {
            name,
            card,
            identifier,
            me,
            replace,
        }) => {
            let existing = ctx.contacts.load(&name).ok();
            if ctx.keys.load(&name).is_ok() {
                return Err(hush_client::identity::KeystoreError::NameIsIdentity(name).into());
            }
            // A username link in place of a card is a look-up.
            let (card, looked_up) = match card {
                Some(c) if c.trim().starts_with(username::LINK_PREFIX) => {
                    (None, Some(username::parse(&c)?))
                }
                c => (c, identifier.parse()?),
            };
            let card = match (card, looked_up) {
                (Some(_), Some(_)) => {
                    anyhow::bail!("give either a card or --email/--phone, not both")
                }
                (None, None) => anyhow::bail!(
                    "give their card (from `hush id card`), or --email ADDRESS, --phone +NUMBER or --username NICK.NN (or a hush-user: link) to look them up"
                ),
                (Some(card), None) => {
                    let card = VerifiedCard::from_text(&card)?;
                    if existing.is_some() && replace {
                        ctx.contacts.remove(&name)?;
                    }
                    ctx.contacts.add(&name, &card)?;
                    card
                }
                (None, Some(identifier)) => {
                    // With one identity in the home, it is the one.
                    let me = match me {
                        Some(me) => me,
                        None => {
                            let (ids, _) = ctx.keys.list_public()?;
                            match &ids[..] {
                                [only] => only.name.clone(),
                                [] => anyhow::bail!(
                                    "a look-up acts as one of your identities, and you have none: create one with `hush id new NAME`"
                                ),
                                _ => anyhow::bail!(
                                    "a look-up acts as one of your identities: add --as NAME (you have {})",
                                    ids.iter()
                                        .map(|i| i.name.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            }
                        }
                    };
                    let me = ctx.keys.load(&me)?;
                    let mut client = ctx.connect(&me).await?;
                    let account = client
                        .directory()
                        .lookup(me.public(), &identifier)
                        .await?
                        .with_context(|| {
                            format!("no user: nobody you may find has {identifier}")
                        })?;
                    match &existing {
                        None => ctx.contacts.add_account(&name, &account)?,
                        Some(_) if replace => {
                            ctx.contacts.remove(&name)?;
                            ctx.contacts.add_account(&name, &account)?
                        }
                        Some(_) => {
                            let known = ctx.contacts.account_identity(&name)?;
                            if known != account.identity {
                                let digits = |k: &PublicKey| {
                                    e2e::safety_number::grouped(&e2e::safety_number::safety_number(
                                        &me.public(),
                                        k,
                                    ))
                                };
                                anyhow::bail!(
                                    "{name}'s identity key changed: {identifier} now belongs to {} (it was {known}).\n\
                                     safety number before: {}\n\
                                     safety number now:    {}\n\
                                     Nothing was changed. Compare the new number with {name} in person or by another channel you trust; \
                                     if it matches, accept it with --replace.",
                                    account.identity,
                                    digits(&known),
                                    digits(&account.identity)
                                );
                            }
                            ctx.contacts.set_devices(&name, &account)?;
                            if !ctx.json {
                                println!(
                                    "{name} is a contact already; its devices were refreshed ({})",
                                    account.devices.len()
                                );
                            }
                            return Ok(());
                        }
                    }
                    ctx.contacts.load(&name)?.card
                }
            };
            if ctx.json {
                println!(
                    "{}",
                    json!({"name": name, "public_key": card.signing_key().to_hex()})
                );
            } else {
                println!("added contact {name} ({})", card.signing_key());
            }
            if ctx.scope.is_none() {
                warn(format_args!(
                    "note: added to the contacts every identity here shares; --as NAME keeps a contact to one identity"
                ));
            }
        }
        Command::Contact(ContactCommand::List { .. }) => {
            let (good, bad) = ctx.contacts.list()?;
            for b in &bad {
                warn(format_args!(
                    "warning: skipping {}: {}",
                    b.path.display(),
                    b.reason
                ));
            }
            if ctx.json {
                let v: Vec<_> = good
                    .iter()
                    .map(|c| {
                        json!({
                            "name": c.name,
                            "public_key": c.card.signing_key().to_hex(),
                            "card": c.card.to_text(),
                            "shared": c.shared,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else if good.is_empty() {
                println!("no contacts yet; add one with `hush contact add NAME CARD`");
            } else {
                for c in good {
                    let shared = if c.shared && ctx.scope.is_some() {
                        "  (shared)"
                    } else {
                        ""
                    };
                    println!(
                        "{:<16} {}{shared}",
                        safe_text(&c.name),
                        c.card.signing_key()
                    );
                }
            }
        }
        Command::Contact(ContactCommand::Remove { name, .. }) => {
            ctx.contacts.remove(&name)?;
            if ctx.json {
                println!("{}", json!({"removed": name}));
            } else {
                println!("removed contact {name}");
            }
        }
        Command::Send {
            sender,
            to,
            id,
            text,
            file,
            location,
        } => {
            let me = ctx.keys.load(&sender)?;
            let card = ctx.card_of(&to)?;
            let recipient = card.signing_key();
            let retry = id.is_some();
            let id = match id {
                Some(s) => parse_id(&s)?,
                None => hush_client::new_message_id(),
            };
            let mut client = ctx.connect(&me).await?;
            let plaintext = match (&text, &file, &location) {
                (_, Some(_), Some(_)) => anyhow::bail!("give --file or --location, not both"),
                (_, None, Some(at)) => media::location(at, text.as_deref())?,
                (None, Some(path), None) => media::attach(&mut client, me.public(), path).await?,
                (Some(_), Some(_), _) => anyhow::bail!("give a text or --file, not both"),
                (Some(t), None, None) => text_envelope(&text_arg(t)?)?,
                (None, None, None) => {
                    anyhow::bail!("nothing to send: give a text, --file PATH or --location LAT,LON")
                }
            };
            let targets = ctx.current_devices(&me, &mut client, &to, &card).await?;
            let mine = ctx.my_other_devices(&me, &mut client).await?;
            if targets.len() == 1 && mine.is_empty() {
                // One device on each side: one create, as before accounts.
                // Re-sending with the same --id is the safe retry: if the
                // first attempt landed, the broker keeps it.
                let already = match client.send(&me, &card, id, &plaintext).await {
                    Ok(()) => false,
                    Err(e) if retry && e.status() == Some(hush_wire::Status::AlreadyExists) => true,
                    // No answer: it may have been stored. The same id makes
                    // a retry safe (a new one could store it twice).
                    Err(
                        e @ (hush_client::ClientError::TimedOut { .. }
                        | hush_client::ClientError::NoServer(_)
                        | hush_client::ClientError::NoLeader { .. }
                        | hush_client::ClientError::Unreachable { .. }),
                    ) => {
                        return Err(anyhow::anyhow!(
                            "{e}\nthe message may have been stored; retry with the same id, which cannot store it twice: --id {}",
                            id.to_hex()
                        ));
                    }
                    Err(e) => return Err(e.into()),
                };
                if ctx.json {
                    println!(
                        "{}",
                        json!({"id": id.to_hex(), "to": recipient.to_hex(), "already_stored": already, "devices": 1})
                    );
                } else if already {
                    println!(
                        "{id} was already stored for {to}: nothing new sent (a retry with the same --id is safe)"
                    );
                } else {
                    println!("sent {id} to {to}");
                }
                return Ok(());
            }
            // A copy for each of the sender's other devices (if any) nests
            // the text with its recipient: 33 bytes less room.
            let sync = if mine.is_empty() {
                plaintext.clone()
            } else {
                EnvelopePlaintext::nest(EnvelopeKind::Sent, recipient.as_bytes(), &plaintext)
                    .context(
                        "too long to copy to your other devices (a text of at most 754 bytes when you have other devices)",
                    )?
            };
            let mut copies: Vec<Copy> = targets
                .iter()
                .map(|c| Copy {
                    to: c,
                    plaintext: plaintext.clone(),
                })
                .collect();
            copies.extend(mine.iter().map(|c| Copy {
                to: c,
                plaintext: sync.clone(),
            }));
            let fan = client.send_copies(&me, id, &copies).await?;
            let delivered = fan
                .outcomes
                .iter()
                .filter(|(_, r)| {
                    r.is_ok() || (retry && matches!(r, Err(e) if e.status() == Some(hush_wire::Status::AlreadyExists)))
                })
                .count();
            let failed: Vec<String> = fan
                .outcomes
                .iter()
                .filter_map(|(k, r)| match r {
                    Err(e) if !(retry && e.status() == Some(hush_wire::Status::AlreadyExists)) => {
                        Some(format!("{}: {e}", ctx.name_of(k)))
                    }
                    _ => None,
                })
                .collect();
            if ctx.json {
                println!(
                    "{}",
                    json!({
                        "id": id.to_hex(),
                        "to": recipient.to_hex(),
                        "devices": targets.len(),
                        "own_devices": mine.len(),
                        "delivered": delivered,
                        "requests": fan.requests,
                        "failed": failed,
                    })
                );
            } else {
                println!(
                    "sent {id} to {to} ({} device(s)) and {} other device(s) of yours",
                    targets.len(),
                    mine.len()
                );
            }
            if !failed.is_empty() {
                anyhow::bail!(
                    "{} of {} copies were not stored: {}",
                    failed.len(),
                    copies.len(),
                    failed.join("; ")
                );
            }
        }
        Command::Typing { me, to } => status::typing(&ctx, &me, &to).await?,
        Command::Inbox { owner, no_receipts } => {
            let me = ctx.keys.load(&owner)?;
            let mut client = ctx.connect(&me).await?;
            // Always one list and 62 reads, however many messages there are.
            let mut messages = client.inbox(me.public()).await?;
            // The same message (by id) is shown once, whoever sent it twice.
            let mut seen = std::collections::HashSet::new();
            messages.retain(|m| seen.insert(m.id));
            if ctx.json {
                // One array, like `id list --json`: [] when empty.
                let v: Vec<_> = messages
                    .iter()
                    .map(|m| ctx.message_json(&me, m, &e2e::open(&me, m)))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                println!("{} message(s) for {}", messages.len(), me.name());
                for message in &messages {
                    ctx.print_message(&me, message);
                }
            }
            if !status::receipts_off(no_receipts) {
                let opened: Vec<_> = messages
                    .into_iter()
                    .map(|m| {
                        let o = e2e::open(&me, &m).ok();
                        (m, o)
                    })
                    .collect();
                ctx.send_receipts(&me, &mut client, &opened).await?;
            }
        }
        Command::Read {
            owner,
            id,
            no_receipts,
        } => {
            let me = ctx.keys.load(&owner)?;
            let mut client = ctx.connect(&me).await?;
            let read = match id {
                Some(s) => Some(client.read(me.public(), parse_id(&s)?).await?),
                None => client.read_next(me.public()).await?,
            };
            let opened = match read {
                Some(Read { message, .. }) => {
                    ctx.print_message(&me, &message);
                    match e2e::open(&me, &message) {
                        Err(e) => anyhow::bail!(
                            "message {} could not be opened (it is still in your mailbox): {e}",
                            message.id
                        ),
                        Ok(o) => vec![(message, Some(o))],
                    }
                }
                None if ctx.json => {
                    println!("null");
                    vec![]
                }
                None => {
                    println!("no messages");
                    vec![]
                }
            };
            if !status::receipts_off(no_receipts) {
                ctx.send_receipts(&me, &mut client, &opened).await?;
            }
        }
        Command::Update {
            actor,
            to,
            id,
            text,
        } => {
            let me = ctx.keys.load(&actor)?;
            let card = match &to {
                Some(t) => ctx.card_of(t)?,
                None => e2e::card_for(&me),
            };
            let recipient = card.signing_key();
            let id = parse_id(&id)?;
            let plaintext = text_envelope(&text_arg(&text)?)?;
            let mut client = ctx.connect(&me).await?;
            // Always two requests, a read then the update, whoever you are
            // and whatever is found. The read tells a recipient the original
            // sender, which the new envelope is bound to; for a sender it
            // finds nothing in its own mailbox.
            let original = match client.read(me.public(), id).await {
                Ok(r) => Some(r.message),
                Err(e) if e.status().is_some() => None,
                Err(e) => return Err(e.into()),
            };
            let sender = match original {
                Some(m) if recipient == me.public() => m.sender,
                _ => me.public(),
            };
            let payload = e2e::seal(&me, &card, &id, &sender, &plaintext)?;
            let m = client
                .update(me.public(), id, recipient, payload)
                .await
                .map_err(|e| not_found_hint(e, to.is_none()))?;
            if ctx.json && recipient == me.public() {
                ctx.print_message(&me, &m);
            } else if ctx.json {
                // Sealed for the recipient: the sender cannot open it, but
                // knows what it wrote.
                let mut v = ctx.header_json(&m);
                v["kind"] = json!(EnvelopeKind::Text.name());
                v["text"] = json!(text);
                println!("{v}");
            } else {
                println!("updated {id}");
            }
        }
        Command::Account(cmd) => account::account(&ctx, cmd).await?,
        Command::Username(cmd) => username::username(&ctx, cmd).await?,
        Command::Tokens(cmd) => tokens::tokens(&ctx, cmd).await?,
        Command::Block { me, contact } => policy::block(&ctx, &me, &contact, true).await?,
        Command::Unblock { me, contact } => policy::block(&ctx, &me, &contact, false).await?,
        Command::Policy {
            me,
            accept_from_anyone,
        } => policy::policy(&ctx, &me, accept_from_anyone).await?,
        Command::Device(cmd) => account::device(&ctx, cmd).await?,
        Command::Download { me, id, out, force } => {
            let me = ctx.keys.load(&me)?;
            media::download(&ctx, &me, &id, out, force).await?
        }
        Command::Group(cmd) => group::group(&ctx, cmd).await?,
        Command::Calc(cmd) => calc::calc(&ctx, cmd).await?,
        Command::Match(cmd) => calc::matching(&ctx, cmd).await?,
        Command::Server(cmd) => server::server(&ctx, cmd).await?,
        Command::Evidence(cmd) => evidence::evidence(&ctx, cmd)?,
        Command::Completions { shell } => {
            // Into a buffer: clap_complete panics on a closed pipe.
            let mut buf = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "hush",
                &mut buf,
            );
            print_all(&buf)?;
        }
        Command::Man { command, out_dir } => {
            let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
            // Gives subcommands their page names (hush-send, ...).
            cmd.build();
            if let Some(dir) = out_dir {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                clap_mangen::generate_to(cmd, &dir)
                    .with_context(|| format!("writing the manual pages into {}", dir.display()))?;
                println!("manual pages written to {}", dir.display());
                return Ok(());
            }
            let mut page = cmd;
            for name in &command {
                page = page.find_subcommand(name).cloned().with_context(|| {
                    format!(
                        "no command `{}` (see `hush --help`)",
                        [&["hush".to_owned()][..], &command[..]].concat().join(" ")
                    )
                })?;
            }
            let mut buf = Vec::new();
            clap_mangen::Man::new(page)
                .render(&mut buf)
                .context("rendering the manual page")?;
            print_all(&buf)?;
        }
        Command::SafetyNumber { me, contact } => {
            let info = ctx
                .keys
                .list_public()?
                .0
                .into_iter()
                .find(|i| i.name == me)
                .ok_or_else(|| hush_client::identity::KeystoreError::Missing(me.clone()))?;
            let theirs = ctx.card_of(&contact)?.signing_key();
            let number = e2e::safety_number::safety_number(&info.public, &theirs);
            if ctx.json {
                println!(
                    "{}",
                    json!({"me": me, "contact": contact, "safety_number": number})
                );
            } else {
                println!("{}", e2e::safety_number::grouped(&number));
                println!("(the same on both sides if you hold each other's real keys)");
            }
        }
        Command::Delete { actor, to, id } => {
            let me = ctx.keys.load(&actor)?;
            let recipient = ctx.recipient_key(&me, to.as_deref())?;
            let id = parse_id(&id)?;
            let mut client = ctx.connect(&me).await?;
            client
                .delete(me.public(), id, recipient)
                .await
                .map_err(|e| not_found_hint(e, to.is_none()))?;
            if ctx.json {
                println!("{}", json!({"deleted": id.to_hex()}));
            } else {
                println!("deleted {id}");
            }
        }
    }
    Ok(())
}

fn main() {
    let command = <Cli as clap::CommandFactory>::command();
    let matches = command.clone().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let acting = acting_as(&command, &matches);
    let _ = RAW.set(cli.raw);
    let quiet = match env_flag("HUSH_QUIET", std::env::var("HUSH_QUIET").ok().as_deref()) {
        Ok(q) => cli.quiet || q,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(exit::OTHER);
        }
    };
    let _ = QUIET.set(quiet);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let json = cli.json;
    if let Err(e) = runtime.block_on(run(cli, acting)) {
        if json {
            // Scripts asked for JSON: errors too, on stderr.
            eprintln!("{}", json!({"error": error_line(&e)}));
        } else {
            eprintln!("error: {}", error_line(&e));
        }
        std::process::exit(exit_code(&e));
    }
}

/// An error and its causes on one line, each cause once: a library error
/// that already quotes its source (`attestation rejected: X`, with X as its
/// source) is not followed by X again.
fn error_line(e: &anyhow::Error) -> String {
    let mut shown = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if shown.is_empty() {
            shown = text;
        } else if !shown.contains(&text) {
            shown.push_str(": ");
            shown.push_str(&text);
        }
    }
    shown
}

/// Exit codes, by what went wrong (README, "Exit codes"): scripts can tell
/// a refusal by the server from a server they could not reach, or from an
/// attestation they must not trust. 2 is clap's, for a bad command line.
mod exit {
    /// Anything else: bad input, a local file, an identity or contact.
    pub const OTHER: i32 = 1;
    /// The server's attestation was refused, or it returned data that does
    /// not verify (a tampered directory record): do not retry blindly.
    pub const ATTESTATION: i32 = 3;
    /// No server could be reached or take the request in time: retry later.
    pub const UNREACHABLE: i32 = 4;
    /// The server answered and refused the request (not found, mailbox
    /// full, key proof refused, ...): retrying the same request will not help.
    pub const REFUSED: i32 = 5;
}

/// A client error with a hint for the user after it (its type is kept, for
/// the exit code).
#[derive(Debug)]
struct Hinted {
    error: hush_client::ClientError,
    hint: &'static str,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.error, self.hint)
    }
}

// No `source`: the error is shown once, with its hint.
impl std::error::Error for Hinted {}

fn exit_code(e: &anyhow::Error) -> i32 {
    use hush_client::ClientError as E;
    let found = e.chain().find_map(|c| {
        c.downcast_ref::<E>()
            .or_else(|| c.downcast_ref::<Hinted>().map(|h| &h.error))
    });
    let Some(client) = found else {
        return exit::OTHER;
    };
    match client {
        E::Attestation(_) | E::BadDevice(_) => exit::ATTESTATION,
        E::Unreachable { .. }
        | E::NoLeader { .. }
        | E::TimedOut { .. }
        | E::NoServer(_)
        | E::OtherCluster { .. }
        | E::SessionLost => exit::UNREACHABLE,
        E::Status(_) | E::KeyProof(_) | E::Rendezvous(_) | E::Directory(_) | E::Rpc(_) => {
            exit::REFUSED
        }
        _ => exit::OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::env_flag;

    #[test]
    fn text_that_would_reorder_or_hide_itself_is_escaped() {
        let shown = super::safe_text("invoice \u{202e}fdp.exe and a\u{200b}b");
        assert_eq!(shown, "invoice \\u{202e}fdp.exe and a\\u{200b}b");
        // Ordinary text in any script is left alone.
        assert_eq!(super::safe_text("héllo שלום 你好"), "héllo שלום 你好");
    }

    #[test]
    fn an_error_quoting_its_source_is_shown_once() {
        let wire =
            hush_wire::WireError::InvalidRequest("the quorum is 1 to the number of participants");
        let e = anyhow::Error::new(hush_client::ClientError::from(wire));
        assert_eq!(
            super::error_line(&e),
            "the quorum is 1 to the number of participants"
        );
        // Context that adds something is kept, in order.
        let e = e.context("creating s");
        assert_eq!(
            super::error_line(&e),
            "creating s: the quorum is 1 to the number of participants"
        );
    }

    #[test]
    fn the_acting_identity_is_found_whatever_its_field() {
        use clap::CommandFactory;
        let command = super::Cli::command();
        let acting = |args: &[&str]| {
            let m = command.clone().try_get_matches_from(args).unwrap();
            super::acting_as(&command, &m)
        };
        assert_eq!(
            acting(&["hush", "inbox", "--as", "a"]).as_deref(),
            Some("a")
        );
        assert_eq!(
            acting(&["hush", "send", "--as", "b", "--to", "x", "hi"]).as_deref(),
            Some("b")
        );
        assert_eq!(
            acting(&["hush", "group", "list", "--as", "c"]).as_deref(),
            Some("c")
        );
        assert_eq!(acting(&["hush", "contact", "list"]), None);
    }

    #[test]
    fn yes_and_no_flags_take_the_usual_spellings_and_refuse_others() {
        for yes in ["1", "true", "TRUE", "yes", "Yes", "on"] {
            assert!(env_flag("X", Some(yes)).unwrap(), "{yes}");
        }
        for no in ["0", "false", "no", "off", ""] {
            assert!(!env_flag("X", Some(no)).unwrap(), "{no}");
        }
        assert!(!env_flag("X", None).unwrap());
        let err = env_flag("X", Some("maybe")).unwrap_err().to_string();
        assert!(err.contains("X=\"maybe\""), "{err}");
    }
}
