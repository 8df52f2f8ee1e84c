//! `hush tokens ...`: the stock of Privacy Pass tokens this home spends on
//! a server that requires them for writes. Tokens come from the server's
//! directory, for an identity with a verified account (fetched by
//! themselves when the stock runs out, or ahead with `hush tokens fetch`),
//! or from the issuer the server's operator names, as a file of base64
//! tokens, one per line (`hush tokens add FILE`). They are kept in
//! `$HUSH_HOME/tokens`, and every write that the server answers NO_TOKENS
//! redeems one of them (without being asked) and goes again. A redeemed
//! token leaves the file.

use crate::Ctx;
use anyhow::{Context, Result};
use clap::Subcommand;
use hush_client::tokens::{TokenFile, parse_tokens};
use serde_json::json;

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Add tokens from FILE (one base64 token per line; `-` reads standard
    /// input) to this home's stock.
    Add {
        /// The file the issuer gave.
        file: String,
    },
    /// How many tokens are in the stock.
    Show,
    /// Fetch the next batch of the day's tokens from the directory, for
    /// NAME's verified account (writes do it by themselves when the stock
    /// runs out).
    Fetch {
        /// The identity whose account the tokens come from.
        #[arg(long = "as")]
        me: String,
    },
}

pub async fn tokens(ctx: &Ctx, cmd: TokensCommand) -> Result<()> {
    let file = TokenFile::in_home(&ctx.home);
    match cmd {
        TokensCommand::Fetch { me } => {
            let id = ctx.keys.load(&me)?;
            let mut client = ctx.connect(&id).await?;
            let fetched = client.fetch_directory_tokens().await?;
            let stock = file.count()?;
            if ctx.json {
                println!("{}", json!({ "fetched": fetched, "tokens": stock }));
            } else {
                println!("fetched {fetched} tokens ({stock} in stock)");
            }
        }
        TokensCommand::Add { file: from } => {
            let text = if from == "-" {
                std::io::read_to_string(std::io::stdin())
                    .context("reading tokens from standard input")?
            } else {
                std::fs::read_to_string(&from).with_context(|| format!("reading {from}"))?
            };
            let new = parse_tokens(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{from}: {e} (a token file has one base64 Privacy Pass token per line)"
                )
            })?;
            let added = file
                .add(&new)
                .with_context(|| format!("writing {}", file.path().display()))?;
            let stock = file.count()?;
            if ctx.json {
                println!("{}", json!({ "added": added, "tokens": stock }));
            } else {
                println!("added {added} tokens ({stock} in stock)");
            }
        }
        TokensCommand::Show => {
            let stock = file
                .count()
                .with_context(|| format!("reading {}", file.path().display()))?;
            if ctx.json {
                println!("{}", json!({ "tokens": stock }));
            } else {
                println!("{stock} tokens in stock");
            }
        }
    }
    Ok(())
}
