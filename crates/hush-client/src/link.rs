//! Linking a device on another machine (`hush device link` / `approve`).
//!
//! 1. The new device makes its identity and shows a one-time link: its
//!    card, as `hush-link-v1:` and 256 hex digits (the card's signing key,
//!    X25519 key and signature), alone on a line and as a QR code.
//! 2. A device of the account that holds its identity key approves the
//!    link: it adds the card to the account in the directory (a device
//!    record the identity key signs), then sends the new device a
//!    [`Bundle`] of the account's contacts and groups as an encrypted
//!    attachment, an ordinary message and blob to the host.
//! 3. The new device, waiting on its mailbox, takes the bundle only from a
//!    device of the account the directory says it now belongs to, and only
//!    for that account; every card and device record in it is checked
//!    again before it is kept.
//!
//! The link carries no secret: whoever sees it can only ask the account's
//! owner to approve that device. What makes the device part of the
//! account is the owner's approval, signed by the identity key.

use crate::contacts::Contacts;
use crate::directory::{Account, VerifiedDevice};
use crate::e2e::VerifiedCard;
use crate::groups::LocalGroup;
use hush_wire::directory::DeviceRecord;
use hush_wire::{Card, FixedCodec, PublicKey};
use serde::{Deserialize, Serialize};

/// The text before a link's hex digits.
pub const LINK_PREFIX: &str = "hush-link-v1:";
/// The attachment's media type that marks a link bundle.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.hush.link+json";
/// The attachment's file name.
pub const BUNDLE_NAME: &str = "hush-link.json";
/// The bundle's layout version.
pub const BUNDLE_VERSION: u8 = 1;

/// Why a link or a bundle is refused.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Not a link at all.
    #[error(
        "a device link starts with {LINK_PREFIX:?} and has 256 hex digits after it (copy it whole from `hush device link`)"
    )]
    NotALink,
    /// A link whose card does not verify.
    #[error("the link's card does not verify: {0}")]
    BadCard(String),
    /// A bundle that does not parse or does not fit the account.
    #[error("the link bundle is refused: {0}")]
    BadBundle(String),
}

/// The link text of a new device's card.
pub fn link_text(card: &VerifiedCard) -> String {
    format!("{LINK_PREFIX}{}", hex::encode(card.card().encode()))
}

/// The card a link carries, its signature checked.
pub fn parse_link(text: &str) -> Result<VerifiedCard, LinkError> {
    let body = text
        .trim()
        .strip_prefix(LINK_PREFIX)
        .ok_or(LinkError::NotALink)?;
    let bytes = hex::decode(body).map_err(|_| LinkError::NotALink)?;
    let card = Card::decode(&bytes).map_err(|_| LinkError::NotALink)?;
    VerifiedCard::verify(card).map_err(|e| LinkError::BadCard(e.to_string()))
}

/// A contact as a bundle carries it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BundledContact {
    /// Its name on the approving device.
    pub name: String,
    /// Its card (`hush-card-v1:...`).
    pub card: String,
    /// For a contact found in the directory: its account's identity key
    /// (hex) and device records (hex), as the approving device kept them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Its device records (hex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
}

/// What an approving device hands a new one.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Bundle {
    /// [`BUNDLE_VERSION`].
    pub version: u8,
    /// The account's identity key (hex).
    pub account: String,
    /// The contacts.
    pub contacts: Vec<BundledContact>,
    /// The groups (their `me` is the approving device's name; the new
    /// device puts its own).
    pub groups: Vec<LocalGroup>,
}

impl Bundle {
    /// A bundle of `contacts` (every usable one) and `groups`.
    pub fn gather(
        account: PublicKey,
        contacts: &Contacts,
        groups: Vec<LocalGroup>,
    ) -> Result<Self, crate::identity::KeystoreError> {
        let (good, _) = contacts.list()?;
        let mut out = Vec::with_capacity(good.len());
        for c in good {
            let devices = contacts.devices(&c.name)?;
            out.push(BundledContact {
                card: c.card.to_text(),
                identity: match &devices {
                    Some(_) => Some(contacts.account_identity(&c.name)?.to_hex()),
                    None => None,
                },
                devices: devices
                    .unwrap_or_default()
                    .iter()
                    .map(|d| hex::encode(d.record().encode()))
                    .collect(),
                name: c.name,
            });
        }
        Ok(Self {
            version: BUNDLE_VERSION,
            account: account.to_hex(),
            contacts: out,
            groups,
        })
    }

    /// Parses a bundle's JSON.
    pub fn parse(bytes: &[u8]) -> Result<Self, LinkError> {
        let b: Self =
            serde_json::from_slice(bytes).map_err(|e| LinkError::BadBundle(e.to_string()))?;
        if b.version != BUNDLE_VERSION {
            return Err(LinkError::BadBundle(format!(
                "version {} (this client reads {BUNDLE_VERSION}); upgrade hush",
                b.version
            )));
        }
        Ok(b)
    }

    /// Checks the bundle against `account`, the account the directory
    /// says this device belongs to, and `author`, the device that sent it.
    pub fn check(&self, account: &Account, author: &PublicKey) -> Result<(), LinkError> {
        if PublicKey::from_hex(&self.account).ok() != Some(account.identity) {
            return Err(LinkError::BadBundle(
                "it names another account than the one this device was added to".into(),
            ));
        }
        if !account.has_device(author) {
            return Err(LinkError::BadBundle(
                "it was sent by a device that is not the account's".into(),
            ));
        }
        Ok(())
    }
}

impl BundledContact {
    /// The contact's card and, for a directory contact, its account, every
    /// record checked against the identity key.
    pub fn verified(&self) -> Result<(VerifiedCard, Option<Account>), LinkError> {
        let bad = |what: &str| LinkError::BadBundle(format!("contact {:?}: {what}", self.name));
        let card = VerifiedCard::from_text(&self.card).map_err(|e| bad(&e.to_string()))?;
        let Some(identity) = &self.identity else {
            return Ok((card, None));
        };
        let identity = PublicKey::from_hex(identity).map_err(|_| bad("a bad identity key"))?;
        let devices = self
            .devices
            .iter()
            .map(|h| {
                let bytes = hex::decode(h).map_err(|_| bad("a bad device record"))?;
                let record =
                    DeviceRecord::decode(&bytes).map_err(|_| bad("a bad device record"))?;
                VerifiedDevice::verify(&identity, record).map_err(|e| bad(&e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            card,
            Some(Account {
                identity,
                devices,
                flags: Default::default(),
                verified_identifiers: 0,
            }),
        ))
    }
}
