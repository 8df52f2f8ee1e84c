//! `hush`: the command-line client of the hush oblivious message broker.
//!
//! Named identities live in `$HUSH_HOME` (default `~/.config/hush`);
//! `--as` picks the identity to act as, `--to` takes an identity name or a
//! public key in hex.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hush_attest::Policy;
use hush_client::{Client, Identity, Keystore, Read};
use hush_wire::{Message, MessageId, Payload, PublicKey};
use serde_json::json;

/// Default server: where a plain `hushd` listens.
const DEFAULT_SERVER: &str = "http://127.0.0.1:7878";

#[derive(Parser)]
#[command(
    name = "hush",
    version,
    about = "Client of the hush oblivious message broker"
)]
struct Cli {
    /// Broker address.
    #[arg(long, global = true, env = "HUSH_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    /// Accept the server's dev attestation (local development only: it
    /// proves nothing about the server). Also HUSH_ALLOW_DEV_ATTESTATION=1.
    #[arg(long, global = true)]
    allow_dev_attestation: bool,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
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
    /// Send a message.
    Send {
        /// Identity to send as.
        #[arg(long = "as")]
        sender: String,
        /// Recipient: an identity name or a public key (hex).
        #[arg(long)]
        to: String,
        /// Message id (32 hex digits) [default: random]. Reuse it to retry safely.
        #[arg(long)]
        id: Option<String>,
        /// The text (at most 934 bytes).
        text: String,
    },
    /// List your mailbox and show every message in it, oldest first.
    Inbox {
        /// Identity whose mailbox to read.
        #[arg(long = "as")]
        owner: String,
    },
    /// Read one message (the oldest if no id is given).
    Read {
        /// Identity whose mailbox to read.
        #[arg(long = "as")]
        owner: String,
        /// Message id (hex).
        id: Option<String>,
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
        /// New text.
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
}

#[derive(Subcommand)]
enum IdCommand {
    /// Create a new identity.
    New {
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
}

struct Ctx {
    cli_server: String,
    allow_dev: bool,
    json: bool,
    keys: Keystore,
}

impl Ctx {
    fn policy(&self) -> Policy {
        if self.allow_dev {
            eprintln!(
                "warning: accepting DEV attestation: the server's code and secrecy are NOT verified (local development only)"
            );
            Policy::dev()
        } else {
            Policy::default()
        }
    }

    async fn connect(&self, id: &Identity) -> Result<Client> {
        Client::connect(&self.cli_server, self.policy(), vec![id.keypair()]).await.map_err(|e| {
            let hint = if matches!(e, hush_client::ClientError::Attestation(_)) && !self.allow_dev {
                "\nhint: a local hushd uses dev attestation; pass --allow-dev-attestation (or HUSH_ALLOW_DEV_ATTESTATION=1) to accept it"
            } else {
                ""
            };
            anyhow::anyhow!("{e}{hint}")
        })
    }

    fn name_of(&self, key: &PublicKey) -> String {
        self.keys
            .list()
            .ok()
            .and_then(|ids| {
                ids.into_iter()
                    .find(|i| i.public() == *key)
                    .map(|i| i.name().to_owned())
            })
            .unwrap_or_else(|| key.to_hex())
    }

    fn print_message(&self, m: &Message) {
        let text = m
            .payload
            .unframe()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        if self.json {
            println!(
                "{}",
                json!({
                    "id": m.id.to_hex(),
                    "from": m.sender.to_hex(),
                    "from_name": self.name_of(&m.sender),
                    "to": m.recipient.to_hex(),
                    "timestamp": m.timestamp.0,
                    "text": text.as_ref().ok(),
                })
            );
        } else {
            let when = humanize_time(m.timestamp.0);
            let body = text.unwrap_or_else(|_| "<payload is not framed text>".into());
            println!(
                "{}  from {}  at {when}\n  {body}",
                m.id,
                self.name_of(&m.sender)
            );
        }
    }
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

fn payload(text: &str) -> Result<Payload> {
    Payload::frame(text.as_bytes()).context("message too long")
}

async fn run(cli: Cli) -> Result<()> {
    let allow_dev = cli.allow_dev_attestation
        || std::env::var("HUSH_ALLOW_DEV_ATTESTATION")
            .is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let keys = Keystore::open(cli.home.clone().unwrap_or_else(Keystore::default_dir));
    let ctx = Ctx {
        cli_server: cli.server.clone(),
        allow_dev,
        json: cli.json,
        keys,
    };
    match cli.command {
        Command::Id(IdCommand::New { name }) => {
            let id = ctx.keys.create(&name)?;
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
            }
        }
        Command::Id(IdCommand::List) => {
            let ids = ctx.keys.list()?;
            if ctx.json {
                let v: Vec<_> = ids
                    .iter()
                    .map(|i| json!({"name": i.name(), "public_key": i.public().to_hex()}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else if ids.is_empty() {
                println!("no identities yet; create one with `hush id new NAME`");
            } else {
                for i in ids {
                    println!("{:<16} {}", i.name(), i.public());
                }
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
        Command::Send {
            sender,
            to,
            id,
            text,
        } => {
            let me = ctx.keys.load(&sender)?;
            let recipient = ctx.keys.resolve(&to)?;
            let id = match id {
                Some(s) => parse_id(&s)?,
                None => hush_client::new_message_id(),
            };
            let payload = payload(&text)?;
            let mut client = ctx.connect(&me).await?;
            client.create(me.public(), id, recipient, payload).await?;
            if ctx.json {
                println!("{}", json!({"id": id.to_hex(), "to": recipient.to_hex()}));
            } else {
                println!("sent {id} to {to}");
            }
        }
        Command::Inbox { owner } => {
            let me = ctx.keys.load(&owner)?;
            let mut client = ctx.connect(&me).await?;
            let listing = client.list(me.public()).await?;
            if !ctx.json {
                println!("{} message(s) for {}", listing.ids().len(), me.name());
            }
            for id in listing.ids() {
                match client.read(me.public(), *id).await {
                    Ok(Read { message, .. }) => ctx.print_message(&message),
                    // Deleted or expired between the listing and the read.
                    Err(e) if e.status() == Some(hush_wire::Status::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Command::Read { owner, id } => {
            let me = ctx.keys.load(&owner)?;
            let mut client = ctx.connect(&me).await?;
            let read = match id {
                Some(s) => Some(client.read(me.public(), parse_id(&s)?).await?),
                None => client.read_next(me.public()).await?,
            };
            match read {
                Some(r) => ctx.print_message(&r.message),
                None if ctx.json => println!("null"),
                None => println!("no messages"),
            }
        }
        Command::Update {
            actor,
            to,
            id,
            text,
        } => {
            let me = ctx.keys.load(&actor)?;
            let recipient = match to {
                Some(t) => ctx.keys.resolve(&t)?,
                None => me.public(),
            };
            let id = parse_id(&id)?;
            let payload = payload(&text)?;
            let mut client = ctx.connect(&me).await?;
            let m = client.update(me.public(), id, recipient, payload).await?;
            if ctx.json {
                ctx.print_message(&m);
            } else {
                println!("updated {id}");
            }
        }
        Command::Delete { actor, to, id } => {
            let me = ctx.keys.load(&actor)?;
            let recipient = match to {
                Some(t) => ctx.keys.resolve(&t)?,
                None => me.public(),
            };
            let id = parse_id(&id)?;
            let mut client = ctx.connect(&me).await?;
            client.delete(me.public(), id, recipient).await?;
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
    let cli = Cli::parse();
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
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
