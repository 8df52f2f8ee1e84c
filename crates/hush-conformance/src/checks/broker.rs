//! Broker requests (PROTOCOL section 2): statuses, exact round trips and
//! the mailbox's capacity.

use crate::{Raw, Target};
use anyhow::{Result, ensure};
use hush_client::Identity;
use hush_client::session::ClientSession;
use hush_wire::consts::{MAILBOX_CAPACITY, PAYLOAD_LEN};
use hush_wire::{MessageId, Op, Payload, Request, RequestRecord, Status};

/// A session proving `who`.
async fn as_(t: &Target, who: &[&Identity]) -> Result<(Raw, ClientSession)> {
    let mut raw = Raw::connect(&t.url, &t.policy).await?;
    let s = raw.session().await?;
    let keys: Vec<_> = who.iter().map(|i| i.keypair()).collect();
    raw.prove_ok(&s, &keys.iter().collect::<Vec<_>>()).await?;
    Ok((raw, s))
}

fn random_payload() -> Payload {
    let mut p = [0u8; PAYLOAD_LEN];
    rand::fill(&mut p[..]);
    Payload::from_raw(p)
}

pub async fn unproven_key(t: &Target) -> Result<()> {
    let (a, b) = (Identity::generate("a"), Identity::generate("b"));
    let (mut raw, s) = as_(t, &[&a]).await?;
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: b.public(),
                op: Op::DeleteNext,
            },
        )
        .await?;
    ensure!(
        r.status == Status::KeyNotProven,
        "acting as an unproven key: {:?}",
        r.status
    );
    ensure!(
        r.listing.ids().is_empty() && r.message.is_none(),
        "a refusal carried data"
    );
    Ok(())
}

pub async fn invalid_request(t: &Target) -> Result<()> {
    let a = Identity::generate("a");
    let (mut raw, s) = as_(t, &[&a]).await?;
    let list = RequestRecord::encode(&Request {
        acting_as: a.public(),
        op: Op::List,
    });
    let mut unknown_op = list.as_bytes().to_vec();
    unknown_op[0] = 42;
    let mut zero_key = list.as_bytes().to_vec();
    zero_key[24..56].fill(0);
    for (what, bytes) in [("op 42", unknown_op), ("an all-zero acting key", zero_key)] {
        let r = raw
            .request_record(&s, &RequestRecord::from_bytes(&bytes)?)
            .await?;
        ensure!(
            r.status == Status::InvalidRequest,
            "{what}: {:?} (want invalid request)",
            r.status
        );
    }
    Ok(())
}

pub async fn store_read_delete(t: &Target) -> Result<()> {
    let (a, b) = (Identity::generate("a"), Identity::generate("b"));
    let (mut raw, s) = as_(t, &[&a, &b]).await?;
    let id = hush_client::new_message_id();
    let payload = random_payload();
    let create = Request {
        acting_as: a.public(),
        op: Op::Create {
            id,
            recipient: b.public(),
            payload: payload.clone(),
        },
    };
    let r = raw.request(&s, &create).await?;
    ensure!(r.status == Status::Ok, "create: {:?}", r.status);
    ensure!(
        r.listing.ids().is_empty(),
        "a create's answer carried a listing"
    );
    let r = raw.request(&s, &create).await?;
    ensure!(
        r.status == Status::AlreadyExists,
        "the same id again: {:?} (want already exists)",
        r.status
    );
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: b.public(),
                op: Op::Read { id },
            },
        )
        .await?;
    ensure!(
        r.status == Status::Ok,
        "the recipient's read: {:?}",
        r.status
    );
    let m = r
        .message
        .ok_or_else(|| anyhow::anyhow!("a read answered ok carried no message"))?;
    ensure!(
        m.id == id && m.sender == a.public() && m.recipient == b.public() && m.payload == payload,
        "the message read back differs from the one stored"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    ensure!(
        m.timestamp.0.abs_diff(now) < 600,
        "timestamp {} is far from now ({now})",
        m.timestamp.0
    );
    ensure!(
        r.listing.ids() == [id],
        "the reader's listing: {:?}",
        r.listing.ids()
    );
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: a.public(),
                op: Op::Read { id },
            },
        )
        .await?;
    ensure!(
        r.status == Status::NotFound,
        "the sender reading the recipient's mailbox: {:?}",
        r.status
    );
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: b.public(),
                op: Op::Delete {
                    id,
                    recipient: b.public(),
                },
            },
        )
        .await?;
    ensure!(r.status == Status::Ok, "delete: {:?}", r.status);
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: b.public(),
                op: Op::Read { id },
            },
        )
        .await?;
    ensure!(
        r.status == Status::NotFound,
        "read after delete: {:?}",
        r.status
    );
    Ok(())
}

pub async fn capacity(t: &Target) -> Result<()> {
    let (a, b) = (Identity::generate("a"), Identity::generate("b"));
    let (mut raw, s) = as_(t, &[&a, &b]).await?;
    let mut ids: Vec<MessageId> = Vec::new();
    for i in 0..=MAILBOX_CAPACITY {
        let id = hush_client::new_message_id();
        let r = raw
            .request(
                &s,
                &Request {
                    acting_as: a.public(),
                    op: Op::Create {
                        id,
                        recipient: b.public(),
                        payload: random_payload(),
                    },
                },
            )
            .await?;
        if i < MAILBOX_CAPACITY {
            ensure!(
                r.status == Status::Ok,
                "create {} of {MAILBOX_CAPACITY}: {:?}",
                i + 1,
                r.status
            );
            ids.push(id);
        } else {
            ensure!(
                r.status == Status::MailboxFull,
                "create {}: {:?} (want mailbox full)",
                i + 1,
                r.status
            );
        }
    }
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: b.public(),
                op: Op::List,
            },
        )
        .await?;
    ensure!(
        r.listing.ids() == ids,
        "the listing is not the {MAILBOX_CAPACITY} ids oldest first"
    );
    for _ in 0..MAILBOX_CAPACITY {
        let r = raw
            .request(
                &s,
                &Request {
                    acting_as: b.public(),
                    op: Op::DeleteNext,
                },
            )
            .await?;
        ensure!(
            r.status == Status::Ok,
            "emptying the mailbox: {:?}",
            r.status
        );
    }
    let r = raw
        .request(
            &s,
            &Request {
                acting_as: b.public(),
                op: Op::List,
            },
        )
        .await?;
    ensure!(
        r.listing.ids().is_empty(),
        "{} left after deleting all",
        r.listing.ids().len()
    );
    Ok(())
}
