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
# Also checks that the guest runs nothing but hush-init and hushd, that
# scripts/measure.sh's policy for it is one the client reads (and refuses
# the dev evidence with), and that the TEE image (--attestation tsm),
# booted where there is no TEE, stops with hushd's error rather than run
# unattested. About a minute (the kernel boots in ~10 s).
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

# The policy scripts/measure.sh writes for this image is one the client
# reads, and it pins hardware evidence: the guest's dev evidence is refused.
scripts/measure.sh "$image" --out "$work/policy.toml" >/dev/null
if verdict="$(target/debug/hush --server "http://127.0.0.1:$port" --policy "$work/policy.toml" server verify 2>&1)"; then
    echo "image-test: a measured policy accepted dev evidence: $verdict" >&2
    exit 1
fi
if ! grep -qi "dev" <<<"$verdict"; then
    echo "image-test: the measured policy was refused for another reason: $verdict" >&2
    exit 1
fi
echo "image-test: the measured policy is read, and refuses the guest's dev evidence: $(tail -1 <<<"$verdict")" >&2
echo "image-test: the guest's hush-init said:" >&2
grep "hush-init:" "$work/serial.log" | sed 's/^/  /' >&2

# The guest runs no shell or other service: its only programs are
# /init (hush-init) and /usr/bin/hushd (listed from the initrd itself).
# (Nothing without an execute bit can be run: execve refuses it.)
programs="$(python3 scripts/lib/cpio-cat.py "$image/initrd.cpio" --programs)"
if [ "$(echo $programs)" != "init usr/bin/hushd" ]; then
    echo "image-test: the initrd holds other programs: $programs" >&2
    exit 1
fi
echo "image-test: the guest's only programs are: $(echo $programs)" >&2

# The TEE image outside a TEE: hushd finds no configfs-tsm, says so, and
# hush-init powers the guest off.
tsm_image="$work/tsm"
scripts/build-image.sh --attestation tsm --out "$tsm_image" >/dev/null
timeout 180 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
    -kernel "$tsm_image/vmlinuz" -initrd "$tsm_image/initrd.cpio" -append "$(cat "$tsm_image/cmdline")" \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
    -display none -monitor none -serial "file:$work/tsm-serial.log" -no-reboot || {
    echo "image-test: the TEE image outside a TEE did not power off within 180 s:" >&2
    tail -20 "$work/tsm-serial.log" >&2
    exit 1
}
if ! grep -q "cannot start the enclave with TSM attestation" "$work/tsm-serial.log" ||
    ! grep -q "hush-init: hushd exited" "$work/tsm-serial.log"; then
    echo "image-test: the TEE image outside a TEE stopped without hushd's TSM error:" >&2
    tail -20 "$work/tsm-serial.log" >&2
    exit 1
fi
echo "image-test: the TEE image outside a TEE refuses to start: $(grep -m1 "cannot start the enclave" "$work/tsm-serial.log" | cut -c1-120)..." >&2
