#!/usr/bin/env bash
# The fuzz targets of fuzz/ (docs/security.md, "Fuzzing").
#
#   scripts/fuzz.sh replay                      every committed corpus once through its
#                                               target's checks (a plain cargo test: no
#                                               fuzzing tool, no sanitizer); what CI runs
#   scripts/fuzz.sh --seconds N [TARGET...]     libFuzzer for N seconds per target (all by
#                                               default), new inputs kept in a temporary
#                                               folder; add --grow to keep them in
#                                               fuzz/corpus/TARGET, then run cmin
#   scripts/fuzz.sh cmin [TARGET...]            minimises the committed corpora
#
# libFuzzer runs through cargo-fuzz (installed with `cargo install --locked cargo-fuzz` when
# missing) on the stable toolchain: RUSTC_BOOTSTRAP=1 lets it pass its nightly flags.
# AddressSanitizer is used unless TIGR_FUZZ_SANITIZER says otherwise (none, address).
# Findings go to fuzz/artifacts/TARGET/; `cargo fuzz run TARGET FILE` replays one.
set -euo pipefail
cd "$(dirname "$0")/.."

targets_of() {
  if [ $# -gt 0 ]; then
    printf '%s\n' "$@"
  else
    sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^tigr-fuzz$'
  fi
}

need_cargo_fuzz() {
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== cargo install --locked cargo-fuzz"
    cargo install --locked cargo-fuzz
  fi
}

fuzz_cargo() {
  RUSTC_BOOTSTRAP=1 cargo fuzz "$@"
}

sanitizer="${TIGR_FUZZ_SANITIZER:-address}"

case "${1:-}" in
  replay)
    echo "== fuzz corpora: replay"
    cargo test --manifest-path fuzz/Cargo.toml --no-default-features --locked
    ;;
  --seconds)
    seconds="${2:?--seconds needs a number}"
    shift 2
    grow=0
    if [ "${1:-}" = --grow ]; then
      grow=1
      shift
    fi
    need_cargo_fuzz
    fuzz_cargo build --sanitizer "$sanitizer"
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/tigr-fuzz.XXXXXX")
    trap 'rm -rf "$scratch"' EXIT
    for target in $(targets_of "$@"); do
      echo "== fuzz $target for $seconds s"
      if [ "$grow" = 1 ]; then
        dirs=("fuzz/corpus/$target")
      else
        mkdir -p "$scratch/$target"
        dirs=("$scratch/$target" "fuzz/corpus/$target")
      fi
      fuzz_cargo run --sanitizer "$sanitizer" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
    done
    ;;
  cmin)
    shift
    need_cargo_fuzz
    for target in $(targets_of "$@"); do
      echo "== cmin $target"
      fuzz_cargo cmin --sanitizer "$sanitizer" "$target" "fuzz/corpus/$target"
    done
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
