//! `hush calc ...` and `hush match ...`: computations in the rendezvous
//! service. A computation is named by its id (printed at create), or by
//! its name: for its convener, the name it gave it
//! (`$HUSH_HOME/computations/NAME.json`); for anyone, the name its
//! convener gave it, looked up in the service's list of their
//! computations.

use crate::Ctx;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use hush_client::computations::KnownComputation;
use hush_client::rendezvous::Listing;
use hush_client::{Client, Identity};
use hush_wire::PublicKey;
use hush_wire::rendezvous::{
    ComputationId, ComputationType, MatchKey, MatchMessage, RendezvousResponse, Submission,
};
use serde_json::json;

/// What an average/min/max computation computes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CalcType {
    /// The average of the numbers, as a whole number (the division rounds
    /// toward zero: 100, 200, 301 average 200).
    Average,
    /// Who submitted the lowest number (only who: the number itself is
    /// never shown, to anyone).
    Min,
    /// Who submitted the highest number (only who: the number itself is
    /// never shown, to anyone).
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
        /// The number: a whole number (64-bit); scale decimals first,
        /// e.g. 1050 for 10.50.
        #[arg(allow_hyphen_values = true, value_parser = whole_number)]
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
    /// Your most recent computations (16), as convener or participant.
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

impl Ctx {
    /// A computation by its name here, its id, or the name its convener
    /// gave it (from the service's list of `me`'s computations).
    async fn calc_id(
        &self,
        client: &mut Client,
        me: &Identity,
        calc: &str,
    ) -> Result<ComputationId> {
        let book = self.computations.load(me.name())?;
        let damaged = || format!("a damaged id for {calc} in {}'s computations", me.name());
        if let Some(k) = book.get(calc).filter(|k| !k.seen) {
            return ComputationId::from_hex(&k.id).with_context(damaged);
        }
        if let Some(id) = ComputationId::from_hex(calc) {
            return Ok(id);
        }
        let listed = client.rendezvous().list(me.public()).await?;
        self.remember_listed(me, &listed)?;
        let resolved = resolve_name(&listed, me, calc);
        let unlisted = listed.adding == 0 && !listed.computations.iter().any(|e| e.name == calc);
        if let (true, Some(k)) = (unlisted, book.get(calc)) {
            // Found in an earlier listing, gone from this one: the
            // operation goes to the service, which says what became of
            // it (after a restart: gone).
            return ComputationId::from_hex(&k.id).with_context(damaged);
        }
        if resolved.is_err() {
            // The operation will not be sent: a request that changes
            // nothing takes its place, so a command that looks a name up
            // always makes two, found or not.
            client.rendezvous().list(me.public()).await?;
        }
        resolved
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
        if self
            .computations
            .load(me.name())?
            .get(name)
            .is_some_and(|k| !k.seen)
        {
            bail!(
                "{} has a computation named {name} already; choose another name",
                me.name()
            );
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
        self.computations.remember(
            me.name(),
            name,
            KnownComputation {
                id: id.to_hex(),
                kind: kind.name().into(),
                seen: false,
            },
        )?;
        if self.json {
            println!(
                "{}",
                json!({"name": name, "id": id.to_hex(), "type": kind.name()})
            );
        } else {
            println!("created {name} ({}), id {}", kind.name(), id.to_hex());
            println!("participants name it {name} too (hush calc list shows it), or by its id");
        }
        Ok(())
    }

    async fn submit_to(&self, me: &Identity, calc: &str, submission: Submission) -> Result<()> {
        let mut client = self.connect(me).await?;
        let id = self.calc_id(&mut client, me, calc).await?;
        let r = client
            .rendezvous()
            .submit(me.public(), id, submission)
            .await?;
        if self.json {
            println!(
                "{}",
                json!({"submitted": id.to_hex(), "submissions": r.submissions})
            );
        } else {
            println!(
                "submitted to {} ({} of a quorum of {} so far)",
                crate::safe_text(calc),
                r.submissions,
                r.quorum
            );
        }
        Ok(())
    }

    async fn result_of(&self, me: &Identity, calc: &str) -> Result<RendezvousResponse> {
        let mut client = self.connect(me).await?;
        let id = self.calc_id(&mut client, me, calc).await?;
        Ok(client.rendezvous().result(me.public(), id).await?)
    }
}

impl Ctx {
    /// Keeps the names of others' computations `me` found in a listing.
    fn remember_listed(&self, me: &Identity, listing: &Listing) -> Result<()> {
        let found = listing
            .computations
            .iter()
            .filter(|e| !e.role.convener)
            .map(|e| {
                (
                    e.name.as_str(),
                    KnownComputation {
                        id: e.id.to_hex(),
                        kind: e.kind.name().into(),
                        seen: true,
                    },
                )
            });
        Ok(self.computations.remember_seen(me.name(), found)?)
    }

    fn print_listing(&self, me: &Identity, listing: &Listing) {
        let listed = &listing.computations;
        if self.json {
            let v: Vec<_> = listed
                .iter()
                .map(|e| {
                    json!({"name": e.name, "id": e.id.to_hex(), "type": e.kind.name(),
                           "role": e.role.describe(), "quorum": e.quorum,
                           "participants": e.participants, "deadline": e.deadline})
                })
                .collect();
            println!("{}", serde_json::Value::Array(v));
        } else if listed.is_empty() {
            println!("{} has no computations", me.name());
        } else {
            for e in listed {
                println!(
                    "{:<16} {:<8} {:<22} quorum {} of {}  {}",
                    crate::safe_text(&e.name),
                    e.kind.name(),
                    e.role.describe(),
                    e.quorum,
                    e.participants,
                    e.id.to_hex()
                );
            }
        }
        if listing.adding > 0 {
            // On stderr: the JSON list keeps its shape.
            crate::warn(format_args!(
                "note: {} more computation(s) of {} are still being added; run again in a second or two",
                listing.adding,
                me.name()
            ));
        }
    }
}

/// The computation `calc` names in `listed`, or why none.
fn resolve_name(listed: &Listing, me: &Identity, calc: &str) -> Result<ComputationId> {
    if listed.adding > 0 {
        // One still on its way may have this name too.
        bail!(
            "{} computation(s) of {} are still being added, so the name {calc:?} cannot be resolved yet; try again in a second or two (or give the id)",
            listed.adding,
            me.name()
        );
    }
    let named: Vec<_> = listed
        .computations
        .iter()
        .filter(|e| e.name == calc)
        .collect();
    match named.as_slice() {
        [one] => Ok(one.id),
        [] => bail!(
            "{calc:?} is not a computation of {} (see hush calc list --as {}), nor an id (32 hex digits)",
            me.name(),
            me.name()
        ),
        many => bail!(
            "{} computations of {} are named {calc:?}; give the id of the one you mean: {}",
            many.len(),
            me.name(),
            many.iter()
                .map(|e| e.id.to_hex())
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
            let me = ctx.keys.load(&me)?;
            let mut client = ctx.connect(&me).await?;
            let listed = client.rendezvous().list(me.public()).await?;
            ctx.remember_listed(&me, &listed)?;
            ctx.print_listing(&me, &listed);
            Ok(())
        }
        CalcCommand::Close { me, calc } => {
            let me = ctx.keys.load(&me)?;
            let mut client = ctx.connect(&me).await?;
            let id = ctx.calc_id(&mut client, &me, &calc).await?;
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

/// A submission: a whole number, with an error that says so for a decimal.
fn whole_number(s: &str) -> Result<i64, String> {
    s.trim().parse::<i64>().map_err(|_| {
        if s.trim().parse::<f64>().is_ok() {
            format!(
                "{s} is not a whole number: hush computes on whole numbers (64-bit); scale decimals first, e.g. 1050 for 10.50"
            )
        } else {
            format!("{s} is not a number")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn submissions_are_whole_numbers_and_say_so() {
        assert_eq!(whole_number("-42"), Ok(-42));
        assert!(
            whole_number("10.5")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(whole_number("ten").unwrap_err().contains("not a number"));
        assert!(whole_number("99999999999999999999").is_err());
    }
}
