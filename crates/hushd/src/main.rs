//! hushd: the untrusted host of the hush oblivious message broker.
//!
//! A request travels: `server.rs` (listeners, services) -> `broker.rs` (the
//! gRPC service, sealed bytes only) -> the enclave (`hush_enclave`: session
//! table, Noise, the oblivious store). `clock.rs` feeds the enclave the
//! time, `telemetry.rs` serves logs and metrics, `shutdown.rs` stops it all.

mod broker;
mod clock;
mod config;
mod enclave_thread;
mod server;
mod shutdown;
mod telemetry;

use anyhow::Result;
use clap::Parser;

#[tokio::main]
async fn main() -> Result<()> {
    let args = config::Args::parse();
    let settings = args.settings()?;
    telemetry::init_logs(&settings.log_format);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("shutdown signal received");
        let _ = stop_tx.send(true);
    });
    server::run(settings, stop_rx).await
}
