#!/usr/bin/env bash
# The cluster benchmark (docs/benchmarks.md, "Several instances on PostgreSQL, through nginx"):
# a throwaway PostgreSQL cluster with its default durability (fsync and synchronous commit on),
# three release `tigr-server` processes on one database, nginx in front (round robin,
# keep-alive to the instances, plain HTTP on loopback), and `tigr-bench` through nginx. Prints
# the bench's report, then the CPU each part used over the bench's whole run.
#
#   cargo build --release -p tigr-server -p tigr-tests --bin tigr-server --bin tigr-bench
#   scripts/cluster-bench.sh --concurrency 32 --duration 10 --warmup 3 --accounts 1000
#
# Arguments go to tigr-bench. Every user comes from 127.0.0.1: the per-address rate limits and
# live-channel cap are off, as in the single-server commands of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
release=${TIGR_RELEASE_DIR:-target/release}
dir=$(mktemp -d "${TMPDIR:-/tmp}/tigr-cluster-bench.XXXXXX")
[ "$(id -u)" = 0 ] && chmod 755 "$dir"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres-cluster.sh stop "$dir/pg" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_healthy() {
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answers on 127.0.0.1:$1" >&2
  return 1
}
# "pid ticks" lines (user + system CPU ticks) of the processes given.
snapshot() {
  local pid fields
  for pid in "$@"; do
    fields=$(cut -d')' -f2 "/proc/$pid/stat" 2>/dev/null) || continue
    echo "$pid $(echo "$fields" | awk '{print $12 + $13}')"
  done
}
# Cores used between two snapshots (files), over ELAPSED seconds: each process's ticks since
# the first (all of them for a process started since; a process gone by the second is lost).
cores() {
  awk -v hz="$clock_ticks" -v s="$elapsed" \
    'NR == FNR { before[$1] = $2; next } { used += $2 - before[$1] } END { printf "%.2f", used / hz / s }' \
    "$1" "$2"
}

admin=$(scripts/postgres-cluster.sh start "$dir/pg" durable)
psql -q "$admin" -c "CREATE DATABASE tigr_bench"
database_url=${admin%/*}/tigr_bench
lb=$(free_port)

instances=()
metrics=()
for name in a b c; do
  port=$(free_port)
  TIGR_LISTEN=127.0.0.1:$port TIGR_PUBLIC_URL=http://127.0.0.1:$lb \
    TIGR_DATABASE_URL=$database_url TIGR_MASTER_KEY_FILE=$dir/master.key TIGR_LOG=warn \
    TIGR_RATE_LIMIT_CHALLENGES=0 TIGR_RATE_LIMIT_ANSWERS=0 TIGR_RATE_LIMIT_OFFLINE=0 \
    TIGR_RATE_LIMIT_ENROLLMENTS=0 TIGR_MAX_LIVE_PER_CLIENT=0 \
    "$release/tigr-server" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  instances+=($!)
  # The first one migrates the database and writes the master key the others read.
  wait_healthy "$port"
  upstream="${upstream:-}    server 127.0.0.1:$port;"$'\n'
  metrics+=(--metrics-url "http://127.0.0.1:$port")
done

cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/nginx-body;
  proxy_temp_path $dir/nginx-proxy;
  upstream tigr {
$upstream    keepalive 64;
  }
  server {
    listen 127.0.0.1:$lb;
    location / {
      proxy_pass http://tigr;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
    }
  }
}
CONF
nginx -c "$dir/nginx.conf" -g 'daemon off;' &
pids+=($!)
nginx_pid=$!
wait_healthy "$lb"

clock_ticks=$(getconf CLK_TCK)
start=$(date +%s.%N)
parts=("instance 1" "instance 2" "instance 3" nginx PostgreSQL)
pids_of() {
  case "$1" in
    "instance "*) echo "${instances[${1#instance } - 1]}" ;;
    nginx) echo "$nginx_pid" $(pgrep -P "$nginx_pid" || true) ;;
    PostgreSQL) pgrep -u postgres -f postgres || true ;;
  esac
}
for i in "${!parts[@]}"; do snapshot $(pids_of "${parts[$i]}") >"$dir/before-$i"; done

"$release/tigr-bench" --url "http://127.0.0.1:$lb" --database-url "$database_url" \
  "${metrics[@]}" "$@"

for i in "${!parts[@]}"; do snapshot $(pids_of "${parts[$i]}") >"$dir/after-$i"; done
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "CPU over the bench's $elapsed s (setup and warm-up included), in cores:"
for i in "${!parts[@]}"; do
  echo "  ${parts[$i]}: $(cores "$dir/before-$i" "$dir/after-$i")"
done
