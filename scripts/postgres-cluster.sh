#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `initdb` in a folder of its own, the server on
# a free loopback port (pg_ctl, no system service), trust authentication for loopback only.
#
#   scripts/postgres-cluster.sh start DIR [durable]   creates and starts it; prints its admin URL
#   scripts/postgres-cluster.sh stop DIR              stops it (the folder stays for the caller to delete)
#
# Without `durable`, fsync is off (a test cluster holds nothing worth keeping after a power
# loss); with it, PostgreSQL's default durability (fsync, synchronous commit), for benchmarks.
#
# Run as root (CI), the cluster belongs to the `postgres` user, which PostgreSQL requires.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?cluster folder}
durability=${3:-}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" --auth=trust --username=postgres --encoding=UTF8 --no-sync \
      -D "$dir/data" >"$dir/initdb.log"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    options="-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=400"
    case "$durability" in
      durable) ;;
      '') options="$options -c fsync=off" ;;
      *) echo "$0: the third argument is 'durable' or nothing" >&2; exit 2 ;;
    esac
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start -o "$options" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
