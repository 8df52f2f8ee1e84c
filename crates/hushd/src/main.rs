//! hushd: the untrusted host of the hush oblivious message broker (see
//! the library's docs for how a request travels).

use anyhow::Result;
use clap::Parser;
use hushd::{config, server, shutdown, telemetry};

/// Writes `bytes` to stdout; a reader that stopped early is not an error.
fn print_all(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = config::Args::parse();
    if let Some(shell) = args.completions {
        // Into a buffer: clap_complete panics on a closed pipe.
        let mut buf = Vec::new();
        let mut cmd = <config::Args as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut cmd, "hushd", &mut buf);
        return print_all(&buf);
    }
    if args.man {
        let mut buf = Vec::new();
        clap_mangen::Man::new(<config::Args as clap::CommandFactory>::command())
            .render(&mut buf)?;
        return print_all(&buf);
    }
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
