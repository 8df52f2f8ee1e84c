//! Python bindings of the hush client: the native half of the `hush`
//! package (`python/hush/__init__.py` is the other). Everything is the Rust
//! client underneath: the attested Noise session, key proofs, end-to-end
//! sealing, the fixed-shape inbox, and the CLI's identity and contact files
//! (`$HUSH_HOME`), so an identity made by `hush id new` works here and
//! back. Network calls release the GIL.

use hush_client::directory::Recipients;
use hush_client::e2e::{self, VerifiedCard};
use hush_client::fanout::Copy;
use hush_client::identity::SECRET_LEN;
use hush_client::{Contacts as ContactFiles, Identity as RustIdentity, Keystore as RustKeystore};
use hush_wire::{EnvelopeKind, EnvelopePlaintext, MessageId};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;
use std::sync::Arc;

create_exception!(
    _native,
    HushError,
    PyException,
    "Anything hush refused, with the reason."
);

create_exception!(
    _native,
    AttestationError,
    HushError,
    "The server's attestation was refused by the policy (or it returned a record that does not verify): do not retry blindly."
);
create_exception!(
    _native,
    UnreachableError,
    HushError,
    "No server could be reached or take the request: retry later."
);
create_exception!(
    _native,
    RefusedError,
    HushError,
    "The server answered and refused the request; `status` is the broker's status code (docs/PROTOCOL.md section 2), or None for a refusal without one (a key proof, the directory, the rendezvous)."
);
create_exception!(
    _native,
    NotFound,
    RefusedError,
    "No such message that you may touch (status 1)."
);
create_exception!(
    _native,
    AlreadyExists,
    RefusedError,
    "A message with this id is already there (status 2): a retried send landed."
);
create_exception!(
    _native,
    MailboxFull,
    RefusedError,
    "The recipient's mailbox is full (status 3)."
);
create_exception!(
    _native,
    StoreFull,
    RefusedError,
    "The server's store is full (status 4)."
);
create_exception!(
    _native,
    TooManyRecipients,
    RefusedError,
    "The server tracks as many recipients as it can (status 5)."
);
create_exception!(
    _native,
    InvalidRequest,
    RefusedError,
    "The server found the request malformed (status 6)."
);
create_exception!(
    _native,
    KeyNotProven,
    RefusedError,
    "The request acts as a key this session has not proven (status 7)."
);
create_exception!(
    _native,
    PolicyFull,
    RefusedError,
    "Your mailbox's policy names as many senders as it can (status 8)."
);
create_exception!(
    _native,
    NoTokens,
    RefusedError,
    "The server requires tokens for writes and this session has none left (status 9)."
);

fn err(e: impl std::fmt::Display) -> PyErr {
    HushError::new_err(e.to_string())
}

/// A client error as the exception of its kind, with `status` set on
/// refusals.
fn client_err(py: Python<'_>, e: hush_client::ClientError) -> PyErr {
    use hush_client::ClientError as E;
    use hush_wire::Status;
    let msg = e.to_string();
    let (error, status) = match &e {
        E::Attestation(_) | E::BadDevice(_) | E::BadTokens => {
            (AttestationError::new_err(msg), None)
        }
        E::Unreachable { .. }
        | E::NoLeader { .. }
        | E::TimedOut { .. }
        | E::NoServer(_)
        | E::OtherCluster { .. }
        | E::SessionLost => (UnreachableError::new_err(msg), None),
        E::Status(s) => {
            let error = match s {
                Status::NotFound => NotFound::new_err(msg),
                Status::AlreadyExists => AlreadyExists::new_err(msg),
                Status::MailboxFull => MailboxFull::new_err(msg),
                Status::StoreFull => StoreFull::new_err(msg),
                Status::TooManyRecipients => TooManyRecipients::new_err(msg),
                Status::InvalidRequest => InvalidRequest::new_err(msg),
                Status::KeyNotProven => KeyNotProven::new_err(msg),
                Status::PolicyFull => PolicyFull::new_err(msg),
                Status::NoTokens => NoTokens::new_err(msg),
                Status::Ok => RefusedError::new_err(msg),
            };
            (error, Some(*s as u8))
        }
        // The server answered NO_TOKENS and the stock could not refill it.
        E::NoTokens { .. } | E::NoTokensToday { .. } => {
            (NoTokens::new_err(msg), Some(Status::NoTokens as u8))
        }
        E::KeyProof(_) | E::Rendezvous(_) | E::Directory(_) | E::Rpc(_) | E::Token(_) => {
            (RefusedError::new_err(msg), None)
        }
        _ => (HushError::new_err(msg), None),
    };
    if error.is_instance_of::<RefusedError>(py) {
        // Setting an attribute on a fresh exception cannot fail.
        let _ = error.value(py).setattr("status", status);
    }
    error
}

/// An identity: a named sr25519 key pair, the same as the CLI's.
#[pyclass(module = "hush", frozen)]
#[derive(Clone)]
struct Identity(RustIdentity);

#[pymethods]
impl Identity {
    /// A new random identity (not saved; see Keystore.create).
    #[staticmethod]
    fn generate(name: &str) -> Self {
        Self(RustIdentity::generate(name))
    }

    /// The identity with secret seed `secret_hex` (64 hex digits).
    #[staticmethod]
    fn from_secret(name: &str, secret_hex: &str) -> PyResult<Self> {
        let mut seed = [0u8; SECRET_LEN];
        hex::decode_to_slice(secret_hex.trim(), &mut seed)
            .map_err(|_| err("an identity secret is 64 hex digits"))?;
        Ok(Self(RustIdentity::from_secret(name, seed)))
    }

    /// Its name.
    #[getter]
    fn name(&self) -> String {
        self.0.name().to_owned()
    }

    /// Its public key (hex): its address on the broker.
    #[getter]
    fn public_key(&self) -> String {
        self.0.public().to_hex()
    }

    /// Its contact card, to hand to whoever writes to it.
    fn card(&self) -> Card {
        Card(e2e::card_for(&self.0), None)
    }

    fn __repr__(&self) -> String {
        format!("Identity({:?}, {})", self.0.name(), self.0.public())
    }
}

/// Someone's contact card, its signature checked. A contact found in the
/// directory (by `hush contact add NAME --email ...`) also carries its
/// account's identity key: messages to it go to every device the account
/// lists when they are sent.
#[pyclass(module = "hush", frozen)]
#[derive(Clone)]
struct Card(VerifiedCard, Option<hush_wire::PublicKey>);

#[pymethods]
impl Card {
    /// Parses and checks a card's text (`hush id card NAME` prints one).
    #[new]
    fn new(text: &str) -> PyResult<Self> {
        VerifiedCard::from_text(text.trim())
            .map(|c| Self(c, None))
            .map_err(err)
    }

    /// The identity key of the account this contact was found as in the
    /// directory (hex), or None for a contact known by its card only.
    #[getter]
    fn account(&self) -> Option<String> {
        self.1.map(|k| k.to_hex())
    }

    /// The public key it is for (hex).
    #[getter]
    fn public_key(&self) -> String {
        self.0.signing_key().to_hex()
    }

    /// The card's text.
    #[getter]
    fn text(&self) -> String {
        self.0.to_text()
    }

    /// The safety number of `me` and this card's owner (60 digits in groups
    /// of five), to compare out of band, as `hush contact verify` shows.
    fn safety_number(&self, me: &Identity) -> String {
        e2e::safety_number::grouped(&e2e::safety_number::safety_number(
            &me.0.public(),
            &self.0.signing_key(),
        ))
    }

    fn __repr__(&self) -> String {
        format!("Card({})", self.0.signing_key())
    }
}

/// The CLI's identity folder: `$HUSH_HOME`, else `$XDG_CONFIG_HOME/hush`,
/// else `~/.config/hush`, unless `home` is given.
#[pyclass(module = "hush", frozen)]
struct Keystore {
    home: PathBuf,
    store: RustKeystore,
}

#[pymethods]
impl Keystore {
    /// `passphrase` opens identities protected with `hush id protect`.
    #[new]
    #[pyo3(signature = (home=None, passphrase=None))]
    fn new(home: Option<PathBuf>, passphrase: Option<String>) -> Self {
        let home = home.unwrap_or_else(RustKeystore::default_dir);
        let mut store = RustKeystore::open(&home);
        if let Some(p) = passphrase {
            store = store.with_passphrase_source(Arc::new(move |_| {
                Some(zeroize::Zeroizing::new(p.clone()))
            }));
        }
        Self { home, store }
    }

    /// The folder.
    #[getter]
    fn home(&self) -> PathBuf {
        self.home.clone()
    }

    /// Creates and saves a new identity (as `hush id new NAME`).
    fn create(&self, name: &str) -> PyResult<Identity> {
        self.store.create(name).map(Identity).map_err(err)
    }

    /// Loads identity `name`.
    fn load(&self, name: &str) -> PyResult<Identity> {
        self.store.load(name).map(Identity).map_err(err)
    }

    /// The names of the identities whose files are readable.
    fn names(&self) -> PyResult<Vec<String>> {
        let (good, _bad) = self.store.list_public().map_err(err)?;
        Ok(good.into_iter().map(|i| i.name).collect())
    }

    /// Adds contact `name` with `card` (as `hush contact add`), to
    /// identity `of`'s own contacts (default: as for `contact`).
    #[pyo3(signature = (name, card, *, of=None))]
    fn add_contact(&self, name: &str, card: &Card, of: Option<&str>) -> PyResult<()> {
        self.contacts(of)?.add(name, &card.0).map_err(err)
    }

    /// Contact `name`'s card (with its account, for a contact found in
    /// the directory), as identity `of` sees it: its own contacts, then
    /// those every identity of the home shares. `of` defaults to the
    /// home's only identity (with several, the shared contacts only).
    #[pyo3(signature = (name, *, of=None))]
    fn contact(&self, name: &str, of: Option<&str>) -> PyResult<Card> {
        let files = self.contacts(of)?;
        let card = files.load(name).map_err(err)?.card;
        let account = match files.devices(name).map_err(err)? {
            Some(_) => Some(files.account_identity(name).map_err(err)?),
            None => None,
        };
        Ok(Card(card, account))
    }
}

impl Keystore {
    /// The contacts identity `of` uses, or the home's only identity's, or
    /// the shared ones.
    fn contacts(&self, of: Option<&str>) -> PyResult<ContactFiles> {
        let only = match of {
            Some(name) => Some(name.to_owned()),
            None => {
                let (ids, _) = self.store.list_public().map_err(err)?;
                match &ids[..] {
                    [one] => Some(one.name.clone()),
                    _ => None,
                }
            }
        };
        match only {
            Some(name) => ContactFiles::for_identity(&self.home, &name).map_err(err),
            None => Ok(ContactFiles::open(&self.home)),
        }
    }
}

/// A message, opened end to end.
#[pyclass(module = "hush", frozen)]
struct Message {
    /// Its id (hex).
    #[pyo3(get)]
    id: String,
    /// Who wrote it (hex public key).
    #[pyo3(get)]
    author: String,
    /// Whose mailbox holds it (hex public key).
    #[pyo3(get)]
    recipient: String,
    /// "text", "receipt", ...
    #[pyo3(get)]
    kind: String,
    /// When the broker stored it (seconds since the Unix epoch).
    #[pyo3(get)]
    timestamp: u64,
    content: Vec<u8>,
}

#[pymethods]
impl Message {
    /// The content, as bytes.
    #[getter]
    fn content<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.content)
    }

    /// The content as text (invalid UTF-8 replaced). Print it escaped
    /// (`repr`) if it may hold control characters: anyone can write to you.
    #[getter]
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }

    fn __repr__(&self) -> String {
        format!(
            "Message(id={}, author={}, kind={}, {} bytes)",
            self.id,
            self.author,
            self.kind,
            self.content.len()
        )
    }
}

fn opened(me: &RustIdentity, m: &hush_wire::Message) -> PyResult<Message> {
    let o = e2e::open(me, m).map_err(err)?;
    Ok(Message {
        id: m.id.to_hex(),
        author: o.author.to_hex(),
        recipient: m.recipient.to_hex(),
        kind: o.kind.name().to_owned(),
        timestamp: m.timestamp.0,
        content: o.content,
    })
}

/// An attested session to hushd, acting as the given identities.
#[pyclass(module = "hush")]
struct Client {
    runtime: tokio::runtime::Runtime,
    client: hush_client::Client,
}

impl Client {
    /// Runs `f` on the client with the GIL released.
    fn call<T: Send>(
        &mut self,
        py: Python<'_>,
        f: impl AsyncFnOnce(&mut hush_client::Client) -> Result<T, hush_client::ClientError> + Send,
    ) -> PyResult<T> {
        let Self { runtime, client } = self;
        py.detach(|| runtime.block_on(f(client)))
            .map_err(|e| client_err(py, e))
    }
}

#[pymethods]
impl Client {
    /// Connects to `url` (e.g. "http://127.0.0.1:7878"), checks the
    /// server's attestation, and proves the identities' keys. The policy
    /// is the TOML file `policy` (docs/ATTESTATION.md); `allow_dev=True`
    /// accepts dev attestation instead, which proves nothing (local
    /// development only). `tcp="HOST:PORT"` sends the broker's requests
    /// over the server's plain-TCP transport (hushd --tcp-listen) instead
    /// of gRPC; the session still starts at `url`.
    #[new]
    #[pyo3(signature = (url, identities, *, allow_dev=false, policy=None, tcp=None))]
    fn new(
        py: Python<'_>,
        url: &str,
        identities: Vec<Identity>,
        allow_dev: bool,
        policy: Option<PathBuf>,
        tcp: Option<String>,
    ) -> PyResult<Self> {
        let policy = match (policy, allow_dev) {
            (Some(path), _) => hush_attest::Policy::load(&path).map_err(err)?,
            (None, true) => hush_attest::Policy::dev(),
            (None, false) => hush_attest::Policy::default(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(err)?;
        let keypairs = identities.iter().map(|i| i.0.keypair()).collect();
        let url = url.to_owned();
        let mut client = py
            .detach(|| runtime.block_on(hush_client::Client::connect(&url, policy, keypairs)))
            .map_err(|e| client_err(py, e))?;
        if let Some(addr) = tcp {
            client.use_tcp(&addr).map_err(err)?;
        }
        Ok(Self { runtime, client })
    }

    /// What the server's attestation established.
    #[getter]
    fn attestation(&self) -> String {
        match self.client.session().attestation() {
            hush_attest::Verified::Dev => "dev (proves nothing)".into(),
            hush_attest::Verified::Hardware(c) => format!("{} hardware", c.tee.name()),
        }
    }

    /// The enclave's epoch, new at every start of the enclave.
    #[getter]
    fn epoch(&self) -> u64 {
        self.client.session().epoch()
    }

    /// The Noise protocol the session ran: hybrid post-quantum, X25519
    /// and ML-KEM-768 (its keys need both).
    #[getter]
    fn channel(&self) -> &'static str {
        self.client.session().protocol()
    }

    /// Adds Privacy Pass tokens (base64 strings: RFC 9578 type 2 from the
    /// operator's issuer, or type 5 from the directory) to this client's
    /// stock. On a server that requires
    /// tokens, a write that has no credit redeems one of them by itself
    /// and goes again; returns the stock's size. A string that is not a
    /// token raises ValueError and adds nothing.
    fn add_tokens(&mut self, tokens: Vec<String>) -> PyResult<usize> {
        let parsed = hush_client::tokens::parse_tokens(&tokens.join("\n"))
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        self.client.add_tokens(parsed);
        Ok(self.client.tokens_left())
    }

    /// Takes tokens from `path` (one base64 token per line, as `hush
    /// tokens add` keeps them in $HUSH_HOME/tokens) when the stock in
    /// memory is empty; a token is removed from the file as it is taken.
    fn use_token_file(&mut self, path: PathBuf) {
        self.client
            .use_token_file(hush_client::tokens::TokenFile::at(path));
    }

    /// Fetches the next batch of the day's tokens (4) from the server's
    /// directory, for the verified account of one of this client's
    /// identities, into the stock; returns how many came. Writes do it by
    /// themselves when the stock runs out. Raises NoTokens when the day's
    /// are used up or no identity has a verified account.
    fn fetch_tokens(&mut self, py: Python<'_>) -> PyResult<usize> {
        self.call(py, async move |c| c.fetch_directory_tokens().await)
    }

    /// Tokens left in the stock (memory and file).
    #[getter]
    fn tokens_left(&self) -> usize {
        self.client.tokens_left()
    }

    /// Seals `content` (str or bytes) end to end for `to` and stores it,
    /// from `me`. Returns the message id (hex). `id` (hex) makes a retry
    /// safe: sending the same id again does not store a second copy. A
    /// contact found in the directory gets a copy on every device its
    /// account lists now (asked of the directory at each send, as the CLI
    /// does); the request shape does not tell the two kinds apart.
    #[pyo3(signature = (me, to, content, *, id=None))]
    fn send(
        &mut self,
        py: Python<'_>,
        me: &Identity,
        to: &Card,
        content: &Bound<'_, PyAny>,
        id: Option<&str>,
    ) -> PyResult<String> {
        let bytes: Vec<u8> = if let Ok(s) = content.extract::<String>() {
            s.into_bytes()
        } else {
            content.extract::<Vec<u8>>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err("content must be str or bytes")
            })?
        };
        let plaintext = EnvelopePlaintext::new(EnvelopeKind::Text, &bytes).map_err(err)?;
        let id = match id {
            Some(hex) => MessageId::from_hex(hex).map_err(err)?,
            None => hush_client::new_message_id(),
        };
        let (me, card, account) = (me.0.clone(), to.0.clone(), to.1);
        self.call(py, async move |c| {
            let cards = match c
                .directory()
                .recipients(me.public(), account, &card)
                .await?
            {
                Recipients::Card(card) => vec![card],
                Recipients::Account(a) => a.devices.iter().map(|d| d.card().clone()).collect(),
                // The contact's account was closed: nothing is sent.
                Recipients::Gone => {
                    return Err(hush_client::ClientError::Directory(
                        hush_wire::directory::DirectoryStatus::Closed,
                    ));
                }
            };
            if let [one] = &cards[..] {
                return c.send(&me, one, id, &plaintext).await;
            }
            let copies: Vec<Copy> = cards
                .iter()
                .map(|to| Copy {
                    to,
                    plaintext: plaintext.clone(),
                })
                .collect();
            c.send_copies(&me, id, &copies).await?.first_error()
        })?;
        Ok(id.to_hex())
    }

    /// Every message in `me`'s mailbox, oldest first, opened. Always one
    /// list and 62 reads, however many there are, so the host cannot count
    /// them.
    fn inbox(&mut self, py: Python<'_>, me: &Identity) -> PyResult<Vec<Message>> {
        let owner = me.0.public();
        let messages = self.call(py, async move |c| c.inbox(owner).await)?;
        messages.iter().map(|m| opened(&me.0, m)).collect()
    }

    /// Reads message `id` (hex) of `me`'s mailbox.
    fn read(&mut self, py: Python<'_>, me: &Identity, id: &str) -> PyResult<Message> {
        let id = MessageId::from_hex(id).map_err(err)?;
        let owner = me.0.public();
        let read = self.call(py, async move |c| c.read(owner, id).await)?;
        opened(&me.0, &read.message)
    }

    /// Deletes message `id` (hex) of `me`'s mailbox, or, as its sender,
    /// one `me` sent to `recipient` (a Card).
    #[pyo3(signature = (me, id, *, recipient=None))]
    fn delete(
        &mut self,
        py: Python<'_>,
        me: &Identity,
        id: &str,
        recipient: Option<&Card>,
    ) -> PyResult<()> {
        let id = MessageId::from_hex(id).map_err(err)?;
        let acting_as = me.0.public();
        let mailbox = recipient.map_or(acting_as, |c| c.0.signing_key());
        self.call(py, async move |c| c.delete(acting_as, id, mailbox).await)
    }
}

/// The native module, re-exported by `hush/__init__.py`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Identity>()?;
    m.add_class::<Card>()?;
    m.add_class::<Keystore>()?;
    m.add_class::<Message>()?;
    m.add_class::<Client>()?;
    let py = m.py();
    m.add("HushError", py.get_type::<HushError>())?;
    m.add("AttestationError", py.get_type::<AttestationError>())?;
    m.add("UnreachableError", py.get_type::<UnreachableError>())?;
    m.add("RefusedError", py.get_type::<RefusedError>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("AlreadyExists", py.get_type::<AlreadyExists>())?;
    m.add("MailboxFull", py.get_type::<MailboxFull>())?;
    m.add("StoreFull", py.get_type::<StoreFull>())?;
    m.add("TooManyRecipients", py.get_type::<TooManyRecipients>())?;
    m.add("InvalidRequest", py.get_type::<InvalidRequest>())?;
    m.add("KeyNotProven", py.get_type::<KeyNotProven>())?;
    m.add("PolicyFull", py.get_type::<PolicyFull>())?;
    m.add("NoTokens", py.get_type::<NoTokens>())?;
    Ok(())
}
