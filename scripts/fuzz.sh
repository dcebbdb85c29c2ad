#!/usr/bin/env bash
# Fuzz gan-rs's untrusted-input readers with cargo-fuzz (libFuzzer):
#   idx         IDX images / labels (plain or gzip)      gan_data::read_idx_*
#   cifar       CIFAR-10 binary batches                   gan_data::read_cifar_batch
#   config      TOML experiment configs + one override    ExperimentConfig::from_toml_str
#   checkpoint  checkpoint files                          checkpoint::load + Trainer::resume
#
#   scripts/fuzz.sh                 # every target, 120 s each
#   scripts/fuzz.sh idx 600         # one target, 600 s
#   scripts/fuzz.sh all 300         # every target, 300 s each
#
# Only a stable toolchain exists here, so nightly-only flags are enabled with
# RUSTC_BOOTSTRAP=1. No sanitizer: the code under test is safe Rust (plus libtorch, which
# AddressSanitizer would need to be rebuilt for); we look for panics, aborts, hangs and
# memory blow-ups (-rss_limit_mb). Crashes land in fuzz/artifacts/<target>/; turn each into
# a regression test (see crates/*/tests/proptest_*.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
targets=(idx cifar config checkpoint)
if [ -n "${1:-}" ] && [ "$1" != all ]; then targets=("$1"); fi
secs=${2:-120}
command -v cargo-fuzz >/dev/null || { echo "cargo install cargo-fuzz first" >&2; exit 1; }

# Seed corpora: one valid input of each kind (git-ignored, regenerated each time).
seeds=fuzz/corpus
mkdir -p "$seeds"/{idx,cifar,config,checkpoint}
python3 - "$seeds" <<'PY'
import gzip, struct, sys
d = sys.argv[1]
img = struct.pack(">IIII", 2051, 2, 3, 3) + bytes(range(18))
lab = struct.pack(">II", 2049, 4) + bytes([0, 3, 9, 1])
open(f"{d}/idx/images", "wb").write(b"\x00" + img)
open(f"{d}/idx/labels", "wb").write(b"\x00" + lab)
open(f"{d}/idx/images-gz", "wb").write(b"\x01" + gzip.compress(img))
open(f"{d}/cifar/two", "wb").write(bytes([3]) + bytes(3072) + bytes([7]) + bytes(range(256)) * 12)
cfg = open("configs/gaussian1d.toml", "rb").read()
open(f"{d}/config/plain", "wb").write(b"\n" + cfg)
open(f"{d}/config/override", "wb").write(b"train.steps=5\n" + cfg)
PY
if [ ! -s "$seeds/checkpoint/run" ]; then
    cargo build -q --workspace --bins
    tmp=$(mktemp -d)
    ./target/debug/gan -q --device cpu train --out "$tmp/run" --steps 3 \
        --set discriminator.hidden=[4] --set log.snapshot_every=0 >/dev/null
    cp "$tmp/run/checkpoints/latest.safetensors" "$seeds/checkpoint/run"
    rm -rf "$tmp"
fi

cd fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none
for t in "${targets[@]}"; do
    echo "==> fuzzing $t for $secs s"
    cargo fuzz run --sanitizer none "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
        2>&1 | tail -n 30
done
