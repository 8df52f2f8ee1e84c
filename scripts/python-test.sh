#!/usr/bin/env bash
# The `hush` Python package (crates/hush-py, PyO3 + maturin) against a real
# hushd: builds a wheel, installs it in a fresh virtualenv with pytest, and
# runs crates/hush-py/tests (with the test vectors of docs/vectors/, checked
# by a second implementation written from the documentation). Needs python3
# with venv (Debian: python3-venv); maturin, pytest, cryptography and kyber-py come
# from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, refreshing the package lists once if they are stale.
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}


if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "python-test: installing python3-venv" >&2
    apt_install python3 python3-venv
fi
venv=target/py-venv
[ -x $venv/bin/python ] || python3 -m venv $venv
# test_vectors.py's second implementation (hushref.py) takes its
# primitives from `cryptography`, kyber-py and libsodium (ristretto255,
# by ctypes).
if ! python3 -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("sodium"))'; then
    echo "python-test: installing libsodium" >&2
    apt_install libsodium23
fi
# cryptography 51 has ML-KEM (the session vector's hybrid
# handshake); kyber-py gives its deterministic encapsulation.
$venv/bin/pip install -q --disable-pip-version-check 'maturin>=1.9,<2' 'pytest>=8,<9' 'cryptography>=51' 'kyber-py>=1.2,<2'

cargo build -q --locked -p hushd -p hush-client
rm -rf target/wheels
$venv/bin/maturin build -q --locked --manifest-path crates/hush-py/Cargo.toml --out target/wheels
$venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/hush-*.whl

HUSHD=$PWD/target/debug/hushd HUSH_CLI=$PWD/target/debug/hush PYTHON=$PWD/$venv/bin/python \
    $venv/bin/python -m pytest -q crates/hush-py/tests "$@"
