#!/usr/bin/env python3
"""Writes the small seed corpora in fuzz/seeds/<target>/: one valid example
of each format, so the fuzzers start past the length checks."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))

def put(target, name, data):
    d = os.path.join(here, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def framed(text):
    body = text.encode()
    return struct.pack("<H", len(body)) + body + bytes(936 - 2 - len(body))

ID, A, B = b"\x01" * 16, b"\x02" * 32, b"\x03" * 32
message = ID + A + B + struct.pack("<Q", 1_800_000_000) + framed("hello")
request = bytes([1]) + bytes(7) + ID + A + B + framed("hello")
read_next = bytes([3]) + bytes(7) + bytes(16) + A + bytes(32) + bytes(936)
response = bytes([0, 1]) + bytes(6) + message + ID + bytes(61 * 16)
key_proof = bytes([1]) + A + b"\x55" * 64 + bytes(3 * 96)
sealed = struct.pack("<Q", 7) + b"\xaa" * (1024 + 16)

put("wire", "request", b"\x00" + request)
put("wire", "read_next", b"\x00" + read_next)
put("wire", "response", b"\x01" + response)
put("wire", "key_proof", b"\x02" + key_proof)
put("wire", "key_proof_response", b"\x03" + bytes([0, 1]))
put("wire", "message", b"\x04" + message)
put("wire", "payload", b"\x05" + framed("hi"))
put("wire", "sealed", b"\x06" + sealed)
put("wire", "hex", b"\x07" + b"01" * 16)
put("wire", "blob_request", b"\x0c" + bytes([1, 2]) + bytes(6) + ID + A + b"\x09" * 32 + bytes(40))
put("wire", "blob_answer", b"\x0c" + bytes([4]) + bytes(7) + b"\x09" * 32 + bytes(24))
put("wire", "hex_key", b"\x07" + b"aB" * 32)
card = A + b"\x04" * 32 + b"\x05" * 64
put("wire", "card", b"\x08" + card)
put("wire", "card_text", b"\x08" + b"hush-card-v1:" + card.hex().encode())
envelope_header = bytes([1, 0]) + b"\x04" * 32 + b"\x05" * 64 + b"\x06" * 32
put("wire", "envelope_header", b"\x09" + envelope_header)
hi = b"hi"
put("wire", "envelope_plaintext", b"\x0a" + bytes([1]) + struct.pack("<H", len(hi)) + hi + bytes(790 - 3 - len(hi)))
# The TCP transport: a request body (session id, sealed request), an answer
# body (status 0, sealed response), a refusal (gRPC code 16, reason).
put("wire", "tcp_request", b"\x0b" + bytes(range(16)) + b"\x07" * 1048)
put("wire", "tcp_answer", b"\x0b\x00" + b"\x05" * 2048)
put("wire", "tcp_refusal", b"\x0b\x10" + b"unknown session")

# directory: a register request, a response, an identifier, records.
ident = bytes([1, 17]) + b"alice@example.org" + bytes(128 - 2 - 17)
device = card + A + b"\x07" * 64
register = bytes([1]) + bytes(7) + A + ident + bytes(4) + bytes([3]) + bytes(3) + device
put("directory", "register", b"\x00" + register)
put("directory", "response", b"\x01" + bytes([0, 3, 1, 1]) + bytes(4) + A + device + bytes(7 * 224))
put("directory", "identifier", b"\x02" + ident)
put("directory", "phone", b"\x02" + b"+41 44 668 18 00")
put("directory", "group", b"\x03" + bytes([7]) + b"friends" + bytes([2]) + A + B)
put("directory", "attachment", b"\x04" + ID + A + B + struct.pack("<Q", 5) + bytes([7]) + b"cat.png" + bytes([9]) + b"image/png")
put("directory", "location", b"\x05" + struct.pack("<dd", 47.37, 8.54) + b"Zurich")
put("directory", "nested", b"\x06" + A + bytes([1]) + b"hi")
put("directory", "records", b"\x07" + register + bytes([3]) + bytes(7) + A + ident + bytes(4 + 4 + 224))

# rendezvous: a create request (average, 2 participants, quorum 2).
create = bytes([1]) + bytes(7) + A + bytes(16) + bytes([1, 2, 2]) + bytes(5) + bytes(8) + b"salary" + bytes(26) + A + B + bytes(6 * 32) + bytes(8 + 32 + 96)
put("directory", "rendezvous_create", b"\x08" + create)
put("directory", "rendezvous_records", b"\x09" + create)

# envelope: mode 1 with nothing to XOR is the valid envelope itself.
put("envelope", "valid", b"\x01")
put("envelope", "raw", b"\x00" + envelope_header + bytes(806))
put("envelope", "card", b"\x02" + b"hush-card-v1:" + card.hex().encode())
put("envelope", "link", b"\x03" + b"hush-link-v1:" + card.hex().encode())
bundle = ('{"version":1,"account":"' + "02" * 32 + '","contacts":[{"name":"bob","card":"hush-card-v1:'
          + card.hex() + '","identity":"' + "03" * 32 + '","devices":["' + "04" * 224 + '"]}],"groups":[]}')
put("envelope", "bundle", b"\x04" + bundle.encode())

dev = bytes([1, 3]) + b"dev" + b"\x11" * 48 + b"\x22" * 64 + struct.pack("<I", 0) + struct.pack("<I", 0)
tdx = bytes([2, 9]) + b"tdx_guest" + b"\x11" * 48 + b"\x22" * 64 + struct.pack("<I", 4) + b"quot" + struct.pack("<I", 3) + b"col"
put("evidence", "dev", dev)
put("evidence", "tdx", tdx)

# dcap, snp, attest_policy: the public samples (crates/hush-attest/
# testdata), behind the selector byte of the part the fuzzer replaces.
testdata = os.path.join(here, "..", "crates", "hush-attest", "testdata")
def sample(name):
    with open(os.path.join(testdata, name), "rb") as f:
        return f.read()
put("dcap", "tdx_quote", b"\x00" + sample("tdx_quote"))
put("dcap", "sgx_quote", b"\x00" + sample("sgx_quote"))
put("dcap", "tdx_collateral", b"\x01" + sample("tdx_quote_collateral.json"))
put("snp", "report", b"\x00" + bytes.fromhex(sample("report_milan.hex").decode().strip()))
put("snp", "vcek", b"\x01" + sample("vcek_milan.der"))
with open(os.path.join(here, "..", "examples", "policy.toml"), "rb") as f:
    put("attest_policy", "example", f.read())
# Hardware evidence (the TDX sample with its collateral) for the evidence target.
tdx_quote, tdx_col = sample("tdx_quote"), sample("tdx_quote_collateral.json")
put("evidence", "tdx_sample", bytes([2, 6]) + b"sample" + bytes(48 + 64) + struct.pack("<I", len(tdx_quote)) + tdx_quote + struct.pack("<I", len(tdx_col)) + tdx_col)

put("handshake", "init", b"\x00" + b"\x09" * 32)
put("handshake", "query", b"\x01" + sealed)
put("handshake", "key_proof", b"\x01" + struct.pack("<Q", 0) + bytes(385 + 16))
put("handshake", "unknown_session", b"\x02" + b"\x05" * 16 + sealed)
put("handshake", "server_reply", b"\x03" + b"\x07" * 96 + dev)

put("config", "full", b'''listen = "127.0.0.1:7878"
metrics_listen = "127.0.0.1:7879"
capacity = 65536
max_recipients = 1024
ttl = "24h"
max_sessions = 1024
session_idle_timeout = "10m"
attestation = "dev"
tsm_path = "/sys/kernel/config/tsm/report"
log_format = "json"
''')
put("config", "empty", b"")

put("store_model", "empty", b"")

# cluster: a sealed-entry-sized frame, a hello, a proof-sized message,
# a snapshot-shaped blob.
put("cluster", "entry", b"\x00" + bytes(24 + 1202 + 16))
put("cluster", "hello", b"\x01" + b"\x09" * 32)
put("cluster", "proof", b"\x02" + b"\x07" * 96)
put("cluster", "reply", b"\x03" + b"\x05" * 128)
put("cluster", "snapshot", b"\x04" + bytes(24 + 4096 + 16))
