//! The directory, from the client's side: typed operations on the
//! `hush.v1.Directory` service over the same attested session, device
//! records signed by an identity key, and accounts whose every device is
//! checked before anything is sealed to it.

use crate::e2e::{VerifiedCard, card_for};
use crate::{Client, ClientError, Identity};
use hush_wire::consts::DEVICE_CONTEXT;
use hush_wire::directory::{
    AccountFlags, DeviceRecord, DirectoryOp, DirectoryRequest, DirectoryResponse, DirectoryStatus,
    Identifier, VerificationCode,
};
use hush_wire::{PublicKey, Signature};

/// The record that links `device` to the account of `identity`: the
/// device's card, its mailbox key, and `identity`'s signature.
pub fn device_record(identity: &Identity, device: &Identity) -> DeviceRecord {
    device_record_for(identity, &card_for(device))
}

/// The record that links the device whose card is `device` (a device on
/// another machine, from its link) to the account of `identity`.
pub fn device_record_for(identity: &Identity, device: &VerifiedCard) -> DeviceRecord {
    let mut record = DeviceRecord {
        card: device.card().clone(),
        mailbox: device.signing_key(),
        signature: Signature([0; 64]),
    };
    let message = record.signed_message(&identity.public());
    record.signature = Signature(
        identity
            .keypair()
            .sign_simple(DEVICE_CONTEXT, &message)
            .to_bytes(),
    );
    record
}

/// A device whose record `identity` signed and whose card verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDevice {
    record: DeviceRecord,
    card: VerifiedCard,
}

impl VerifiedDevice {
    /// Checks `record` against the account's `identity` key.
    pub fn verify(identity: &PublicKey, record: DeviceRecord) -> Result<Self, ClientError> {
        let bad = || ClientError::BadDevice(record.signing_key().to_hex());
        let key = schnorrkel::PublicKey::from_bytes(identity.as_bytes()).map_err(|_| bad())?;
        let sig = schnorrkel::Signature::from_bytes(&record.signature.0).map_err(|_| bad())?;
        key.verify_simple(DEVICE_CONTEXT, &record.signed_message(identity), &sig)
            .map_err(|_| bad())?;
        if record.mailbox != record.signing_key() {
            // This client reads a device's mailbox as the device's own key.
            return Err(bad());
        }
        let card = VerifiedCard::verify(record.card.clone()).map_err(|_| bad())?;
        Ok(Self { record, card })
    }

    /// The device's card: what messages to it are sealed to.
    pub fn card(&self) -> &VerifiedCard {
        &self.card
    }

    /// The device's signing key (its broker identity).
    pub fn key(&self) -> PublicKey {
        self.record.signing_key()
    }

    /// The record as the directory holds it.
    pub fn record(&self) -> &DeviceRecord {
        &self.record
    }
}

/// An account as the directory described it, every device checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The identity key: what safety numbers are computed from.
    pub identity: PublicKey,
    /// Its devices (the identity's own first).
    pub devices: Vec<VerifiedDevice>,
    /// Its switches.
    pub flags: AccountFlags,
    /// Verified identifiers (only for one's own account).
    pub verified_identifiers: u8,
}

impl Account {
    /// Checks every device of a directory answer.
    pub fn verify(r: &DirectoryResponse) -> Result<Self, ClientError> {
        let identity = r.identity.ok_or(ClientError::Protocol(
            "the directory described an account without its key",
        ))?;
        let devices = r
            .devices
            .iter()
            .cloned()
            .map(|d| VerifiedDevice::verify(&identity, d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            identity,
            devices,
            flags: r.flags,
            verified_identifiers: r.verified_identifiers,
        })
    }

    /// Whether `key` is one of the account's devices.
    pub fn has_device(&self, key: &PublicKey) -> bool {
        self.devices.iter().any(|d| d.key() == *key)
    }
}

/// Where a message to a contact goes, as the directory says at send time.
#[derive(Clone, Debug)]
pub enum Recipients {
    /// A contact known by its card only: that one card.
    Card(VerifiedCard),
    /// A contact found in the directory: the devices its account lists now.
    Account(Account),
    /// A contact found in the directory whose account is gone.
    Gone,
}

/// Typed directory operations over a [`Client`]'s session.
pub struct Directory<'a> {
    client: &'a mut Client,
}

impl Client {
    /// The directory service, over this session.
    pub fn directory(&mut self) -> Directory<'_> {
        Directory { client: self }
    }
}

impl Directory<'_> {
    async fn run(
        &mut self,
        acting_as: PublicKey,
        op: DirectoryOp,
    ) -> Result<(DirectoryResponse, bool), ClientError> {
        self.client
            .execute_directory(&DirectoryRequest { acting_as, op })
            .await
    }

    async fn account(
        &mut self,
        acting_as: PublicKey,
        op: DirectoryOp,
    ) -> Result<Account, ClientError> {
        let (r, _) = self.run(acting_as, op).await?;
        match r.status {
            DirectoryStatus::Ok => Account::verify(&r),
            s => Err(ClientError::Directory(s)),
        }
    }

    /// Starts registering `identifier` for `me`'s account (made, with `me`
    /// as its first device, if it has none). A code goes to the identifier.
    pub async fn register(
        &mut self,
        me: &Identity,
        identifier: &Identifier,
        flags: AccountFlags,
    ) -> Result<Account, ClientError> {
        let op = DirectoryOp::Register {
            identifier: identifier.clone(),
            device: device_record(me, me),
            flags,
        };
        self.account(me.public(), op).await
    }

    /// Completes a registration with the code that was sent.
    pub async fn verify(
        &mut self,
        me: PublicKey,
        identifier: &Identifier,
        code: VerificationCode,
    ) -> Result<Account, ClientError> {
        let op = DirectoryOp::Verify {
            identifier: identifier.clone(),
            code,
        };
        self.account(me, op).await
    }

    /// Finds who has `identifier`, acting as `me` (a device of a registered
    /// account). None when nobody `me` may find has it.
    pub async fn lookup(
        &mut self,
        me: PublicKey,
        identifier: &Identifier,
    ) -> Result<Option<Account>, ClientError> {
        let op = DirectoryOp::Lookup {
            identifier: identifier.clone(),
        };
        let (r, _) = self.run(me, op).await?;
        match r.status {
            DirectoryStatus::Ok => Account::verify(&r).map(Some),
            DirectoryStatus::NoUser => Ok(None),
            s => Err(ClientError::Directory(s)),
        }
    }

    /// Links `device` to `identity`'s account.
    pub async fn add_device(
        &mut self,
        identity: &Identity,
        device: &Identity,
    ) -> Result<Account, ClientError> {
        self.add_device_card(identity, &card_for(device)).await
    }

    /// Links the device whose card is `device` to `identity`'s account.
    pub async fn add_device_card(
        &mut self,
        identity: &Identity,
        device: &VerifiedCard,
    ) -> Result<Account, ClientError> {
        let op = DirectoryOp::AddDevice {
            device: device_record_for(identity, device),
        };
        let (r, retried) = self.run(identity.public(), op).await?;
        match r.status {
            DirectoryStatus::Ok => Account::verify(&r),
            // A retry whose first attempt landed.
            DirectoryStatus::DeviceInUse if retried => {
                let account = self.show(identity.public()).await?;
                if account.has_device(&device.signing_key()) {
                    Ok(account)
                } else {
                    Err(ClientError::Directory(DirectoryStatus::DeviceInUse))
                }
            }
            s => Err(ClientError::Directory(s)),
        }
    }

    /// Unlinks the device with key `device` from `identity`'s account.
    pub async fn remove_device(
        &mut self,
        identity: PublicKey,
        device: PublicKey,
    ) -> Result<Account, ClientError> {
        let (r, retried) = self
            .run(identity, DirectoryOp::RemoveDevice { device })
            .await?;
        match r.status {
            DirectoryStatus::Ok => Account::verify(&r),
            DirectoryStatus::UnknownDevice if retried => self.show(identity).await,
            s => Err(ClientError::Directory(s)),
        }
    }

    /// Sets the account's switches.
    pub async fn set_flags(
        &mut self,
        identity: PublicKey,
        flags: AccountFlags,
    ) -> Result<Account, ClientError> {
        self.account(identity, DirectoryOp::SetFlags { flags })
            .await
    }

    /// Makes `account`'s look-ups of this account's identifiers answer "no
    /// user" (`block`), or stops (`!block`).
    pub async fn block(
        &mut self,
        identity: PublicKey,
        account: PublicKey,
        block: bool,
    ) -> Result<(), ClientError> {
        let op = if block {
            DirectoryOp::Block { account }
        } else {
            DirectoryOp::Unblock { account }
        };
        let (r, _) = self.run(identity, op).await?;
        match r.status {
            DirectoryStatus::Ok => Ok(()),
            s => Err(ClientError::Directory(s)),
        }
    }

    /// The account `me` belongs to.
    pub async fn show(&mut self, me: PublicKey) -> Result<Account, ClientError> {
        self.account(me, DirectoryOp::Show).await
    }

    /// Removes `identifier` from `identity`'s account (verified or waiting).
    pub async fn remove_identifier(
        &mut self,
        identity: PublicKey,
        identifier: &Identifier,
    ) -> Result<Account, ClientError> {
        let op = DirectoryOp::RemoveIdentifier {
            identifier: identifier.clone(),
        };
        let (r, retried) = self.run(identity, op).await?;
        match r.status {
            DirectoryStatus::Ok => Account::verify(&r),
            // A retry whose first attempt landed.
            DirectoryStatus::UnknownIdentifier if retried => self.show(identity).await,
            s => Err(ClientError::Directory(s)),
        }
    }

    /// Closes (unregisters) `identity`'s account, which must have no
    /// verified identifier left.
    pub async fn close(&mut self, identity: PublicKey) -> Result<(), ClientError> {
        let (r, retried) = self.run(identity, DirectoryOp::Close).await?;
        match r.status {
            DirectoryStatus::Ok => Ok(()),
            DirectoryStatus::Closed if retried => Ok(()),
            s => Err(ClientError::Directory(s)),
        }
    }

    /// Where a message from `me` to a contact goes: for a contact found in
    /// the directory (`account`, the identity key kept for it), the devices
    /// its account lists now; else `card`. Exactly one directory request
    /// either way (a stand-in of the same shape for a card contact), so the
    /// host cannot tell the two kinds of contact apart.
    pub async fn recipients(
        &mut self,
        me: PublicKey,
        account: Option<PublicKey>,
        card: &VerifiedCard,
    ) -> Result<Recipients, ClientError> {
        match account {
            Some(identity) => Ok(match self.devices(me, identity).await? {
                Some(a) => Recipients::Account(a),
                None => Recipients::Gone,
            }),
            None => {
                match self.devices(me, me).await {
                    Ok(_) | Err(ClientError::Directory(_)) => {}
                    Err(e) => return Err(e),
                }
                Ok(Recipients::Card(card.clone()))
            }
        }
    }

    /// The current devices of the account whose identity key is
    /// `account` (a contact's), asked as `me`: every record checked against
    /// `account`, the key this client already trusts. None when there is
    /// no such account any more.
    pub async fn devices(
        &mut self,
        me: PublicKey,
        account: PublicKey,
    ) -> Result<Option<Account>, ClientError> {
        let (r, _) = self.run(me, DirectoryOp::Devices { account }).await?;
        match r.status {
            DirectoryStatus::Ok if r.identity == Some(account) => Account::verify(&r).map(Some),
            DirectoryStatus::Ok => Err(ClientError::Protocol(
                "the directory answered with another account than the one asked for",
            )),
            DirectoryStatus::NoUser => Ok(None),
            s => Err(ClientError::Directory(s)),
        }
    }
}
