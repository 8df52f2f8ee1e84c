# Sourced by scripts/reproduce.sh and scripts/build-image.sh: build the
# hushd (and hush-init, PID 1 of the image) that go into the TEE image,
# reproducibly.
#
#   build_hushd SRC_DIR   -> prints the directory holding hushd and hush-init
#
# Both are always built by one cargo command: cargo unifies features over
# the packages it builds, so building hushd alone could give other bytes.
#
# What makes two builds byte-identical:
# - the toolchain pinned in rust-toolchain.toml, and Cargo.lock (--locked);
# - every path that could enter the binary remapped: the source tree to
#   /hush, cargo's home (crate sources) to /cargo, for rustc
#   (--remap-path-prefix) and for C code built by crates
#   (-ffile-prefix-map in CFLAGS);
# - SOURCE_DATE_EPOCH set to the commit's time, for any build step that
#   stamps a date;
# - the `image` profile (Cargo.toml): no debug information, symbols
#   stripped;
# - a static binary (+crt-static, with glibc from the build machine's
#   libc6-dev), for the target named explicitly so that build scripts and
#   proc-macros stay dynamic. The image needs no loader or libraries.
#
# The CPU baseline is x86-64-v3, as in .cargo/config.toml (RUSTFLAGS
# replaces that file's flags, so it is repeated here).

HUSH_IMAGE_TARGET=x86_64-unknown-linux-gnu
HUSH_IMAGE_PROFILE=image

build_hushd() {
    local src
    src="$(cd "$1" && pwd -P)"
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    cargo_home="$(cd "$cargo_home" && pwd -P)"
    local rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
    local epoch
    epoch="$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)"
    (
        cd "$src"
        export SOURCE_DATE_EPOCH="$epoch"
        export RUSTFLAGS="-C target-cpu=x86-64-v3 -C target-feature=+crt-static --remap-path-prefix=$src=/hush --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rustup_home=/rustup"
        export CFLAGS="-ffile-prefix-map=$src=/hush -ffile-prefix-map=$cargo_home=/cargo"
        if [ -n "${HUSH_REPRO_LEAK:-}" ]; then
            # A deliberate leak, to show that the check catches one: build
            # without remapping any path.
            RUSTFLAGS="-C target-cpu=x86-64-v3 -C target-feature=+crt-static"
            export RUSTFLAGS
        fi
        cargo build --locked --quiet -p hushd -p hush-init \
            --profile "$HUSH_IMAGE_PROFILE" --target "$HUSH_IMAGE_TARGET" >&2
    )
    echo "$src/target/$HUSH_IMAGE_TARGET/$HUSH_IMAGE_PROFILE"
}

# check_no_leaks BINARY SRC_DIR: fail when the binary names a build path
# (the source tree, cargo's or rustup's home, the user's home) or the build
# machine's date, that is, something that differs from one build to the
# next.
check_no_leaks() {
    local bin="$1" src
    src="$(cd "$2" && pwd -P)"
    local strings_out
    strings_out="$(strings -n 6 "$bin")"
    local bad=0 needle
    for needle in "$src" "$(cd "${CARGO_HOME:-$HOME/.cargo}" && pwd -P)" \
        "${RUSTUP_HOME:-$HOME/.rustup}" "$HOME/" \
        "$(date -u +%Y-%m-%d)" "$(date -u '+%b %e %Y')" "$(date -u '+%b %d %Y')"; do
        if grep -qF -- "$needle" <<<"$strings_out"; then
            echo "LEAK: $bin contains \"$needle\":" >&2
            grep -F -- "$needle" <<<"$strings_out" | head -3 >&2
            bad=1
        fi
    done
    return "$bad"
}
