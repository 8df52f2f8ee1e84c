# Sourced by scripts/build-image.sh and scripts/measure.sh: the pinned
# inputs of the hushd TEE image, each checked against its SHA-256.
#
# They are Debian packages. deb.debian.org keeps a version only while a
# release still ships it; snapshot.debian.org keeps every file for good,
# by its SHA-1. To move to a newer kernel or firmware, change the version,
# both hashes and the path below, rebuild, and publish the new policy
# (docs/DEPLOYING.md, "Updating").

# Debian 13's cloud kernel (6.12: configfs-tsm reports for SEV-SNP and TDX).
KERNEL_VERSION="6.12.117+deb13-cloud-amd64"
KERNEL_DEB="linux-image-6.12.117+deb13-cloud-amd64_6.12.117-1_amd64.deb"
KERNEL_POOL="pool/main/l/linux-signed-amd64"
KERNEL_SHA256="e9893e5295d0549b8852611f12a4b8b5f6cc4b8128dcc2086b9847793b904ab7"
KERNEL_SHA1="5118d1106bc12032a5559bf97c3e87c1a9769205"

# OVMF built for SEV-SNP measured direct boot (the AmdSev platform: the
# kernel, initrd and command line hashes in a table the launch measures).
OVMF_SNP_DEB="ovmf-amdsev_2026.08+ds-2_all.deb"
OVMF_SNP_POOL="pool/main/e/edk2"
OVMF_SNP_SHA256="92c9b6d15e4eeb371938c3f99080c1a8fc057dfd6bc0509d37f8b615e9edebfb"
OVMF_SNP_SHA1="b2d261d63f256e18fb4f69855efe5f54ad45f9cf"
OVMF_SNP_FILE="usr/share/ovmf/OVMF.amdsev.fd"

# Where fetched inputs are kept between builds.
HUSH_IMAGE_CACHE="${HUSH_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hush-image}"

# fetch_deb NAME POOL SHA256 SHA1 -> prints the checked .deb's path
fetch_deb() {
    local name="$1" pool="$2" sha256="$3" sha1="$4"
    local file="$HUSH_IMAGE_CACHE/$name"
    mkdir -p "$HUSH_IMAGE_CACHE"
    if [ ! -f "$file" ] || ! echo "$sha256  $file" | sha256sum -c --quiet - >/dev/null 2>&1; then
        local url ok=
        for url in "https://deb.debian.org/debian/$pool/$name" \
            "http://deb.debian.org/debian/$pool/$name" \
            "https://snapshot.debian.org/file/$sha1"; do
            if curl -sSfL --retry 2 -o "$file.part" "$url" 2>/dev/null; then
                ok=1
                break
            fi
        done
        if [ -z "$ok" ]; then
            echo "cannot download $name (from deb.debian.org or snapshot.debian.org);" \
                "put it in $HUSH_IMAGE_CACHE by hand, or update the pin in scripts/lib/inputs.sh" >&2
            return 1
        fi
        mv "$file.part" "$file"
    fi
    if ! echo "$sha256  $file" | sha256sum -c --quiet - >/dev/null 2>&1; then
        echo "$file: SHA-256 is $(sha256sum "$file" | cut -d' ' -f1), the pin says $sha256" >&2
        return 1
    fi
    echo "$file"
}

# extract_deb DEB DIR: unpack a .deb's files (no maintainer scripts run).
extract_deb() {
    mkdir -p "$2"
    dpkg-deb -x "$1" "$2" 2>/dev/null || {
        # Without dpkg: a .deb is an ar archive holding data.tar.*.
        local tmp
        tmp="$(mktemp -d)"
        (cd "$tmp" && ar x "$1" && tar -xf data.tar.* -C "$2")
        rm -rf "$tmp"
    }
}
