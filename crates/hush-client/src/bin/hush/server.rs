//! `hush server verify`: handshake with the server, verify its evidence
//! against the policy (`--policy FILE` / `HUSH_POLICY`), and print what was
//! verified; a refusal exits non-zero with the check that failed.

use crate::Ctx;
use anyhow::Result;
use clap::Subcommand;
use hush_attest::{Claims, Measurements, Verified};
use hush_client::Client;
use serde_json::json;

#[derive(Subcommand)]
pub enum ServerCommand {
    /// Verify the server's attestation evidence against your policy and
    /// print what it proves (TEE, measurements, TCB status, the key it
    /// binds). Exits non-zero when the policy refuses it.
    Verify,
}

fn measurements(m: &Measurements) -> Vec<(String, String)> {
    match m {
        Measurements::Tdx { mrtd, rtmrs } => {
            let mut v = vec![("mrtd".to_owned(), hex::encode(mrtd))];
            for (i, r) in rtmrs.iter().enumerate() {
                v.push((format!("rtmr{i}"), hex::encode(r)));
            }
            v
        }
        Measurements::Sgx {
            mrenclave,
            mrsigner,
            isv_prod_id,
            isv_svn,
        } => vec![
            ("mrenclave".into(), hex::encode(mrenclave)),
            ("mrsigner".into(), hex::encode(mrsigner)),
            ("isv_prod_id".into(), isv_prod_id.to_string()),
            ("isv_svn".into(), isv_svn.to_string()),
        ],
        Measurements::SevSnp {
            measurement,
            policy,
            reported_tcb,
        } => vec![
            ("measurement".into(), hex::encode(measurement)),
            ("policy".into(), format!("{policy:#x}")),
            ("reported_tcb".into(), reported_tcb.to_string()),
        ],
    }
}

fn when(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

/// Prints verified claims: the key they bind (none: not checked, and
/// the report data shown instead), and the server's epoch and the
/// session's channel when a session was opened.
pub(crate) fn print_claims(
    ctx: &Ctx,
    c: &Claims,
    key: Option<&[u8; 32]>,
    session: Option<(u64, &str)>,
) {
    if ctx.json {
        let m: serde_json::Map<_, _> = measurements(&c.measurements)
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let mut v = json!({"verified": true, "tee": c.tee.name(), "measurements": m,
               "tcb_status": c.tcb_status, "advisories": c.advisory_ids, "debug": c.debug,
               "collateral_issued": when(c.collateral_issued),
               "key_checked": key.is_some(),
               "report_data": hex::encode(c.report_data)});
        if let Some(key) = key {
            v["noise_static_key"] = json!(hex::encode(key));
        }
        if let Some((epoch, channel)) = session {
            v["epoch"] = json!(format!("{epoch:016x}"));
            v["channel"] = json!(channel);
        }
        println!("{v}");
        return;
    }
    println!("verified {} evidence, accepted by the policy", c.tee.name());
    for (k, v) in measurements(&c.measurements) {
        println!("  {k:<14} {v}");
    }
    let advisories = if c.advisory_ids.is_empty() {
        String::new()
    } else {
        format!(" (advisories {})", c.advisory_ids.join(", "))
    };
    println!("  tcb status     {}{advisories}", c.tcb_status);
    println!("  debug          {}", if c.debug { "yes" } else { "no" });
    println!("  collateral     issued {}", when(c.collateral_issued));
    match key {
        Some(key) => println!(
            "  binds key      {} (the key this handshake used)",
            hex::encode(key)
        ),
        None => {
            println!("  report data    {}", hex::encode(c.report_data));
            println!(
                "  binds key      NOT CHECKED: no key was given (--key HEX, or the /v1/evidence JSON, which names it)"
            );
        }
    }
    if let Some((epoch, channel)) = session {
        println!("  epoch          {epoch:016x}");
        println!("  {}", channel_line(channel));
    }
}

/// The session's channel, as `hush server verify` prints it.
fn channel_line(protocol: &str) -> String {
    format!("channel        {protocol} (hybrid post-quantum: X25519 and ML-KEM-768)")
}

pub async fn server(ctx: &Ctx, cmd: ServerCommand) -> Result<()> {
    match cmd {
        ServerCommand::Verify => {
            let policy = ctx.policy()?;
            let client = Client::connect_by(&ctx.cli_server, policy, Vec::new(), ctx.deadline())
                .await
                .map_err(|e| anyhow::Error::new(e).context(ctx.cli_server.clone()))?;
            let session = client.session();
            match session.attestation() {
                Verified::Dev => {
                    if ctx.json {
                        println!(
                            "{}",
                            json!({"verified": false, "tee": "dev", "accepted_because": "dev attestation is allowed",
                                   "noise_static_key": hex::encode(session.server_key()),
                                   "epoch": format!("{:016x}", session.epoch()),
                                   "channel": session.protocol()})
                        );
                    } else {
                        println!(
                            "dev evidence: accepted only because dev attestation is allowed; it proves NOTHING about the server's code or secrecy"
                        );
                        println!("  key            {}", hex::encode(session.server_key()));
                        println!("  epoch          {:016x}", session.epoch());
                        println!("  {}", channel_line(session.protocol()));
                    }
                }
                Verified::Hardware(c) => {
                    print_claims(
                        ctx,
                        c,
                        Some(session.server_key()),
                        Some((session.epoch(), session.protocol())),
                    );
                }
            }
            Ok(())
        }
    }
}
