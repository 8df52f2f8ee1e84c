"""A second implementation of hush's client cryptography, written from
docs/PROTOCOL.md alone, to check the test vectors in docs/vectors/
against code that shares nothing with the Rust client.

Primitives come from elsewhere: X25519, ChaCha20-Poly1305, HMAC and
ML-KEM-768 from `cryptography` and the standard library (and ML-KEM's
deterministic encapsulation, which `cryptography` does not expose, from
kyber-py); ristretto255 from libsodium (through ctypes). What hush builds
on them is here: the hybrid Noise NXhfs handshake, sealed frames, HPKE auth mode (RFC 9180), merlin transcripts
over STROBE-128 and sr25519 verification, identity keys, cards, safety
numbers, status ids and epochs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# ------------------------------------------------------------------ X25519


def x25519_public(secret: bytes) -> bytes:
    return (
        X25519PrivateKey.from_private_bytes(secret)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def x25519(secret: bytes, public: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(secret).exchange(
        X25519PublicKey.from_public_bytes(public)
    )


def chacha_nonce(n: int) -> bytes:
    """Noise's ChaChaPoly nonce: 4 zero bytes, then n as u64 LE."""
    return b"\0" * 4 + struct.pack("<Q", n)


# ------------------------------------------------------------- ML-KEM-768


def mlkem_public(seed: bytes) -> bytes:
    """The encapsulation key of ML-KEM-768's KeyGen_internal(d, z), seed = d || z."""
    return mlkem.MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()


def mlkem_encapsulate(public: bytes, m: bytes) -> tuple[bytes, bytes]:
    """Encaps_internal(ek, m): (ciphertext, shared secret)."""
    from kyber_py.ml_kem import ML_KEM_768

    secret, ciphertext = ML_KEM_768._encaps_internal(public, m)
    return ciphertext, secret


def mlkem_decapsulate(seed: bytes, ciphertext: bytes) -> bytes:
    return mlkem.MLKEM768PrivateKey.from_seed_bytes(seed).decapsulate(ciphertext)


# ---------------------------------------------------- Noise NXhfs (BLAKE2s)

HASHLEN = 32


def _blake2s(data: bytes) -> bytes:
    return hashlib.blake2s(data).digest()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.blake2s).digest()


def _hkdf2(ck: bytes, ikm: bytes) -> tuple[bytes, bytes]:
    temp = _hmac(ck, ikm)
    out1 = _hmac(temp, b"\x01")
    out2 = _hmac(temp, out1 + b"\x02")
    return out1, out2


class _Symmetric:
    def __init__(self, name: bytes):
        self.h = name.ljust(HASHLEN, b"\0") if len(name) <= HASHLEN else _blake2s(name)
        self.ck = self.h
        self.k: bytes | None = None
        self.n = 0

    def mix_hash(self, data: bytes) -> None:
        self.h = _blake2s(self.h + data)

    def mix_key(self, ikm: bytes) -> None:
        self.ck, k = _hkdf2(self.ck, ikm)
        self.k, self.n = k, 0

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        if self.k is None:
            out = plaintext
        else:
            out = ChaCha20Poly1305(self.k).encrypt(chacha_nonce(self.n), plaintext, self.h)
            self.n += 1
        self.mix_hash(out)
        return out

    def split(self) -> tuple[bytes, bytes]:
        return _hkdf2(self.ck, b"")


def noise_nxhfs(
    client_ephemeral: bytes,
    server_static: bytes,
    server_ephemeral: bytes,
    client_kem_seed: bytes,
    server_kem_m: bytes,
    payload: bytes,
    prologue: bytes = b"",
) -> dict:
    """Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s, both sides, with the
    given keys and KEM randomness. Returns the two messages, the handshake
    hash and Split()'s keys."""
    name = b"Noise_NXhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s"
    s = _Symmetric(name)
    s.mix_hash(prologue)
    # -> e, e1 (no key yet: both in the clear, both hashed)
    ce = x25519_public(client_ephemeral)
    s.mix_hash(ce)
    ce1 = mlkem_public(client_kem_seed)
    m1 = ce + s.encrypt_and_hash(ce1)
    m1 += s.encrypt_and_hash(b"")
    # <- e, ee, ekem1, s, es
    se = x25519_public(server_ephemeral)
    s.mix_hash(se)
    s.mix_key(x25519(server_ephemeral, ce))
    ciphertext, secret = mlkem_encapsulate(ce1, server_kem_m)
    # The client's side of ekem1 agrees (decapsulation, in `cryptography`).
    assert mlkem_decapsulate(client_kem_seed, ciphertext) == secret
    m2 = se + s.encrypt_and_hash(ciphertext)
    s.mix_key(secret)
    m2 += s.encrypt_and_hash(x25519_public(server_static))
    s.mix_key(x25519(server_static, ce))
    m2 += s.encrypt_and_hash(payload)
    k1, k2 = s.split()
    return {"message1": m1, "message2": m2, "handshake_hash": s.h, "k1": k1, "k2": k2}


def seal_frame(key: bytes, nonce: int, plaintext: bytes) -> bytes:
    """A sealed frame: nonce u64 LE | ChaCha20-Poly1305, no associated data."""
    return struct.pack("<Q", nonce) + ChaCha20Poly1305(key).encrypt(
        chacha_nonce(nonce), plaintext, None
    )


# ----------------------------------------------------- keccak, STROBE, merlin

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROT = [
    [0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56], [27, 20, 39, 8, 14],
]
_M = (1 << 64) - 1


def _rol(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _M if n else v


def keccak_f1600(state: bytearray) -> None:
    a = [[int.from_bytes(state[8 * (x + 5 * y):8 * (x + 5 * y) + 8], "little")
          for y in range(5)] for x in range(5)]
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= rc
    for x in range(5):
        for y in range(5):
            state[8 * (x + 5 * y):8 * (x + 5 * y) + 8] = a[x][y].to_bytes(8, "little")


_FLAG_I, _FLAG_A, _FLAG_C, _FLAG_M, _FLAG_K = 1, 2, 4, 16, 32
_R = 166  # STROBE-128's rate, less two bytes


class _Strobe128:
    """The subset of STROBE-128 that merlin uses."""

    def __init__(self, label: bytes):
        self.st = bytearray(200)
        self.st[0:6] = bytes([1, _R + 2, 1, 0, 1, 96])
        self.st[6:18] = b"STROBEv1.0.2"
        keccak_f1600(self.st)
        self.pos = self.pos_begin = self.cur_flags = 0
        self.meta_ad(label, False)

    def _run_f(self) -> None:
        self.st[self.pos] ^= self.pos_begin
        self.st[self.pos + 1] ^= 0x04
        self.st[_R + 1] ^= 0x80
        keccak_f1600(self.st)
        self.pos = self.pos_begin = 0

    def _absorb(self, data: bytes) -> None:
        for b in data:
            self.st[self.pos] ^= b
            self.pos += 1
            if self.pos == _R:
                self._run_f()

    def _squeeze(self, n: int) -> bytes:
        out = bytearray()
        for _ in range(n):
            out.append(self.st[self.pos])
            self.st[self.pos] = 0
            self.pos += 1
            if self.pos == _R:
                self._run_f()
        return bytes(out)

    def _begin_op(self, flags: int, more: bool) -> None:
        if more:
            assert self.cur_flags == flags
            return
        old = self.pos_begin
        self.pos_begin = self.pos + 1
        self.cur_flags = flags
        self._absorb(bytes([old, flags]))
        if flags & (_FLAG_C | _FLAG_K) and self.pos != 0:
            self._run_f()

    def meta_ad(self, data: bytes, more: bool) -> None:
        self._begin_op(_FLAG_M | _FLAG_A, more)
        self._absorb(data)

    def ad(self, data: bytes, more: bool) -> None:
        self._begin_op(_FLAG_A, more)
        self._absorb(data)

    def prf(self, n: int, more: bool) -> bytes:
        self._begin_op(_FLAG_I | _FLAG_A | _FLAG_C, more)
        return self._squeeze(n)


class Transcript:
    """A merlin transcript."""

    def __init__(self, label: bytes):
        self.s = _Strobe128(b"Merlin v1.0")
        self.append_message(b"dom-sep", label)

    def append_message(self, label: bytes, message: bytes) -> None:
        self.s.meta_ad(label, False)
        self.s.meta_ad(struct.pack("<I", len(message)), True)
        self.s.ad(message, False)

    def challenge_bytes(self, label: bytes, n: int) -> bytes:
        self.s.meta_ad(label, False)
        self.s.meta_ad(struct.pack("<I", n), True)
        return self.s.prf(n, False)


# ------------------------------------------------- ristretto255 (libsodium)

_L = 2**252 + 27742317777372353535851937790883648493


def _sodium():
    path = ctypes.util.find_library("sodium") or "libsodium.so.23"
    lib = ctypes.CDLL(path)
    if lib.sodium_init() < 0:
        raise RuntimeError("libsodium failed to start")
    return lib


_lib = _sodium()


def _point_op(fn, *args: bytes) -> bytes | None:
    out = ctypes.create_string_buffer(32)
    return out.raw if fn(out, *args) == 0 else None


def ristretto_base_mul(scalar: int) -> bytes:
    return _point_op(_lib.crypto_scalarmult_ristretto255_base, scalar.to_bytes(32, "little"))


def ristretto_mul(scalar: int, point: bytes) -> bytes | None:
    return _point_op(_lib.crypto_scalarmult_ristretto255, scalar.to_bytes(32, "little"), point)


def ristretto_valid(point: bytes) -> bool:
    return _lib.crypto_core_ristretto255_is_valid_point(point) == 1


def ristretto_sub(p: bytes, q: bytes) -> bytes | None:
    return _point_op(_lib.crypto_core_ristretto255_sub, p, q)


# ----------------------------------------------------------------- sr25519


def sr25519_public_from_seed(seed: bytes) -> bytes:
    """schnorrkel MiniSecretKey::expand(ExpansionMode::Ed25519): SHA-512 of
    the seed; its first half clamped as in Ed25519 and divided by the
    cofactor 8 is the secret scalar."""
    b = bytearray(hashlib.sha512(seed).digest()[:32])
    b[0] &= 248
    b[31] &= 63
    b[31] |= 64
    return ristretto_base_mul(int.from_bytes(b, "little") >> 3)


def sr25519_verify(public: bytes, context: bytes, message: bytes, signature: bytes) -> bool:
    """schnorrkel verify_simple(context, message, signature)."""
    if len(signature) != 64 or not signature[63] & 0x80:
        return False  # not marked as a schnorrkel signature
    r = signature[:32]
    s = int.from_bytes(signature[32:63] + bytes([signature[63] & 0x7F]), "little")
    if s >= _L or not ristretto_valid(public) or not ristretto_valid(r):
        return False
    t = Transcript(b"SigningContext")
    t.append_message(b"", context)
    t.append_message(b"sign-bytes", message)
    t.append_message(b"proto-name", b"Schnorr-sig")
    t.append_message(b"sign:pk", public)
    t.append_message(b"sign:R", r)
    k = int.from_bytes(t.challenge_bytes(b"sign:c", 64), "little") % _L
    # R == s*B - k*A
    sb = ristretto_base_mul(s) if s else None
    ka = ristretto_mul(k, public) if k else None
    if sb is None or ka is None:
        return False
    return ristretto_sub(sb, ka) == r


# --------------------------------------------------------- HPKE (RFC 9180)

_KEM_ID, _KDF_ID, _AEAD_ID = 0x0020, 0x0001, 0x0003
_KEM_SUITE = b"KEM" + struct.pack(">H", _KEM_ID)
_HPKE_SUITE = b"HPKE" + struct.pack(">HHH", _KEM_ID, _KDF_ID, _AEAD_ID)


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, n: int) -> bytes:
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def _labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def _labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, n: int) -> bytes:
    return _expand(prk, struct.pack(">H", n) + b"HPKE-v1" + suite + label + info, n)


def hpke_derive_secret(ikm: bytes) -> bytes:
    """DHKEM(X25519, HKDF-SHA256) DeriveKeyPair: the private key."""
    prk = _labeled_extract(_KEM_SUITE, b"", b"dkp_prk", ikm)
    return _labeled_expand(_KEM_SUITE, prk, b"sk", b"", 32)


def hpke_open_auth(sk_r: bytes, pk_s: bytes, enc: bytes, info: bytes, aad: bytes,
                   ciphertext: bytes) -> bytes:
    """Single-shot open in auth mode (mode 2), sequence number 0."""
    pk_r = x25519_public(sk_r)
    dh = x25519(sk_r, enc) + x25519(sk_r, pk_s)
    prk = _labeled_extract(_KEM_SUITE, b"", b"eae_prk", dh)
    shared = _labeled_expand(_KEM_SUITE, prk, b"shared_secret", enc + pk_r + pk_s, 32)
    psk_id_hash = _labeled_extract(_HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(_HPKE_SUITE, b"", b"info_hash", info)
    context = bytes([2]) + psk_id_hash + info_hash
    secret = _labeled_extract(_HPKE_SUITE, shared, b"secret", b"")
    key = _labeled_expand(_HPKE_SUITE, secret, b"key", context, 32)
    nonce = _labeled_expand(_HPKE_SUITE, secret, b"base_nonce", context, 12)
    return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, aad)


# ------------------------------------------------------ hush on top of them

ENVELOPE_INFO = b"hush.envelope.v1"
CARD_CONTEXT = b"hush.card.v1"
CARD_PREFIX = "hush-card-v1:"


def encryption_secret(seed: bytes) -> bytes:
    return hpke_derive_secret(b"hush.identity.x25519.v1" + seed)


def encryption_public(seed: bytes) -> bytes:
    return x25519_public(encryption_secret(seed))


def parse_card(text: str) -> tuple[bytes, bytes]:
    """(signing key, encryption key) of a card whose signature holds;
    ValueError otherwise."""
    body = bytes.fromhex(text.strip().removeprefix(CARD_PREFIX))
    if not text.strip().startswith(CARD_PREFIX) or len(body) != 128:
        raise ValueError("not a hush card")
    signing, enc, sig = body[:32], body[32:64], body[64:]
    if not sr25519_verify(signing, CARD_CONTEXT, enc, sig):
        raise ValueError("the card's signature does not hold")
    return signing, enc


def safety_number(a: bytes, b: bytes) -> str:
    def half(key: bytes) -> str:
        h = hashlib.sha512(b"\x00\x01" + b"hush.safety-number" + key).digest()
        for _ in range(5199):
            h = hashlib.sha512(h + key).digest()
        return "".join(
            f"{int.from_bytes(h[5 * i:5 * i + 5], 'big') % 100000:05d}" for i in range(6)
        )

    x, y = half(a), half(b)
    return min(x, y) + max(x, y)


def status_id(seed: bytes, kind: int, recipient: bytes) -> bytes:
    d = bytearray(hashlib.sha256(b"hush.status-id.v1" + seed + bytes([kind]) + recipient)
                  .digest()[:16])
    d[0] |= 1
    return bytes(d)


def epoch_of(noise_static_public: bytes) -> int:
    d = hashlib.blake2b(b"hush.epoch.v1" + noise_static_public).digest()
    return int.from_bytes(d[:8], "little")


def open_envelope(recipient_seed: bytes, message_id: bytes, sender: bytes,
                  recipient: bytes, payload: bytes) -> tuple[int, bytes]:
    """(kind, content) of an envelope; ValueError if it does not open."""
    if len(payload) != 936:
        raise ValueError("a payload is 936 bytes")
    header, sealed = payload[:130], payload[130:]
    version, role = header[0], header[1]
    author_enc, author_sig, enc = header[2:34], header[34:98], header[98:130]
    if version != 1 or role not in (0, 1):
        raise ValueError("not a version 1 envelope")
    author = sender if role == 0 else recipient
    if not sr25519_verify(author, CARD_CONTEXT, author_enc, author_sig):
        raise ValueError("the author's signature of its key does not hold")
    aad = ENVELOPE_INFO + message_id + sender + recipient + header
    try:
        plain = hpke_open_auth(encryption_secret(recipient_seed), author_enc, enc,
                               ENVELOPE_INFO, aad, sealed)
    except Exception as e:  # cryptography's InvalidTag
        raise ValueError("HPKE did not open") from e
    kind, length = plain[0], struct.unpack("<H", plain[1:3])[0]
    if length > 787 or any(plain[3 + length:]):
        raise ValueError("bad plaintext padding")
    return kind, plain[3:3 + length]
