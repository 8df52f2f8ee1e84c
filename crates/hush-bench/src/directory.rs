//! `hush-bench directory`: oblivious directory look-ups in process, against
//! a `HashMap` directory doing the same look-up in plain memory, in one
//! run, interleaved round by round.
//!
//! The oblivious directory costs the same whatever it holds (every request
//! makes the same accesses to arrays sized by the capacity), so it is sized
//! for `2^log2` accounts and filled with `--accounts` of them; half the
//! look-ups find someone, half do not.

use anyhow::{Context, Result, bail};
use blake2::Digest;
use clap::Parser;
use hush_enclave::oram::DefaultFactory;
use hush_enclave::{Directory, DirectoryConfig};
use hush_wire::consts::{DIRECTORY_RESPONSE_LEN, KEY_LEN};
use hush_wire::directory::{
    AccountFlags, DeviceRecord, DirectoryOp, DirectoryRequest, DirectoryStatus, Identifier,
    VerificationCode,
};
use hush_wire::{Card, FixedCodec, PublicKey, Signature};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::time::Instant;
use subtle::Choice;

/// Arguments.
#[derive(Parser, Clone)]
pub struct DirectoryArgs {
    /// Capacity in accounts, as a power of two (repeatable).
    #[arg(long = "log2", default_values_t = [16u32])]
    log2: Vec<u32>,
    /// Accounts registered before measuring.
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Rounds (medians are over rounds).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Look-ups per batch.
    #[arg(long, default_value_t = 2000)]
    batch: usize,
}

const NOW: u64 = 1_800_000_000;

fn key(n: u64) -> PublicKey {
    let mut b = [0u8; KEY_LEN];
    b[..8].copy_from_slice(&(n + 1).to_le_bytes());
    b[31] = 0x77;
    PublicKey::new(b).expect("non-zero")
}

fn device(n: u64) -> DeviceRecord {
    DeviceRecord {
        card: Card {
            signing_key: key(n),
            encryption_key: [n as u8; 32],
            signature: Signature([1; 64]),
        },
        mailbox: key(n),
        signature: Signature([2; 64]),
    }
}

fn email(n: u64) -> Identifier {
    Identifier::email(&format!("user{n}@example.org")).expect("valid")
}

fn request(acting_as: PublicKey, op: DirectoryOp) -> Vec<u8> {
    DirectoryRequest { acting_as, op }.encode()
}

/// The same look-up with no obliviousness: a keyed hash of the identifier,
/// a `HashMap`, the same checks and the same response bytes.
struct PlainDirectory {
    secret: [u8; 32],
    accounts: HashMap<[u8; 32], (PublicKey, AccountFlags, Vec<DeviceRecord>)>,
    registered: HashMap<PublicKey, ()>,
}

impl PlainDirectory {
    fn digest(&self, id: &[u8]) -> [u8; 32] {
        let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
        h.update(self.secret);
        h.update(id);
        h.finalize().into()
    }

    fn lookup(&self, caller: &PublicKey, identifier: &Identifier) -> [u8; DIRECTORY_RESPONSE_LEN] {
        let mut out = [0u8; DIRECTORY_RESPONSE_LEN];
        if !self.registered.contains_key(caller) {
            out[0] = DirectoryStatus::NotRegistered.code();
            return out;
        }
        match self.accounts.get(&self.digest(&identifier.encode())) {
            Some((identity, flags, devices)) if flags.discoverable => {
                out[1] = flags.bits();
                out[2] = devices.len() as u8;
                out[8..40].copy_from_slice(identity.as_bytes());
                for (i, d) in devices.iter().enumerate() {
                    let at = 40 + i * DeviceRecord::LEN;
                    d.encode_into(&mut out[at..at + DeviceRecord::LEN]);
                }
            }
            _ => out[0] = DirectoryStatus::NoUser.code(),
        }
        out
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the benchmark and prints a Markdown table.
pub fn run(args: DirectoryArgs) -> Result<()> {
    println!(
        "| capacity | accounts | hush look-ups/s | hush µs/op | HashMap look-ups/s | hush / HashMap | hush start-up s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &log2 in &args.log2 {
        let capacity = 1u32 << log2;
        if args.accounts > capacity as usize / 2 {
            bail!("--accounts {} is more than half of 2^{log2}", args.accounts);
        }
        let config = DirectoryConfig {
            lookups_per_session: u32::MAX,
            lookups_per_account_per_day: u32::MAX,
            // Codes out on every tick: sign-up here is set-up, not measured.
            code_release_requests: 1,
            code_release_secs: 1,
            ..DirectoryConfig::new(capacity)?
        };
        let start = Instant::now();
        let mut dir = Directory::with_secret(config, &DefaultFactory, [9; 32]);
        let startup = start.elapsed().as_secs_f64();
        let session = AtomicU32::new(0);
        let yes = Choice::from(1);
        dir.tick(NOW);
        let mut plain = PlainDirectory {
            secret: [9; 32],
            accounts: HashMap::new(),
            registered: HashMap::new(),
        };
        // Register and verify every account (codes come out on the tick).
        // The enclave's clock never goes back, and a batch of codes leaves
        // only `code_release_secs` after the last: one clock runs on
        // across the chunks (it restarted at NOW for each, and every chunk
        // after the first got no codes).
        let mut now = NOW;
        for chunk in (0..args.accounts as u64).collect::<Vec<_>>().chunks(1000) {
            for &n in chunk {
                let r = request(
                    key(n),
                    DirectoryOp::Register {
                        identifier: email(n),
                        device: device(n),
                        flags: AccountFlags::default(),
                    },
                );
                let out = dir.execute_record(&r, yes, &session, &Default::default(), NOW);
                if out[0] != DirectoryStatus::Ok.code() {
                    bail!("registering account {n}: status {}", out[0]);
                }
            }
            now += 2;
            dir.tick(now);
            for (i, v) in dir.take_verifications().into_iter().enumerate() {
                // Verified identifiers reach the map on the tick, 16 a
                // second: keep the enclave's clock going as hushd would.
                if i % 16 == 15 {
                    now += 1;
                    dir.tick(now);
                }
                let id = Identifier::decode(&v.identifier)?;
                let n: u64 = id.as_str()[4..id.as_str().find('@').context("email")?].parse()?;
                let r = request(
                    key(n),
                    DirectoryOp::Verify {
                        identifier: id.clone(),
                        code: VerificationCode::new(v.code)?,
                    },
                );
                let out = dir.execute_record(&r, yes, &session, &Default::default(), NOW);
                if out[0] != DirectoryStatus::Ok.code() {
                    bail!("verifying account {n}: status {}", out[0]);
                }
                let digest = plain.digest(&id.encode());
                plain
                    .accounts
                    .insert(digest, (key(n), AccountFlags::default(), vec![device(n)]));
                plain.registered.insert(key(n), ());
            }
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(log2));
        let (mut hush_rates, mut plain_rates) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            // Half the look-ups find an account, half name nobody.
            let batch: Vec<(PublicKey, Identifier)> = (0..args.batch)
                .map(|i| {
                    let caller = key(rng.random_range(0..args.accounts as u64));
                    let target = if i % 2 == 0 {
                        rng.random_range(0..args.accounts as u64)
                    } else {
                        args.accounts as u64 + rng.random_range(0..1_000_000)
                    };
                    (caller, email(target))
                })
                .collect();
            let records: Vec<Vec<u8>> = batch
                .iter()
                .map(|(c, id)| {
                    request(
                        *c,
                        DirectoryOp::Lookup {
                            identifier: id.clone(),
                        },
                    )
                })
                .collect();
            let start = Instant::now();
            let mut found = 0;
            for r in &records {
                let out = dir.execute_record(r, yes, &session, &Default::default(), NOW);
                found += (out[0] == DirectoryStatus::Ok.code()) as usize;
            }
            hush_rates.push(records.len() as f64 / start.elapsed().as_secs_f64());
            let start = Instant::now();
            let mut plain_found = 0;
            for (c, id) in &batch {
                let out = std::hint::black_box(plain.lookup(c, id));
                plain_found += (out[0] == DirectoryStatus::Ok.code()) as usize;
            }
            plain_rates.push(batch.len() as f64 / start.elapsed().as_secs_f64());
            if found != plain_found || found != args.batch / 2 {
                bail!(
                    "the directories disagree: {found} vs {plain_found} found of {}",
                    args.batch
                );
            }
        }
        let (h, p) = (median(hush_rates), median(plain_rates));
        println!(
            "| 2^{log2} | {} | {:.0} | {:.1} | {:.0} | 1/{:.0} | {:.1} |",
            args.accounts,
            h,
            1e6 / h,
            p,
            p / h,
            startup
        );
    }
    Ok(())
}
