//! hushd: the untrusted host of the hush oblivious message broker (see
//! the library's docs for how a request travels).

use anyhow::{Context, Result};
use clap::Parser;
use hushd::affinity::CpuPlan;
use hushd::{config, server, shutdown, telemetry};

/// Writes `bytes` to stdout; a reader that stopped early is not an error.
fn print_all(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn main() -> Result<()> {
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
    // Before the runtime starts: its workers inherit this thread's CPUs,
    // one worker per CPU.
    let plan = CpuPlan::for_this_process(settings.enclave_cpu()?)?;
    plan.confine_current_thread()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(plan.others.len().max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(settings, plan))
}

async fn serve(settings: config::Settings, plan: CpuPlan) -> Result<()> {
    telemetry::init_logs(&settings.log_format);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("shutdown signal received");
        let _ = stop_tx.send(true);
    });
    server::run(settings, plan, stop_rx).await
}
