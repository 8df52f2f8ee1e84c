//! `hush calc ...` and `hush match ...`: computations in the rendezvous
//! service. A computation is named by the name its convener gave it here,
//! or by its id (printed at create; give it to the participants).
//! `$HUSH_HOME/computations.json` remembers the names and ids this machine
//! created or used.

use crate::Ctx;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use hush_client::Identity;
use hush_wire::PublicKey;
use hush_wire::rendezvous::{
    ComputationId, ComputationType, MatchKey, MatchMessage, RendezvousResponse, Submission,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// What an average/min/max computation computes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CalcType {
    /// The average of the numbers.
    Average,
    /// Who submitted the lowest number.
    Min,
    /// Who submitted the highest number.
    Max,
}

#[derive(Subcommand)]
pub enum CalcCommand {
    /// Create a computation (you are its convener).
    Create {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// Its name here.
        calc: String,
        /// What it computes.
        #[arg(long = "type")]
        kind: CalcType,
        /// Who takes part: identities, contacts or public keys, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        participants: Vec<String>,
        /// Submissions needed before a result.
        #[arg(long)]
        quorum: u8,
    },
    /// Submit your number (replaceable until the result is released).
    Submit {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// The computation: its name here, or its id.
        calc: String,
        /// The number (an integer).
        #[arg(allow_hyphen_values = true)]
        value: i64,
    },
    /// The result, once a quorum submitted (the first one locks it).
    Result {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// The computation.
        calc: String,
    },
    /// The computations this machine knows for an identity.
    List {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
    },
    /// Close a computation to submissions (convener only).
    Close {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// The computation.
        calc: String,
    },
}

#[derive(Subcommand)]
pub enum MatchCommand {
    /// Create a key-matching computation (you are its convener).
    Create {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// Its name here.
        calc: String,
        /// Who takes part, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        participants: Vec<String>,
        /// How many must submit the same key before its messages are released.
        #[arg(long)]
        quorum: u8,
    },
    /// Submit a key and a short message.
    Submit {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// The computation.
        calc: String,
        /// The key (1 to 32 bytes).
        key: String,
        /// The message (at most 95 bytes).
        message: String,
    },
    /// The messages of everyone who submitted your key, once a quorum did.
    Results {
        /// Your identity.
        #[arg(long = "as")]
        me: String,
        /// The computation.
        calc: String,
    },
}

/// What this machine remembers of a computation.
#[derive(Serialize, Deserialize, Clone)]
struct Known {
    id: String,
    kind: String,
    identity: String,
}

type Book = BTreeMap<String, Known>;

impl Ctx {
    fn book_path(&self) -> std::path::PathBuf {
        self.home.join("computations.json")
    }

    fn book(&self) -> Book {
        std::fs::read_to_string(self.book_path())
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn remember(&self, name: &str, known: Known) -> Result<()> {
        let mut book = self.book();
        book.insert(name.to_owned(), known);
        std::fs::create_dir_all(&self.home)?;
        std::fs::write(self.book_path(), serde_json::to_string_pretty(&book)?)
            .with_context(|| format!("cannot write {}", self.book_path().display()))
    }

    /// A computation by its name here or its id.
    fn calc_id(&self, calc: &str) -> Result<ComputationId> {
        if let Some(k) = self.book().get(calc) {
            return ComputationId::from_hex(&k.id).context("damaged computations.json");
        }
        ComputationId::from_hex(calc).with_context(|| {
            format!("{calc:?} is neither a computation known here (hush calc list) nor an id (32 hex digits)")
        })
    }

    /// A computation's name here, else what the user typed.
    fn calc_name(&self, id: &ComputationId, typed: &str) -> String {
        self.book()
            .into_iter()
            .find(|(_, k)| k.id == id.to_hex())
            .map(|(n, _)| n)
            .unwrap_or_else(|| typed.to_owned())
    }

    /// The key a participant acts as: one of your identities, a contact's
    /// identity, or a public key.
    fn participant_key(&self, who: &str) -> Result<PublicKey> {
        if let Ok(id) = self.keys.load(who) {
            return Ok(id.public());
        }
        if self.contacts.load(who).is_ok() {
            return Ok(self.contacts.account_identity(who)?);
        }
        PublicKey::from_hex(who)
            .with_context(|| format!("{who:?} is not an identity, a contact or a public key"))
    }

    async fn create_computation(
        &self,
        me: &Identity,
        name: &str,
        kind: ComputationType,
        participants: &[String],
        quorum: u8,
    ) -> Result<()> {
        if self.book().contains_key(name) {
            bail!("a computation named {name} is known here already; choose another name");
        }
        let keys = participants
            .iter()
            .map(|p| self.participant_key(p))
            .collect::<Result<Vec<_>>>()?;
        let mut client = self.connect(me).await?;
        let id = client
            .rendezvous()
            .create(me.public(), name, kind, keys, quorum, None)
            .await?;
        self.remember(
            name,
            Known {
                id: id.to_hex(),
                kind: kind.name().into(),
                identity: me.name().into(),
            },
        )?;
        if self.json {
            println!(
                "{}",
                json!({"name": name, "id": id.to_hex(), "type": kind.name()})
            );
        } else {
            println!("created {name} ({}), id {}", kind.name(), id.to_hex());
            println!("give the participants its id; they use it where this machine uses {name}");
        }
        Ok(())
    }

    async fn submit_to(&self, me: &Identity, calc: &str, submission: Submission) -> Result<()> {
        let id = self.calc_id(calc)?;
        let mut client = self.connect(me).await?;
        let r = client
            .rendezvous()
            .submit(me.public(), id, submission)
            .await?;
        if !self.book().values().any(|k| k.id == id.to_hex()) {
            // Known here from now on by the end of its id (the start is
            // the enclave's epoch, the same for every computation).
            let hex = id.to_hex();
            self.remember(
                &hex[hex.len() - 8..],
                Known {
                    id: id.to_hex(),
                    kind: r.kind.map_or("?", |k| k.name()).into(),
                    identity: me.name().into(),
                },
            )?;
        }
        if self.json {
            println!(
                "{}",
                json!({"submitted": id.to_hex(), "submissions": r.submissions})
            );
        } else {
            println!(
                "submitted to {} ({} of a quorum of {} so far)",
                self.calc_name(&id, calc),
                r.submissions,
                r.quorum
            );
        }
        Ok(())
    }

    async fn result_of(&self, me: &Identity, calc: &str) -> Result<RendezvousResponse> {
        let id = self.calc_id(calc)?;
        let mut client = self.connect(me).await?;
        Ok(client.rendezvous().result(me.public(), id).await?)
    }
}

pub async fn calc(ctx: &Ctx, cmd: CalcCommand) -> Result<()> {
    match cmd {
        CalcCommand::Create {
            me,
            calc,
            kind,
            participants,
            quorum,
        } => {
            let kind = match kind {
                CalcType::Average => ComputationType::Average,
                CalcType::Min => ComputationType::Minimum,
                CalcType::Max => ComputationType::Maximum,
            };
            let me = ctx.keys.load(&me)?;
            ctx.create_computation(&me, &calc, kind, &participants, quorum)
                .await
        }
        CalcCommand::Submit { me, calc, value } => {
            let me = ctx.keys.load(&me)?;
            ctx.submit_to(&me, &calc, Submission::Number(value)).await
        }
        CalcCommand::Result { me, calc } => {
            let me = ctx.keys.load(&me)?;
            let r = ctx.result_of(&me, &calc).await?;
            let kind = r.kind.context("the answer names no type")?;
            let who = r.identity.map(|k| ctx.name_of(&k));
            if ctx.json {
                println!(
                    "{}",
                    json!({"type": kind.name(), "average": (kind == ComputationType::Average).then_some(r.value),
                           "identity": r.identity.map(|k| k.to_hex()), "name": who, "submissions": r.submissions})
                );
            } else if kind == ComputationType::Average {
                println!("average of {} submissions: {}", r.submissions, r.value);
            } else {
                println!(
                    "{} of {} submissions: {}",
                    if kind == ComputationType::Minimum {
                        "lowest"
                    } else {
                        "highest"
                    },
                    r.submissions,
                    who.unwrap_or_default()
                );
            }
            Ok(())
        }
        CalcCommand::List { me } => {
            let book: Vec<_> = ctx
                .book()
                .into_iter()
                .filter(|(_, k)| k.identity == me)
                .collect();
            if ctx.json {
                let v: Vec<_> = book
                    .iter()
                    .map(|(n, k)| json!({"name": n, "id": k.id, "type": k.kind}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else if book.is_empty() {
                println!("no computations known here for {me}");
            } else {
                for (n, k) in book {
                    println!("{n:<16} {:<8} {}", k.kind, k.id);
                }
            }
            Ok(())
        }
        CalcCommand::Close { me, calc } => {
            let me = ctx.keys.load(&me)?;
            let id = ctx.calc_id(&calc)?;
            let mut client = ctx.connect(&me).await?;
            client.rendezvous().close(me.public(), id).await?;
            if ctx.json {
                println!("{}", json!({"closed": id.to_hex()}));
            } else {
                println!("closed {calc}");
            }
            Ok(())
        }
    }
}

pub async fn matching(ctx: &Ctx, cmd: MatchCommand) -> Result<()> {
    match cmd {
        MatchCommand::Create {
            me,
            calc,
            participants,
            quorum,
        } => {
            let me = ctx.keys.load(&me)?;
            ctx.create_computation(&me, &calc, ComputationType::KeyMatch, &participants, quorum)
                .await
        }
        MatchCommand::Submit {
            me,
            calc,
            key,
            message,
        } => {
            let me = ctx.keys.load(&me)?;
            let submission = Submission::Match {
                key: MatchKey::new(&key)?,
                message: MatchMessage::new(message.as_bytes())?,
            };
            ctx.submit_to(&me, &calc, submission).await
        }
        MatchCommand::Results { me, calc } => {
            let me = ctx.keys.load(&me)?;
            let r = ctx.result_of(&me, &calc).await?;
            if ctx.json {
                let v: Vec<_> = r
                    .matches
                    .iter()
                    .map(|(k, m)| {
                        json!({"participant": k.to_hex(), "name": ctx.name_of(k),
                                         "message": String::from_utf8_lossy(m.as_bytes())})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for (k, m) in &r.matches {
                    println!(
                        "{:<16} {}",
                        ctx.name_of(k),
                        crate::safe_text(&String::from_utf8_lossy(m.as_bytes()))
                    );
                }
            }
            Ok(())
        }
    }
}
