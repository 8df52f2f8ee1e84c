"""The `hush` Python package against a real hushd on loopback, and with the
hush CLI on the same identity folder. Run by scripts/python-test.sh, which
builds the package, hushd and the CLI, and sets HUSHD and HUSH_CLI."""

import base64
import json
import os
import pathlib
import subprocess

import pytest

import hush


@pytest.fixture(scope="module")
def hushd(tmp_path_factory):
    """A hushd: its gRPC URL and its plain-TCP transport's address."""
    work = tmp_path_factory.mktemp("hushd")
    proc = subprocess.Popen(
        [os.environ["HUSHD"], "--listen", "127.0.0.1:0", "--metrics-listen", "off",
         "--tcp-listen", "127.0.0.1:0",
         "--capacity", "1024", "--blob-dir", str(work / "blobs"),
         "--verification-file", str(work / "codes.txt")],
        stdout=subprocess.PIPE, text=True)
    url = tcp = None
    for line in proc.stdout:
        if line.startswith("hushd: oblivious message broker listening on "):
            url = line.rsplit(" ", 1)[1].strip()
        if line.startswith("hushd: broker query stream over TCP on "):
            tcp = line.rsplit(" ", 1)[1].strip()
        if line.startswith("Try it"):
            break
    assert url and tcp, "hushd printed its addresses"
    yield url, tcp, work / "codes.txt"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(hushd):
    return hushd[0]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HUSH_HOME", str(tmp_path))
    return tmp_path


def cli(url, *args, home=None):
    env = {**os.environ, "HUSH_ALLOW_DEV_ATTESTATION": "1"}
    if home is not None:
        env["HUSH_HOME"] = str(home)
    out = subprocess.run(
        [os.environ["HUSH_CLI"], "--server", url, *args],
        capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def sign_up(url, codes, name, email, home=None):
    """`name` registers `email` with the CLI and verifies it with the code
    hushd wrote to its codes file."""
    cli(url, "account", "register", "--as", name, "--email", email, home=home)
    import time
    for _ in range(200):
        lines = [l for l in codes.read_text().splitlines() if l.startswith(email + " ")] \
            if codes.exists() else []
        if lines:
            break
        time.sleep(0.1)
    code = lines[-1].split()[-1]
    cli(url, "account", "verify", "--as", name, code, home=home)


def test_alice_sends_bob_reads_and_deletes(server, home):
    keys = hush.Keystore()
    alice, bob = keys.create("alice"), keys.create("bob")
    assert sorted(keys.names()) == ["alice", "bob"]
    sender = hush.Client(server, [alice], allow_dev=True)
    assert sender.attestation.startswith("dev")
    assert sender.channel == "Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s"
    sent = sender.send(alice, bob.card(), "hello bob")
    sender.send(alice, bob.card(), b"\x00\x01binary\xff")

    reader = hush.Client(server, [bob], allow_dev=True)
    inbox = reader.inbox(bob)
    assert [m.content for m in inbox] == [b"hello bob", b"\x00\x01binary\xff"]
    assert inbox[0].id == sent and inbox[0].author == alice.public_key
    assert inbox[0].text == "hello bob" and inbox[0].kind == "text"
    assert reader.read(bob, sent).text == "hello bob"

    reader.delete(bob, sent)
    assert [m.content for m in reader.inbox(bob)] == [b"\x00\x01binary\xff"]
    with pytest.raises(hush.HushError, match="not found"):
        reader.read(bob, sent)


def test_a_retry_with_the_same_id_stores_one_copy(server, home):
    keys = hush.Keystore()
    alice, bob = keys.create("alice"), keys.create("bob")
    c = hush.Client(server, [alice, bob], allow_dev=True)
    first = c.send(alice, bob.card(), "once")
    with pytest.raises(hush.HushError, match="already exists"):
        c.send(alice, bob.card(), "once", id=first)
    assert len(c.inbox(bob)) == 1


def test_identities_and_contacts_are_the_clis(server, home):
    # Made by the CLI, used from Python.
    cli(server, "id", "new", "carol")
    listed = json.loads(cli(server, "id", "list", "--json"))
    carol = hush.Keystore().load("carol")
    assert [i["public_key"] for i in listed if i["name"] == "carol"] == [carol.public_key]

    # Made in Python, used by the CLI: dave writes to carol.
    keys = hush.Keystore()
    dave = keys.create("dave")
    card = hush.Card(cli(server, "id", "card", "carol").strip())
    keys.add_contact("carol-card", card)
    assert keys.contact("carol-card").public_key == carol.public_key
    c = hush.Client(server, [dave], allow_dev=True)
    c.send(dave, keys.contact("carol-card"), "from python")
    inbox = json.loads(cli(server, "inbox", "--as", "carol", "--json"))
    assert [m["text"] for m in inbox] == ["from python"]

    cli(server, "send", "--as", "carol", "--to", "dave", "from the cli")
    # The CLI sent dave a read receipt for "from python" too.
    texts = [m.text for m in c.inbox(dave) if m.kind == "text"]
    assert texts == ["from the cli"]


def test_bad_input_is_refused_with_a_reason(server, home):
    alice = hush.Identity.generate("alice")
    with pytest.raises(hush.HushError, match="dev"):
        hush.Client(server, [alice])
    with pytest.raises(hush.HushError, match="card"):
        hush.Card("hush-card-v1:garbage")
    with pytest.raises(hush.HushError, match="64 hex digits"):
        hush.Identity.from_secret("x", "abcd")
    with pytest.raises(hush.HushError, match="no identity named"):
        hush.Keystore().load("nobody")
    with pytest.raises(hush.HushError, match="at most 4"):
        hush.Client(server, [alice] * 5, allow_dev=True)
    with pytest.raises(hush.HushError, match="cannot reach"):
        hush.Client("http://127.0.0.1:1", [alice], allow_dev=True)
    c = hush.Client(server, [alice], allow_dev=True)
    with pytest.raises(hush.HushError):
        c.send(alice, alice.card(), "x" * 5000)
    with pytest.raises(TypeError):
        c.send(alice, alice.card(), 42)


def test_the_readme_example_delivers_a_message(server, home):
    example = os.path.join(os.path.dirname(__file__), "../../../examples/python/hello.py")
    out = subprocess.run(
        [os.environ.get("PYTHON", "python"), example], capture_output=True, text=True,
        env={**os.environ, "HUSH_SERVER": server})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("bob got 'hello bob, from Python' from "), out.stdout


def test_broker_requests_can_go_over_plain_tcp(hushd, home):
    url, tcp, _ = hushd
    keys = hush.Keystore()
    alice, bob = keys.create("alice"), keys.create("bob")
    hush.Client(url, [alice], allow_dev=True, tcp=tcp).send(alice, bob.card(), "over tcp")
    reader = hush.Client(url, [bob], allow_dev=True, tcp=tcp)
    assert [m.text for m in reader.inbox(bob)] == ["over tcp"]
    with pytest.raises(hush.HushError, match="tcp://127.0.0.1:1"):
        hush.Client(url, [bob], allow_dev=True, tcp="127.0.0.1:1").inbox(bob)


def test_errors_are_typed_with_their_status(server, home):
    keys = hush.Keystore()
    alice, bob = keys.create("alice"), keys.create("bob")
    # Refused by the server: a subclass per status, with the code.
    c = hush.Client(server, [alice, bob], allow_dev=True)
    sent = c.send(alice, bob.card(), "once")
    with pytest.raises(hush.AlreadyExists) as e:
        c.send(alice, bob.card(), "once", id=sent)
    assert isinstance(e.value, hush.RefusedError) and isinstance(e.value, hush.HushError)
    assert e.value.status == 2
    c.delete(bob, sent)
    with pytest.raises(hush.NotFound) as e:
        c.read(bob, sent)
    assert e.value.status == 1 and "not found" in str(e.value)
    # The attestation: refused without permission for dev evidence.
    with pytest.raises(hush.AttestationError) as e:
        hush.Client(server, [alice])
    assert not isinstance(e.value, hush.RefusedError)
    # Nothing listens there.
    with pytest.raises(hush.UnreachableError):
        hush.Client("http://127.0.0.1:1", [alice], allow_dev=True)
    # Local mistakes stay plain HushErrors.
    with pytest.raises(hush.HushError) as e:
        hush.Keystore().load("nobody")
    assert type(e.value) is hush.HushError


def test_send_reaches_every_device_of_a_contact(hushd, home, tmp_path_factory):
    """A contact found in the directory gets the message on every device its
    account lists at the time of the send, as the CLI's sends do."""
    url, _, codes = hushd
    alices = tmp_path_factory.mktemp("alices-home")
    cli(url, "id", "new", "alice", home=alices)
    sign_up(url, codes, "alice", "alice.py@example.org", home=alices)
    cli(url, "device", "add", "--as", "alice", "alice-phone", home=alices)
    keys = hush.Keystore()
    bob = keys.create("bob")
    sign_up(url, codes, "bob", "bob.py@example.org")
    cli(url, "contact", "add", "alice", "--email", "alice.py@example.org", "--as", "bob")
    card = keys.contact("alice")
    assert card.account == card.public_key, "found in the directory"
    assert hush.Card(card.text).account is None, "a card alone"
    client = hush.Client(url, [bob], allow_dev=True)
    client.send(bob, card, "to both of alice's devices")
    for device in ["alice", "alice-phone"]:
        inbox = json.loads(cli(url, "--json", "inbox", "--as", device, home=alices))
        assert [m["text"] for m in inbox] == ["to both of alice's devices"], device
    # Unlinked: the phone gets nothing more.
    cli(url, "device", "remove", "--as", "alice", "alice-phone", home=alices)
    client.send(bob, card, "only to alice")
    texts = lambda d: [m["text"] for m in json.loads(cli(url, "--json", "inbox", "--as", d, home=alices))]
    assert texts("alice") == ["to both of alice's devices", "only to alice"]
    assert texts("alice-phone") == ["to both of alice's devices"]
    # Closed: refused with a reason, nothing sent.
    cli(url, "account", "unregister", "--as", "alice", "--yes", home=alices)
    with pytest.raises(hush.RefusedError, match="closed"):
        client.send(bob, card, "anyone there?")


def start_hushd(work, *args):
    """A hushd of its own with `args`: its process and gRPC URL."""
    proc = subprocess.Popen(
        [os.environ["HUSHD"], "--listen", "127.0.0.1:0", "--metrics-listen", "off",
         "--capacity", "1024", "--blob-dir", str(work / "blobs"), *args],
        stdout=subprocess.PIPE, text=True)
    url = None
    for line in proc.stdout:
        if line.startswith("hushd: oblivious message broker listening on "):
            url = line.rsplit(" ", 1)[1].strip()
        if line.startswith("Try it"):
            break
    assert url, "hushd printed its address"
    return proc, url


def test_a_verified_account_gets_tokens_from_the_directory(tmp_path_factory, home):
    """A hushd that requires tokens and whose directory issues them (8 a
    day per verified account, one write a token): an identity without an
    account is told how to get tokens; once its account is verified, its
    writes fetch a batch by themselves, blindly, and the day's limit is
    named when it is reached."""
    work = tmp_path_factory.mktemp("directory-tokens")
    codes = work / "codes.txt"
    proc, url = start_hushd(work, "--verification-file", str(codes), "--require-tokens",
                            "--directory-tokens-per-day", "8", "--credits-per-token", "1")
    try:
        keys = hush.Keystore()
        alice, bob = keys.create("alice"), keys.create("bob")
        c = hush.Client(url, [alice], allow_dev=True)
        with pytest.raises(hush.NoTokens) as e:
            c.send(alice, bob.card(), "no account yet")
        assert "verified account" in str(e.value)
        sign_up(url, codes, "alice", "alice@example.org", home=home)
        c = hush.Client(url, [alice], allow_dev=True)
        c.send(alice, bob.card(), "paid by the directory")
        assert c.tokens_left == 3, "the rest of the batch stays in the stock"
        assert c.fetch_tokens() == 4
        with pytest.raises(hush.NoTokens) as e:
            c.fetch_tokens()
        assert "no tokens left today; the limit is 8" in str(e.value)
        for i in range(7):
            c.send(alice, bob.card(), f"m{i}")
        with pytest.raises(hush.NoTokens):
            c.send(alice, bob.card(), "one too many")
        r = hush.Client(url, [bob], allow_dev=True)
        assert len(r.inbox(bob)) == 8
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tokens_are_spent_by_themselves(tmp_path_factory, home):
    """A hushd that requires Privacy Pass tokens (from the issuer of the
    committed Cloudflare fixture, one write a token): writes redeem the
    client's tokens by themselves, and an empty stock raises NoTokens."""
    root = pathlib.Path(__file__).resolve().parents[3]
    fixture = root / "crates/hush-enclave/tests/data/privacypass/cloudflare-tokens.json"
    data = json.loads(fixture.read_text())
    work = tmp_path_factory.mktemp("tokens")
    (work / "issuer.der").write_bytes(base64.b64decode(data["public_key"]))
    proc, url = start_hushd(work, "--require-tokens", "--token-issuer-name", data["issuer_name"],
                            "--token-issuer-keys", str(work / "issuer.der"),
                            "--credits-per-token", "1")
    try:
        keys = hush.Keystore()
        alice, bob = keys.create("alice"), keys.create("bob")
        c = hush.Client(url, [alice, bob], allow_dev=True)
        with pytest.raises(hush.NoTokens) as e:
            c.send(alice, bob.card(), "no token")
        assert "no tokens left" in str(e.value) and e.value.status == 9
        with pytest.raises(ValueError):
            c.add_tokens(["not a token"])
        assert c.tokens_left == 0
        assert c.add_tokens(data["tokens"][:2]) == 2
        c.send(alice, bob.card(), "paid once")
        assert c.tokens_left == 1
        c.send(alice, bob.card(), "paid twice")
        assert c.tokens_left == 0
        with pytest.raises(hush.NoTokens):
            c.send(alice, bob.card(), "unpaid")
        # Reads need no token.
        assert [m.text for m in c.inbox(bob)] == ["paid once", "paid twice"]
        # A file of tokens, as the CLI keeps it; spent ones are dropped.
        tokens = work / "tokens"
        tokens.write_text("\n".join(data["tokens"][1:3]) + "\n")
        c.use_token_file(str(tokens))
        assert c.tokens_left == 2
        c.send(alice, bob.card(), "from the file")
        assert c.tokens_left == 0, "the spent token and the one redeemed left the file"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

