#!/usr/bin/env python3
"""Writes mlkem768-final.txt: ML-KEM-768 (FIPS 203, final) known answers
made by two implementations hush did not write, which must agree:

- kyber-py (GiacomoPope/kyber-py, MIT OR Apache-2.0): key generation from
  (d, z) and encapsulation with m, through its deterministic internals;
- pyca/cryptography (Apache-2.0 OR BSD-3-Clause; ML-KEM from its OpenSSL /
  AWS-LC backend): key generation from the seed d || z, decapsulation of
  the right ciphertext and of a wrong one (implicit rejection).

Inputs are SHA-256 of fixed labels, so the file can be written again.
Run: pip install 'kyber-py==1.2.0' 'cryptography>=51'; python3 this > file
"""
import hashlib
import importlib.metadata as md

from cryptography.hazmat.primitives.asymmetric import mlkem
from kyber_py.ml_kem import ML_KEM_768


def label(s: str) -> bytes:
    return hashlib.sha256(s.encode()).digest()


print("# ML-KEM-768 (FIPS 203) known answers, written by make-mlkem768-vectors.py")
print(f"# with kyber-py {md.version('kyber-py')} and cryptography {md.version('cryptography')},")
print("# which agree on every value; inputs are SHA-256 of 'hush.mlkem.<name>.<n>'.")
for n in range(3):
    d, z, m = (label(f"hush.mlkem.{x}.{n}") for x in ("d", "z", "m"))
    ek, dk = ML_KEM_768._keygen_internal(d, z)
    k, c = ML_KEM_768._encaps_internal(ek, m)
    sk = mlkem.MLKEM768PrivateKey.from_seed_bytes(d + z)
    assert sk.public_key().public_bytes_raw() == ek, "the two disagree on ek"
    assert sk.decapsulate(c) == k, "the two disagree on K"
    wrong = bytearray(c)
    wrong[n * 97] ^= 1
    k_wrong = sk.decapsulate(bytes(wrong))
    assert ML_KEM_768._decaps_internal(dk, bytes(wrong)) == k_wrong
    for name, v in (("d", d), ("z", z), ("ek", ek), ("m", m), ("c", c), ("K", k),
                    ("c_wrong", bytes(wrong)), ("K_wrong", k_wrong)):
        print(f"{name}.{n} = {v.hex()}")
