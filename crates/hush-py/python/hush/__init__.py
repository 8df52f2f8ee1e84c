"""Python client for hush, the oblivious message broker.

Everything runs in the Rust client underneath (``hush._native``): the
attested Noise session, key proofs, end-to-end sealing, the fixed-shape
inbox, and the CLI's identity and contact files, so an identity made with
``hush id new`` works here and back.

>>> import hush
>>> keys = hush.Keystore()                    # $HUSH_HOME, as the CLI
>>> alice = keys.create("alice")
>>> bob_card = hush.Card(text_bob_gave_you)    # `hush id card bob`
>>> c = hush.Client("http://127.0.0.1:7878", [alice], allow_dev=True)
>>> c.send(alice, bob_card, "hi bob")

Errors are typed: every one is a ``HushError``; ``AttestationError`` (the
server's attestation was refused), ``UnreachableError`` (no server could be
reached: retry later) and ``RefusedError`` (the server refused the request)
say which kind. A refusal with a broker status is its own subclass of
``RefusedError`` (``NotFound``, ``AlreadyExists``, ``MailboxFull``,
``StoreFull``, ``TooManyRecipients``, ``InvalidRequest``, ``KeyNotProven``,
``PolicyFull``, ``NoTokens``), and ``e.status`` is its code (docs/PROTOCOL.md section 2).
"""

from ._native import (
    AlreadyExists,
    AttestationError,
    Card,
    Client,
    HushError,
    Identity,
    InvalidRequest,
    KeyNotProven,
    Keystore,
    MailboxFull,
    Message,
    NotFound,
    PolicyFull,
    NoTokens,
    RefusedError,
    StoreFull,
    TooManyRecipients,
    UnreachableError,
)

__all__ = [
    "AlreadyExists",
    "AttestationError",
    "Card",
    "Client",
    "HushError",
    "Identity",
    "InvalidRequest",
    "KeyNotProven",
    "Keystore",
    "MailboxFull",
    "Message",
    "NotFound",
    "PolicyFull",
    "NoTokens",
    "RefusedError",
    "StoreFull",
    "TooManyRecipients",
    "UnreachableError",
]
