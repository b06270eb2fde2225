#!/usr/bin/env bash
# Benchmark the blocklist sweep: `mxdoctor blocklist` against LISTS fake blocklists served by
# NSD behind a UDP proxy that holds every answer for DELAY_MS milliseconds. The sweep asks
# all lists at once, so it should take about one delayed round trip (two for a listed
# address: the TXT record is asked after the A answer), not LISTS of them.
#
# Usage: scripts/bench-dnsbl.sh [RUNS]
# Environment: MXDOCTOR (binary; default: cargo build --release), LISTS (30), DELAY_MS (200),
#              LIMIT_MS (500: the budget for a clean address; a listed one gets DELAY_MS more).
# Needs: nsd, python3. Everything runs on 127.0.0.1.
set -euo pipefail

RUNS=${1:-10}
LISTS=${LISTS:-30}
DELAY_MS=${DELAY_MS:-200}
LIMIT_MS=${LIMIT_MS:-500}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [[ -z "${MXDOCTOR:-}" ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    MXDOCTOR="$ROOT/target/release/mxdoctor"
fi
NSD=$(command -v nsd || echo /usr/sbin/nsd)
[[ -x "$NSD" ]] || { echo "nsd is not installed" >&2; exit 2; }

WORK=$(mktemp -d)
NSD_PID=""
PROXY_PID=""
cleanup() {
    [[ -n "$PROXY_PID" ]] && kill "$PROXY_PID" 2>/dev/null || true
    if [[ -n "$NSD_PID" ]]; then
        kill "$NSD_PID" 2>/dev/null || true
        # NSD writes its state while it stops: wait for it (bounded) before removing the dir.
        for _ in $(seq 60); do
            kill -0 "$NSD_PID" 2>/dev/null || break
            sleep 0.05
        done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ── LISTS zones and a catalog naming them ──────────────────────────────────────────────
mkdir -p "$WORK/zones" "$WORK/playbooks"
{
    echo "# $LISTS fake lists for the benchmark."
    echo "lists:"
} > "$WORK/playbooks/blocklists.yaml"
for i in $(seq -w 1 "$LISTS"); do
    zone="bl$i.bench.test"
    cat > "$WORK/zones/$zone.zone" <<EOF
\$TTL 60
@ IN SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 60
@ IN NS ns.$zone.
ns IN A 127.0.0.1
2.2.0.192 IN A 127.0.0.2
2.2.0.192 IN TXT "listed on $zone"
EOF
    cat >> "$WORK/playbooks/blocklists.yaml" <<EOF
  - id: bench-$i
    name: Bench list $i
    operator: mxdoctor benchmark
    zone: $zone
    holds: [ipv4]
    status: active
    query: true
    used_by: "Nobody: a benchmark list."
    public_resolvers: {refused: "no", detail: "A local test zone."}
    codes:
      - {code: 127.0.0.2, kind: listing, severity: warning, meaning: "Listed.", remedy: "None needed."}
    sources: ["scripts/bench-dnsbl.sh"]
EOF
done

# ── NSD ────────────────────────────────────────────────────────────────────────────────
NSD_PORT=$(free_port)
{
    printf 'server:\n  ip-address: 127.0.0.1@%s\n  do-ip6: no\n  username: ""\n  chroot: ""\n' "$NSD_PORT"
    printf '  database: ""\n  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n' "$WORK" "$WORK"
    printf '  xfrdir: "%s"\n  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n' "$WORK" "$WORK" "$WORK"
    printf '  server-count: 1\nremote-control:\n  control-enable: no\n'
    for f in "$WORK"/zones/*.zone; do
        printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$(basename "$f" .zone)" "$f"
    done
} > "$WORK/nsd.conf"
"$NSD" -c "$WORK/nsd.conf"
for _ in $(seq 100); do
    [[ -s "$WORK/nsd.pid" ]] && break
    sleep 0.05
done
NSD_PID=$(cat "$WORK/nsd.pid")

# ── The delaying proxy: forwards each query at once, holds each answer DELAY_MS ─────────
PROXY_PORT=$(free_port)
cat > "$WORK/delay_proxy.py" <<'EOF'
import asyncio, socket, sys

listen_port, upstream_port, delay = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000

class Upstream(asyncio.DatagramProtocol):
    def __init__(self, front, client):
        self.front, self.client = front, client
    def connection_made(self, transport):
        self.transport = transport
    def datagram_received(self, data, _addr):
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self.front.sendto, data, self.client)
        loop.call_later(delay, self.transport.close)

class Front(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport
    def datagram_received(self, data, client):
        asyncio.ensure_future(self.forward(data, client))
    async def forward(self, data, client):
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Upstream(self.transport, client), remote_addr=("127.0.0.1", upstream_port))
        transport.sendto(data)

async def main():
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Front, local_addr=("127.0.0.1", listen_port))
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
EOF
python3 "$WORK/delay_proxy.py" "$PROXY_PORT" "$NSD_PORT" "$DELAY_MS" > "$WORK/proxy.out" &
PROXY_PID=$!
for _ in $(seq 100); do
    grep -q ready "$WORK/proxy.out" 2>/dev/null && break
    sleep 0.05
done

# ── Runs ───────────────────────────────────────────────────────────────────────────────
# Prints "min median max" in milliseconds of RUNS runs of: mxdoctor blocklist ADDRESS.
measure() {
    local resolver=$1 address=$2 expect=$3
    local times=()
    for _ in $(seq "$RUNS"); do
        local start end out
        start=$(date +%s%N)
        out=$("$MXDOCTOR" blocklist "$address" --resolver "$resolver" --playbooks "$WORK/playbooks" \
            --format json --no-progress || true)
        end=$(date +%s%N)
        local n
        n=$(grep -c "\"id\": \"$expect\"" <<<"$out" || true)
        if [[ "$n" != "$LISTS" ]]; then
            echo "expected $LISTS $expect findings, got $n" >&2
            echo "$out" | head -40 >&2
            exit 1
        fi
        times+=($(((end - start) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%d %d %d\n", a[1], a[int((NR+1)/2)], a[NR]}'
}

DIRECT="127.0.0.1:$NSD_PORT"
DELAYED="127.0.0.1:$PROXY_PORT"
echo "mxdoctor: $MXDOCTOR"
echo "$LISTS lists, $RUNS runs each, answers delayed by $DELAY_MS ms; wall time in ms (min median max):"
read -r a b c < <(measure "$DIRECT" 192.0.2.1 dnsbl.clean)
printf '  clean address, no delay          %5d %5d %5d\n' "$a" "$b" "$c"
read -r a b c < <(measure "$DELAYED" 192.0.2.1 dnsbl.clean)
printf '  clean address, %3d ms delay      %5d %5d %5d   (1 round trip: A)\n' "$DELAY_MS" "$a" "$b" "$c"
clean_max=$c
read -r a b c < <(measure "$DIRECT" 192.0.2.2 dnsbl.listed)
printf '  listed address, no delay         %5d %5d %5d\n' "$a" "$b" "$c"
read -r a b c < <(measure "$DELAYED" 192.0.2.2 dnsbl.listed)
printf '  listed address, %3d ms delay     %5d %5d %5d   (2 round trips: A, then TXT)\n' "$DELAY_MS" "$a" "$b" "$c"
listed_max=$c

# The budget is for the sweep itself (one round trip). A listing adds the TXT round trip by
# design (TXT is asked only after a listing, not of every list), so it gets one delay more.
listed_limit=$((LIMIT_MS + DELAY_MS))
if ((clean_max < LIMIT_MS && listed_max < listed_limit)); then
    echo "OK: clean sweeps under $LIMIT_MS ms, sweeps with listings under $listed_limit ms"
else
    echo "SLOW: ${clean_max} ms (clean, limit $LIMIT_MS) / ${listed_max} ms (listed, limit $listed_limit)" >&2
    exit 1
fi
