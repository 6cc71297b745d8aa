#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs format,
# lint, unit and interop tests, compiles the benches and runs every fuzz target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }

# --- what the tests need ---------------------------------------------------------------------
step "system packages"
pkgs=(tshark tcpdump frr bird2 gobgpd exabgp iproute2 ethtool iputils-ping)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

step "cargo-fuzz"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

# --- checks ----------------------------------------------------------------------------------
step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --doc --locked
else
  cargo test --workspace --locked --no-fail-fast
fi

step "bench guard: ours against BIRD, 100,000 IPv4 routes, device on one CPU"
# Fails when our speaker is slower than BIRD end to end or uses more bytes per route; the
# table of figures is printed either way (and kept in target/bench-guard/).
cargo build --release --locked -p bgp-peer
cargo run --release --locked -p bgp-load --bin bgp-load -- guard --out target/bench-guard

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "benches compile"
cargo bench --workspace --no-run --locked

step "fuzz"
fuzz_seconds=${FUZZ_SECONDS:-10}
for t in $(cd fuzz && cargo +nightly fuzz list); do
  mkdir -p "fuzz/corpus/$t"
  seeds=(); [ -d "fuzz/seeds/$t" ] && seeds=("seeds/$t")
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 >"/tmp/fuzz-$t.log" 2>&1) \
    || { tail -40 "/tmp/fuzz-$t.log"; exit 1; }
  echo "fuzz $t: $(grep -E '^(#[0-9]+|Done)' "/tmp/fuzz-$t.log" | tail -1)"
done

step "done"
