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
#   scripts/fuzz.sh cmin [TARGET...]            minimises the inputs campaigns found (named by
#                                               their SHA-1); named seeds and findings stay
#   scripts/fuzz.sh brief [TARGET...]           CI's short fuzzing: each target for a fixed
#                                               number of executions from a fixed seed, new
#                                               inputs in a temporary folder; the same commit
#                                               always gets the same verdict
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

# Builds the instrumented targets and makes $scratch, a temporary folder removed on exit.
prepare_fuzzing() {
  need_cargo_fuzz
  fuzz_cargo build --sanitizer "$sanitizer"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/tigr-fuzz.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
}

# Executions of a brief run per target: about 10 s each on a quiet 2-core machine with
# AddressSanitizer (rates of the campaigns in docs/security.md), counted from the start, so
# they include one pass over the committed corpus.
brief_runs() {
  case "$1" in
    qr_image) echo 1500 ;;
    qr_payload) echo 300000 ;;
    admin_text | ocra_suite) echo 80000 ;;
    headers) echo 60000 ;;
    config | wire_json) echo 40000 ;;
    return_url) echo 25000 ;;
    page_forms) echo 20000 ;;
    *) echo "no brief run defined for $1" >&2; exit 2 ;;
  esac
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
    prepare_fuzzing
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
  brief)
    shift
    prepare_fuzzing
    for target in $(targets_of "$@"); do
      runs=$(brief_runs "$target")
      echo "== fuzz $target, $runs executions from seed 1"
      mkdir -p "$scratch/$target"
      started=$SECONDS
      log="$scratch/$target.log"
      status=0
      fuzz_cargo run --sanitizer "$sanitizer" "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -runs="$runs" -seed=1 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 \
        || status=$?
      grep -E '^(stat::|INFO: (Seed|Loaded)|#[0-9]+[[:space:]]+(INITED|DONE))' "$log" || true
      echo "   $target: $((SECONDS - started)) s"
      if [ "$status" != 0 ]; then
        tail -n 80 "$log"
        echo "fuzzing $target found a failing input (above; fuzz/artifacts/$target/)" >&2
        exit 1
      fi
    done
    ;;
  cmin)
    shift
    prepare_fuzzing
    for target in $(targets_of "$@"); do
      echo "== cmin $target"
      corpus="fuzz/corpus/$target"
      # Named files (hand-written seeds, inputs of findings that the docs and tests cite) stay
      # as they are; of the inputs a campaign found (named by their SHA-1), only those that
      # add coverage to the named ones and to each other are kept.
      kept="$scratch/$target"
      mkdir -p "$kept"
      find "$corpus" -maxdepth 1 -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' -exec cp {} "$kept/" \;
      fuzz_cargo run --sanitizer "$sanitizer" "$target" "$kept" "$corpus" -- \
        -merge=1 -timeout=20 -rss_limit_mb=2048
      find "$corpus" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
      find "$kept" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -exec mv {} "$corpus/" \;
      echo "   $target: $(find "$corpus" -maxdepth 1 -type f | wc -l) inputs"
    done
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
