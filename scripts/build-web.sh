#!/usr/bin/env bash
# Builds the browser client (crates/hush-web) into web/pkg/, which hushd
# embeds and serves at /demo.
#
# The machine's Rust toolchain has no wasm32 standard library and rustup
# cannot fetch one here, so this uses Debian's packaged Rust 1.85
# (rustc-web, the same as the workspace's rust-version) with its standard
# library source, building std for wasm32 (-Zbuild-std), and lld to link.
# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock; it is
# installed from crates.io into target/web-tools.
# web/pkg/ is committed, so hushd serves the demo without this toolchain;
# CI rebuilds it from source and fails if the bindings (hush_web.js)
# changed, i.e. if crates/hush-web changed without a rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, refreshing the package lists once if they are stale.
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}

root=$PWD

need_apt=()
[ -x /usr/bin/rustc ] && /usr/bin/rustc --version | grep -q '^rustc 1\.85' || need_apt+=(rustc-web cargo-web)
[ -d /usr/lib/rustlib/src/rust/library ] || need_apt+=(rust-web-src)
command -v lld >/dev/null || need_apt+=(lld)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "build-web: installing Debian packages: ${need_apt[*]}" >&2
    apt_install "${need_apt[@]}"
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
tools=$root/target/web-tools
if ! "$tools/bin/wasm-bindgen" --version 2>/dev/null | grep -q " $version\$"; then
    echo "build-web: installing wasm-bindgen-cli $version" >&2
    # A debug build: it compiles in about 1.5 min instead of 7 on this
    # project's 2-CPU machine, and its output is the same (CI checks the
    # bindings against the committed ones); it runs for a second or two.
    cargo install -q --debug wasm-bindgen-cli --version "$version" --root "$tools"
fi

# rustc-web drives lld under the name rust-lld.
mkdir -p "$tools/lld"
ln -sf "$(command -v lld)" "$tools/lld/rust-lld"

out=$root/web/pkg

# hushd embeds this wasm (the /demo page), so it must carry no build paths
# either: the source tree and cargo's home are remapped, as for hushd
# itself (scripts/lib/build-hushd.sh; scripts/reproduce.sh checks).
cargo_home="$(cd "${CARGO_HOME:-$HOME/.cargo}" && pwd -P)"

PATH=$tools/lld:/usr/bin:$PATH \
RUSTC=/usr/bin/rustc \
RUSTC_BOOTSTRAP=1 \
RUSTFLAGS="--cfg getrandom_backend=\"wasm_js\" --remap-path-prefix=$root=/hush --remap-path-prefix=$cargo_home=/cargo" \
CARGO_PROFILE_RELEASE_DEBUG=0 \
CARGO_PROFILE_RELEASE_OPT_LEVEL=s \
CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
CARGO_PROFILE_RELEASE_PANIC=abort \
    /usr/bin/cargo build -q --release --locked -p hush-web --lib \
        --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort \
        --target-dir "$root/target/web"

"$tools/bin/wasm-bindgen" --target web --out-dir "$out" \
    "$root/target/web/wasm32-unknown-unknown/release/hush_web.wasm"
echo "build-web: $(du -h "$out/hush_web_bg.wasm" | cut -f1) in $out" >&2

