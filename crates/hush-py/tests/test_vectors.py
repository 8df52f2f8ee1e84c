"""The test vectors of docs/vectors/, checked twice in Python: by an
implementation written from docs/PROTOCOL.md (hushref.py, which shares no
code with the Rust client) and by the `hush` package where it exposes the
same things (identities, cards, safety numbers). No server is needed."""

import json
import pathlib
import struct

import pytest

import hush
import hushref

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "vectors"


def load(name):
    return json.loads((VECTORS / name).read_text())


def b(hex_text):
    return bytes.fromhex(hex_text)


def test_identities_from_seeds():
    v = load("identity.json")
    for p in v["identities"]:
        seed = b(p["seed"])
        assert hushref.sr25519_public_from_seed(seed).hex() == p["signing_public"]
        assert hushref.encryption_public(seed).hex() == p["encryption_public"]
        assert hush.Identity.from_secret("x", p["seed"]).public_key == p["signing_public"]
    for s in v["status_ids"]:
        got = hushref.status_id(b(s["seed"]), s["kind"], b(s["recipient"]))
        assert got.hex() == s["id"]


def test_sr25519_under_hush_contexts():
    cases = load("sr25519.json")["cases"]
    assert any(not c["valid"] for c in cases) and any(c["valid"] for c in cases)
    for c in cases:
        got = hushref.sr25519_verify(
            b(c["public"]), c["context"].encode(), b(c["message"]), b(c["signature"])
        )
        assert got == c["valid"], c


def test_cards_and_safety_numbers():
    v = load("cards.json")
    for c in v["cards"]:
        if c["valid"]:
            signing, enc = hushref.parse_card(c["card"])
            assert (signing.hex(), enc.hex()) == (c["signing_public"], c["encryption_public"])
            assert hush.Card(c["card"]).public_key == c["signing_public"]
        else:
            with pytest.raises(ValueError):
                hushref.parse_card(c["card"])
            with pytest.raises(hush.HushError):
                hush.Card(c["card"])
    ids = {p["signing_public"]: p["seed"] for p in load("identity.json")["identities"]}
    for p in v["safety_numbers"]:
        assert hushref.safety_number(b(p["a"]), b(p["b"])) == p["digits"]
        me = hush.Identity.from_secret("me", ids[p["a"]])
        card = next(c["card"] for c in v["cards"] if c.get("signing_public") == p["b"])
        assert hush.Card(card).safety_number(me) == p["grouped"]


def test_the_session_byte_for_byte():
    v = load("session.json")
    assert v["protocol"] == "Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s"
    got = hushref.noise_nxhfs(
        b(v["client_ephemeral_secret"]),
        b(v["server_static_secret"]),
        b(v["server_ephemeral_secret"]),
        b(v["client_kem_seed"]),
        b(v["server_kem_m"]),
        b(v["payload"]),
        b(v["prologue"]),
    )
    for k in ["message1", "message2", "handshake_hash", "k1", "k2"]:
        assert got[k].hex() == v[k], k
    static = b(v["server_static_public"])
    assert hushref.x25519_public(b(v["server_static_secret"])) == static
    payload = b(v["payload"])
    assert struct.unpack("<Q", payload[:8])[0] == int(v["epoch"]) == hushref.epoch_of(static)
    # The evidence's report data binds the static key (PROTOCOL section 1).
    name_len = payload[8 + 1]
    report_data = payload[8 + 2 + name_len + 48:][:64]
    import hashlib

    assert report_data == hashlib.blake2b(b"hush.attest.noise-static-key.v1" + static).digest()
    for f in v["frames"]:
        key = got[f["key"]]
        assert hushref.seal_frame(key, f["nonce"], b(f["plaintext"])).hex() == f["frame"], f["what"]
    # The key proofs sign the handshake hash under hush.key-proof.v1.
    for p in v["key_proofs"]:
        plain = b(p["plaintext"])
        count = plain[0]
        valid = all(
            hushref.sr25519_verify(
                plain[1 + 96 * i:33 + 96 * i], b"hush.key-proof.v1", got["handshake_hash"],
                plain[33 + 96 * i:97 + 96 * i],
            )
            for i in range(count)
        )
        assert valid == (p["status"] == 0), p


def test_envelopes_open_or_not():
    for c in load("envelopes.json")["cases"]:
        args = [b(c[k]) for k in ["recipient_seed", "message_id", "sender", "recipient", "payload"]]
        if c["opens"]:
            kind, content = hushref.open_envelope(*args)
            assert (kind, content.hex()) == (c["kind"], c["content"])
        else:
            with pytest.raises(ValueError):
                hushref.open_envelope(*args)


def test_the_reference_is_not_vacuous():
    """A flipped bit anywhere fails the checks above."""
    v = load("session.json")
    payload = bytearray(b(v["payload"]))
    payload[-1] ^= 1
    got = hushref.noise_nxhfs(
        b(v["client_ephemeral_secret"]), b(v["server_static_secret"]),
        b(v["server_ephemeral_secret"]), b(v["client_kem_seed"]), b(v["server_kem_m"]),
        bytes(payload),
    )
    assert got["message2"].hex() != v["message2"]
    # Another KEM secret (other encapsulation randomness) changes the keys:
    # the session depends on ML-KEM, not on X25519 alone.
    m = bytearray(b(v["server_kem_m"]))
    m[0] ^= 1
    got = hushref.noise_nxhfs(
        b(v["client_ephemeral_secret"]), b(v["server_static_secret"]),
        b(v["server_ephemeral_secret"]), b(v["client_kem_seed"]), bytes(m), b(v["payload"]),
    )
    assert got["k1"].hex() != v["k1"] and got["k2"].hex() != v["k2"]
    c = load("sr25519.json")["cases"][0]
    sig = bytearray(b(c["signature"]))
    sig[5] ^= 1
    assert not hushref.sr25519_verify(b(c["public"]), c["context"].encode(), b(c["message"]),
                                      bytes(sig))
    e = load("envelopes.json")["cases"][0]
    payload = bytearray(b(e["payload"]))
    payload[500] ^= 1
    with pytest.raises(ValueError):
        hushref.open_envelope(b(e["recipient_seed"]), b(e["message_id"]), b(e["sender"]),
                              b(e["recipient"]), bytes(payload))
