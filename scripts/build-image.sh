#!/usr/bin/env bash
# Build the hushd TEE image: a kernel, an initrd and a command line, for
# direct boot in a confidential VM (SEV-SNP or TDX) or, with --attestation
# dev, in any VM (the QEMU test in CI). docs/DEPLOYING.md says how to run it.
#
#   scripts/build-image.sh [--attestation tsm|dev] [--ip ADDR/PREFIX] [--out DIR]
#
# Output (default target/image/ATTESTATION/):
#   vmlinuz      Debian's cloud kernel, pinned (scripts/lib/inputs.sh)
#   initrd.cpio  /init (hush-init), /usr/bin/hushd, /etc/hush/hushd.toml
#                (packaging/image/hushd.toml),
#                /etc/hush/modules and the modules it lists; nothing else:
#                no shell, no login, no sshd
#   cmdline      the kernel command line (measured with the rest)
#   SHA256SUMS   of all of the above, and of hushd and hush-init
#
# Two builds of the same commit give the same bytes (hushd and hush-init
# from scripts/lib/build-hushd.sh, the initrd from scripts/lib/mkcpio.py,
# which fixes order, times, owners and inode numbers).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/build-hushd.sh
source scripts/lib/inputs.sh

attestation=tsm
ip="10.0.2.15/24"
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --attestation) attestation="$2"; shift 2 ;;
        --ip) ip="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$attestation" in
    tsm|dev) ;;
    *) echo "--attestation must be tsm or dev, got $attestation" >&2; exit 2 ;;
esac
out="${out:-target/image/$attestation}"

echo "building hushd and hush-init (reproducible flags)..." >&2
bin="$(build_hushd .)"

kernel_deb="$(fetch_deb "$KERNEL_DEB" "$KERNEL_POOL" "$KERNEL_SHA256" "$KERNEL_SHA1")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
extract_deb "$kernel_deb" "$work/kernel"
moddir="$work/kernel/usr/lib/modules/$KERNEL_VERSION/kernel"

root="$work/root"
mkdir -p "$root"/{usr/bin,etc/hush,proc,sys,dev,run,tmp,var/lib/hush/blobs,lib/modules}
install -m 0755 "$bin/hush-init" "$root/init"
install -m 0755 "$bin/hushd" "$root/usr/bin/hushd"

# Kernel modules, in load order (each after those it depends on). The
# image loads the ones whose hardware is there: sev-guest in an SEV-SNP
# guest, tdx-guest in a TDX guest; fw_cfg carries the host's collateral.
modules=(
    net/core/failover
    drivers/net/net_failover
    drivers/net/virtio_net
    fs/configfs/configfs
    drivers/virt/coco/tsm
    drivers/virt/coco/sev-guest/sev-guest
    drivers/virt/coco/tdx-guest/tdx-guest
    drivers/firmware/qemu_fw_cfg
)
: >"$root/etc/hush/modules"
for m in "${modules[@]}"; do
    name="$(basename "$m").ko"
    xz -dc "$moddir/$m.ko.xz" >"$root/lib/modules/$name"
    echo "/lib/modules/$name" >>"$root/etc/hush/modules"
done

# hushd's configuration (measured with the rest of the initrd).
sed "s/^attestation = \"tsm\"$/attestation = \"$attestation\"/" packaging/image/hushd.toml \
    >"$root/etc/hush/hushd.toml"
grep -q "^attestation = \"$attestation\"$" "$root/etc/hush/hushd.toml" ||
    { echo "packaging/image/hushd.toml has no attestation = \"tsm\" line to set" >&2; exit 1; }

mkdir -p "$out"
rm -f "$out"/{vmlinuz,initrd.cpio,cmdline,SHA256SUMS}
python3 scripts/lib/mkcpio.py "$root" "$out/initrd.cpio" --node dev/console:c:5:1:0600
install -m 0644 "$work/kernel/boot/vmlinuz-$KERNEL_VERSION" "$out/vmlinuz"
# console on the first serial port; a kernel panic powers the VM off
# (panic=-1 reboots at once, and the launcher runs with -no-reboot);
# the network address hush-init gives eth0.
printf '%s' "console=ttyS0 panic=-1 hush.ip=$ip" >"$out/cmdline"
install -m 0755 "$bin/hushd" "$out/hushd"
install -m 0755 "$bin/hush-init" "$out/hush-init"
(cd "$out" && sha256sum hushd hush-init vmlinuz initrd.cpio cmdline >SHA256SUMS)
cat "$out/SHA256SUMS"
echo "image in $out ($(du -sh "$out/initrd.cpio" | cut -f1) initrd)" >&2
