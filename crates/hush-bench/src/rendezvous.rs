//! `hush-bench rendezvous`: submits, results and lists per second of the
//! oblivious rendezvous service, in process, one core.
//!
//! The service costs the same whatever it holds (four accesses per
//! request to arrays sized by the capacity): it is sized for 2^log2
//! computations, `--computations` of them are created (average, 8
//! participants, quorum 8), then batches of submits, then batches of
//! results (the first releases, the rest read the locked result), then as
//! many lists.

use anyhow::{Result, bail};
use clap::Parser;
use hush_bench::fixtures::key;
use hush_enclave::oram::DefaultFactory;
use hush_enclave::{Rendezvous, RendezvousConfig, TrustedService};
use hush_wire::FixedCodec;
use hush_wire::rendezvous::{
    ComputationId, ComputationType, RendezvousOp, RendezvousRequest, RendezvousStatus, Submission,
};
use rand::{Rng, SeedableRng};
use std::time::Instant;
use subtle::Choice;

/// Arguments.
#[derive(Parser, Clone)]
pub struct RendezvousArgs {
    /// Capacity in computations, as a power of two (repeatable).
    #[arg(long = "log2", default_values_t = [16u32])]
    log2: Vec<u32>,
    /// Computations created before measuring.
    #[arg(long, default_value_t = 2000)]
    computations: usize,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

const NOW: u64 = 1_800_000_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark and prints a Markdown table.
pub fn run(args: RendezvousArgs) -> Result<()> {
    println!(
        "| capacity | computations | submits/s | µs/submit | results/s | µs/result | lists/s | start-up s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &log2 in &args.log2 {
        let start = Instant::now();
        let config = RendezvousConfig::new(1 << log2).map_err(anyhow::Error::msg)?;
        let mut r = Rendezvous::with_secret(config, &DefaultFactory, [5; 32], 1);
        let startup = start.elapsed().as_secs_f64();
        let yes = Choice::from(1);
        let participants: Vec<_> = (1..=8u8).map(key).collect();
        let mut ids: Vec<ComputationId> = Vec::new();
        for n in 0..args.computations {
            let req = RendezvousRequest {
                acting_as: key(9),
                op: RendezvousOp::Create {
                    name: format!("c{n}"),
                    kind: ComputationType::Average,
                    participants: participants.clone(),
                    quorum: 8,
                    deadline: None,
                },
            };
            let mut out = r.execute_record(&req.encode(), yes, NOW);
            // Each create queues 9 list entries and moves one: the ticks
            // (a second apart in hushd) move the rest.
            let mut ticks = 0;
            while out[0] == RendezvousStatus::Busy.code() && ticks < 16 {
                TrustedService::tick(&mut r, NOW);
                ticks += 1;
                out = r.execute_record(&req.encode(), yes, NOW);
            }
            if out[0] != RendezvousStatus::Ok.code() {
                bail!("create {n}: status {}", out[0]);
            }
            ids.push(ComputationId(out[8..24].try_into()?));
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(log2));
        let (mut submits, mut results, mut lists) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..args.rounds {
            // Each participant submits to every computation of this round's share.
            let share =
                &ids[round * ids.len() / args.rounds..(round + 1) * ids.len() / args.rounds];
            let batch: Vec<Vec<u8>> = share
                .iter()
                .flat_map(|id| {
                    let rng = &mut rng;
                    (1..=8u8)
                        .map(|p| {
                            RendezvousRequest {
                                acting_as: key(p),
                                op: RendezvousOp::Submit {
                                    id: *id,
                                    submission: Submission::Number(rng.random_range(0..1_000_000)),
                                },
                            }
                            .encode()
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let t = Instant::now();
            for b in &batch {
                let out = r.execute_record(b, yes, NOW);
                if out[0] != RendezvousStatus::Ok.code() {
                    bail!("submit: status {}", out[0]);
                }
            }
            submits.push(batch.len() as f64 / t.elapsed().as_secs_f64());
            let asks: Vec<Vec<u8>> = share
                .iter()
                .flat_map(|id| {
                    (1..=8u8).map(|p| {
                        RendezvousRequest {
                            acting_as: key(p),
                            op: RendezvousOp::Result { id: *id },
                        }
                        .encode()
                    })
                })
                .collect();
            let t = Instant::now();
            for a in &asks {
                let out = r.execute_record(a, yes, NOW);
                if out[0] != RendezvousStatus::Ok.code() {
                    bail!("result: status {}", out[0]);
                }
            }
            results.push(asks.len() as f64 / t.elapsed().as_secs_f64());
            let list: Vec<Vec<u8>> = (1..=9u8)
                .cycle()
                .take(asks.len())
                .map(|p| {
                    RendezvousRequest {
                        acting_as: key(p),
                        op: RendezvousOp::List,
                    }
                    .encode()
                })
                .collect();
            let t = Instant::now();
            for a in &list {
                let out = r.execute_record(a, yes, NOW);
                if out[0] != RendezvousStatus::Ok.code() {
                    bail!("list: status {}", out[0]);
                }
            }
            lists.push(list.len() as f64 / t.elapsed().as_secs_f64());
        }
        let (s, q, l) = (median(submits), median(results), median(lists));
        println!(
            "| 2^{log2} | {} | {:.0} | {:.1} | {:.0} | {:.1} | {:.0} | {:.1} |",
            args.computations,
            s,
            1e6 / s,
            q,
            1e6 / q,
            l,
            startup
        );
    }
    Ok(())
}
