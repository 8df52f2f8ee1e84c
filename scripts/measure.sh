#!/usr/bin/env bash
# The TEE measurements of the hushd image, and a client policy pinning them.
#
#   scripts/measure.sh [IMAGE_DIR] [--vcpus N] [--vcpu-type TYPE]
#                      [--guest-policy HEX] [--out POLICY_FILE]
#
# IMAGE_DIR (default target/image/tsm, built if absent) is the output of
# scripts/build-image.sh. Prints the values and writes a policy TOML
# (default IMAGE_DIR/policy.toml) that `hush --policy`, `hush server
# verify --policy` and the Python and browser clients accept.
#
# SEV-SNP: the launch measurement of a QEMU guest booted with OVMF built
# for SEV (edk2's AmdSev platform, Debian's ovmf-amdsev, pinned in
# scripts/lib/inputs.sh) and measured direct boot (kernel-hashes=on): the
# firmware, the hashes of this kernel, initrd and command line, and the
# VMSA of each vCPU (their number and CPU type). Computed with AMD's
# algorithm as implemented by sev-snp-measure (PyPI, Apache-2.0; the
# version is pinned below). The guest policy (default 0x30000: SMT
# allowed, debug off) is pinned exactly.
#
# TDX: not computed here (see docs/DEPLOYING.md, "TDX").
#
# Sanity check, every run: the same image with one byte of hushd changed
# must measure differently.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/inputs.sh

SEV_SNP_MEASURE_VERSION=0.0.13
image=target/image/tsm
vcpus=2
vcpu_type=EPYC-v4
guest_policy=0x30000
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --vcpus) vcpus="$2"; shift 2 ;;
        --vcpu-type) vcpu_type="$2"; shift 2 ;;
        --guest-policy) guest_policy="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) image="$1"; shift ;;
    esac
done
out="${out:-$image/policy.toml}"
if (( (guest_policy >> 19) & 1 )); then
    echo "--guest-policy $guest_policy has the debug bit (19) set: the host could read the guest's memory" >&2
    exit 2
fi
if [ ! -f "$image/initrd.cpio" ]; then
    if [ "$image" = target/image/tsm ]; then
        scripts/build-image.sh --attestation tsm --out "$image" >/dev/null
    else
        echo "$image holds no image (run scripts/build-image.sh --out $image)" >&2
        exit 1
    fi
fi
if grep -q '^attestation = "dev"' <(python3 "$(dirname "$0")/lib/cpio-cat.py" "$image/initrd.cpio" etc/hush/hushd.toml); then
    echo "note: $image is a dev image (attestation = \"dev\"): in a TEE it would not produce hardware evidence" >&2
fi

tools="target/measure-tools"
if ! "$tools/bin/sev-snp-measure" --version 2>/dev/null | grep -q "$SEV_SNP_MEASURE_VERSION"; then
    python3 -m venv "$tools" >/dev/null
    "$tools/bin/pip" install -q "sev-snp-measure==$SEV_SNP_MEASURE_VERSION" >&2
fi
ovmf_deb="$(fetch_deb "$OVMF_SNP_DEB" "$OVMF_SNP_POOL" "$OVMF_SNP_SHA256" "$OVMF_SNP_SHA1")"
ovmf_dir="$HUSH_IMAGE_CACHE/${OVMF_SNP_DEB%.deb}"
[ -f "$ovmf_dir/$OVMF_SNP_FILE" ] || extract_deb "$ovmf_deb" "$ovmf_dir"
ovmf="$ovmf_dir/$OVMF_SNP_FILE"

snp_measure() { # INITRD -> the launch measurement (hex)
    "$tools/bin/sev-snp-measure" --mode snp --vcpus "$vcpus" --vcpu-type "$vcpu_type" \
        --ovmf "$ovmf" --kernel "$image/vmlinuz" --initrd "$1" \
        --append "$(cat "$image/cmdline")" --output-format hex
}
measurement="$(snp_measure "$image/initrd.cpio")"

# One byte of hushd changed must change the measurement.
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
python3 - "$image/initrd.cpio" "$tmp" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(b"usr/bin/hushd\0")
data[at + 4096] ^= 1  # inside hushd's contents, past its header
open(sys.argv[2], "wb").write(data)
PY
if [ "$(snp_measure "$tmp")" = "$measurement" ]; then
    echo "measure: FAILED: a changed byte of hushd leaves the measurement unchanged" >&2
    exit 1
fi

ovmf_sha="$(sha256sum "$ovmf" | cut -d' ' -f1)"
{
    echo "# hush client policy for the hushd image, written by scripts/measure.sh."
    echo "# It accepts exactly this image, launched as below; docs/DEPLOYING.md."
    echo "#"
    echo "# The image (scripts/build-image.sh, commit $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)):"
    sed 's/^/#   /' "$image/SHA256SUMS"
    echo "# SEV-SNP launch: QEMU, measured direct boot (kernel-hashes=on) with"
    echo "#   OVMF.amdsev.fd $ovmf_sha ($OVMF_SNP_DEB),"
    echo "#   $vcpus vCPUs of type $vcpu_type, guest policy $guest_policy."
    echo "# Add a min_tcb to the [[sev_snp]] entry at AMD's current recommendation."
    echo "allow_dev = false"
    echo "allow_debug = false"
    echo
    echo "[[sev_snp]]"
    echo "measurement = \"$measurement\""
    echo "policy = $guest_policy"
} >"$out"
echo "SEV-SNP launch measurement: $measurement"
echo "  ($vcpus x $vcpu_type, OVMF $ovmf_sha, guest policy $guest_policy)"
echo "policy written to $out"
