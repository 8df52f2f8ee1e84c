"""alice writes to bob through a local hushd, from Python.

    pip install ./crates/hush-py          # once, in a virtualenv
    python examples/python/hello.py       # hushd running on 127.0.0.1:7878

HUSH_SERVER names another broker. The identities here are throwaway ones;
hush.Keystore() opens the CLI's (`hush id new alice`) instead.
"""

import os

import hush

server = os.environ.get("HUSH_SERVER", "http://127.0.0.1:7878")
alice = hush.Identity.generate("alice")
bob = hush.Identity.generate("bob")

# A local hushd runs with dev attestation, which proves nothing: accepted
# here only because allow_dev says so.
with_alice = hush.Client(server, [alice], allow_dev=True)
with_alice.send(alice, bob.card(), "hello bob, from Python")

with_bob = hush.Client(server, [bob], allow_dev=True)
for message in with_bob.inbox(bob):
    print(f"bob got {message.text!r} from {message.author[:16]}...")
