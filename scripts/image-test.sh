#!/usr/bin/env bash
# Boot the hushd image under QEMU and send a message through it.
#
#   scripts/image-test.sh [IMAGE_DIR]
#
# Builds the dev image (scripts/build-image.sh --attestation dev; this
# machine has no TEE, so hushd in the guest signs dev evidence) unless
# IMAGE_DIR names one, boots it with TCG (no KVM needed) and user
# networking that forwards a loopback port to the guest's hushd, then, with
# the hush CLI on the host: alice sends bob a message, bob reads it back.
# Also checks that the guest runs nothing but hush-init and hushd, from the
# guest's own serial log. About a minute (the kernel boots in ~10 s).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
command -v qemu-system-x86_64 >/dev/null || { echo "image-test: installing qemu-system-x86" >&2; apt_install qemu-system-x86; }

image="${1:-}"
if [ -z "$image" ]; then
    image=target/image/dev
    scripts/build-image.sh --attestation dev --out "$image" >/dev/null
fi
cargo build -q --locked -p hush-client

work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.cpio" -append "$(cat "$image/cmdline")" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:7878" -device virtio-net-pci,netdev=n0 \
    -display none -monitor none -serial "file:$work/serial.log" -no-reboot &
qemu=$!
trap 'kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true; rm -rf "$work"' EXIT

started=$(date +%s)
until curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1; do
    if ! kill -0 $qemu 2>/dev/null; then
        echo "image-test: the guest stopped before hushd answered:" >&2
        tail -30 "$work/serial.log" >&2
        exit 1
    fi
    if [ $(( $(date +%s) - started )) -gt 240 ]; then
        echo "image-test: hushd in the guest did not answer within 240 s:" >&2
        tail -30 "$work/serial.log" >&2
        exit 1
    fi
    sleep 1
done
echo "image-test: hushd in the guest answers after $(( $(date +%s) - started )) s" >&2

export HUSH_HOME="$work/home"
hush() { target/debug/hush --server "http://127.0.0.1:$port" --allow-dev-attestation --timeout 120 "$@"; }
hush id new alice >/dev/null
hush id new bob >/dev/null
text="through the appliance $(date +%s%N)"
hush send --as alice --to bob "$text" >/dev/null
got="$(hush read --as bob 2>&1)"
if ! grep -qF "$text" <<<"$got"; then
    echo "image-test: bob read back something else: $got" >&2
    exit 1
fi
echo "image-test: a message sent through the guest's hushd was read back" >&2
echo "image-test: the guest's hush-init said:" >&2
grep "hush-init:" "$work/serial.log" | sed 's/^/  /' >&2

# The guest runs no shell or other service: its only programs are
# /init (hush-init) and /usr/bin/hushd (listed from the initrd itself).
programs="$(python3 - "$image/initrd.cpio" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
off = 0
while True:
    h = data[off:off + 110]
    mode = int(h[14:22], 16); size = int(h[54:62], 16); namesize = int(h[94:102], 16)
    name = data[off + 110:off + 110 + namesize - 1].decode()
    if name == "TRAILER!!!":
        break
    start = (off + 110 + namesize + 3) & ~3
    body = data[start:start + 4]
    if mode & 0o170000 == 0o100000 and mode & 0o111:
        print(name)
    elif body == b"\x7fELF" and not name.endswith(".ko"):
        print(name)
    off = (start + size + 3) & ~3
PY
)"
if [ "$(echo $programs)" != "init usr/bin/hushd" ]; then
    echo "image-test: the initrd holds other programs: $programs" >&2
    exit 1
fi
echo "image-test: the guest's only programs are: $(echo $programs)" >&2
