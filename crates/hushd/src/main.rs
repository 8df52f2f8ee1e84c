//! hushd: the untrusted host of the hush oblivious message broker (see
//! the library's docs for how a request travels).

use anyhow::Result;
use clap::Parser;
use hushd::{config, server, shutdown, telemetry};

#[tokio::main]
async fn main() -> Result<()> {
    let args = config::Args::parse();
    let check_only = args.check_config;
    let settings = args.settings()?;
    if check_only {
        print!("{}", settings.check()?);
        return Ok(());
    }
    telemetry::init_logs(&settings.log_format);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("shutdown signal received");
        let _ = stop_tx.send(true);
    });
    server::run(settings, stop_rx).await
}
