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
"""

from ._native import Card, Client, HushError, Identity, Keystore, Message

__all__ = ["Card", "Client", "HushError", "Identity", "Keystore", "Message"]
