#!/bin/sh
# Serve every *.zone file of the given directories with NSD on 127.0.0.1:PORT, for
# benchmarks and manual runs. Prints NSD's pid once it answers. Stop it with `kill PID`.
# Usage: nsd-serve.sh STATE_DIR PORT ZONE_DIR...
set -eu
state=$1 port=$2
shift 2
mkdir -p "$state"
state=$(cd "$state" && pwd)
{
    cat <<CONF
server:
  ip-address: 127.0.0.1@$port
  do-ip6: no
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "$state/zone.list"
  xfrdfile: "$state/xfrd.state"
  xfrdir: "$state"
  pidfile: "$state/nsd.pid"
  logfile: "$state/nsd.log"
  server-count: 1
  refuse-any: no
remote-control:
  control-enable: no
CONF
    for dir in "$@"; do
        for f in "$dir"/*.zone; do
            [ -e "$f" ] || continue
            printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$(basename "$f" .zone)" "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
        done
    done
} > "$state/nsd.conf"
rm -f "$state/zone.list" "$state/nsd.pid"
nsd -c "$state/nsd.conf" || { tail -3 "$state/nsd.log" >&2; exit 1; }
i=0
until [ -s "$state/nsd.pid" ] && dig +time=1 +tries=1 @127.0.0.1 -p "$port" . SOA >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "nsd did not come up; see $state/nsd.log" >&2; exit 1; }
    sleep 0.05
done
cat "$state/nsd.pid"
